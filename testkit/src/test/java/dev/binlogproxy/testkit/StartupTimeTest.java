package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-to-ready time of a fresh instance (template copy, launch, first successful login), measured alone so that
 * other servers starting in parallel do not inflate it. The one-time template build is excluded: it is cached per
 * user across runs.
 */
class StartupTimeTest {

    private static final Logger LOG = LoggerFactory.getLogger(StartupTimeTest.class);

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void freshInstanceIsReadyWithinTenSeconds(Flavor flavor) {
        long templateNanos = System.nanoTime();
        Engine.of(flavor).templateDataDir();
        Duration template = Duration.ofNanos(System.nanoTime() - templateNanos);

        long startNanos = System.nanoTime();
        try (DbServer server = DbServer.start(ServerOptions.builder(flavor).build())) {
            Duration startToReady = Duration.ofNanos(System.nanoTime() - startNanos);
            LOG.info("{} start-to-ready: {} ms (template lookup or build before that: {} ms), version {}",
                    flavor, startToReady.toMillis(), template.toMillis(), server.version());
            assertTrue(startToReady.compareTo(Duration.ofSeconds(10)) < 0, flavor + " took " + startToReady);
        }
    }
}
