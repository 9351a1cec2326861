package dev.binlogproxy.archive;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A second home for closed archive files (object storage), as the archive sees it: which files have a verified
 * remote copy, and how to get one back. The archive asks it before any purge deletes a local copy, and when a
 * reader wants a file it no longer has on disk. Implemented outside this module (the tiering module), so the
 * archive's readers never load a storage client.
 */
public interface Tier {
    /**
     * Whether {@code file}'s remote copy is uploaded and verified, as recorded durably: only then may the archive
     * delete its local copy. Must not block on the network.
     */
    boolean holdsVerified(String file);

    /** The files with a verified remote copy, in binlog order. Must not block on the network. */
    List<String> files();

    /** The size of {@code file}'s remote copy as recorded; -1 if it has none. Must not block on the network. */
    long size(String file);

    /**
     * Writes {@code file}'s remote copy to {@code target} (created or replaced), checked against what was
     * uploaded (size and checksum) and forced to disk.
     *
     * @throws IOException if the copy cannot be fetched or does not match the record; {@code target} may then hold
     *                     anything and is the caller's to delete
     */
    void fetch(String file, Path target) throws IOException;
}
