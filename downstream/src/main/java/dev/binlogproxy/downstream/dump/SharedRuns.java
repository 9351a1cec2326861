package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;

/**
 * What one dump of an event loop read, checked, tracked and framed, for the other dumps of that loop that stand at
 * the same place and would send the very same bytes from there. With many replicas tailing one proxy, every
 * commit used to be read (a pread per dump), tracked and framed once per dump: about a third of the proxy's CPU
 * at 1,000 sessions, the rest being the socket write each dump needs anyway (docs/results.md, Scale). Now the
 * first dump of a loop to reach a commit does that once, captures the framed packets ({@link DumpOutput#capture})
 * and publishes them here as a run; every other dump at that file and offset with the same {@link WireForm} writes
 * the run (the same read-only buffer when its sequence id matches, else a copy with its own ids) and moves its
 * reader past it without reading.
 *
 * <p>When two dumps send the same bytes from a place: same archive, file and offset; no GTID skipping left (a
 * skipping dump's heartbeats and left-out groups are its own); between transactions (the transaction tracker of
 * both is outside one); the same request fields that change the wire form ({@link WireForm}: flavor, flags,
 * announced checksum, semi-sync, MariaDB capability, skip_replication). A run holds no FORMAT_DESCRIPTION, ROTATE
 * or change of file, no file region, event framed in place or packet larger than a batch: the sender or the
 * output drops the capture when one comes. The sequence id of each packet is the one byte that differs between
 * such dumps ({@link DumpOutput#replay}).
 *
 * <p>Semi-sync: the ACK flag goes on a transaction end that was the end of what was readable when it was read, so a
 * semi-sync run is kept only if the archive did not change while it was read, and is handed only to a dump that
 * looks at the same archive generation (what it would read itself would carry the flags in the same places).
 * Without semi-sync nothing in a run depends on when it is read, and a dump further on takes it whatever changed
 * since (it reads on from the run's end itself).
 *
 * <p>One per event loop ({@link IdleDumps}), used only on that loop's thread: no locks, and a run's buffer is
 * released on the loop that made it. A few runs are kept (the newest commit's, per wire form); older ones are
 * released as new ones come, and a dump that finds none reads for itself, as before.
 */
final class SharedRuns {
    /**
     * Off with {@code -Dbinlogproxy.dump.shareRuns=false}: every dump reads and frames for itself, so a benchmark can
     * compare both on one build.
     */
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("binlogproxy.dump.shareRuns"));
    /** Runs kept: enough for a few wire forms and commits in flight at once; each is at most a capture's size. */
    static final int CAPACITY = 8;

    /** The request fields that change what a dump sends for the same events. */
    record WireForm(BinlogFlavor flavor, int flags, ChecksumAlgorithm clientChecksum, boolean semiSync,
                    int mariadbSlaveCapability, boolean skipReplication) {
        static WireForm of(DumpRequest r) {
            return new WireForm(r.flavor(), r.flags(), r.clientChecksum(), r.semiSync(), r.mariadbSlaveCapability(),
                    r.skipReplication());
        }

        // Written out: a record's generated equals goes through method-handle guards that the JIT did not fold
        // here, a quarter of the Java time of a dump handed a run at 1,000 sessions (JFR).
        @Override
        public boolean equals(Object o) {
            return o == this || o instanceof WireForm w && flavor == w.flavor && flags == w.flags
                    && clientChecksum == w.clientChecksum && semiSync == w.semiSync
                    && mariadbSlaveCapability == w.mariadbSlaveCapability && skipReplication == w.skipReplication;
        }

        @Override
        public int hashCode() {
            return ((flavor.hashCode() * 31 + flags) * 31 + (clientChecksum == null ? 0 : clientChecksum.hashCode()))
                    * 31 + (semiSync ? 1 : 0) + 2 * mariadbSlaveCapability + (skipReplication ? 1024 : 0);
        }
    }

    /**
     * One run: the packets for the events of {@code file} from {@code start} to {@code end}.
     *
     * @param generation    the archive generation it is valid at (semi-sync), or -1 for any
     * @param endGeneration the archive generation at which the dump that read it found nothing past its end
     * @param events        event packets in it (metrics)
     * @param eventBytes    their event bytes (metrics)
     */
    record Run(BinlogArchive archive, String file, long start, long end, WireForm form, long generation,
               long endGeneration, int events, long eventBytes, DumpOutput.Framed framed) {
        boolean matches(BinlogArchive a, String f, long offset, WireForm w, long currentGeneration) {
            return start == offset && archive == a && (generation < 0 || generation == currentGeneration)
                    && file.equals(f) && form.equals(w);
        }

        void release() {
            framed.bytes().release();
        }
    }

    private final Run[] runs = new Run[CAPACITY];
    /** The slot the next new run takes (the oldest). */
    private int next;

    /** The run for a dump at {@code file}:{@code offset} with this form, looking at {@code generation}; or null. */
    Run find(BinlogArchive archive, String file, long offset, WireForm form, long generation) {
        for (Run r : runs) {
            if (r != null && r.matches(archive, file, offset, form, generation)) {
                return r;
            }
        }
        return null;
    }

    /** Keeps {@code run} (it owns its buffer now), in place of one for the same start or else of the oldest. */
    void publish(Run run) {
        int slot = -1;
        for (int i = 0; i < runs.length; i++) {
            Run r = runs[i];
            if (r != null && r.start() == run.start() && r.archive() == run.archive() && r.file().equals(run.file())
                    && r.form().equals(run.form())) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            slot = next;
            next = (next + 1) % runs.length;
        }
        if (runs[slot] != null) {
            runs[slot].release();
        }
        runs[slot] = run;
    }

    /** Releases every run (the server is closing). */
    void clear() {
        for (int i = 0; i < runs.length; i++) {
            if (runs[i] != null) {
                runs[i].release();
                runs[i] = null;
            }
        }
    }
}
