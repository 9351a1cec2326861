package dev.binlogproxy.upstream;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.MasterInfo;

import java.util.List;

/**
 * Whether a master can continue the archive, said with what was actually seen. A master is identified by more than
 * its server_id and basename (on MariaDB the archive has nothing else: server_uuid is empty): before the dump its
 * list of binary logs must hold the archive's resume file at least as far as the archive does, and the dump then
 * starts at the archive's last transaction, which must come again byte for byte (see DumpSession). Any
 * difference stops the mirror with nothing written: following another history is failover's explicit adopt.
 */
final class ResumeChecks {
    private ResumeChecks() {
    }

    /** The message every refusal of another history starts with. */
    static UpstreamException differs(String address, BinlogPosition at, String seen) {
        return new UpstreamException("this master's history differs from the archive at " + at + ": " + seen
                + " (master " + address + "; nothing was written; a master that replaced the old one is followed"
                + " only through a failover's adopt, or with a fresh archive)");
    }

    /**
     * Refuses a master whose binary logs cannot continue at {@code resume}: the file purged (older than its
     * oldest), never written (newer than its newest: another master, or its logs were reset), missing in the middle
     * of its list, or shorter than the archive holds it. An upstream binlog proxy whose logs end before
     * {@code resume} is behind, not different: that is an {@link UpstreamBehindException}, which the mirror retries.
     */
    static void checkMasterHas(String address, MasterInfo master, BinlogPosition resume)
            throws UpstreamException, UpstreamBehindException {
        List<MasterInfo.MasterLog> logs = master.binlogs();
        MasterInfo.MasterLog oldest = logs.get(0);
        MasterInfo.MasterLog newest = logs.get(logs.size() - 1);
        if (!master.hasBinlog(resume.file())) {
            if (BinlogPosition.compareFiles(resume.file(), oldest.name()) < 0) {
                throw new UpstreamException("the master " + address + " no longer has " + resume.file()
                        + ", where the archive resumes: its oldest binary log is " + oldest.name()
                        + " (purged); transactions after " + resume + " cannot be mirrored");
            }
            if (BinlogPosition.compareFiles(resume.file(), newest.name()) > 0) {
                if (master.isBinlogProxy()) {
                    throw behind(address, resume, newest);
                }
                throw differs(address, resume, "the master's binary logs end with " + newest.name() + " ("
                        + newest.size() + " bytes), before the archive's " + resume.file()
                        + " (another master with the same identity, or its binary logs were reset)");
            }
            throw differs(address, resume, "the master has no " + resume.file() + " between " + oldest.name()
                    + " and " + newest.name());
        }
        for (MasterInfo.MasterLog l : logs) {
            if (l.name().equals(resume.file()) && l.size() < resume.offset()) {
                if (master.isBinlogProxy()) {
                    throw behind(address, resume, l);
                }
                throw differs(address, resume, "the master's " + l.name() + " is " + l.size()
                        + " bytes, the archive holds it up to " + resume.offset()
                        + " (another master with the same identity, or a master that lost transactions it had sent)");
            }
        }
    }

    private static UpstreamBehindException behind(String address, BinlogPosition resume, MasterInfo.MasterLog end) {
        return new UpstreamBehindException("the upstream " + address + " is a binlog proxy whose binary logs end at "
                + end.name() + ":" + end.size() + ", before the archive's " + resume + ": waiting for it to catch up"
                + " (nothing is written meanwhile)");
    }
}
