/* The host names X clients have compiled in, which followd answers for in
 * intercept and proxy modes: the server certificate's names (cli/tls), the
 * hosts-file block (cli/hosts), the CONNECT and absolute-form targets the
 * proxy serves itself (http/proxy.c) and the OAuth 1.0a base URLs accepted
 * for them (cli/serve). One table, so the four cannot disagree. */
#ifndef FW_CORE_XHOSTS_H
#define FW_CORE_XHOSTS_H

#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated, lower-case, static. */
extern const char *const fw_x_hosts[];

/* True if the host part of `authority` ("host", "host:port") is one of
 * fw_x_hosts (compared case-insensitively, a trailing dot allowed); *port
 * gets the port or 0 when there is none, -1 when it is malformed. */
bool fw_x_host_match(const char *authority, size_t len, int *port);

#endif
