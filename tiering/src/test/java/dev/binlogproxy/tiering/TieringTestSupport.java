package dev.binlogproxy.tiering;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.testing.Dump;
import io.micrometer.core.instrument.MeterRegistry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Archives of many real files, and waiting for the uploader. */
final class TieringTestSupport {
    private TieringTestSupport() {
    }

    /** A fresh archive (MySQL GTID fixtures) holding files 1..n, every transaction visible. */
    static BinlogArchive archiveWithFiles(Path dir, int n) throws Exception {
        BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC);
        addFiles(a, 1, n);
        return a;
    }

    /** Appends files from..to (the stream's numbering) and waits until they are durable. */
    static void addFiles(BinlogArchive a, int from, int to) throws Exception {
        for (int k = from; k <= to; k++) {
            List<Appended> ap = Dump.feedFile(a.writer(), Dump.streamName(k), Dump.streamFile(Dump.MYSQL_GTID, k));
            Dump.awaitVisible(ap);
        }
    }

    static List<String> names(BinlogArchive a) {
        return a.files().stream().map(ArchivedFile::name).toList();
    }

    static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    static double meter(MeterRegistry registry, String name) {
        var m = registry.find(name).meter();
        if (m == null) {
            throw new AssertionError("no meter " + name);
        }
        return m.measure().iterator().next().getValue();
    }
}
