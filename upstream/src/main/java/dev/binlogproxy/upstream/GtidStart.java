package dev.binlogproxy.upstream;

import dev.binlogproxy.client.MasterInfo;
import dev.binlogproxy.client.ReplicaHandshake;
import dev.binlogproxy.client.ServerConnection;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.PreviousGtids;
import dev.binlogproxy.binlog.file.GtidStartLocator;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.EventPacket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * Where an empty archive starts when {@code upstream.start.gtid} is set. The archive keeps whole files, so the
 * answer is a file, from position 4: the master's first file holding a transaction that is not in the given set
 * (MySQL) or not reached by the given position (MariaDB). Transactions before it in that file are archived too.
 *
 * <p>Every binlog file begins with what came before it: MySQL's PREVIOUS_GTIDS (the GTID set of all older files),
 * MariaDB's GTID_LIST (the last GTID of each domain and server). Those grow file by file, so the start is the
 * newest file whose header the given GTIDs cover: {@link GtidStartLocator}, the same search a dump's GTID start
 * runs over the archive, here over the master's files, each head probed with a short dump of its first events
 * (the replication privilege is all it needs). If even the oldest file's
 * header is not covered, the transactions between the given GTIDs and that file are purged on the master, and the
 * mirror refuses to start with a gap.
 */
final class GtidStart {
    private static final Logger LOG = LoggerFactory.getLogger(GtidStart.class);
    /** FDE and the GTID header come first; MariaDB may put a BINLOG_CHECKPOINT between them in odd cases. */
    private static final int MAX_PROBE_EVENTS = 6;

    private GtidStart() {
    }

    /** The master file an empty archive starts in, at position 4. */
    static String firstFile(EventLoopGroup group, UpstreamSettings settings, MasterInfo master)
            throws IOException, UpstreamException {
        String text = settings.startGtid();
        boolean mysqlSyntax = text.indexOf(':') >= 0;
        if (mysqlSyntax != (master.flavor() == BinlogFlavor.MYSQL)) {
            throw new UpstreamException("upstream.start.gtid '" + text + "' is a " + (mysqlSyntax ? "MySQL GTID set"
                    : "MariaDB GTID position") + " but the master " + settings.address() + " is " + master.flavor());
        }
        List<MasterInfo.MasterLog> logs = master.binlogs();
        int first;
        try {
            first = mysqlSyntax
                    ? locate(GtidStartLocator.mysql(MySqlGtidSet.parse(text)), logs, i -> PreviousGtids.decode(
                    header(group, settings, master, logs.get(i).name()), master.checksum()).gtids())
                    : locate(GtidStartLocator.mariadb(MariaGtidPosition.parse(text)), logs, i -> MariaGtidList.decode(
                    header(group, settings, master, logs.get(i).name()), master.checksum()).gtids());
        } catch (GtidStartLocator.PurgedException e) {
            throw new UpstreamException("upstream.start.gtid " + text + ": the master's oldest binlog "
                    + logs.get(0).name() + " begins after transactions that are not in it (they were purged on the"
                    + " master), so the archive would have a gap; give older GTIDs or start from a file");
        }
        String file = logs.get(first).name();
        LOG.info("upstream.start.gtid {}: the first transaction after it is in {}; mirroring from {}:4", text, file,
                file);
        return file;
    }

    /** A file's head, fetched from the master (a short dump each: the search reads as few as it can). */
    private interface Head<H> {
        H of(int file) throws IOException, UpstreamException;
    }

    /** The shared search ({@link GtidStartLocator}) over heads read from the master on demand. */
    private static <H> int locate(GtidStartLocator<H> locator, List<MasterInfo.MasterLog> logs, Head<H> heads)
            throws IOException, UpstreamException, GtidStartLocator.PurgedException {
        GtidStartLocator.Search<H> search = locator.search(logs.size());
        while (!search.done()) {
            int i = search.nextIndex();
            search.accept(heads.of(i));
        }
        return search.first();
    }

    /** The PREVIOUS_GTIDS / GTID_LIST event at the head of {@code file}, from a dump of its first events. */
    private static BinlogEvent header(EventLoopGroup group, UpstreamSettings settings, MasterInfo master,
                                      String file) throws IOException, UpstreamException {
        EventType wanted = master.flavor() == BinlogFlavor.MYSQL ? EventType.PREVIOUS_GTIDS : EventType.MARIA_GTID_LIST;
        try (ServerConnection conn = ServerConnection.open(group, settings.connection())) {
            ReplicaHandshake.announceChecksums(conn);
            // non-blocking: a file with nothing after its header ends in EOF instead of a wait
            conn.dump(file, 4, ComBinlogDump.BINLOG_DUMP_NON_BLOCK, settings.serverId());
            for (int i = 0; i < MAX_PROBE_EVENTS; i++) {
                Packet p;
                try {
                    p = conn.next(settings.connection().connectTimeout());
                } catch (TimeoutException e) {
                    throw new IOException("probing " + file + " for upstream.start.gtid: nothing within "
                            + settings.connection().connectTimeout(), e);
                }
                try {
                    ByteBuf payload = p.payload();
                    if (p.firstByte() == ErrPacket.HEADER) {
                        throw new UpstreamException("probing " + file + " for upstream.start.gtid: "
                                + ErrPacket.decode(payload).toException().getMessage());
                    }
                    if (p.firstByte() != 0x00) {
                        break; // EOF: the file ended before its GTID header
                    }
                    BinlogEvent event = BinlogEvent.wrap(EventPacket.decode(payload, false).event());
                    if (event.type() == wanted && event.logPos() != 0) {
                        return BinlogEvent.wrap(event.toByteArray()); // the packet is released below
                    }
                } finally {
                    p.release();
                }
            }
        }
        throw new UpstreamException("the master's " + file + " has no " + wanted + " event after its FORMAT_DESCRIPTION,"
                + " so upstream.start.gtid cannot place a start in it");
    }
}
