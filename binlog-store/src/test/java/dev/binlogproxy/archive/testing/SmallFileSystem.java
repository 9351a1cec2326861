package dev.binlogproxy.archive.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A small file system made by the test, to fill: a tmpfs of the given size mounted on a directory. Needs root (or
 * CAP_SYS_ADMIN), which the project's machines and CI have; where mounting is forbidden (an unprivileged container)
 * the test is skipped with that reason, the only skip the suite allows.
 */
public final class SmallFileSystem implements AutoCloseable {
    private final Path dir;

    private SmallFileSystem(Path dir) {
        this.dir = dir;
    }

    public static SmallFileSystem mount(Path dir, long bytes) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String out = run("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", dir.toString());
        Assumptions.assumeTrue(out == null, () -> "this machine forbids mounting a small file system to fill ("
                + out + "): the disk-full tests need root or CAP_SYS_ADMIN");
        return new SmallFileSystem(dir);
    }

    public Path dir() {
        return dir;
    }

    public long free() throws IOException {
        return Files.getFileStore(dir).getUsableSpace();
    }

    /**
     * Fills the file system until {@code leave} bytes are free, with a file the test deletes to give the space
     * back (as an operator frees space).
     */
    public Path fillLeaving(String name, long leave) throws IOException {
        Path ballast = dir.resolve(name);
        long size = free() - leave;
        if (size > 0) {
            byte[] chunk = new byte[64 << 10];
            try (var out = Files.newOutputStream(ballast)) {
                for (long written = 0; written < size; written += chunk.length) {
                    out.write(chunk, 0, (int) Math.min(chunk.length, size - written));
                }
            }
        }
        return ballast;
    }

    /** Grows (or shrinks) the file system to {@code bytes}, as an operator gives a full disk more room. */
    public void resize(long bytes) throws IOException, InterruptedException {
        String out = run("mount", "-o", "remount,size=" + bytes, dir.toString());
        if (out != null) {
            throw new IOException("remount " + dir + ": " + out);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        String out = run("umount", "-l", dir.toString());
        if (out != null) {
            throw new IOException("umount " + dir + ": " + out);
        }
    }

    /** Runs a command; null when it succeeded, else its output. */
    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? null : out + " (exit " + p.exitValue() + ")";
    }
}
