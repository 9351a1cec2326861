package dev.binlogproxy.upstream;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.MasterInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A master whose binary logs end before the archive's resume point has lost history (refused, FAILED); a binlog
 * proxy in the same place is only behind (retried): the difference is what its @@version_comment says.
 */
class ResumeChecksTest {
    private static final BinlogPosition RESUME = new BinlogPosition("mysql-bin.000012", 5000);

    private static MasterInfo upstream(String versionComment, MasterInfo.MasterLog... logs) {
        return new MasterInfo(BinlogFlavor.MARIADB, "10.11.6-MariaDB-log", versionComment, 1, null,
                ChecksumAlgorithm.CRC32, true, List.of(logs));
    }

    private static MasterInfo.MasterLog log(int n, long size) {
        return new MasterInfo.MasterLog(String.format("mysql-bin.%06d", n), size);
    }

    @Test
    void aMasterThatEndsBeforeTheArchiveIsAnotherHistory() {
        UpstreamException e = assertThrows(UpstreamException.class, () -> ResumeChecks.checkMasterHas("m:3306",
                upstream("MariaDB Server", log(10, 9000), log(11, 700)), RESUME));
        assertTrue(e.getMessage().startsWith("this master's history differs from the archive at mysql-bin.000012:5000"
                + ": the master's binary logs end with mysql-bin.000011 (700 bytes)"), e.getMessage());
        e = assertThrows(UpstreamException.class, () -> ResumeChecks.checkMasterHas("m:3306",
                upstream("MariaDB Server", log(11, 9000), log(12, 4999)), RESUME));
        assertTrue(e.getMessage().contains("the master's mysql-bin.000012 is 4999 bytes, the archive holds it up to"
                + " 5000"), e.getMessage());
    }

    @Test
    void aProxyThatEndsBeforeTheArchiveIsBehindAndRetried() {
        UpstreamBehindException e = assertThrows(UpstreamBehindException.class, () -> ResumeChecks.checkMasterHas(
                "b:3307", upstream(MasterInfo.BINLOG_PROXY, log(10, 9000), log(11, 700)), RESUME));
        assertTrue(e.getMessage().contains("binlog proxy whose binary logs end at mysql-bin.000011:700, before the"
                + " archive's mysql-bin.000012:5000"), e.getMessage());
        assertThrows(UpstreamBehindException.class, () -> ResumeChecks.checkMasterHas("b:3307",
                upstream(MasterInfo.BINLOG_PROXY, log(11, 9000), log(12, 4999)), RESUME));
        assertDoesNotThrow(() -> ResumeChecks.checkMasterHas("b:3307",
                upstream(MasterInfo.BINLOG_PROXY, log(11, 9000), log(12, 5000)), RESUME));
    }

    @Test
    void aProxyWithAGapOrWithoutTheFileIsStillRefused() {
        // behind is only "not there yet": a file missing in the middle, or purged, is not a lag
        assertThrows(UpstreamException.class, () -> ResumeChecks.checkMasterHas("b:3307",
                upstream(MasterInfo.BINLOG_PROXY, log(11, 9000), log(13, 700)), RESUME));
        assertThrows(UpstreamException.class, () -> ResumeChecks.checkMasterHas("b:3307",
                upstream(MasterInfo.BINLOG_PROXY, log(13, 9000), log(14, 700)), RESUME));
    }
}
