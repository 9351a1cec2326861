package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.file.BinlogFileSummary;

import java.util.List;

/**
 * What {@link BinlogArchive#verify()} found.
 *
 * @param files         every archived file with its validation summary (BinlogFileSummary)
 * @param fileProblems  what is wrong with the files: damage, an unfinished transaction in a finished file, a ROTATE
 *                      that does not name the next file
 * @param indexEntries  how many index journal entries were compared with the files' events
 * @param indexProblems where the index journal disagrees with the files (the first disagreement only), or why it
 *                      could not be checked
 * @param notes         what is not damage but worth saying: an index that lags the files, an unfinished tail
 */
public record VerifyReport(List<FileCheck> files, List<String> fileProblems, long indexEntries,
                           List<String> indexProblems, List<String> notes) {
    public VerifyReport {
        files = List.copyOf(files);
        fileProblems = List.copyOf(fileProblems);
        indexProblems = List.copyOf(indexProblems);
        notes = List.copyOf(notes);
    }

    /** One file and its summary. */
    public record FileCheck(String name, BinlogFileSummary summary) {
    }

    boolean filesValid() {
        return fileProblems.isEmpty();
    }

    public boolean indexAgrees() {
        return indexProblems.isEmpty();
    }

    public boolean ok() {
        return filesValid() && indexAgrees();
    }

    @Override
    public String toString() {
        return "VerifyReport[" + files.size() + " files" + (filesValid() ? " valid" : ", problems: " + fileProblems)
                + "; " + indexEntries + " index entries" + (indexAgrees() ? " agree" : ", problems: " + indexProblems)
                + "]";
    }
}
