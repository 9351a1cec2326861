package dev.binlogproxy.downstream;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import dev.binlogproxy.downstream.login.UserAccount;

/**
 * How the master-side server runs: where it listens, whom it lets in, and what it claims to be.
 *
 * @param version   the greeting's version string; null: the upstream master's (from the archive), with MariaDB's
 *                  {@code 5.5.5-} prefix
 * @param serverId  the {@code @@server_id} replicas see; null: the upstream master's
 * @param semiSync  answer the semi-sync probe with ON, so replicas that want it negotiate it
 * @param tlsCert   PEM certificate (chain); null with {@code tlsKey} for no TLS
 * @param tlsKey    PEM PKCS#8 private key
 * @param fullAuthOnFirstLogin caching_sha2_password as MySQL runs it: a user's first login after start takes the
 *                  full path (the password over TLS, or RSA-encrypted with the server's key), later ones the fast
 *                  path. Off: always the fast path, which the stored SHA256(SHA256(pw)) verifies by itself.
 */
public record ServerSettings(String host, int port, String version, Long serverId, boolean semiSync,
                             List<UserAccount> users, Path tlsCert, Path tlsKey, boolean tlsRequired,
                             boolean fullAuthOnFirstLogin) {

    public ServerSettings {
        Objects.requireNonNull(host, "host");
        users = List.copyOf(users);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("TLS needs both a certificate and a key");
        }
        if (tlsRequired && tlsCert == null) {
            throw new IllegalArgumentException("tlsRequired without a certificate");
        }
    }

    public boolean tlsEnabled() {
        return tlsCert != null;
    }

}
