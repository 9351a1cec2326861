package dev.binlogproxy.downstream.admin;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.ServerStatus;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.TextResultSet;
import dev.binlogproxy.protocol.packet.WireMessage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** The answer to one command: the packets the session sends back, in order, with ids from 1. */
public sealed interface Reply {

    /** The payloads, encoded for a client with these capabilities; the caller owns (releases) them. */
    List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities);

    record Ok(int warnings, String info) implements Reply {
        @Override
        public List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities) {
            return one(alloc, new OkPacket(OkPacket.HEADER, 0, 0, ServerStatus.SERVER_STATUS_AUTOCOMMIT, warnings,
                    info));
        }
    }

    record Rows(TextResultSet resultSet) implements Reply {
        @Override
        public List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities) {
            return resultSet.encode(alloc, clientCapabilities);
        }
    }

    record Error(int code, String sqlState, String message) implements Reply {
        @Override
        public List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities) {
            return one(alloc, new ErrPacket(code, sqlState, message));
        }
    }

    /** An EOF packet alone (COM_SET_OPTION's answer). */
    record Eof() implements Reply {
        @Override
        public List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities) {
            return one(alloc, new EofPacket(0, ServerStatus.SERVER_STATUS_AUTOCOMMIT));
        }
    }

    /** The end of an empty column list (COM_FIELD_LIST): EOF, or the OK that replaces it under DEPRECATE_EOF. */
    record NoColumns() implements Reply {
        @Override
        public List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities) {
            return one(alloc, Capabilities.has(clientCapabilities, Capabilities.CLIENT_DEPRECATE_EOF)
                    ? OkPacket.endOfResultSet(ServerStatus.SERVER_STATUS_AUTOCOMMIT, 0)
                    : new EofPacket(0, ServerStatus.SERVER_STATUS_AUTOCOMMIT));
        }
    }

    /** A string as the whole payload, no header byte (COM_STATISTICS's answer). */
    record Text(String text) implements Reply {
        @Override
        public List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities) {
            ByteBuf b = alloc.buffer();
            b.writeCharSequence(text, StandardCharsets.UTF_8);
            return List.of(b);
        }
    }

    /**
     * An answer that may block (a statement that checks other servers or deletes files): the session runs
     * {@code work} off its event loop and sends what it returns, reading nothing else of the client meanwhile. An
     * event loop must never block: it may be the loop of the master's connection too, whose acks would wait.
     */
    record Later(Work work) implements Reply {
        @Override
        public List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities) {
            throw new IllegalStateException("a later reply is run, then its result encoded");
        }
    }

    /** What a {@link Later} reply runs; its exceptions become the ERR a failed statement gets. */
    @FunctionalInterface
    interface Work {
        Reply run() throws Exception;
    }

    private static List<ByteBuf> one(ByteBufAllocator alloc, WireMessage m) {
        return List.of(m.encode(alloc));
    }

    /** ER_SPECIFIC_ACCESS_DENIED_ERROR: the user lacks a privilege the command needs. */
    static Reply accessDenied(String privilege) {
        return new Error(1227, "42000", "Access denied; you need (at least one of) the " + privilege
                + " privilege(s) for this operation");
    }
}
