package dev.binlogproxy.proxy;

import dev.binlogproxy.failover.FailoverReport;
import dev.binlogproxy.proxy.metrics.MetricsServer;
import dev.binlogproxy.proxy.metrics.MetricsServer.Reply;

/**
 * The operator's routes next to /metrics: {@code GET /status} (the health table), {@code POST /failover}
 * ({@code ?dryRun=true} prints the plan), {@code POST /switchover?to=HOST:PORT} ({@code &rejoin=true},
 * {@code &dryRun=true}). The CLI's status, failover and switchover commands call them.
 */
final class AdminRoutes {
    private AdminRoutes() {
    }

    static void install(MetricsServer http, BinlogProxy proxy) {
        http.route("/status", (method, q) -> new Reply(200, StatusTable.of(proxy).render()));
        http.route("/failover", (method, q) -> {
            if (!method.equals("POST")) {
                return new Reply(405, "POST /failover[?dryRun=true]\n");
            }
            return reply(proxy.failover().failover(Boolean.parseBoolean(q.getOrDefault("dryRun", "false"))));
        });
        http.route("/switchover", (method, q) -> {
            if (!method.equals("POST")) {
                return new Reply(405, "POST /switchover?to=HOST:PORT[&rejoin=true][&dryRun=true]\n");
            }
            String to = q.get("to");
            if (to == null || to.lastIndexOf(':') < 1) {
                return new Reply(400, "switchover needs to=HOST:PORT (one of failover.candidates)\n");
            }
            int colon = to.lastIndexOf(':');
            int port;
            try {
                port = Integer.parseInt(to.substring(colon + 1));
            } catch (NumberFormatException e) {
                return new Reply(400, "to=" + to + ": the port is not a number\n");
            }
            return reply(proxy.failover().switchover(to.substring(0, colon), port,
                    Boolean.parseBoolean(q.getOrDefault("rejoin", "false")),
                    Boolean.parseBoolean(q.getOrDefault("dryRun", "false"))));
        });
    }

    private static Reply reply(FailoverReport r) {
        boolean ok = r.outcome() == FailoverReport.Outcome.COMMITTED || r.outcome() == FailoverReport.Outcome.PLANNED;
        return new Reply(ok ? 200 : 409, r.describe() + "\n");
    }
}
