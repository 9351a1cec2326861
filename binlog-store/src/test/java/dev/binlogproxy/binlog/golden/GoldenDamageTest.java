package dev.binlogproxy.binlog.golden;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.MariaBinlogCheckpoint;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.PreviousGtids;
import dev.binlogproxy.binlog.event.Query;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.event.XaPrepare;
import dev.binlogproxy.binlog.event.Xid;
import dev.binlogproxy.binlog.file.BinlogDamage;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.MariaGtid;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Real server binlogs, damaged on purpose: the reader must say exactly where, and typed decoders must say what. */
class GoldenDamageTest {
    @TempDir
    Path tmp;

    static Stream<Fixtures.Scenario> scenarios() {
        return Fixtures.scenarios();
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void truncatingARealFileInsideAnyEventIsATruncatedTailAtThatEvent(Fixtures.Scenario s) throws Exception {
        SplittableRandom rnd = new SplittableRandom(s.name().hashCode());
        for (Path file : s.files()) {
            byte[] whole = Files.readAllBytes(file);
            for (Fixtures.ServerEvent e : s.eventsOf(file.getFileName().toString())) {
                int cut = (int) (e.start() + 1 + rnd.nextInt((int) (e.end() - e.start() - 1)));
                Path damaged = tmp.resolve(file.getFileName());
                Files.write(damaged, Arrays.copyOf(whole, cut));
                BinlogDamage d = BinlogFileSummary.scan(damaged).damage()
                        .orElseThrow(() -> new AssertionError(file + " cut at " + cut + " not detected"));
                assertEquals(BinlogDamage.Kind.TRUNCATED_TAIL, d.kind(), file + " cut at " + cut + ": " + d);
                assertEquals(e.start(), d.offset(), file + " cut at " + cut + ": " + d);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void corruptingAnEventInTheMiddleIsCorruptionAtThatEvent(Fixtures.Scenario s) throws Exception {
        boolean crc = s.server().getProperty("binlog_checksum").equals("CRC32");
        for (Path file : s.files()) {
            byte[] whole = Files.readAllBytes(file);
            List<Fixtures.ServerEvent> events = s.eventsOf(file.getFileName().toString());
            for (int i = 1; i < events.size() - 1; i++) {
                Fixtures.ServerEvent e = events.get(i);
                byte[] broken = whole.clone();
                String expect;
                if (crc) {
                    broken[(int) (e.start() + e.end()) / 2] ^= 0x01; // any body or header byte: the CRC catches it
                    expect = "checksum mismatch";
                } else {
                    // without checksums only structure can be checked: break the log_pos chain
                    ByteBuffer b = ByteBuffer.wrap(broken).order(ByteOrder.LITTLE_ENDIAN);
                    b.putInt((int) e.start() + 13, (int) e.end() + 1);
                    expect = "log_pos";
                }
                Path damaged = tmp.resolve(file.getFileName());
                Files.write(damaged, broken);
                BinlogDamage d = BinlogFileSummary.scan(damaged).damage()
                        .orElseThrow(() -> new AssertionError(file + " event at " + e.start() + " not detected"));
                assertEquals(BinlogDamage.Kind.CORRUPT, d.kind(), d::toString);
                assertEquals(e.start(), d.offset(), d::toString);
                assertTrue(d.reason().contains(expect), d::toString);
            }
        }
    }

    /**
     * Every typed decoder, given every real event of its type with the body cut short (the header rewritten to
     * match, so only the body is short), either decodes what is there or throws MalformedEventException naming
     * what is missing: never an IndexOutOfBoundsException or similar.
     */
    @ParameterizedTest
    @MethodSource("scenarios")
    void truncatedBodiesFailWithPreciseErrors(Fixtures.Scenario s) throws Exception {
        int precise = 0;
        for (Path file : s.files()) {
            byte[] whole = Files.readAllBytes(file);
            for (Fixtures.ServerEvent e : s.eventsOf(file.getFileName().toString())) {
                byte[] event = Arrays.copyOfRange(whole, (int) e.start(), (int) e.end());
                Consumer<BinlogEvent> decoder = decoderFor(Fixtures.typeOf(e.type(), s.mariadb()), ChecksumAlgorithm.OFF);
                if (decoder == null) {
                    continue;
                }
                for (int len = BinlogEvent.HEADER_LENGTH; len < event.length; len++) {
                    byte[] cut = Arrays.copyOf(event, len);
                    ByteBuffer.wrap(cut).order(ByteOrder.LITTLE_ENDIAN).putInt(9, len);
                    try {
                        decoder.accept(BinlogEvent.wrap(cut));
                    } catch (MalformedEventException ex) {
                        assertTrue(ex.getMessage() != null && !ex.getMessage().isBlank());
                        precise++;
                    } catch (RuntimeException ex) {
                        fail(e.type() + " at " + e.start() + " cut to " + len + " bytes threw " + ex);
                    }
                }
            }
        }
        assertTrue(precise > 100, "too few truncations exercised: " + precise);
    }

    private static Consumer<BinlogEvent> decoderFor(EventType type, ChecksumAlgorithm a) {
        return switch (type) {
            case FORMAT_DESCRIPTION -> FormatDescription::decode;
            case ROTATE -> ev -> Rotate.decode(ev, a);
            case QUERY -> ev -> Query.decode(ev, a);
            case XID -> ev -> Xid.decode(ev, a);
            case XA_PREPARE -> ev -> XaPrepare.decode(ev, a);
            case GTID, ANONYMOUS_GTID -> ev -> MySqlGtidEvent.decode(ev, a);
            case PREVIOUS_GTIDS -> ev -> PreviousGtids.decode(ev, a);
            case MARIA_GTID -> ev -> {
                // the archive's in-place read of the GTID refuses exactly what decode refuses, else agrees with it
                MariaGtid inPlace;
                try {
                    inPlace = MariaGtidEvent.gtidOf(ev, a);
                } catch (MalformedEventException refused) {
                    inPlace = null;
                }
                MariaGtid decoded;
                try {
                    decoded = MariaGtidEvent.decode(ev, a).gtid();
                } catch (MalformedEventException refused) {
                    assertEquals(null, inPlace, "gtidOf took what decode refused");
                    throw refused;
                }
                assertEquals(decoded, inPlace);
            };
            case MARIA_GTID_LIST -> ev -> MariaGtidList.decode(ev, a);
            case MARIA_BINLOG_CHECKPOINT -> ev -> MariaBinlogCheckpoint.decode(ev, a);
            default -> null;
        };
    }
}
