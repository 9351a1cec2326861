package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.txn.TransactionTracker;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the master while clients write multi-statement transactions, then a restart on the same datadir: a
 * reader tailing the archive throughout never stops inside a transaction (no partial transaction is ever
 * visible), and the proxy resumes into the file the restarted master opens.
 */
class MasterCrashTest {
    @TempDir
    Path dir;

    @Test
    void noPartialTransactionIsVisibleAndTheMirrorFollowsIntoTheNewFile() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().maxBinlogSize(512 * 1024).build());
             BinlogArchive archive = MirrorHarness.archive(dir.resolve("archive"), Durability.FSYNC)) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            master.execute("CREATE DATABASE c", "CREATE TABLE c.t (id BIGINT PRIMARY KEY AUTO_INCREMENT, pad TEXT)");
            try (MirrorService mirror = MirrorService.start(MirrorHarness.settings(master, 9400, false), archive,
                    MirrorHarness.metrics())) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> readerError = new AtomicReference<>();
                AtomicLong readerChecks = new AtomicLong();
                Thread reader = new Thread(() -> tail(archive, stop, readerError, readerChecks), "tail");
                reader.start();

                AtomicBoolean writing = new AtomicBoolean(true);
                Thread writer = new Thread(() -> write(master, writing), "writer");
                writer.start();
                Thread.sleep(1500);
                String crashedIn = MirrorHarness.masterEnd(master).file();
                master.kill9(); // mid-load: some transaction is usually being written
                writing.set(false);
                writer.join(20_000);
                master.restart();
                String newFile = MirrorHarness.masterEnd(master).file();
                assertTrue(new BinlogPosition(newFile, 4).compareTo(new BinlogPosition(crashedIn, 4)) > 0,
                        "the restarted master opens a new binlog: " + crashedIn + " -> " + newFile);
                master.execute("INSERT INTO c.t (pad) VALUES ('after the crash')");

                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(60));
                assertEquals(newFile, archive.resumePosition().orElseThrow().file(),
                        "the archive resumed in the restarted master's file");
                stop.set(true);
                reader.join(10_000);
                assertNull(readerError.get(), () -> "tailing reader: " + readerError.get());
                assertTrue(readerChecks.get() > 0, "the reader never caught up with the archive");
                List<String> files = archive.files().stream().map(f -> f.name()).toList();
                assertTrue(files.contains(crashedIn) && files.contains(newFile), files.toString());
                assertTrue(archive.verify().ok(), () -> {
                    try {
                        return archive.verify().toString();
                    } catch (Exception e) {
                        return e.toString();
                    }
                });
            }
        }
    }

    /** Transactions of 1..30 rows, as fast as the master takes them, until the master dies. */
    private static void write(DbServer master, AtomicBoolean writing) {
        try (Connection c = master.connect(); Statement st = c.createStatement()) {
            for (int i = 0; writing.get(); i++) {
                st.execute("BEGIN");
                for (int r = 0; r <= i % 30; r++) {
                    st.execute("INSERT INTO c.t (pad) VALUES (REPEAT('x', 500))");
                }
                st.execute("COMMIT");
            }
        } catch (SQLException | RuntimeException expectedWhenTheMasterDies) {
            // the connection breaks at kill -9
        }
    }

    /**
     * Reads every event the archive makes visible; each time it reaches the visible end it checks that the events
     * seen so far end on a transaction boundary.
     */
    private static void tail(BinlogArchive archive, AtomicBoolean stop, AtomicReference<Throwable> error,
                             AtomicLong checks) {
        try {
            while (archive.files().isEmpty() || archive.resumePosition().isEmpty()) {
                Thread.sleep(5); // the mirror has not archived its first transaction yet
            }
        } catch (InterruptedException e) {
            error.set(e);
            return;
        }
        try (ArchiveReader r = archive.openReader(BinlogPosition.startOf("mysql-bin.000001"))) {
            TransactionTracker tracker = new TransactionTracker();
            while (!stop.get()) {
                BinlogEvent e = r.next(Duration.ofMillis(100));
                if (e == null) {
                    if (tracker.inTransaction()) {
                        throw new AssertionError("the archive showed a partial transaction, up to " + r.position());
                    }
                    checks.incrementAndGet();
                    continue;
                }
                tracker.accept(e);
            }
        } catch (Throwable t) {
            error.set(t);
        }
    }
}
