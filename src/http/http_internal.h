/* http/ internals shared by its files (not for other layers): the server,
 * per-thread and per-request state, and the functions one file offers the
 * others. Everything here runs on a loop thread unless it says otherwise.
 *
 *   server.c   stop signal, globalconf, fw_http_serve() tying the rest together
 *   listen.c   listener address and sockets, TLS context
 *   loop.c     per-thread event loop: executor, accept, graceful shutdown
 *   reqs.c     per-thread free list of request objects
 *   bridge.c   h2o_req_t <-> fw_req: request in, API response out
 *   framing.c  HTTP/1.1 framing guard against request smuggling (CL/TE)
 *   chunkguard.c  refuses a chunk-size above the body limit as it arrives
 *   proxy.c    proxy mode: CONNECT tunnels (TLS inside) and absolute-form targets
 *   stall.c    stall guard: stalled responses and abandoned HTTP/2 streams
 *   reqlog.c   access-log hooks (formatting and the file are http/accesslog.c) */
#ifndef FW_HTTP_INTERNAL_H
#define FW_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include <h2o.h>

#include "http/accesslog.h"
#include "http/server.h"

#define DRAIN_MS 5000  /* grace period for open connections at shutdown */
#define CONN_SLOTS 256 /* per-thread abandon accounting, direct-mapped by connection id */

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

/* One listening socket of a loop thread, with its accept context (TLS or not). */
struct lsock {
    struct thread *thr;
    int fd;
    h2o_socket_t *sock;
    h2o_accept_ctx_t actx;
};

struct thread {
    struct server *srv;
    pthread_t tid;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    struct lsock ls[FW_HTTP_MAX_LISTENERS];
    size_t nls;
    h2o_accept_ctx_t tunnel_actx; /* proxy mode: connections after CONNECT and TLS */
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
    bool proxy;
    bool ls_tls[FW_HTTP_MAX_LISTENERS];
    size_t nls;
    int nthreads;
    struct thread *threads;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int started; /* threads that finished init */
    fw_alog *alog; /* NULL = no access log */
};

/* server.c: the stop eventfd, readable once a stop was requested (each loop
 * polls its own dup of it). */
int fw_http_stop_fd(void);

/* listen.c: binds n SO_REUSEPORT listeners to "HOST:PORT" into fds, the
 * actual port into *port_out; -1 with a message on stderr. */
int fw_http_bind_listeners(const char *listen_addr, int n, int *fds, int *port_out);
/* listen.c: a TLS server context with ALPN h2 / http/1.1, or NULL with a
 * message on stderr. The caller frees it with SSL_CTX_free. */
SSL_CTX *fw_http_ssl_ctx(const char *cert, const char *key);

/* loop.c: a loop thread's body (pthread start routine; arg is its struct thread). */
void *fw_http_thread_main(void *arg);

/* reqs.c: a request object from t's free list (aborts when out of memory). */
http_req *fw_http_req_get(struct thread *t);
/* reqs.c: returns hr to its thread's free list, keeping ordinary buffers. */
void fw_http_req_put(http_req *hr);
/* reqs.c: frees t's free list when the loop thread ends. */
void fw_http_req_pool_free(struct thread *t);

/* framing.c: why req's HTTP/1.1 head frames its body ambiguously (both
 * Content-Length and Transfer-Encoding, either one twice, a coding other than
 * chunked, obs-fold), or NULL when it does not or req is not HTTP/1. */
const char *fw_http1_framing_error(h2o_req_t *req);
/* framing.c: the number of Content-Length / Transfer-Encoding lines in the
 * request head at p (n bytes, names already lower-cased by h2o), or -1 when
 * only a full parse can tell (obs-fold, no end of head within n). */
int fw_http1_framing_lines(const char *p, size_t n);
/* picohttpparser's chunked decoder state (deps/picohttpparser/picohttpparser.h
 * of h2o v2.2.5, exported by libh2o-evloop; Debian installs no header). */
struct phr_chunked_decoder {
    size_t bytes_left_in_chunk; /* the chunk-size being read, then what is left of its data */
    char consume_trailer;
    char _hex_count;
    char _state;
};
/* chunkguard.c: h2o's chunked-body decoder, interposed: the real one, then -1
 * ("broken chunked-encoding": 400 and close) when the chunk being read is
 * larger than the limit set by fw_http_chunk_guard_init. */
ssize_t phr_decode_chunked(struct phr_chunked_decoder *decoder, char *buf, size_t *bufsz);
/* chunkguard.c: sets the chunk limit (the server's max_body; the largest set
 * wins) and finds libh2o's decoder; false when it cannot be found. */
bool fw_http_chunk_guard_init(size_t max_body);
/* chunkguard.c: whether decoder state d is inside a chunk larger than limit (0: no limit). */
bool fw_http_chunk_too_large(const struct phr_chunked_decoder *d, size_t limit);
/* proxy.c: answers a CONNECT request: a tunnel to X's hosts (200, then TLS
 * and the ordinary handler stack on the same socket) or a 403/405. */
void fw_http_proxy_connect(struct thread *t, h2o_req_t *req);
/* proxy.c: for an absolute-form target ("http://host/path?q"): 1 with
 * *authority and *target (origin-form) set when host is one of X's, 0 when
 * the target is not absolute-form, -1 for any other host (refuse it). */
int fw_http_proxy_absolute(h2o_iovec_t path, h2o_iovec_t *authority, h2o_iovec_t *target);

/* bridge.c: an X-style problem response from this layer (`detail` is a printf
 * format that may use `limit` (%zu) once); logged as this layer's own. */
void fw_http_send_problem(h2o_req_t *req, int status, const char *detail, size_t limit);

/* bridge.c: h2o's handler for every request. */
int fw_http_on_req(h2o_handler_t *self, h2o_req_t *req);

/* stall.c: makes h2o see EOF/EPIPE on the connection's next I/O. */
void fw_http_cut_conn(h2o_conn_t *conn);
/* stall.c: the stall sweep timer's callback (t->stall_entry). */
void fw_http_stall_sweep(h2o_timeout_entry_t *entry);
/* stall.c: hr's response starts going out: watch it for stalls. */
void fw_http_sending_start(struct thread *t, http_req *hr);
/* stall.c: the abandon accounting of an HTTP/2 connection (`banned` once it overflowed). */
struct conn_slot *fw_http_conn_slot(struct thread *t, uint64_t id);
/* stall.c: counts an abandoned HTTP/2 response; cuts a connection that abandons too many. */
void fw_http_note_abandoned(struct thread *t, h2o_conn_t *conn);

/* reqlog.c: when h2o began reading the request. */
struct timeval fw_http_req_start(h2o_req_t *req);
/* reqlog.c: logs a request the API handled (its h2o request may be gone). */
void fw_http_log_api_req(http_req *hr, int status, uint64_t bytes);
/* reqlog.c: logs a request this layer answered itself. */
void fw_http_log_own_req(struct thread *t, h2o_req_t *req, uint64_t bytes);
/* reqlog.c: the access log's flush timer callback (t->log_entry). */
void fw_http_log_tick(h2o_timeout_entry_t *entry);

#endif
