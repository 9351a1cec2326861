package dev.binlogproxy.binlog.golden;

import dev.binlogproxy.binlog.EventType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/** Access to the golden fixtures captured by scripts/capture-fixtures (see fixtures/README.md). */
final class Fixtures {
    private Fixtures() {
    }

    /** One row of the server's SHOW BINLOG EVENTS, as stored in events.tsv. */
    record ServerEvent(String file, long start, long end, String type, String info) {
    }

    record Scenario(String name, Path dir, Properties server, List<ServerEvent> events) {
        List<Path> files() {
            List<Path> out = new ArrayList<>();
            for (String f : server.getProperty("files").split(",")) {
                out.add(dir.resolve(f));
            }
            return out;
        }

        List<ServerEvent> eventsOf(String file) {
            return events.stream().filter(e -> e.file().equals(file)).toList();
        }

        boolean mariadb() {
            return server.getProperty("flavor").equals("MARIADB");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Path root() {
        try {
            return Paths.get(Fixtures.class.getResource("/fixtures/README.md").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Scenario> scenarios() {
        try (Stream<Path> dirs = Files.list(root())) {
            return dirs.filter(Files::isDirectory).sorted().map(Fixtures::load).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Scenario load(Path dir) {
        try {
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(dir.resolve("server.properties"))) {
                p.load(in);
            }
            List<ServerEvent> events = new ArrayList<>();
            List<String> lines = Files.readAllLines(dir.resolve("events.tsv"));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split("\t", -1);
                events.add(new ServerEvent(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), f[3], f[4]));
            }
            return new Scenario(dir.getFileName().toString(), dir, p, events);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The type names SHOW BINLOG EVENTS prints, per flavor, mapped to this model's types. */
    static EventType typeOf(String serverName, boolean mariadb) {
        return switch (serverName) {
            case "Format_desc" -> EventType.FORMAT_DESCRIPTION;
            case "Previous_gtids" -> EventType.PREVIOUS_GTIDS;
            case "Gtid" -> mariadb ? EventType.MARIA_GTID : EventType.GTID;
            case "Anonymous_Gtid" -> EventType.ANONYMOUS_GTID;
            case "Query" -> EventType.QUERY;
            case "Table_map" -> EventType.TABLE_MAP;
            case "Write_rows" -> EventType.WRITE_ROWS;
            case "Update_rows" -> EventType.UPDATE_ROWS;
            case "Delete_rows" -> EventType.DELETE_ROWS;
            case "Write_rows_v1" -> EventType.WRITE_ROWS_V1;
            case "Update_rows_v1" -> EventType.UPDATE_ROWS_V1;
            case "Delete_rows_v1" -> EventType.DELETE_ROWS_V1;
            case "Xid" -> EventType.XID;
            case "XA_prepare" -> EventType.XA_PREPARE;
            case "Rotate" -> EventType.ROTATE;
            case "Stop" -> EventType.STOP;
            case "Rows_query" -> EventType.ROWS_QUERY;
            case "Annotate_rows" -> EventType.MARIA_ANNOTATE_ROWS;
            case "Binlog_checkpoint" -> EventType.MARIA_BINLOG_CHECKPOINT;
            case "Gtid_list" -> EventType.MARIA_GTID_LIST;
            default -> throw new IllegalArgumentException("unmapped server event type name: " + serverName);
        };
    }

}
