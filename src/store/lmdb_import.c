/* Bulk import into an empty LMDB database (store.h, "Bulk import").
 *
 * Loading 10^8 edges one follow at a time would cost three B-tree inserts per
 * edge at random positions. Instead everything is collected in memory first —
 * users as packed records in an arena, edges as 16-byte (src, dst, time)
 * entries over dense user indices — and at commit every table is written in key
 * order with MDB_APPEND (the following/followers/request lists one owner at a
 * time with MDB_MULTIPLE), so each page is filled once and never split. Sorting
 * is a radix sort over 64-bit keys built from user ranks (the position of a
 * user's id in id order), so ranks order exactly as ids do.
 *
 * Validation happens as items are added (unknown users, self edges, requests
 * to public accounts, duplicate ids and usernames) and, for duplicate edges,
 * right after the first sort at commit, before anything is written.
 *
 * The collector is every backend's (import_internal.h): fw_store_import_begin
 * goes through the ops table to the backend, which checks that its database is
 * empty and calls fw_import_new with its writer; the other fw_store_import_*
 * functions take the import and are implemented here directly. The commit
 * prepares (ranks, sequence numbers, duplicate pairs) and then calls the
 * writer: lmdb_write below, or the PostgreSQL backend's COPY (pg_import.c). */
#include "store/import_internal.h"
#include "store/lmdb_internal.h"

#include <stdlib.h>

#include "core/sort.h"

#define NONE UINT32_MAX
#define KIND_BIT 0x80000000u /* in edge.s: a pending request rather than a follow */
#define EDGES_MAX 0xFFFFFFF0u /* sequence numbers and indices fit 32 bits in the sort keys */

typedef struct edge {
    uint32_t s, d;   /* user indices in the order added; s carries KIND_BIT */
    uint64_t t;      /* created_ms, then (at commit) the edge's sequence number */
} edge;

typedef struct urec {
    uint64_t id;
    uint64_t off;    /* packed record in the arena */
    uint32_t len;
    uint8_t flags;   /* FW_USER_* */
} urec;

typedef struct trec {
    uint64_t id;
    uint64_t off;
    uint32_t len;
} trec;

/* Open-addressing hash of 64-bit keys to indices: key and index side by side,
 * so a lookup costs one cache miss. idx is index + 1; 0 marks an empty slot. */
typedef struct hent {
    uint64_t key;
    uint32_t idx;
} hent;

typedef struct idhash {
    hent *e;
    size_t cap; /* power of two */
    size_t n;
} idhash;

struct committer;

struct fw_import {
    fw_store *s;
    fw_import_writer write;
    struct committer *c; /* during the writer's call */
    uint8_t *arena;       /* packed users, then packed tweets */
    size_t alen, acap;
    urec *users;
    size_t nusers, ucap;
    char (*names)[16];    /* lower-cased usernames, parallel to users */
    uint64_t *following, *followers, *tweets, *recent; /* per user, parallel to users */
    idhash uid, uname, tid;
    trec *tw;
    size_t ntweets, tcap;
    edge *edges;
    size_t nedges, ecap;
    bool any_time;
    bool users_closed;    /* a tweet or edge was added: no more users */
};

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t name_key(const char n[16])
{
    uint64_t a, b;
    memcpy(&a, n, 8);
    memcpy(&b, n + 8, 8);
    return mix(a) ^ mix(b + 1);
}

/* Finds key, probing from its hash hv; returns the slot index (empty if absent).
 * Name tables compare the names themselves (their key is only the hash). */
static size_t ih_find(const idhash *h, uint64_t key, uint64_t hv, const struct fw_import *im, const char *name)
{
    size_t m = h->cap - 1, i = hv & m;
    for (;; i = (i + 1) & m) {
        const hent *e = &h->e[i];
        if (!e->idx)
            return i;
        if (name ? e->key == key && memcmp(im->names[e->idx - 1], name, 16) == 0 : e->key == key)
            return i;
    }
}

static int ih_grow(idhash *h, bool by_name)
{
    size_t ncap = h->cap ? h->cap * 2 : 1024;
    hent *e = calloc(ncap, sizeof(*e));
    if (!e)
        return FW_ENOMEM;
    for (size_t i = 0; i < h->cap; i++) {
        if (!h->e[i].idx)
            continue;
        uint64_t hv = by_name ? h->e[i].key : mix(h->e[i].key);
        size_t j = hv & (ncap - 1);
        while (e[j].idx)
            j = (j + 1) & (ncap - 1);
        e[j] = h->e[i];
    }
    free(h->e);
    h->e = e;
    h->cap = ncap;
    return FW_OK;
}

/* Index of id in h, or NONE. */
static uint32_t ih_get(const idhash *h, uint64_t id)
{
    if (!h->cap)
        return NONE;
    const hent *e = &h->e[ih_find(h, id, mix(id), NULL, NULL)];
    return e->idx ? e->idx - 1 : NONE;
}

/* Inserts key -> idx unless present: FW_OK, FW_EEXISTS, FW_ENOMEM. A name
 * (16 bytes, already in im->names[idx]) is stored under its hash as key. */
static int ih_put(idhash *h, uint64_t key, uint32_t idx, const struct fw_import *im, const char *name)
{
    if ((h->n + 1) * 2 > h->cap && ih_grow(h, name != NULL))
        return FW_ENOMEM;
    hent *e = &h->e[ih_find(h, key, name ? key : mix(key), im, name)];
    if (e->idx)
        return FW_EEXISTS;
    *e = (hent){key, idx + 1};
    h->n++;
    return FW_OK;
}

static void ih_free(idhash *h)
{
    free(h->e);
}

/* Grows *p (of *cap elements of size sz) to hold need elements. */
static int arena_add(fw_import *im, size_t len, uint64_t *off)
{
    int rc = fw_array_grow((void **)&im->arena, &im->acap, im->alen + len, 1);
    if (rc)
        return rc;
    *off = im->alen;
    im->alen += len;
    return FW_OK;
}

static bool table_empty(MDB_txn *txn, fw_store *s)
{
    static const int dbs[] = {DB_USERS, DB_TWEETS, DB_UID, DB_FOLLOWERS, DB_FOLLOWING, DB_REQ_IN, DB_REQ_OUT};
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        MDB_stat st;
        if (mdb_stat(txn, s->dbi[dbs[i]], &st) || st.ms_entries)
            return false;
    }
    return true;
}

int fw_import_new(fw_store *s, fw_import_writer write, fw_import **out)
{
    fw_import *im = calloc(1, sizeof(*im));
    *out = im;
    if (!im)
        return FW_ENOMEM;
    im->s = s;
    im->write = write;
    return FW_OK;
}

fw_store *fw_import_store(const fw_import *im) { return im->s; }

static int lmdb_write(fw_import *im, fw_import_progress progress, void *ctx);
static int lmdb_write_durable(fw_import *im, fw_import_progress progress, void *ctx);

int fw_lmdb_import_begin(fw_store *s, fw_import **out)
{
    *out = NULL;
    if (s->read_only)
        return FW_EIO;
    MDB_txn *txn;
    if (fw_lmdb_rtxn_get(s, &txn))
        return FW_EIO;
    bool empty = table_empty(txn, s);
    fw_lmdb_rtxn_put(s, txn);
    if (!empty)
        return FW_EEXISTS;
    return fw_import_new(s, lmdb_write_durable, out);
}

void fw_store_import_abort(fw_import *im)
{
    if (!im)
        return;
    free(im->arena);
    free(im->users);
    free(im->names);
    free(im->following);
    free(im->followers);
    free(im->tweets);
    free(im->recent);
    ih_free(&im->uid);
    ih_free(&im->uname);
    ih_free(&im->tid);
    free(im->tw);
    free(im->edges);
    free(im);
}

static int grow_users(fw_import *im)
{
    size_t cap = im->ucap;
    int rc = fw_array_grow((void **)&im->users, &cap, im->nusers + 1, sizeof(*im->users));
    if (rc || cap == im->ucap)
        return rc;
    /* Parallel arrays follow the record array's capacity. */
    char(*names)[16] = realloc(im->names, cap * 16);
    if (names)
        im->names = names;
    uint64_t **arrs[] = {&im->following, &im->followers, &im->tweets, &im->recent};
    for (size_t i = 0; i < 4 && names; i++) {
        uint64_t *a = realloc(*arrs[i], cap * sizeof(uint64_t));
        if (!a)
            return FW_ENOMEM;
        *arrs[i] = a;
    }
    if (!names)
        return FW_ENOMEM;
    im->ucap = cap;
    return FW_OK;
}

int fw_store_import_user(fw_import *im, const fw_user *u)
{
    char lname[16] = {0};
    if (im->users_closed || !u->id || !fw_rec_user_valid(u) || !fw_rec_username_key(u->username, lname))
        return FW_EINVAL;
    if (im->nusers >= EDGES_MAX / 2)
        return FW_EFULL;
    int rc = grow_users(im);
    if (rc)
        return rc;
    uint32_t idx = (uint32_t)im->nusers;
    memcpy(im->names[idx], lname, 16);
    if (ih_get(&im->uid, u->id) != NONE)
        return FW_EEXISTS;
    if ((rc = ih_put(&im->uname, name_key(lname), idx, im, lname)))
        return rc;
    if ((rc = ih_put(&im->uid, u->id, idx, im, NULL))) /* cannot be EEXISTS: checked above */
        return rc;
    fw_user nu = *u;
    nu.followers_count = nu.following_count = 0;
    nu.most_recent_tweet_id = 0;
    nu.default_json = FW_STR_NULL;
    size_t len = fw_lmdb_user_size(&nu);
    uint64_t off;
    if (len > UINT32_MAX || (rc = arena_add(im, len, &off)))
        return rc ? rc : FW_EINVAL;
    fw_lmdb_user_pack(&nu, im->arena + off);
    im->users[idx] = (urec){u->id, off, (uint32_t)len, (uint8_t)u->flags};
    im->following[idx] = im->followers[idx] = im->recent[idx] = 0;
    im->tweets[idx] = u->tweet_count;
    im->nusers++;
    return FW_OK;
}

int fw_store_import_tweet(fw_import *im, const fw_tweet *t)
{
    if (!t->id || !fw_rec_tweet_valid(t))
        return FW_EINVAL;
    uint32_t a = ih_get(&im->uid, t->author_id);
    if (a == NONE)
        return FW_ENOTFOUND;
    im->users_closed = true;
    int rc = fw_array_grow((void **)&im->tw, &im->tcap, im->ntweets + 1, sizeof(*im->tw));
    if (rc || (rc = ih_put(&im->tid, t->id, (uint32_t)im->ntweets, im, NULL)))
        return rc;
    size_t len = fw_lmdb_tweet_size(t);
    uint64_t off;
    if (len > UINT32_MAX || (rc = arena_add(im, len, &off)))
        return rc ? rc : FW_EINVAL;
    fw_lmdb_tweet_pack(t, im->arena + off);
    im->tw[im->ntweets++] = (trec){t->id, off, (uint32_t)len};
    im->tweets[a]++;
    if (im->recent[a] < t->id)
        im->recent[a] = t->id;
    return FW_OK;
}

void fw_store_import_close_users(fw_import *im)
{
    im->users_closed = true;
}

/* Reads only the id hash, which no one changes once users are closed: safe on
 * several threads at once. The slots of the ids a little ahead are prefetched,
 * so the hash's cache misses overlap instead of coming one at a time. */
void fw_store_import_refs(const fw_import *im, const uint64_t *ids, uint32_t *refs, size_t n)
{
    enum { AHEAD = 16 };
    const idhash *h = &im->uid;
    for (size_t i = 0; i < n; i++) {
        if (h->cap && i + AHEAD < n)
            __builtin_prefetch(&h->e[mix(ids[i + AHEAD]) & (h->cap - 1)]);
        refs[i] = ih_get(h, ids[i]);
    }
}

int fw_store_import_edges(fw_import *im, uint8_t rel, const uint64_t *ids, const uint32_t *refs,
                          const int64_t *created_ms, size_t n, size_t *added)
{
    enum { AHEAD = 8 };
    *added = 0;
    if (rel != FW_REL_FOLLOWING && rel != FW_REL_PENDING)
        return FW_EINVAL;
    int rc = fw_array_grow((void **)&im->edges, &im->ecap, im->nedges + n, sizeof(*im->edges));
    if (rc)
        return rc;
    im->users_closed = true;
    for (size_t i = 0; i < n; i++) {
        uint64_t src = ids[2 * i], dst = ids[2 * i + 1];
        int64_t t = created_ms ? created_ms[i] : 0;
        if (src == dst || t < 0)
            return FW_EINVAL;
        uint32_t s = refs ? refs[2 * i] : ih_get(&im->uid, src), d = refs ? refs[2 * i + 1] : ih_get(&im->uid, dst);
        if (s == NONE)
            return FW_ENOTFOUND;
        if (d == NONE)
            return FW_ETARGET;
        if (rel == FW_REL_PENDING && !(im->users[d].flags & FW_USER_PROTECTED))
            return FW_EINVAL;
        if (im->nedges >= EDGES_MAX)
            return FW_EFULL;
        /* The counters are random accesses too: fetch them a few edges early. */
        if (refs && i + AHEAD < n && refs[2 * (i + AHEAD)] < im->nusers && refs[2 * (i + AHEAD) + 1] < im->nusers) {
            __builtin_prefetch(&im->following[refs[2 * (i + AHEAD)]], 1);
            __builtin_prefetch(&im->followers[refs[2 * (i + AHEAD) + 1]], 1);
        }
        im->edges[im->nedges++] = (edge){s | (rel == FW_REL_PENDING ? KIND_BIT : 0), d, (uint64_t)t};
        if (t)
            im->any_time = true;
        if (rel == FW_REL_FOLLOWING) {
            im->following[s]++;
            im->followers[d]++;
        }
        ++*added;
    }
    return FW_OK;
}

int fw_store_import_edge(fw_import *im, uint8_t rel, uint64_t src, uint64_t dst, int64_t created_ms)
{
    const uint64_t ids[2] = {src, dst};
    size_t added;
    return fw_store_import_edges(im, rel, ids, NULL, &created_ms, 1, &added);
}

/* ---- commit ---- */

typedef struct committer {
    fw_import *im;
    MDB_txn *txn;
    uint32_t *rank;   /* user index -> rank in id order */
    uint32_t *byrank; /* rank -> user index */
    uint64_t *idr;    /* rank -> user id */
    fw_kv *kv;        /* nedges (or more) scratch pairs */
    void (*progress)(void *ctx, const char *phase, uint64_t done, uint64_t total);
    void *ctx;
    uint32_t obase;   /* the LMDB writer: ordinal of rank 0 (meta next_ord, so none is reused) */
} committer;

static void report(committer *c, const char *phase, uint64_t done, uint64_t total)
{
    if (c->progress)
        c->progress(c->ctx, phase, done, total);
}

/* Ranks users by id. */
static int rank_users(committer *c)
{
    fw_import *im = c->im;
    size_t n = im->nusers;
    fw_kv *kv = fw_kv_alloc(n);
    c->rank = malloc((n ? n : 1) * sizeof(*c->rank));
    c->byrank = malloc((n ? n : 1) * sizeof(*c->byrank));
    if (!kv || !c->rank || !c->byrank) {
        free(kv);
        return FW_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        kv[i] = (fw_kv){im->users[i].id, i};
    int rc = fw_sort_kv(kv, n);
    for (size_t r = 0; !rc && r < n; r++) {
        c->byrank[r] = (uint32_t)kv[r].val;
        c->rank[kv[r].val] = (uint32_t)r;
    }
    free(kv);
    if (rc || !(c->idr = malloc((n ? n : 1) * sizeof(*c->idr))))
        return rc ? rc : FW_ENOMEM;
    for (size_t r = 0; r < n; r++)
        c->idr[r] = im->users[c->byrank[r]].id;
    /* From here on edges name users by rank: the sort keys and the ids written
     * come straight from them. */
    for (size_t i = 0; i < im->nedges; i++) {
        edge *e = &im->edges[i];
        e->s = c->rank[e->s & ~KIND_BIT] | (e->s & KIND_BIT);
        e->d = c->rank[e->d];
    }
    return FW_OK;
}

/* Gives every edge its sequence number (in edge.t): by time when any edge has
 * one, else in the order added. */
static int assign_seqs(committer *c)
{
    fw_import *im = c->im;
    if (!im->any_time) {
        for (size_t i = 0; i < im->nedges; i++)
            im->edges[i].t = i + 1;
        return FW_OK;
    }
    for (size_t i = 0; i < im->nedges; i++)
        c->kv[i] = (fw_kv){im->edges[i].t, i};
    int rc = fw_sort_kv(c->kv, im->nedges);
    for (size_t r = 0; !rc && r < im->nedges; r++)
        im->edges[c->kv[r].val].t = r + 1;
    return rc;
}

/* Sorts the edges by (src, dst) into c->kv and finds duplicate pairs before
 * anything is written. */
static int find_dups(committer *c, uint64_t *dup)
{
    fw_import *im = c->im;
    size_t n = im->nedges;
    for (size_t i = 0; i < n; i++)
        c->kv[i] = (fw_kv){(uint64_t)(im->edges[i].s & ~KIND_BIT) << 32 | im->edges[i].d, i};
    int rc = fw_sort_kv(c->kv, n);
    if (rc)
        return rc;
    for (size_t i = 1; i < n; i++)
        if (c->kv[i].key == c->kv[i - 1].key) {
            *dup = c->kv[i].val > c->kv[i - 1].val ? c->kv[i].val : c->kv[i - 1].val;
            return FW_EEXISTS;
        }
    return FW_OK;
}

static int cmp_kv(const void *a, const void *b)
{
    uint64_t x = ((const fw_kv *)a)->key, y = ((const fw_kv *)b)->key;
    return (x > y) - (x < y);
}

/* Sorts a short list by key: most owners follow a few dozen users, where an
 * insertion sort beats any call per comparison. Keys here are unique. */
static void sort_short(fw_kv *a, size_t n)
{
    if (n > 32) {
        qsort(a, n, sizeof(*a), cmp_kv);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        fw_kv x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1].key > x.key; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/* fol_out, in (src, dst) order (c->kv as find_dups left it): for each src
 * its index entries (by dst) then its following list (newest first), all in
 * one MDB_MULTIPLE put. Ordinals are ranks (id order). */
static int write_out(committer *c)
{
    fw_import *im = c->im;
    size_t n = im->nedges;
    uint8_t *items = NULL;
    fw_kv *lst = NULL; /* the list part: (newest first, dst) */
    size_t icap = 0, lcap = 0;
    MDB_cursor *cur;
    int rc;
    if ((rc = mdb_cursor_open(c->txn, im->s->dbi[DB_FOLLOWING], &cur)))
        return fw_lmdb_err(rc);
    for (size_t i = 0; i < n && !rc;) {
        uint32_t src = im->edges[c->kv[i].val].s & ~KIND_BIT;
        size_t j = i;
        while (j < n && (im->edges[c->kv[j].val].s & ~KIND_BIT) == src)
            j++;
        if ((rc = fw_array_grow((void **)&items, &icap, (j - i) * 2 * ADJ_ENT, 1)) ||
            (rc = fw_array_grow((void **)&lst, &lcap, j - i, sizeof(*lst))))
            break;
        size_t m = 0, nl = 0;
        for (size_t k = i; k < j; k++) {
            const edge *e = &im->edges[c->kv[k].val];
            adj_idx_enc(items + m++ * ADJ_ENT, c->obase + e->d, (e->s & KIND_BIT) != 0, e->t);
            if (!(e->s & KIND_BIT))
                lst[nl++] = (fw_kv){ADJ_SEQ_MAX - e->t, e->d}; /* ascending = the entries' byte order */
        }
        sort_short(lst, nl);
        for (size_t k = 0; k < nl; k++)
            adj_list_enc(items + m++ * ADJ_ENT, ADJ_SEQ_MAX - lst[k].key, c->obase + (uint32_t)lst[k].val);
        uint8_t kb[4];
        be32_put(kb, c->obase + src);
        MDB_val key = {4, kb}, data[2] = {{ADJ_ENT, items}, {m, NULL}};
        rc = fw_lmdb_err(mdb_cursor_put(cur, &key, data, MDB_MULTIPLE | MDB_APPEND));
        if (!rc && data[1].mv_size != m)
            rc = FW_EIO;
        if ((i >> 20) != (j >> 20))
            report(c, "writing following", j, n);
        i = j;
    }
    mdb_cursor_close(cur);
    free(items);
    free(lst);
    report(c, "writing following", n, n);
    return rc;
}

/* One direction of one kind of list: owner -> list entries, newest first,
 * each owner's items written in one MDB_MULTIPLE put. */
static int write_lists(committer *c, int db, bool pending, bool by_dst, const char *phase)
{
    fw_import *im = c->im;
    size_t m = 0;
    for (size_t i = 0; i < im->nedges; i++) {
        const edge *e = &im->edges[i];
        if (((e->s & KIND_BIT) != 0) != pending)
            continue;
        uint32_t s = e->s & ~KIND_BIT, d = e->d;
        c->kv[m++] = (fw_kv){(uint64_t)(by_dst ? d : s) << 32 | (uint32_t)~(uint32_t)e->t, by_dst ? s : d};
    }
    int rc = fw_sort_kv(c->kv, m);
    if (rc)
        return rc;
    uint8_t *items = NULL;
    size_t icap = 0;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(c->txn, im->s->dbi[db], &cur)))
        return fw_lmdb_err(rc);
    for (size_t i = 0; i < m && !rc;) {
        uint32_t owner = (uint32_t)(c->kv[i].key >> 32);
        size_t j = i;
        while (j < m && (uint32_t)(c->kv[j].key >> 32) == owner)
            j++;
        if ((rc = fw_array_grow((void **)&items, &icap, (j - i) * ADJ_ENT, 1)))
            break;
        for (size_t k = i; k < j; k++) {
            uint64_t seq = ~(uint32_t)c->kv[k].key & 0xFFFFFFFFu;
            adj_list_enc(items + (k - i) * ADJ_ENT, seq, c->obase + (uint32_t)c->kv[k].val);
        }
        uint8_t kb[4];
        be32_put(kb, c->obase + owner);
        MDB_val key = {4, kb}, data[2] = {{ADJ_ENT, items}, {j - i, NULL}};
        rc = fw_lmdb_err(mdb_cursor_put(cur, &key, data, MDB_MULTIPLE | MDB_APPEND));
        if (!rc && data[1].mv_size != j - i)
            rc = FW_EIO;
        if ((i >> 20) != (j >> 20))
            report(c, phase, j, m);
        i = j;
    }
    mdb_cursor_close(cur);
    free(items);
    report(c, phase, m, m);
    return rc;
}

/* The first ordinal of this import: after every ordinal ever given (a wiped
 * database keeps meta next_ord), so a reader's cached ordinal never changes
 * meaning; FW_EFULL if the users would not fit. */
static int ord_base(committer *c)
{
    MDB_val key = {8, "next_ord"}, v;
    int rc = mdb_get(c->txn, c->im->s->dbi[DB_META], &key, &v);
    c->obase = 0;
    if (rc == MDB_NOTFOUND)
        rc = 0;
    else if (!rc && v.mv_size == 4)
        c->obase = le32_get(v.mv_data);
    else if (!rc)
        return FW_EIO;
    if (rc)
        return fw_lmdb_err(rc);
    return (uint64_t)c->obase + c->im->nusers > (uint64_t)ADJ_ORD_MAX + 1 ? FW_EFULL : FW_OK;
}

/* uid: ordinal = obase + rank, so the table is in key order. */
static int write_ords(committer *c)
{
    fw_import *im = c->im;
    MDB_cursor *ic;
    int rc = mdb_cursor_open(c->txn, im->s->dbi[DB_UID], &ic);
    if (rc)
        return fw_lmdb_err(rc);
    for (size_t r = 0; r < im->nusers && !rc; r++) {
        uint8_t o[4], i[8];
        be32_put(o, c->obase + (uint32_t)r);
        be64_put(i, c->idr[r]);
        MDB_val ok = {4, o}, ik = {8, i};
        rc = fw_lmdb_err(mdb_cursor_put(ic, &ik, &ok, MDB_APPEND));
    }
    mdb_cursor_close(ic);
    uint8_t n[4];
    le32_put(n, c->obase + (uint32_t)im->nusers);
    MDB_val key = {8, "next_ord"}, nv = {4, n};
    return rc ? rc : fw_lmdb_err(mdb_put(c->txn, im->s->dbi[DB_META], &key, &nv, 0));
}

/* Users under their ordinals (obase + rank: key order) with their computed counters. */
static int write_users(committer *c)
{
    fw_import *im = c->im;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, im->s->dbi[DB_USERS], &cur);
    if (rc)
        return fw_lmdb_err(rc);
    uint8_t *buf = NULL;
    size_t cap = 0;
    for (size_t r = 0; r < im->nusers && !rc; r++) {
        uint32_t i = c->byrank[r], ord = c->obase + (uint32_t)r;
        const urec *u = &im->users[i];
        if (u->len + USER_RECOUNT_GROW > cap && (rc = fw_array_grow((void **)&buf, &cap, u->len + USER_RECOUNT_GROW, 1)))
            break;
        fw_lmdb_counts n = {im->recent[i], im->followers[i], im->following[i], im->tweets[i]};
        MDB_val key = fw_lmdb_ord_key(&ord), val = {fw_lmdb_user_recount(im->arena + u->off, u->len, &n, buf), buf};
        rc = val.mv_size ? fw_lmdb_err(mdb_cursor_put(cur, &key, &val, MDB_APPEND)) : FW_EIO;
        if ((r & 0xFFFFF) == 0)
            report(c, "writing users", r, im->nusers);
    }
    free(buf);
    mdb_cursor_close(cur);
    report(c, "writing users", im->nusers, im->nusers);
    return rc;
}

/* Ranks by the username of the user at that rank. */
static int cmp_name(const void *a, const void *b, void *ctx)
{
    const committer *c = ctx;
    const char(*n)[16] = c->im->names;
    return memcmp(n[c->byrank[*(const uint32_t *)a]], n[c->byrank[*(const uint32_t *)b]], 16);
}

static int write_unames(committer *c)
{
    fw_import *im = c->im;
    uint32_t *order = c->rank; /* ranks are written; reuse the array */
    for (size_t r = 0; r < im->nusers; r++)
        order[r] = (uint32_t)r;
    qsort_r(order, im->nusers, sizeof(*order), cmp_name, c);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, im->s->dbi[DB_UNAMES], &cur);
    if (rc)
        return fw_lmdb_err(rc);
    for (size_t k = 0; k < im->nusers && !rc; k++) {
        uint32_t i = c->byrank[order[k]];
        uint8_t d[4];
        be32_put(d, c->obase + order[k]);
        MDB_val key = {strlen(im->names[i]), im->names[i]}, val = {4, d};
        rc = fw_lmdb_err(mdb_cursor_put(cur, &key, &val, MDB_APPEND));
    }
    mdb_cursor_close(cur);
    return rc;
}

static int write_tweets(committer *c)
{
    fw_import *im = c->im;
    fw_kv *kv = c->kv; /* the edges are written: reuse when large enough */
    bool own = im->ntweets > im->nedges;
    if (own && !(kv = fw_kv_alloc(im->ntweets)))
        return FW_ENOMEM;
    for (size_t i = 0; i < im->ntweets; i++)
        kv[i] = (fw_kv){im->tw[i].id, i};
    int rc = fw_sort_kv(kv, im->ntweets);
    MDB_cursor *cur = NULL;
    if (!rc)
        rc = fw_lmdb_err(mdb_cursor_open(c->txn, im->s->dbi[DB_TWEETS], &cur));
    for (size_t r = 0; r < im->ntweets && !rc; r++) {
        const trec *t = &im->tw[kv[r].val];
        uint8_t k[8];
        be64_put(k, t->id);
        MDB_val key = {8, k}, val = {t->len, im->arena + t->off};
        rc = fw_lmdb_err(mdb_cursor_put(cur, &key, &val, MDB_APPEND));
    }
    if (cur)
        mdb_cursor_close(cur);
    if (own)
        free(kv);
    return rc;
}

/* The edge sequence after the loaded edges, and the id counter past every
 * loaded id, so later follows are newer and new ids never collide. */
static int write_seq(committer *c)
{
    fw_import *im = c->im;
    uint8_t b[8];
    le64_put(b, im->nedges);
    MDB_val key = {8, "edge_seq"}, val = {8, b};
    int rc = fw_lmdb_err(mdb_put(c->txn, im->s->dbi[DB_META], &key, &val, 0));
    uint64_t top = im->nusers ? c->idr[im->nusers - 1] : 0;
    for (size_t i = 0; i < im->ntweets; i++)
        if (im->tw[i].id > top)
            top = im->tw[i].id;
    return rc ? rc : fw_lmdb_raise_last_id(c->txn, im->s, top);
}

/* The LMDB writer: every table in key order with MDB_APPEND, one transaction. */
static int lmdb_write(fw_import *im, fw_import_progress progress, void *ctx)
{
    (void)progress, (void)ctx; /* reported through im->c */
    committer *c = im->c;
    int rc = fw_lmdb_err(mdb_txn_begin(im->s->env, NULL, 0, &c->txn));
    if (!rc && !table_empty(c->txn, im->s))
        rc = FW_EEXISTS; /* someone wrote since begin */
    if (!rc)
        rc = ord_base(c);
    if (!rc)
        rc = write_out(c);
    if (!rc)
        rc = write_lists(c, DB_FOLLOWERS, false, true, "writing followers");
    if (!rc)
        rc = write_lists(c, DB_REQ_OUT, true, false, "writing requests (out)");
    if (!rc)
        rc = write_lists(c, DB_REQ_IN, true, true, "writing requests (in)");
    if (!rc)
        rc = write_users(c);
    if (!rc)
        rc = write_ords(c);
    if (!rc)
        rc = write_unames(c);
    if (!rc)
        rc = write_tweets(c);
    if (!rc)
        rc = write_seq(c);
    if (!rc)
        rc = fw_lmdb_log_changes(im->s, c->txn, NULL); /* a wildcard: every cached read is stale */
    if (c->txn) {
        if (rc)
            mdb_txn_abort(c->txn);
        else {
            report(c, "committing", 0, 1);
            rc = fw_lmdb_err(mdb_txn_commit(c->txn));
            report(c, "committing", 1, 1);
        }
        c->txn = NULL;
    }
    return rc;
}

/* ---- what a writer sees (import_internal.h) ---- */

size_t fw_import_nusers(const fw_import *im) { return im->nusers; }
size_t fw_import_ntweets(const fw_import *im) { return im->ntweets; }
size_t fw_import_nedges(const fw_import *im) { return im->nedges; }

void fw_import_user_at(const fw_import *im, size_t r, fw_user *u)
{
    uint32_t i = im->c->byrank[r];
    const urec *ur = &im->users[i];
    if (fw_lmdb_user_unpack(im->arena + ur->off, ur->len, u))
        abort(); /* packed by fw_store_import_user a moment ago */
    u->followers_count = im->followers[i];
    u->following_count = im->following[i];
    u->tweet_count = im->tweets[i];
    u->most_recent_tweet_id = im->recent[i];
    u->default_json = FW_STR_NULL;
}

void fw_import_tweet_at(const fw_import *im, size_t i, fw_tweet *t)
{
    if (fw_lmdb_tweet_unpack(im->arena + im->tw[i].off, im->tw[i].len, t))
        abort();
}

void fw_import_edge_at(const fw_import *im, size_t i, uint8_t *rel, uint64_t *src, uint64_t *dst, uint64_t *seq)
{
    const committer *c = im->c;
    const edge *e = &im->edges[c->kv[i].val];
    *rel = (e->s & KIND_BIT) ? FW_REL_PENDING : FW_REL_FOLLOWING;
    *src = c->idr[e->s & ~KIND_BIT];
    *dst = c->idr[e->d];
    *seq = e->t;
}

/* The bulk environment skips the fsync of each commit (MDB_NOSYNC), any other
 * the meta page's (MDB_NOMETASYNC): the import is acknowledged only after this
 * one sync, whose failure is the import's (fw_store_close syncs again, too late
 * to report anything). */
static int lmdb_write_durable(fw_import *im, fw_import_progress progress, void *ctx)
{
    int rc = lmdb_write(im, progress, ctx);
    if (!rc && (im->s->bulk || im->s->meta_async)) {
        report(im->c, "syncing", 0, 1);
        rc = mdb_env_sync(im->s->env, 1) ? FW_EIO : FW_OK;
        report(im->c, "syncing", 1, 1);
    }
    return rc;
}

int fw_store_import_commit(fw_import *im, void (*progress)(void *ctx, const char *phase, uint64_t done, uint64_t total),
                           void *ctx, uint64_t *dup)
{
    *dup = UINT64_MAX;
    committer c = {.im = im, .progress = progress, .ctx = ctx};
    int rc = FW_OK;
    size_t nkv = im->nedges ? im->nedges : 1;
    if (!(c.kv = fw_kv_alloc(nkv)))
        rc = FW_ENOMEM;
    if (!rc)
        rc = rank_users(&c);
    if (!rc) {
        report(&c, "sorting", 0, im->nedges);
        rc = assign_seqs(&c);
    }
    if (!rc)
        rc = find_dups(&c, dup);
    if (!rc) {
        im->c = &c;
        rc = im->write(im, progress, ctx);
        im->c = NULL;
    }
    free(c.kv);
    free(c.rank);
    free(c.byrank);
    free(c.idr);
    fw_store_import_abort(im);
    return rc;
}
