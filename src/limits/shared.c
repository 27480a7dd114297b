/* Shared rate-limit windows over leased budget; see shared.h. */
#include "limits/shared.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/secret.h"
#include "limits/lease.h"

#define USE_MS 1000  /* a lease is spent from for at most this long ... */
#define TTL_MS 3000  /* ... and the database counts it live this long (clock skew and a slow report) */
#define IDLE_MS 100  /* a lease unused this long goes back */
#define TICK_MS 25   /* how often the thread looks for leases to hand back */
#define WAIT_MS 1500 /* a take waits this long for units other nodes hold */
#define RETRY_MS 20  /* ... asking again this often */
#define NONE UINT32_MAX

typedef struct entry {
    fw_rl_key key;
    uint32_t limit;
    int64_t window_ms;
    fw_lease l;
    bool used, busy; /* busy: a report of it is in flight (not evictable, not reported twice) */
    uint32_t next;   /* hash chain, or the free list */
    uint32_t hpos;   /* index in held[], NONE when not held */
} entry;

typedef struct item {
    fw_task task;
    struct item *next;
    fw_exec *exec;
    size_t n;
    fw_rl_key keys[FW_RL_MAX_KEYS];
    uint32_t limits[FW_RL_MAX_KEYS];
    int64_t window_ms[FW_RL_MAX_KEYS];
    fw_rl_state *out;
    fw_rls_cb cb;
    void *ctx;
    int64_t first_ms, retry_at;
    int rc, verdict;
    bool done;
} item;

struct fw_rls {
    fw_store *st;
    uint64_t node;
    pthread_mutex_t mu;
    pthread_cond_t cv, done_cv;
    entry *e;
    uint32_t cap, nbuckets, nused;
    uint32_t *heads;
    uint32_t free_head; /* unused entries */
    uint32_t *held;     /* entries holding units or unreported spends: what the thread looks at */
    uint32_t nheld;
    uint32_t cursor; /* where the next eviction search starts */
    item *head, *tail;
    bool stop;
    pthread_t th;
};

static uint32_t hash(const fw_rl_key *k, uint32_t nb)
{
    uint64_t h = k->a * 0x9e3779b97f4a7c15ULL ^ (k->b + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL ^ k->kind;
    h ^= h >> 31;
    return (uint32_t)(h % nb);
}

static bool same_key(const fw_rl_key *x, const fw_rl_key *y)
{
    return x->a == y->a && x->b == y->b && x->kind == y->kind;
}

static entry *find(fw_rls *r, const fw_rl_key *k)
{
    for (uint32_t i = r->heads[hash(k, r->nbuckets)]; i != NONE; i = r->e[i].next)
        if (same_key(&r->e[i].key, k))
            return &r->e[i];
    return NULL;
}

static void unlink_entry(fw_rls *r, uint32_t idx)
{
    uint32_t *p = &r->heads[hash(&r->e[idx].key, r->nbuckets)];
    while (*p != idx)
        p = &r->e[*p].next;
    *p = r->e[idx].next;
    r->e[idx].used = false;
    r->nused--;
}

/* Keeps held[] in step with what e holds. */
static void track(fw_rls *r, entry *e)
{
    bool holds = e->l.units || e->l.spent;
    if (holds && e->hpos == NONE) {
        e->hpos = r->nheld;
        r->held[r->nheld++] = (uint32_t)(e - r->e);
    } else if (!holds && e->hpos != NONE) {
        uint32_t last = r->held[--r->nheld];
        r->held[e->hpos] = last;
        r->e[last].hpos = e->hpos;
        e->hpos = NONE;
    }
}

/* Finds or makes the entry of k; NULL when every entry holds units or
 * unreported spends. A new key takes a free entry, else the next one (from a
 * rotating cursor) that holds nothing: only hints (rest, nodes) are lost. */
static entry *get(fw_rls *r, const fw_rl_key *k, uint32_t limit, int64_t window_ms)
{
    entry *e = find(r, k);
    if (e) {
        e->limit = limit;
        e->window_ms = window_ms;
        return e;
    }
    uint32_t slot = r->free_head;
    if (slot != NONE) {
        r->free_head = r->e[slot].next;
    } else if (r->nheld < r->cap) {
        for (uint32_t n = 0; n < r->cap && slot == NONE; n++) {
            uint32_t i = (r->cursor + n) % r->cap;
            if (!r->e[i].busy && r->e[i].hpos == NONE) {
                unlink_entry(r, i);
                slot = i;
                r->cursor = i + 1;
            }
        }
    }
    if (slot == NONE)
        return NULL;
    e = &r->e[slot];
    memset(e, 0, sizeof *e);
    e->hpos = NONE;
    e->key = *k;
    e->limit = limit;
    e->window_ms = window_ms;
    e->used = true;
    uint32_t b = hash(k, r->nbuckets);
    e->next = r->heads[b];
    r->heads[b] = slot;
    r->nused++;
    return e;
}

static void state_of(const entry *e, uint32_t limit, int64_t window_ms, int64_t now_ms, bool allowed, fw_rl_state *st)
{
    bool live = e && e->l.window_end_ms > now_ms;
    st->limit = limit;
    st->remaining = live ? fw_lease_remaining(&e->l) : limit;
    if (st->remaining > limit)
        st->remaining = limit;
    st->reset_ms = live ? e->l.window_end_ms : now_ms + window_ms;
    st->reset_s = (st->reset_ms + 999) / 1000;
    st->allowed = allowed;
}

/* Every key usable: spends one unit of each and fills out. Under mu. */
static bool try_spend(fw_rls *r, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n,
                      int64_t now_ms, fw_rl_state *out)
{
    entry *es[FW_RL_MAX_KEYS];
    for (size_t i = 0; i < n; i++) {
        es[i] = find(r, &keys[i]);
        if (!es[i] || !fw_lease_usable(&es[i]->l, now_ms))
            return false;
    }
    for (size_t i = 0; i < n; i++) {
        fw_lease_spend(&es[i]->l, now_ms);
        track(r, es[i]);
        state_of(es[i], limits[i], window_ms[i], now_ms, true, &out[i]);
    }
    return true;
}

/* Reports e's lease and asks for want units. Unlocks mu for the round trip;
 * e stays in place (busy). fw_err of the store. */
static int renew(fw_rls *r, entry *e, uint32_t want)
{
    int32_t spent;
    fw_lease_begin(&e->l, &spent);
    fw_lease_q q = {.kind = e->key.kind,
                    .a = e->key.a,
                    .b = e->key.b,
                    .limit = e->limit,
                    .window_ms = e->window_ms,
                    .ttl_ms = TTL_MS,
                    .node = r->node,
                    .spent = spent,
                    .spent_window = e->l.window_end_ms,
                    .want = want};
    e->busy = true;
    pthread_mutex_unlock(&r->mu);
    q.now_ms = fw_now_ms();
    fw_lease_res res;
    int rc = fw_store_lease(r->st, &q, &res);
    pthread_mutex_lock(&r->mu);
    e->busy = false;
    if (rc == FW_OK)
        fw_lease_granted(&e->l, &res, spent, q.now_ms, USE_MS);
    track(r, e);
    return rc;
}

static void item_run(fw_task *t)
{
    item *it = (item *)(void *)t;
    it->cb(it->ctx, it->rc, it->verdict);
    free(it);
}

/* Hands it back to its caller. Under mu; unlocks around the post. */
static void complete(fw_rls *r, item *it, int rc, int verdict)
{
    it->rc = rc;
    it->verdict = verdict;
    if (!it->exec) {
        it->done = true;
        pthread_cond_broadcast(&r->done_cv);
        return;
    }
    it->task.run = item_run;
    pthread_mutex_unlock(&r->mu);
    it->exec->post(it->exec, &it->task);
    pthread_mutex_lock(&r->mu);
}

static void enqueue(fw_rls *r, item *it)
{
    it->next = NULL;
    if (r->tail)
        r->tail->next = it;
    else
        r->head = it;
    r->tail = it;
}

/* One attempt at a queued take. Under mu. */
static void process(fw_rls *r, item *it)
{
    bool refused = false, waiting = false;
    int rc = FW_OK;
    for (size_t i = 0; i < it->n && rc == FW_OK; i++) {
        entry *e = get(r, &it->keys[i], it->limits[i], it->window_ms[i]);
        if (!e) {
            rc = FW_EFULL;
            break;
        }
        if (fw_lease_usable(&e->l, fw_now_ms()))
            continue;
        rc = renew(r, e, fw_lease_want(&e->l, it->limits[i]));
        if (rc == FW_OK && !fw_lease_usable(&e->l, fw_now_ms())) {
            refused = true;
            /* Units other nodes hold may still come back (spent or not). */
            waiting = e->l.others > 0;
            break;
        }
    }
    int64_t now = fw_now_ms();
    if (rc != FW_OK) {
        complete(r, it, rc, 0);
        /* No database: every queued take would wait its own connect timeout
         * to learn the same; they fail now (503) instead of in turn. */
        while (rc == FW_EIO && r->head) {
            item *next = r->head;
            r->head = next->next;
            if (!r->head)
                r->tail = NULL;
            complete(r, next, FW_EIO, 0);
        }
        return;
    }
    if (!refused && try_spend(r, it->keys, it->limits, it->window_ms, it->n, now, it->out)) {
        complete(r, it, FW_OK, FW_RL_ALLOWED);
        return;
    }
    if ((!refused || waiting) && now - it->first_ms < WAIT_MS) {
        it->retry_at = now + (refused ? RETRY_MS : 0);
        enqueue(r, it);
        return;
    }
    for (size_t i = 0; i < it->n; i++) {
        entry *e = find(r, &it->keys[i]);
        state_of(e, it->limits[i], it->window_ms[i], now, e && fw_lease_usable(&e->l, now), &it->out[i]);
    }
    complete(r, it, FW_OK, FW_RL_LIMITED);
}

/* Hands back leases that are due (all with everything). Under mu; renew
 * may drop the entry from held[], so the walk goes from the end. */
static void hand_back(fw_rls *r, bool everything)
{
    for (uint32_t i = r->nheld; i-- > 0;) {
        if (i >= r->nheld)
            continue;
        entry *e = &r->e[r->held[i]];
        if (!e->busy && (everything || fw_lease_due(&e->l, fw_now_ms(), IDLE_MS)) && renew(r, e, 0) == FW_EIO)
            return; /* the database is away: the next tick tries again (unreported leases expire there) */
    }
}

static item *pop_ready(fw_rls *r, int64_t now, int64_t *earliest)
{
    item **p = &r->head, *prev = NULL;
    for (item *it = r->head; it; prev = it, p = &it->next, it = it->next) {
        if (it->retry_at <= now) {
            *p = it->next;
            if (r->tail == it)
                r->tail = prev;
            return it;
        }
        if (it->retry_at < *earliest)
            *earliest = it->retry_at;
    }
    return NULL;
}

static void *thread_main(void *arg)
{
    fw_rls *r = arg;
    pthread_mutex_lock(&r->mu);
    int64_t next_tick = fw_now_ms() + TICK_MS;
    while (!r->stop || r->head) {
        int64_t now = fw_now_ms(), earliest = next_tick;
        item *it = pop_ready(r, now, &earliest);
        if (it) {
            process(r, it);
            continue;
        }
        if (now >= next_tick) {
            hand_back(r, false);
            next_tick = fw_now_ms() + TICK_MS;
            continue;
        }
        if (r->stop)
            earliest = now + 1;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait_ms = earliest - now;
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    hand_back(r, true);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Frees r once its thread is gone (or never ran). */
static void destroy(fw_rls *r)
{
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    pthread_cond_destroy(&r->done_cv);
    free(r->e);
    free(r->heads);
    free(r->held);
    free(r);
}

int fw_rls_new(fw_store *st, size_t max_keys, fw_rls **out)
{
    *out = NULL;
    if (!st || !fw_store_shares_state(st) || max_keys < 1 || max_keys > ((size_t)1 << 24))
        return FW_EINVAL;
    fw_rls *r = calloc(1, sizeof *r);
    if (!r)
        return FW_ENOMEM;
    r->st = st;
    r->cap = (uint32_t)max_keys;
    r->nbuckets = r->cap * 2 + 1;
    r->e = calloc(r->cap, sizeof *r->e);
    r->heads = malloc(r->nbuckets * sizeof *r->heads);
    r->held = malloc(r->cap * sizeof *r->held);
    if (!r->e || !r->heads || !r->held || fw_random_bytes(&r->node, sizeof r->node) != 0) {
        free(r->e);
        free(r->heads);
        free(r->held);
        free(r);
        return FW_ENOMEM;
    }
    r->node &= INT64_MAX; /* a bigint column */
    if (!r->node)
        r->node = 1; /* 0 is the node that holds nothing (fw_rls_usage) */
    for (uint32_t i = 0; i < r->nbuckets; i++)
        r->heads[i] = NONE;
    for (uint32_t i = 0; i < r->cap; i++) {
        r->e[i].next = i + 1 < r->cap ? i + 1 : NONE;
        r->e[i].hpos = NONE;
    }
    r->free_head = 0;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    if (pthread_create(&r->th, NULL, thread_main, r) != 0) {
        destroy(r);
        return FW_ENOMEM;
    }
    *out = r;
    return FW_OK;
}

void fw_rls_free(fw_rls *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
    destroy(r);
}

static bool valid(const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n, int64_t now_ms)
{
    if (n < 1 || n > FW_RL_MAX_KEYS || now_ms < 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (window_ms[i] < 1 || window_ms[i] > FW_RL_MAX_WINDOW_MS || limits[i] > INT32_MAX)
            return false;
        for (size_t j = 0; j < i; j++)
            if (same_key(&keys[i], &keys[j]))
                return false;
    }
    return true;
}

void fw_rls_take(fw_rls *r, fw_exec *exec, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms,
                 size_t n, int64_t now_ms, fw_rl_state *out, fw_rls_cb cb, void *ctx)
{
    if (!valid(keys, limits, window_ms, n, now_ms)) {
        cb(ctx, FW_EINVAL, 0);
        return;
    }
    pthread_mutex_lock(&r->mu);
    bool quick = !r->stop && try_spend(r, keys, limits, window_ms, n, fw_now_ms(), out);
    pthread_mutex_unlock(&r->mu);
    if (quick) {
        cb(ctx, FW_OK, FW_RL_ALLOWED);
        return;
    }
    item *it = calloc(1, sizeof *it);
    if (!it) {
        cb(ctx, FW_ENOMEM, 0);
        return;
    }
    it->exec = exec;
    it->n = n;
    memcpy(it->keys, keys, n * sizeof *keys);
    memcpy(it->limits, limits, n * sizeof *limits);
    memcpy(it->window_ms, window_ms, n * sizeof *window_ms);
    it->out = out;
    it->cb = cb;
    it->ctx = ctx;
    it->first_ms = fw_now_ms();
    pthread_mutex_lock(&r->mu);
    enqueue(r, it);
    pthread_cond_signal(&r->cv);
    if (exec) {
        pthread_mutex_unlock(&r->mu);
        return;
    }
    while (!it->done)
        pthread_cond_wait(&r->done_cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    cb(ctx, it->rc, it->verdict);
    free(it);
}

void fw_rls_peek(fw_rls *r, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n,
                 int64_t now_ms, fw_rl_state *out)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < n && i < FW_RL_MAX_KEYS; i++) {
        entry *e = find(r, &keys[i]);
        state_of(e, limits[i], window_ms[i], now_ms, true, &out[i]);
    }
    pthread_mutex_unlock(&r->mu);
}

int fw_rls_usage(fw_rls *r, fw_rl_key key, uint32_t limit, int64_t window_ms, int64_t now_ms, fw_rl_state *out)
{
    /* node 0 is never a real node (r->node is random and non-zero) */
    fw_lease_q q = {.kind = key.kind, .a = key.a, .b = key.b, .limit = limit, .window_ms = window_ms,
                    .now_ms = now_ms, .ttl_ms = TTL_MS, .node = 0, .want = 0};
    fw_lease_res res;
    int rc = fw_store_lease(r->st, &q, &res);
    if (rc)
        return rc;
    uint64_t held = 0;
    pthread_mutex_lock(&r->mu);
    entry *e = find(r, &key);
    if (e && res.window_end_ms && e->l.window_end_ms == res.window_end_ms)
        held = e->l.units;
    pthread_mutex_unlock(&r->mu);
    bool live = res.window_end_ms > now_ms;
    uint64_t rem = live ? (uint64_t)res.rest + held : limit;
    out->limit = limit;
    out->remaining = rem > limit ? limit : (uint32_t)rem;
    out->reset_ms = live ? res.window_end_ms : now_ms + window_ms;
    out->reset_s = (out->reset_ms + 999) / 1000;
    out->allowed = out->remaining > 0;
    return FW_OK;
}

int fw_rls_refund(fw_rls *r, const fw_rl_key *keys, fw_rl_state *taken, size_t n)
{
    int back = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < n && i < FW_RL_MAX_KEYS; i++) {
        entry *e = find(r, &keys[i]);
        if (e && fw_lease_refund(&e->l, taken[i].reset_ms)) {
            track(r, e);
            taken[i].remaining++;
            back++;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return back;
}
