package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.downstream.DownstreamServer;
import dev.binlogproxy.downstream.admin.ProxyStatus;
import dev.binlogproxy.downstream.admin.RegisteredReplica;
import dev.binlogproxy.failover.Failover;
import dev.binlogproxy.upstream.MirrorService;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The health table {@code binlog-proxy status} prints, one row per server around the proxy: its master, the
 * failover candidates (checked now, as a failover would check them), and every replica registered on the proxy;
 * then the failover state and what a returned old master has beyond the archive.
 */
record StatusTable(List<Row> rows, String failover, String oldMaster) {
    /** One server. */
    record Row(String host, String port, String role, String state, String gtid, String position, String lag,
               String health) {
    }

    static StatusTable of(BinlogProxy proxy) {
        List<Row> rows = new ArrayList<>();
        MirrorService mirror = proxy.mirror();
        var s = mirror.settings().connection();
        List<ArchivedFile> files = proxy.archive().files();
        String end = files.isEmpty() ? "-" : files.get(files.size() - 1).name() + ":" + files.get(files.size() - 1)
                .size();
        String lag = mirror.state() == MirrorService.State.STREAMING ? "streaming" : "-";
        String gtid = proxy.archive().identity().map(id -> id.flavor() == dev.binlogproxy.binlog.BinlogFlavor.MARIADB
                ? "MariaDB GTID" : "gtid_mode " + proxy.masterVariables().getOrDefault("gtid_mode", "?")).orElse("-");
        rows.add(new Row(s.host(), Integer.toString(s.port()), "master", mirror.state().name().toLowerCase(Locale.ROOT),
                gtid, end, lag, mirror.failure().map(f -> "FAILED: " + f).or(() -> mirror.diskFull()
                        .map(d -> "DISK FULL: " + d)).orElse(
                        mirror.state() == MirrorService.State.STREAMING ? "ok" : "not streaming")));
        Failover failover = proxy.failover();
        for (Failover.CandidateStatus c : failover.candidates()) {
            int colon = c.address().lastIndexOf(':');
            rows.add(new Row(c.address().substring(0, colon), c.address().substring(colon + 1), "candidate",
                    c.usable() ? "ready" : "unusable", "-", c.readPosition() == null ? "-" : c.readPosition(),
                    c.lagBytes() < 0 ? "-" : c.lagBytes() + " B", c.reason()));
        }
        java.util.Map<Long, DownstreamServer.DumpView> dumps = new java.util.HashMap<>();
        proxy.server().dumps().forEach(d -> dumps.put(d.serverId(), d));
        ArchivedFile last = files.isEmpty() ? null : files.get(files.size() - 1);
        for (RegisteredReplica r : proxy.server().replicas()) {
            DownstreamServer.DumpView d = dumps.get(r.serverId());
            BinlogPosition at = d == null ? null : d.position();
            rows.add(new Row(r.host().isEmpty() ? "?" : r.host(), Integer.toString(r.port()), "replica",
                    (d == null ? "registered" : "dumping") + " (server_id " + r.serverId() + ")",
                    d == null ? "-" : d.gtid() ? "GTID" : "file/position", at == null ? "-" : at.toString(),
                    lagOf(at, last, files), d == null ? "no dump" : "ok"));
        }
        Failover.Status st = failover.status();
        String fo = "failover " + st.mode().name().toLowerCase(Locale.ROOT) + ", " + st.state().name()
                .toLowerCase(Locale.ROOT) + (st.last() == null ? "" : "; last: " + st.last().kind() + " "
                + st.last().outcome() + " at " + st.last().started() + " in " + st.last().took().toMillis() + " ms"
                + (st.last().newMaster() == null ? "" : " to " + st.last().newMaster()));
        return new StatusTable(rows, fo, st.oldMaster());
    }

    /** The table as SHOW BINLOG PROXY STATUS returns it: the rows, then the failover line as a row of its own. */
    ProxyStatus.Table asTable() {
        List<List<String>> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(List.of(cells(r)));
        }
        out.add(List.of("-", "-", "failover", failover, "-", "-", "-", oldMaster == null ? "-" : oldMaster));
        return new ProxyStatus.Table(List.of("Host", "Port", "Role", "State", "Gtid_mode", "Position", "Lag",
                "Health"), out);
    }

    /** Bytes behind the archive's end in the same file, else how many files behind. */
    private static String lagOf(BinlogPosition at, ArchivedFile last, List<ArchivedFile> files) {
        if (at == null || last == null) {
            return "-";
        }
        if (at.file().equals(last.name())) {
            return Math.max(0, last.size() - at.offset()) + " B";
        }
        long behind = files.stream().filter(f -> BinlogPosition.compareFiles(f.name(), at.file()) > 0).count();
        return behind + " file(s)";
    }

    String render() {
        String[] head = {"HOST", "PORT", "ROLE", "STATE", "GTID", "POSITION", "LAG", "HEALTH"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
        }
        for (Row r : rows) {
            String[] cells = cells(r);
            for (int i = 0; i < cells.length; i++) {
                w[i] = Math.max(w[i], cells[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, head, w);
        for (Row r : rows) {
            line(sb, cells(r), w);
        }
        sb.append(failover).append('\n');
        if (oldMaster != null) {
            sb.append(oldMaster).append('\n');
        }
        return sb.toString();
    }

    private static String[] cells(Row r) {
        return new String[] {r.host(), r.port(), r.role(), r.state(), r.gtid(), r.position(), r.lag(), r.health()};
    }

    private static void line(StringBuilder sb, String[] cells, int[] w) {
        for (int i = 0; i < cells.length; i++) {
            sb.append(i == cells.length - 1 ? cells[i] : String.format(Locale.ROOT, "%-" + w[i] + "s  ", cells[i]));
        }
        sb.append('\n');
    }
}
