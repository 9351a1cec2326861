package dev.binlogproxy.downstream.login;

import java.util.List;

import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.WireMessage;

/** What the caller of a {@link ServerAuthenticator} does next; the server-side counterpart of {@code AuthStep}. */
public sealed interface LoginStep {

    /** The client asked for TLS: put TLS in front of the framing, then pass its next packet (over TLS) on. */
    LoginStep START_TLS = new StartTls();

    /** Send {@code message} with {@code sequenceId}, then pass the client's next packet on. */
    record Send(int sequenceId, WireMessage message) implements LoginStep {
    }

    /** See {@link #START_TLS}. */
    record StartTls() implements LoginStep {
    }

    /**
     * The login succeeded: send {@code messages} with consecutive ids from {@code sequenceId}; the connection takes
     * commands from now on (each at sequence id 0).
     */
    record Accept(int sequenceId, List<WireMessage> messages) implements LoginStep {
        public Accept {
            messages = List.copyOf(messages);
        }
    }

    /** The login is refused: send {@code error} with {@code sequenceId}, then close the connection. */
    record Refuse(int sequenceId, ErrPacket error) implements LoginStep {
        /** ER_ACCESS_DENIED: no such user, or a wrong password (rather than a transport the server refuses). */
        public boolean accessDenied() {
            return error.errorCode() == ErrorCodes.ER_ACCESS_DENIED;
        }
    }
}
