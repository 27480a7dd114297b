/* The local TLS identity of intercept and proxy modes: a CA of this machine
 * and a server certificate it signed for X's host names (core/xhosts.h),
 * localhost, 127.0.0.1 and ::1, plus the trust files clients are pointed at.
 * Made with OpenSSL's APIs (no openssl binary).
 *
 * Files in the directory (created 0700):
 *   ca.pem, ca.key          the CA (key 0600; kept across runs)
 *   server.pem, server.key  the server certificate followed by the CA, and its key (0600)
 *   bundle.pem              the system's CA bundle plus ca.pem (for variables that replace the
 *                           default trust: REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE)
 *   truststore.p12          ca.pem as a PKCS12 trust store for Java (password FW_TLS_P12_PASS)
 * Used by cli/ only (tls and serve). */
#ifndef FW_CLI_TLSID_H
#define FW_CLI_TLSID_H

#include <stdbool.h>
#include <stddef.h>

#define FW_TLS_P12_PASS "changeit" /* Java's customary trust store password */
#define FW_TLS_SYSTEM_CA "/usr/local/share/ca-certificates/followd-local-ca.crt"

/* $XDG_DATA_HOME/followd/tls, else $HOME/.local/share/followd/tls; -1 if
 * neither variable is set or the path does not fit. */
int fw_tlsid_default_dir(char *out, size_t cap);

/* dir/name into out; -1 if it does not fit. */
int fw_tlsid_path(const char *dir, const char *name, char *out, size_t cap);

/* Creates whatever of the identity is missing in dir (the CA once; the
 * server certificate when missing, not signed by the current CA, expiring
 * within 30 days or not naming every host of the table) and rewrites
 * bundle.pem and truststore.p12. *created_ca / *created_server tell what was
 * new. 0, or -1 with a message in err. Idempotent. */
int fw_tlsid_init(const char *dir, bool *created_ca, bool *created_server, char *err, size_t errcap);

#endif
