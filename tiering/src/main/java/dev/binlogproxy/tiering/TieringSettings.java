package dev.binlogproxy.tiering;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where closed archive files are copied and how the copying behaves (the {@code tiering:} section).
 *
 * @param endpoint      the S3 API's address (MinIO, Ceph RGW, s3proxy, ...); null for AWS's own endpoint of
 *                      {@code region}
 * @param region        the signing region (S3-compatible stores mostly accept any, e.g. us-east-1)
 * @param bucket        the bucket; it must exist
 * @param prefix        prepended to every object key (e.g. {@code prod/db1/}); may be empty
 * @param accessKey     the access key id; null to use the SDK's default credential chain (environment, profile,
 *                      instance role)
 * @param secretKey     the secret key, with {@code accessKey}
 * @param pathStyle     bucket in the path ({@code http://host/bucket/key}), as most S3-compatible stores need,
 *                      instead of in the host name
 * @param cacheDir      where files are fetched back to (the archive's {@code tier-cache/} if null); a
 *                      download is renamed into place there, so it must be one file system
 * @param cacheHold     a file fetched back stays at least this long (then until no reader is in it), so the
 *                      dump that asked for it can enter it
 * @param scanInterval  how often the archive is looked at for closed files not uploaded yet
 * @param retryInitial  the first wait after a failed upload; doubled per failure in a row
 * @param retryMax      the longest wait between attempts
 */
public record TieringSettings(URI endpoint, String region, String bucket, String prefix, String accessKey,
                              String secretKey, boolean pathStyle, Path cacheDir, Duration cacheHold,
                              Duration scanInterval,
                              Duration retryInitial, Duration retryMax) {
    public static final Duration DEFAULT_CACHE_HOLD = Duration.ofMinutes(1);
    public static final Duration DEFAULT_SCAN_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RETRY_INITIAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_RETRY_MAX = Duration.ofMinutes(5);

    public TieringSettings {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(cacheHold, "cacheHold");
        Objects.requireNonNull(scanInterval, "scanInterval");
        Objects.requireNonNull(retryInitial, "retryInitial");
        Objects.requireNonNull(retryMax, "retryMax");
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("bucket: empty");
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException("accessKey and secretKey: give both or neither");
        }
        if (cacheHold.isNegative() || scanInterval.isNegative() || scanInterval.isZero() || retryInitial.isNegative()
                || retryInitial.isZero() || retryMax.compareTo(retryInitial) < 0) {
            throw new IllegalArgumentException("cacheHold >= 0, scanInterval > 0, retryInitial > 0 and retryMax >="
                    + " retryInitial expected");
        }
    }

    /** The object key of an archive file. */
    public String keyOf(String file) {
        return prefix + file;
    }

    /** The cache directory for an archive in {@code archiveDir}. */
    public Path cacheDirFor(Path archiveDir) {
        return cacheDir != null ? cacheDir : archiveDir.resolve("tier-cache");
    }

    @Override
    public String toString() {
        // never the secret
        return "s3://" + bucket + "/" + prefix + (endpoint != null ? " at " + endpoint : " (AWS " + region + ")");
    }
}
