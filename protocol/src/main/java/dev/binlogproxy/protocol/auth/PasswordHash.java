package dev.binlogproxy.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * What the server side keeps of a password: never the password, only the second hash stage each plugin's
 * challenge-response is checked against.
 *
 * <ul>
 *   <li>mysql_native_password: {@code SHA1(SHA1(pw))}, written as MySQL's {@code mysql.user} shows it:
 *       {@code *} and 40 upper-case hex digits ({@link #nativeText()}).</li>
 *   <li>caching_sha2_password: {@code SHA256(SHA256(pw))}, the value MySQL keeps in its in-memory cache for the
 *       fast path, as 64 hex digits ({@link #sha2Text()}). MySQL's on-disk form (salted SHA256-crypt) cannot check
 *       a fast-path token, so it is not accepted here.</li>
 * </ul>
 *
 * Neither stage lets anyone log in: a token needs the first stage ({@code SHA(pw)}), which the stored second stage
 * does not reveal. Either part may be absent; a user then logs in only with the other plugin. An empty password
 * is kept as the empty token both plugins send for it.
 */
public final class PasswordHash {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] EMPTY = new byte[0];

    private final byte[] nativeStage2;
    private final byte[] sha2Stage2;

    private PasswordHash(byte[] nativeStage2, byte[] sha2Stage2) {
        if (nativeStage2 == null && sha2Stage2 == null) {
            throw new IllegalArgumentException("a password hash needs at least one plugin's stage");
        }
        this.nativeStage2 = nativeStage2;
        this.sha2Stage2 = sha2Stage2;
    }

    /** Both stages from a password (the {@code hash-password} command, tests). */
    public static PasswordHash of(String password) {
        byte[] pw = password.getBytes(StandardCharsets.UTF_8);
        if (pw.length == 0) {
            return new PasswordHash(EMPTY, EMPTY);
        }
        MessageDigest sha1 = digest("SHA-1");
        MessageDigest sha256 = digest("SHA-256");
        return new PasswordHash(sha1.digest(sha1.digest(pw)), sha256.digest(sha256.digest(pw)));
    }

    /**
     * From the configured texts; either may be null (not both). An empty string means the empty password.
     *
     * @throws IllegalArgumentException naming what is wrong with a text
     */
    public static PasswordHash parse(String nativeText, String sha2Text) {
        return new PasswordHash(nativeText == null ? null : parseNative(nativeText),
                sha2Text == null ? null : parseSha2(sha2Text));
    }

    private static byte[] parseNative(String text) {
        if (text.isEmpty()) {
            return EMPTY;
        }
        if (text.length() != 41 || text.charAt(0) != '*') {
            throw new IllegalArgumentException("expected '*' and 40 hex digits (as in mysql.user), got "
                    + text.length() + " characters");
        }
        return hex(text.substring(1));
    }

    private static byte[] parseSha2(String text) {
        if (text.isEmpty()) {
            return EMPTY;
        }
        if (text.length() != 64) {
            throw new IllegalArgumentException("expected 64 hex digits (SHA256(SHA256(password)), from "
                    + "binlog-proxy hash-password), got " + text.length() + " characters");
        }
        return hex(text);
    }

    private static byte[] hex(String digits) {
        try {
            return HEX.parseHex(digits);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not hexadecimal");
        }
    }

    public boolean supportsNative() {
        return nativeStage2 != null;
    }

    public boolean supportsSha2() {
        return sha2Stage2 != null;
    }

    /** {@code *HEX} as mysql.user shows a mysql_native_password hash; empty for the empty password. */
    public Optional<String> nativeText() {
        return Optional.ofNullable(nativeStage2)
                .map(s -> s.length == 0 ? "" : "*" + HEX.formatHex(s).toUpperCase(Locale.ROOT));
    }

    public Optional<String> sha2Text() {
        return Optional.ofNullable(sha2Stage2).map(HEX::formatHex);
    }

    /** A mysql_native_password token: {@code SHA1(pw) XOR SHA1(scramble || SHA1(SHA1(pw)))}. */
    public boolean checkNative(byte[] token, byte[] scramble) {
        if (nativeStage2 == null) {
            return false;
        }
        if (nativeStage2.length == 0 || token.length == 0) {
            return nativeStage2.length == 0 && token.length == 0;
        }
        if (token.length != 20) {
            return false;
        }
        MessageDigest sha1 = digest("SHA-1");
        sha1.update(scramble);
        sha1.update(nativeStage2);
        byte[] stage1 = xor(token, sha1.digest());
        return MessageDigest.isEqual(sha1.digest(stage1), nativeStage2);
    }

    /** A caching_sha2_password fast-path token: {@code SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || scramble)}. */
    public boolean checkSha2Fast(byte[] token, byte[] scramble) {
        if (sha2Stage2 == null) {
            return false;
        }
        if (sha2Stage2.length == 0 || token.length == 0) {
            return sha2Stage2.length == 0 && token.length == 0;
        }
        if (token.length != 32) {
            return false;
        }
        MessageDigest sha256 = digest("SHA-256");
        sha256.update(sha2Stage2);
        sha256.update(scramble);
        byte[] stage1 = xor(token, sha256.digest());
        return MessageDigest.isEqual(sha256.digest(stage1), sha2Stage2);
    }

    /** caching_sha2_password full authentication: the password itself (over TLS, or decrypted from RSA). */
    public boolean checkSha2Cleartext(byte[] password) {
        if (sha2Stage2 == null) {
            return false;
        }
        if (password.length == 0) {
            return sha2Stage2.length == 0;
        }
        MessageDigest sha256 = digest("SHA-256");
        return sha2Stage2.length != 0 && MessageDigest.isEqual(sha256.digest(sha256.digest(password)), sha2Stage2);
    }

    /** True for the empty password (under whichever stages exist). */
    public boolean isEmptyPassword() {
        return (nativeStage2 == null || nativeStage2.length == 0) && (sha2Stage2 == null || sha2Stage2.length == 0);
    }

    private static byte[] xor(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length);
        for (int i = 0; i < out.length; i++) {
            out[i] ^= b[i];
        }
        return out;
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has " + algorithm, e);
        }
    }

    @Override
    public String toString() {
        // Hashes are not secrets in the password sense, but they stay out of logs anyway.
        return "PasswordHash{native=" + supportsNative() + ", sha2=" + supportsSha2() + "}";
    }
}
