package dev.binlogproxy.failover;

import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.client.TlsMode;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * Asks a server whether it is alive with a real SQL round trip over mysql-connector-j, a client this project did
 * not write: a bug in our own client can then neither hide a dead master nor make a live one look dead. A probe
 * that connects, logs in and gets {@code SELECT 1} answered within its timeout says alive; anything else says not.
 */
final class MasterProbe {
    private final Duration timeout;

    MasterProbe(Duration timeout) {
        this.timeout = timeout;
    }

    /** Null when the server answered; else why not. */
    String probe(ConnectionSettings s) {
        Properties p = new Properties();
        p.setProperty("user", s.user());
        p.setProperty("password", s.password().reveal());
        int millis = (int) Math.max(50, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        p.setProperty("connectTimeout", Integer.toString(millis));
        p.setProperty("socketTimeout", Integer.toString(millis));
        // liveness only: encrypt as the upstream does, without checking certificates (the mirror checks those)
        p.setProperty("sslMode", s.tlsMode() == TlsMode.DISABLED ? "DISABLED" : "PREFERRED");
        p.setProperty("allowPublicKeyRetrieval", "true");
        p.setProperty("connectionAttributes", "program_name:binlog-proxy-probe");
        try (Connection c = DriverManager.getConnection("jdbc:mysql://" + s.host() + ":" + s.port() + "/", p);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1")) {
            return rs.next() ? null : "SELECT 1 returned no row";
        } catch (SQLException e) {
            return e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString());
        }
    }
}
