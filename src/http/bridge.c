/* The request bridge: an h2o request becomes an fw_req for fw_api_handle(),
 * and the API's response (req->done) goes back out through h2o. */
#include "http/http_internal.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define MAX_TARGET 16384       /* request target (path + query) -> 414 */
#define MAX_HEADER_BYTES 16384 /* headers copied for the API (auth, type, host, cookies) -> 431 */
#define MAX_H2_FIELDS 256      /* header fields of an HTTP/2 request -> connection closed */

/* Runs when the h2o request's pool is cleared (response finished, client
 * gone, or connection closed). */
static void on_link_dispose(void *p)
{
    struct req_link *link = p;
    http_req *hr = link->hr;
    if (!hr)
        return;
    h2o_req_t *req = hr->h2o;
    if (req->version >= 0x200 && (hr->state == HR_API || req->bytes_sent < hr->expect_bytes))
        fw_http_note_abandoned(hr->thr, req->conn);
    if (hr->state == HR_SENDING)
        h2o_linklist_unlink(&hr->sending_link);
    hr->link = NULL;
    hr->h2o = NULL;
    if (hr->state == HR_SENDING) {
        fw_http_log_api_req(hr, req->res.status, req->bytes_sent < hr->expect_bytes ? req->bytes_sent : hr->expect_bytes);
        fw_http_req_put(hr); /* the response no longer references our buffers */
    } else {
        hr->state = HR_ORPHANED; /* API still owns it: recycle in done() */
    }
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

/* A response header value must not be able to split the response. */
static bool header_value_ok(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (v[i] == '\r' || v[i] == '\n' || v[i] == '\0')
            return false;
    return true;
}

static void on_api_done(fw_req *r)
{
    http_req *hr = (http_req *)r;
    struct thread *t = hr->thr;
    t->inflight--;
    if (hr->state == HR_ORPHANED) {
        fw_http_log_api_req(hr, 499, 0); /* nginx's "client closed request" */
        fw_http_req_put(hr);
        return;
    }
    h2o_req_t *req = hr->h2o;
    hr->state = HR_SENDING; /* recycled by on_link_dispose once h2o is done with the buffers */

    int status = r->status;
    if (status < 100 || status > 999) {
        fprintf(stderr, "followd: API returned invalid status %d\n", status);
        status = 500;
        fw_buf_reset(&r->body_out);
        r->nhdrs = 0;
    }
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    if (r->content_type_out)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, r->content_type_out,
                       strlen(r->content_type_out));
    int n = r->nhdrs < 0 ? 0 : r->nhdrs > FW_RESP_MAX_HEADERS ? FW_RESP_MAX_HEADERS : r->nhdrs;
    for (int i = 0; i < n; i++) {
        const fw_resp_hdr *h = &r->hdrs[i];
        if (!h->name || h->off > r->hdr_vals.len || h->len > r->hdr_vals.len - h->off)
            continue;
        const char *v = r->hdr_vals.data + h->off;
        if (!header_value_ok(v, h->len))
            continue;
        /* name and value stay valid until the pool dies: name is static, value is in hr */
        h2o_add_header_by_str(&req->pool, &req->res.headers, h->name, strlen(h->name), 1, NULL, v, h->len);
    }
    if (t->ctx.shutdown_requested)
        req->http1_is_persistent = 0; /* let HTTP/1 connections end after this response */
    req->res.content_length = r->body_out.len;

    /* HEAD: the headers (Content-Length included) of the response a GET would
     * get, and never a byte of body, or a kept-alive HTTP/1.1 connection would
     * read the next response out of step (RFC 9110 section 9.3.2). */
    bool head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    hr->expect_bytes = head ? 0 : r->body_out.len;
    fw_http_sending_start(t, hr);
    static h2o_generator_t generator = {NULL, NULL};
    h2o_iovec_t body = h2o_iovec_init(r->body_out.data, head ? 0 : r->body_out.len);
    h2o_start_response(req, &generator);
    h2o_send(req, &body, body.len ? 1 : 0, H2O_SEND_STATE_FINAL);
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return false;
}

static h2o_iovec_t find_header(h2o_req_t *req, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);
    return i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

/* Copies src into hr->in (capacity reserved beforehand, so no pointer moves). */
static fw_str copy_in(http_req *hr, const char *p, size_t len)
{
    fw_str s = {hr->in.data + hr->in.len, len};
    if (len)
        memcpy(hr->in.data + hr->in.len, p, len);
    hr->in.len += len;
    return s;
}

/* An X-style problem document for the limits this layer enforces itself
 * (bodies between max_body and h2o's own doubled limit get this instead of
 * h2o's text/plain 413 or HTTP/2 stream reset), and for proxy refusals. */
void fw_http_send_problem(h2o_req_t *req, int status, const char *detail, size_t limit)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"title\":\"%s\",\"detail\":\"", reason_phrase(status));
    n += snprintf(body + n, sizeof body - (size_t)n, detail, limit);
    n += snprintf(body + n, sizeof body - (size_t)n, "\",\"type\":\"about:blank\",\"status\":%d}", status);
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/problem+json"));
    req->res.content_length = (size_t)n;
    h2o_send_inline(req, body, (size_t)n);
    fw_http_log_own_req(H2O_STRUCT_FROM_MEMBER(struct thread, ctx, req->conn->ctx), req, (uint64_t)n);
}

int fw_http_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct handler *h = (struct handler *)self;
    struct thread *t = H2O_STRUCT_FROM_MEMBER(struct thread, ctx, req->conn->ctx);
    if (req->version >= 0x200 && fw_http_conn_slot(t, req->conn->id)->banned) {
        /* frames h2o had already read from a connection being cut: stay cheap */
        fw_http_cut_conn(req->conn);
        fw_http_send_problem(req, 503, "This connection cancelled too many requests.", 0);
        return 0;
    }
    /* HPACK lets one byte on the wire become one header field held in the
     * request's pool, and a closed flow-control window keeps the pool alive
     * (CVE-2026-49975, "HTTP/2 bomb"); h2o 2.2.5 bounds only the header
     * block's size (~408 KiB). HTTP/1 heads are capped at 100 lines by h2o; an
     * HTTP/2 request with more than MAX_H2_FIELDS fields ends its connection,
     * which frees every stream's headers at once, window or not. */
    if (req->version >= 0x200 && req->headers.size > MAX_H2_FIELDS) {
        fw_http_cut_conn(req->conn);
        fw_http_send_problem(req, 431, "The request has more than %zu header fields.", MAX_H2_FIELDS);
        return 0;
    }
    /* Before anything else: a request whose framing a front end could read
     * differently is refused, and its connection closed with it. */
    const char *framing = fw_http1_framing_error(req);
    if (framing) {
        req->http1_is_persistent = 0;
        fw_http_send_problem(req, 400, framing, 0);
        return 0;
    }
    if (req->entity.len > h->srv->max_body) {
        fw_http_send_problem(req, 413, "The request body exceeds the limit of %zu bytes.", h->srv->max_body);
        return 0;
    }
    if (req->path.len > MAX_TARGET) {
        fw_http_send_problem(req, 414, "The request target exceeds the limit of %zu bytes.", MAX_TARGET);
        return 0;
    }
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("CONNECT"))) {
        fw_http_proxy_connect(t, req);
        return 0;
    }
    /* In proxy mode an absolute-form target for one of X's hosts is served
     * as its origin-form path with that host; any other host is refused. */
    h2o_iovec_t target = req->path, host = req->authority;
    size_t query_at = req->query_at;
    if (h->srv->proxy) {
        int abs = fw_http_proxy_absolute(req->path, &host, &target);
        if (abs < 0) {
            fw_http_send_problem(req, 403, "This proxy serves only X's API hosts and connects nowhere else.", 0);
            return 0;
        }
        if (abs > 0) {
            const char *q = memchr(target.base, '?', target.len);
            query_at = q ? (size_t)(q - target.base) : SIZE_MAX;
        }
    }
    /* Only origin-form targets reach the API: an HTTP/2 :path without its
     * leading '/' is malformed (RFC 9113 section 8.3.1), and so is an
     * HTTP/1.1 target like "users/1" (RFC 9112 section 3.2). */
    if (target.len == 0 || target.base[0] != '/') {
        fw_http_send_problem(req, 400, "The request target must start with '/'.", 0);
        return 0;
    }

    size_t path_len = query_at == SIZE_MAX ? target.len : query_at;
    size_t query_off = query_at == SIZE_MAX ? target.len : query_at + 1;
    h2o_iovec_t auth = find_header(req, H2O_TOKEN_AUTHORIZATION);
    h2o_iovec_t ctype = find_header(req, H2O_TOKEN_CONTENT_TYPE);
    size_t cookie_len = 0, ncookies = 0;
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
        cookie_len += req->headers.entries[i].value.len;
        ncookies++;
    }
    if (ncookies > 1)
        cookie_len += 2 * (ncookies - 1); /* HTTP/2 may split cookies; join with "; " */
    if (auth.len + ctype.len + host.len + cookie_len > MAX_HEADER_BYTES) {
        fw_http_send_problem(req, 431, "The request headers exceed the limit of %zu bytes.", MAX_HEADER_BYTES);
        return 0;
    }

    http_req *hr = fw_http_req_get(t);
    size_t total = req->method.len + path_len + (target.len - query_off) + auth.len + ctype.len + host.len +
                   cookie_len + req->entity.len;
    fw_buf_reserve(&hr->in, total);

    fw_req *r = &hr->r;
    r->method = copy_in(hr, req->method.base, req->method.len);
    r->path = copy_in(hr, target.base, path_len);
    r->query = copy_in(hr, target.base + query_off, target.len - query_off);
    r->authorization = copy_in(hr, auth.base, auth.len);
    r->content_type = copy_in(hr, ctype.base, ctype.len);
    r->host = copy_in(hr, host.base, host.len);
    r->cookie.p = hr->in.data + hr->in.len;
    r->cookie.len = cookie_len;
    size_t k = 0;
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1; k++) {
        if (k)
            copy_in(hr, "; ", 2);
        copy_in(hr, req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    }
    r->body = copy_in(hr, req->entity.base, req->entity.len);
    hr->in.data[hr->in.len] = 0;

    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    r->tls = sock != NULL && sock->ssl != NULL;
    if (req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&hr->peer) == 0)
        hr->peer.ss_family = AF_UNSPEC;
    r->loopback = is_loopback(&hr->peer);
    hr->start = fw_http_req_start(req);
    hr->version = req->version;
    r->exec = &t->exec;
    r->done = on_api_done;
    r->http_data = hr;

    hr->h2o = req;
    hr->state = HR_API;
    hr->link = h2o_mem_alloc_shared(&req->pool, sizeof *hr->link, on_link_dispose);
    hr->link->hr = hr;
    t->inflight++;

    fw_api_handle(h->srv->api, r);
    return 0;
}
