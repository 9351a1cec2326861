package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;

/**
 * MySQL TRANSACTION_PAYLOAD_EVENT (40, 8.0.20+ with binlog_transaction_compression): a whole transaction,
 * compressed. Only the boundaries matter to a proxy: the event is one transaction by itself and is never
 * decompressed here. The body starts with fields (type as packed int, length as packed int, value as packed int)
 * up to an end mark (type 0): 1 = payload size, 2 = compression type (0 = ZSTD, 255 = none), 3 = uncompressed size.
 * The compressed payload follows.
 */
record TransactionPayload(EventHeader header, long payloadSize, int compressionType, long uncompressedSize,
                                 int payloadOffset) {
    static final int FIELD_END = 0;
    static final int FIELD_PAYLOAD_SIZE = 1;
    static final int FIELD_COMPRESSION_TYPE = 2;
    static final int FIELD_UNCOMPRESSED_SIZE = 3;

    public static TransactionPayload decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.TRANSACTION_PAYLOAD);
        Bytes in = new Bytes(event.body(checksum), "TRANSACTION_PAYLOAD body");
        long size = -1;
        long uncompressed = -1;
        int compression = -1;
        while (true) {
            int type = (int) in.packedInt("field type");
            if (type == FIELD_END) {
                break;
            }
            long length = in.packedInt("field length");
            int start = in.position();
            long value = in.packedInt("field value");
            if (in.position() - start != length) {
                throw in.malformed("field " + type + " declares " + length + " bytes but its value took "
                        + (in.position() - start));
            }
            switch (type) {
                case FIELD_PAYLOAD_SIZE -> size = value;
                case FIELD_COMPRESSION_TYPE -> compression = (int) value;
                case FIELD_UNCOMPRESSED_SIZE -> uncompressed = value;
                default -> { } // newer fields: their length was checked above, their meaning is not needed here
            }
        }
        if (size < 0 || compression < 0) {
            throw in.malformed("missing payload size or compression type");
        }
        if (size != in.remaining()) {
            throw in.malformed("payload size " + size + " but " + in.remaining() + " bytes follow the header");
        }
        return new TransactionPayload(EventHeader.of(event), size, compression, uncompressed, in.position());
    }
}
