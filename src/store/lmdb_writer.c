/* Request-path graph writes: one writer thread with group commit.
 *
 * A durable LMDB commit costs one or two fsyncs no matter how much it holds,
 * so the writer takes every queued write, applies them in one transaction
 * (each op validated on its own before it changes anything, so a refused op
 * leaves no trace), commits once, and only then posts every completion to its
 * submitter's executor. If the commit fails, every op of the batch reports the
 * failure and none took effect.
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
    pthread_t thread;
    pthread_mutex_t mu; /* queue */
    pthread_cond_t cv;
    wop *head, *tail;
    bool stopping;
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
    pthread_mutex_destroy(&wr->fmu);
    pthread_cond_destroy(&wr->cv);
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

/* Applies the ops of batch (linked by next) in one transaction and fills each
 * op's res; if the transaction fails, every op reports the failure and none
 * took effect. The writer's batches and the synchronous path both use it. */
static void apply_batch(fw_store *s, wop *batch)
{
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    bool changed = false;
    for (wop *o = batch; !rc && o; o = o->next) {
        int lrc = fw_lmdb_apply_write(&w, o->kind, o->src, o->dst, &o->res);
        if (lrc) {
            rc = lrc;
            fw_lmdb_wtx_abort(&w);
        }
        changed |= o->res.changed;
    }
    if (!rc) {
        if (changed)
            rc = fw_lmdb_wtx_commit(&w);
        else
            fw_lmdb_wtx_abort(&w); /* nothing to make durable */
    }
    if (rc)
        fail_all(batch, rc);
}

static void run_batch(struct fw_lmdb_writer *wr, wop *batch)
{
    apply_batch(wr->s, batch);
    for (wop *o = batch, *next; o; o = next) {
        next = o->next; /* o may be recycled as soon as it is posted */
        o->exec->post(o->exec, &o->task);
    }
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
        wop *batch = wr->head, *last = batch;
        for (int n = 1; n < BATCH_MAX && last->next; n++)
            last = last->next;
        wr->head = last->next;
        if (!wr->head)
            wr->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&wr->mu);
        run_batch(wr, batch);
        pthread_mutex_lock(&wr->mu);
    }
    pthread_mutex_unlock(&wr->mu);
    return NULL;
}

int fw_lmdb_writer_start(fw_store *s)
{
    struct fw_lmdb_writer *wr = calloc(1, sizeof(*wr));
    if (!wr)
        return FW_EIO;
    wr->s = s;
    pthread_mutex_init(&wr->mu, NULL);
    pthread_mutex_init(&wr->fmu, NULL);
    pthread_cond_init(&wr->cv, NULL);
    if (pthread_create(&wr->thread, NULL, writer_main, wr) != 0) {
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
    apply_batch(s, &o);
    *res = o.res;
    return res->rc;
}

void fw_lmdb_write(fw_store *s, fw_exec *exec, uint8_t kind, uint64_t src, uint64_t dst, fw_write_cb cb, void *ctx)
{
    struct fw_lmdb_writer *wr = s->writer;
    if (!exec || !wr) {
        wop o = {.kind = kind, .src = src, .dst = dst};
        apply_batch(s, &o);
        cb(ctx, &o.res);
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
