/* Chunked parallel parsing of line files; see linechunks.h. */
#include "cli/linechunks.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define DEFAULT_CHUNK (4u << 20)

bool fw_chunk_line(const fw_chunk *c, const char **pos, const char **line, size_t *len, uint64_t *lineno)
{
    const char *p = *pos;
    if (p >= c->end)
        return false;
    const char *nl = memchr(p, '\n', (size_t)(c->end - p));
    const char *e = nl ? nl : c->end;
    *pos = nl ? nl + 1 : c->end;
    while (e > p && e[-1] == '\r')
        e--;
    *line = p;
    *len = (size_t)(e - p);
    ++*lineno;
    return true;
}

/* Lines in c (the last may lack its line ending). */
static uint64_t count_lines(const fw_chunk *c)
{
    uint64_t n = 0;
    for (const char *p = c->p, *nl; p < c->end; p = nl + 1, n++)
        if (!(nl = memchr(p, '\n', (size_t)(c->end - p))))
            return n + 1;
    return n;
}

typedef struct run {
    const fw_chunk_ops *ops;
    void *ctx;
    fw_chunk *chunks;
    bool *ready, *freed;
    uint64_t *nlines; /* per chunk, counted by the worker that parsed it */
    size_t n, next, consumed, window;
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} run;

#define MINE_MAX 32 /* > window: a worker never holds more unfreed chunks */

/* Takes chunks while the consumer is less than window behind, and frees each
 * chunk it parsed once consumed: on the thread that allocated it, since frees
 * from another thread made glibc's arenas trade memory (malloc_consolidate in
 * the profile). What is left at the end, fw_chunks_run frees. */
static void *worker(void *arg)
{
    run *r = arg;
    size_t mine[MINE_MAX], head = 0, tail = 0;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (head < tail && mine[head % MINE_MAX] < r->consumed) {
            size_t i = mine[head++ % MINE_MAX];
            r->freed[i] = true;
            pthread_mutex_unlock(&r->mu);
            r->ops->done(r->ctx, &r->chunks[i]);
            pthread_mutex_lock(&r->mu);
            continue;
        }
        if (r->stop || r->next >= r->n)
            break;
        if (r->next >= r->consumed + r->window) {
            pthread_cond_wait(&r->cv, &r->mu);
            continue;
        }
        fw_chunk *c = &r->chunks[r->next++];
        mine[tail++ % MINE_MAX] = c->index;
        pthread_mutex_unlock(&r->mu);
        r->ops->parse(r->ctx, c);
        uint64_t nl = count_lines(c);
        pthread_mutex_lock(&r->mu);
        r->nlines[c->index] = nl;
        r->ready[c->index] = true;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* The whole file in memory: mapped when it is a regular file, else read. */
static int load(const char *path, const char **data, size_t *size, bool *mapped)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fw_cli_err("cannot open %s: %m", path);
        return -1;
    }
    struct stat st;
    *data = NULL;
    *size = 0;
    *mapped = false;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        *size = (size_t)st.st_size;
        if (*size) {
            void *m = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED) {
                fw_cli_err("cannot map %s: %m", path);
                close(fd);
                return -1;
            }
            madvise(m, *size, MADV_SEQUENTIAL | MADV_WILLNEED);
            *data = m;
            *mapped = true;
        }
        close(fd);
        return 0;
    }
    /* A pipe or device: read it all. */
    char *buf = NULL;
    size_t cap = 0;
    for (;;) {
        if (*size == cap) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
            if (!nb) {
                free(buf);
                close(fd);
                fw_cli_err("cannot read %s: out of memory", path);
                return -1;
            }
            buf = nb;
        }
        ssize_t got = read(fd, buf + *size, cap - *size);
        if (got < 0) {
            fw_cli_err("cannot read %s: %m", path);
            free(buf);
            close(fd);
            return -1;
        }
        if (!got)
            break;
        *size += (size_t)got;
    }
    close(fd);
    *data = buf;
    return 0;
}

/* Cuts [data, data+size) into chunks of about chunk bytes ending at line ends. */
static fw_chunk *cut(const char *data, size_t size, size_t chunk, size_t *n)
{
    size_t cap = size / chunk + 2;
    fw_chunk *cs = calloc(cap, sizeof(*cs));
    if (!cs)
        return NULL;
    size_t k = 0;
    for (size_t off = 0; off < size; k++) {
        size_t end = size - off > chunk ? off + chunk : size;
        if (end < size) {
            const char *nl = memchr(data + end - 1, '\n', size - (end - 1));
            end = nl ? (size_t)(nl - data) + 1 : size;
        }
        cs[k] = (fw_chunk){.p = data + off, .end = data + end, .end_off = end, .file_size = size, .index = k};
        off = end;
    }
    *n = k;
    return cs;
}

static size_t nworkers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (size_t)n;
}

int fw_chunks_run(const char *path, size_t chunk_bytes, const fw_chunk_ops *ops, void *ctx, uint64_t *size)
{
    const char *env = getenv("FOLLOWD_IMPORT_CHUNK");
    if (env && atol(env) > 0)
        chunk_bytes = (size_t)atol(env);
    if (!chunk_bytes)
        chunk_bytes = DEFAULT_CHUNK;
    const char *data;
    size_t len;
    bool mapped;
    if (load(path, &data, &len, &mapped))
        return -1;
    *size = len;
    run r = {.ops = ops, .ctx = ctx};
    r.chunks = cut(data, len, chunk_bytes, &r.n);
    r.ready = calloc(r.n + 1, sizeof(*r.ready));
    r.freed = calloc(r.n + 1, sizeof(*r.freed));
    r.nlines = calloc(r.n + 1, sizeof(*r.nlines));
    int ret = 0;
    if (!r.chunks || !r.ready || !r.freed || !r.nlines) {
        fw_cli_err("cannot read %s: out of memory", path);
        ret = -1;
        goto out;
    }
    size_t nw = nworkers();
    r.window = 2 * nw + 2; /* < MINE_MAX */
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    pthread_t tids[4];
    size_t started = 0;
    for (; started < nw && started < r.n; started++)
        if (pthread_create(&tids[started], NULL, worker, &r))
            break;
    if (!started && r.n) { /* no thread at all: parse here */
        r.next = r.n;
        for (size_t i = 0; i < r.n; i++) {
            ops->parse(ctx, &r.chunks[i]);
            r.nlines[i] = count_lines(&r.chunks[i]);
            r.ready[i] = true;
        }
    }
    uint64_t line = 1;
    size_t i = 0;
    for (; i < r.n && !ret; i++) {
        pthread_mutex_lock(&r.mu);
        while (!r.ready[i])
            pthread_cond_wait(&r.cv, &r.mu);
        pthread_mutex_unlock(&r.mu);
        fw_chunk *c = &r.chunks[i];
        c->first_line = line;
        ret = ops->consume(ctx, c);
        line += r.nlines[i];
        pthread_mutex_lock(&r.mu);
        r.consumed = i + 1;
        if (ret)
            r.stop = true;
        pthread_cond_broadcast(&r.cv);
        pthread_mutex_unlock(&r.mu);
    }
    for (size_t t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    /* What the workers did not free, and after a stop what was parsed but
     * never consumed. */
    for (i = 0; i < r.n; i++)
        if (r.ready[i] && !r.freed[i])
            ops->done(ctx, &r.chunks[i]);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);
out:
    free(r.chunks);
    free(r.ready);
    free(r.freed);
    free(r.nlines);
    if (mapped)
        munmap((void *)data, len);
    else
        free((void *)data);
    return ret;
}
