package dev.binlogproxy.binlog.live;

import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.testkit.RealServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * MySqlGtidSet's text form and set algebra against MySQL 8.0.15's own GTID functions, on random sets:
 * GTID_SUBTRACT(s, '') is the server's normalised text of s; GTID_SUBTRACT and GTID_SUBSET are the oracles for
 * subtract and containsAll.
 */
class MySqlGtidSetServerOracleTest {
    @RegisterExtension
    static final RealServer MYSQL = RealServer.mysql().build();

    private static String randomSetText(SplittableRandom rnd, List<UUID> uuids) {
        List<String> parts = new ArrayList<>();
        for (UUID u : uuids) {
            if (rnd.nextInt(3) == 0) {
                continue;
            }
            StringBuilder sb = new StringBuilder(rnd.nextBoolean() ? u.toString() : u.toString().toUpperCase());
            int intervals = 1 + rnd.nextInt(4);
            for (int i = 0; i < intervals; i++) {
                long start = 1 + rnd.nextInt(60);
                sb.append(':').append(start);
                if (rnd.nextBoolean()) {
                    sb.append('-').append(start + rnd.nextInt(15));
                }
            }
            parts.add(sb.toString());
        }
        return String.join(rnd.nextBoolean() ? "," : ",\n", parts);
    }

    @Test
    void textAndAlgebraMatchTheServer() {
        SplittableRandom rnd = new SplittableRandom(42);
        List<UUID> uuids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            uuids.add(new UUID(rnd.nextLong(), rnd.nextLong()));
        }
        for (int round = 0; round < 150; round++) {
            String a = randomSetText(rnd, uuids);
            String b = randomSetText(rnd, uuids);
            MySqlGtidSet sa = MySqlGtidSet.parse(a);
            MySqlGtidSet sb = MySqlGtidSet.parse(b);
            String serverNormal = MYSQL.server().queryValue("SELECT GTID_SUBTRACT('" + a + "', '')");
            assertEquals(serverNormal, sa.toServerString(), "normalised text of " + a);
            assertEquals(serverNormal.replace(",\n", ","), sa.toString());
            assertEquals(MYSQL.server().queryValue("SELECT GTID_SUBTRACT('" + a + "', '" + b + "')"),
                    sa.subtract(sb).toServerString(), a + " minus " + b);
            assertEquals("1".equals(MYSQL.server().queryValue("SELECT GTID_SUBSET('" + b + "', '" + a + "')")),
                    sa.containsAll(sb), b + " subset of " + a);
            // union through the server: (a - b) + b has the GTIDs of both
            assertEquals(MySqlGtidSet.parse(MYSQL.server().queryValue("SELECT GTID_SUBTRACT('" + a + "', '')"))
                    .union(sb), sa.union(sb));
        }
    }
}
