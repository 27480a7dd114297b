/* External sort of edges by sequence number (edgesort.h): sorted runs of
 * run_max edges in one temporary file, merged through a binary heap with a
 * read buffer per run. */
#include "cli/edgesort.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sort.h"

#define RUN_DEFAULT (1u << 20) /* edges per run: 48 MB sorting, 32 MB on disk */
#define READ_BUF 1024          /* edges read back per run at a time (32 KB) */

typedef struct rec {
    uint64_t seq, src, dst, rel;
} rec;

typedef struct run {
    off_t off, end; /* the run's records still on disk: [off, end) */
    rec *buf;
    size_t pos, n;
} run;

struct fw_edgesort {
    char *tmpdir;
    size_t run_max;
    fw_kv *kv; /* key: seq; val: index into cur */
    rec *cur;
    size_t ncur;
    uint64_t total;
    FILE *f;   /* the runs written so far, back to back */
    off_t *ends; /* each run's end offset in f */
    size_t nruns;
};

fw_edgesort *fw_edgesort_new(const char *tmpdir, size_t run_max)
{
    fw_edgesort *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->run_max = run_max ? run_max : RUN_DEFAULT;
    e->tmpdir = strdup(tmpdir && *tmpdir ? tmpdir : ".");
    e->kv = fw_kv_alloc(e->run_max);
    e->cur = malloc(e->run_max * sizeof(*e->cur));
    if (!e->tmpdir || !e->kv || !e->cur) {
        fw_edgesort_free(e);
        return NULL;
    }
    return e;
}

void fw_edgesort_free(fw_edgesort *e)
{
    if (!e)
        return;
    if (e->f)
        fclose(e->f);
    free(e->tmpdir);
    free(e->kv);
    free(e->cur);
    free(e->ends);
    free(e);
}

uint64_t fw_edgesort_count(const fw_edgesort *e) { return e->total; }

/* Sorts the edges in memory; kv[i].val then indexes cur in sequence order. */
static int sort_cur(fw_edgesort *e)
{
    for (size_t i = 0; i < e->ncur; i++)
        e->kv[i] = (fw_kv){e->cur[i].seq, i};
    return fw_sort_kv(e->kv, e->ncur);
}

/* The run file, made on first spill and unlinked at once: it goes away with the process. */
static int open_runs(fw_edgesort *e)
{
    size_t n = strlen(e->tmpdir) + 32;
    char *path = malloc(n);
    if (!path)
        return FW_ENOMEM;
    snprintf(path, n, "%s/.followd-export-XXXXXX", e->tmpdir);
    int fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    free(path);
    if (fd < 0)
        return FW_EIO;
    if (!(e->f = fdopen(fd, "w+b"))) {
        close(fd);
        return FW_EIO;
    }
    return FW_OK;
}

static int spill(fw_edgesort *e)
{
    int rc = sort_cur(e);
    if (!rc && !e->f)
        rc = open_runs(e);
    off_t *ends = rc ? NULL : realloc(e->ends, (e->nruns + 1) * sizeof(*ends));
    if (!rc && !ends)
        rc = FW_ENOMEM;
    if (rc)
        return rc;
    e->ends = ends;
    for (size_t i = 0; i < e->ncur; i++)
        if (fwrite(&e->cur[e->kv[i].val], sizeof(rec), 1, e->f) != 1)
            return FW_EIO;
    off_t end = e->nruns ? e->ends[e->nruns - 1] : 0;
    e->ends[e->nruns++] = end + (off_t)(e->ncur * sizeof(rec));
    e->ncur = 0;
    return FW_OK;
}

int fw_edgesort_add(fw_edgesort *e, uint64_t seq, uint8_t rel, uint64_t src, uint64_t dst)
{
    if (e->ncur == e->run_max) {
        int rc = spill(e);
        if (rc)
            return rc;
    }
    e->cur[e->ncur++] = (rec){seq, src, dst, rel};
    e->total++;
    return FW_OK;
}

/* The run's next record into its buffer; false at its end (or on a read error: *rc). */
static bool run_fill(fw_edgesort *e, run *r, int *rc)
{
    if (r->pos < r->n)
        return true;
    if (r->off >= r->end)
        return false;
    size_t want = (size_t)(r->end - r->off) / sizeof(rec);
    if (want > READ_BUF)
        want = READ_BUF;
    ssize_t got = pread(fileno(e->f), r->buf, want * sizeof(rec), r->off);
    if (got != (ssize_t)(want * sizeof(rec))) {
        *rc = FW_EIO;
        return false;
    }
    r->off += got;
    r->pos = 0;
    r->n = want;
    return true;
}

static uint64_t head(const run *runs, size_t i) { return runs[i].buf[runs[i].pos].seq; }

/* Restores the min-heap of run indices h[0..n) below position i. */
static void sift(const run *runs, size_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && head(runs, h[l]) < head(runs, h[m]))
            m = l;
        if (r < n && head(runs, h[r]) < head(runs, h[m]))
            m = r;
        if (m == i)
            return;
        size_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int merge(fw_edgesort *e, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst), void *ctx)
{
    if (fflush(e->f) != 0)
        return FW_EIO;
    run *runs = calloc(e->nruns, sizeof(*runs));
    size_t *h = calloc(e->nruns, sizeof(*h)), n = 0;
    int rc = runs && h ? FW_OK : FW_ENOMEM;
    for (size_t i = 0; !rc && i < e->nruns; i++) {
        runs[i] = (run){.off = i ? e->ends[i - 1] : 0, .end = e->ends[i], .buf = malloc(READ_BUF * sizeof(rec))};
        if (!runs[i].buf)
            rc = FW_ENOMEM;
        else if (run_fill(e, &runs[i], &rc))
            h[n++] = i;
    }
    for (size_t i = n / 2; !rc && i-- > 0;)
        sift(runs, h, n, i);
    while (!rc && n) {
        run *r = &runs[h[0]];
        const rec *x = &r->buf[r->pos++];
        if ((rc = fn(ctx, (uint8_t)x->rel, x->src, x->dst)))
            break;
        if (!run_fill(e, r, &rc))
            h[0] = h[--n];
        sift(runs, h, n, 0);
    }
    for (size_t i = 0; runs && i < e->nruns; i++)
        free(runs[i].buf);
    free(runs);
    free(h);
    return rc;
}

int fw_edgesort_each(fw_edgesort *e, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst), void *ctx)
{
    if (e->nruns) { /* the last, partial run joins the others on disk */
        int rc = e->ncur ? spill(e) : FW_OK;
        return rc ? rc : merge(e, fn, ctx);
    }
    int rc = sort_cur(e);
    for (size_t i = 0; !rc && i < e->ncur; i++) {
        const rec *x = &e->cur[e->kv[i].val];
        rc = fn(ctx, (uint8_t)x->rel, x->src, x->dst);
    }
    return rc;
}
