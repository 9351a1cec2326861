package dev.binlogproxy.protocol.packet;

import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/** Command bytes: the first payload byte of every packet a client starts an exchange with (sequence id 0). */
public final class Commands {

    public static final int COM_QUIT = 0x01;
    public static final int COM_INIT_DB = 0x02;
    public static final int COM_QUERY = 0x03;
    public static final int COM_PING = 0x0E;
    public static final int COM_BINLOG_DUMP = 0x12;
    public static final int COM_REGISTER_SLAVE = 0x15;
    public static final int COM_BINLOG_DUMP_GTID = 0x1E;
    /** Not a command of the server's dispatcher: the semi-sync ACK a replica sends on the dump connection. */
    public static final int SEMI_SYNC_ACK = 0xEF;

    private Commands() {
    }

    public static String name(int command) {
        switch (command) {
            case COM_QUIT: return "COM_QUIT";
            case COM_INIT_DB: return "COM_INIT_DB";
            case COM_QUERY: return "COM_QUERY";
            case COM_PING: return "COM_PING";
            case COM_BINLOG_DUMP: return "COM_BINLOG_DUMP";
            case COM_REGISTER_SLAVE: return "COM_REGISTER_SLAVE";
            case COM_BINLOG_DUMP_GTID: return "COM_BINLOG_DUMP_GTID";
            case SEMI_SYNC_ACK: return "SEMI_SYNC_ACK";
            default: return "COM_0x" + Integer.toHexString(command);
        }
    }

    /** Reads and checks the command byte a message decoder expects. */
    static void expect(ByteBuf payload, int command) {
        expectHeader(payload, command, name(command));
    }

    /** Reads and checks the first byte of a message. */
    static void expectHeader(ByteBuf payload, int header, String message) {
        int actual = Wire.readUInt8(payload, message + " header");
        if (actual != header) {
            throw new MalformedPacketException(message + ": first byte 0x" + Integer.toHexString(actual)
                    + " (expected: 0x" + Integer.toHexString(header) + ")");
        }
    }
}
