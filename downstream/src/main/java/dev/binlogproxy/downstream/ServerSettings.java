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
 * @param upstreamLoopSessions how many dumps share the event loop of the master's connection, when the
 *                  application gives the server {@link SessionLoops}: a session moves there when it starts a dump
 *                  and a place is free, and gets each commit without a hand-over between threads; every other
 *                  session stays on the other loops (see {@link SessionLoops})
 * @param sessionLoops how many other loops take every session as it connects (and keep it unless its dump moves),
 *                  when the application gives the server {@link SessionLoops} ({@link #defaultSessionLoops()}
 *                  unless configured); a server that makes its own loops (tests, benchmarks) keeps two
 */
public record ServerSettings(String host, int port, String version, Long serverId, boolean semiSync,
                             List<UserAccount> users, Path tlsCert, Path tlsKey, boolean tlsRequired,
                             boolean fullAuthOnFirstLogin, int upstreamLoopSessions, int sessionLoops) {

    /** Dumps on the upstream's loop unless configured: an intermediate master's handful of replicas. */
    public static final int DEFAULT_UPSTREAM_LOOP_SESSIONS = 4;

    public ServerSettings {
        Objects.requireNonNull(host, "host");
        users = List.copyOf(users);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("TLS needs both a certificate and a key");
        }
        if (tlsRequired && tlsCert == null) {
            throw new IllegalArgumentException("tlsRequired without a certificate");
        }
        if (upstreamLoopSessions < 0) {
            throw new IllegalArgumentException("upstreamLoopSessions must be >= 0, not " + upstreamLoopSessions);
        }
        if (sessionLoops < 1) {
            throw new IllegalArgumentException("sessionLoops must be >= 1, not " + sessionLoops);
        }
    }

    /**
     * The session loops unless configured: one fewer than the machine's cores, at least one. The core left over is
     * for the master's connection (reading the next transaction, the semi-sync ack) and the archive's commit
     * thread: with as many busy session loops as cores, a fan-out to many replicas made the ack wait for a CPU. On
     * 2 cores with 1,000 tailing replicas, one session loop instead of two took the master's commit from p50
     * 2.9-3.2 ms / p99 9.9-11.7 ms to 1.0-1.6 / 7.3-8.1 ms, the replicas' latency and an 8-replica fan-out's rate
     * unchanged (docs/results.md, session 18).
     */
    public static int defaultSessionLoops() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }

    /** With {@link #defaultSessionLoops()}. */
    public ServerSettings(String host, int port, String version, Long serverId, boolean semiSync,
                          List<UserAccount> users, Path tlsCert, Path tlsKey, boolean tlsRequired,
                          boolean fullAuthOnFirstLogin, int upstreamLoopSessions) {
        this(host, port, version, serverId, semiSync, users, tlsCert, tlsKey, tlsRequired, fullAuthOnFirstLogin,
                upstreamLoopSessions, defaultSessionLoops());
    }

    /** With {@link #DEFAULT_UPSTREAM_LOOP_SESSIONS} and {@link #defaultSessionLoops()}. */
    public ServerSettings(String host, int port, String version, Long serverId, boolean semiSync,
                          List<UserAccount> users, Path tlsCert, Path tlsKey, boolean tlsRequired,
                          boolean fullAuthOnFirstLogin) {
        this(host, port, version, serverId, semiSync, users, tlsCert, tlsKey, tlsRequired, fullAuthOnFirstLogin,
                DEFAULT_UPSTREAM_LOOP_SESSIONS, defaultSessionLoops());
    }

    public boolean tlsEnabled() {
        return tlsCert != null;
    }

}
