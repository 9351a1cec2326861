package dev.binlogproxy.testkit;

/**
 * Run in a separate JVM by {@link OrphanCleanupTest}: starts one server of each flavor, reports them on stdout and
 * waits to be killed.
 */
public final class OrphanChild {

    private OrphanChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        for (Flavor flavor : Flavor.values()) {
            DbServer server = DbServer.start(ServerOptions.builder(flavor).build());
            System.out.println("SERVER " + server.pid() + " " + server.instanceDir());
        }
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
