package dev.binlogproxy.protocol.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * mysql_native_password: {@code SHA1(password) XOR SHA1(scramble || SHA1(SHA1(password)))}; an empty password
 * answers with an empty token. See
 * https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_native_password_authentication.html
 */
public final class MysqlNativePassword {

    public static final String PLUGIN_NAME = "mysql_native_password";

    private MysqlNativePassword() {
    }

    /** The 20-byte token for {@code password} (UTF-8 bytes) and the server's 20-byte scramble. */
    public static byte[] scramble(byte[] password, byte[] scramble) {
        if (password.length == 0) {
            return new byte[0];
        }
        MessageDigest sha1 = sha1();
        byte[] stage1 = sha1.digest(password);
        byte[] stage2 = sha1.digest(stage1);
        sha1.update(scramble);
        sha1.update(stage2);
        byte[] token = sha1.digest();
        for (int i = 0; i < token.length; i++) {
            token[i] ^= stage1[i];
        }
        return token;
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-1", e);
        }
    }
}
