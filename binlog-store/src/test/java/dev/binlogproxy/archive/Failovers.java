package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Two masters for the epoch tests: the dead one and the promoted one are two fixture scenarios of the same flavor
 * (other server_id, server_uuid and binlog_checksum), their files made into one numbering by
 * {@link Dump#streamFile}: real bytes, every CRC and log_pos chain as the servers wrote them.
 */
final class Failovers {
    private Failovers() {
    }

    enum Pair {
        MYSQL(Dump.MYSQL_GTID, Dump.MYSQL_ANON),
        MYSQL_WITHOUT_GTIDS_FIRST(Dump.MYSQL_ANON, Dump.MYSQL_GTID),
        MARIADB(Dump.MARIA_CRC, Dump.MARIA_NONE);

        final String oldScenario;
        final String newScenario;

        Pair(String oldScenario, String newScenario) {
            this.oldScenario = oldScenario;
            this.newScenario = newScenario;
        }

        UpstreamIdentity oldMaster() {
            return Dump.identity(oldScenario);
        }

        UpstreamIdentity newMaster() {
            return Dump.identity(newScenario);
        }

        /** File {@code k} as the old master wrote it (as the archive holds it: IN_USE clear). */
        byte[] oldFile(int k) {
            return Dump.streamFile(oldScenario, k);
        }

        byte[] newFile(int k) {
            return Dump.streamFile(newScenario, k);
        }
    }

    static String name(int k) {
        return Dump.streamName(k);
    }

    /** Where the file's closing ROTATE starts (stream files all end with one). */
    static long rotateAt(byte[] file) {
        List<Dump.Positioned> events = Dump.events(file);
        Dump.Positioned last = events.get(events.size() - 1);
        if (last.event().type() != EventType.ROTATE) {
            throw new IllegalStateException("no ROTATE at the end");
        }
        return last.offset();
    }

    /** The FDE's end: a file holding only its FDE is this long. */
    static long fdeEnd(byte[] file) {
        return Dump.events(file).get(0).end();
    }

    /** The GTID of the last transaction starting before {@code end}, as the server prints it. */
    static Optional<String> lastGtid(byte[] file, long end) {
        ChecksumAlgorithm alg = Dump.checksum(file);
        Optional<String> last = Optional.empty();
        for (Dump.Positioned p : Dump.events(file)) {
            if (p.end() > end) {
                break;
            }
            BinlogEvent e = p.event();
            if (e.type() == EventType.GTID) {
                last = Optional.of(MySqlGtidEvent.decode(e, alg).gtid().toString());
            } else if (e.type() == EventType.ANONYMOUS_GTID) {
                last = Optional.empty();
            } else if (e.type() == EventType.MARIA_GTID) {
                last = Optional.of(MariaGtidEvent.decode(e, alg).gtid().toString());
            }
        }
        return last;
    }

    /** The events of a file image up to {@code end}. */
    static List<BinlogEvent> eventsUpTo(byte[] file, long end) {
        List<BinlogEvent> out = new ArrayList<>();
        for (Dump.Positioned p : Dump.events(file)) {
            if (p.end() <= end) {
                out.add(p.event());
            }
        }
        return out;
    }

    /** Everything the reader has to give now. */
    static List<BinlogEvent> readAll(ArchiveReader r) throws IOException {
        List<BinlogEvent> out = new ArrayList<>();
        for (BinlogEvent e = r.next(); e != null; e = r.next()) {
            out.add(e);
        }
        return out;
    }

    /** Every file of the archive directory but the lock and the index journal, by name: what an adopt may change. */
    static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.equals(BinlogArchive.LOCK_FILE)) {
                    out.put(name, Files.readAllBytes(p));
                }
            }
        }
        return out;
    }

    static boolean sameSnapshot(Map<String, byte[]> a, Map<String, byte[]> b) {
        return a.keySet().equals(b.keySet()) && a.keySet().stream().allMatch(k -> Arrays.equals(a.get(k), b.get(k)));
    }

    /** The first {@code length} bytes. */
    static byte[] prefix(byte[] file, long length) {
        return Arrays.copyOf(file, (int) length);
    }
}
