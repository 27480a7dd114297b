/* The connection pool of the PostgreSQL backend: a few threads, each with its
 * own connection, serving request-path jobs so that no event loop ever waits
 * for the database.
 *
 * Reads are jobs, one per call. Graph writes queue separately and are taken
 * as a batch: the thread that picks them up applies every queued write in one
 * transaction (pg_write.c), so while one batch waits for its commit the next
 * one gathers; at most one batch is in flight per process (group commit, as
 * the LMDB writer does). Completions are posted to the submitter's fw_exec.
 * A job queued when the pool stops still runs (close drains). The queues are
 * bounded (fw_store_opts.queue_max, reads and writes each): while the database
 * is slow or away, a call beyond the bound fails at once with FW_EBUSY, which
 * the API answers with X's 503, instead of the queue (and the memory of every
 * waiting request) growing without limit.
 *
 * Replicas fail over to the primary: a replica pool whose thread cannot
 * connect (or loses its connection during a read) marks itself down for
 * REPLICA_RETRY_MS and hands the read to another replica that is up, else to
 * the primary, so a standby that is down costs app-only reads nothing but the
 * failed connection attempt. Reads are routed past it until the retry time;
 * then the next read routed to it tries to connect again, and a success puts
 * it back in the rotation.
 *
 * Identical lookups coalesce (fw_pg_job.same): a credential lookup submitted
 * while one for the same key still waits in the queue joins it, and both get
 * the answer of one statement. That stays exact: the statement has not
 * started when the later request arrives, so its snapshot holds every
 * revocation committed before either request. Joined requests count against
 * the queue bound like queued ones (they wait, and hold memory). */
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX 512 /* writes per transaction */
#define REPLICA_RETRY_MS 1000
#define JOIN_SCAN 64 /* queued jobs a coalescing job compares itself with */

struct fw_pg_pool {
    fw_pg *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fw_pg_job *head, *tail;
    fw_pg_wop *whead, *wtail;
    size_t njobs, nwrites, max; /* queued, not yet taken by a thread; the bound */
    bool writing; /* a batch is being applied */
    bool stopping;
    unsigned n;
    pthread_t *threads;
    fw_pgc *conns;
    char *conninfo; /* a replica's connection string (owned); NULL for the primary */
    int64_t down_until_ms; /* a replica: not routed to before this (monotonic; atomic), 0 = up */
};

static void post_job(fw_pg_job *j) { j->exec->post(j->exec, &j->task); }

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool pool_up(struct fw_pg_pool *p)
{
    return __atomic_load_n(&p->down_until_ms, __ATOMIC_RELAXED) <= now_ms();
}

static void submit_to(fw_pg *s, struct fw_pg_pool *p, fw_pg_job *j);
static struct fw_pg_pool *read_pool(fw_pg *s);

/* Runs a read job on a replica's connection c, or passes it on when the
 * replica cannot serve it: not before its retry time, not connectable, or its
 * connection lost during the read (which only reads, so running it again
 * elsewhere is safe). */
static void replica_job(struct fw_pg_pool *p, fw_pgc *c, fw_pg_job *j)
{
    bool up = pool_up(p);
    if (up && (!c->conn || PQstatus(c->conn) != CONNECTION_OK))
        up = fw_pgc_connect(c, NULL, 0) == FW_OK;
    if (up) {
        __atomic_store_n(&p->down_until_ms, 0, __ATOMIC_RELAXED);
        j->work(j, c);
        if (c->conn && PQstatus(c->conn) == CONNECTION_OK) {
            post_job(j);
            return;
        }
    }
    fw_pgc_close(c);
    __atomic_store_n(&p->down_until_ms, now_ms() + REPLICA_RETRY_MS, __ATOMIC_RELAXED);
    submit_to(p->s, read_pool(p->s), j);
}

static void run_batch(fw_pg *s, fw_pgc *c, fw_pg_wop *batch)
{
    fw_pg_apply_batch(s, c, batch);
    for (fw_pg_wop *o = batch, *next; o; o = next) {
        next = o->next; /* o is freed by its task */
        o->exec->post(o->exec, &o->task);
    }
}

static void *pool_main(void *arg)
{
    fw_pgc *c = arg;
    struct fw_pg_pool *p = c->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        bool can_write = p->whead && !p->writing;
        while (!p->head && !can_write && !p->stopping) {
            pthread_cond_wait(&p->cv, &p->mu);
            can_write = p->whead && !p->writing;
        }
        if (can_write) {
            fw_pg_wop *batch = p->whead, *last = batch;
            size_t n = 1;
            for (; n < BATCH_MAX && last->next; n++)
                last = last->next;
            p->whead = last->next;
            if (!p->whead)
                p->wtail = NULL;
            p->nwrites -= n;
            last->next = NULL;
            p->writing = true;
            pthread_mutex_unlock(&p->mu);
            run_batch(c->s, c, batch);
            pthread_mutex_lock(&p->mu);
            p->writing = false;
            if (p->whead)
                pthread_cond_signal(&p->cv);
            continue;
        }
        if (p->head) {
            fw_pg_job *j = p->head;
            p->head = j->next;
            if (!p->head)
                p->tail = NULL;
            p->njobs--;
            for (fw_pg_job *f = j->joined; f; f = f->joined)
                p->njobs--;
            pthread_mutex_unlock(&p->mu);
            if (p->conninfo) {
                replica_job(p, c, j);
            } else {
                j->work(j, c);
                for (fw_pg_job *f = j->joined, *next; f; f = next) {
                    next = f->joined; /* f is freed by its task */
                    j->adopt(f, j);
                    post_job(f);
                }
                post_job(j); /* last: j is freed by its task */
            }
            pthread_mutex_lock(&p->mu);
            continue;
        }
        if (p->stopping && !p->whead && !p->writing)
            break;
        if (p->stopping) /* another thread writes; wait for it to finish */
            pthread_cond_wait(&p->cv, &p->mu);
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    fw_pgc_close(c);
    return NULL;
}

static void pool_free(struct fw_pg_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p->conns);
    free(p->conninfo);
    free(p);
}

/* A pool of threads connections to conninfo (NULL: the primary). */
static int pool_new(fw_pg *s, const char *conninfo, unsigned threads, unsigned queue_max, struct fw_pg_pool **out)
{
    struct fw_pg_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return FW_ENOMEM;
    p->s = s;
    p->max = queue_max ? queue_max : 1;
    p->threads = calloc(threads, sizeof(*p->threads));
    p->conns = calloc(threads, sizeof(*p->conns));
    p->conninfo = conninfo ? strdup(conninfo) : NULL;
    if (!p->threads || !p->conns || (conninfo && !p->conninfo)) {
        free(p->threads);
        free(p->conns);
        free(p->conninfo);
        free(p);
        return FW_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    /* Connections are made lazily by the first job each thread runs, so a
     * database that is down at the moment does not keep the pool from starting. */
    for (unsigned i = 0; i < threads; i++) {
        p->conns[i] = (fw_pgc){.s = s, .conninfo = p->conninfo, .pool = p, .prepare = !s->no_prepare};
        if (pthread_create(&p->threads[i], NULL, pool_main, &p->conns[i]) != 0) {
            pool_free(p);
            return FW_EIO;
        }
        p->n++;
    }
    *out = p;
    return FW_OK;
}

int fw_pg_pool_start(fw_pg *s, unsigned threads, unsigned queue_max, const char *const *replicas,
                     unsigned nreplicas)
{
    if (nreplicas > FW_PG_MAX_REPLICAS)
        return FW_EINVAL;
    int rc = pool_new(s, NULL, threads, queue_max, &s->pool);
    for (unsigned i = 0; !rc && i < nreplicas; i++) {
        if (!(rc = pool_new(s, replicas[i], threads, queue_max, &s->rpools[i])))
            s->nreplicas++;
    }
    if (rc)
        fw_pg_pool_stop(s);
    return rc;
}

void fw_pg_pool_stop(fw_pg *s)
{
    for (unsigned i = 0; i < s->nreplicas; i++) {
        pool_free(s->rpools[i]);
        s->rpools[i] = NULL;
    }
    s->nreplicas = 0;
    pool_free(s->pool);
    s->pool = NULL;
}

void fw_pg_submit(fw_pg *s, fw_pg_job *j) { submit_to(s, s->pool, j); }

/* The next replica in turn that is up, else the primary's pool. */
static struct fw_pg_pool *read_pool(fw_pg *s)
{
    unsigned i = __atomic_fetch_add(&s->rnext, 1, __ATOMIC_RELAXED);
    for (unsigned k = 0; k < s->nreplicas; k++) {
        struct fw_pg_pool *p = s->rpools[(i + k) % s->nreplicas];
        if (pool_up(p))
            return p;
    }
    return s->pool;
}

void fw_pg_submit_read(fw_pg *s, fw_pg_job *j, uint64_t viewer_id)
{
    submit_to(s, viewer_id == 0 && s->nreplicas && j->exec ? read_pool(s) : s->pool, j);
}

static void submit_to(fw_pg *s, struct fw_pg_pool *p, fw_pg_job *j)
{
    if (!j->exec || !p) {
        fw_pgc *c;
        int rc = fw_pg_admin_get(s, &c);
        if (rc) {
            j->fail(j, rc);
        } else {
            j->work(j, c);
            fw_pg_admin_put(s);
        }
        j->done(j);
        return;
    }
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        j->fail(j, FW_ESHUTDOWN);
        j->done(j);
        return;
    }
    if (p->njobs >= p->max) { /* completes on the caller's loop later, as every job does */
        pthread_mutex_unlock(&p->mu);
        j->fail(j, FW_EBUSY);
        post_job(j);
        return;
    }
    if (j->same) { /* a queued job with the same question: share its answer (at most JOIN_SCAN looked at) */
        int k = 0;
        for (fw_pg_job *q = p->head; q && k < JOIN_SCAN; q = q->next, k++)
            if (q->same == j->same && q->same(q, j)) {
                j->joined = q->joined;
                q->joined = j;
                p->njobs++; /* a joined request still waits: it counts against the bound */
                pthread_mutex_unlock(&p->mu);
                return;
            }
    }
    p->njobs++;
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void fw_pg_submit_write(fw_pg *s, fw_pg_wop *o)
{
    struct fw_pg_pool *p = s->pool;
    o->next = NULL;
    if (!o->exec || !p) {
        fw_pgc *c;
        int rc = fw_pg_admin_get(s, &c);
        if (rc) {
            o->res = (fw_write_res){.rc = rc};
        } else {
            fw_pg_apply_batch(s, c, o);
            fw_pg_admin_put(s);
        }
        o->task.run(&o->task);
        return;
    }
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        o->res = (fw_write_res){.rc = FW_ESHUTDOWN};
        o->task.run(&o->task);
        return;
    }
    if (p->nwrites >= p->max) {
        pthread_mutex_unlock(&p->mu);
        o->res = (fw_write_res){.rc = FW_EBUSY};
        o->exec->post(o->exec, &o->task);
        return;
    }
    p->nwrites++;
    if (p->wtail)
        p->wtail->next = o;
    else
        p->whead = o;
    p->wtail = o;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
