/* A small fixed-size thread pool for work that must not run on an event loop
 * (password hashing, synchronous store writes).
 *
 * fw_workq_submit() queues work(task); a worker thread runs it, then hands
 * task back to the submitter's loop with exec->post(exec, task), so
 * task->run(task) finishes the job on the thread that owns the request. The
 * queue is bounded: when max_queue tasks already wait for a worker, submit
 * fails at once and the caller answers "try again later" instead of piling up
 * requests (and their memory) behind slow work.
 *
 * Ownership: the caller owns task (and whatever embeds it) until task->run
 * has run; work must not touch what the loop may touch meanwhile. exec must
 * outlive every task submitted with it. fw_workq_free() drains: every queued
 * task still runs and is posted before the workers exit; nothing may be
 * submitted once it started. Submit is thread-safe (any number of loops). */
#ifndef FW_CORE_WORKQ_H
#define FW_CORE_WORKQ_H

#include <stddef.h>

#include "core/err.h"
#include "core/exec.h" /* fw_exec, fw_task */

#define FW_WORKQ_DEFAULT_THREADS 2
#define FW_WORKQ_DEFAULT_QUEUE 128
#define FW_WORKQ_MAX_THREADS 64

typedef struct fw_workq fw_workq; /* opaque */

/* threads 0 = FW_WORKQ_DEFAULT_THREADS (at most FW_WORKQ_MAX_THREADS);
 * max_queue 0 = FW_WORKQ_DEFAULT_QUEUE (tasks waiting, not counting those a
 * worker is running). Returns 0, or -1 (out of memory, thread creation). */
FW_MUSTCHECK int fw_workq_new(size_t threads, size_t max_queue, fw_workq **out);
/* Runs every queued task, posts its completion, joins the workers, frees. */
void fw_workq_free(fw_workq *q);
/* Runs work(task) on a worker, then posts task to exec. With exec == NULL
 * both run inline, before submit returns (tests, CLI). Returns FW_OK;
 * on FW_EBUSY / FW_ESHUTDOWN / FW_EINVAL nothing ran and nothing will. */
FW_MUSTCHECK int fw_workq_submit(fw_workq *q, fw_exec *exec, fw_task *task, void (*work)(fw_task *task));

#endif
