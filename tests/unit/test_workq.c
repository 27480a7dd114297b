/* core/workq: inline mode, completion order and thread hand-off, back
 * pressure, drain on free, many concurrent submitters. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "core/workq.h"

/* ---- a test "event loop": posted tasks wait here until the test runs them */

typedef struct loop {
    fw_exec exec; /* first: the executor's post() finds the loop from it */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fw_task *head, **tail;
    size_t posted;
} loop;

static void loop_post(fw_exec *self, fw_task *task)
{
    loop *l = (loop *)(void *)self;
    pthread_mutex_lock(&l->mu);
    task->next = NULL;
    *l->tail = task;
    l->tail = &task->next;
    l->posted++;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void loop_init(loop *l)
{
    l->exec.post = loop_post;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->head = NULL;
    l->tail = &l->head;
    l->posted = 0;
}

static void loop_destroy(loop *l)
{
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
}

/* Waits until n tasks were posted in all, then runs every posted task here. */
static size_t loop_run(loop *l, size_t n)
{
    pthread_mutex_lock(&l->mu);
    while (l->posted < n)
        pthread_cond_wait(&l->cv, &l->mu);
    fw_task *t = l->head;
    l->head = NULL;
    l->tail = &l->head;
    pthread_mutex_unlock(&l->mu);
    size_t ran = 0;
    while (t) {
        fw_task *next = t->next;
        t->run(t);
        ran++;
        t = next;
    }
    return ran;
}

/* ---- jobs --------------------------------------------------------------- */

typedef struct job {
    fw_task task; /* first */
    int seq;
    pthread_t worked_on, ran_on;
    int worked, ran;
    int worked_at_run; /* what run saw: checked by the test thread, never asserted off it */
    int *order; /* completion log */
    size_t *norder;
} job;

static void job_work(fw_task *t)
{
    job *j = (job *)(void *)t;
    j->worked_on = pthread_self();
    j->worked++;
}

static void job_run(fw_task *t)
{
    job *j = (job *)(void *)t;
    j->worked_at_run = j->worked; /* run always after work */
    j->ran_on = pthread_self();
    j->ran++;
    if (j->order)
        j->order[(*j->norder)++] = j->seq;
}

static void test_inline_without_exec(void **state)
{
    (void)state;
    fw_workq *q;
    assert_int_equal(fw_workq_new(1, 4, &q), 0);
    job j = {.task.run = job_run};
    assert_int_equal(fw_workq_submit(q, NULL, &j.task, job_work), FW_OK);
    assert_int_equal(j.worked, 1);
    assert_int_equal(j.ran, 1);
    assert_true(pthread_equal(j.worked_on, pthread_self()));
    /* Inline needs no queue at all (the CLI has none). */
    job k = {.task.run = job_run};
    assert_int_equal(fw_workq_submit(NULL, NULL, &k.task, job_work), FW_OK);
    assert_int_equal(k.ran, 1);
    /* Bad arguments run nothing. */
    job bad = {.task.run = job_run};
    loop l;
    loop_init(&l);
    assert_int_equal(fw_workq_submit(q, &l.exec, &bad.task, NULL), FW_EINVAL);
    assert_int_equal(fw_workq_submit(NULL, &l.exec, &bad.task, job_work), FW_EINVAL);
    assert_int_equal(bad.worked + bad.ran, 0);
    fw_workq_free(q);
    loop_destroy(&l);
}

static void test_completion_order_and_threads(void **state)
{
    (void)state;
    enum { N = 50 };
    fw_workq *q;
    assert_int_equal(fw_workq_new(1, N, &q), 0);
    loop l;
    loop_init(&l);
    job jobs[N];
    int order[N];
    size_t norder = 0;
    for (int i = 0; i < N; i++) {
        jobs[i] = (job){.task.run = job_run, .seq = i, .order = order, .norder = &norder};
        assert_int_equal(fw_workq_submit(q, &l.exec, &jobs[i].task, job_work), FW_OK);
    }
    /* Nothing completes on its own: run happens only when the loop runs it. */
    size_t ran = 0;
    while (ran < N)
        ran += loop_run(&l, ran + 1);
    assert_int_equal(ran, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(order[i], i); /* one worker: FIFO end to end */
        assert_int_equal(jobs[i].worked, 1);
        assert_int_equal(jobs[i].ran, 1);
        assert_int_equal(jobs[i].worked_at_run, 1);
        assert_false(pthread_equal(jobs[i].worked_on, pthread_self()));
        assert_true(pthread_equal(jobs[i].ran_on, pthread_self()));
    }
    fw_workq_free(q);
    loop_destroy(&l);
}

/* ---- back pressure: a gate holds the only worker ------------------------ */

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
} gate;
static gate g_gate;

static void gated_work(fw_task *t)
{
    pthread_mutex_lock(&g_gate.mu);
    g_gate.entered = true;
    pthread_cond_broadcast(&g_gate.cv);
    while (!g_gate.open)
        pthread_cond_wait(&g_gate.cv, &g_gate.mu);
    pthread_mutex_unlock(&g_gate.mu);
    job_work(t);
}

static void gate_reset(void)
{
    pthread_mutex_init(&g_gate.mu, NULL);
    pthread_cond_init(&g_gate.cv, NULL);
    g_gate.entered = g_gate.open = false;
}

static void gate_wait_entered(void)
{
    pthread_mutex_lock(&g_gate.mu);
    while (!g_gate.entered)
        pthread_cond_wait(&g_gate.cv, &g_gate.mu);
    pthread_mutex_unlock(&g_gate.mu);
}

static void gate_open(void)
{
    pthread_mutex_lock(&g_gate.mu);
    g_gate.open = true;
    pthread_cond_broadcast(&g_gate.cv);
    pthread_mutex_unlock(&g_gate.mu);
}

static void test_back_pressure(void **state)
{
    (void)state;
    gate_reset();
    fw_workq *q;
    assert_int_equal(fw_workq_new(1, 2, &q), 0);
    loop l;
    loop_init(&l);
    job blocker = {.task.run = job_run}, a = {.task.run = job_run}, b = {.task.run = job_run},
        c = {.task.run = job_run}, d = {.task.run = job_run};
    assert_int_equal(fw_workq_submit(q, &l.exec, &blocker.task, gated_work), FW_OK);
    gate_wait_entered(); /* the worker holds it: the queue itself is empty */
    assert_int_equal(fw_workq_submit(q, &l.exec, &a.task, job_work), FW_OK);
    assert_int_equal(fw_workq_submit(q, &l.exec, &b.task, job_work), FW_OK);
    /* Two waiting = max_queue: refused at once, and never run. */
    assert_int_equal(fw_workq_submit(q, &l.exec, &c.task, job_work), FW_EBUSY);
    gate_open();
    assert_int_equal(loop_run(&l, 3), 3);
    assert_int_equal(blocker.ran + a.ran + b.ran, 3);
    assert_int_equal(c.worked + c.ran, 0);
    /* Room again once the backlog is gone. */
    assert_int_equal(fw_workq_submit(q, &l.exec, &d.task, job_work), FW_OK);
    assert_int_equal(loop_run(&l, 4), 1);
    assert_int_equal(d.ran, 1);
    fw_workq_free(q);
    loop_destroy(&l);
    pthread_cond_destroy(&g_gate.cv);
    pthread_mutex_destroy(&g_gate.mu);
}

/* ---- drain on free ------------------------------------------------------ */

static void slow_work(fw_task *t)
{
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    job_work(t);
}

static void test_free_drains(void **state)
{
    (void)state;
    enum { N = 20 };
    fw_workq *q;
    assert_int_equal(fw_workq_new(2, N, &q), 0);
    loop l;
    loop_init(&l);
    job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (job){.task.run = job_run, .seq = i};
        assert_int_equal(fw_workq_submit(q, &l.exec, &jobs[i].task, slow_work), FW_OK);
    }
    fw_workq_free(q); /* returns only after every queued task was worked and posted */
    pthread_mutex_lock(&l.mu);
    size_t posted = l.posted;
    pthread_mutex_unlock(&l.mu);
    assert_int_equal(posted, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(jobs[i].worked, 1);
    assert_int_equal(loop_run(&l, N), N);
    for (int i = 0; i < N; i++)
        assert_int_equal(jobs[i].ran, 1);
    loop_destroy(&l);
}

/* ---- many submitters, each with its own loop ---------------------------- */

enum { SUBMITTERS = 6, PER = 400 };

typedef struct submitter {
    pthread_t tid;
    fw_workq *q;
    loop l;
    job jobs[PER];
    int order[PER];
    size_t norder;
    size_t full; /* EFULL answers seen (and retried) */
    size_t errors; /* any other answer */
} submitter;

static void *submit_many(void *arg)
{
    submitter *s = arg;
    size_t ran = 0;
    for (int i = 0; i < PER; i++) {
        s->jobs[i] = (job){.task.run = job_run, .seq = i, .order = s->order, .norder = &s->norder};
        int rc;
        while ((rc = fw_workq_submit(s->q, &s->l.exec, &s->jobs[i].task, job_work)) == FW_EBUSY) {
            s->full++;
            /* run what came back meanwhile, as a loop would between events */
            pthread_mutex_lock(&s->l.mu);
            size_t posted = s->l.posted;
            pthread_mutex_unlock(&s->l.mu);
            ran += loop_run(&s->l, posted);
            sched_yield();
        }
        if (rc != FW_OK)
            s->errors++;
    }
    while (ran < PER)
        ran += loop_run(&s->l, ran + 1);
    return NULL;
}

static void test_many_submitters(void **state)
{
    (void)state;
    fw_workq *q;
    assert_int_equal(fw_workq_new(3, 16, &q), 0); /* a small queue: submitters meet EFULL */
    submitter *subs = calloc(SUBMITTERS, sizeof *subs);
    assert_non_null(subs);
    for (int i = 0; i < SUBMITTERS; i++) {
        subs[i].q = q;
        loop_init(&subs[i].l);
        assert_int_equal(pthread_create(&subs[i].tid, NULL, submit_many, &subs[i]), 0);
    }
    for (int i = 0; i < SUBMITTERS; i++)
        pthread_join(subs[i].tid, NULL);
    fw_workq_free(q);
    for (int i = 0; i < SUBMITTERS; i++) {
        submitter *s = &subs[i];
        assert_int_equal(s->errors, 0);
        assert_int_equal(s->norder, PER);
        assert_int_equal(s->l.posted, PER); /* each completion went to its own submitter's loop */
        for (int j = 0; j < PER; j++) {
            assert_int_equal(s->jobs[j].worked, 1);
            assert_int_equal(s->jobs[j].ran, 1);
            assert_int_equal(s->jobs[j].worked_at_run, 1);
            assert_true(pthread_equal(s->jobs[j].ran_on, s->tid));
        }
        loop_destroy(&s->l);
    }
    free(subs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_without_exec),
        cmocka_unit_test(test_completion_order_and_threads),
        cmocka_unit_test(test_back_pressure),
        cmocka_unit_test(test_free_drains),
        cmocka_unit_test(test_many_submitters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
