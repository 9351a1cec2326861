package dev.binlogproxy.binlog.file;

import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.txn.EventRole;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The result of validating a whole binlog file: what it holds and, if it is damaged, where it stops being valid.
 *
 * @param validEnd           end of the last event that passed validation
 * @param lastBoundary       end of the last complete transaction (or control event): the safe cut point
 * @param endsInTransaction  the valid events end inside an unfinished transaction (normal for an open file
 *                           being written; after a crash, the tail to discard)
 * @param rotate             the closing ROTATE, if the file ends with one
 */
public record BinlogFileSummary(Path file, long fileSize, FormatDescription formatDescription, long events,
                                Map<EventType, Long> eventsByType, long transactions, long validEnd,
                                long lastBoundary, boolean endsInTransaction, Optional<Rotate> rotate,
                                boolean stopped, Optional<BinlogDamage> damage) {
    public BinlogFileSummary {
        eventsByType = Collections.unmodifiableMap(new EnumMap<>(eventsByType));
    }

    public boolean isValid() {
        return damage.isEmpty();
    }

    /** Reads and validates the whole file. I/O errors propagate; damage is reported, not thrown. */
    public static BinlogFileSummary scan(Path file) throws IOException {
        long size = Files.size(file);
        Map<EventType, Long> byType = new EnumMap<>(EventType.class);
        long[] byCode = new long[256]; // counted unboxed per event, folded into the map once
        long events = 0;
        Rotate rotate = null;
        boolean stopped = false;
        BinlogFileReader reader;
        try {
            reader = BinlogFileReader.open(file);
        } catch (BinlogFileDamagedException e) {
            return new BinlogFileSummary(file, size, null, 0, byType, 0, 0, 0, false, Optional.empty(), false,
                    Optional.of(e.damage()));
        }
        try (reader) {
            BinlogDamage damage = null;
            while (true) {
                FileEvent fe;
                try {
                    fe = reader.next();
                } catch (BinlogFileDamagedException e) {
                    damage = e.damage();
                    break;
                }
                if (fe == null) {
                    break;
                }
                events++;
                byCode[fe.event().typeCode()]++;
                rotate = null;
                stopped = false;
                if (fe.event().type() == EventType.ROTATE && fe.role() == EventRole.CONTROL) {
                    rotate = Rotate.decode(fe.event(), reader.checksum());
                } else if (fe.event().type() == EventType.STOP) {
                    stopped = true;
                }
            }
            for (int code = 0; code < byCode.length; code++) {
                if (byCode[code] > 0) {
                    byType.merge(EventType.of(code), byCode[code], Long::sum);
                }
            }
            return new BinlogFileSummary(file, size, reader.formatDescription(), events, byType,
                    reader.completedTransactions(), reader.position(), reader.lastTransactionBoundary(),
                    reader.inTransaction(), Optional.ofNullable(rotate), stopped, Optional.ofNullable(damage));
        }
    }
}
