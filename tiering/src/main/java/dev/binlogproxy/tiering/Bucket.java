package dev.binlogproxy.tiering;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The bucket, through the AWS SDK's blocking client: put a file with its checksums, look at an object, get one
 * back. Every SDK failure comes out as an {@link IOException} naming the operation and key, so the callers handle
 * one kind of failure (and retry it).
 *
 * <p>Integrity: a PUT carries {@code Content-MD5} (the store refuses the object if the bytes it received differ,
 * on AWS and every S3-compatible store) and the SHA-256 as the object's metadata {@code sha256}, which a HEAD
 * returns and a fetch checks. The SDK's own trailing checksums (aws-chunked uploads) are turned off: several
 * S3-compatible stores do not accept them, and Content-MD5 does the same job everywhere.
 */
final class Bucket implements AutoCloseable {
    static final String SHA256_METADATA = "sha256";

    /** What a HEAD says about an object. */
    record Head(long size, String sha256, String etag) {
    }

    private final S3Client s3;
    private final String bucket;

    Bucket(TieringSettings settings) {
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60)))
                // retries are the uploader's (with its backoff and metric); one attempt per call here
                .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)));
        if (settings.endpoint() != null) {
            b.endpointOverride(settings.endpoint());
        }
        b.credentialsProvider(settings.accessKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(),
                settings.secretKey()))
                : DefaultCredentialsProvider.builder().build());
        this.s3 = b.build();
        this.bucket = settings.bucket();
    }

    /** Uploads {@code file} whole under {@code key}; the store checks the bytes against the MD5. */
    void put(String key, Path file, Hashes h) throws IOException {
        try {
            s3.putObject(r -> r.bucket(bucket).key(key).contentLength(h.size())
                            .contentMD5(h.md5Base64())
                            .metadata(Map.of(SHA256_METADATA, h.sha256())),
                    RequestBody.fromFile(file));
        } catch (SdkException e) {
            throw failure("PUT", key, e);
        }
    }

    /** The object's size, SHA-256 metadata and ETag; empty if there is no such object. */
    Optional<Head> head(String key) throws IOException {
        try {
            HeadObjectResponse h = s3.headObject(r -> r.bucket(bucket).key(key));
            return Optional.of(new Head(h.contentLength(), h.metadata().get(SHA256_METADATA), h.eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("HEAD", key, e);
        } catch (SdkException e) {
            throw failure("HEAD", key, e);
        }
    }

    /**
     * Downloads {@code key} into {@code target} (replaced), forced to disk.
     *
     * @return the SHA-256 (hex) of the bytes written and their count, for the caller to check
     */
    Downloaded get(String key, Path target) throws IOException {
        java.security.MessageDigest sha = Hashes.newSha256();
        long n = 0;
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(bucket).key(key));
             FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            n = copy(in, out, sha);
            out.force(true);
        } catch (SdkException e) {
            throw failure("GET", key, e);
        }
        return new Downloaded(n, HexFormat.of().formatHex(sha.digest()));
    }

    /** A download's byte count and SHA-256. */
    record Downloaded(long size, String sha256) {
    }

    private static long copy(InputStream in, FileChannel out, java.security.MessageDigest sha) throws IOException {
        byte[] buf = new byte[1 << 16];
        long n = 0;
        for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
            sha.update(buf, 0, r);
            ByteBuffer b = ByteBuffer.wrap(buf, 0, r);
            while (b.hasRemaining()) {
                out.write(b);
            }
            n += r;
        }
        return n;
    }

    private IOException failure(String op, String key, SdkException e) {
        return new IOException(op + " s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        s3.close();
    }
}
