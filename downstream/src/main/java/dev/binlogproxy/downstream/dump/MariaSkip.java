package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.txn.EventRole;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a MariaDB master skips when a replica connects by GTID (seen on 10.11): from the start of the chosen file
 * it sends the control events (GTID_LIST, BINLOG_CHECKPOINT, ROTATE) but, per domain, no event group up to and
 * including the replica's GTID of that domain. Once the last domain's GTID has passed it sends a fake GTID_LIST
 * (ARTIFICIAL, log_pos = where sending resumes) holding the binlog state reached, and from then on everything.
 */
final class MariaSkip implements GtidSkip {

    private final Map<Long, MariaGtid> until;
    /** The binlog state, one GTID per (domain, server) like the GTID_LIST event, in first-seen order. */
    private final Map<List<Long>, MariaGtid> state = new LinkedHashMap<>();
    private boolean inGroup;
    private boolean skippingGroup;
    private MariaGtid groupGtid;

    MariaSkip(Map<Long, MariaGtid> until, List<MariaGtid> fileGtidList) {
        this.until = new LinkedHashMap<>(until);
        for (MariaGtid g : fileGtidList) {
            state.put(List.of(g.domainId(), g.serverId()), g);
        }
    }

    @Override
    public boolean leaveOut(ArchiveReader.Entry e, int type, EventRole role, ChecksumAlgorithm checksum,
                            StandIns out) throws IOException {
        if (type == EventType.MARIA_GTID.code()) {
            groupGtid = gtidOf(e, checksum);
            state.remove(List.of(groupGtid.domainId(), groupGtid.serverId()));
            state.put(List.of(groupGtid.domainId(), groupGtid.serverId()), groupGtid);
            inGroup = true;
            skippingGroup = until.containsKey(groupGtid.domainId());
        } else if (!inGroup) {
            return false; // control events between groups
        }
        if (role == EventRole.END || role == EventRole.COMPLETE) {
            inGroup = false;
            boolean skipped = skippingGroup;
            skippingGroup = false;
            if (skipped && groupGtid.equals(until.get(groupGtid.domainId()))) {
                until.remove(groupGtid.domainId());
                if (until.isEmpty()) {
                    out.gtidList(e.end(), new ArrayList<>(state.values()));
                }
            }
            return skipped;
        }
        return skippingGroup;
    }

    @Override
    public void batchEnded(StandIns out) {
        // MariaDB says nothing while it skips
    }

    @Override
    public boolean finished() {
        return until.isEmpty();
    }

    @Override
    public boolean clearsFirstCreateTimestamp() {
        return true;
    }

    /** The GTID of an entry (a GTID event is always copied). */
    private static MariaGtid gtidOf(ArchiveReader.Entry e, ChecksumAlgorithm checksum) throws IOException {
        try {
            return MariaGtidEvent.decode(e.event(), checksum).gtid();
        } catch (MalformedEventException bad) {
            throw new IOException(e.file() + ":" + e.offset() + ": bad GTID event: " + bad.getMessage(), bad);
        }
    }
}
