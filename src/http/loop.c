/* A loop thread: its executor (fw_exec), accepting connections, and the
 * graceful shutdown that drains them. */
#include "http/http_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FORCE_MS 2000 /* after forcing closes, how long to wait before giving up */

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
 * Thread loop and shutdown. */

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct lsock *l = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(&l->actx, sock);
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

/* An HTTP/1 connection between requests (h2o re-inits the request after each
 * response, so version is 0 until the next head is parsed) with no byte of a
 * next request received is idle: nothing is lost by closing it now. Others
 * are reading or answering a request and get the grace period; h2o ends them
 * after their response (shutdown_requested clears keep-alive). */
static int close_if_idle(h2o_req_t *req, void *cbdata)
{
    (void)cbdata;
    if (req->version != 0)
        return 0;
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock != NULL && sock->input != NULL && sock->input->size == 0)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR); /* h2o reads EOF and closes it itself */
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
    for (size_t i = 0; i < t->nls; i++) {
        h2o_socket_read_stop(t->ls[i].sock);
        h2o_socket_close(t->ls[i].sock);
        t->ls[i].sock = NULL;
    }
    h2o_context_request_shutdown(&t->ctx);

    uint64_t start = h2o_now(t->loop), warned = start;
    bool forced = false;
    for (;;) {
        /* idle keep-alive connections go at once, not after the grace period */
        if (t->ctx.globalconf->http1.callbacks.foreach_request)
            t->ctx.globalconf->http1.callbacks.foreach_request(&t->ctx, close_if_idle, NULL);
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

void *fw_http_thread_main(void *arg)
{
    struct thread *t = arg;
    struct server *srv = t->srv;

    t->loop = h2o_evloop_create();
    h2o_context_init(&t->ctx, t->loop, &srv->globalconf);
    t->tunnel_actx.ctx = &t->ctx;
    t->tunnel_actx.hosts = srv->globalconf.hosts;
    t->tunnel_actx.ssl_ctx = srv->ssl_ctx;

    t->qtail = &t->qhead;
    pthread_mutex_init(&t->qmu, NULL);
    t->exec.post = exec_post;
    h2o_multithread_register_receiver(t->ctx.queue, &t->recv, on_kick);

    /* sweep a few times per timeout, so a stall is cut within ~1.25 timeouts */
    uint64_t period = srv->timeout_ms / 4;
    h2o_linklist_init_anchor(&t->sending);
    h2o_timeout_init(t->loop, &t->stall_timeout, period < 50 ? 50 : period > 1000 ? 1000 : period);
    t->stall_entry.cb = fw_http_stall_sweep;
    if (srv->alog) {
        fw_buf_init(&t->logbuf, FW_ALOG_FLUSH_BYTES + 8192);
        h2o_timeout_init(t->loop, &t->log_timeout, FW_ALOG_FLUSH_MS);
        t->log_entry.cb = fw_http_log_tick;
        h2o_timeout_link(t->loop, &t->log_timeout, &t->log_entry);
    }

    for (size_t i = 0; i < t->nls; i++) {
        struct lsock *l = &t->ls[i];
        l->thr = t;
        l->actx.ctx = &t->ctx;
        l->actx.hosts = srv->globalconf.hosts;
        l->actx.ssl_ctx = srv->ls_tls[i] ? srv->ssl_ctx : NULL;
        l->sock = h2o_evloop_socket_create(t->loop, l->fd, H2O_SOCKET_FLAG_DONT_READ);
        l->sock->data = l;
        h2o_socket_read_start(l->sock, on_accept);
    }

    int sfd = dup(fw_http_stop_fd()); /* each h2o socket closes its own fd */
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
    fw_http_req_pool_free(t);
    pthread_mutex_destroy(&t->qmu);
    return NULL;
}
