package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Starts MySQL and MariaDB at the same time, each with non-default options, and reads the options back. */
class OptionsTakeEffectTest {

    private static final byte[] BINLOG_MAGIC = {(byte) 0xfe, 'b', 'i', 'n'};

    private static DbServer mysql;
    private static DbServer mysqlNoGtid;
    private static DbServer mariadb;

    @BeforeAll
    static void startAllAtOnce() {
        CompletableFuture<DbServer> my = CompletableFuture.supplyAsync(() -> DbServer.start(ServerOptions.mysql()
                .serverId(4242).binlogChecksum("NONE").maxBinlogSize(1 << 20).maxAllowedPacket(32 << 20)
                .logBasename("source-bin").extraFlag("--sync-binlog=0").build()));
        CompletableFuture<DbServer> myNoGtid = CompletableFuture.supplyAsync(() -> DbServer.start(
                ServerOptions.mysql().gtid(false).binlogFormat("MIXED").build()));
        CompletableFuture<DbServer> maria = CompletableFuture.supplyAsync(() -> DbServer.start(ServerOptions.mariadb()
                .serverId(4343).binlogChecksum("NONE").maxBinlogSize(1 << 20).semiSyncMaster(true).build()));
        try {
            CompletableFuture.allOf(my, myNoGtid, maria).join();
        } catch (RuntimeException e) {
            // A failed start must not leak the servers that did start.
            for (CompletableFuture<DbServer> f : List.of(my, myNoGtid, maria)) {
                f.thenAccept(DbServer::close);
            }
            throw e;
        }
        mysql = my.join();
        mysqlNoGtid = myNoGtid.join();
        mariadb = maria.join();
    }

    @AfterAll
    static void closeAll() {
        for (DbServer s : Arrays.asList(mysql, mysqlNoGtid, mariadb)) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    void mysqlRunsWithTheRequestedOptions() {
        assertEquals("8.0.15", mysql.version());
        assertEquals(4242, mysql.serverId());
        assertEquals("4242", mysql.queryValue("SELECT @@server_id"));
        assertEquals("NONE", mysql.queryValue("SELECT @@binlog_checksum"));
        assertEquals("ON", mysql.queryValue("SELECT @@gtid_mode"));
        assertEquals("ON", mysql.queryValue("SELECT @@enforce_gtid_consistency"));
        assertEquals("ROW", mysql.queryValue("SELECT @@binlog_format"));
        assertEquals(String.valueOf(1 << 20), mysql.queryValue("SELECT @@max_binlog_size"));
        assertEquals(String.valueOf(32 << 20), mysql.queryValue("SELECT @@max_allowed_packet"));
        assertEquals("0", mysql.queryValue("SELECT @@sync_binlog"), "extra flags win over kit defaults");
        assertEquals("1", mysql.queryValue("SELECT @@innodb_flush_log_at_trx_commit"), "durability untouched");
        assertEquals("0", mysql.queryValue("SELECT @@performance_schema"));
        assertNotNull(mysql.serverUuid());
        assertEquals(mysql.serverUuid(), mysql.queryValue("SELECT @@server_uuid"));
    }

    @Test
    void mysqlWithoutGtids() {
        assertEquals("OFF", mysqlNoGtid.queryValue("SELECT @@gtid_mode"));
        assertEquals("MIXED", mysqlNoGtid.queryValue("SELECT @@binlog_format"));
        assertEquals("CRC32", mysqlNoGtid.queryValue("SELECT @@binlog_checksum"));
        assertTrue(mysqlNoGtid.serverId() >= 100, "default ids start at 100");
    }

    @Test
    void mariadbRunsWithTheRequestedOptions() {
        assertTrue(mariadb.version().contains("MariaDB"), mariadb.version());
        assertEquals("4343", mariadb.queryValue("SELECT @@server_id"));
        assertEquals("NONE", mariadb.queryValue("SELECT @@binlog_checksum"));
        assertEquals(String.valueOf(1 << 20), mariadb.queryValue("SELECT @@max_binlog_size"));
        assertEquals("1", mariadb.queryValue("SELECT @@rpl_semi_sync_master_enabled"));
        assertEquals("0", mariadb.queryValue("SELECT @@rpl_semi_sync_slave_enabled"));
        assertEquals("0", mariadb.queryValue("SELECT @@performance_schema"));
        assertEquals("1", mariadb.queryValue("SELECT @@log_slave_updates"));
        assertNull(mariadb.serverUuid());
    }

    @Test
    void binlogsAreReadableFilesInTheBinlogDir() {
        mysql.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1)");
        List<BinaryLog> logs = mysql.showBinaryLogs();
        assertEquals("source-bin.000001", logs.get(0).name());
        byte[] bytes = mysql.readBinlog(logs.get(0).name());
        // Even with sync_binlog=0 the server has written (not synced) the file before it answers.
        assertEquals(logs.get(0).size(), bytes.length);
        assertArrayEquals(BINLOG_MAGIC, Arrays.copyOf(bytes, 4));
        assertTrue(Files.exists(mysql.binlogDir().resolve("source-bin.index")));

        List<BinaryLog> mariaLogs = mariadb.showBinaryLogs();
        assertEquals("mysql-bin.000001", mariaLogs.get(0).name());
        assertArrayEquals(BINLOG_MAGIC, Arrays.copyOf(mariadb.readBinlog("mysql-bin.000001"), 4));
    }

    @Test
    void kitSetupIsNotBinlogged() {
        String mariaBefore = mariadb.queryValue("SELECT @@gtid_binlog_pos");
        long mariaSize = last(mariadb.showBinaryLogs()).size();
        mariadb.createReplicationUser("repl_check", "pw");
        assertEquals(mariaBefore, mariadb.queryValue("SELECT @@gtid_binlog_pos"));
        assertEquals(mariaSize, last(mariadb.showBinaryLogs()).size());

        String mysqlBefore = mysql.queryValue("SELECT @@gtid_executed");
        mysql.createReplicationUser("repl_check", "pw", "mysql_native_password");
        assertEquals(mysqlBefore, mysql.queryValue("SELECT @@gtid_executed"));
        assertEquals("mysql_native_password",
                mysql.queryValue("SELECT plugin FROM mysql.user WHERE user = 'repl_check'"));
    }

    private static BinaryLog last(List<BinaryLog> logs) {
        return logs.get(logs.size() - 1);
    }

    @Test
    void distinctInstancesDistinctIdentities() {
        assertNotEquals(mysql.port(), mysqlNoGtid.port());
        assertNotEquals(mysql.serverUuid(), mysqlNoGtid.serverUuid());
        assertNotEquals(mysql.instanceDir(), mysqlNoGtid.instanceDir());
        assertNotEquals(mysql.port(), mariadb.port());
    }
}
