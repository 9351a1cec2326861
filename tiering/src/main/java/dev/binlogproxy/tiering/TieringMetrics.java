package dev.binlogproxy.tiering;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Tiering's meters, binlog_proxy_tiering_*. The backlog (closed files not yet uploaded and verified) is what to
 * alert on: it grows while the store fails or is slower than the master writes, and the archive's disk then
 * fills, because a file leaves the disk only once its copy is verified.
 */
public final class TieringMetrics {
    // held here, strongly: a gauge holds its state object weakly
    private final AtomicLong backlogFiles = new AtomicLong();
    private final AtomicLong backlogBytes = new AtomicLong();
    private final AtomicLong tieredFiles = new AtomicLong();
    private final Counter uploads;
    private final Counter uploadedBytes;
    private final Counter uploadFailures;
    private final Counter fetches;
    private final Counter fetchFailures;

    public TieringMetrics(MeterRegistry registry) {
        Gauge.builder("binlog_proxy_tiering_backlog_files", backlogFiles, AtomicLong::get)
                .description("closed archive files not yet uploaded and verified").register(registry);
        Gauge.builder("binlog_proxy_tiering_backlog", backlogBytes, AtomicLong::get).baseUnit("bytes")
                .description("bytes of closed archive files not yet uploaded and verified").register(registry);
        Gauge.builder("binlog_proxy_tiering_files", tieredFiles, AtomicLong::get)
                .description("files recorded as uploaded and verified").register(registry);
        uploads = Counter.builder("binlog_proxy_tiering_uploads")
                .description("files uploaded and verified").register(registry);
        uploadedBytes = Counter.builder("binlog_proxy_tiering_uploaded").baseUnit("bytes")
                .description("bytes of files uploaded and verified").register(registry);
        uploadFailures = Counter.builder("binlog_proxy_tiering_upload_failures")
                .description("upload attempts that failed (store unreachable, refused, or the copy did not verify)")
                .register(registry);
        fetches = Counter.builder("binlog_proxy_tiering_fetches")
                .description("files fetched back from the store for readers").register(registry);
        fetchFailures = Counter.builder("binlog_proxy_tiering_fetch_failures")
                .description("fetches that failed (the reader was refused)").register(registry);
    }

    void backlog(long files, long bytes) {
        backlogFiles.set(files);
        backlogBytes.set(bytes);
    }

    void tiered(long files) {
        tieredFiles.set(files);
    }

    void uploaded(long bytes) {
        uploads.increment();
        uploadedBytes.increment(bytes);
    }

    void uploadFailed() {
        uploadFailures.increment();
    }

    void fetched() {
        fetches.increment();
    }

    void fetchFailed() {
        fetchFailures.increment();
    }

    long backlogFiles() {
        return backlogFiles.get();
    }

    long backlogBytes() {
        return backlogBytes.get();
    }
}
