package dev.binlogproxy.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * Parses the RSA public key a MySQL server hands out (caching_sha2_password's AuthMoreData, the
 * {@code public_key.pem} in its data dir): PEM "BEGIN PUBLIC KEY", i.e. an X.509 SubjectPublicKeyInfo.
 */
public final class PemPublicKeys {

    private static final String BEGIN = "-----BEGIN PUBLIC KEY-----";
    private static final String END = "-----END PUBLIC KEY-----";

    private PemPublicKeys() {
    }

    public static PublicKey parse(byte[] pem) {
        return parse(new String(pem, StandardCharsets.US_ASCII));
    }

    /** @throws IllegalArgumentException when the text is not a PEM RSA public key */
    public static PublicKey parse(String pem) {
        int begin = pem.indexOf(BEGIN);
        int end = pem.indexOf(END);
        if (begin < 0 || end < begin) {
            // "BEGIN RSA PUBLIC KEY" (PKCS#1) is not what MySQL sends; refuse rather than guess.
            throw new IllegalArgumentException("not a PEM public key (expected " + BEGIN + "): "
                    + pem.substring(0, Math.min(pem.length(), 40)));
        }
        String base64 = pem.substring(begin + BEGIN.length(), end).replaceAll("\\s", "");
        try {
            byte[] der = Base64.getDecoder().decode(base64);
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("bad PEM public key: " + e.getMessage(), e);
        }
    }
}
