/* The HTTP layer: libh2o (evloop) front end for the API layer.
 *
 * fw_http_serve() runs N event-loop threads, each with its own h2o context and
 * its own SO_REUSEPORT listener on the same address, speaking HTTP/1.1, h2c
 * (Upgrade and prior knowledge) and, when a certificate is configured, TLS with
 * ALPN h2 / http/1.1. Every request, whatever its path, is turned into an
 * fw_req and handed to fw_api_handle(); the response is sent when the API calls
 * req->done(). Each thread also provides the fw_exec through which the store
 * completes asynchronous operations on that thread, and, when configured,
 * writes one access log line per finished request (http/accesslog.h).
 *
 * Several listeners (plain or TLS) may serve at once (intercept mode: HTTPS on
 * :443 and HTTP on :80). In proxy mode a listener also accepts `CONNECT
 * host:443` for X's host names (core/xhosts.h), answers 200, terminates TLS
 * on that socket with the configured certificate and serves the requests
 * inside like any other; absolute-form targets (`GET http://api.x.com/2/...`)
 * for those hosts are served too. Any other CONNECT or absolute-form target is
 * refused with 403: this layer never opens an outbound connection.
 *
 * Ownership: the config strings and the fw_api are borrowed for the duration of
 * fw_http_serve(). fw_req objects and their buffers belong to this layer and are
 * recycled per thread. Only src/http/ includes h2o.h. See docs/http.md. */
#ifndef FW_HTTP_SERVER_H
#define FW_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"

/* What fw_http_serve() uses for a field left 0/NULL (and what `followd serve`
 * shows as its defaults). Plain literals, so the CLI can print them. */
#define FW_HTTP_DEFAULT_LISTEN "127.0.0.1:8080"
#define FW_HTTP_DEFAULT_MAX_BODY 65536
#define FW_HTTP_DEFAULT_TIMEOUT_MS 10000

#define FW_HTTP_MAX_LISTENERS 4

typedef struct fw_http_listener {
    const char *addr; /* "HOST:PORT" (IPv4, [IPv6] or hostname) */
    bool tls;         /* TLS with tls_cert/tls_key */
} fw_http_listener;

typedef struct fw_http_config {
    const char *listen;        /* "HOST:PORT" (IPv4, [IPv6] or hostname); NULL/"" = FW_HTTP_DEFAULT_LISTEN */
    /* nlisteners > 0: these listeners instead of `listen` (which is then ignored) */
    fw_http_listener listeners[FW_HTTP_MAX_LISTENERS];
    size_t nlisteners;
    bool proxy;                /* CONNECT / absolute-form for X's hosts (needs tls_cert); see above */
    int threads;               /* event loops; 0 = one per online CPU */
    const char *tls_cert, *tls_key; /* both set = TLS with ALPN h2 + http/1.1 (on `listen`, or the
                                       listeners marked tls, and inside proxy tunnels) */
    size_t max_body;           /* request body limit in bytes (0 = FW_HTTP_DEFAULT_MAX_BODY) -> 413 */
    int timeout_ms;            /* header/idle/handshake/stalled-response timeouts (0 = FW_HTTP_DEFAULT_TIMEOUT_MS) */
    const char *access_log;    /* NULL/"" = none, "-" = stderr, else a file appended to and reopened on SIGHUP */
    /* called once all listeners are bound; ports[i] = the actual port of listener i (so "127.0.0.1:0" works) */
    void (*on_ready)(void *ctx, const int *ports, size_t n); void *on_ready_ctx;
} fw_http_config;

/* Runs the server until SIGTERM/SIGINT (installed by this function) or
 * fw_http_stop(); then stops accepting, lets in-flight requests finish (bounded
 * wait for idle connections, 5 s), writes the last access log lines and returns
 * 0. SIGHUP (also installed here) reopens the access log and does nothing else.
 * Returns -1 with a message on stderr if a listener cannot be bound, or the TLS
 * files or the access log cannot be opened. `api` is
 * borrowed. A stop requested before the server is ready takes effect as soon as
 * it is. One server per process at a time. */
int fw_http_serve(const fw_http_config *cfg, fw_api *api);

/* Asks a running server to stop (async-signal-safe). */
void fw_http_stop(void);

#endif
