package dev.binlogproxy.downstream.login;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import dev.binlogproxy.protocol.auth.PasswordHash;

/** A user replicas and tools log in as: a name, the stored password hash (never the password), permissions. */
public record UserAccount(String name, PasswordHash password, Set<Permission> permissions) {

    public UserAccount {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(password, "password");
        permissions = Set.copyOf(permissions.isEmpty() ? EnumSet.noneOf(Permission.class) : EnumSet.copyOf(permissions));
    }

    public boolean may(Permission p) {
        return permissions.contains(p);
    }
}
