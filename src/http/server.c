/* HTTP server on libh2o-evloop 2.2.5; see server.h and docs/http.md.
 *
 * Layout of this file: configuration and TLS, listeners, the per-thread
 * executor, request objects, stalled and abandoned responses, the access log
 * hooks, the request bridge (h2o_req_t <-> fw_req), the thread loop with its
 * graceful shutdown, and fw_http_serve() tying them together. */
#include "http/server.h"

#include "http/accesslog.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <h2o.h>
#include <h2o/http1.h>
#include <h2o/http2.h>
#include <linux/tcp.h> /* after h2o.h: tcp_info with tcpi_bytes_acked (glibc's copy lacks it) */

#define MAX_THREADS 256
#define DRAIN_MS 5000             /* grace period for open connections at shutdown */
#define FORCE_MS 2000             /* after forcing closes, how long to wait before giving up */
#define H2_MAX_STREAMS 100
#define FREE_LIST_MAX 1024        /* idle fw_req objects kept per thread */
#define KEEP_BUF_MAX (256 * 1024) /* larger response buffers are released on recycle */
#define MAX_TARGET 16384          /* request target (path + query) -> 414 */
#define MAX_HEADER_BYTES 16384    /* headers copied for the API (auth, type, host, cookies) -> 431 */
#define ABANDON_BURST 256         /* HTTP/2 responses a connection may abandon in a burst ... */
#define ABANDON_PER_SEC 64        /* ... and per second after that (rapid-reset defence) */
#define CONN_SLOTS 256            /* per-thread abandon accounting, direct-mapped by connection id */

/* ------------------------------------------------------------------------
 * Stop signal: a process-wide flag plus an eventfd that is written once and
 * never read while the server runs, so it stays readable and wakes every
 * loop (each loop polls its own dup of it). */

static volatile sig_atomic_t g_stop_requested;
static volatile sig_atomic_t g_stop_fd = -1;

void fw_http_stop(void)
{
    int saved = errno;
    g_stop_requested = 1;
    int fd = g_stop_fd;
    if (fd >= 0) {
        uint64_t one = 1;
        ssize_t rc = write(fd, &one, sizeof one);
        (void)rc; /* EAGAIN = counter already huge, still readable */
    }
    errno = saved;
}

static void on_stop_signal(int sig)
{
    (void)sig;
    fw_http_stop();
}

/* SIGHUP: reopen the access log (logrotate); without one it is ignored. */
static void on_hup_signal(int sig)
{
    (void)sig;
    fw_alog_request_reopen();
}

/* ------------------------------------------------------------------------
 * Types. */

struct server;
struct thread;

/* An fw_req plus this layer's state. `link` is a block on the h2o request's
 * pool whose dispose callback tells us the h2o_req_t is gone. */
typedef enum { HR_FREE, HR_API, HR_ORPHANED, HR_SENDING } hr_state;

struct req_link;

typedef struct http_req {
    fw_req r; /* first member: done() gets &r */
    struct thread *thr;
    hr_state state;
    h2o_req_t *h2o;        /* NULL once the h2o request is gone */
    struct req_link *link; /* on the h2o request's pool; NULL once it is gone */
    fw_buf in;             /* copied request bytes the fw_str fields point into */
    struct http_req *next_free;
    /* while HR_SENDING: on thread.sending, with the last progress seen by the stall sweep */
    h2o_linklist_t sending_link;
    uint64_t progress, progress_at;
    size_t expect_bytes; /* body bytes a complete response carries */
    bool cut;
    /* for the access log: the h2o request may be gone when the line is written */
    struct timeval start;
    struct sockaddr_storage peer;
    int version;
} http_req;

struct req_link {
    http_req *hr;
};

struct handler {
    h2o_handler_t super;
    struct server *srv;
};

/* Responses an HTTP/2 connection abandoned recently (RST_STREAM before the
 * response went out), as a leaky bucket; `banned` once it overflowed. */
struct conn_slot {
    uint64_t id, stamp;
    uint32_t level;
    bool banned;
};

struct thread {
    struct server *srv;
    pthread_t tid;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    int listen_fd;
    h2o_socket_t *listener;
    h2o_socket_t *stopper;
    bool stopping;

    /* executor: tasks posted by other threads, handed over with one h2o message */
    fw_exec exec;
    pthread_mutex_t qmu;
    fw_task *qhead, **qtail;
    bool kicked; /* kick message is queued (under qmu) */
    h2o_multithread_receiver_t recv;
    h2o_multithread_message_t kick;

    /* requests */
    http_req *free_list;
    size_t nfree;
    size_t live;     /* http_req objects not on the free list */
    size_t inflight; /* handed to the API, done() not called yet */

    /* responses being written, swept for stalls while the list is non-empty */
    h2o_linklist_t sending;
    h2o_timeout_t stall_timeout;
    h2o_timeout_entry_t stall_entry;

    struct conn_slot slots[CONN_SLOTS];

    /* access log lines not yet written, flushed when full, by a timer and at exit */
    fw_buf logbuf;
    h2o_timeout_t log_timeout;
    h2o_timeout_entry_t log_entry;
};

struct server {
    fw_api *api;
    size_t max_body;
    uint64_t timeout_ms;
    h2o_globalconf_t globalconf;
    SSL_CTX *ssl_ctx;
    int nthreads;
    struct thread *threads;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int started; /* threads that finished init */
    fw_alog *alog; /* NULL = no access log */
};

/* ------------------------------------------------------------------------
 * Listener address and sockets. */

/* Splits "HOST:PORT" / "[V6]:PORT" into host (NUL-terminated, in buf) and port. */
static int parse_listen(const char *s, char *host, size_t hostcap, char *port, size_t portcap)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return -1; /* bare IPv6 must be bracketed */
        hlen = (size_t)(colon - s);
    }
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (hlen == 0 || hlen >= hostcap || plen == 0 || plen >= portcap || plen > 5)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < plen; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = 0;
    memcpy(port, p, plen + 1);
    return 0;
}

static int open_listener(const struct sockaddr *sa, socklen_t salen, bool reuseport, char *err, size_t errcap)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "socket: %s", strerror(errno));
        return -1;
    }
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)) {
        snprintf(err, errcap, "setsockopt: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (bind(fd, sa, salen) != 0) {
        snprintf(err, errcap, "bind: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (reuseport && listen(fd, SOMAXCONN) != 0) {
        snprintf(err, errcap, "listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Binds n SO_REUSEPORT listeners to one address. With port 0 the first one
 * picks the port and the others join it. A probe bind without SO_REUSEPORT
 * first makes "address in use" an error even when the other owner also uses
 * SO_REUSEPORT (otherwise two servers would silently share the port). */
static int bind_listeners(const char *listen_addr, int n, int *fds, int *port_out)
{
    char host[256], port[8], err[160];
    if (parse_listen(listen_addr, host, sizeof host, port, sizeof port) != 0) {
        fprintf(stderr, "followd: invalid listen address '%s' (want HOST:PORT or [IPv6]:PORT)\n", listen_addr);
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "followd: cannot resolve listen address '%s': %s\n", listen_addr, gai_strerror(gai));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = (socklen_t)res->ai_addrlen;
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);

    for (int i = 0; i < n; i++)
        fds[i] = -1;
    if (strcmp(port, "0") != 0) {
        int probe = open_listener((struct sockaddr *)&ss, sslen, false, err, sizeof err);
        if (probe < 0)
            goto fail;
        close(probe);
    }
    for (int i = 0; i < n; i++) {
        if ((fds[i] = open_listener((struct sockaddr *)&ss, sslen, true, err, sizeof err)) < 0)
            goto fail;
        if (i == 0) {
            /* learn the actual port (for port 0) and bind the others to it */
            socklen_t l = sizeof ss;
            if (getsockname(fds[0], (struct sockaddr *)&ss, &l) != 0) {
                snprintf(err, sizeof err, "getsockname: %s", strerror(errno));
                goto fail;
            }
            sslen = l;
        }
    }
    *port_out = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return 0;
fail:
    fprintf(stderr, "followd: cannot listen on %s: %s\n", listen_addr, err);
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return -1;
}

/* ------------------------------------------------------------------------
 * TLS. */

static void print_ssl_error(const char *what, const char *path)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof buf);
    fprintf(stderr, "followd: %s '%s': %s\n", what, path, e ? buf : "unknown error");
    ERR_clear_error();
}

static SSL_CTX *make_ssl_ctx(const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        print_ssl_error("cannot create TLS context", "-");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        print_ssl_error("cannot load TLS certificate", cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        print_ssl_error("cannot load TLS key", key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        print_ssl_error("TLS key does not match certificate", key);
        goto fail;
    }
#if H2O_USE_ALPN
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
#endif
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Executor: post() may run on any thread; tasks run on the loop thread in
 * FIFO order. One embedded h2o message serves as the wake-up, so posting
 * allocates nothing. */

static void exec_post(fw_exec *self, fw_task *task)
{
    struct thread *t = H2O_STRUCT_FROM_MEMBER(struct thread, exec, self);
    bool kick;
    task->next = NULL;
    pthread_mutex_lock(&t->qmu);
    *t->qtail = task;
    t->qtail = &task->next;
    kick = !t->kicked;
    t->kicked = true;
    pthread_mutex_unlock(&t->qmu);
    if (kick)
        h2o_multithread_send_message(&t->recv, &t->kick);
}

static void exec_run_pending(struct thread *t)
{
    pthread_mutex_lock(&t->qmu);
    fw_task *task = t->qhead;
    t->qhead = NULL;
    t->qtail = &t->qhead;
    t->kicked = false;
    pthread_mutex_unlock(&t->qmu);
    while (task) {
        fw_task *next = task->next; /* run() may recycle the task */
        task->run(task);
        task = next;
    }
}

static void on_kick(h2o_multithread_receiver_t *recv, h2o_linklist_t *messages)
{
    struct thread *t = H2O_STRUCT_FROM_MEMBER(struct thread, recv, recv);
    /* unlink the kick before clearing `kicked`, so a poster may re-send it */
    while (!h2o_linklist_is_empty(messages))
        h2o_linklist_unlink(messages->next);
    exec_run_pending(t);
}

/* ------------------------------------------------------------------------
 * Request objects: a per-thread free list, so the steady state allocates
 * nothing here (buffers keep their capacity). */

static http_req *hr_get(struct thread *t)
{
    http_req *hr = t->free_list;
    if (hr) {
        t->free_list = hr->next_free;
        t->nfree--;
    } else {
        hr = calloc(1, sizeof *hr);
        if (!hr) {
            fputs("followd: out of memory\n", stderr);
            abort();
        }
        hr->thr = t;
    }
    t->live++;
    hr->next_free = NULL;
    return hr;
}

static void hr_free_bufs(http_req *hr)
{
    fw_buf_free(&hr->in);
    fw_buf_free(&hr->r.body_out);
    fw_buf_free(&hr->r.hdr_vals);
}

static void hr_put(http_req *hr)
{
    struct thread *t = hr->thr;
    t->live--;
    if (t->nfree >= FREE_LIST_MAX) {
        hr_free_bufs(hr);
        free(hr);
        return;
    }
    /* keep ordinary buffers, drop the occasional huge one */
    fw_buf in = hr->in, body = hr->r.body_out, hv = hr->r.hdr_vals;
    if (in.cap > KEEP_BUF_MAX)
        fw_buf_free(&in);
    if (body.cap > KEEP_BUF_MAX)
        fw_buf_free(&body);
    if (hv.cap > KEEP_BUF_MAX)
        fw_buf_free(&hv);
    fw_buf_reset(&in);
    fw_buf_reset(&body);
    fw_buf_reset(&hv);
    memset(hr, 0, sizeof *hr);
    hr->thr = t;
    hr->state = HR_FREE;
    hr->in = in;
    hr->r.body_out = body;
    hr->r.hdr_vals = hv;
    hr->next_free = t->free_list;
    t->free_list = hr;
    t->nfree++;
}

/* ------------------------------------------------------------------------
 * Stalled responses and abandoned HTTP/2 streams. h2o 2.2.5 has no write
 * timeout: a client that stops reading (HTTP/1) or never opens its HTTP/2
 * flow-control window would pin its connection and response forever. And an
 * HTTP/2 client may open and cancel streams without limit ("rapid reset"),
 * making the API render responses nobody reads. */

static h2o_socket_t *sock_of(h2o_conn_t *conn)
{
    return conn->callbacks->get_socket ? conn->callbacks->get_socket(conn) : NULL;
}

/* Makes h2o see EOF/EPIPE on the connection's next I/O, so it closes it itself. */
static void cut_conn(h2o_conn_t *conn)
{
    h2o_socket_t *sock = sock_of(conn);
    if (sock != NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
}

/* A response's progress: for HTTP/2 the bytes of this stream h2o framed (bound
 * by flow control; pings on the connection do not count), for HTTP/1 the bytes
 * the peer acknowledged on the connection, which carries only this response. */
static uint64_t send_progress(h2o_req_t *req)
{
    if (req->version >= 0x200)
        return req->bytes_sent;
    h2o_socket_t *sock = sock_of(req->conn);
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (sock == NULL || getsockopt(h2o_socket_get_fd(sock), IPPROTO_TCP, TCP_INFO, &ti, &l) != 0)
        return 0;
    return ti.tcpi_bytes_acked;
}

static void on_stall_sweep(h2o_timeout_entry_t *entry)
{
    struct thread *t = H2O_STRUCT_FROM_MEMBER(struct thread, stall_entry, entry);
    uint64_t now = h2o_now(t->loop);
    /* cut_conn only shuts the socket down, so the list stays intact here */
    for (h2o_linklist_t *n = t->sending.next; n != &t->sending; n = n->next) {
        http_req *hr = H2O_STRUCT_FROM_MEMBER(http_req, sending_link, n);
        if (hr->cut)
            continue;
        uint64_t p = send_progress(hr->h2o);
        if (p != hr->progress) {
            hr->progress = p;
            hr->progress_at = now;
        } else if (now - hr->progress_at >= t->srv->timeout_ms) {
            hr->cut = true;
            cut_conn(hr->h2o->conn);
        }
    }
    if (!h2o_linklist_is_empty(&t->sending))
        h2o_timeout_link(t->loop, &t->stall_timeout, &t->stall_entry);
}

static void sending_start(struct thread *t, http_req *hr)
{
    hr->progress = UINT64_MAX; /* the first sweep records the baseline */
    hr->progress_at = h2o_now(t->loop);
    hr->cut = false;
    h2o_linklist_insert(&t->sending, &hr->sending_link);
    if (!h2o_timeout_is_linked(&t->stall_entry))
        h2o_timeout_link(t->loop, &t->stall_timeout, &t->stall_entry);
}

/* The slot of an HTTP/2 connection, its bucket drained to now. A slot taken
 * over by another connection starts empty. */
static struct conn_slot *conn_slot(struct thread *t, uint64_t id)
{
    struct conn_slot *s = &t->slots[id % CONN_SLOTS];
    uint64_t now = h2o_now(t->loop);
    if (s->id != id) {
        memset(s, 0, sizeof *s);
        s->id = id;
        s->stamp = now;
        return s;
    }
    uint64_t drained = (now - s->stamp) * ABANDON_PER_SEC / 1000;
    if (drained > 0) {
        s->level = drained >= s->level ? 0 : s->level - (uint32_t)drained;
        s->stamp += drained * 1000 / ABANDON_PER_SEC;
    }
    return s;
}

static void note_abandoned(struct thread *t, h2o_conn_t *conn)
{
    struct conn_slot *s = conn_slot(t, conn->id);
    if (s->banned || ++s->level <= ABANDON_BURST)
        return;
    s->banned = true;
    fprintf(stderr, "followd: closing an HTTP/2 connection that cancelled too many requests\n");
    cut_conn(conn);
}

/* ------------------------------------------------------------------------
 * Access log: each thread formats its lines into its own buffer, written by
 * fw_alog_flush() when it is full, every second and when the thread ends, so a
 * request costs no lock and no system call (see http/accesslog.h). */

static int64_t tv_us(const struct timeval *tv)
{
    return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* When h2o began reading the request (the loop tick's clock, so it includes
 * the time spent reading the body). */
static struct timeval req_start(h2o_req_t *req)
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
static void log_api_req(http_req *hr, int status, uint64_t bytes)
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
    e.version = hr->version;
    e.status = status;
    e.bytes = bytes;
    e.access = access_level(r);
    log_line(t, &e, &hr->start);
}

/* A request this layer answered itself (a limit was exceeded). */
static void log_own_req(struct thread *t, h2o_req_t *req, uint64_t bytes)
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
    e.version = req->version;
    e.status = req->res.status;
    e.bytes = bytes;
    struct timeval start = req_start(req);
    log_line(t, &e, &start);
}

static void on_log_tick(h2o_timeout_entry_t *entry)
{
    struct thread *t = H2O_STRUCT_FROM_MEMBER(struct thread, log_entry, entry);
    fw_alog_flush(t->srv->alog, &t->logbuf); /* also performs a requested reopen */
    h2o_timeout_link(t->loop, &t->log_timeout, &t->log_entry);
}

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
        note_abandoned(hr->thr, req->conn);
    if (hr->state == HR_SENDING)
        h2o_linklist_unlink(&hr->sending_link);
    hr->link = NULL;
    hr->h2o = NULL;
    if (hr->state == HR_SENDING) {
        log_api_req(hr, req->res.status, req->bytes_sent < hr->expect_bytes ? req->bytes_sent : hr->expect_bytes);
        hr_put(hr); /* the response no longer references our buffers */
    } else {
        hr->state = HR_ORPHANED; /* API still owns it: recycle in done() */
    }
}

/* ------------------------------------------------------------------------
 * Request bridge. */

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
        log_api_req(hr, 499, 0); /* nginx's "client closed request" */
        hr_put(hr);
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

    hr->expect_bytes = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")) ? 0 : r->body_out.len;
    sending_start(t, hr);
    static h2o_generator_t generator = {NULL, NULL};
    h2o_iovec_t body = h2o_iovec_init(r->body_out.data, r->body_out.len);
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
 * h2o's text/plain 413 or HTTP/2 stream reset). */
/* `detail` is a printf format that may use `limit` (%zu) once. */
static void send_problem(h2o_req_t *req, int status, const char *detail, size_t limit)
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
    log_own_req(H2O_STRUCT_FROM_MEMBER(struct thread, ctx, req->conn->ctx), req, (uint64_t)n);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct handler *h = (struct handler *)self;
    struct thread *t = H2O_STRUCT_FROM_MEMBER(struct thread, ctx, req->conn->ctx);
    if (req->version >= 0x200 && conn_slot(t, req->conn->id)->banned) {
        /* frames h2o had already read from a connection being cut: stay cheap */
        cut_conn(req->conn);
        send_problem(req, 503, "This connection cancelled too many requests.", 0);
        return 0;
    }
    if (req->entity.len > h->srv->max_body) {
        send_problem(req, 413, "The request body exceeds the limit of %zu bytes.", h->srv->max_body);
        return 0;
    }
    if (req->path.len > MAX_TARGET) {
        send_problem(req, 414, "The request target exceeds the limit of %zu bytes.", MAX_TARGET);
        return 0;
    }

    size_t path_len = req->query_at == SIZE_MAX ? req->path.len : req->query_at;
    size_t query_off = req->query_at == SIZE_MAX ? req->path.len : req->query_at + 1;
    h2o_iovec_t auth = find_header(req, H2O_TOKEN_AUTHORIZATION);
    h2o_iovec_t ctype = find_header(req, H2O_TOKEN_CONTENT_TYPE);
    size_t cookie_len = 0, ncookies = 0;
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
        cookie_len += req->headers.entries[i].value.len;
        ncookies++;
    }
    if (ncookies > 1)
        cookie_len += 2 * (ncookies - 1); /* HTTP/2 may split cookies; join with "; " */
    if (auth.len + ctype.len + req->authority.len + cookie_len > MAX_HEADER_BYTES) {
        send_problem(req, 431, "The request headers exceed the limit of %zu bytes.", MAX_HEADER_BYTES);
        return 0;
    }

    http_req *hr = hr_get(t);
    size_t total = req->method.len + path_len + (req->path.len - query_off) + auth.len + ctype.len +
                   req->authority.len + cookie_len + req->entity.len;
    fw_buf_reserve(&hr->in, total);

    fw_req *r = &hr->r;
    r->method = copy_in(hr, req->method.base, req->method.len);
    r->path = copy_in(hr, req->path.base, path_len);
    r->query = copy_in(hr, req->path.base + query_off, req->path.len - query_off);
    r->authorization = copy_in(hr, auth.base, auth.len);
    r->content_type = copy_in(hr, ctype.base, ctype.len);
    r->host = copy_in(hr, req->authority.base, req->authority.len);
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
    hr->start = req_start(req);
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

/* ------------------------------------------------------------------------
 * Thread loop and shutdown. */

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct thread *t = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(&t->accept_ctx, sock);
}

static void on_stop_readable(h2o_socket_t *sock, const char *err)
{
    struct thread *t = sock->data;
    (void)err;
    t->stopping = true;
    h2o_socket_read_stop(sock); /* level-triggered: stop watching the shared eventfd */
}

static bool connections_drained(struct thread *t)
{
    return h2o_linklist_is_empty(&t->ctx.http1._conns) && h2o_linklist_is_empty(&t->ctx.http2._conns) &&
           h2o_linklist_is_empty(&t->ctx.handshake_timeout._entries);
}

static int shutdown_conn_of(h2o_req_t *req, void *cbdata)
{
    (void)cbdata;
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock != NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR); /* h2o sees EOF/EPIPE and closes it itself */
    return 0;
}

/* The grace period is over: expire the idle/handshake timers now (their
 * callbacks close the connections) and cut the remaining HTTP/1 sockets. */
static void force_close(struct thread *t)
{
    h2o_timeout_run(t->loop, &t->ctx.handshake_timeout, UINT64_MAX);
    h2o_timeout_run(t->loop, &t->ctx.http1.req_timeout, UINT64_MAX);
    h2o_timeout_run(t->loop, &t->ctx.http2.idle_timeout, UINT64_MAX);
    if (t->ctx.globalconf->http1.callbacks.foreach_request)
        t->ctx.globalconf->http1.callbacks.foreach_request(&t->ctx, shutdown_conn_of, NULL);
    if (t->ctx.globalconf->http2.callbacks.foreach_request)
        t->ctx.globalconf->http2.callbacks.foreach_request(&t->ctx, shutdown_conn_of, NULL);
}

/* Returns true if every h2o object was released and may be disposed. */
static bool drain(struct thread *t)
{
    h2o_socket_read_stop(t->listener);
    h2o_socket_close(t->listener);
    t->listener = NULL;
    h2o_context_request_shutdown(&t->ctx);

    uint64_t start = h2o_now(t->loop), warned = start;
    bool forced = false;
    for (;;) {
        h2o_evloop_run(t->loop, 50);
        uint64_t now = h2o_now(t->loop);
        /* an API request must always complete: its store callback targets this loop */
        if (t->inflight > 0) {
            if (now - warned >= DRAIN_MS) {
                fprintf(stderr, "followd: shutdown waiting for %zu in-flight request(s)\n", t->inflight);
                warned = now;
            }
            continue;
        }
        if (connections_drained(t)) {
            /* h2o's 1 s "resend GOAWAY" timer only walks HTTP/2 connections,
             * and there are none left; the context cannot be disposed while it is armed */
            if (h2o_timeout_is_linked(&t->ctx.http2._graceful_shutdown_timeout))
                h2o_timeout_unlink(&t->ctx.http2._graceful_shutdown_timeout);
            return true;
        }
        if (!forced && now - start >= DRAIN_MS) {
            force_close(t);
            forced = true;
            start = now;
        } else if (forced && now - start >= FORCE_MS) {
            fprintf(stderr, "followd: shutdown gave up on stuck connections\n");
            return false;
        }
    }
}

/* Socket input buffers are recycled through a thread-local free list that
 * h2o 2.2.5 never releases (there is no h2o_mem_clear_recycle yet); free it
 * when the loop thread ends. Chunks are singly linked through their first word. */
static void free_socket_buffers(void)
{
    struct chunk {
        struct chunk *next;
    };
    h2o_mem_recycle_t *r = &h2o_socket_buffer_prototype.allocator;
    struct chunk *c = (struct chunk *)r->_link;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    r->_link = NULL;
    r->cnt = 0;
}

#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define HTTP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang */
#define HTTP_ASAN 1
#endif
#endif
#ifdef HTTP_ASAN
/* h2o 2.2.5 also caches memory-pool chunks and HTTP/2 write buffers in static
 * thread-local free lists that nothing can release; once a loop thread exits
 * LeakSanitizer reports them. Everything else stays checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:h2o_mem_alloc_recycle\n"; }
#endif

static void *thread_main(void *arg)
{
    struct thread *t = arg;
    struct server *srv = t->srv;

    t->loop = h2o_evloop_create();
    h2o_context_init(&t->ctx, t->loop, &srv->globalconf);
    t->accept_ctx.ctx = &t->ctx;
    t->accept_ctx.hosts = srv->globalconf.hosts;
    t->accept_ctx.ssl_ctx = srv->ssl_ctx;

    t->qtail = &t->qhead;
    pthread_mutex_init(&t->qmu, NULL);
    t->exec.post = exec_post;
    h2o_multithread_register_receiver(t->ctx.queue, &t->recv, on_kick);

    /* sweep a few times per timeout, so a stall is cut within ~1.25 timeouts */
    uint64_t period = srv->timeout_ms / 4;
    h2o_linklist_init_anchor(&t->sending);
    h2o_timeout_init(t->loop, &t->stall_timeout, period < 50 ? 50 : period > 1000 ? 1000 : period);
    t->stall_entry.cb = on_stall_sweep;
    if (srv->alog) {
        fw_buf_init(&t->logbuf, FW_ALOG_FLUSH_BYTES + 8192);
        h2o_timeout_init(t->loop, &t->log_timeout, FW_ALOG_FLUSH_MS);
        t->log_entry.cb = on_log_tick;
        h2o_timeout_link(t->loop, &t->log_timeout, &t->log_entry);
    }

    t->listener = h2o_evloop_socket_create(t->loop, t->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    t->listener->data = t;
    h2o_socket_read_start(t->listener, on_accept);

    int sfd = dup(g_stop_fd); /* each h2o socket closes its own fd */
    if (sfd < 0) {
        fprintf(stderr, "followd: dup: %s\n", strerror(errno));
        abort();
    }
    t->stopper = h2o_evloop_socket_create(t->loop, sfd, H2O_SOCKET_FLAG_DONT_READ);
    t->stopper->data = t;
    h2o_socket_read_start(t->stopper, on_stop_readable);

    pthread_mutex_lock(&srv->mu);
    srv->started++;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->mu);

    while (!t->stopping)
        h2o_evloop_run(t->loop, INT32_MAX);

    h2o_socket_close(t->stopper);
    t->stopper = NULL;
    bool clean = drain(t);

    /* tasks posted meanwhile must still run: wait out a queued kick, then drain */
    for (;;) {
        pthread_mutex_lock(&t->qmu);
        bool pending = t->kicked;
        pthread_mutex_unlock(&t->qmu);
        if (!pending)
            break;
        h2o_evloop_run(t->loop, 10);
    }
    exec_run_pending(t);

    if (clean) {
        /* every response is done (drain() saw no connection left) */
        if (h2o_timeout_is_linked(&t->stall_entry))
            h2o_timeout_unlink(&t->stall_entry);
        h2o_timeout_dispose(t->loop, &t->stall_timeout);
        if (srv->alog) {
            if (h2o_timeout_is_linked(&t->log_entry))
                h2o_timeout_unlink(&t->log_entry);
            h2o_timeout_dispose(t->loop, &t->log_timeout);
        }
        h2o_multithread_unregister_receiver(t->ctx.queue, &t->recv);
        h2o_context_dispose(&t->ctx);
        /* 2.2.5's dispose destroys the queue but (evloop build) never frees it */
        free(t->ctx.queue);
        h2o_evloop_destroy(t->loop);
        free_socket_buffers();
        if (t->live != 0)
            fprintf(stderr, "followd: %zu request object(s) leaked at shutdown\n", t->live);
    }
    /* else: stuck connections still reference the loop; the process is exiting */
    if (srv->alog) {
        fw_alog_flush(srv->alog, &t->logbuf); /* every request of this thread has finished */
        fw_buf_free(&t->logbuf);
    }
    while (t->free_list) {
        http_req *hr = t->free_list;
        t->free_list = hr->next_free;
        hr_free_bufs(hr);
        free(hr);
    }
    pthread_mutex_destroy(&t->qmu);
    return NULL;
}

/* ------------------------------------------------------------------------
 * fw_http_serve. */

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

static void setup_globalconf(struct server *srv, const fw_http_config *cfg)
{
    h2o_globalconf_t *g = &srv->globalconf;
    uint64_t timeout = srv->timeout_ms;
    h2o_config_init(g);
    g->server_name = h2o_iovec_init(H2O_STRLIT("followd"));
    /* h2o enforces twice the limit (a hard memory bound; its chunked check is
     * also off by one); on_req answers bodies in between with a JSON 413 */
    g->max_request_entity_size = srv->max_body > SIZE_MAX / 2 ? SIZE_MAX : srv->max_body * 2;
    g->handshake_timeout = timeout;
    g->http1.req_timeout = timeout;
    g->http1.upgrade_to_http2 = 1;
    g->http2.idle_timeout = timeout;
    g->http2.graceful_shutdown_timeout = DRAIN_MS;
    g->http2.max_concurrent_requests_per_connection = H2_MAX_STREAMS;

    /* one catch-all path: all routing (and the 404s) belong to the API */
    h2o_hostconf_t *host = h2o_config_register_host(g, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    struct handler *h = (struct handler *)h2o_create_handler(path, sizeof *h);
    h->super.on_req = on_req;
    h->srv = srv;
}

static int ensure_stop_fd(void)
{
    if (g_stop_fd < 0) {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "followd: eventfd: %s\n", strerror(errno));
            return -1;
        }
        g_stop_fd = fd; /* kept for the process lifetime: a signal may race with us */
    }
    if (g_stop_requested)
        fw_http_stop(); /* requested before the fd existed */
    return 0;
}

int fw_http_serve(const fw_http_config *cfg, fw_api *api)
{
    const char *cert = cfg->tls_cert && *cfg->tls_cert ? cfg->tls_cert : NULL;
    const char *key = cfg->tls_key && *cfg->tls_key ? cfg->tls_key : NULL;
    if ((cert == NULL) != (key == NULL)) {
        fprintf(stderr, "followd: TLS needs both a certificate and a key\n");
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (ensure_stop_fd() != 0)
        return -1;

    struct server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        fputs("followd: out of memory\n", stderr);
        return -1;
    }
    srv->api = api;
    srv->max_body = cfg->max_body ? cfg->max_body : FW_HTTP_DEFAULT_MAX_BODY;
    srv->timeout_ms = cfg->timeout_ms > 0 ? (uint64_t)cfg->timeout_ms : FW_HTTP_DEFAULT_TIMEOUT_MS;
    srv->nthreads = cfg->threads > 0 ? (cfg->threads > MAX_THREADS ? MAX_THREADS : cfg->threads) : online_cpus();
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cond, NULL);
    int rc = -1, nstarted = 0, port = 0;
    int *fds = calloc((size_t)srv->nthreads, sizeof *fds);
    srv->threads = calloc((size_t)srv->nthreads, sizeof *srv->threads);
    if (!fds || !srv->threads) {
        fputs("followd: out of memory\n", stderr);
        goto out;
    }
    if (cert && (srv->ssl_ctx = make_ssl_ctx(cert, key)) == NULL)
        goto out;
    if (cfg->access_log && *cfg->access_log) {
        char err[256];
        if (fw_alog_open(cfg->access_log, &srv->alog, err, sizeof err) != 0) {
            fprintf(stderr, "followd: %s\n", err);
            goto out;
        }
    }
    if (bind_listeners(cfg->listen && *cfg->listen ? cfg->listen : FW_HTTP_DEFAULT_LISTEN, srv->nthreads, fds, &port) != 0)
        goto out;
    setup_globalconf(srv, cfg);

    struct sigaction sa, hup, old_term, old_int, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
    memset(&hup, 0, sizeof hup);
    hup.sa_handler = on_hup_signal;
    hup.sa_flags = SA_RESTART;
    sigemptyset(&hup.sa_mask);
    sigaction(SIGHUP, &hup, &old_hup);

    for (int i = 0; i < srv->nthreads; i++) {
        struct thread *t = &srv->threads[i];
        t->srv = srv;
        t->listen_fd = fds[i];
        fds[i] = -1; /* owned by the thread's h2o socket now */
        int e = pthread_create(&t->tid, NULL, thread_main, t);
        if (e != 0) {
            fprintf(stderr, "followd: cannot start thread: %s\n", strerror(e));
            close(t->listen_fd);
            for (int j = i + 1; j < srv->nthreads; j++) {
                close(fds[j]);
                fds[j] = -1;
            }
            fw_http_stop();
            break;
        }
        nstarted++;
    }
    if (nstarted == srv->nthreads) {
        pthread_mutex_lock(&srv->mu);
        while (srv->started < nstarted)
            pthread_cond_wait(&srv->cond, &srv->mu);
        pthread_mutex_unlock(&srv->mu);
        if (cfg->on_ready)
            cfg->on_ready(cfg->on_ready_ctx, port);
        rc = 0;
    }
    for (int i = 0; i < nstarted; i++)
        pthread_join(srv->threads[i].tid, NULL);

    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    h2o_config_dispose(&srv->globalconf);

    /* reset the stop request so the process may serve again */
    uint64_t v;
    while (read(g_stop_fd, &v, sizeof v) > 0)
        ;
    g_stop_requested = 0;
out:
    fw_alog_close(srv->alog); /* each loop thread flushed its lines when it ended */
    if (srv->ssl_ctx)
        SSL_CTX_free(srv->ssl_ctx);
    free(fds);
    free(srv->threads);
    pthread_cond_destroy(&srv->cond);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
    return rc;
}
