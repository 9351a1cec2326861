package dev.binlogproxy.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The runs recorded so far (bench/history.tsv): when, which mode, and each ratio by key. */
record History(List<Run> runs) {
    record Run(String when, String label, Map<String, Double> ratios) {
    }

    static History read(Path file) throws IOException {
        List<Run> runs = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split("\t");
                if (f.length < 3 || line.startsWith("#")) {
                    continue;
                }
                Map<String, Double> ratios = new LinkedHashMap<>();
                for (int i = 2; i < f.length; i++) {
                    int eq = f[i].indexOf('=');
                    if (eq > 0) {
                        ratios.put(f[i].substring(0, eq), Double.parseDouble(f[i].substring(eq + 1)));
                    }
                }
                runs.add(new Run(f[0], f[1], ratios));
            }
        }
        return new History(runs);
    }
}
