/* The connection pool of the PostgreSQL backend: a few threads, each with its
 * own connection, serving request-path jobs so that no event loop ever waits
 * for the database.
 *
 * Reads are jobs, one per call. Graph writes queue separately and are taken
 * as a batch: the thread that picks them up applies every queued write in one
 * transaction (pg_write.c), so while one batch waits for its commit the next
 * one gathers; at most one batch is in flight per process (group commit, as
 * the LMDB writer does). Completions are posted to the submitter's fw_exec.
 * A job queued when the pool stops still runs (close drains). */
#include "store/pg_internal.h"

#include <stdlib.h>

#define BATCH_MAX 512 /* writes per transaction */

struct fw_pg_pool {
    fw_pg *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fw_pg_job *head, *tail;
    fw_pg_wop *whead, *wtail;
    bool writing; /* a batch is being applied */
    bool stopping;
    unsigned n;
    pthread_t *threads;
    fw_pgc *conns;
};

static void post_job(fw_pg_job *j) { j->exec->post(j->exec, &j->task); }

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
    struct fw_pg_pool *p = c->s->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        bool can_write = p->whead && !p->writing;
        while (!p->head && !can_write && !p->stopping) {
            pthread_cond_wait(&p->cv, &p->mu);
            can_write = p->whead && !p->writing;
        }
        if (can_write) {
            fw_pg_wop *batch = p->whead, *last = batch;
            for (int n = 1; n < BATCH_MAX && last->next; n++)
                last = last->next;
            p->whead = last->next;
            if (!p->whead)
                p->wtail = NULL;
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
            pthread_mutex_unlock(&p->mu);
            j->work(j, c);
            post_job(j);
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

int fw_pg_pool_start(fw_pg *s, unsigned threads)
{
    struct fw_pg_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return FW_ENOMEM;
    p->s = s;
    p->threads = calloc(threads, sizeof(*p->threads));
    p->conns = calloc(threads, sizeof(*p->conns));
    if (!p->threads || !p->conns) {
        free(p->threads);
        free(p->conns);
        free(p);
        return FW_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    s->pool = p;
    /* Connections are made lazily by the first job each thread runs, so a
     * database that is down at the moment does not keep the pool from starting. */
    for (unsigned i = 0; i < threads; i++) {
        p->conns[i].s = s;
        if (pthread_create(&p->threads[i], NULL, pool_main, &p->conns[i]) != 0) {
            fw_pg_pool_stop(s);
            return FW_EIO;
        }
        p->n++;
    }
    return FW_OK;
}

void fw_pg_pool_stop(fw_pg *s)
{
    struct fw_pg_pool *p = s->pool;
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
    free(p);
    s->pool = NULL;
}

void fw_pg_submit(fw_pg *s, fw_pg_job *j)
{
    struct fw_pg_pool *p = s->pool;
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
    if (p->wtail)
        p->wtail->next = o;
    else
        p->whead = o;
    p->wtail = o;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
