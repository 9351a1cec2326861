package dev.binlogproxy.tiering;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The checksums of a file to upload, computed in one read: MD5 (hex) for the store to check, SHA-256 (hex) to keep.
 */
record Hashes(long size, String md5, String sha256) {
    static Hashes of(Path file) throws IOException {
        MessageDigest md5 = digest("MD5");
        MessageDigest sha = newSha256();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long n = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf.clear()) >= 0) {
                buf.flip();
                n += buf.remaining();
                md5.update(buf.duplicate());
                sha.update(buf);
            }
        }
        return new Hashes(n, HexFormat.of().formatHex(md5.digest()), HexFormat.of().formatHex(sha.digest()));
    }

    /** The MD5 as the Content-MD5 header carries it. */
    String md5Base64() {
        return java.util.Base64.getEncoder().encodeToString(HexFormat.of().parseHex(md5));
    }

    static MessageDigest newSha256() {
        return digest("SHA-256");
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is part of every JDK", e);
        }
    }
}
