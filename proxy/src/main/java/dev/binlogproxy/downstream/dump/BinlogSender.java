package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.BinlogArchive;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.util.Objects;

/**
 * Runs one dump: reads the archive from the request's start point and writes to the output exactly the packets a
 * real master of the request's flavor would send. Runs on the calling thread until the client goes away,
 * {@link #stop()} is called, or an ERR ends it.
 */
public final class BinlogSender {
    private final BinlogArchive archive;
    private final DumpRequest request;
    private final DumpOutput out;
    private final long masterServerId;
    private final MeterRegistry meters;
    private volatile boolean stopped;
    private volatile Thread runner;

    /**
     * @param masterServerId the server_id put into fake events (the proxy's upstream master's, as the events in
     *                       the archive carry it)
     */
    public BinlogSender(BinlogArchive archive, DumpRequest request, DumpOutput out, long masterServerId,
                        MeterRegistry meters) {
        this.archive = Objects.requireNonNull(archive, "archive");
        this.request = Objects.requireNonNull(request, "request");
        this.out = Objects.requireNonNull(out, "out");
        this.masterServerId = masterServerId;
        this.meters = Objects.requireNonNull(meters, "meters");
    }

    /** Streams until the client goes away, {@link #stop()} is called, or an ERR ends the dump. */
    public void run() throws IOException, InterruptedException {
        runner = Thread.currentThread();
        throw new UnsupportedOperationException("BinlogSender.run: not built yet (serve-dump branch)");
    }

    /** Any thread; {@link #run()} returns promptly. */
    public void stop() {
        stopped = true;
        Thread t = runner;
        if (t != null) {
            t.interrupt();
        }
    }
}
