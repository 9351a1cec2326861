package dev.binlogproxy.proxy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The export command's option checks (the export itself is tested on real archives in ExportPitrTest). */
class ExportCommandTest {
    @TempDir
    Path dir;

    private String run(int expectedExit, String... args) throws Exception {
        ExportCommand cmd = new ExportCommand();
        new CommandLine(cmd).parseArgs(args);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit = cmd.run(new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, out);
        return out;
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() throws Exception {
        String a = dir.toString();
        String o = dir.resolve("out").toString();
        assertTrue(run(2, "--archive", a, "--out", o, "--start-file", "b.000001", "--start-after-gtid", "0-1-2")
                .contains("give one of --start-file, --start-after-gtid, --start-datetime"));
        assertTrue(run(2, "--archive", a, "--out", o, "--start-position", "120").contains("--start-position needs --start-file"));
        assertTrue(run(2, "--archive", a, "--out", o, "--stop-datetime", "yesterday").contains("yesterday: not a time"));
        assertTrue(run(2, "--archive", a, "--out", o, "--stop-gtid", "nope").contains("--stop-gtid nope: not a GTID"));
        assertTrue(run(2, "--archive", a, "--out", o, "--stop-gtid", "0-1-2", "--stop-datetime", "2026-01-01 00:00:00")
                .contains("not both"));
        assertTrue(run(1, "--archive", dir.resolve("missing").toString(), "--out", o).contains("is not a directory"));
        assertTrue(run(1, "--archive", a, "--out", o).contains("no binlog files in"));
    }

    @Test
    void timesAreIsoOrTheToolsLocalFormat() {
        assertEquals(Instant.parse("2026-11-21T13:00:00Z"), ExportCommand.time("2026-11-21T14:00:00+01:00"));
        assertEquals(java.time.LocalDateTime.of(2026, 11, 21, 14, 0).atZone(java.time.ZoneId.systemDefault())
                .toInstant(), ExportCommand.time("2026-11-21 14:00:00"));
    }
}
