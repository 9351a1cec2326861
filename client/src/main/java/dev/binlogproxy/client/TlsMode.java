package dev.binlogproxy.client;

/**
 * How a connection uses TLS, with the meanings of the mysql client's {@code --ssl-mode} of the same names:
 * PREFERRED and REQUIRED encrypt without checking the certificate, VERIFY_CA checks the chain against a CA file,
 * VERIFY_IDENTITY also checks that the certificate names the host.
 */
public enum TlsMode { DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY }
