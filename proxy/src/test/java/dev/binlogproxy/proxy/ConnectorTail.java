package dev.binlogproxy.proxy;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.RotateEventData;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A mysql-binlog-connector-java client streaming from a server by file and position, recording every event it
 * receives as (file, end position, type): a binlog tool nobody here wrote, whose view must equal the master's own
 * files, event for event, with nothing missing and nothing twice.
 */
final class ConnectorTail implements AutoCloseable {
    /** One received event: the file it is in (from the rotates), its end position and type code. */
    record Seen(String file, long endPosition, int type) {
    }

    private final BinaryLogClient client;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<Exception> failures = new CopyOnWriteArrayList<>();

    private ConnectorTail(BinaryLogClient client) {
        this.client = client;
    }

    /** Connects and streams from {@code file}:4 until closed (blocking dump, reconnects off). */
    static ConnectorTail start(int port, String user, String password, long serverId, String file) throws Exception {
        BinaryLogClient client = new BinaryLogClient("127.0.0.1", port, user, password);
        client.setServerId(serverId);
        client.setBinlogFilename(file);
        client.setBinlogPosition(4);
        client.setKeepAlive(false);
        ConnectorTail tail = new ConnectorTail(client);
        String[] current = {file};
        client.registerEventListener((Event e) -> {
            EventHeaderV4 h = e.getHeader();
            if (h.getEventType() == EventType.ROTATE && h.getTimestamp() == 0 && h.getNextPosition() == 0) {
                current[0] = ((RotateEventData) e.getData()).getBinlogFilename(); // the dump's fake rotate
                return;
            }
            if (h.getEventType() == EventType.HEARTBEAT) {
                return;
            }
            tail.seen.add(new Seen(current[0], h.getNextPosition(), typeCode(h)));
        });
        client.registerLifecycleListener(new BinaryLogClient.AbstractLifecycleListener() {
            @Override
            public void onEventDeserializationFailure(BinaryLogClient c, Exception ex) {
                tail.failures.add(ex);
            }

            @Override
            public void onCommunicationFailure(BinaryLogClient c, Exception ex) {
                tail.failures.add(ex);
            }
        });
        client.connect(30_000);
        return tail;
    }

    /** Waits until the client received the event ending at {@code file}:{@code position}. */
    void awaitReached(String file, long position, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            if (!seen.isEmpty()) {
                Seen last = seen.get(seen.size() - 1);
                if (last.file().equals(file) && last.endPosition() >= position) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("stopped at " + (seen.isEmpty() ? "nothing" : seen.get(seen.size() - 1))
                + ", expected " + file + ":" + position + "; failures " + failures);
    }

    List<Seen> seen() {
        return List.copyOf(seen);
    }

    List<Exception> failures() {
        return List.copyOf(failures);
    }

    /** Asserts that the client saw exactly these events, in order, and failed nowhere. */
    void assertSawExactly(List<Seen> expected) {
        assertEquals(List.of(), failures(), "client failures");
        assertEquals(expected, seen());
    }

    @Override
    public void close() throws IOException {
        client.disconnect();
    }

    /** mysql-binlog-connector-java's enum lists the MySQL types in wire order: the ordinal is the type code. */
    static int typeCode(EventHeaderV4 h) {
        return h.getEventType().ordinal();
    }

    /** The events of the master's files as a client of a dump from the first file gets them. */
    static List<Seen> eventsOf(DbServer master, IntPredicate sentType) throws IOException {
        List<Seen> out = new ArrayList<>();
        for (BinaryLog log : master.showBinaryLogs()) {
            out.addAll(eventsOf(master.binlogFile(log.name()), log.name(), log.size(), sentType));
        }
        return out;
    }

    /** One file's events with their end position and type, up to {@code size}. */
    static List<Seen> eventsOf(Path path, String name, long size, IntPredicate sentType) throws IOException {
        List<Seen> out = new ArrayList<>();
        try (BinlogFileReader r = BinlogFileReader.open(path)) {
            FileEvent fe;
            while ((fe = r.next()) != null) {
                BinlogEvent e = fe.event();
                if (e.logPos() > size) {
                    break;
                }
                if (sentType.test(e.typeCode())) {
                    out.add(new Seen(name, e.logPos(), e.typeCode()));
                }
            }
        } catch (Exception e) {
            throw new IOException("reading " + path + ": " + e, e);
        }
        return out;
    }
}
