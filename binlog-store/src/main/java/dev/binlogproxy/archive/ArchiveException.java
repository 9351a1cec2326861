package dev.binlogproxy.archive;

/**
 * The archive refuses something for a reason that is not a bug in the caller: bytes that would break the archive,
 * a start position that does not fit what is archived, a damaged file, another master. The subclasses say which;
 * callers that only log and stop can catch this one.
 */
public class ArchiveException extends Exception {
    ArchiveException(String message) {
        super(message);
    }

    ArchiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
