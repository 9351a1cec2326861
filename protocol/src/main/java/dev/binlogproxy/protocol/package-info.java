/**
 * The MySQL client/server wire protocol, shared by the upstream replica client and the downstream master-side
 * server.
 *
 * <ul>
 *   <li>Framing lives only here: {@link dev.binlogproxy.protocol.Framing} writes headers and splits payloads,
 *       {@link dev.binlogproxy.protocol.PacketDecoder} turns the byte stream into whole
 *       logical {@link dev.binlogproxy.protocol.Packet}s (16 MB continuation reassembled, size limit checked up
 *       front), {@link dev.binlogproxy.protocol.PacketEncoder} splits them again. Nothing else looks at packet
 *       headers.</li>
 *   <li>{@link dev.binlogproxy.protocol.packet}: one immutable type per message, each with {@code decode(ByteBuf)}
 *       over a payload and {@code encode(ByteBuf)} writing one; text result sets in both directions.</li>
 *   <li>{@link dev.binlogproxy.protocol.auth}: password scrambles and a transport-agnostic client
 *       {@link dev.binlogproxy.protocol.auth.Authenticator}.</li>
 * </ul>
 *
 * <p>Errors: a peer that breaks the protocol gets a {@link dev.binlogproxy.protocol.MySqlProtocolException}
 * (code + SQLSTATE, convertible to and from an ERR packet); bad arguments from our own code are
 * {@link IllegalArgumentException}/{@link IllegalStateException}.
 */
package dev.binlogproxy.protocol;
