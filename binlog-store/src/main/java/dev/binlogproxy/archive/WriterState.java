package dev.binlogproxy.archive;

/** Where {@link ArchiveWriter} is in the dump's sequence of calls. */
enum WriterState {
    /** Waiting for a file: after open, after a disconnect. */
    IDLE,
    /** startFile was called; the FDE comes next. */
    AWAIT_FDE,
    /** Appending events to the current file. */
    WRITING,
    /** The file ended with a ROTATE; only startFile of the file it names may follow. */
    ROTATED,
    /** A write failed; the file may hold a torn event. Reopen the archive (recovery cuts it). */
    FAILED;

    /** What the writer expects next, for the message of a call out of order. */
    String describe(String file, long end, String expectedNext, Exception failure, String awaitedFirstFile) {
        return switch (this) {
            case IDLE -> awaitedFirstFile != null ? "a new master was adopted; call startFile(" + awaitedFirstFile
                    + ", 4)" : "no file started (call startFile with the dump's fake ROTATE)";
            case AWAIT_FDE -> file + " was started; its FORMAT_DESCRIPTION must come next";
            case WRITING -> "writing " + file + " at " + end;
            case ROTATED -> file + " ended with a ROTATE to " + expectedNext + "; call startFile(" + expectedNext
                    + ", 4)";
            case FAILED -> "the writer failed: " + failure.getMessage();
        };
    }
}
