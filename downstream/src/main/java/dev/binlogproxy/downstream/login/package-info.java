/**
 * Logins to the master-side server. {@link dev.binlogproxy.downstream.login.ServerAuthenticator} is the server side
 * of the connection phase as a state machine over packets (greeting, TLS, auth switch, caching_sha2_password's
 * fast and full paths, ERR 1045), the counterpart of the client's {@code protocol.auth.Authenticator}; the session
 * does what each {@link dev.binlogproxy.downstream.login.LoginStep} says. {@link
 * dev.binlogproxy.downstream.login.Accounts} holds what every login of a server shares: the
 * {@link dev.binlogproxy.downstream.login.UserAccount}s with their stored second-stage hashes (never passwords) and
 * {@link dev.binlogproxy.downstream.login.Permission}s, the caching_sha2 cache and the RSA key made at start.
 */
package dev.binlogproxy.downstream.login;
