#ifndef FW_CORE_EXEC_H
#define FW_CORE_EXEC_H

/* Completion executor: how work finished on one thread is handed back to the
 * thread (event loop) that asked for it.
 *
 * A caller that runs an event loop passes an fw_exec with each asynchronous
 * operation. A backend that finishes the operation on another thread calls
 * exec->post(exec, task) from that thread; the loop must then call
 * task->run(task) on its own thread, once. An fw_exec must outlive every
 * operation submitted with it. Passing NULL as exec means "complete inline on
 * the calling thread, blocking if needed" (used by tests and the CLI). */
typedef struct fw_task {
    void (*run)(struct fw_task *task);
    struct fw_task *next; /* free for the executor's queue */
} fw_task;

typedef struct fw_exec {
    void (*post)(struct fw_exec *self, fw_task *task);
} fw_exec;

#endif
