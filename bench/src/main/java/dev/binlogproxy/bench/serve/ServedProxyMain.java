package dev.binlogproxy.bench.serve;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.downstream.DownstreamServer;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.ServerSettings;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.upstream.MirrorMetrics;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.UpstreamSettings;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The proxy's two halves, mirror and master-side server, in a JVM of their own for {@link ProxyProcess} when
 * {@code binlog-proxy run} is not the launcher ({@code -Dbench.launcher=jvm}). Runs until stdin closes.
 *
 * <p>Args: masterPort serverPort archiveDir serverId user password.
 */
public final class ServedProxyMain {

    public static void main(String[] args) throws Exception {
        int masterPort = Integer.parseInt(args[0]);
        int serverPort = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        long serverId = Long.parseLong(args[3]);
        String user = args[4];
        String password = args[5];
        Files.createDirectories(dir);
        try (BinlogArchive archive = BinlogArchive.open(dir, Durability.WRITE);
             MirrorService mirror = MirrorService.start(UpstreamSettings.of(ConnectionSettings.plain("127.0.0.1",
                     masterPort, user, password), serverId, false), archive, new MirrorMetrics(new SimpleMeterRegistry()))) {
            // the server greets nobody (3032) until the archive has a file
            while (true) {
                try (Stream<Path> s = Files.list(dir)) {
                    if (s.anyMatch(p -> p.getFileName().toString().matches(".*\\.\\d{6}"))) {
                        break;
                    }
                }
                Thread.sleep(20);
            }
            ServerSettings settings = new ServerSettings("127.0.0.1", serverPort, null, null, false,
                    List.of(new UserAccount(user, PasswordHash.of(password),
                            EnumSet.of(Permission.REPLICATION, Permission.ADMIN))), null, null, false, false);
            try (DownstreamServer server = DownstreamServer.start(settings, archive, Map::of, null,
                    new SimpleMeterRegistry())) {
                System.out.println("serving on " + server.port());
                while (System.in.read() >= 0) {
                    // until the parent closes our stdin (or dies)
                }
            }
        }
    }
}
