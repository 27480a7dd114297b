/* Request-path reads: users, list pages and credential lookups.
 *
 * Each read runs in one LMDB read transaction and calls the callback inside
 * it, so every string in the result points straight into the memory map (no
 * copy). Read transactions are recycled through a small pool (reset/renew),
 * and the result arrays live in a per-thread arena that only grows, so a
 * steady request load does no malloc. A callback may issue another read on
 * the same thread: each nesting level has its own arena. */
#include "store/lmdb_internal.h"

#include <stdlib.h>

#include "core/secret.h"

/* ------------------------------------------------------------------------
 * Pooled read transactions. */

#define RPOOL_MAX 64

struct fw_lmdb_txn_pool {
    pthread_mutex_t mu;
    int n;
    MDB_txn *idle[RPOOL_MAX];
};

int fw_lmdb_rpool_new(fw_store *s)
{
    s->rpool = calloc(1, sizeof(*s->rpool));
    if (!s->rpool)
        return FW_EIO;
    pthread_mutex_init(&s->rpool->mu, NULL);
    return FW_OK;
}

void fw_lmdb_rpool_free(fw_store *s)
{
    if (!s->rpool)
        return;
    for (int i = 0; i < s->rpool->n; i++)
        mdb_txn_abort(s->rpool->idle[i]);
    pthread_mutex_destroy(&s->rpool->mu);
    free(s->rpool);
    s->rpool = NULL;
}

int fw_lmdb_rtxn_get(fw_store *s, MDB_txn **out)
{
    struct fw_lmdb_txn_pool *p = s->rpool;
    MDB_txn *t = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->n)
        t = p->idle[--p->n];
    pthread_mutex_unlock(&p->mu);
    if (t) {
        if (mdb_txn_renew(t) == 0) {
            *out = t;
            return 0;
        }
        mdb_txn_abort(t);
    }
    return fw_lmdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, out));
}

void fw_lmdb_rtxn_put(fw_store *s, MDB_txn *t)
{
    struct fw_lmdb_txn_pool *p = s->rpool;
    mdb_txn_reset(t);
    pthread_mutex_lock(&p->mu);
    if (p->n < RPOOL_MAX) {
        p->idle[p->n++] = t;
        t = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    if (t)
        mdb_txn_abort(t);
}

int fw_lmdb_scan(fw_store *s, int db, uint64_t from, size_t limit, fw_lmdb_row_fn row, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *c;
    if (s->absent & (1u << db))
        return FW_OK; /* a table this read-only open did not find holds nothing */
    int rc = fw_lmdb_rtxn_get(s, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->dbi[db], &c))) {
        fw_lmdb_rtxn_put(s, txn);
        return fw_lmdb_err(rc);
    }
    uint8_t k[8];
    be64_put(k, from);
    MDB_val key = {8, k}, v;
    int frc = FW_OK;
    rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE);
    for (size_t n = 0; rc == 0 && (limit == 0 || n < limit); rc = mdb_cursor_get(c, &key, &v, MDB_NEXT), n++)
        if ((frc = row(ctx, txn, s, &key, &v)))
            break;
    if (rc && rc != MDB_NOTFOUND)
        frc = fw_lmdb_err(rc);
    mdb_cursor_close(c);
    fw_lmdb_rtxn_put(s, txn);
    return frc < 0 ? frc : FW_OK;
}

/* ------------------------------------------------------------------------
 * Per-thread result arenas. Every thread state is also linked into a global
 * registry so its memory stays reachable (and is freed by the thread-exit
 * destructor, not leaked). */

typedef struct arena {
    fw_user *users;
    const fw_user **uptr;
    uint64_t *seqs;
    fw_rels *rels;
    size_t cap;          /* entries in users/uptr/seqs/rels */
    fw_tweet *tweets;
    size_t ntweets, ctweets;
    uint64_t *tset;      /* open-addressing set of hydrated tweet ids */
    size_t ctset;
    bool heap;           /* overflow arena, freed on release */
    fw_lmdb_cardset *cards; /* entered by a lean list read; left at read_close */
} arena;

#define NEST_MAX 4

typedef struct tstate {
    struct tstate *prev, *next;
    int depth;
    arena a[NEST_MAX];
} tstate;

static pthread_key_t ts_key;
static pthread_once_t ts_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t ts_mu = PTHREAD_MUTEX_INITIALIZER;
static tstate *ts_head;

static void arena_free(arena *a)
{
    free(a->users);
    free(a->uptr);
    free(a->seqs);
    free(a->rels);
    free(a->tweets);
    free(a->tset);
}

static void ts_destroy(void *p)
{
    tstate *ts = p;
    pthread_mutex_lock(&ts_mu);
    if (ts->prev)
        ts->prev->next = ts->next;
    else
        ts_head = ts->next;
    if (ts->next)
        ts->next->prev = ts->prev;
    pthread_mutex_unlock(&ts_mu);
    for (int i = 0; i < NEST_MAX; i++)
        arena_free(&ts->a[i]);
    free(ts);
}

static void ts_init(void) { pthread_key_create(&ts_key, ts_destroy); }

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort(); /* see core/buf.h: allocation failure is fatal */
    return p;
}

static arena *arena_acquire(void)
{
    pthread_once(&ts_once, ts_init);
    tstate *ts = pthread_getspecific(ts_key);
    if (!ts) {
        ts = calloc(1, sizeof(*ts));
        if (!ts)
            abort();
        pthread_mutex_lock(&ts_mu);
        ts->next = ts_head;
        if (ts_head)
            ts_head->prev = ts;
        ts_head = ts;
        pthread_mutex_unlock(&ts_mu);
        pthread_setspecific(ts_key, ts);
    }
    arena *a;
    if (ts->depth < NEST_MAX) {
        a = &ts->a[ts->depth];
    } else {
        a = calloc(1, sizeof(*a));
        if (!a)
            abort();
        a->heap = true;
    }
    ts->depth++;
    a->ntweets = 0;
    a->cards = NULL;
    return a;
}

static void arena_release(arena *a)
{
    tstate *ts = pthread_getspecific(ts_key);
    ts->depth--;
    if (a->heap) {
        arena_free(a);
        free(a);
    }
}

/* Room for n users (and their seqs, rels, pointers) and 2n tweets. */
static void arena_reserve(arena *a, size_t n)
{
    if (n > a->cap) {
        a->users = xrealloc(a->users, n * sizeof(*a->users));
        a->uptr = xrealloc(a->uptr, n * sizeof(*a->uptr));
        a->seqs = xrealloc(a->seqs, n * sizeof(*a->seqs));
        a->rels = xrealloc(a->rels, n * sizeof(*a->rels));
        a->cap = n;
    }
    if (2 * n > a->ctweets) {
        a->tweets = xrealloc(a->tweets, 2 * n * sizeof(*a->tweets));
        a->ctweets = 2 * n;
    }
    size_t want = 8;
    while (want < 4 * n)
        want <<= 1;
    if (want > a->ctset) {
        a->tset = xrealloc(a->tset, want * sizeof(*a->tset));
        a->ctset = want;
    }
    memset(a->tset, 0, a->ctset * sizeof(*a->tset));
}

/* Adds tweet id to the hydrated set; false if it was already there. */
static bool tset_add(arena *a, uint64_t id)
{
    size_t mask = a->ctset - 1, i = (size_t)(id * 0x9E3779B97F4A7C15ull) & mask;
    while (a->tset[i]) {
        if (a->tset[i] == id)
            return false;
        i = (i + 1) & mask;
    }
    a->tset[i] = id;
    return true;
}

static void hydrate_one(fw_store *s, MDB_txn *txn, arena *a, uint64_t id)
{
    if (!id || !tset_add(a, id))
        return;
    MDB_val v;
    if (fw_lmdb_get_id(txn, s, DB_TWEETS, id, &v) == FW_OK &&
        fw_lmdb_tweet_unpack(v.mv_data, v.mv_size, &a->tweets[a->ntweets]) == 0)
        a->ntweets++;
}

/* Tweets referenced by the users, deduplicated, first reference first. */
static void hydrate(fw_store *s, MDB_txn *txn, arena *a, const fw_read_opts *o, const fw_user *const *u, size_t n)
{
    for (size_t i = 0; o->tweets && i < n; i++) {
        if (!u[i])
            continue;
        if (o->tweets & FW_TW_PINNED)
            hydrate_one(s, txn, a, u[i]->pinned_tweet_id);
        if (o->tweets & FW_TW_MOST_RECENT)
            hydrate_one(s, txn, a, u[i]->most_recent_tweet_id);
    }
}

/* The skeleton every request-path read shares: read_open takes a pooled read
 * transaction and, when the read returns n users (n > 0), an arena sized for
 * them; the caller fills its result, runs its callback inside the
 * transaction (so borrowed strings stay valid), then read_close gives both
 * back. read_close accepts what a failed read_open left (NULLs). */
static int read_open(fw_store *s, size_t n, MDB_txn **txn, arena **a)
{
    *txn = NULL;
    *a = NULL;
    int rc = fw_lmdb_rtxn_get(s, txn);
    if (rc) {
        *txn = NULL;
        return rc;
    }
    if (n) {
        *a = arena_acquire();
        arena_reserve(*a, n);
    }
    return FW_OK;
}

static void read_close(fw_store *s, MDB_txn *txn, arena *a)
{
    if (a) {
        fw_lmdb_cards_leave(s, a->cards);
        arena_release(a);
    }
    if (txn)
        fw_lmdb_rtxn_put(s, txn);
}

/* The viewer's ordinal, found once per read (UINT32_MAX: no viewer, or one
 * without an ordinal, who then has no relations). */
static uint32_t viewer_ord(fw_store *s, MDB_txn *txn, uint64_t viewer)
{
    uint32_t o;
    return viewer && fw_lmdb_user_ord(txn, s, viewer, &o) == FW_OK ? o : UINT32_MAX;
}

static fw_rels rels_of(fw_store *s, MDB_txn *txn, uint32_t vord, uint64_t viewer, uint64_t user)
{
    fw_rels r = {FW_REL_NONE, FW_REL_NONE};
    uint64_t seq;
    uint32_t uo;
    if (vord == UINT32_MAX || viewer == user || fw_lmdb_user_ord(txn, s, user, &uo) != FW_OK)
        return r;
    if (fw_lmdb_rel_get_ord(txn, s, vord, uo, &r.out, &seq))
        r.out = FW_REL_NONE;
    if (fw_lmdb_rel_get_ord(txn, s, uo, vord, &r.in, &seq))
        r.in = FW_REL_NONE;
    return r;
}

/* What every user-returning read adds for a->uptr[0..n) (NULL entries are
 * users not found): the viewer's relations when asked, and the hydrated
 * tweets. */
static void add_extras(fw_store *s, MDB_txn *txn, arena *a, const fw_read_opts *o, size_t n, const fw_rels **rels,
                       const fw_tweet **tweets, size_t *ntweets)
{
    if (o->want_rels) {
        uint32_t vord = viewer_ord(s, txn, o->viewer_id);
        for (size_t i = 0; i < n; i++)
            a->rels[i] = a->uptr[i] ? rels_of(s, txn, vord, o->viewer_id, a->uptr[i]->id) : (fw_rels){0, 0};
        *rels = a->rels;
    }
    hydrate(s, txn, a, o, a->uptr, n);
    *ntweets = a->ntweets;
    *tweets = a->tweets;
}

/* ------------------------------------------------------------------------
 * Users by id or username. */

#define USERS_MAX 100
#define LIST_MAX 1000

uint64_t fw_lmdb_version(fw_store *s)
{
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) != 0)
        return 0;
    return (uint64_t)info.me_last_txnid;
}

static int users_fill(fw_store *s, MDB_txn *txn, arena *a, const fw_users_q *q, fw_users_res *res)
{
    for (size_t i = 0; i < q->n; i++) {
        a->uptr[i] = NULL;
        int rc;
        if (q->ids) {
            rc = fw_lmdb_user_get(txn, s, q->ids[i], &a->users[i], NULL);
        } else {
            char name[FW_USERNAME_MAX + 1];
            if (!fw_rec_username_key(q->usernames[i], name))
                continue;
            MDB_val key = {q->usernames[i].len, name}, v;
            if (mdb_get(txn, s->dbi[DB_UNAMES], &key, &v) || v.mv_size != 4)
                continue;
            rc = fw_lmdb_user_get_ord(txn, s, be32_get(v.mv_data), &a->users[i]);
        }
        if (rc == FW_OK)
            a->uptr[i] = &a->users[i];
        else if (rc != FW_ENOTFOUND)
            return rc;
    }
    res->version = mdb_txn_id(txn);
    res->n = q->n;
    res->users = a->uptr;
    add_extras(s, txn, a, &q->opts, q->n, &res->rels, &res->tweets, &res->ntweets);
    return FW_OK;
}

void fw_lmdb_users(fw_store *s, fw_exec *exec, const fw_users_q *q, fw_users_cb cb, void *ctx)
{
    fw_users_res res = {.rc = FW_OK};
    MDB_txn *txn = NULL;
    arena *a = NULL;
    int rc = FW_EINVAL;
    if (q->n >= 1 && q->n <= USERS_MAX && !q->ids != !q->usernames && !(rc = read_open(s, q->n, &txn, &a)))
        rc = users_fill(s, txn, a, q, &res);
    if (rc)
        res = (fw_users_res){.rc = rc};
    cb(ctx, &res);
    read_close(s, txn, a);
}

/* ------------------------------------------------------------------------
 * List pages. List entries are be48(LIST_BIT | (SEQ_MAX - seq)), ordinal, so
 * the natural order is newest first: "older" is MDB_NEXT_DUP, "newer" is
 * MDB_PREV_DUP. In fol_out they follow the owner's index entries, which a
 * walk treats as the end of the list. */

static const int LIST_DB[] = {DB_FOLLOWERS, DB_FOLLOWING, DB_REQ_IN, DB_REQ_OUT};

typedef struct walk {
    fw_store *s;
    MDB_txn *txn;
    MDB_cursor *c;  /* the list */
    MDB_cursor *uc; /* users: a positioned cursor skips the descent from the
                       root when the next ordinal lies on the same leaf page,
                       which is common since lists are grouped by account age */
    fw_lmdb_cardset *cards; /* lean reads: users from memory when they have a card */
    uint8_t key[4];
} walk;

/* A cursor result as a walk sees it: an index entry ends the list. */
static int list_rc(int rc, const MDB_val *v)
{
    if (rc)
        return rc;
    if (v->mv_size != ADJ_ENT)
        return MDB_CORRUPTED;
    return adj_is_list(v->mv_data) ? 0 : MDB_NOTFOUND;
}

static void ent_decode(const MDB_val *v, uint64_t *seq, uint32_t *other) { adj_list_dec(v->mv_data, seq, other); }

/* Positions at the newest entry with seq <= bound. */
static int seek_le(walk *w, uint64_t bound, MDB_val *v)
{
    uint8_t d[ADJ_ENT];
    adj_list_enc(d, bound > ADJ_SEQ_MAX ? ADJ_SEQ_MAX : bound, 0);
    MDB_val k = {4, w->key};
    *v = (MDB_val){ADJ_ENT, d};
    return list_rc(mdb_cursor_get(w->c, &k, v, MDB_GET_BOTH_RANGE), v);
}

/* Positions at the oldest entry with seq > bound. */
static int seek_gt(walk *w, uint64_t bound, MDB_val *v)
{
    MDB_val k = {4, w->key};
    if (bound >= ADJ_SEQ_MAX)
        return MDB_NOTFOUND;
    int rc = seek_le(w, bound, v);
    if (rc == 0)
        return list_rc(mdb_cursor_get(w->c, &k, v, MDB_PREV_DUP), v);
    if (rc != MDB_NOTFOUND)
        return rc;
    /* every entry is newer than bound (or there are none) */
    if ((rc = mdb_cursor_get(w->c, &k, v, MDB_SET_KEY)))
        return rc;
    return list_rc(mdb_cursor_get(w->c, &k, v, MDB_LAST_DUP), v);
}

static int step(walk *w, bool older, MDB_val *v)
{
    MDB_val k = {4, w->key};
    return list_rc(mdb_cursor_get(w->c, &k, v, older ? MDB_NEXT_DUP : MDB_PREV_DUP), v);
}

/* Loads the user an entry points at; 1 if visible (exists, not suspended). */
static int visible(walk *w, uint32_t ord, fw_user *u)
{
    if (w->cards && fw_lmdb_card_get(w->cards, ord, u))
        return (u->flags & FW_USER_SUSPENDED) ? 0 : 1;
    MDB_val key = fw_lmdb_ord_key(&ord), v;
    int rc = mdb_cursor_get(w->uc, &key, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc || fw_lmdb_user_unpack(v.mv_data, v.mv_size, u) < 0)
        return FW_EIO;
    if (w->cards)
        fw_lmdb_card_put(w->cards, ord, u);
    return (u->flags & FW_USER_SUSPENDED) ? 0 : 1;
}

/* Is there a visible entry older than seq `bound` (older) or newer (newer)? */
static int peek(walk *w, uint64_t bound, bool older, bool *out)
{
    MDB_val v;
    int rc;
    *out = false;
    if (older) {
        if (bound == 0)
            return 0;
        rc = seek_le(w, bound - 1, &v);
    } else {
        rc = seek_gt(w, bound, &v);
    }
    fw_user u;
    for (; rc == 0; rc = step(w, older, &v)) {
        uint64_t seq;
        uint32_t other;
        ent_decode(&v, &seq, &other);
        int vis = visible(w, other, &u);
        if (vis < 0)
            return vis;
        if (vis) {
            *out = true;
            return 0;
        }
    }
    return rc == MDB_NOTFOUND ? 0 : FW_EIO;
}

#define PAGE_BATCH 64 /* list entries read ahead of their users */

/* Collects up to limit visible entries walking from the start position. */
static int collect_page(walk *w, const fw_list_q *q, arena *a, size_t *n)
{
    MDB_val v;
    bool older = q->dir != FW_PAGE_BEFORE;
    int rc;
    *n = 0;
    if (q->dir == FW_PAGE_FIRST)
        rc = seek_le(w, ADJ_SEQ_MAX, &v);
    else if (q->dir == FW_PAGE_AFTER)
        rc = q->cursor == 0 ? MDB_NOTFOUND : seek_le(w, q->cursor - 1, &v);
    else
        rc = seek_gt(w, q->cursor, &v);
    /* In batches of at most the entries still wanted (so no more are read
     * than a one-by-one walk would), their cards prefetched together. */
    while (rc == 0 && *n < q->limit) {
        uint64_t seqs[PAGE_BATCH];
        uint32_t ords[PAGE_BATCH];
        size_t m = 0, want = q->limit - *n < PAGE_BATCH ? q->limit - *n : PAGE_BATCH;
        for (; rc == 0 && m < want; m++, rc = step(w, older, &v))
            ent_decode(&v, &seqs[m], &ords[m]);
        if (w->cards)
            fw_lmdb_cards_prefetch(w->cards, ords, m);
        for (size_t i = 0; i < m; i++) {
            int vis = visible(w, ords[i], &a->users[*n]);
            if (vis < 0)
                return vis;
            if (vis)
                a->seqs[(*n)++] = seqs[i];
        }
    }
    if (rc && rc != MDB_NOTFOUND)
        return FW_EIO;
    if (!older) { /* walked oldest to newest: present newest first */
        for (size_t i = 0, j = *n ? *n - 1 : 0; i < j; i++, j--) {
            fw_user tu = a->users[i];
            a->users[i] = a->users[j];
            a->users[j] = tu;
            uint64_t ts = a->seqs[i];
            a->seqs[i] = a->seqs[j];
            a->seqs[j] = ts;
        }
    }
    return 0;
}

static int list_page(fw_store *s, MDB_txn *txn, const fw_list_q *q, arena *a, fw_list_res *res, fw_user *owner)
{
    uint32_t ord;
    int rc = fw_lmdb_user_get(txn, s, q->owner_id, owner, &ord);
    if (rc)
        return rc;
    res->owner = owner;
    res->owner_rels = rels_of(s, txn, viewer_ord(s, txn, q->opts.viewer_id), q->opts.viewer_id, q->owner_id);
    if (q->opts.lean)
        a->cards = fw_lmdb_cards_enter(s, txn);
    walk w = {s, txn, NULL, NULL, a->cards, {0}};
    be32_put(w.key, ord);
    if (mdb_cursor_open(txn, s->dbi[LIST_DB[q->kind]], &w.c))
        return FW_EIO;
    if (mdb_cursor_open(txn, s->dbi[DB_USERS], &w.uc)) {
        mdb_cursor_close(w.c);
        return FW_EIO;
    }
    size_t n;
    rc = collect_page(&w, q, a, &n);
    /* Exact flags: look for one more visible entry beyond each end. */
    if (!rc && n)
        rc = peek(&w, a->seqs[n - 1], true, &res->more_older);
    if (!rc && n)
        rc = peek(&w, a->seqs[0], false, &res->more_newer);
    if (!rc && !n && q->dir == FW_PAGE_AFTER) /* everything at or above the cursor */
        rc = q->cursor == 0 ? peek(&w, 0, false, &res->more_newer) : peek(&w, q->cursor - 1, false, &res->more_newer);
    if (!rc && !n && q->dir == FW_PAGE_BEFORE) /* everything at or below the cursor */
        rc = q->cursor == UINT64_MAX ? peek(&w, UINT64_MAX, true, &res->more_older)
                                     : peek(&w, q->cursor + 1, true, &res->more_older);
    mdb_cursor_close(w.uc);
    mdb_cursor_close(w.c);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        a->uptr[i] = &a->users[i];
    res->n = n;
    res->users = a->users;
    res->seqs = a->seqs;
    add_extras(s, txn, a, &q->opts, n, &res->rels, &res->tweets, &res->ntweets);
    return FW_OK;
}

void fw_lmdb_list(fw_store *s, fw_exec *exec, const fw_list_q *q, fw_list_cb cb, void *ctx)
{
    fw_list_res res = {.rc = FW_OK};
    MDB_txn *txn = NULL;
    arena *a = NULL;
    fw_user owner;
    int rc = FW_EINVAL;
    if (q->limit >= 1 && q->limit <= LIST_MAX && q->kind <= FW_LIST_OUTGOING && q->dir <= FW_PAGE_BEFORE &&
        !(rc = read_open(s, q->limit, &txn, &a)))
        rc = list_page(s, txn, q, a, &res, &owner);
    if (rc)
        res = (fw_list_res){.rc = rc};
    if (txn)
        res.version = mdb_txn_id(txn);
    cb(ctx, &res);
    read_close(s, txn, a);
}

/* ------------------------------------------------------------------------
 * Credentials and apps. */

/* Loads an app with its project's access level. */
static int app_load(fw_store *s, MDB_txn *txn, uint64_t id, fw_app *app)
{
    MDB_val v;
    int rc = fw_lmdb_get_id(txn, s, DB_APPS, id, &v);
    if (rc == FW_ENOTFOUND)
        return FW_ENOTFOUND;
    if (rc || fw_lmdb_app_unpack(v.mv_data, v.mv_size, app) < 0)
        return FW_EIO;
    if (fw_lmdb_app_permission(txn, s, id, &app->permission))
        return FW_EIO;
    if (!app->project_id)
        return FW_OK;
    rc = fw_lmdb_get_id(txn, s, DB_PROJECTS, app->project_id, &v);
    if (rc == FW_OK && v.mv_size >= 1)
        app->access_level = *(const uint8_t *)v.mv_data;
    else if (rc != FW_ENOTFOUND)
        return FW_EIO;
    return FW_OK;
}

int fw_lmdb_app_get(fw_store *s, MDB_txn *txn, uint64_t id, fw_app *app) { return app_load(s, txn, id, app); }

static int app_by_index(fw_store *s, MDB_txn *txn, int db, fw_str k, fw_app *app)
{
    if (k.len < 1 || k.len > FW_TOKEN_MAX)
        return FW_ENOTFOUND;
    MDB_val key = {k.len, (void *)k.p}, v;
    int rc = mdb_get(txn, s->dbi[db], &key, &v);
    if (rc == MDB_NOTFOUND)
        return FW_ENOTFOUND;
    if (rc || v.mv_size != 8)
        return FW_EIO;
    return app_load(s, txn, be64_get(v.mv_data), app);
}

static int auth_lookup(fw_store *s, MDB_txn *txn, const fw_auth_q *q, fw_cred *cred, fw_app *app, fw_user *user,
                       fw_auth_res *res)
{
    switch (q->by) {
    case FW_AUTH_BY_CONSUMER_KEY:
        res->app = app;
        return app_by_index(s, txn, DB_APP_CK, q->consumer_key, app);
    case FW_AUTH_BY_CLIENT_ID: /* the client id travels in consumer_key (or token) */
        res->app = app;
        return app_by_index(s, txn, DB_APP_CID, q->consumer_key.len ? q->consumer_key : q->token, app);
    case FW_AUTH_BY_HASH:
    case FW_AUTH_BY_OAUTH1:
        break;
    default:
        return FW_ENOTFOUND;
    }
    uint8_t kb[1 + FW_TOKEN_MAX];
    MDB_val key, v;
    if (q->by == FW_AUTH_BY_HASH) {
        kb[0] = 'H';
        memcpy(kb + 1, q->hash, 32);
        key = (MDB_val){33, kb};
    } else {
        if (q->token.len < 1 || q->token.len > FW_TOKEN_MAX)
            return FW_ENOTFOUND;
        kb[0] = 'O';
        memcpy(kb + 1, q->token.p, q->token.len);
        key = (MDB_val){1 + q->token.len, kb};
    }
    int rc = mdb_get(txn, s->dbi[DB_CREDS], &key, &v);
    if (rc == MDB_NOTFOUND)
        return FW_ENOTFOUND;
    if (rc || fw_lmdb_cred_unpack(v.mv_data, v.mv_size, cred) < 0)
        return FW_EIO;
    if ((q->by == FW_AUTH_BY_OAUTH1) != (cred->kind == FW_CRED_OAUTH1_USER))
        return FW_ENOTFOUND;
    if (cred->grant_id && !cred->revoked && !s->no_grants_db) {
        uint8_t gk[8];
        be64_put(gk, cred->grant_id);
        MDB_val gkey = {sizeof gk, gk}, gv;
        rc = mdb_get(txn, s->dbi[DB_GRANTS_REVOKED], &gkey, &gv);
        if (rc == 0)
            cred->revoked = true; /* its grant was revoked (fw_store_grant_revoke) */
        else if (rc != MDB_NOTFOUND)
            return FW_EIO;
    }
    if ((rc = app_load(s, txn, cred->app_id, app)))
        return rc;
    if (q->by == FW_AUTH_BY_OAUTH1 &&
        !fw_ct_equal(app->consumer_key.p, app->consumer_key.len, q->consumer_key.p, q->consumer_key.len))
        return FW_ENOTFOUND;
    if (cred->user_id && (rc = fw_lmdb_user_get(txn, s, cred->user_id, user, NULL)))
        return rc;
    res->cred = cred;
    res->app = app;
    res->user = cred->user_id ? user : NULL;
    return FW_OK;
}

void fw_lmdb_auth(fw_store *s, fw_exec *exec, const fw_auth_q *q, fw_auth_cb cb, void *ctx)
{
    fw_auth_res res = {.rc = FW_OK};
    MDB_txn *txn = NULL;
    arena *a = NULL;
    fw_cred cred;
    fw_app app;
    fw_user user;
    int rc = read_open(s, 0, &txn, &a);
    if (!rc)
        rc = auth_lookup(s, txn, q, &cred, &app, &user, &res);
    if (rc)
        res = (fw_auth_res){.rc = rc};
    cb(ctx, &res);
    read_close(s, txn, a);
}
