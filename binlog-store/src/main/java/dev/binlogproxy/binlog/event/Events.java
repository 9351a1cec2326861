package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;

final class Events {
    private Events() {
    }

    static void requireType(BinlogEvent event, EventType... expected) {
        for (EventType t : expected) {
            if (event.type() == t) {
                return;
            }
        }
        throw new MalformedEventException("expected " + java.util.Arrays.toString(expected) + ", got " + event);
    }
}
