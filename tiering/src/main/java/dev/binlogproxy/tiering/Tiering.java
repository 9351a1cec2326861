package dev.binlogproxy.tiering;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Tier;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Tiering of a running archive: the upload record, the uploader thread, and the archive's {@link Tier} (purges
 * wait for the record; readers asking for a file only the bucket holds get it fetched back). Start it after the
 * archive is open; close it before the archive.
 */
public final class Tiering implements Tier, AutoCloseable {
    private final TieringSettings settings;
    private final Bucket bucket;
    private final UploadRecord record;
    private final TieringMetrics metrics;
    private final Uploader uploader;

    private Tiering(TieringSettings settings, Bucket bucket, UploadRecord record, TieringMetrics metrics,
                    Uploader uploader) {
        this.settings = settings;
        this.bucket = bucket;
        this.record = record;
        this.metrics = metrics;
        this.uploader = uploader;
    }

    /** Attaches tiering to {@code archive} and starts uploading its closed files. */
    public static Tiering start(BinlogArchive archive, TieringSettings settings, TieringMetrics metrics)
            throws IOException {
        return start(archive, settings, metrics, Uploader.StepListener.NONE);
    }

    static Tiering start(BinlogArchive archive, TieringSettings settings, TieringMetrics metrics,
                         Uploader.StepListener steps) throws IOException {
        UploadRecord record = UploadRecord.open(archive.directory());
        Bucket bucket = new Bucket(settings);
        Uploader uploader = new Uploader(archive, settings, bucket, record, metrics, steps);
        Tiering t = new Tiering(settings, bucket, record, metrics, uploader);
        try {
            archive.attachTier(t, settings.cacheDirFor(archive.directory()), settings.cacheHold());
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
        uploader.backlog();
        uploader.start();
        return t;
    }

    /** Tiering's meters with nothing to report (tiering off), so dashboards find them on every proxy. */
    public static TieringMetrics idleMetrics(MeterRegistry registry) {
        return new TieringMetrics(registry);
    }

    @Override
    public boolean holdsVerified(String file) {
        return record.holds(file);
    }

    @Override
    public List<String> files() {
        return record.files().stream().map(TieredFile::name).toList();
    }

    @Override
    public long size(String file) {
        return record.get(file).map(TieredFile::size).orElse(-1L);
    }

    @Override
    public void fetch(String file, Path target) throws IOException {
        TieredFile f = record.get(file).orElseThrow(() -> new IOException(file + " is not recorded as tiered"));
        try {
            fetch(bucket, f, target);
            metrics.fetched();
        } catch (IOException e) {
            metrics.fetchFailed();
            throw e;
        }
    }

    private static void fetch(Bucket bucket, TieredFile f, Path target) throws IOException {
        Bucket.Downloaded d = bucket.get(f.key(), target);
        if (d.size() != f.size() || !d.sha256().equals(f.sha256())) {
            throw new IOException("the copy of " + f.name() + " in the bucket (" + f.key() + ": " + d.size()
                    + " bytes, sha256 " + d.sha256() + ") differs from what was uploaded (" + f.size()
                    + " bytes, sha256 " + f.sha256() + ")");
        }
    }

    /** Looks at the archive for closed files now (after a rotation, or in a test). */
    public void uploadNow() {
        uploader.kick();
    }

    /** The files recorded as uploaded and verified, in binlog order. */
    public List<TieredFile> tiered() {
        return record.files();
    }

    public TieringSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        uploader.close();
        bucket.close();
        try {
            record.close();
        } catch (IOException ignored) {
            // the record is forced after every line: nothing is lost by a failed close
        }
    }

    // ---- for the read-only tools (verify, find): the record as on disk, the bucket without an archive ----

    /** Remote copies for a tool that does not open the archive: read the record, fetch and check copies. */
    public static final class Remote implements AutoCloseable {
        private final Bucket bucket;
        private final List<TieredFile> files;

        private Remote(Bucket bucket, List<TieredFile> files) {
            this.bucket = bucket;
            this.files = files;
        }

        public static Remote open(TieringSettings settings, Path archiveDir) throws IOException {
            return new Remote(new Bucket(settings), UploadRecord.read(archiveDir));
        }

        /** The record's files, in binlog order. */
        public List<TieredFile> files() {
            return files;
        }

        /** Downloads {@code f} to {@code target}, checked against its record (size and SHA-256). */
        public void fetch(TieredFile f, Path target) throws IOException {
            Tiering.fetch(bucket, f, target);
        }

        /** What a HEAD of {@code f}'s object says differs from its record; empty if it matches. */
        public Optional<String> headMismatch(TieredFile f) throws IOException {
            Optional<Bucket.Head> h = bucket.head(f.key());
            if (h.isEmpty()) {
                return Optional.of("missing from the bucket (" + f.key() + ")");
            }
            if (h.get().size() != f.size() || !f.sha256().equals(h.get().sha256())) {
                return Optional.of("the object " + f.key() + " has " + h.get().size() + " bytes, sha256 "
                        + h.get().sha256() + "; recorded: " + f.size() + " bytes, sha256 " + f.sha256());
            }
            return Optional.empty();
        }

        @Override
        public void close() {
            bucket.close();
        }
    }
}
