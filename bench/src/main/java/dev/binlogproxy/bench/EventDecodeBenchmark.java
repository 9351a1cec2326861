package dev.binlogproxy.bench;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The per-event work every stream consumer does: wrap the raw bytes, read the header, and find transaction
 * boundaries. One operation is one pass over all events of mysql-bin.000001 of a golden fixture (the closed file
 * with DDL, row transactions, a savepoint, MyISAM and XA); the {@code events} counter turns that into events/s.
 *
 * <p>{@link #headersOnly} is the anchor: the same loop without the tracker, so the ratio of the two shows what
 * boundary detection costs on top of reading headers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EventDecodeBenchmark {
    static final String FILE = "mysql-bin.000001";

    @Param({"mysql-8.0.15-gtid-crc32", "mariadb-10.11-crc32"})
    public String scenario;

    /** Each event's bytes as a separate array, as a network reader or BinlogFileReader hands them over. */
    private byte[][] events;

    @Setup(Level.Trial)
    public void load() {
        List<FileEvent> read = Fixtures.events(Fixtures.file(scenario, FILE));
        events = new byte[read.size()][];
        for (int i = 0; i < events.length; i++) {
            events[i] = read.get(i).event().toByteArray();
        }
        // The file must be a whole number of transactions, or each pass would start the tracker mid-transaction.
        TransactionTracker check = new TransactionTracker();
        for (byte[] e : events) {
            check.accept(BinlogEvent.wrap(e));
        }
        if (check.inTransaction() || check.completedTransactions() == 0) {
            throw new IllegalStateException(scenario + "/" + FILE + ": " + check.completedTransactions()
                    + " transactions, ends in a transaction: " + check.inTransaction());
        }
    }

    /** Reports events/s next to passes/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long events;

        @Setup(Level.Iteration)
        public void reset() {
            events = 0;
        }
    }

    @Benchmark
    public long headersOnly(Counters counters) {
        long acc = 0;
        for (byte[] bytes : events) {
            BinlogEvent e = BinlogEvent.wrap(bytes);
            acc += headerFields(e);
        }
        counters.events += events.length;
        return acc;
    }

    @Benchmark
    public long headersAndTracker(Counters counters) {
        // A fresh tracker per pass: a stream starts with no configuration and learns flavor and checksum from the FDE.
        TransactionTracker tracker = new TransactionTracker();
        long acc = 0;
        for (byte[] bytes : events) {
            BinlogEvent e = BinlogEvent.wrap(bytes);
            acc += headerFields(e);
            EventRole role = tracker.accept(e);
            acc += role.ordinal();
        }
        counters.events += events.length;
        return acc + tracker.completedTransactions();
    }

    private static long headerFields(BinlogEvent e) {
        return e.timestamp() ^ e.typeCode() ^ e.serverId() ^ e.eventSize() ^ e.logPos() ^ e.flags()
                ^ e.type().ordinal();
    }
}
