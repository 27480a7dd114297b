/* LSD radix sort of fw_kv pairs: 12-bit digits, six passes at most. One
 * counting sweep over the keys finds which digits vary at all, so a pass whose
 * digit is the same in every key (the high bits of small dense indices) is
 * skipped instead of copying the array for nothing.
 *
 * 12 bits rather than 16, and the arrays on 2 MB pages, because a pass's time
 * is its scatter's cache and TLB misses: 4,096 destinations keep their write
 * positions in cache where 65,536 did not, so five 12-bit passes over 10^8
 * pairs take half the time of three 16-bit ones (docs/import.md, "The sort").
 *
 * Large arrays are sorted by two threads: each counts and scatters its own
 * half of every pass, and the offsets put all of the first half's pairs of a
 * digit before the second half's, so the sort stays stable. (An import's
 * commit sorts 10^8 pairs several times on one thread otherwise.) */
#include "core/sort.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BITS 12
#define DIGITS ((64 + BITS - 1) / BITS)
#define RADIX (1u << BITS)
#define HUGE_MIN ((size_t)2 << 20) /* one 2 MB page: below it, plain malloc */
#define PARALLEL_MIN (1u << 20) /* below this a second thread costs more than it saves */
#define THREADS 2

static unsigned digit(uint64_t key, int d)
{
    return (unsigned)(key >> (BITS * d)) & (RADIX - 1);
}

fw_kv *fw_kv_alloc(size_t n)
{
    if (n > SIZE_MAX / sizeof(fw_kv))
        return NULL;
    size_t bytes = (n ? n : 1) * sizeof(fw_kv);
    if (bytes < HUGE_MIN)
        return malloc(bytes);
    /* Aligned so that the kernel can back it with whole 2 MB pages; from malloc
     * all the same, so free releases it and the sanitizers see its bounds. */
    void *p;
    if (posix_memalign(&p, HUGE_MIN, bytes))
        return NULL;
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: THP may be off */
    return p;
}

typedef struct job {
    fw_kv *a, *tmp;
    size_t n;
    size_t *count[THREADS]; /* per thread: DIGITS x RADIX counts, then one digit's offsets */
    pthread_barrier_t bar;
} job;

/* Thread t's share [lo, hi) of n. */
static void slice(size_t n, int t, size_t *lo, size_t *hi)
{
    *lo = n / THREADS * (size_t)t;
    *hi = t == THREADS - 1 ? n : n / THREADS * (size_t)(t + 1);
}

static void count_digits(const fw_kv *a, size_t lo, size_t hi, size_t *count)
{
    for (size_t i = lo; i < hi; i++)
        for (int d = 0; d < DIGITS; d++)
            count[(size_t)d * RADIX + digit(a[i].key, d)]++;
}

/* Turns the threads' counts of digit d (in each count[t] + d * RADIX) into
 * where each thread's pairs of each value go. */
static void offsets(size_t *const count[], int nt, int d)
{
    size_t sum = 0;
    for (unsigned v = 0; v < RADIX; v++)
        for (int t = 0; t < nt; t++) {
            size_t *c = count[t] + (size_t)d * RADIX + v, k = *c;
            *c = sum;
            sum += k;
        }
}

static void scatter(const fw_kv *src, fw_kv *dst, size_t lo, size_t hi, int d, size_t *off)
{
    for (size_t i = lo; i < hi; i++)
        dst[off[digit(src[i].key, d)]++] = src[i];
}

/* Whether digit d is the same in every key (from the summed counts). */
static bool constant(size_t *const count[], int nt, const fw_kv *a, size_t n, int d)
{
    size_t k = 0;
    for (int t = 0; t < nt; t++)
        k += count[t][(size_t)d * RADIX + digit(a[0].key, d)];
    return k == n;
}

/* One thread's part of the sort; every thread decides the same passes. */
static void run(job *j, int t)
{
    size_t lo, hi;
    slice(j->n, t, &lo, &hi);
    count_digits(j->a, lo, hi, j->count[t]);
    pthread_barrier_wait(&j->bar);
    bool skip[DIGITS];
    for (int d = 0; d < DIGITS; d++)
        skip[d] = constant(j->count, THREADS, j->a, j->n, d);
    pthread_barrier_wait(&j->bar); /* all have read the first counts */
    fw_kv *src = j->a, *dst = j->tmp;
    for (int d = 0; d < DIGITS; d++) {
        if (skip[d])
            continue;
        /* After the first pass a thread's half holds other pairs: count again. */
        size_t *c = j->count[t] + (size_t)d * RADIX;
        memset(c, 0, RADIX * sizeof(*c));
        for (size_t i = lo; i < hi; i++)
            c[digit(src[i].key, d)]++;
        pthread_barrier_wait(&j->bar);
        if (t == 0)
            offsets(j->count, THREADS, d);
        pthread_barrier_wait(&j->bar);
        scatter(src, dst, lo, hi, d, c);
        pthread_barrier_wait(&j->bar);
        fw_kv *x = src;
        src = dst;
        dst = x;
    }
    if (src != j->a)
        memcpy(j->a + lo, src + lo, (hi - lo) * sizeof(*j->a));
}

static void *helper(void *arg)
{
    run(arg, 1);
    return NULL;
}

static void sort_one_thread(fw_kv *a, fw_kv *tmp, size_t n, size_t *count)
{
    count_digits(a, 0, n, count);
    fw_kv *src = a, *dst = tmp;
    size_t *const counts[1] = {count};
    for (int d = 0; d < DIGITS; d++) {
        if (constant(counts, 1, a, n, d))
            continue;
        offsets(counts, 1, d);
        scatter(src, dst, 0, n, d, count + (size_t)d * RADIX);
        fw_kv *x = src;
        src = dst;
        dst = x;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

int fw_sort_kv(fw_kv *a, size_t n)
{
    if (n < 2)
        return FW_OK;
    int nt = n >= PARALLEL_MIN ? THREADS : 1;
    job j = {.a = a, .n = n, .tmp = fw_kv_alloc(n)};
    bool ok = j.tmp != NULL;
    for (int t = 0; t < nt; t++)
        ok = ok && (j.count[t] = calloc((size_t)DIGITS * RADIX, sizeof(size_t))) != NULL;
    pthread_t th;
    if (ok && nt > 1) {
        /* No second thread (or no barrier): sort on this one. */
        if (pthread_barrier_init(&j.bar, NULL, THREADS))
            nt = 1;
        else if (pthread_create(&th, NULL, helper, &j)) {
            pthread_barrier_destroy(&j.bar);
            nt = 1;
        }
    }
    if (ok && nt > 1) {
        run(&j, 0);
        pthread_join(th, NULL);
        pthread_barrier_destroy(&j.bar);
    } else if (ok)
        sort_one_thread(a, j.tmp, n, j.count[0]);
    for (int t = 0; t < THREADS; t++)
        free(j.count[t]);
    free(j.tmp);
    return ok ? FW_OK : FW_ENOMEM;
}
