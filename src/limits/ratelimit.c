/* Sharded fixed-window counters; see ratelimit.h for the contract.
 *
 * Each shard is an open-addressing table with linear probing. Slots are never
 * deleted one by one: expired buckets are dropped by rebuilding the shard's
 * table (when it needs room, or on fw_rl_sweep), which keeps probing simple
 * and needs no tombstones. An empty slot has reset_ms == 0; a bucket always
 * has reset_ms >= 1 because now_ms >= 0 and windows are >= 1 ms. */
#include "limits/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SHARD_BITS 6
#define NSHARDS (1u << SHARD_BITS)
#define MIN_TABLE 8u

typedef struct bucket {
    uint64_t a, b;
    uint32_t kind;
    uint32_t used;
    int64_t reset_ms; /* 0 = empty slot */
} bucket;

/* One cache line (or more) per shard so neighbouring locks do not share one. */
typedef struct shard {
    _Alignas(64) pthread_mutex_t mu;
    bucket *tab;    /* mask + 1 slots; NULL while the shard is empty */
    uint32_t mask;
    uint32_t count; /* occupied slots, expired or not */
    int64_t min_reset; /* no bucket expires before this: skips futile scans when full */
} shard;

struct fw_rl {
    shard *shards;      /* NSHARDS */
    uint32_t shard_max; /* bucket cap per shard */
    uint32_t max_table; /* largest table a shard may need for shard_max */
};

/* Keys are ids the server assigned (apps, users), not attacker-chosen
 * strings, so an unkeyed mixer is enough; the per-shard cap bounds any
 * clustering anyway. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t key_hash(uint64_t a, uint64_t b, uint32_t kind)
{
    return mix64(mix64(mix64(a) + b) ^ ((uint64_t)kind * 0x9e3779b97f4a7c15ULL));
}

static uint32_t shard_of(uint64_t h) { return (uint32_t)(h >> (64 - SHARD_BITS)); }

static uint32_t load_max(uint32_t cap) { return cap / 4 * 3; }

static bool key_eq(const bucket *bk, const fw_rl_key *k) { return bk->a == k->a && bk->b == k->b && bk->kind == k->kind; }

/* Finds k's slot (true) or the empty slot where it would go (false). */
static bool find(const shard *sh, const fw_rl_key *k, uint64_t h, uint32_t *idx)
{
    if (!sh->tab)
        return false;
    uint32_t i = (uint32_t)h & sh->mask;
    for (;;) {
        const bucket *bk = &sh->tab[i];
        if (bk->reset_ms == 0) {
            *idx = i;
            return false;
        }
        if (key_eq(bk, k)) {
            *idx = i;
            return true;
        }
        i = (i + 1) & sh->mask;
    }
}

/* Moves the shard into a table of cap slots, dropping buckets expired at now.
 * cap == 0 frees the table (only valid when nothing is live). */
static int rebuild(shard *sh, uint32_t cap, int64_t now_ms)
{
    bucket *nt = NULL;
    if (cap) {
        nt = calloc(cap, sizeof *nt);
        if (!nt)
            return FW_ENOMEM;
    }
    uint32_t live = 0;
    int64_t min_reset = INT64_MAX;
    if (sh->tab) {
        for (uint32_t i = 0; i <= sh->mask; i++) {
            const bucket *bk = &sh->tab[i];
            if (bk->reset_ms <= now_ms)
                continue; /* empty or expired */
            if (bk->reset_ms < min_reset)
                min_reset = bk->reset_ms;
            uint32_t j = (uint32_t)key_hash(bk->a, bk->b, bk->kind) & (cap - 1);
            while (nt[j].reset_ms != 0)
                j = (j + 1) & (cap - 1);
            nt[j] = *bk;
            live++;
        }
        free(sh->tab);
    }
    sh->tab = nt;
    sh->mask = cap ? cap - 1 : 0;
    sh->count = live;
    sh->min_reset = min_reset;
    return FW_OK;
}

static uint32_t live_count(const shard *sh, int64_t now_ms)
{
    if (now_ms < sh->min_reset)
        return sh->count;
    uint32_t live = 0;
    if (sh->tab)
        for (uint32_t i = 0; i <= sh->mask; i++)
            live += sh->tab[i].reset_ms > now_ms;
    return live;
}

/* Table size for `need` buckets with room to grow, so that a shard with a
 * trickle of expiring buckets is not rebuilt on every insert. */
static uint32_t table_for(const fw_rl *rl, uint32_t need)
{
    uint32_t cap = MIN_TABLE;
    while (cap < rl->max_table && load_max(cap) < 2 * need)
        cap *= 2;
    return cap;
}

/* Makes room for k new buckets without evicting a live one. Dropping
 * expired buckets and resizing change no answer, so this may run before the
 * caller knows whether its whole take will succeed. */
static int ensure_room(const fw_rl *rl, shard *sh, uint32_t k, int64_t now_ms)
{
    if (sh->tab && sh->count + k <= load_max(sh->mask + 1) && sh->count + k <= rl->shard_max)
        return FW_OK;
    uint32_t live = live_count(sh, now_ms);
    if (live + k > rl->shard_max) {
        if (live < sh->count)
            (void)rebuild(sh, sh->mask + 1, now_ms); /* reclaim what we can */
        return FW_EFULL;
    }
    return rebuild(sh, table_for(rl, live + k), now_ms);
}

int fw_rl_new(size_t max_buckets, fw_rl **out)
{
    *out = NULL;
    if (max_buckets == 0 || max_buckets > ((size_t)1 << 28) * NSHARDS)
        return FW_EINVAL;
    fw_rl *rl = calloc(1, sizeof *rl);
    if (!rl)
        return FW_ENOMEM;
    rl->shards = aligned_alloc(_Alignof(shard), NSHARDS * sizeof(shard));
    if (!rl->shards) {
        free(rl);
        return FW_ENOMEM;
    }
    memset(rl->shards, 0, NSHARDS * sizeof(shard));
    rl->shard_max = (uint32_t)((max_buckets + NSHARDS - 1) / NSHARDS);
    rl->max_table = MIN_TABLE;
    while (load_max(rl->max_table) < rl->shard_max)
        rl->max_table *= 2;
    /* Adaptive mutexes spin briefly before sleeping: the critical sections
     * are a few dozen instructions, so a waiter rarely has to sleep. */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    for (uint32_t i = 0; i < NSHARDS; i++) {
        pthread_mutex_init(&rl->shards[i].mu, &attr);
        rl->shards[i].min_reset = INT64_MAX;
    }
    pthread_mutexattr_destroy(&attr);
    *out = rl;
    return FW_OK;
}

void fw_rl_free(fw_rl *rl)
{
    if (!rl)
        return;
    for (uint32_t i = 0; i < NSHARDS; i++) {
        pthread_mutex_destroy(&rl->shards[i].mu);
        free(rl->shards[i].tab);
    }
    free(rl->shards);
    free(rl);
}

/* The shards one call touches, deduplicated and in lock order. */
typedef struct plan {
    uint64_t h[FW_RL_MAX_KEYS];
    uint32_t sh[FW_RL_MAX_KEYS];    /* shard of key i */
    uint32_t order[FW_RL_MAX_KEYS]; /* distinct shards, ascending */
    size_t norder;
} plan;

static int make_plan(const fw_rl_key *keys, size_t n, plan *p)
{
    if (n == 0 || n > FW_RL_MAX_KEYS)
        return FW_EINVAL;
    p->norder = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (keys[i].a == keys[j].a && keys[i].b == keys[j].b && keys[i].kind == keys[j].kind)
                return FW_EINVAL;
        p->h[i] = key_hash(keys[i].a, keys[i].b, keys[i].kind);
        p->sh[i] = shard_of(p->h[i]);
        size_t pos = 0;
        while (pos < p->norder && p->order[pos] < p->sh[i])
            pos++;
        if (pos < p->norder && p->order[pos] == p->sh[i])
            continue;
        memmove(&p->order[pos + 1], &p->order[pos], (p->norder - pos) * sizeof p->order[0]);
        p->order[pos] = p->sh[i];
        p->norder++;
    }
    return FW_OK;
}

static void lock_plan(fw_rl *rl, const plan *p)
{
    for (size_t i = 0; i < p->norder; i++)
        pthread_mutex_lock(&rl->shards[p->order[i]].mu);
}

static void unlock_plan(fw_rl *rl, const plan *p)
{
    for (size_t i = p->norder; i-- > 0;)
        pthread_mutex_unlock(&rl->shards[p->order[i]].mu);
}

static int check_times(const int64_t *window_ms, size_t n, int64_t now_ms)
{
    if (now_ms < 0 || now_ms > INT64_MAX - FW_RL_MAX_WINDOW_MS)
        return FW_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (window_ms[i] < 1 || window_ms[i] > FW_RL_MAX_WINDOW_MS)
            return FW_EINVAL;
    return FW_OK;
}

static void fill_state(fw_rl_state *st, uint32_t limit, uint32_t used, int64_t reset_ms)
{
    st->limit = limit;
    st->remaining = limit > used ? limit - used : 0;
    st->reset_ms = reset_ms;
    st->reset_s = (reset_ms + 999) / 1000;
    st->allowed = used < limit;
}

static int take_or_peek(fw_rl *rl, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n,
                        int64_t now_ms, fw_rl_state *out, bool take, int *verdict)
{
    *verdict = FW_RL_ALLOWED;
    plan p;
    int rc = make_plan(keys, n, &p);
    if (rc == FW_OK)
        rc = check_times(window_ms, n, now_ms);
    if (rc != FW_OK)
        return rc;

    bool fresh[FW_RL_MAX_KEYS];
    bool all = true;
    lock_plan(rl, &p);
    /* Phase 1: read every bucket; a missing or expired one is a new window. */
    for (size_t i = 0; i < n; i++) {
        shard *sh = &rl->shards[p.sh[i]];
        uint32_t idx;
        const bucket *bk = find(sh, &keys[i], p.h[i], &idx) ? &sh->tab[idx] : NULL;
        fresh[i] = !bk || bk->reset_ms <= now_ms;
        if (fresh[i])
            fill_state(&out[i], limits[i], 0, now_ms + window_ms[i]);
        else
            fill_state(&out[i], limits[i], bk->used, bk->reset_ms);
        all = all && out[i].allowed;
    }
    if (!all) {
        *verdict = FW_RL_LIMITED;
        goto done;
    }
    if (!take)
        goto done;
    /* Phase 2: room for the new buckets, shard by shard, before any change. */
    for (size_t s = 0; s < p.norder; s++) {
        uint32_t k = 0;
        for (size_t i = 0; i < n; i++)
            k += fresh[i] && p.sh[i] == p.order[s];
        if (k && (rc = ensure_room(rl, &rl->shards[p.order[s]], k, now_ms)) != FW_OK)
            goto done;
    }
    /* Phase 3: take; nothing below can fail. */
    for (size_t i = 0; i < n; i++) {
        shard *sh = &rl->shards[p.sh[i]];
        uint32_t idx;
        if (!find(sh, &keys[i], p.h[i], &idx)) {
            sh->tab[idx] = (bucket){.a = keys[i].a, .b = keys[i].b, .kind = keys[i].kind};
            sh->count++;
        }
        bucket *bk = &sh->tab[idx];
        if (fresh[i]) {
            bk->used = 0;
            bk->reset_ms = now_ms + window_ms[i];
            if (bk->reset_ms < sh->min_reset)
                sh->min_reset = bk->reset_ms;
        }
        bk->used++;
        out[i].remaining--;
    }
done:
    unlock_plan(rl, &p);
    return rc;
}

int fw_rl_take(fw_rl *rl, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n,
               int64_t now_ms, fw_rl_state *out, int *verdict)
{
    return take_or_peek(rl, keys, limits, window_ms, n, now_ms, out, true, verdict);
}

int fw_rl_peek(fw_rl *rl, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n,
               int64_t now_ms, fw_rl_state *out, int *verdict)
{
    return take_or_peek(rl, keys, limits, window_ms, n, now_ms, out, false, verdict);
}

int fw_rl_refund(fw_rl *rl, const fw_rl_key *keys, fw_rl_state *taken, size_t n)
{
    plan p;
    int rc = make_plan(keys, n, &p);
    if (rc != FW_OK)
        return rc;
    int back = 0;
    lock_plan(rl, &p);
    for (size_t i = 0; i < n; i++) {
        shard *sh = &rl->shards[p.sh[i]];
        uint32_t idx;
        if (!find(sh, &keys[i], p.h[i], &idx))
            continue; /* evicted: its window is over */
        bucket *bk = &sh->tab[idx];
        if (bk->reset_ms == taken[i].reset_ms && bk->used > 0) {
            bk->used--;
            if (taken[i].remaining < taken[i].limit)
                taken[i].remaining++;
            back++;
        }
    }
    unlock_plan(rl, &p);
    return back;
}

size_t fw_rl_sweep(fw_rl *rl, int64_t now_ms)
{
    size_t evicted = 0;
    for (uint32_t s = 0; s < NSHARDS; s++) {
        shard *sh = &rl->shards[s];
        pthread_mutex_lock(&sh->mu);
        uint32_t live = live_count(sh, now_ms);
        if (live < sh->count) {
            uint32_t before = sh->count;
            if (rebuild(sh, live ? table_for(rl, live) : 0, now_ms) == FW_OK)
                evicted += before - sh->count;
        }
        pthread_mutex_unlock(&sh->mu);
    }
    return evicted;
}

size_t fw_rl_count(fw_rl *rl)
{
    size_t total = 0;
    for (uint32_t s = 0; s < NSHARDS; s++) {
        pthread_mutex_lock(&rl->shards[s].mu);
        total += rl->shards[s].count;
        pthread_mutex_unlock(&rl->shards[s].mu);
    }
    return total;
}

size_t fw_rl_capacity(const fw_rl *rl) { return (size_t)rl->shard_max * NSHARDS; }
