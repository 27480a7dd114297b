/* Request-path graph writes: one writer thread with group commit, and a
 * syncer thread that acknowledges.
 *
 * A durable LMDB commit costs the same fsyncs no matter how much it holds, so
 * the writer takes every queued write, applies them in one transaction (each
 * op validated on its own before it changes anything, so a refused op leaves
 * no trace) and commits once. The environment runs with MDB_NOMETASYNC: the
 * commit flushes the batch's data pages (fdatasync) and writes the meta page
 * that makes the batch the current state without flushing it. The writer hands
 * the batch to the syncer and goes on with the next one; the syncer flushes
 * (mdb_env_sync, one fdatasync for every batch handed over meanwhile) and only
 * then posts each completion to its submitter's executor. So a commit costs the
 * writer one flush instead of two, and the meta flush of one batch overlaps the
 * next batch's work (docs/store.md "Group commit" says why an acknowledged
 * write survives power loss). If the commit or the flush fails, every op of the
 * batch reports the failure.
 *
 * Ops are recycled through a free list so a steady stream of writes does no
 * malloc. Posted ops are returned to the free list by their task on the
 * caller's loop, possibly after fw_store_close: the writer object therefore
 * stays alive until the last outstanding op has come back. */
#include "store/lmdb_internal.h"

#include <stddef.h>
#include <stdlib.h>

#define BATCH_MAX 4096 /* bounds the dirty pages of one transaction */
#define FREE_MAX 4096  /* ops kept for reuse beyond this are freed */

typedef struct wop {
    fw_task task;
    struct wop *next;
    struct fw_lmdb_writer *wr;
    uint8_t kind;
    uint64_t src, dst;
    fw_write_cb cb;
    void *ctx;
    fw_exec *exec;
    fw_write_res res;
} wop;

struct fw_lmdb_writer {
    fw_store *s;
    pthread_t thread, syncer;
    pthread_mutex_t mu; /* queue */
    pthread_cond_t cv;
    wop *head, *tail;
    bool stopping;
    pthread_mutex_t smu; /* applied batches waiting for the syncer's flush */
    pthread_cond_t scv;
    wop *shead, **stail;
    bool unsynced;      /* a commit was handed over since the syncer last took the list */
    unsigned io_errors; /* failed commits: a flush error one of them consumed may hide a lost meta page */
    bool sstopping;
    pthread_mutex_t fmu; /* free list and lifetime */
    wop *free;
    size_t nfree, outstanding;
    bool closed;
};

static void writer_destroy(struct fw_lmdb_writer *wr)
{
    while (wr->free) {
        wop *o = wr->free;
        wr->free = o->next;
        free(o);
    }
    pthread_mutex_destroy(&wr->mu);
    pthread_mutex_destroy(&wr->smu);
    pthread_mutex_destroy(&wr->fmu);
    pthread_cond_destroy(&wr->cv);
    pthread_cond_destroy(&wr->scv);
    free(wr);
}

static wop *op_get(struct fw_lmdb_writer *wr)
{
    pthread_mutex_lock(&wr->fmu);
    wop *o = wr->free;
    if (o) {
        wr->free = o->next;
        wr->nfree--;
    }
    wr->outstanding++;
    pthread_mutex_unlock(&wr->fmu);
    if (!o && !(o = malloc(sizeof(*o))))
        abort(); /* as fw_buf: a server that cannot allocate 100 bytes cannot answer */
    return o;
}

static void op_put(wop *o)
{
    struct fw_lmdb_writer *wr = o->wr;
    pthread_mutex_lock(&wr->fmu);
    if (wr->nfree < FREE_MAX) {
        o->next = wr->free;
        wr->free = o;
        wr->nfree++;
        o = NULL;
    }
    bool last = --wr->outstanding == 0 && wr->closed;
    pthread_mutex_unlock(&wr->fmu);
    free(o);
    if (last)
        writer_destroy(wr);
}

/* Runs on the submitter's loop thread (or inline). */
static void op_run(fw_task *t)
{
    wop *o = (wop *)((char *)t - offsetof(wop, task));
    fw_write_res res = o->res;
    fw_write_cb cb = o->cb;
    void *ctx = o->ctx;
    op_put(o); /* before the callback, which may submit the next write */
    cb(ctx, &res);
}

static void fail_all(wop *batch, int rc)
{
    for (wop *o = batch; o; o = o->next)
        o->res = (fw_write_res){.rc = rc, .rel = FW_REL_NONE, .changed = false};
}

/* Applies the ops of batch (linked by next) in w, a write transaction begun
 * with result rc, and fills each op's res; if the transaction fails, every op
 * reports the failure and none took effect. Returns the transaction's fw_err
 * and sets *committed when it committed a change. With meta_later the commit
 * leaves its meta page unflushed for the syncer (the writer's batches);
 * otherwise it is durable on return (the synchronous path). */
static int apply_batch(fw_lmdb_wtx *w, int rc, wop *batch, bool meta_later, bool *committed)
{
    bool changed = false;
    *committed = false;
    w->precise = true; /* a graph write changes what reads of its two users return, nothing else */
    w->meta_later = meta_later;
    for (wop *o = batch; !rc && o; o = o->next) {
        int lrc = fw_lmdb_apply_write(w, o->kind, o->src, o->dst, &o->res);
        if (lrc) {
            rc = lrc;
            fw_lmdb_wtx_abort(w);
        }
        if (!lrc && o->res.changed) {
            fw_lmdb_touch(w, o->src);
            fw_lmdb_touch(w, o->dst);
        }
        changed |= o->res.changed;
    }
    if (!rc) {
        if (changed)
            rc = fw_lmdb_wtx_commit(w);
        else
            fw_lmdb_wtx_abort(w); /* nothing to make durable */
        *committed = changed && !rc;
    }
    if (rc)
        fail_all(batch, rc);
    return rc;
}

/* Writer: applies and commits batch (ending at last), then queues it for the
 * syncer. Every batch waits for the flush, even one that changed nothing: its
 * answers ("already following") may rest on a commit not yet flushed. */
static void run_batch(struct fw_lmdb_writer *wr, fw_lmdb_wtx *w, int rc, wop *batch, wop *last)
{
    bool committed;
    rc = apply_batch(w, rc, batch, true, &committed);
    pthread_mutex_lock(&wr->smu);
    *wr->stail = batch;
    wr->stail = &last->next;
    wr->unsynced |= committed;
    wr->io_errors += rc == FW_EIO || rc == FW_EFULL;
    pthread_cond_signal(&wr->scv);
    pthread_mutex_unlock(&wr->smu);
}

/* Syncer: takes every batch handed over, flushes once (the meta pages of their
 * commits, and any later commit's pages in flight, which is harmless), then
 * posts the completions. A flush that fails, or a commit that failed with an
 * I/O error during it (the kernel reports a writeback error to one of the
 * fsyncs on the file only), fails the ops that had succeeded: they may or may
 * not survive a power loss. */
static void *syncer_main(void *arg)
{
    struct fw_lmdb_writer *wr = arg;
    pthread_mutex_lock(&wr->smu);
    for (;;) {
        while (!wr->shead && !wr->sstopping)
            pthread_cond_wait(&wr->scv, &wr->smu);
        if (!wr->shead)
            break; /* stopping and drained */
        wop *list = wr->shead;
        wr->shead = NULL;
        wr->stail = &wr->shead;
        bool flush = wr->unsynced; /* else every commit they saw is flushed already */
        wr->unsynced = false;
        unsigned errors = wr->io_errors;
        pthread_mutex_unlock(&wr->smu);
        int rc = flush ? fw_lmdb_err(mdb_env_sync(wr->s->env, 1)) : FW_OK;
        pthread_mutex_lock(&wr->smu);
        if (flush && !rc && wr->io_errors != errors)
            rc = FW_EIO;
        pthread_mutex_unlock(&wr->smu);
        for (wop *o = list, *next; o; o = next) {
            next = o->next; /* o may be recycled as soon as it is posted */
            if (rc && !o->res.rc)
                o->res = (fw_write_res){.rc = rc, .rel = FW_REL_NONE, .changed = false};
            o->exec->post(o->exec, &o->task);
        }
        pthread_mutex_lock(&wr->smu);
    }
    pthread_mutex_unlock(&wr->smu);
    return NULL;
}

static void *writer_main(void *arg)
{
    struct fw_lmdb_writer *wr = arg;
    pthread_mutex_lock(&wr->mu);
    for (;;) {
        while (!wr->head && !wr->stopping)
            pthread_cond_wait(&wr->cv, &wr->mu);
        if (!wr->head)
            break; /* stopping and drained */
        /* Begin first, take the batch then: while LMDB's write lock is held
         * elsewhere (a CLI process, an admin write), arrivals join this batch. */
        pthread_mutex_unlock(&wr->mu);
        fw_lmdb_wtx w;
        int rc = fw_lmdb_wtx_begin(wr->s, &w);
        pthread_mutex_lock(&wr->mu);
        wop *batch = wr->head, *last = batch;
        for (int n = 1; n < BATCH_MAX && last->next; n++)
            last = last->next;
        wr->head = last->next;
        if (!wr->head)
            wr->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&wr->mu);
        run_batch(wr, &w, rc, batch, last);
        pthread_mutex_lock(&wr->mu);
    }
    pthread_mutex_unlock(&wr->mu);
    return NULL;
}

/* After the writer has stopped: the syncer flushes and posts what is left. */
static void stop_syncer(struct fw_lmdb_writer *wr)
{
    pthread_mutex_lock(&wr->smu);
    wr->sstopping = true;
    pthread_cond_signal(&wr->scv);
    pthread_mutex_unlock(&wr->smu);
    pthread_join(wr->syncer, NULL);
}

int fw_lmdb_writer_start(fw_store *s)
{
    struct fw_lmdb_writer *wr = calloc(1, sizeof(*wr));
    if (!wr)
        return FW_EIO;
    wr->s = s;
    wr->stail = &wr->shead;
    pthread_mutex_init(&wr->mu, NULL);
    pthread_mutex_init(&wr->smu, NULL);
    pthread_mutex_init(&wr->fmu, NULL);
    pthread_cond_init(&wr->cv, NULL);
    pthread_cond_init(&wr->scv, NULL);
    if (pthread_create(&wr->syncer, NULL, syncer_main, wr) != 0) {
        writer_destroy(wr);
        return FW_EIO;
    }
    if (pthread_create(&wr->thread, NULL, writer_main, wr) != 0) {
        stop_syncer(wr);
        writer_destroy(wr);
        return FW_EIO;
    }
    s->writer = wr;
    return FW_OK;
}

void fw_lmdb_writer_stop(fw_store *s)
{
    struct fw_lmdb_writer *wr = s->writer;
    if (!wr)
        return;
    pthread_mutex_lock(&wr->mu);
    wr->stopping = true;
    pthread_cond_signal(&wr->cv);
    pthread_mutex_unlock(&wr->mu);
    pthread_join(wr->thread, NULL);
    stop_syncer(wr);
    s->writer = NULL;
    pthread_mutex_lock(&wr->fmu);
    wr->closed = true;
    bool idle = wr->outstanding == 0;
    pthread_mutex_unlock(&wr->fmu);
    if (idle)
        writer_destroy(wr);
}

int fw_lmdb_write_sync(fw_store *s, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res)
{
    wop o = {.kind = kind, .src = src, .dst = dst};
    fw_lmdb_wtx w;
    bool committed;
    apply_batch(&w, fw_lmdb_wtx_begin(s, &w), &o, false, &committed);
    *res = o.res;
    return res->rc;
}

void fw_lmdb_write(fw_store *s, fw_exec *exec, uint8_t kind, uint64_t src, uint64_t dst, fw_write_cb cb, void *ctx)
{
    struct fw_lmdb_writer *wr = s->writer;
    if (!exec || !wr) {
        fw_write_res res;
        fw_lmdb_write_sync(s, kind, src, dst, &res);
        cb(ctx, &res);
        return;
    }
    wop *o = op_get(wr);
    *o = (wop){.task = {.run = op_run}, .wr = wr, .kind = kind, .src = src, .dst = dst, .cb = cb, .ctx = ctx,
               .exec = exec};
    pthread_mutex_lock(&wr->mu);
    if (wr->stopping) {
        pthread_mutex_unlock(&wr->mu);
        o->res = (fw_write_res){.rc = FW_ESHUTDOWN};
        op_run(&o->task);
        return;
    }
    if (wr->tail)
        wr->tail->next = o;
    else
        wr->head = o;
    wr->tail = o;
    pthread_cond_signal(&wr->cv);
    pthread_mutex_unlock(&wr->mu);
}
