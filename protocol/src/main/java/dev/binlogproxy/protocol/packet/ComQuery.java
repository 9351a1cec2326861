package dev.binlogproxy.protocol.packet;

import java.util.Objects;

import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * COM_QUERY: 0x03 + the statement text (rest of packet, UTF-8). Without CLIENT_QUERY_ATTRIBUTES, which this
 * project never negotiates, there is nothing else.
 */
public record ComQuery(String query) implements WireMessage {

    public ComQuery {
        Objects.requireNonNull(query, "query");
    }

    public static ComQuery decode(ByteBuf payload) {
        Commands.expect(payload, Commands.COM_QUERY);
        return new ComQuery(Wire.readRestString(payload));
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(Commands.COM_QUERY);
        out.writeBytes(Wire.utf8(query));
    }
}
