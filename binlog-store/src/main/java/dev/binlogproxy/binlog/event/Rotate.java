package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;

/**
 * ROTATE_EVENT (4): position (8) + next file name (rest, no NUL). The last event of a file closed by rotation; sent
 * as an artificial event (timestamp 0, log_pos 0, ARTIFICIAL flag) at the start of every file of a dump.
 * File names are kept as Latin-1 so that any byte sequence round-trips.
 */
public record Rotate(EventHeader header, long position, String nextFile) {
    public static Rotate decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.ROTATE);
        Bytes in = new Bytes(event.body(checksum), "ROTATE body");
        long position = in.u64("position");
        String name = in.latin1(in.remaining(), "next file name");
        if (name.isEmpty()) {
            throw in.malformed("empty next file name");
        }
        return new Rotate(EventHeader.of(event), position, name);
    }

    /** The fake rotate a master sends first in every file of a dump. */
    public static Rotate artificial(long serverId, String file, long position) {
        return new Rotate(new EventHeader(0, EventType.ROTATE.code(), serverId, 0, EventFlags.ARTIFICIAL), position, file);
    }

    public boolean isArtificial() {
        return (header.flags() & EventFlags.ARTIFICIAL) != 0;
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        return EventEncoder.encode(header, new ByteSink().u64(position).latin1(nextFile).toByteArray(), checksum);
    }
}
