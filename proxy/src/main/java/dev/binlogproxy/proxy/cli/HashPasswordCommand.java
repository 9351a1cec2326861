package dev.binlogproxy.proxy.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

import dev.binlogproxy.protocol.auth.PasswordHash;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code binlog-proxy hash-password}: prints the stored forms of a password for a {@code server.users} entry. The
 * password is read from the terminal (not echoed) or from the first line of standard input, never from the
 * command line, where it would land in the shell history and the process list.
 */
@Command(name = "hash-password", description = "Print the hashes to put in server.users for a password read from "
        + "the terminal or stdin.")
final class HashPasswordCommand implements Callable<Integer> {

    @Option(names = "--user", paramLabel = "NAME", description = "Print a complete server.users entry for this user.")
    String user;

    @Override
    public Integer call() throws IOException {
        String password;
        Console console = System.console();
        if (console != null) {
            char[] pw = console.readPassword("password: ");
            if (pw == null) {
                return 2;
            }
            password = new String(pw);
        } else {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null) {
                System.err.println("hash-password: no password on stdin");
                return 2;
            }
            password = line;
        }
        PasswordHash h = PasswordHash.of(password);
        // with --user: indented to paste under "server:\n  users:"
        String indent = user == null ? "" : "      ";
        if (user != null) {
            System.out.println("    " + user + ":");
        }
        System.out.println(indent + "mysqlNativePassword: '" + h.nativeText().orElseThrow() + "'");
        System.out.println(indent + "cachingSha2Password: '" + h.sha2Text().orElseThrow() + "'");
        if (user != null) {
            System.out.println(indent + "permissions: [replication]");
        }
        return 0;
    }
}
