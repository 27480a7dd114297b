/* Access-log hooks: each thread formats its lines into its own buffer, written by
 * fw_alog_flush() when it is full, every second and when the thread ends, so a
 * request costs no lock and no system call (see http/accesslog.h). */
#include "http/http_internal.h"

#include <string.h>
#include <time.h>

static int64_t tv_us(const struct timeval *tv)
{
    return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* When h2o began reading the request (the loop tick's clock, so it includes
 * the time spent reading the body). */
struct timeval fw_http_req_start(h2o_req_t *req)
{
    return h2o_timeval_is_null(&req->timestamps.request_begin_at) ? req->processed_at.at
                                                                   : req->timestamps.request_begin_at;
}

static void log_line(struct thread *t, fw_alog_entry *e, const struct timeval *start)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t s = tv_us(start), n = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    e->start_us = s;
    e->duration_us = n > s ? (uint64_t)(n - s) : 0;
    e->loop = (int)(t - t->srv->threads);
    fw_alog_format(&t->logbuf, e);
    if (t->logbuf.len >= FW_ALOG_FLUSH_BYTES)
        fw_alog_flush(t->srv->alog, &t->logbuf);
}

static fw_str access_level(const fw_req *r)
{
    int n = r->nhdrs < 0 ? 0 : r->nhdrs > FW_RESP_MAX_HEADERS ? FW_RESP_MAX_HEADERS : r->nhdrs;
    for (int i = 0; i < n; i++) {
        const fw_resp_hdr *h = &r->hdrs[i];
        if (h->name && strcmp(h->name, "x-access-level") == 0 && h->off <= r->hdr_vals.len &&
            h->len <= r->hdr_vals.len - h->off)
            return (fw_str){r->hdr_vals.data + h->off, h->len};
    }
    return FW_STR_NULL;
}

/* A request the API handled; its h2o request may already be gone. */
void fw_http_log_api_req(http_req *hr, int status, uint64_t bytes)
{
    struct thread *t = hr->thr;
    if (!t->srv->alog)
        return;
    const fw_req *r = &hr->r;
    fw_alog_entry e = {0};
    e.peer = (const struct sockaddr *)&hr->peer;
    e.method = r->method;
    e.path = r->path;
    e.query = r->query;
    e.redact_query = r->redact_query;
    e.version = hr->version;
    e.status = status;
    e.bytes = bytes;
    e.access = access_level(r);
    log_line(t, &e, &hr->start);
}

/* A request this layer answered itself (a limit was exceeded). */
void fw_http_log_own_req(struct thread *t, h2o_req_t *req, uint64_t bytes)
{
    if (!t->srv->alog)
        return;
    struct sockaddr_storage ss;
    socklen_t l = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    size_t path_len = req->query_at == SIZE_MAX ? req->path.len : req->query_at;
    fw_alog_entry e = {0};
    e.peer = l ? (const struct sockaddr *)&ss : NULL;
    e.method = (fw_str){req->method.base, req->method.len};
    e.path = (fw_str){req->path.base, path_len};
    if (path_len < req->path.len)
        e.query = (fw_str){req->path.base + path_len + 1, req->path.len - path_len - 1};
    e.redact_query = fw_api_query_is_secret(e.path);
    e.version = req->version;
    e.status = req->res.status;
    e.bytes = bytes;
    struct timeval start = fw_http_req_start(req);
    log_line(t, &e, &start);
}

void fw_http_log_tick(h2o_timeout_entry_t *entry)
{
    struct thread *t = H2O_STRUCT_FROM_MEMBER(struct thread, log_entry, entry);
    fw_alog_flush(t->srv->alog, &t->logbuf); /* also performs a requested reopen */
    h2o_timeout_link(t->loop, &t->log_timeout, &t->log_entry);
}
