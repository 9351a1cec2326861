package dev.binlogproxy.protocol.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Arrays;

import javax.crypto.Cipher;

/**
 * caching_sha2_password, MySQL 8's default.
 *
 * <ul>
 *   <li>Fast path: token {@code SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || scramble)}; the server answers
 *       AuthMoreData 0x03 then OK when its cache has the account, else 0x04 (full authentication).</li>
 *   <li>Full authentication: over TLS the password itself + NUL ({@link #cleartext}); without TLS the client asks
 *       for the server's RSA key ({@link #REQUEST_PUBLIC_KEY}) and sends {@link #encryptPassword}: RSA with OAEP
 *       (SHA-1, MGF1) over (password + NUL) XOR the scramble repeated.</li>
 * </ul>
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html
 */
public final class CachingSha2Password {

    public static final String PLUGIN_NAME = "caching_sha2_password";
    /** Client to server during full authentication without TLS: "send me your public key". */
    public static final int REQUEST_PUBLIC_KEY = 0x02;

    static final String RSA_TRANSFORMATION = "RSA/ECB/OAEPWithSHA-1AndMGF1Padding";

    private CachingSha2Password() {
    }

    /** The 32-byte fast-path token; empty for an empty password. */
    public static byte[] scramble(byte[] password, byte[] scramble) {
        if (password.length == 0) {
            return new byte[0];
        }
        MessageDigest sha256 = sha256();
        byte[] stage1 = sha256.digest(password);
        byte[] stage2 = sha256.digest(stage1);
        sha256.update(stage2);
        sha256.update(scramble);
        byte[] token = sha256.digest();
        for (int i = 0; i < token.length; i++) {
            token[i] ^= stage1[i];
        }
        return token;
    }

    /** Full authentication over TLS: the password and a NUL. Never send this over plain TCP. */
    public static byte[] cleartext(byte[] password) {
        return Arrays.copyOf(password, password.length + 1);
    }

    /** Full authentication without TLS: (password + NUL) XOR scramble, encrypted with the server's RSA key. */
    public static byte[] encryptPassword(byte[] password, byte[] scramble, PublicKey serverKey) {
        byte[] plain = cleartext(password);
        for (int i = 0; i < plain.length; i++) {
            plain[i] ^= scramble[i % scramble.length];
        }
        try {
            Cipher cipher = Cipher.getInstance(RSA_TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, serverKey);
            return cipher.doFinal(plain);
        } catch (GeneralSecurityException e) {
            // OAEP-SHA1 leaves 214 bytes of a 2048-bit key: a longer password cannot go this way.
            throw new IllegalArgumentException("cannot RSA-encrypt the password with the server's key: " + e, e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
