package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code binlog-proxy verify} on copies of a real MariaDB master's binlogs, intact and damaged. */
class VerifyCommandTest {
    @TempDir
    Path dir;

    private String run(Path archive, int expectedExit) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit = VerifyCommand.verify(archive, null, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, out);
        return out;
    }

    @Test
    void intactCopiesVerifyAndDamageIsNamedWithItsOffset() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().build())) {
            master.execute("CREATE DATABASE v", "CREATE TABLE v.t (id INT PRIMARY KEY, s VARCHAR(20))");
            for (int i = 0; i < 50; i++) {
                master.execute("INSERT INTO v.t VALUES (" + i + ", 'row')");
                if (i % 20 == 19) {
                    master.execute("FLUSH BINARY LOGS");
                }
            }
            List<BinaryLog> logs = master.showBinaryLogs();
            for (BinaryLog log : logs) {
                Files.write(dir.resolve(log.name()), master.readBinlog(log.name()));
            }
            String ok = run(dir, 0);
            assertTrue(ok.contains(logs.size() + " files, 52 transactions, all valid"), ok);
            assertTrue(ok.contains("ok, closed"), ok);

            // flip one byte in the middle of the first file: corruption, with the event's offset
            Path first = dir.resolve(logs.get(0).name());
            byte[] bytes = Files.readAllBytes(first);
            bytes[bytes.length / 2] ^= 0x10;
            Files.write(first, bytes);
            String bad = run(dir, 1);
            assertTrue(bad.contains("DAMAGED CORRUPT at offset"), bad);
            assertTrue(bad.contains("1 damaged"), bad);
        }
    }

    @Test
    void missingDirectoryIsAUsageError() throws Exception {
        String out = run(dir.resolve("nope"), 2);
        assertTrue(out.contains("not a directory"), out);
    }
}
