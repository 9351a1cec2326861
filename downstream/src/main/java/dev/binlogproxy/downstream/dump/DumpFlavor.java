package dev.binlogproxy.downstream.dump;

import java.io.IOException;
import java.util.Map;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.protocol.packet.ComBinlogDump;

/**
 * What a dump does differently on a MySQL 8.0 and a MariaDB 10.11 master, one implementation per flavor
 * ({@link MySqlDump}, {@link MariaDbDump}), chosen once per dump from the served master's flavor: how
 * COM_BINLOG_DUMP names its start, which file positions it refuses and in which words, what dump flag 0x02
 * asks for, which heartbeats it gets, and which events an old replica gets left out or replaced. Each flavor's
 * GTID start (COM_BINLOG_DUMP_GTID's set, MariaDB's connect state) is in its class too, chosen by the kind of
 * start point the client sent. The sender and the start resolver never ask which flavor they serve.
 */
sealed interface DumpFlavor permits MySqlDump, MariaDbDump {

    static DumpFlavor of(BinlogFlavor flavor) {
        return switch (flavor) {
            case MYSQL -> MySqlDump.INSTANCE;
            case MARIADB -> MariaDbDump.INSTANCE;
        };
    }

    /**
     * Where COM_BINLOG_DUMP starts, given the user variables the client set before it (MariaDB: a GTID connect
     * state, if set, overrides the command's file and position).
     */
    StartPoint startOf(ComBinlogDump command, Map<String, String> userVariables);

    /**
     * The position a file/position dump starts at in a file of {@code fileSize} bytes, or the refusal its master
     * sends before anything else.
     */
    long startPosition(String file, long position, long fileSize);

    /**
     * The text of the refusal a client gets that never announced a checksum when the binlog has CRC32: the
     * masters word where they stopped differently.
     *
     * @param requestedFile the file the client asked for (empty for a GTID dump)
     * @param file          the file opened
     * @param fdeEnd        the end of its FORMAT_DESCRIPTION
     */
    String checksumRefusal(String requestedFile, long position, String file, long fdeEnd);

    /** Whether this client's heartbeats are HEARTBEAT_V2. */
    boolean heartbeatV2(DumpRequest request, FormatDescription firstFde);

    /** Whether its master leaves the event out for this client (after the GTID skip, if any). */
    boolean leftOut(ArchiveReader.Entry e, int type, DumpRequest request, ChecksumAlgorithm checksum);

    /**
     * What its master sends this client instead of the event, of the same size so positions hold; null: the event
     * as it is.
     */
    byte[] standIn(ArchiveReader.Entry e, int type, DumpRequest request, ChecksumAlgorithm checksum)
            throws IOException;
}
