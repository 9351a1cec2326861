package dev.binlogproxy.bench.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's plots, drawn with JFreeChart into PNG files: latency distributions (relay, tail) as cumulative
 * curves on a log axis, where the proxy and its anchor can be read at any percentile; the semi-sync ack waits per
 * configuration, round by round; and every ratio over the runs in the history, with the line where 1.0 is.
 */
final class Charts {
    private static final int WIDTH = 960;
    private static final int HEIGHT = 540;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0x17becf), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0xe377c2), new Color(0x393b79), new Color(0x637939)};

    private Charts() {
    }

    /** Writes the plots there is data for; returns their file names. */
    static List<String> write(Results r, History history, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> out = new ArrayList<>();
        distribution(r, "relay", "Relay latency, master commit to the row on a leaf", Map.of("direct",
                "leaf on the master (floor)", "mariadb", "via a MariaDB intermediate", "proxy", "via the proxy"), dir,
                out);
        distribution(r, "tail", "Tail latency, commit to the row event at each tailing session", Map.of("master",
                "sessions on the master", "proxy", "sessions on the proxy"), dir, out);
        ackWaits(r, dir, out);
        ratios(history, dir, out);
        return out;
    }

    /** A cumulative distribution per series: x the latency (log), y the share of samples at or below it. */
    private static void distribution(Results r, String bench, String title, Map<String, String> names, Path dir,
                                     List<String> out) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        List<Color> colors = new ArrayList<>();
        for (String series : List.of("direct", "mariadb", "master", "proxy")) {
            double[] v = r.samples().get(bench + "-" + series);
            if (v == null || v.length == 0 || !names.containsKey(series)) {
                continue;
            }
            double[] sorted = v.clone();
            Arrays.sort(sorted);
            XYSeries s = new XYSeries(names.get(series));
            // at most ~500 points a curve: enough to look smooth, few enough to keep the PNG small
            int step = Math.max(1, sorted.length / 500);
            for (int i = 0; i < sorted.length; i += step) {
                s.add(Math.max(1, sorted[i]), 100.0 * (i + 1) / sorted.length);
            }
            s.add(Math.max(1, sorted[sorted.length - 1]), 100.0);
            data.addSeries(s);
            // the same colour for the same role in every plot: the proxy green, its anchor red, the floor blue
            colors.add(series.equals("proxy") ? COLORS[2] : series.equals("direct") ? COLORS[0] : COLORS[1]);
        }
        if (data.getSeriesCount() == 0) {
            return;
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "latency (us, log scale)", "% of samples at or below",
                data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        LogAxis x = new LogAxis("latency (us, log scale)");
        x.setSmallestValue(1);
        // ticks at powers of two, printed as plain numbers (the default prints 10^2.45)
        x.setBase(2);
        x.setAutoTickUnitSelection(false);
        x.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1));
        x.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
        plot.setDomainAxis(x);
        ((NumberAxis) plot.getRangeAxis()).setRange(0, 100);
        plot.addRangeMarker(marker(50));
        plot.addRangeMarker(marker(99));
        style(chart, plot);
        for (int i = 0; i < colors.size(); i++) {
            plot.getRenderer().setSeriesPaint(i, colors.get(i));
        }
        save(chart, dir, bench + "-latency.png", out);
    }

    private static void ackWaits(Results r, Path dir, List<String> out) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        Map<String, String> names = new LinkedHashMap<>();
        names.put("mariadb_replica_default", "MariaDB replica");
        names.put("mariadb_replica_sync_relay_log_1", "MariaDB replica, sync_relay_log=1");
        names.put("proxy_durability_write", "proxy, write");
        names.put("proxy_durability_fsync", "proxy, fsync");
        names.put("floor_acker_netty_serverconnection", "floor acker (no archive)");
        names.forEach((key, name) -> {
            double[] rounds = r.samples().get("semisync-" + key);
            if (rounds != null) {
                for (int i = 0; i < rounds.length; i++) {
                    data.addValue(rounds[i], "round " + (i + 1), name);
                }
            }
        });
        if (data.getColumnCount() == 0) {
            return;
        }
        JFreeChart chart = ChartFactory.createBarChart("Semi-sync ack wait, measured by the master", null,
                "mean ack wait (us)", data, PlotOrientation.HORIZONTAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        chart.setBackgroundPaint(Color.WHITE);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setShadowVisible(false);
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        for (int i = 0; i < data.getRowCount(); i++) {
            renderer.setSeriesPaint(i, COLORS[i % COLORS.length]);
        }
        save(chart, dir, "semisync-ack-wait.png", out);
    }

    /** Every ratio over the recorded runs; below 1 is better for latencies, above 1 for throughput. */
    private static void ratios(History history, Path dir, List<String> out) throws IOException {
        if (history.runs().isEmpty()) {
            return;
        }
        Map<String, XYSeries> byKey = new LinkedHashMap<>();
        for (int i = 0; i < history.runs().size(); i++) {
            History.Run run = history.runs().get(i);
            for (Map.Entry<String, Double> e : run.ratios().entrySet()) {
                byKey.computeIfAbsent(e.getKey(), XYSeries::new).add(i + 1, e.getValue());
            }
        }
        XYSeriesCollection data = new XYSeriesCollection();
        byKey.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart("Ratios against the same-run anchors, run by run",
                "run (bench/history.tsv)", "proxy / anchor", data, PlotOrientation.VERTICAL, true, false, false);
        chart.addSubtitle(new org.jfree.chart.title.TextTitle("latency and ack wait: below 1 is better;"
                + " throughput (backlog, fanout): above 1 is better; tail_rss: proxy RSS / mysqld RSS"));
        XYPlot plot = chart.getXYPlot();
        plot.addRangeMarker(marker(1.0));
        NumberAxis x = (NumberAxis) plot.getDomainAxis();
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        plot.setRenderer(renderer);
        style(chart, plot);
        save(chart, dir, "ratios-over-runs.png", out);
    }

    private static ValueMarker marker(double at) {
        ValueMarker m = new ValueMarker(at, Color.GRAY, new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
                1f, new float[] {4f, 4f}, 0f));
        return m;
    }

    private static void style(JFreeChart chart, XYPlot plot) {
        chart.setBackgroundPaint(Color.WHITE);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        for (int i = 0; i < plot.getSeriesCount(); i++) {
            plot.getRenderer().setSeriesPaint(i, COLORS[i % COLORS.length]);
            plot.getRenderer().setSeriesStroke(i, new BasicStroke(2f));
        }
    }

    private static void save(JFreeChart chart, Path dir, String name, List<String> out) throws IOException {
        ChartUtils.saveChartAsPNG(dir.resolve(name).toFile(), chart, WIDTH, HEIGHT);
        out.add(name);
    }
}
