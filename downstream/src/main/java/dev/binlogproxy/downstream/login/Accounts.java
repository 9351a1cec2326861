package dev.binlogproxy.downstream.login;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every login to one server shares: the users and their stored hashes, the TLS policy, and
 * caching_sha2_password's server state as mysqld keeps it (the users that passed full authentication since start,
 * the RSA key pair made at start). Thread-safe: the logins of every event loop use one instance.
 */
public final class Accounts {
    private final List<UserAccount> users;
    private final boolean tlsOffered;
    private final boolean tlsRequired;
    private final boolean fullAuthOnFirstLogin;
    /** Users who passed caching_sha2_password full authentication since start (MySQL's cache). */
    private final Set<String> sha2Cache = ConcurrentHashMap.newKeySet();
    /** Null unless full authentication can happen. */
    private final RsaKeys rsaKeys;

    /**
     * @param fullAuthOnFirstLogin caching_sha2_password as MySQL runs it: a user's first login after start takes
     *                             the full path (the password over TLS, or RSA-encrypted with a key made here)
     */
    public Accounts(List<UserAccount> users, boolean tlsOffered, boolean tlsRequired, boolean fullAuthOnFirstLogin) {
        if (tlsRequired && !tlsOffered) {
            throw new IllegalArgumentException("TLS required but not offered");
        }
        this.users = List.copyOf(users);
        this.tlsOffered = tlsOffered;
        this.tlsRequired = tlsRequired;
        this.fullAuthOnFirstLogin = fullAuthOnFirstLogin;
        this.rsaKeys = fullAuthOnFirstLogin ? new RsaKeys() : null;
    }

    /**
     * The login of one new connection, greeting the client as this server.
     *
     * @param serverVersion the version the greeting states
     * @param collation     the greeting's character set
     * @param authPlugin    the plugin the greeting offers (the flavor's default)
     */
    public ServerAuthenticator newLogin(long connectionId, String clientHost, String serverVersion, int collation,
                                        String authPlugin) {
        return new ServerAuthenticator(this, connectionId, clientHost, serverVersion, collation, authPlugin);
    }

    UserAccount user(String name) {
        for (UserAccount u : users) {
            if (u.name().equals(name)) {
                return u;
            }
        }
        return null;
    }

    boolean tlsOffered() {
        return tlsOffered;
    }

    boolean tlsRequired() {
        return tlsRequired;
    }

    /** Whether this caching_sha2_password login must take the full path (the user is not cached yet). */
    boolean needsFullAuth(String user) {
        return fullAuthOnFirstLogin && !sha2Cache.contains(user);
    }

    void cacheSha2(String user) {
        sha2Cache.add(user);
    }

    RsaKeys rsaKeys() {
        return rsaKeys;
    }
}
