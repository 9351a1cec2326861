package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServerOptionsTest {

    @Test
    void defaultsSuitTests() {
        ServerOptions o = ServerOptions.mysql().build();
        assertEquals(Flavor.MYSQL, o.flavor());
        assertTrue(o.gtid());
        assertEquals("CRC32", o.binlogChecksum());
        assertEquals("ROW", o.binlogFormat());
        assertEquals("mysql-bin", o.logBasename());
        assertTrue(o.serverId().isEmpty(), "the id is picked per started server, not per options object");
    }

    @Test
    void semiSyncIsRejectedForMysql() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.mysql().semiSyncMaster(true).build());
        assertEquals("MySQL 8.0.15 tarball ships no semisync plugin", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RealServer.mysql().semiSyncSlave(true).build());
    }

    @Test
    void malformedValuesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.mariadb().binlogChecksum("MD5"));
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.mariadb().binlogFormat("JSON"));
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.mariadb().logBasename("../x"));
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.mariadb().extraFlag("sync-binlog=0"));
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.mariadb().extraFlag("--defaults-file=x"));
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.mariadb().maxBinlogSize(100));
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.mariadb().serverId(0));
    }

    @Test
    void toBuilderKeepsEverything() {
        ServerOptions o = ServerOptions.mariadb().binlogChecksum("none").serverId(7).semiSyncSlave(true)
                .maxBinlogSize(8192).extraFlag("--sync-binlog=1").build();
        assertEquals(o.toString(), o.toBuilder().build().toString());
    }
}
