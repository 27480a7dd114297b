/* Fixed-size worker pool with a bounded FIFO; see workq.h. */
#include "core/workq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct item {
    fw_exec *exec;
    fw_task *task;
    void (*work)(fw_task *task);
} item;

struct fw_workq {
    pthread_mutex_t mu;
    pthread_cond_t ready; /* an item was queued, or closing */
    item *ring;           /* max_queue slots, allocated once: submit never allocates */
    size_t cap, head, count;
    bool closing;
    size_t nthreads;
    pthread_t *tids;
};

static void *worker(void *arg)
{
    fw_workq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->count == 0 && !q->closing)
            pthread_cond_wait(&q->ready, &q->mu);
        if (q->count == 0)
            break; /* closing and drained */
        item it = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_mutex_unlock(&q->mu);
        it.work(it.task);
        /* The loop's mutex hand-off makes everything work wrote visible to run. */
        it.exec->post(it.exec, it.task);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void stop_and_join(fw_workq *q, size_t started)
{
    pthread_mutex_lock(&q->mu);
    q->closing = true;
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->mu);
    for (size_t i = 0; i < started; i++)
        pthread_join(q->tids[i], NULL);
}

static void destroy(fw_workq *q)
{
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->mu);
    free(q->ring);
    free(q->tids);
    free(q);
}

int fw_workq_new(size_t threads, size_t max_queue, fw_workq **out)
{
    if (threads == 0)
        threads = FW_WORKQ_DEFAULT_THREADS;
    if (threads > FW_WORKQ_MAX_THREADS)
        threads = FW_WORKQ_MAX_THREADS;
    if (max_queue == 0)
        max_queue = FW_WORKQ_DEFAULT_QUEUE;
    fw_workq *q = calloc(1, sizeof *q);
    if (!q)
        return -1;
    q->ring = calloc(max_queue, sizeof *q->ring);
    q->tids = calloc(threads, sizeof *q->tids);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->ready, NULL);
    if (!q->ring || !q->tids) {
        destroy(q);
        return -1;
    }
    q->cap = max_queue;
    for (q->nthreads = 0; q->nthreads < threads; q->nthreads++) {
        if (pthread_create(&q->tids[q->nthreads], NULL, worker, q) != 0) {
            stop_and_join(q, q->nthreads);
            destroy(q);
            return -1;
        }
    }
    *out = q;
    return 0;
}

void fw_workq_free(fw_workq *q)
{
    if (!q)
        return;
    stop_and_join(q, q->nthreads);
    destroy(q);
}

int fw_workq_submit(fw_workq *q, fw_exec *exec, fw_task *task, void (*work)(fw_task *task))
{
    if (!task || !work || !task->run)
        return FW_EINVAL;
    if (!exec) {
        work(task);
        task->run(task);
        return FW_OK;
    }
    if (!q)
        return FW_EINVAL;
    pthread_mutex_lock(&q->mu);
    int rc = q->closing ? FW_ESHUTDOWN : q->count == q->cap ? FW_EBUSY : FW_OK;
    if (rc == FW_OK) {
        q->ring[(q->head + q->count) % q->cap] = (item){exec, task, work};
        q->count++;
        pthread_cond_signal(&q->ready);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}
