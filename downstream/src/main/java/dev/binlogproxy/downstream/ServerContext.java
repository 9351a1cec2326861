package dev.binlogproxy.downstream;

/** What answers about the proxy itself need: where it listens and what it offers. */
interface ServerContext {

    String hostname();

    int port();

    boolean tlsEnabled();

    boolean semiSync();

    /** The @@server_id replicas see: the configured one, else the upstream master's. */
    long servedServerId(ServedMaster m);
}
