package dev.binlogproxy.downstream.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.binlogproxy.downstream.admin.Statement.Admin;

/** The spellings real clients send (protocol-notes sections 2 and 7) all parse to the same statements. */
class StatementParserTest {

    private static Statement parse(String sql) throws Exception {
        return StatementParser.parse(sql);
    }

    @Test
    void systemVariablesInEveryQuoting() throws Exception {
        for (String sql : List.of("SELECT @@GLOBAL.SERVER_ID", "select @@global.server_id", "SELECT  @@global.`server_id`",
                "/* mysql-connector-j */ SELECT @@GLOBAL.server_id;", "SELECT @@global.server_id -- why\\n")) {
            Statement.Select s = assertInstanceOf(Statement.Select.class, parse(sql), sql);
            assertEquals(List.of(new Statement.Item(new Statement.SysVarRef("global", "server_id"),
                    s.items().get(0).label())), s.items(), sql);
        }
        Statement.Select s = (Statement.Select) parse("SELECT @@session.auto_increment_increment AS "
                + "auto_increment_increment, @@character_set_client AS `cs`, @@version 'v' LIMIT 1");
        assertEquals(List.of("auto_increment_increment", "cs", "v"), s.items().stream().map(Statement.Item::label)
                .toList());
        assertEquals(1, s.limit());
        assertEquals("@@GLOBAL.SERVER_UUID", ((Statement.Select) parse("SELECT @@GLOBAL.SERVER_UUID")).items().get(0)
                .label(), "the column is named after the text, as mysqld names it");
    }

    @Test
    void setsOfUserAndSessionVariables() throws Exception {
        Statement.SetStatement s = (Statement.SetStatement) parse("SET @master_binlog_checksum= @@global.binlog_checksum,"
                + " @source_binlog_checksum = @@global.binlog_checksum");
        assertEquals(new Statement.Assignment(new Statement.UserVarTarget("master_binlog_checksum"),
                new Statement.SysVarRef("global", "binlog_checksum")), s.assignments().get(0));
        Statement.SetStatement hb = (Statement.SetStatement) parse("SET @master_heartbeat_period = 1799999979520");
        assertEquals(new Statement.Literal("1799999979520"), hb.assignments().get(0).value());
        Statement.SetStatement st = (Statement.SetStatement) parse("SET @slave_connect_state='0-1-100,1-2-5'");
        assertEquals(new Statement.Literal("0-1-100,1-2-5"), st.assignments().get(0).value());
        Statement.SetStatement sys = (Statement.SetStatement) parse("SET SESSION net_read_timeout=600, autocommit=1");
        assertEquals(new Statement.SysVarTarget("session", "net_read_timeout"), sys.assignments().get(0).target());
        assertEquals(new Statement.SysVarTarget("session", "autocommit"), sys.assignments().get(1).target());
        assertInstanceOf(Statement.CharsetTarget.class,
                ((Statement.SetStatement) parse("SET NAMES utf8mb4 COLLATE utf8mb4_general_ci")).assignments().get(0)
                        .target());
        assertEquals(new Statement.UserVarTarget("a b"),
                ((Statement.SetStatement) parse("SET @`a b` := 1")).assignments().get(0).target());
    }

    @Test
    void oldAndNewSpellingsOfAdminStatements() throws Exception {
        assertEquals(new Statement.Show(Admin.MASTER_STATUS), parse("SHOW MASTER STATUS"));
        assertEquals(new Statement.Show(Admin.MASTER_STATUS), parse("show binary log status"));
        assertEquals(new Statement.Show(Admin.BINARY_LOGS), parse("SHOW BINARY LOGS"));
        assertEquals(new Statement.Show(Admin.BINARY_LOGS), parse("show master logs"));
        assertEquals(new Statement.Show(Admin.REPLICAS), parse("SHOW SLAVE HOSTS"));
        assertEquals(new Statement.Show(Admin.REPLICAS), parse("SHOW REPLICAS"));
        assertEquals(new Statement.Show(Admin.REPLICA_STATUS), parse("SHOW SLAVE STATUS"));
        assertEquals(new Statement.Show(Admin.REPLICA_STATUS), parse("show replica status"));
        assertEquals(new Statement.Show(Admin.REPLICA_STATUS), parse("SHOW ALL SLAVES STATUS"));
        assertEquals(new Statement.Purge("mysql-bin.000003", null), parse("PURGE BINARY LOGS TO 'mysql-bin.000003'"));
        assertEquals(new Statement.Purge(null, "2026-12-01 10:00:00"),
                parse("purge master logs before '2026-12-01 10:00:00'"));
        assertEquals(new Statement.Kill(42, false), parse("KILL 42"));
        assertEquals(new Statement.Kill(42, true), parse("KILL QUERY 42"));
    }

    @Test
    void showVariablesFilters() throws Exception {
        assertEquals(new Statement.ShowVariables(false, "binlog_checksum", null),
                parse("show global variables like 'binlog_checksum'"));
        assertEquals(new Statement.ShowVariables(false, null, List.of("rpl_semi_sync_master_enabled",
                        "rpl_semi_sync_source_enabled")),
                parse("SHOW VARIABLES WHERE Variable_name IN ('rpl_semi_sync_master_enabled', "
                        + "'rpl_semi_sync_source_enabled')"));
        assertEquals(new Statement.ShowVariables(true, "Rpl_semi_sync%", null),
                parse("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'"));
        assertEquals(true, QueryHandler.likePattern("rpl\\_semi%").matcher("RPL_SEMI_sync").matches());
        assertEquals(false, QueryHandler.likePattern("rpl\\_semi%").matcher("rplXsemi").matches());
    }

    @Test
    void whatIsNotAnsweredIsRefusedNotGuessed() {
        for (String sql : List.of("", "DROP TABLE t", "SELECT * FROM mysql.user", "SET @a = ", "SELECT 'open",
                "SHOW TABLES", "PURGE BINARY LOGS TO", "SELECT @@")) {
            assertThrows(StatementParser.Unsupported.class, () -> parse(sql), sql);
        }
    }
}
