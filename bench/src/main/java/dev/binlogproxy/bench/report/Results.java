package dev.binlogproxy.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** What the benchmarks recorded: per benchmark its numbers, and the latency samples by "bench-series". */
record Results(Map<String, Map<String, Double>> numbers, Map<String, double[]> samples) {
    static Results read(Path dir) throws IOException {
        Map<String, Map<String, Double>> numbers = new LinkedHashMap<>();
        Map<String, double[]> samples = new LinkedHashMap<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir).sorted()) {
                for (Path f : files.toList()) {
                    String name = f.getFileName().toString();
                    if (name.endsWith(".tsv")) {
                        Map<String, Double> m = new LinkedHashMap<>();
                        for (String line : Files.readAllLines(f)) {
                            String[] kv = line.split("\t");
                            if (kv.length == 2) {
                                m.put(kv[0], Double.parseDouble(kv[1]));
                            }
                        }
                        numbers.put(name.substring(0, name.length() - 4), m);
                    } else if (name.endsWith(".samples")) {
                        samples.put(name.substring(0, name.length() - 8), Files.readAllLines(f).stream()
                                .filter(s -> !s.isBlank()).mapToDouble(Double::parseDouble).toArray());
                    }
                }
            }
        }
        return new Results(numbers, samples);
    }

    /** A number, or NaN when the benchmark (or that part of it) did not run. */
    double get(String bench, String key) {
        return numbers.getOrDefault(bench, Map.of()).getOrDefault(key, Double.NaN);
    }

    boolean ran(String bench) {
        return numbers.containsKey(bench);
    }
}
