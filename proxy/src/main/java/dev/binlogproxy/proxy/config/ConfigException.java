package dev.binlogproxy.proxy.config;

/** A configuration problem: the message always names the key (dotted path) and the reason. */
public final class ConfigException extends Exception {
    private final String key;

    public ConfigException(String key, String reason) {
        super(key + ": " + reason);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
