package dev.binlogproxy.binlog;

/** The binlog checksum algorithm a Format_description declares in the byte before its own CRC. */
public enum ChecksumAlgorithm {
    OFF(0, 0),
    CRC32(1, 4);

    private final int code;
    private final int trailerLength;

    ChecksumAlgorithm(int code, int trailerLength) {
        this.code = code;
        this.trailerLength = trailerLength;
    }

    public int code() {
        return code;
    }

    /** Bytes at the end of every event (other than the FDE, which always has 4) taken by the checksum. */
    public int trailerLength() {
        return trailerLength;
    }

    /**
     * Decodes the algorithm byte. 255 ("undefined") is what pre-5.6 servers leave there; such files carry no
     * checksums, so it maps to OFF.
     */
    public static ChecksumAlgorithm ofCode(int code) {
        return switch (code) {
            case 0, 255 -> OFF;
            case 1 -> CRC32;
            default -> throw new MalformedEventException("unknown binlog checksum algorithm " + code
                    + " (expected 0 = NONE or 1 = CRC32)");
        };
    }

    /** Parses the @@binlog_checksum spelling: NONE or CRC32, any case. */
    public static ChecksumAlgorithm ofVariable(String value) {
        if (value == null) {
            throw new IllegalArgumentException("binlog_checksum: null (expected NONE or CRC32)");
        }
        return switch (value.trim().toUpperCase(java.util.Locale.ROOT)) {
            case "NONE", "OFF" -> OFF;
            case "CRC32" -> CRC32;
            default -> throw new IllegalArgumentException("binlog_checksum: '" + value + "' (expected NONE or CRC32)");
        };
    }

    /** The spelling the servers use for @@binlog_checksum. */
    public String variableValue() {
        return this == OFF ? "NONE" : "CRC32";
    }
}
