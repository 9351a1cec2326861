package dev.binlogproxy.binlog.file;

import java.nio.file.Path;

/** A binlog file failed validation; {@link #damage()} says exactly where and why. */
public final class BinlogFileDamagedException extends Exception {
    private final transient Path file;
    private final BinlogDamage damage;

    public BinlogFileDamagedException(Path file, BinlogDamage damage) {
        super(file + ": " + damage);
        this.file = file;
        this.damage = damage;
    }

    public Path file() {
        return file;
    }

    public BinlogDamage damage() {
        return damage;
    }
}
