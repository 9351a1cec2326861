package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * A JVM killed with -9 runs no shutdown hook: its servers must die anyway (their watchdogs see the pipe close), and
 * its directories must go at the next sweep, which also kills a server whose watchdog was lost.
 */
class OrphanCleanupTest {

    @Test
    void serversOfAKilledJvmDieAndTheirDirectoriesAreSwept() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        for (String property : List.of(KitRoot.ROOT_PROPERTY, Cache.PROPERTY, "java.io.tmpdir")) {
            String value = System.getProperty(property);
            if (value != null) {
                cmd.add("-D" + property + "=" + value);
            }
        }
        cmd.add(OrphanChild.class.getName());
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Map<Long, Path> servers = new LinkedHashMap<>();
        StringBuilder output = new StringBuilder();
        try {
            CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        output.append(line).append('\n');
                        if (line.startsWith("SERVER ")) {
                            String[] f = line.split(" ", 3);
                            servers.put(Long.parseLong(f[1]), Paths.get(f[2]));
                        } else if (line.equals("READY")) {
                            return true;
                        }
                    }
                    return false;
                } catch (Exception e) {
                    return false;
                }
            });
            if (!ready.get(60, TimeUnit.SECONDS)) {
                fail("child JVM did not start its servers:\n" + output);
            }
            assertEquals(2, servers.size());
            for (Map.Entry<Long, Path> s : servers.entrySet()) {
                assertTrue(alive(s.getKey()), "server " + s.getKey() + " runs");
                assertTrue(Files.isDirectory(s.getValue()));
            }

            // The first server keeps its watchdog. The second loses it (and its guard) before the JVM dies, as if
            // someone had killed the process group: then only the sweep can stop that server.
            long guarded = servers.keySet().stream().findFirst().orElseThrow();
            long unguarded = servers.keySet().stream().skip(1).findFirst().orElseThrow();
            ProcessHandle watchdog = ProcessHandle.of(unguarded).flatMap(ProcessHandle::parent).orElseThrow();
            assertTrue(watchdog.info().commandLine().orElse("").contains("binlog-proxy-watchdog"));
            watchdog.children().filter(p -> p.pid() != unguarded).forEach(ProcessHandle::destroyForcibly);
            watchdog.destroyForcibly();
            watchdog.onExit().get(10, TimeUnit.SECONDS);

            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (alive(guarded) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(alive(guarded), "the watchdog killed server " + guarded);
            assertTrue(alive(unguarded), "server " + unguarded + " without watchdog survives its JVM");
            for (Path dir : servers.values()) {
                assertTrue(Files.isDirectory(dir), "nothing but the sweep removes the directory");
            }

            // Another JVM on the machine (a parallel build) may sweep the same orphans first: what matters is that
            // the directories are gone after a sweep, whichever sweep it was.
            List<Path> removed = KitRoot.sweep();
            for (Path dir : servers.values()) {
                assertFalse(Files.exists(dir), dir + " swept (by this sweep: " + removed.contains(dir) + ")");
            }
            assertFalse(alive(unguarded), "the sweep killed server " + unguarded);
        } finally {
            child.destroyForcibly();
            for (long pid : servers.keySet()) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
