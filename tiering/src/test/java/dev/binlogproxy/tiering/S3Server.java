package dev.binlogproxy.tiering;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * A real S3-compatible server for tests: s3proxy in this JVM on 127.0.0.1, keeping objects in a directory (jclouds'
 * filesystem blob store), with AWS v4 signatures checked against a fixed key pair. {@link #stop} and {@link #start}
 * take it away and bring it back on the same port with the same objects, as a store that goes down does.
 */
public final class S3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "test-access";
    public static final String SECRET_KEY = "test-secret-key";
    public static final String BUCKET = "binlogs";

    private final BlobStoreContext context;
    private final BlobStore store;
    private int port;
    private S3Proxy proxy;

    private S3Server(Path dataDir) {
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", dataDir.toString());
        context = ContextBuilder.newBuilder("filesystem").overrides(p).buildView(BlobStoreContext.class);
        store = context.getBlobStore();
        store.createContainerInLocation(null, BUCKET);
    }

    /** Starts a server keeping its objects in {@code dataDir}, with the bucket {@link #BUCKET}. */
    public static S3Server start(Path dataDir) throws Exception {
        S3Server s = new S3Server(dataDir);
        s.start();
        return s;
    }

    /** Starts (again): on a free port the first time, on the same port afterwards. */
    public synchronized void start() throws Exception {
        if (proxy != null) {
            return;
        }
        S3Proxy p = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        p.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!"STARTED".equals(p.getState())) {
            if (System.nanoTime() > deadline) {
                p.stop();
                throw new IllegalStateException("s3proxy did not start: " + p.getState());
            }
            Thread.sleep(10);
        }
        port = p.getPort();
        proxy = p;
    }

    /** Stops serving (connections are refused) and keeps the objects. */
    public synchronized void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The objects, as the store keeps them (for checks behind the S3 API's back). */
    public BlobStore blobStore() {
        return store;
    }

    /** Settings for this server: path style, the test key pair, {@code prefix}, a 2 s cache hold, fast retries. */
    public TieringSettings settings(String prefix) {
        return new TieringSettings(endpoint(), "us-east-1", BUCKET, prefix, ACCESS_KEY, SECRET_KEY, true, null,
                Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(800));
    }

    @Override
    public void close() throws Exception {
        stop();
        context.close();
    }
}
