package dev.binlogproxy.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where a server is and how to log in to it.
 *
 * @param connectTimeout for the TCP connect, the TLS handshake, login and each reply to a query
 * @param tlsCaFile      the CA certificate(s) for {@link TlsMode#VERIFY_CA} / {@link TlsMode#VERIFY_IDENTITY}; else null
 */
public record ConnectionSettings(String host, int port, String user, Secret password, Duration connectTimeout,
                                 TlsMode tlsMode, Path tlsCaFile) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    public ConnectionSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(tlsMode, "tlsMode");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        if ((tlsMode == TlsMode.VERIFY_CA || tlsMode == TlsMode.VERIFY_IDENTITY) && tlsCaFile == null) {
            throw new IllegalArgumentException("TLS mode " + tlsMode + " needs a CA file");
        }
    }

    /** Without TLS, with the default connect timeout: loopback test servers, benchmarks. */
    public static ConnectionSettings plain(String host, int port, String user, String password) {
        return new ConnectionSettings(host, port, user, new Secret(password), DEFAULT_CONNECT_TIMEOUT,
                TlsMode.DISABLED, null);
    }

    public ConnectionSettings withTls(TlsMode mode, Path caFile) {
        return new ConnectionSettings(host, port, user, password, connectTimeout, mode, caFile);
    }

    public ConnectionSettings withConnectTimeout(Duration timeout) {
        return new ConnectionSettings(host, port, user, password, timeout, tlsMode, tlsCaFile);
    }

    /** The same credentials and TLS settings for another server. */
    public ConnectionSettings withAddress(String newHost, int newPort) {
        return new ConnectionSettings(newHost, newPort, user, password, connectTimeout, tlsMode, tlsCaFile);
    }

    public String address() {
        return host + ":" + port;
    }
}
