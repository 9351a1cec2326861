package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.VerifyReport;
import dev.binlogproxy.binlog.file.BinlogDamage;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.proxy.config.ConfigException;
import dev.binlogproxy.tiering.TieredFile;
import dev.binlogproxy.tiering.Tiering;
import dev.binlogproxy.tiering.TieringSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * Validates every binlog file in a directory (a master's datadir, a mysqlbinlog --raw copy, the archive):
 * magic, every checksum, the log_pos chain, transaction boundaries, and that each closed file's ROTATE names the
 * next file present; in an archive, also its index journal against the files. Prints one line per file (and one
 * for the index) and exits 1 if anything is damaged.
 */
@Command(name = "verify", description = "Validate the binlog files in a directory.")
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--archive", required = true, paramLabel = "DIR",
            description = "Directory holding binlog files named <basename>.<number>.")
    Path dir;

    @Option(names = "--basename", paramLabel = "NAME", description = "Only files with this basename (default: all).")
    String basename;

    @Option(names = "--config", paramLabel = "FILE", description = "The proxy's configuration: with tiering, every"
            + " tiered file is checked too (a local copy and the object against the record; a file only the bucket"
            + " holds is fetched and validated).")
    Path config;

    @Override
    public Integer call() throws IOException {
        Optional<TieringSettings> tiering;
        try {
            tiering = TieredArchive.settings(config);
        } catch (ConfigException e) {
            System.out.println("verify: --config " + config + ": " + e.getMessage());
            return 2;
        }
        int tieredBad = 0;
        if (tiering.isPresent()) {
            if (!Files.isDirectory(dir)) {
                System.out.println("verify: --archive " + dir + ": not a directory");
                return 2;
            }
            tieredBad = verifyTiered(dir, tiering.get(), System.out);
        }
        int local = verify(dir, basename, System.out);
        return local != 0 ? local : tieredBad == 0 ? 0 : 1;
    }

    /**
     * The tiered files: each recorded file's object must match the record (size, SHA-256); a file still on disk
     * must match it too; a file only the bucket holds is fetched (to a temporary file) and validated as a closed
     * binlog whose ROTATE names the next file.
     *
     * @return how many are damaged or missing
     */
    static int verifyTiered(Path dir, TieringSettings settings, PrintStream out) throws IOException {
        int bad = 0;
        try (Tiering.Remote remote = Tiering.Remote.open(settings, dir)) {
            List<TieredFile> files = remote.files();
            List<Path> local = binlogFiles(dir, null);
            String firstLocal = local.isEmpty() ? null : local.get(0).getFileName().toString();
            for (int i = 0; i < files.size(); i++) {
                TieredFile f = files.get(i);
                String next = i + 1 < files.size() ? files.get(i + 1).name() : firstLocal;
                String status;
                Optional<String> head = remote.headMismatch(f);
                Path copy = dir.resolve(f.name());
                if (head.isPresent()) {
                    status = "DAMAGED in the bucket: " + head.get();
                } else if (Files.exists(copy)) {
                    String sha = sha256(copy);
                    status = sha.equals(f.sha256()) ? "ok, tiered (the object and the local copy match the record)"
                            : "DIFFERS: the local copy's sha256 is " + sha + ", the record's " + f.sha256();
                } else {
                    Path tmp = Files.createTempFile("binlog-proxy-verify-", ".binlog");
                    try {
                        remote.fetch(f, tmp);
                        BinlogFileSummary s = BinlogFileSummary.scan(tmp);
                        if (!s.isValid()) {
                            status = "DAMAGED " + s.damage().orElseThrow();
                        } else if (s.rotate().isPresent() && next != null
                                && !s.rotate().get().nextFile().equals(next)) {
                            status = "BROKEN CHAIN: rotates to " + s.rotate().get().nextFile() + " but the next file"
                                    + " is " + next;
                        } else {
                            status = "ok, tiered only (fetched: sha256, every event and the chain checked)";
                        }
                    } catch (IOException e) {
                        // the object differs from its record, or the store would not give it
                        status = "DAMAGED or unreadable in the bucket: " + e.getMessage();
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
                if (!status.startsWith("ok")) {
                    bad++;
                }
                out.printf("%-24s %12d bytes  %s%n", f.name(), f.size(), status);
            }
            out.printf("tiered: %d files in %s, %s%n", files.size(), settings,
                    bad == 0 ? "all valid" : bad + " damaged or missing");
        }
        return bad;
    }

    private static String sha256(Path file) throws IOException {
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                md.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    static int verify(Path dir, String basename, PrintStream out) throws IOException {
        if (!Files.isDirectory(dir)) {
            out.println("verify: --archive " + dir + ": not a directory");
            return 2;
        }
        List<Path> files = binlogFiles(dir, basename);
        if (files.isEmpty()) {
            out.println("verify: no binlog files in " + dir);
            return 1;
        }
        int bad = 0;
        long transactions = 0;
        boolean archive = isArchive(dir);
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            BinlogFileSummary s = BinlogFileSummary.scan(f);
            transactions += s.transactions();
            String status;
            if (archive && i == files.size() - 1 && !s.isValid()
                    && s.damage().orElseThrow().kind() == BinlogDamage.Kind.TRUNCATED_TAIL) {
                // a running proxy is writing it, or a killed one left it: the next start cuts the tail
                status = "ok, open: unfinished tail after offset " + s.lastBoundary() + " (being written, or cut at"
                        + " the next start)";
            } else if (!s.isValid()) {
                status = "DAMAGED " + s.damage().orElseThrow();
                bad++;
            } else if (i + 1 < files.size() && s.rotate().isPresent()
                    && !s.rotate().get().nextFile().equals(files.get(i + 1).getFileName().toString())) {
                status = "BROKEN CHAIN: rotates to " + s.rotate().get().nextFile() + " but the next file is "
                        + files.get(i + 1).getFileName();
                bad++;
            } else if (s.endsInTransaction()) {
                status = "ok, open: partial transaction after offset " + s.lastBoundary();
            } else {
                status = s.rotate().isPresent() ? "ok, closed" : s.stopped() ? "ok, stopped"
                        // not the newest and no ROTATE: its master died here (a failover's epoch ends so)
                        : i + 1 < files.size() ? "ok, ended without ROTATE (its master stopped here; "
                        + files.get(i + 1).getFileName() + " follows)" : "ok, open";
            }
            out.printf("%-24s %12d bytes %9d events %8d transactions  %s%n", f.getFileName(), s.fileSize(),
                    s.events(), s.transactions(), status);
        }
        out.printf("%d files, %d transactions, %s%n", files.size(), transactions,
                bad == 0 ? "all valid" : bad + " damaged");
        if (archive) {
            // An archive also has its index journal: checked entry by entry against the files' events, read-only
            // (a running proxy may be writing this archive).
            VerifyReport r = BinlogArchive.verifyInPlace(dir);
            r.fileProblems().forEach(p -> out.println("archive: " + p));
            r.notes().forEach(n -> out.println("note: " + n));
            if (r.indexAgrees()) {
                out.printf("index: %d entries agree with the files%n", r.indexEntries());
            } else {
                out.printf("index: DAMAGED after %d agreeing entries: %s (the files are the authority: stop the"
                        + " proxy, delete %s, and the next start rebuilds it from them)%n", r.indexEntries(), String.join("; ", r.indexProblems()),
                        dir.resolve("index"));
            }
            return bad == 0 && r.ok() ? 0 : 1;
        }
        return bad == 0 ? 0 : 1;
    }

    /** A binlog-proxy archive, as opposed to a plain directory of binlogs: it has the identity file or an index. */
    static boolean isArchive(Path dir) {
        return Files.exists(dir.resolve("archive.properties")) || Files.isDirectory(dir.resolve("index"));
    }

    /** Files named basename.NNNNNN, in binlog order (numeric, so .999999 sorts before .1000000). */
    static List<Path> binlogFiles(Path dir, String basename) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.filter(Files::isRegularFile).forEach(p -> {
                String name = p.getFileName().toString();
                int dot = name.lastIndexOf('.');
                if (dot > 0 && dot < name.length() - 1 && name.substring(dot + 1).chars().allMatch(Character::isDigit)
                        && (basename == null || name.substring(0, dot).equals(basename))) {
                    out.add(p);
                }
            });
        }
        out.sort(Comparator.comparing(p -> BinlogPosition.startOf(p.getFileName().toString())));
        return out;
    }
}
