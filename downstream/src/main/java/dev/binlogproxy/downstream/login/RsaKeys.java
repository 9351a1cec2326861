package dev.binlogproxy.downstream.login;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;

/**
 * The server's RSA key pair for caching_sha2_password full authentication without TLS: the client asks for the
 * public key, sends (password + NUL) XOR scramble encrypted with it (OAEP, SHA-1, MGF1), and the server decrypts.
 * Made fresh at every start, as mysqld does when it has no key files; clients fetch it each time anyway.
 */
final class RsaKeys {
    static final String TRANSFORMATION = "RSA/ECB/OAEPWithSHA-1AndMGF1Padding";

    private final KeyPair pair;
    private final byte[] publicPem;

    RsaKeys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            pair = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java platform has RSA", e);
        }
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPublic().getEncoded());
        publicPem = ("-----BEGIN PUBLIC KEY-----\n" + base64 + "\n-----END PUBLIC KEY-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    byte[] publicPem() {
        return publicPem.clone();
    }

    /** The password the client encrypted, without its NUL; null if the bytes do not decrypt. */
    byte[] decryptPassword(byte[] encrypted, byte[] scramble) {
        byte[] plain;
        try {
            Cipher c = Cipher.getInstance(TRANSFORMATION);
            c.init(Cipher.DECRYPT_MODE, pair.getPrivate());
            plain = c.doFinal(encrypted);
        } catch (GeneralSecurityException e) {
            return null;
        }
        for (int i = 0; i < plain.length; i++) {
            plain[i] ^= scramble[i % scramble.length];
        }
        return stripNul(plain);
    }

    static byte[] stripNul(byte[] b) {
        int n = b.length;
        while (n > 0 && b[n - 1] == 0) {
            n--;
        }
        return Arrays.copyOf(b, n);
    }
}
