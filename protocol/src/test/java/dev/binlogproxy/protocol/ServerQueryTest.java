package dev.binlogproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.packet.TextResultSet;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.testkit.ServerOptions;

/** COM_QUERY and the text result set reader against both real servers, checked against the kit's JDBC view. */
@ExtendWith(NoLeaks.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ServerQueryTest {

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void selectServerIdAndVersionAndShowBinaryLogs(Flavor flavor) {
        try (DbServer server = DbServer.start(ServerOptions.builder(flavor).build())) {
            server.createReplicationUser("repl", "repl-pw");
            server.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(300))",
                    "INSERT INTO d.t VALUES (1, NULL), (2, REPEAT('x', 300))");
            server.flushBinaryLogs();
            Authenticator auth = Authenticator.builder("repl", "repl-pw").allowPublicKeyRetrieval(true).build();
            try (BlockingClient client = BlockingClient.connect("127.0.0.1", server.port())) {
                client.login(auth, null);

                TextResultSet ids = client.query("SELECT @@server_id, @@version");
                assertEquals(List.of("@@server_id", "@@version"), ids.columnNames());
                assertEquals(List.of(List.of(Integer.toString(server.serverId()), server.version())), ids.rows());

                TextResultSet logs = client.query("SHOW BINARY LOGS");
                assertEquals(flavor == Flavor.MYSQL ? List.of("Log_name", "File_size", "Encrypted")
                        : List.of("Log_name", "File_size"), logs.columnNames());
                List<BinaryLog> expected = server.showBinaryLogs();
                assertEquals(2, expected.size());
                List<List<String>> rows = new ArrayList<>();
                for (BinaryLog log : expected) {
                    rows.add(Arrays.asList(log.name(), Long.toString(log.size())));
                }
                List<List<String>> actual = new ArrayList<>();
                for (List<String> row : logs.rows()) {
                    actual.add(row.subList(0, 2));
                }
                assertEquals(rows, actual);
                assertEquals(ServerStatus.SERVER_STATUS_AUTOCOMMIT,
                        logs.statusFlags() & ServerStatus.SERVER_STATUS_AUTOCOMMIT);

                // A repl user may not read d.t; root can, and sees a NULL and a 300-byte (0xFC-length) value.
                MySqlProtocolException denied = assertThrows(MySqlProtocolException.class,
                        () -> client.query("SELECT v FROM d.t"));
                assertEquals(1142, denied.errorCode(), denied.getMessage()); // ER_TABLEACCESS_DENIED_ERROR
                assertEquals("42000", denied.sqlState());
            }
            try (BlockingClient root = BlockingClient.connect("127.0.0.1", server.port())) {
                root.login(Authenticator.builder("root", "").build(), null);
                TextResultSet values = root.query("SELECT v FROM d.t ORDER BY id");
                assertNull(values.rows().get(0).get(0));
                assertEquals("x".repeat(300), values.rows().get(1).get(0));
                TextResultSet update = root.query("UPDATE d.t SET id = id + 10");
                assertTrue(update.columns().isEmpty(), "an OK reads as a result set without columns");
            }
        }
    }
}
