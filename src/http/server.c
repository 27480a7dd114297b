/* HTTP server on libh2o-evloop 2.2.5; see server.h and docs/http.md.
 *
 * This file holds the stop signal and fw_http_serve(), which ties together
 * the listeners and TLS (listen.c), the loop threads (loop.c) and the request
 * bridge (bridge.c); http_internal.h lists the rest. */
#include "http/http_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_THREADS 256
#define H2_MAX_STREAMS 100

/* ------------------------------------------------------------------------
 * Stop signal: a process-wide flag plus an eventfd that is written once and
 * never read while the server runs, so it stays readable and wakes every
 * loop (each loop polls its own dup of it). */

static volatile sig_atomic_t g_stop_requested;
static volatile sig_atomic_t g_stop_fd = -1;

int fw_http_stop_fd(void)
{
    return g_stop_fd;
}

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
     * also off by one); fw_http_on_req answers bodies in between with a JSON 413 */
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
    h->super.on_req = fw_http_on_req;
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
    if (!fw_http_chunk_guard_init(srv->max_body)) {
        fputs("followd: libh2o's chunked decoder was not found (the chunk-size guard needs it)\n", stderr);
        free(srv);
        return -1;
    }
    srv->timeout_ms = cfg->timeout_ms > 0 ? (uint64_t)cfg->timeout_ms : FW_HTTP_DEFAULT_TIMEOUT_MS;
    srv->nthreads = cfg->threads > 0 ? (cfg->threads > MAX_THREADS ? MAX_THREADS : cfg->threads) : online_cpus();
    srv->proxy = cfg->proxy;
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cond, NULL);
    int rc = -1, nstarted = 0;
    int ports[FW_HTTP_MAX_LISTENERS] = {0};
    fw_http_listener ls[FW_HTTP_MAX_LISTENERS];
    if (cfg->nlisteners > 0) {
        srv->nls = cfg->nlisteners > FW_HTTP_MAX_LISTENERS ? FW_HTTP_MAX_LISTENERS : cfg->nlisteners;
        memcpy(ls, cfg->listeners, srv->nls * sizeof ls[0]);
    } else {
        srv->nls = 1;
        ls[0].addr = cfg->listen && *cfg->listen ? cfg->listen : FW_HTTP_DEFAULT_LISTEN;
        ls[0].tls = cert != NULL;
    }
    bool need_cert = srv->proxy;
    for (size_t i = 0; i < srv->nls; i++)
        need_cert |= srv->ls_tls[i] = ls[i].tls;
    /* fds[l * nthreads + i]: listener l of thread i */
    int *fds = calloc(srv->nls * (size_t)srv->nthreads, sizeof *fds);
    srv->threads = calloc((size_t)srv->nthreads, sizeof *srv->threads);
    if (!fds || !srv->threads) {
        fputs("followd: out of memory\n", stderr);
        goto out;
    }
    for (size_t i = 0; i < srv->nls * (size_t)srv->nthreads; i++)
        fds[i] = -1;
    if (need_cert && !cert) {
        fprintf(stderr, "followd: %s needs a TLS certificate and key\n", srv->proxy ? "proxy mode" : "a TLS listener");
        goto out;
    }
    if (cert && (srv->ssl_ctx = fw_http_ssl_ctx(cert, key)) == NULL)
        goto out;
    if (cfg->access_log && *cfg->access_log) {
        char err[256];
        if (fw_alog_open(cfg->access_log, &srv->alog, err, sizeof err) != 0) {
            fprintf(stderr, "followd: %s\n", err);
            goto out;
        }
    }
    for (size_t l = 0; l < srv->nls; l++)
        if (fw_http_bind_listeners(ls[l].addr, srv->nthreads, fds + l * (size_t)srv->nthreads, &ports[l]) != 0)
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
        t->nls = srv->nls;
        for (size_t l = 0; l < srv->nls; l++) {
            t->ls[l].fd = fds[l * (size_t)srv->nthreads + (size_t)i];
            fds[l * (size_t)srv->nthreads + (size_t)i] = -1; /* owned by the thread's h2o socket now */
        }
        int e = pthread_create(&t->tid, NULL, fw_http_thread_main, t);
        if (e != 0) {
            fprintf(stderr, "followd: cannot start thread: %s\n", strerror(e));
            for (size_t l = 0; l < srv->nls; l++)
                close(t->ls[l].fd);
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
            cfg->on_ready(cfg->on_ready_ctx, ports, srv->nls);
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
    if (fds)
        for (size_t i = 0; i < srv->nls * (size_t)srv->nthreads; i++)
            if (fds[i] >= 0)
                close(fds[i]);
    free(fds);
    free(srv->threads);
    pthread_cond_destroy(&srv->cond);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
    return rc;
}
