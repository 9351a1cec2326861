package dev.binlogproxy.binlog.golden;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

/** The golden fixtures read the same through mysql-binlog-connector-java's reader as through ours. */
class GoldenConnectorTest {
    static Stream<Fixtures.Scenario> scenarios() {
        return Fixtures.scenarios();
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void sameEventsAsMysqlBinlogConnector(Fixtures.Scenario s) throws Exception {
        for (Path file : s.files()) {
            ConnectorCrossCheckTest.assertSameAsConnector(file);
        }
    }
}
