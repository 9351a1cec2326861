package dev.binlogproxy.downstream.admin;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.protocol.ErrorCodes;

/** The statements that change something: PURGE BINARY LOGS (the archive) and KILL (a session). */
final class AdminStatements {
    private static final Logger log = LoggerFactory.getLogger(AdminStatements.class);
    private static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd[ HH:mm[:ss]]");

    private final ServerInfo server;
    private final ClientSession session;

    AdminStatements(ServerInfo server, ClientSession session) {
        this.server = server;
        this.session = session;
    }

    Reply purge(Statement.Purge p) throws IOException {
        if (!session.may(Permission.ADMIN)) {
            return Reply.accessDenied("SUPER or BINLOG_ADMIN");
        }
        List<ArchivedFile> files = server.archive().archive().files();
        RetentionPolicy policy;
        int wanted;
        if (p.toFile() != null) {
            int index = -1;
            for (int k = 0; k < files.size(); k++) {
                if (files.get(k).name().equals(p.toFile())) {
                    index = k;
                }
            }
            if (index < 0) {
                // ER_UNKNOWN_TARGET_BINLOG
                return new Reply.Error(1373, ErrorCodes.SQLSTATE_GENERAL, "Target log not found in binlog index");
            }
            wanted = index;
            policy = RetentionPolicy.keepAll().withMaxFiles(files.size() - index);
        } else {
            Instant before;
            if (p.before().equals("now")) {
                before = Instant.now();
            } else {
                try {
                    before = LocalDateTime.parse(p.before().trim(), DATETIME).atZone(ZoneId.systemDefault())
                            .toInstant();
                } catch (DateTimeParseException e) {
                    // ER_WRONG_ARGUMENTS
                    return new Reply.Error(1210, ErrorCodes.SQLSTATE_GENERAL, "Incorrect arguments to PURGE LOGS BEFORE");
                }
            }
            Duration age = Duration.between(before, Instant.now());
            if (age.isNegative()) {
                age = Duration.ZERO;
            }
            policy = RetentionPolicy.keepAll().withMaxAge(age);
            wanted = -1;
        }
        List<String> purged = server.archive().archive().purge(policy);
        log.info("session {} ({}): PURGE purged {}", session.connectionId(), session.user(), purged);
        if (wanted > 0 && purged.size() < wanted) {
            // Like mysqld: purge what can go, warn about the file a reader holds.
            return new Reply.Ok(1, "kept " + files.get(purged.size()).name() + " and later: a dump is reading it");
        }
        return Replies.ok();
    }

    Reply kill(Statement.Kill k) {
        Optional<? extends ClientSession> target = server.session(k.connectionId());
        if (target.isEmpty()) {
            // ER_NO_SUCH_THREAD
            return new Reply.Error(1094, ErrorCodes.SQLSTATE_GENERAL, "Unknown thread id: " + k.connectionId());
        }
        if (!target.get().user().equals(session.user()) && !session.may(Permission.ADMIN)) {
            // ER_KILL_DENIED_ERROR
            return new Reply.Error(1095, ErrorCodes.SQLSTATE_GENERAL, "You are not owner of thread "
                    + k.connectionId());
        }
        target.get().kill();
        return Replies.ok();
    }
}
