package dev.binlogproxy.protocol.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The server side of both password plugins, checked against the client side of this project. */
class PasswordHashTest {
    private static final byte[] SCRAMBLE = "abcdefghij0123456789".getBytes(StandardCharsets.US_ASCII);

    @Test
    void nativeHashIsMysqlsPasswordFunction() {
        // SELECT PASSWORD('password') on MySQL 5.7 / MariaDB
        assertEquals("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", PasswordHash.of("password").nativeText().orElseThrow());
    }

    @Test
    void tokensFromTheClientSideVerify() {
        PasswordHash h = PasswordHash.of("s3cret");
        byte[] pw = "s3cret".getBytes(StandardCharsets.UTF_8);
        assertTrue(h.checkNative(MysqlNativePassword.scramble(pw, SCRAMBLE), SCRAMBLE));
        assertTrue(h.checkSha2Fast(CachingSha2Password.scramble(pw, SCRAMBLE), SCRAMBLE));
        assertTrue(h.checkSha2Cleartext(pw));
        byte[] wrong = "s3creT".getBytes(StandardCharsets.UTF_8);
        assertFalse(h.checkNative(MysqlNativePassword.scramble(wrong, SCRAMBLE), SCRAMBLE));
        assertFalse(h.checkSha2Fast(CachingSha2Password.scramble(wrong, SCRAMBLE), SCRAMBLE));
        assertFalse(h.checkSha2Cleartext(wrong));
        assertFalse(h.checkNative(new byte[0], SCRAMBLE), "empty token for a non-empty password");
        assertFalse(h.checkNative(new byte[7], SCRAMBLE));
    }

    @Test
    void storedTextsRoundTripAndOnePluginMayBeAbsent() {
        PasswordHash h = PasswordHash.of("x");
        PasswordHash parsed = PasswordHash.parse(h.nativeText().orElseThrow(), h.sha2Text().orElseThrow());
        assertEquals(h.nativeText(), parsed.nativeText());
        assertEquals(h.sha2Text(), parsed.sha2Text());
        PasswordHash nativeOnly = PasswordHash.parse(h.nativeText().orElseThrow(), null);
        assertFalse(nativeOnly.supportsSha2());
        assertFalse(nativeOnly.checkSha2Fast(CachingSha2Password.scramble(new byte[] {'x'}, SCRAMBLE), SCRAMBLE));
        PasswordHash empty = PasswordHash.of("");
        assertTrue(empty.checkNative(new byte[0], SCRAMBLE));
        assertTrue(empty.checkSha2Fast(new byte[0], SCRAMBLE));
    }

    @Test
    void malformedTextsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse("2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", null));
        assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse("*zz70C0C06DEE42FD1618BB99005ADCA2EC9D1E19", null));
        assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse(null, "abc"));
        assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse(null, null));
    }
}
