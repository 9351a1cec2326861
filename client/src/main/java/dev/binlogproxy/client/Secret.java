package dev.binlogproxy.client;

import java.util.Arrays;

/**
 * A password. Never printed: toString, logs and error messages show "****". The value is kept as chars so it can
 * be wiped when the configuration is discarded.
 */
public final class Secret {
    private final char[] value;

    public Secret(String value) {
        this.value = value.toCharArray();
    }

    public String reveal() {
        return new String(value);
    }

    public boolean isEmpty() {
        return value.length == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && Arrays.equals(value, s.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "****";
    }
}
