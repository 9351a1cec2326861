package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.file.BinlogDamage;
import dev.binlogproxy.binlog.file.BinlogFileDamagedException;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Index entries straight from a binlog file: what the journal is rebuilt from, checked against, and what lookups
 * fall back to when the journal is unavailable. Always walks from the start of the file, because transaction
 * roles depend on everything before (BinlogFileReader cannot start mid-file, and should not).
 */
final class FileScan {
    /** Receives entries in file order; returns false to stop. */
    interface Sink {
        boolean accept(IndexEntry entry) throws IOException;
    }

    private FileScan() {
    }

    /**
     * Feeds the entries of the events that start at or after {@code from} and end at or before {@code limit}.
     *
     * @return the damage that stopped the walk early, if any (a valid file returns empty)
     */
    static Optional<BinlogDamage> entries(Path dir, String file, long from, long limit, Sink sink) throws IOException {
        return entriesAt(dir.resolve(file), file, from, limit, sink);
    }

    /**
     * The index journal's entries ({@link IndexEntry#spanEnd}): one per transaction, by its first event, and one per
     * control event, for the transactions and control events that start at or after {@code from} (a transaction
     * boundary) and end at or before {@code limit}.
     *
     * @return the damage that stopped the walk early, if any (a valid file returns empty)
     */
    static Optional<BinlogDamage> spans(Path dir, String file, long from, long limit, Sink sink) throws IOException {
        IndexEntry[] open = {null};
        return entries(dir, file, from, limit, e -> switch (e.role()) {
            case START -> {
                open[0] = e;
                yield true;
            }
            case INSIDE -> true;
            case END -> {
                IndexEntry start = open[0];
                open[0] = null;
                // a transaction cut by from (not a boundary: the caller's mistake) has no entry
                yield start == null || sink.accept(start.spanningTo(e.end()));
            }
            default -> sink.accept(e);
        });
    }

    /** As {@link #entries}, reading {@code file}'s bytes at {@code path} (a copy fetched back from the tier). */
    static Optional<BinlogDamage> entriesAt(Path path, String file, long from, long limit, Sink sink)
            throws IOException {
        try (BinlogFileReader reader = BinlogFileReader.open(path)) {
            for (FileEvent fe = reader.next(); fe != null; fe = reader.next()) {
                if (fe.endOffset() > limit) {
                    break;
                }
                if (fe.offset() < from) {
                    continue;
                }
                IndexEntry entry;
                try {
                    entry = IndexEntry.of(file, fe.offset(), fe.event(), fe.role(), reader.checksum());
                } catch (MalformedEventException e) {
                    return Optional.of(new BinlogDamage(BinlogDamage.Kind.CORRUPT, fe.offset(), e.getMessage()));
                }
                if (!sink.accept(entry)) {
                    break;
                }
            }
            return Optional.empty();
        } catch (BinlogFileDamagedException e) {
            return Optional.of(e.damage());
        }
    }
}
