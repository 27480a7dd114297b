/* Per-thread response cache validated by the store's change log; see rcache.h. */
#include "api/rcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_MIN 1024u

typedef struct slot {
    uint64_t version; /* 0 = empty */
    fw_rcache_key key;
    fw_buf body;
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
    chidx ix;
    slot s[FW_RCACHE_SLOTS];
} table;

static pthread_key_t tkey;
static pthread_once_t tkey_once = PTHREAD_ONCE_INIT;

static void slot_drop(table *t, slot *s)
{
    t->bytes -= s->body.cap;
    fw_buf_free(&s->body);
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
    for (int i = 0; i < FW_RCACHE_SLOTS; i++) {
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
    table_empty(p);
    free(p);
}

static void tkey_init(void) { pthread_key_create(&tkey, table_free); }

/* The calling thread's table, created on first use and freed when the thread ends. */
static table *my_table(void)
{
    pthread_once(&tkey_once, tkey_init);
    table *t = pthread_getspecific(tkey);
    if (!t && (t = calloc(1, sizeof *t)) != NULL)
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
    table *t = my_table();
    if (t)
        table_empty(t);
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

bool fw_rcache_get(const fw_rcache_key *k, fw_store *s, uint64_t version, fw_buf *out)
{
    table *t = table_for(s);
    if (!t || version == 0)
        return false;
    slot *sl = &t->s[k->hash % FW_RCACHE_SLOTS];
    if (!sl->version || sl->key.hash != k->hash || sl->key.len != k->len ||
        memcmp(sl->key.bytes, k->bytes, k->len) != 0)
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
    fw_buf_reset(out);
    fw_buf_append(out, sl->body.data, sl->body.len);
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
    slot *sl = &t->s[k->hash % FW_RCACHE_SLOTS];
    slot_drop(t, sl);
    if (t->bytes + len + 1 > FW_RCACHE_BYTES || !deps_fill(sl, deps))
        return;
    sl->key.hash = k->hash;
    sl->key.len = k->len;
    memcpy(sl->key.bytes, k->bytes, k->len);
    fw_buf_append(&sl->body, body, len);
    t->bytes += sl->body.cap;
    sl->version = version;
}
