package dev.binlogproxy.protocol.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Random;

import javax.crypto.Cipher;

import org.junit.jupiter.api.Test;

import com.mysql.cj.protocol.Security;

/** Our tokens against Connector/J's independent implementation, and the RSA path against a private key. */
class ScrambleTest {

    private static byte[] seed(int n) {
        byte[] s = new byte[20];
        Random r = new Random(n);
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (1 + r.nextInt(0x7F)); // what mysqld generates
        }
        return s;
    }

    @Test
    void nativePasswordMatchesConnectorJ() {
        for (int i = 0; i < 50; i++) {
            byte[] pw = ("pässword-" + i).getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(Security.scramble411(pw, seed(i)), MysqlNativePassword.scramble(pw, seed(i)));
        }
        assertEquals(0, MysqlNativePassword.scramble(new byte[0], seed(0)).length, "empty password, empty token");
    }

    @Test
    void cachingSha2MatchesConnectorJ() throws Exception {
        for (int i = 0; i < 50; i++) {
            byte[] pw = ("pässword-" + i).getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(Security.scrambleCachingSha2(pw, seed(i)), CachingSha2Password.scramble(pw, seed(i)));
        }
        assertEquals(0, CachingSha2Password.scramble(new byte[0], seed(0)).length);
    }

    @Test
    void rsaFullAuthenticationDecryptsToPasswordXorScramble() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair pair = gen.generateKeyPair();
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        PublicKey parsed = PemPublicKeys.parse(pem.getBytes(StandardCharsets.US_ASCII));
        assertEquals(pair.getPublic(), parsed);

        byte[] password = "a password longer than the twenty byte scramble".getBytes(StandardCharsets.UTF_8);
        byte[] scramble = seed(3);
        byte[] encrypted = CachingSha2Password.encryptPassword(password, scramble, parsed);
        Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        cipher.init(Cipher.DECRYPT_MODE, pair.getPrivate());
        byte[] plain = cipher.doFinal(encrypted);
        assertEquals(password.length + 1, plain.length);
        for (int i = 0; i < plain.length; i++) {
            plain[i] ^= scramble[i % scramble.length];
        }
        byte[] expected = new byte[password.length + 1];
        System.arraycopy(password, 0, expected, 0, password.length);
        assertArrayEquals(expected, plain, "password + NUL, scramble XOR undone");

        assertThrows(IllegalArgumentException.class,
                () -> CachingSha2Password.encryptPassword(new byte[300], scramble, parsed), "too long for OAEP");
    }

    @Test
    void pemParserRefusesOtherThings() {
        assertThrows(IllegalArgumentException.class, () -> PemPublicKeys.parse("-----BEGIN RSA PUBLIC KEY-----\nAA==\n"
                + "-----END RSA PUBLIC KEY-----"));
        assertThrows(IllegalArgumentException.class, () -> PemPublicKeys.parse("-----BEGIN PUBLIC KEY-----\n!!\n"
                + "-----END PUBLIC KEY-----"));
        assertThrows(IllegalArgumentException.class, () -> PemPublicKeys.parse("hello"));
    }
}
