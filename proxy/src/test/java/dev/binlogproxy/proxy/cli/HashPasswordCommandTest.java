package dev.binlogproxy.proxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.binlogproxy.proxy.config.ProxyConfig;

/** What hash-password prints pastes into a configuration that then holds the password's hashes. */
class HashPasswordCommandTest {

    @Test
    void printedEntryIsAValidServerUser() throws Exception {
        InputStream in = System.in;
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream("change-me\n".getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            assertEquals(0, BinlogProxyCli.run("hash-password", "--user", "repl"));
        } finally {
            System.setIn(in);
            System.setOut(out);
        }
        String entry = captured.toString(StandardCharsets.UTF_8);
        // the same values as MySQL's PASSWORD() and SHA2(UNHEX(SHA2('change-me', 256)), 256)
        assertTrue(entry.contains("mysqlNativePassword: '*6D8E7CA2D13CBEBC74BE7EF3A2976000952DCE92'"), entry);
        assertTrue(entry.contains("cachingSha2Password: "
                + "'2ba9f15fcdcd7c3d2fa6bac0f2c78b5a9c583c9f345187eb117e004715dafafc'"), entry);
        ProxyConfig c = ProxyConfig.parse("""
                upstream: {host: h, user: u, serverId: 2}
                archive: {dir: /tmp/x}
                server:
                  users:
                """ + entry, null);
        var user = c.server().users().get(0);
        assertEquals("repl", user.name());
        assertTrue(user.password().checkSha2Cleartext("change-me".getBytes(StandardCharsets.UTF_8)));
    }
}
