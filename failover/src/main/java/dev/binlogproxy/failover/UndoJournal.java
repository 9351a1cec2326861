package dev.binlogproxy.failover;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * The failover's undo journal: before a step changes anything on a server or in the archive, its inverse is
 * written here and synced; after it, that it is done. A failing step is undone in reverse order from what the
 * journal says; a proxy killed in the middle finds the journal at its next start and finishes or rolls back
 * (innodb-hotcopy's rollback queue, made durable).
 *
 * <p>One line per record, appended and fdatasync'd before the step runs: {@code crc32 TAB kind TAB fields...},
 * fields percent-encoded. A torn last line (a crash mid-append: bad CRC or no newline) is ignored, which is right:
 * the step it would have announced never ran. The file lives in the archive directory ({@code failover.journal})
 * and only grows; it is small (a few lines per failover).
 *
 * <pre>
 * begin   id kind old-master candidate time     a failover or switchover starts
 * cut     id file:position                      where the archive's copy of the old master ends (mirror paused)
 * do      id step undo                          the step is about to run; undo is its inverse (see {@link Undo})
 * done    id step                               the step completed
 * commit  id new-master end                     done: the proxy follows new-master; the old master's data
 *                                               ends at end (file:position) in the archive
 * abort   id reason                             rolled back; the topology is as it was
 * </pre>
 */
final class UndoJournal {
    static final String FILE = "failover.journal";

    /** What reverses a step, as data: a fresh process must be able to run it. */
    sealed interface Undo permits Undo.None, Undo.Sql, Undo.RestartReplica, Undo.AbandonEpoch, Undo.PauseMirror {
        String encode();

        static Undo decode(String text) {
            String[] f = text.split("\\|", -1);
            return switch (f[0]) {
                case "none" -> new None(dec(f[1]));
                case "sql" -> new Sql(dec(f[1]), Integer.parseInt(f[2]), List.of(f).subList(3, f.length).stream()
                        .map(UndoJournal::dec).toList());
                case "restart-replica" -> new RestartReplica(dec(f[1]), Integer.parseInt(f[2]), dec(f[3]),
                        Long.parseLong(f[4]), Boolean.parseBoolean(f[5]));
                case "abandon-epoch" -> new AbandonEpoch(Integer.parseInt(f[1]));
                case "pause-mirror" -> new PauseMirror();
                default -> throw new IllegalArgumentException("unknown undo '" + f[0] + "'");
            };
        }

        /** Nothing to undo, and why that is safe. */
        record None(String why) implements Undo {
            @Override
            public String encode() {
                return "none|" + enc(why);
            }
        }

        /** Statements to run on a server (a candidate or the old master). */
        record Sql(String host, int port, List<String> statements) implements Undo {
            @Override
            public String encode() {
                StringBuilder sb = new StringBuilder("sql|").append(enc(host)).append('|').append(port);
                statements.forEach(s -> sb.append('|').append(enc(s)));
                return sb.toString();
            }
        }

        /**
         * A candidate replicates from the proxy again. Idempotent, as a crash recovery needs: a replica that runs is
         * left alone (the crash came before the stop); one stopped with its coordinates is started; one whose
         * coordinates RESET SLAVE wiped is set back to {@code file:position} first (GTID replicas find their own).
         */
        record RestartReplica(String host, int port, String file, long position, boolean gtid) implements Undo {
            @Override
            public String encode() {
                return "restart-replica|" + enc(host) + "|" + port + "|" + enc(file) + "|" + position + "|" + gtid;
            }
        }

        /** Forget an adopted epoch that has no file yet (nothing, if the adopt never recorded it). */
        record AbandonEpoch(int epoch) implements Undo {
            @Override
            public String encode() {
                return "abandon-epoch|" + epoch;
            }
        }

        /**
         * Stop the mirror again and point it back at the master it had before the failover (it resumes when the
         * failover ends). Nothing to do in a fresh process: its mirror starts toward the right master anyway.
         */
        record PauseMirror() implements Undo {
            @Override
            public String encode() {
                return "pause-mirror";
            }
        }
    }

    /** One failover as the journal tells it. */
    record Entry(String id, String kind, String oldMaster, String candidate, List<String> done,
                 List<StepUndo> undos, String outcome, String detail, String end, String cut) {
        boolean open() {
            return outcome == null;
        }

        boolean isDone(Step step) {
            return done.contains(step.name());
        }
    }

    /** A step announced with its inverse. */
    record StepUndo(String step, Undo undo) {
    }

    private final Path file;

    UndoJournal(Path dir) {
        this.file = dir.resolve(FILE);
    }

    Path path() {
        return file;
    }

    void begin(String id, String kind, String oldMaster, String candidate) throws IOException {
        append("begin", id, kind, oldMaster, candidate, Long.toString(System.currentTimeMillis()));
    }

    void cut(String id, String end) throws IOException {
        append("cut", id, end);
    }

    void willDo(String id, Step step, Undo undo) throws IOException {
        append("do", id, step.name(), undo.encode());
    }

    void done(String id, Step step) throws IOException {
        append("done", id, step.name());
    }

    void commit(String id, String newMaster, String end) throws IOException {
        append("commit", id, newMaster, end);
    }

    void abort(String id, String reason) throws IOException {
        append("abort", id, reason);
    }

    /** Every failover the journal records, oldest first. */
    List<Entry> read() throws IOException {
        List<Entry> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return out;
        }
        Builder current = null;
        for (String line : text.substring(0, end).split("\n")) {
            Optional<String[]> rec = parse(line);
            if (rec.isEmpty()) {
                continue; // torn or damaged: only the last line can be, and its step never ran
            }
            String[] f = rec.get();
            switch (f[0]) {
                case "begin" -> {
                    if (current != null) {
                        out.add(current.build());
                    }
                    current = new Builder(f[1], f[2], f[3], f[4]);
                }
                case "cut" -> current.cut = f[2];
                case "do" -> current.undos.add(new StepUndo(f[2], Undo.decode(f[3])));
                case "done" -> current.done.add(f[2]);
                case "commit" -> {
                    current.outcome = "commit";
                    current.detail = f[2];
                    current.end = f.length > 3 ? f[3] : null;
                }
                case "abort" -> {
                    current.outcome = "abort";
                    current.detail = f[2];
                }
                default -> throw new IOException(file + ": unknown record '" + f[0] + "'");
            }
        }
        if (current != null) {
            out.add(current.build());
        }
        return out;
    }

    /** The newest failover, if it has neither committed nor aborted. */
    Optional<Entry> unfinished() throws IOException {
        List<Entry> all = read();
        return all.isEmpty() || !all.get(all.size() - 1).open() ? Optional.empty()
                : Optional.of(all.get(all.size() - 1));
    }

    /** The newest committed failover: the master it moved the proxy to is its detail ({@code host:port}). */
    Optional<Entry> lastCommitted() throws IOException {
        List<Entry> all = read();
        for (int i = all.size() - 1; i >= 0; i--) {
            if ("commit".equals(all.get(i).outcome())) {
                return Optional.of(all.get(i));
            }
        }
        return Optional.empty();
    }

    private static final class Builder {
        final String id;
        final String kind;
        final String oldMaster;
        final String candidate;
        final List<String> done = new ArrayList<>();
        final List<StepUndo> undos = new ArrayList<>();
        String outcome;
        String detail;
        String end;
        String cut;

        Builder(String id, String kind, String oldMaster, String candidate) {
            this.id = id;
            this.kind = kind;
            this.oldMaster = oldMaster;
            this.candidate = candidate;
        }

        Entry build() {
            return new Entry(id, kind, oldMaster, candidate, List.copyOf(done), List.copyOf(undos), outcome, detail,
                    end, cut);
        }
    }

    private synchronized void append(String kind, String... fields) throws IOException {
        StringBuilder body = new StringBuilder(kind);
        for (String f : fields) {
            body.append('\t').append(enc(f));
        }
        String line = crc(body.toString()) + "\t" + body + "\n";
        boolean created = !Files.exists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long at = ch.size();
            if (at > 0) {
                ByteBuffer last = ByteBuffer.allocate(1);
                ch.read(last, at - 1);
                if (last.get(0) != '\n') {
                    // a crash tore the last record: it stays a damaged line of its own, this one starts afresh
                    line = "\n" + line;
                }
            }
            ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                at += ch.write(b, at);
            }
            ch.force(false);
        }
        if (created) {
            // the file's name must survive a crash too, or the first record would vanish with it
            try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                d.force(true);
            }
        }
    }

    private static Optional<String[]> parse(String line) {
        int tab = line.indexOf('\t');
        if (tab < 0) {
            return Optional.empty();
        }
        String body = line.substring(tab + 1);
        if (!line.substring(0, tab).equals(crc(body))) {
            return Optional.empty();
        }
        String[] raw = body.split("\t", -1);
        String[] out = new String[raw.length];
        out[0] = raw[0];
        for (int i = 1; i < raw.length; i++) {
            out[i] = dec(raw[i]);
        }
        return Optional.of(out);
    }

    private static String crc(String body) {
        CRC32 c = new CRC32();
        c.update(body.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().toHexDigits((int) c.getValue());
    }

    static String enc(String s) {
        return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8);
    }

    static String dec(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
