package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The archive's history of masters as a value: the epochs in order ({@link MasterEpoch}), and what follows from them
 * about any file or offset. Immutable; the archive swaps the whole value when an adopt records a new epoch.
 *
 * <p>Invariants, checked here so that no reader of {@code archive.properties} and no adopt can produce another:
 * numbers run 1, 2, ...; every epoch has the flavor and the binlog basename of epoch 1 (the file numbering only
 * continues across masters that share both); first files strictly increase, so every file has exactly one owner.
 *
 * <p>What an adopt removes is also decided here, from the record alone (so recovery and the index journal can tell
 * without asking anyone): the bytes of the handover file past the recorded end (a partial transaction, a ROTATE to
 * a file that never came) and any file between the handover file and the epoch's first file (one the dead master
 * had begun, holding nothing past its FORMAT_DESCRIPTION). Nothing else is ever written there, so an index entry
 * or a file in that range is a leftover, never data.
 */
final class Epochs {
    static final Epochs NONE = new Epochs(List.of());

    private final List<MasterEpoch> list;

    Epochs(List<MasterEpoch> epochs) {
        List<MasterEpoch> copy = List.copyOf(epochs);
        for (int i = 0; i < copy.size(); i++) {
            MasterEpoch e = copy.get(i);
            if (e.number() != i + 1) {
                throw new IllegalArgumentException("epoch " + e.number() + " in place " + (i + 1));
            }
            if (i == 0) {
                continue;
            }
            MasterEpoch first = copy.get(0);
            if (e.master().flavor() != first.master().flavor()) {
                throw new IllegalArgumentException("epoch " + e.number() + " is a " + e.master().flavor()
                        + " master, epoch 1 a " + first.master().flavor() + " one");
            }
            if (!e.master().basename().equals(first.master().basename())) {
                throw new IllegalArgumentException("epoch " + e.number() + " has binlog basename '"
                        + e.master().basename() + "', epoch 1 '" + first.master().basename() + "'");
            }
            Optional<String> previousFirst = copy.get(i - 1).firstFile();
            if (previousFirst.isPresent()
                    && BinlogPosition.compareFiles(e.firstFile().orElseThrow(), previousFirst.get()) <= 0) {
                throw new IllegalArgumentException("epoch " + e.number() + " starts at " + e.firstFile().get()
                        + ", not after epoch " + (i) + "'s first file " + previousFirst.get());
            }
        }
        this.list = copy;
    }

    /** Epoch 1 alone. */
    static Epochs first(UpstreamIdentity master) {
        return new Epochs(List.of(MasterEpoch.first(master)));
    }

    List<MasterEpoch> list() {
        return list;
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    /** The newest epoch: the master the archive mirrors now. */
    Optional<MasterEpoch> current() {
        return list.isEmpty() ? Optional.empty() : Optional.of(list.get(list.size() - 1));
    }

    Optional<String> basename() {
        return current().map(e -> e.master().basename());
    }

    /** This history with {@code next} appended. */
    /** The history without its newest epoch (an adopt rolled back before the new master wrote a file). */
    Epochs withoutLast() {
        if (list.size() < 2) {
            throw new IllegalStateException("epoch 1 cannot be abandoned");
        }
        return new Epochs(list.subList(0, list.size() - 1));
    }

    Epochs then(MasterEpoch next) {
        List<MasterEpoch> out = new ArrayList<>(list);
        out.add(next);
        return new Epochs(out);
    }

    /**
     * The epoch that owns {@code file}: the newest whose first file is at or before it, else epoch 1. Empty when no
     * epoch is recorded or the name is not one of the archive's basename.
     */
    Optional<MasterEpoch> ownerOf(String file) {
        Optional<String> basename = basename();
        if (basename.isEmpty() || !isOwnName(file, basename.get())) {
            return Optional.empty();
        }
        for (int i = list.size() - 1; i > 0; i--) {
            MasterEpoch e = list.get(i);
            if (BinlogPosition.compareFiles(e.firstFile().orElseThrow(), file) <= 0) {
                return Optional.of(e);
            }
        }
        return Optional.of(list.get(0));
    }

    /**
     * Whether {@code file} is the last file an epoch owns in an archive whose files after it include
     * {@code next} (null: none): the next file belongs to a later epoch.
     */
    boolean endsEpoch(String file, String next) {
        return next != null && !ownerOf(file).equals(ownerOf(next));
    }

    /**
     * The current epoch's first file while the archive holds nothing of it yet ({@code lastFile}, the writer's
     * newest file, listed or not, sorts before it): after an adopt, until the new master's first file is created,
     * the only place the upstream dump may start. Derived from the record, so it holds across a reopen.
     */
    Optional<String> awaitedFirstFile(String lastFile) {
        Optional<String> first = current().flatMap(MasterEpoch::firstFile);
        if (first.isPresent() && lastFile != null && BinlogPosition.compareFiles(lastFile, first.get()) >= 0) {
            return Optional.empty();
        }
        return first;
    }

    /**
     * Why the upstream dump may not start at {@code at}, or empty if it may: a file of an earlier epoch is another
     * master's (never resumed, verified or appended to by this one), and after an adopt only the new master's
     * first file at 4 continues the archive.
     */
    Optional<String> refusedStart(BinlogPosition at, String lastFile) {
        MasterEpoch now = current().orElseThrow();
        if (now.firstFile().isEmpty()) {
            return Optional.empty();
        }
        String first = now.firstFile().get();
        if (BinlogPosition.compareFiles(at.file(), first) < 0) {
            MasterEpoch owner = ownerOf(at.file()).orElseThrow();
            return Optional.of(at.file() + " belongs to epoch " + owner.number() + " (" + owner.master()
                    + "); the archive follows epoch " + now.number() + " (" + now.master() + "), whose files start"
                    + " at " + first);
        }
        Optional<String> awaited = awaitedFirstFile(lastFile);
        if (awaited.isPresent() && !at.equals(BinlogPosition.startOf(awaited.get()))) {
            return Optional.of("the archive adopted " + now.master() + " (epoch " + now.number() + "), whose first"
                    + " file is " + first + "; the dump must start at " + BinlogPosition.startOf(first));
        }
        return Optional.empty();
    }

    /** Whether an adopt removed (or, interrupted, is to remove) the byte at {@code offset} of {@code file}. */
    boolean cutAway(String file, long offset) {
        for (MasterEpoch e : list) {
            if (e.number() == 1) {
                continue;
            }
            if (between(e, file)) {
                return true;
            }
            if (e.handover().isPresent()) {
                BinlogPosition end = e.handover().get().previousEnd();
                if (end.file().equals(file) && offset >= end.offset()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The epoch in front of whose first file {@code file} lies as a leftover of its adopt, if any. */
    Optional<MasterEpoch> leftoverOf(String file) {
        for (MasterEpoch e : list) {
            if (e.number() > 1 && between(e, file)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** A file of the basename strictly after the epoch's handover file (if it has one) and before its first file. */
    private static boolean between(MasterEpoch e, String file) {
        String first = e.firstFile().orElseThrow();
        if (!isOwnName(file, e.master().basename()) || BinlogPosition.compareFiles(file, first) >= 0) {
            return false;
        }
        return e.handover().isEmpty()
                || BinlogPosition.compareFiles(file, e.handover().get().previousEnd().file()) > 0;
    }

    private static boolean isOwnName(String file, String basename) {
        try {
            BinlogPosition p = BinlogPosition.startOf(file);
            return p.hasFileSequence() && p.basename().equals(basename);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Epochs other && list.equals(other.list);
    }

    @Override
    public int hashCode() {
        return list.hashCode();
    }

    @Override
    public String toString() {
        return list.toString();
    }
}
