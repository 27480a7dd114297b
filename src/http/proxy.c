/* Proxy mode (serve --proxy): clients configured with HTTPS_PROXY send
 * `CONNECT api.x.com:443`; followd answers 200 itself, terminates TLS on the
 * same socket with its own certificate (cli/tlsid.h) and hands the decrypted
 * connection to h2o like a freshly accepted TLS one, so the requests inside
 * run through the ordinary handler. Nothing is ever forwarded: a CONNECT to
 * any other host gets 403 and no socket is opened. See http_internal.h. */
#include "http/http_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <h2o/http1.h>
#include <h2o/http2.h>

#include "core/xhosts.h"

/* A CONNECTed socket between the 200 and the end of its TLS handshake. Its
 * timeout entry sits on the context's handshake timeout, so the shutdown
 * drain waits for it and force_close() expires it like any handshake. */
struct tunnel {
    struct thread *thr;
    h2o_socket_t *sock;
    h2o_timeout_entry_t timeout;
    struct timeval connected_at;
};

static void on_tunnel_timeout(h2o_timeout_entry_t *entry)
{
    struct tunnel *tn = H2O_STRUCT_FROM_MEMBER(struct tunnel, timeout, entry);
    h2o_socket_t *sock = tn->sock;
    free(tn);
    h2o_socket_close(sock);
}

static void on_tunnel_handshake(h2o_socket_t *sock, const char *err)
{
    struct tunnel *tn = sock->data;
    sock->data = NULL;
    h2o_timeout_unlink(&tn->timeout);
    struct thread *t = tn->thr;
    struct timeval at = tn->connected_at;
    free(tn);
    if (err != NULL) {
        h2o_socket_close(sock);
        return;
    }
    h2o_iovec_t proto = h2o_socket_ssl_get_selected_protocol(sock);
    for (const h2o_iovec_t *id = h2o_http2_alpn_protocols; id->len != 0; ++id)
        if (proto.len == id->len && memcmp(proto.base, id->base, proto.len) == 0) {
            h2o_http2_accept(&t->tunnel_actx, sock, at);
            return;
        }
    h2o_http1_accept(&t->tunnel_actx, sock, at);
}

/* h2o wrote the 200 and gave up the socket (NULL if writing it failed). */
static void on_upgraded(void *data, h2o_socket_t *sock, size_t reqsize)
{
    struct tunnel *tn = data;
    if (sock == NULL) {
        free(tn);
        return;
    }
    h2o_buffer_consume(&sock->input, reqsize); /* the CONNECT request itself */
    tn->sock = sock;
    sock->data = tn;
    tn->timeout.cb = on_tunnel_timeout;
    h2o_timeout_link(tn->thr->loop, &tn->thr->ctx.handshake_timeout, &tn->timeout);
    h2o_socket_ssl_handshake(sock, tn->thr->srv->ssl_ctx, NULL, on_tunnel_handshake);
}

void fw_http_proxy_connect(struct thread *t, h2o_req_t *req)
{
    if (!t->srv->proxy) {
        fw_http_send_problem(req, 405, "CONNECT is served only in proxy mode (followd serve --proxy).", 0);
        return;
    }
    /* a tunnel is opened on the plain proxy port only: not over HTTP/2, and not
     * inside TLS (a CONNECT within a tunnel or on the intercept port) */
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (req->version >= 0x200 || sock == NULL || sock->ssl != NULL) {
        fw_http_send_problem(req, 405, "CONNECT is served over plain HTTP/1.1 on the proxy port only.", 0);
        return;
    }
    int port;
    if (!fw_x_host_match(req->path.base, req->path.len, &port) || port != 443) {
        fw_http_send_problem(req, 403,
                             "This proxy serves only X's API hosts on port 443 and connects nowhere else.", 0);
        return;
    }
    struct tunnel *tn = calloc(1, sizeof *tn);
    if (!tn) {
        fw_http_send_problem(req, 503, "Out of memory.", 0);
        return;
    }
    tn->thr = t;
    tn->connected_at = req->conn->connected_at;
    req->res.status = 200;
    req->res.reason = "Connection Established";
    fw_http_log_own_req(t, req, 0);
    h2o_http1_upgrade(req, NULL, 0, on_upgraded, tn);
}

int fw_http_proxy_absolute(h2o_iovec_t path, h2o_iovec_t *authority, h2o_iovec_t *target)
{
    size_t skip;
    if (path.len >= 7 && strncasecmp(path.base, "http://", 7) == 0)
        skip = 7;
    else if (path.len >= 8 && strncasecmp(path.base, "https://", 8) == 0)
        skip = 8;
    else
        return 0;
    size_t end = skip;
    while (end < path.len && path.base[end] != '/' && path.base[end] != '?' && path.base[end] != '#')
        end++;
    int port;
    if (!fw_x_host_match(path.base + skip, end - skip, &port))
        return -1;
    *authority = h2o_iovec_init(path.base + skip, end - skip);
    if (end == path.len)
        *target = h2o_iovec_init(H2O_STRLIT("/"));
    else if (path.base[end] == '/')
        *target = h2o_iovec_init(path.base + end, path.len - end);
    else
        return -1; /* "http://api.x.com?x": a query without a path */
    return 1;
}
