package dev.binlogproxy.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.testkit.Workload;

/**
 * Two proxies mirror one master. A replica replicating from proxy A by file/position is stopped and pointed at
 * proxy B with the same coordinates (CHANGE MASTER, same file and position): it continues with no error, no gap
 * and no duplicate (a duplicate would fail on a primary key, a gap would show in CHECKSUM TABLE).
 */
class ReplicaMovesBetweenProxiesTest {
    @TempDir
    Path dir;

    @Test
    void mariadbReplicaContinuesOnAnotherProxyAtTheSameCoordinates() throws Exception {
        moveBetweenProxies(ServerOptions.mariadb().maxBinlogSize(1 << 20).build(), ServerOptions.mariadb().build());
    }

    @Test
    void mysqlReplicaContinuesOnAnotherProxyAtTheSameCoordinates() throws Exception {
        moveBetweenProxies(ServerOptions.mysql().gtid(true).maxBinlogSize(1 << 20).build(),
                ServerOptions.mysql().gtid(true).build());
    }

    private void moveBetweenProxies(ServerOptions masterOptions, ServerOptions replicaOptions) throws Exception {
        try (DbServer master = DbServer.start(masterOptions)) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            Workload w = new Workload(master);
            w.setUp();
            try (ServeHarness a = ServeHarness.start(master, dir.resolve("a"), 9611, false);
                 ServeHarness b = ServeHarness.start(master, dir.resolve("b"), 9612, false);
                 DbServer replica = DbServer.start(replicaOptions)) {
                replica.replicateFrom("127.0.0.1", a.port(), ServeHarness.REPL, ServeHarness.REPL_PW, false);
                w.run(3, 50, 41);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(120));
                // the writes go on while the replica changes proxy
                java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
                Thread writer = new Thread(() -> {
                    try {
                        w.run(2, 40, 42);
                    } catch (Exception e) {
                        failed.set(e);
                    }
                });
                writer.start();
                replica.execute("STOP SLAVE");
                Map<String, String> at = replica.replicaStatus();
                String file = at.get("Relay_Master_Log_File");
                long pos = Long.parseLong(at.get("Exec_Master_Log_Pos"));
                replica.replicateFrom("127.0.0.1", b.port(), ServeHarness.REPL, ServeHarness.REPL_PW, file, pos);
                writer.join();
                if (failed.get() != null) {
                    throw failed.get();
                }
                w.run(2, 30, 43);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(120));
                for (String table : Workload.TABLES) {
                    assertEquals(master.query("CHECKSUM TABLE " + table), replica.query("CHECKSUM TABLE " + table),
                            table);
                }
                Map<String, String> status = replica.replicaStatus();
                assertEquals(String.valueOf(b.port()), status.get("Master_Port"), status.toString());
                assertEquals("0", status.get("Last_IO_Errno"), status.toString());
                assertEquals("0", status.get("Last_SQL_Errno"), status.toString());
            }
        }
    }
}
