package dev.binlogproxy.tiering;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Copies the archive's closed files to the bucket, oldest first, on a thread of its own: the mirror's ack path
 * never waits for the store, however slow or dead it is (the only effect of a failing store is a growing backlog,
 * and, since nothing leaves the disk unverified, a fuller disk).
 *
 * <p>Per file, in this order: hash (MD5, SHA-256) the local copy; PUT it with Content-MD5 and the SHA-256 as
 * metadata; HEAD it and check size, SHA-256 and (when it is one) the MD5 ETag; append the durable record. Only the
 * record lets a purge delete the local copy, so a crash or failure between any two steps costs a repeated upload,
 * never the file. A failure is counted, logged (the first of a series, then once a minute), and retried after a
 * backoff that doubles per failure in a row, from {@code retryInitial} up to {@code retryMax}.
 */
final class Uploader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Uploader.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** The steps of one upload, for tests that fail or stop between them. */
    enum Step { HASHED, PUT, VERIFIED, RECORDED }

    /** Called after each step; a test's listener throws to simulate a failure there. */
    interface StepListener {
        StepListener NONE = (step, file) -> { };

        void reached(Step step, String file) throws IOException;
    }

    private final BinlogArchive archive;
    private final TieringSettings settings;
    private final Bucket bucket;
    private final UploadRecord record;
    private final TieringMetrics metrics;
    private final StepListener steps;
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private volatile boolean stopping;
    private boolean kicked;
    private int failuresInARow;
    private long lastFailureLog;

    Uploader(BinlogArchive archive, TieringSettings settings, Bucket bucket, UploadRecord record,
             TieringMetrics metrics, StepListener steps) {
        this.archive = archive;
        this.settings = settings;
        this.bucket = bucket;
        this.record = record;
        this.metrics = metrics;
        this.steps = steps;
        this.thread = new Thread(this::run, "tiering-upload");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Looks at the archive now instead of at the next scan (a test, or after a rotation). */
    void kick() {
        lock.lock();
        try {
            kicked = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (!stopping) {
            List<ArchivedFile> backlog = backlog();
            Duration wait = settings.scanInterval();
            if (!backlog.isEmpty()) {
                ArchivedFile next = backlog.get(0);
                try {
                    upload(next);
                    if (failuresInARow > 0) {
                        LOG.info("tiering: {} is reachable again after {} failed attempt(s); {} uploaded", settings,
                                failuresInARow, next.name());
                    }
                    failuresInARow = 0;
                    continue; // the next file at once
                } catch (IOException | RuntimeException e) {
                    if (stopping) {
                        break;
                    }
                    failuresInARow++;
                    metrics.uploadFailed();
                    wait = backoff();
                    long now = System.nanoTime();
                    if (failuresInARow == 1 || now - lastFailureLog >= LOG_EVERY_NANOS) {
                        lastFailureLog = now;
                        LOG.warn("tiering: uploading {} to {} failed ({} in a row; {} file(s), {} bytes waiting):"
                                        + " {}; retrying in {} ms (local copies are kept until verified)",
                                next.name(), settings, failuresInARow, metrics.backlogFiles(),
                                metrics.backlogBytes(), e.toString(), wait.toMillis());
                    }
                }
            }
            sleep(wait);
        }
    }

    private Duration backoff() {
        Duration d = settings.retryInitial();
        for (int i = 1; i < failuresInARow && d.compareTo(settings.retryMax()) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(settings.retryMax()) > 0 ? settings.retryMax() : d;
    }

    /** Closed local files without a record, oldest first; updates the backlog meters. */
    List<ArchivedFile> backlog() {
        List<ArchivedFile> out = new ArrayList<>();
        long bytes = 0;
        for (ArchivedFile f : archive.closedLocalFiles()) {
            if (!record.holds(f.name())) {
                out.add(f);
                bytes += f.size();
            }
        }
        metrics.backlog(out.size(), bytes);
        metrics.tiered(record.files().size());
        return out;
    }

    private void upload(ArchivedFile f) throws IOException {
        Path local = archive.directory().resolve(f.name());
        Hashes h;
        try {
            h = Hashes.of(local);
        } catch (NoSuchFileException gone) {
            return; // purged meanwhile (only possible for a file recorded already): nothing to do
        }
        if (h.size() != f.size()) {
            throw new IOException(f.name() + " is " + h.size() + " bytes on disk, the archive lists " + f.size()
                    + " (a closed file never changes: check the archive with binlog-proxy verify)");
        }
        steps.reached(Step.HASHED, f.name());
        String key = settings.keyOf(f.name());
        bucket.put(key, local, h);
        steps.reached(Step.PUT, f.name());
        verify(key, f.name(), h);
        steps.reached(Step.VERIFIED, f.name());
        record.add(new TieredFile(f.name(), h.size(), h.sha256(), key));
        steps.reached(Step.RECORDED, f.name());
        metrics.uploaded(h.size());
        metrics.tiered(record.files().size());
        LOG.info("tiering: {} uploaded and verified as s3://{}/{} ({} bytes)", f.name(), settings.bucket(), key,
                h.size());
    }

    private void verify(String key, String name, Hashes h) throws IOException {
        Bucket.Head head = bucket.head(key).orElseThrow(() -> new IOException("s3://" + settings.bucket() + "/" + key
                + " is missing right after its PUT"));
        if (head.size() != h.size()) {
            throw new IOException("s3://" + settings.bucket() + "/" + key + " holds " + head.size() + " bytes, "
                    + name + " has " + h.size());
        }
        if (!h.sha256().equals(head.sha256())) {
            throw new IOException("s3://" + settings.bucket() + "/" + key + " has sha256 " + head.sha256()
                    + ", " + name + " has " + h.sha256());
        }
        String etag = head.etag() == null ? "" : head.etag().replace("\"", "");
        // A plain single-part object's ETag is its MD5; with server-side encryption by KMS it is not, and then the
        // store's check of Content-MD5 at the PUT is the byte check.
        if (etag.length() == 32 && etag.chars().allMatch(c -> Character.digit(c, 16) >= 0)
                && !etag.equalsIgnoreCase(h.md5())) {
            throw new IOException("s3://" + settings.bucket() + "/" + key + " has ETag " + etag + ", " + name
                    + " has MD5 " + h.md5());
        }
    }

    private void sleep(Duration d) {
        lock.lock();
        try {
            long nanos = d.toNanos();
            while (!kicked && !stopping && nanos > 0) {
                nanos = wake.awaitNanos(nanos);
            }
            kicked = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        stopping = true;
        kick();
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
