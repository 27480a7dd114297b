/* Per-thread response cache validated by the store's change log; see rcache.h. */
#include "api/rcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_MIN 1024u
#define WAYS 4 /* slots per set; the least recently used of a full set is replaced */

typedef struct slot {
    uint64_t version; /* 0 = empty */
    uint64_t hash;
    uint32_t klen;    /* data holds the key's klen bytes, then the body */
    uint32_t used;    /* the table's clock at the last hit or put */
    fw_buf data;
    uint64_t *deps; /* owned; ndeps user ids the body shows */
    size_t ndeps, capdeps;
} slot;

/* user id -> version of the newest commit in (horizon, last] that touched it,
 * open addressing with linear probing; id 0 marks an empty cell. */
typedef struct chidx {
    uint64_t last;    /* the change log is applied up to this version */
    uint64_t horizon; /* entries older than this cannot be revalidated */
    uint64_t *ids, *vers;
    size_t cap, n;
} chidx;

typedef struct table {
    fw_store *store; /* the store the entries came from */
    size_t bytes;    /* body capacity held */
    size_t budget;   /* at most this much, fixed when the table was made */
    uint32_t clock;
    chidx ix;
    size_t nsets; /* a power of two */
    slot *s;      /* nsets * WAYS */
} table;

/* The size tables are made with (fw_rcache_configure). */
static size_t g_bytes = FW_RCACHE_BYTES;

static pthread_key_t tkey;
static pthread_once_t tkey_once = PTHREAD_ONCE_INIT;

void fw_rcache_configure(size_t bytes_per_thread)
{
    g_bytes = bytes_per_thread < FW_RCACHE_MIN_BYTES ? FW_RCACHE_MIN_BYTES : bytes_per_thread;
}

size_t fw_rcache_default_bytes(uint64_t ram_bytes, unsigned threads)
{
    uint64_t share = ram_bytes / FW_RCACHE_RAM_SHARE / (threads ? threads : 1);
    size_t b = share < FW_RCACHE_BYTES ? (size_t)share : FW_RCACHE_BYTES;
    return b < FW_RCACHE_MIN_BYTES ? FW_RCACHE_MIN_BYTES : b;
}

static void slot_drop(table *t, slot *s)
{
    t->bytes -= s->data.cap;
    fw_buf_free(&s->data);
    s->version = 0;
    s->ndeps = 0;
}

static void index_clear(chidx *ix)
{
    free(ix->ids);
    free(ix->vers);
    ix->ids = ix->vers = NULL;
    ix->cap = ix->n = 0;
}

static void table_empty(table *t)
{
    for (size_t i = 0; i < t->nsets * WAYS; i++) {
        slot_drop(t, &t->s[i]);
        free(t->s[i].deps);
        t->s[i].deps = NULL;
        t->s[i].capdeps = 0;
    }
    index_clear(&t->ix);
    t->ix.last = t->ix.horizon = 0;
    t->store = NULL;
}

static void table_free(void *p)
{
    table *t = p;
    table_empty(t);
    free(t->s);
    free(t);
}

static void tkey_init(void) { pthread_key_create(&tkey, table_free); }

/* A table for the configured budget: one slot per FW_RCACHE_SLOT_BYTES of it
 * (a followers page of 100 renders to about 7 KB), in sets of WAYS. */
static table *table_new(void)
{
    table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->budget = g_bytes;
    t->nsets = 1;
    while (t->nsets * WAYS * FW_RCACHE_SLOT_BYTES < t->budget)
        t->nsets *= 2;
    if (!(t->s = calloc(t->nsets * WAYS, sizeof *t->s))) {
        free(t);
        return NULL;
    }
    return t;
}

/* The calling thread's table, created on first use and freed when the thread ends. */
static table *my_table(void)
{
    pthread_once(&tkey_once, tkey_init);
    table *t = pthread_getspecific(tkey);
    if (!t && (t = table_new()) != NULL)
        pthread_setspecific(tkey, t);
    return t;
}

/* The table for store s: entries of another store are dropped first. */
static table *table_for(fw_store *s)
{
    table *t = my_table();
    if (t && t->store != s) {
        table_empty(t);
        t->store = s;
    }
    return t;
}

void fw_rcache_clear(void)
{
    pthread_once(&tkey_once, tkey_init);
    table *t = pthread_getspecific(tkey);
    if (t) {
        table_free(t); /* the next use makes a table of the size configured now */
        pthread_setspecific(tkey, NULL);
    }
}

static size_t cell_of(uint64_t id, size_t cap)
{
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return (size_t)id & (cap - 1);
}

static uint64_t index_get(const chidx *ix, uint64_t id)
{
    if (!ix->cap)
        return 0;
    for (size_t i = cell_of(id, ix->cap);; i = (i + 1) & (ix->cap - 1)) {
        if (ix->ids[i] == id)
            return ix->vers[i];
        if (ix->ids[i] == 0)
            return 0;
    }
}

/* Forgets every id: nothing at or before version may be revalidated any more. */
static void index_reset(chidx *ix, uint64_t version)
{
    index_clear(ix);
    if (version > ix->horizon)
        ix->horizon = version;
}

static bool index_grow(chidx *ix)
{
    size_t cap = ix->cap ? ix->cap * 2 : INDEX_MIN;
    if (cap > FW_RCACHE_INDEX_MAX * 2)
        return false;
    uint64_t *ids = calloc(cap, sizeof *ids), *vers = calloc(cap, sizeof *vers);
    if (!ids || !vers) {
        free(ids);
        free(vers);
        return false;
    }
    for (size_t j = 0; j < ix->cap; j++) {
        if (!ix->ids[j])
            continue;
        size_t i = cell_of(ix->ids[j], cap);
        while (ids[i])
            i = (i + 1) & (cap - 1);
        ids[i] = ix->ids[j];
        vers[i] = ix->vers[j];
    }
    free(ix->ids);
    free(ix->vers);
    ix->ids = ids;
    ix->vers = vers;
    ix->cap = cap;
    return true;
}

typedef struct sync_ctx {
    chidx *ix;
    bool full; /* the index could not hold an id: the sync must reset */
} sync_ctx;

static void on_change(void *ctx, uint64_t id, uint64_t version)
{
    sync_ctx *sc = ctx;
    chidx *ix = sc->ix;
    if (sc->full || id == 0)
        return;
    if ((ix->n + 1) * 2 > ix->cap && !index_grow(ix)) {
        sc->full = true;
        return;
    }
    size_t i = cell_of(id, ix->cap);
    while (ix->ids[i] && ix->ids[i] != id)
        i = (i + 1) & (ix->cap - 1);
    if (!ix->ids[i]) {
        ix->ids[i] = id;
        ix->n++;
    }
    if (version > ix->vers[i])
        ix->vers[i] = version;
}

/* Applies the change log up to (at least) version. */
static void chidx_sync(chidx *ix, fw_store *s, uint64_t version)
{
    if (version <= ix->last)
        return;
    sync_ctx sc = {ix, false};
    uint64_t now = 0;
    int rc = fw_store_changes(s, ix->last, &now, on_change, &sc);
    if (now < version)
        now = version;
    if (rc != FW_OK || sc.full)
        index_reset(ix, now); /* a wildcard, a gap, or no log: nothing older can be trusted */
    ix->last = now;
}

/* True when no commit after the slot's version touched any user it shows. */
static bool still_valid(const chidx *ix, const slot *sl)
{
    if (sl->version < ix->horizon)
        return false;
    for (size_t i = 0; i < sl->ndeps; i++)
        if (index_get(ix, sl->deps[i]) > sl->version)
            return false;
    return true;
}

bool fw_rcache_key_make(fw_rcache_key *k, uint8_t route, uint8_t who_kind, uint64_t viewer, fw_str path,
                        fw_str query)
{
    size_t need = 10 + path.len + 1 + query.len;
    if (need > FW_RCACHE_KEY_MAX)
        return false;
    char *p = k->bytes;
    p[0] = (char)route;
    p[1] = (char)who_kind;
    memcpy(p + 2, &viewer, 8);
    memcpy(p + 10, path.p, path.len);
    p[10 + path.len] = '?';
    if (query.len)
        memcpy(p + 11 + path.len, query.p, query.len);
    k->len = need;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < need; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    k->hash = h;
    return true;
}

static slot *set_of(table *t, uint64_t hash) { return &t->s[(hash & (t->nsets - 1)) * WAYS]; }

static slot *find(table *t, const fw_rcache_key *k)
{
    slot *set = set_of(t, k->hash);
    for (int w = 0; w < WAYS; w++) {
        slot *sl = &set[w];
        if (sl->version && sl->hash == k->hash && sl->klen == k->len && memcmp(sl->data.data, k->bytes, k->len) == 0)
            return sl;
    }
    return NULL;
}

bool fw_rcache_get(const fw_rcache_key *k, fw_store *s, uint64_t version, fw_buf *out)
{
    table *t = table_for(s);
    if (!t || version == 0)
        return false;
    slot *sl = find(t, k);
    if (!sl)
        return false;
    if (sl->version != version) {
        if (sl->version > version)
            return false;
        chidx_sync(&t->ix, s, version);
        if (!still_valid(&t->ix, sl)) {
            slot_drop(t, sl);
            return false;
        }
        sl->version = t->ix.last; /* valid up to the log's end, which is >= version */
    }
    sl->used = ++t->clock;
    fw_buf_reset(out);
    fw_buf_append(out, sl->data.data + sl->klen, sl->data.len - sl->klen);
    return true;
}

static bool deps_push(slot *sl, uint64_t id)
{
    if (id == 0)
        return true;
    if (sl->ndeps == sl->capdeps) {
        size_t cap = sl->capdeps ? sl->capdeps * 2 : 16;
        uint64_t *d = realloc(sl->deps, cap * sizeof *d);
        if (!d)
            return false;
        sl->deps = d;
        sl->capdeps = cap;
    }
    sl->deps[sl->ndeps++] = id;
    return true;
}

static bool deps_fill(slot *sl, const fw_rcache_deps *d)
{
    sl->ndeps = 0;
    bool ok = deps_push(sl, d->ids[0]) && deps_push(sl, d->ids[1]);
    if (d->no_counts)
        return ok; /* only a wildcard can change what it shows of anyone else (rcache.h) */
    for (size_t i = 0; ok && i < d->nmore; i++)
        ok = deps_push(sl, d->more[i]);
    for (size_t i = 0; ok && i < d->nusers; i++)
        ok = deps_push(sl, d->users[i].id);
    for (size_t i = 0; ok && i < d->nuptrs; i++)
        ok = !d->uptrs[i] || deps_push(sl, d->uptrs[i]->id);
    for (size_t i = 0; ok && i < d->ntweets; i++)
        ok = deps_push(sl, d->tweets[i].author_id);
    return ok;
}

void fw_rcache_put(const fw_rcache_key *k, fw_store *s, uint64_t version, const char *body, size_t len,
                   const fw_rcache_deps *deps)
{
    table *t = table_for(s);
    if (!t || version == 0)
        return;
    /* Bring the index up to the body's version now, so that the next check
     * starts from there rather than from whatever came before it. */
    chidx_sync(&t->ix, s, version);
    slot *sl = find(t, k);
    if (!sl) { /* an empty way, else the least recently used (clock distance: wraps safely) */
        slot *set = set_of(t, k->hash);
        sl = &set[0];
        for (int w = 0; w < WAYS && sl->version; w++)
            if (!set[w].version || (uint32_t)(t->clock - set[w].used) > (uint32_t)(t->clock - sl->used))
                sl = &set[w];
    }
    slot_drop(t, sl);
    if (t->bytes + k->len + len + 1 > t->budget || !deps_fill(sl, deps))
        return;
    sl->hash = k->hash;
    sl->klen = (uint32_t)k->len;
    fw_buf_append(&sl->data, k->bytes, k->len);
    fw_buf_append(&sl->data, body, len);
    t->bytes += sl->data.cap;
    sl->used = ++t->clock;
    sl->version = version;
}
