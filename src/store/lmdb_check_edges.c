/* Steps 2 and 3 of fw_lmdb_check (lmdb_check.c): fol_in and rq_in entry by
 * entry, then every (src, dst) pair's copies compared per source range. */
#include "store/lmdb_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

typedef fw_chk_edge edge;
typedef fw_chk_edges edges;

/* The kinds of an edge's copies, seen from its source (src, dst), in the
 * order the copies of one pair are sorted in. The first four are list entries
 * (KIND_DB), a list kind's mirror is kind ^ 2, an index kind's list kind - 2. */
enum { K_FOLLOWER, K_REQ_IN, K_FOLLOWING, K_REQ_OUT, K_IDX_FOLLOW, K_IDX_PENDING, K_COUNT };
static const int KIND_DB[4] = {DB_FOLLOWERS, DB_REQ_IN, DB_FOLLOWING, DB_REQ_OUT};

static const char *const LIST_NAME[DB_COUNT] = {
    [DB_FOLLOWERS] = "followers", [DB_FOLLOWING] = "following", [DB_REQ_IN] = "req_in", [DB_REQ_OUT] = "req_out"};

static int mirror_of(int db)
{
    return db == DB_FOLLOWERS   ? DB_FOLLOWING
           : db == DB_FOLLOWING ? DB_FOLLOWERS
           : db == DB_REQ_IN    ? DB_REQ_OUT
                                : DB_REQ_IN;
}

static bool owner_is_src(int db)
{
    return db == DB_FOLLOWING || db == DB_REQ_OUT;
}

static uint8_t rel_state_of(int db)
{
    return db == DB_REQ_IN || db == DB_REQ_OUT ? FW_REL_PENDING : FW_REL_FOLLOWING;
}

static uint64_t rec_id(fw_chk *c, uint32_t ord)
{
    uint64_t id;
    bool prot;
    fw_chk_user_at(c, ord, &id, &prot);
    return id;
}

/* ---- reading a DUPFIXED table a page of duplicates at a time ---- */

/* v holds v.mv_size / ADJ_ENT entries of key, or (odd) one value of another
 * size, which is malformed; such keys are read one duplicate at a time. rc is
 * the last move's: 0, MDB_NOTFOUND past the last key, or an error. */
typedef struct dups {
    MDB_cursor *cur;
    MDB_val key, v;
    bool odd, single; /* single: the key's only value is in v */
    int rc;
} dups;

/* Moves to the first key (op MDB_FIRST) or the next (MDB_NEXT_NODUP). A key
 * with one value has no duplicate pages (MDB_GET_MULTIPLE is not asked). */
static int dups_key(dups *d, MDB_cursor_op op)
{
    size_t n = 0;
    int rc = mdb_cursor_get(d->cur, &d->key, &d->v, op);
    d->odd = rc == 0 && d->v.mv_size != ADJ_ENT;
    if (rc == 0)
        rc = mdb_cursor_count(d->cur, &n);
    d->single = n == 1;
    if (rc == 0 && !d->odd && !d->single) {
        MDB_val k;
        rc = mdb_cursor_get(d->cur, &k, &d->v, MDB_GET_MULTIPLE);
    }
    return d->rc = rc;
}

/* The key's next page: 0, or MDB_NOTFOUND after its last. */
static int dups_page(dups *d)
{
    MDB_val k;
    return d->single ? MDB_NOTFOUND : mdb_cursor_get(d->cur, &k, &d->v, d->odd ? MDB_NEXT_DUP : MDB_NEXT_MULTIPLE);
}

static size_t dups_n(const dups *d)
{
    return d->odd ? 1 : d->v.mv_size / ADJ_ENT;
}

static const uint8_t *dups_at(const dups *d, size_t i)
{
    return (const uint8_t *)d->v.mv_data + i * ADJ_ENT;
}

static int dups_open(fw_chk *c, int db, dups *d)
{
    *d = (dups){0};
    int rc = mdb_cursor_open(c->txn, c->s->dbi[db], &d->cur);
    return rc ? rc : dups_key(d, MDB_FIRST) == MDB_NOTFOUND ? 0 : d->rc;
}

/* ---- messages shared by the walks and the lookups ---- */

/* Both users of list entry (owner, other) in db exist and differ. */
static void entry_users(fw_chk *c, int db, uint32_t oo, uint32_t ot)
{
    if (oo != ot && oo < c->n && ot < c->n) { /* the usual case: two flags, no ids */
        uint8_t fo = c->flags[oo], ft = c->flags[ot];
        if ((fo & ft & U_READABLE) && (db != DB_REQ_IN || (fo & U_PROTECTED)))
            return;
    }
    const char *name = LIST_NAME[db];
    uint64_t owner, other;
    bool oprot, tprot;
    bool has_owner = fw_chk_user_at(c, oo, &owner, &oprot), has_other = fw_chk_user_at(c, ot, &other, &tprot);
    if (oo == ot)
        fw_chk_problem(c, "%s of %" PRIu64 ": self-edge", name, owner);
    if (!has_owner)
        fw_chk_problem(c, "%s of %" PRIu64 ": owner does not exist (ordinal %" PRIu32 ")", name, owner, oo);
    else if (db == DB_REQ_IN && !oprot)
        /* making an account public accepts every request in the same txn,
         * so a request left to a public account could never be answered */
        fw_chk_problem(c, "%s of %" PRIu64 ": request %" PRIu64 " to a public account", name, owner, other);
    if (!has_other)
        fw_chk_problem(c, "%s of %" PRIu64 ": entry %" PRIu64 " does not exist (ordinal %" PRIu32 ")", name, owner,
                       other, ot);
}

static void no_mirror(fw_chk *c, int db, uint32_t oo, uint32_t ot, uint64_t seq)
{
    fw_chk_problem(c, "%s of %" PRIu64 ": %" PRIu64 " (seq %" PRIu64 ") has no mirror in %s", LIST_NAME[db],
                   rec_id(c, oo), rec_id(c, ot), seq, LIST_NAME[mirror_of(db)]);
}

/* List entry (oo, ot, seq) of db against the relation index's state st
 * (-1: malformed) and sequence rseq of its pair. */
static void entry_rel(fw_chk *c, int db, uint32_t oo, uint32_t ot, uint64_t seq, int st, uint64_t rseq)
{
    uint8_t state = rel_state_of(db);
    uint32_t src = owner_is_src(db) ? oo : ot, dst = owner_is_src(db) ? ot : oo;
    if (st != state || rseq != seq)
        fw_chk_problem(c,
                       "%s of %" PRIu64 ": relation %" PRIu64 "->%" PRIu64 " is state %d seq %" PRIu64
                       ", expected %d seq %" PRIu64,
                       LIST_NAME[db], rec_id(c, oo), fw_chk_id_of(c, src), fw_chk_id_of(c, dst), st, rseq, state, seq);
}

/* An index entry's own checks; false for sequence 0, which has no list entry to look for. */
static bool idx_own(fw_chk *c, uint32_t so, uint32_t dor, uint64_t seq)
{
    if (seq > c->max_seq)
        c->max_seq = seq;
    if (so == dor)
        fw_chk_problem(c, "rel %" PRIu64 "->%" PRIu64 ": self-edge", fw_chk_id_of(c, so), fw_chk_id_of(c, dor));
    if (!seq)
        fw_chk_problem(c, "rel %" PRIu64 "->%" PRIu64 ": sequence 0", fw_chk_id_of(c, so), fw_chk_id_of(c, dor));
    return seq != 0;
}

static void idx_no_list(fw_chk *c, uint32_t so, uint32_t dor, bool pending)
{
    fw_chk_problem(c, "rel %" PRIu64 "->%" PRIu64 ": %s without its list entry", fw_chk_id_of(c, so),
                   fw_chk_id_of(c, dor), pending ? "request" : "follow");
}

/* ---- per-entry lookups, for entries past the arrays ---- */

/* Whether db holds the 10-byte duplicate d under owner. */
static int has_dup(fw_chk *c, int db, uint32_t owner, const uint8_t *d, bool *found)
{
    MDB_cursor *cur;
    MDB_val val = {ADJ_ENT, (void *)d};
    int pos, rc = fw_chk_seek(c, db, owner, &val, MDB_GET_BOTH, &cur, &pos);
    if (rc)
        return rc;
    *found = pos == 0;
    mdb_cursor_close(cur);
    return 0;
}

static int slow_list(fw_chk *c, int db, uint32_t oo, uint32_t ot, uint64_t seq)
{
    uint8_t md[ADJ_ENT];
    bool found;
    adj_list_enc(md, seq, oo);
    int rc = has_dup(c, mirror_of(db), ot, md, &found);
    if (rc)
        return rc;
    if (!found)
        no_mirror(c, db, oo, ot, seq);
    uint8_t st;
    uint64_t rseq;
    uint32_t src = owner_is_src(db) ? oo : ot, dst = owner_is_src(db) ? ot : oo;
    int r = fw_lmdb_rel_get_ord(c->txn, c->s, src, dst, &st, &rseq);
    entry_rel(c, db, oo, ot, seq, r ? -1 : st, rseq);
    return 0;
}

static int slow_idx(fw_chk *c, uint32_t so, uint32_t dor, bool pending, uint64_t seq)
{
    uint8_t ld[ADJ_ENT];
    bool found;
    adj_list_enc(ld, seq, dor);
    int rc = has_dup(c, pending ? DB_REQ_OUT : DB_FOLLOWING, so, ld, &found);
    if (!rc && !found)
        idx_no_list(c, so, dor, pending);
    return rc;
}

/* ---- step 2: fol_in and rq_in, entry by entry ---- */

int fw_chk_lists_in(fw_chk *c, int db)
{
    dups d;
    int rc = dups_open(c, db, &d);
    if (rc)
        goto out;
    for (; d.rc == 0; dups_key(&d, MDB_NEXT_NODUP)) {
        bool keyed = d.key.mv_size == 4;
        uint32_t owner = keyed ? be32_get(d.key.mv_data) : 0;
        size_t n = 0; /* every duplicate, as mdb_cursor_count */
        do {
            for (size_t i = 0, k = dups_n(&d); i < k && !rc; i++, n++) {
                const uint8_t *e = dups_at(&d, i);
                uint64_t seq;
                uint32_t src;
                if (!keyed || d.odd) {
                    fw_chk_problem(c, "%s: malformed entry", LIST_NAME[db]);
                } else if (!adj_is_list(e)) {
                    fw_chk_problem(c, "%s: index entry in a list table", LIST_NAME[db]);
                } else {
                    adj_list_dec(e, &seq, &src);
                    entry_users(c, db, owner, src);
                    if (src < c->n)
                        c->src_n[src]++;
                    else
                        rc = slow_list(c, db, owner, src, seq);
                }
            }
        } while (!rc && !(rc = dups_page(&d)));
        if (rc != MDB_NOTFOUND)
            goto out;
        rc = 0;
        if (keyed && db == DB_FOLLOWERS && owner < c->n && (c->flags[owner] & U_READABLE)) {
            c->flags[owner] |= U_FOLLOWERS;
            if ((rc = fw_chk_count(c, owner, true, n)))
                goto out;
        }
    }
    rc = d.rc;
out:
    mdb_cursor_close(d.cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- step 3: one range of sources ---- */

/* Room for more edges after v->n. */
static int edges_room(edges *v, size_t more)
{
    if (v->cap - v->n >= more)
        return 0;
    size_t cap = v->cap ? v->cap : 256;
    while (cap - v->n < more)
        cap *= 2;
    edge *e = realloc(v->e, cap * sizeof(*e));
    if (!e)
        return ENOMEM;
    v->e = e, v->cap = cap;
    return 0;
}

static int edges_push(edges *v, uint64_t seq, uint32_t dst, uint32_t kind)
{
    int rc = edges_room(v, 1);
    if (!rc)
        v->e[v->n++] = (edge){seq, dst, kind};
    return rc;
}

/* Puts the entries of db whose source is in [lo, hi) into their source's bucket. */
static int bucket_in(fw_chk *c, int db, uint32_t lo, uint32_t hi)
{
    uint32_t kind = db == DB_FOLLOWERS ? K_FOLLOWER : K_REQ_IN;
    dups d;
    int rc = dups_open(c, db, &d);
    for (; !rc && d.rc == 0; dups_key(&d, MDB_NEXT_NODUP)) {
        if (d.key.mv_size != 4 || d.odd)
            continue;
        uint32_t owner = be32_get(d.key.mv_data);
        do {
            for (size_t i = 0, k = dups_n(&d); i < k; i++) {
                const uint8_t *e = dups_at(&d, i);
                uint32_t src = be32_get(e + 6);
                uint64_t seq;
                if (src < lo || src >= hi || !adj_is_list(e))
                    continue;
                adj_list_dec(e, &seq, &src);
                c->bucket.e[c->src_n[src]++] = (edge){seq, owner, kind};
            }
        } while (!(rc = dups_page(&d)));
        rc = rc == MDB_NOTFOUND ? 0 : rc;
    }
    if (!rc && d.rc != MDB_NOTFOUND)
        rc = d.rc;
    mdb_cursor_close(d.cur);
    return rc;
}

/* Every entry under fol_out's or rq_out's current key: its own checks, then
 * into c->pair (fast) or the lookups. *nlist counts the list entries. */
static int out_key(fw_chk *c, int db, dups *d, bool fast, size_t *nlist)
{
    bool keyed = d->key.mv_size == 4;
    uint32_t so = keyed ? be32_get(d->key.mv_data) : 0;
    int rc = 0;
    do {
        for (size_t i = 0, k = dups_n(d); i < k && !rc; i++) {
            const uint8_t *e = dups_at(d, i);
            uint32_t dor;
            uint64_t seq;
            bool pending;
            if (!keyed || d->odd) {
                fw_chk_problem(c, "%s: malformed entry", LIST_NAME[db]);
            } else if (adj_is_list(e)) {
                adj_list_dec(e, &seq, &dor);
                ++*nlist;
                entry_users(c, db, so, dor);
                rc = fast ? edges_push(&c->pair, seq, dor, db == DB_FOLLOWING ? K_FOLLOWING : K_REQ_OUT)
                          : slow_list(c, db, so, dor, seq);
            } else if (db != DB_FOLLOWING) {
                fw_chk_problem(c, "%s: index entry in a list table", LIST_NAME[db]);
            } else {
                adj_idx_dec(e, &dor, &pending, &seq);
                bool look = idx_own(c, so, dor, seq);
                if (fast) /* sequence 0 stays: it is the pair's relation state (malformed) */
                    rc = edges_push(&c->pair, seq, dor, pending ? K_IDX_PENDING : K_IDX_FOLLOW);
                else if (look)
                    rc = slow_idx(c, so, dor, pending, seq);
            }
        }
    } while (!rc && !(rc = dups_page(d)));
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* LMDB's default key order (memcmp, then length) of key against be32(s). */
static int key_cmp(const MDB_val *key, uint32_t s)
{
    uint8_t k[4];
    be32_put(k, s);
    int r = memcmp(key->mv_data, k, key->mv_size < 4 ? key->mv_size : 4);
    return r ? r : (int)key->mv_size - 4;
}

/* Reads source s's key of an out table, and every malformed key before it. */
static int out_upto(fw_chk *c, int db, dups *d, uint32_t s, size_t *nlist)
{
    int rc = 0;
    for (int cmp; !rc && d->rc == 0 && (cmp = key_cmp(&d->key, s)) <= 0; dups_key(d, MDB_NEXT_NODUP))
        rc = out_key(c, db, d, cmp == 0, nlist);
    return rc ? rc : d->rc == MDB_NOTFOUND ? 0 : d->rc;
}

static bool edge_lt(const edge *a, const edge *b)
{
    return a->dst != b->dst ? a->dst < b->dst : a->kind != b->kind ? a->kind < b->kind : a->seq < b->seq;
}

static void edge_swap(edge *a, edge *b)
{
    edge t = *a;
    *a = *b;
    *b = t;
}

/* Quicksort (median of three, the smaller side first so the stack stays
 * O(log n)) down to runs of 16, which insertion sort finishes. */
static void edges_sort(edge *e, size_t n)
{
    while (n > 16) {
        size_t m = n / 2, i = 0, j = n - 1;
        if (edge_lt(&e[m], &e[0]))
            edge_swap(&e[m], &e[0]);
        if (edge_lt(&e[n - 1], &e[m])) {
            edge_swap(&e[n - 1], &e[m]);
            if (edge_lt(&e[m], &e[0]))
                edge_swap(&e[m], &e[0]);
        }
        edge p = e[m];
        for (;;) { /* Hoare partition: e[0, j] <= p <= e[j + 1, n) */
            while (edge_lt(&e[i], &p))
                i++;
            while (edge_lt(&p, &e[j]))
                j--;
            if (i >= j)
                break;
            edge_swap(&e[i++], &e[j--]);
        }
        size_t left = j + 1;
        if (left < n - left) {
            edges_sort(e, left);
            e += left, n -= left;
        } else {
            edges_sort(e + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        edge x = e[i];
        size_t j = i;
        for (; j > 0 && edge_lt(&x, &e[j - 1]); j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

/* Whether e[lo, hi) (sorted by seq) has seq. */
static bool has_seq(const edge *e, size_t lo, size_t hi, uint64_t seq)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].seq < seq)
            lo = mid + 1;
        else if (e[mid].seq > seq)
            hi = mid;
        else
            return true;
    }
    return false;
}

/* Compares the copies of every (s, dst) pair in c->pair. */
static void pair_check(fw_chk *c, uint32_t s)
{
    edge *e = c->pair.e;
    size_t n = c->pair.n;
    edges_sort(e, n);
    for (size_t i = 0, j; i < n; i = j) {
        uint32_t dst = e[i].dst;
        size_t b[K_COUNT + 1]; /* kind k is e[b[k], b[k + 1]) */
        b[0] = i;
        for (int k = 0; k < K_COUNT; k++)
            for (b[k + 1] = b[k]; b[k + 1] < n && e[b[k + 1]].dst == dst && e[b[k + 1]].kind == (uint32_t)k;)
                b[k + 1]++;
        j = b[K_COUNT];
        /* the relation is the pair's first index entry, as fw_lmdb_rel_get_ord finds it */
        int st = 0;
        uint64_t rseq = 0;
        if (b[K_IDX_FOLLOW] < j) {
            const edge *r = &e[b[K_IDX_FOLLOW]];
            st = !r->seq ? -1 : r->kind == K_IDX_PENDING ? FW_REL_PENDING : FW_REL_FOLLOWING;
            rseq = r->seq;
        }
        for (int k = K_FOLLOWER; k <= K_REQ_OUT; k++) {
            int db = KIND_DB[k], m = k ^ 2;
            uint32_t oo = owner_is_src(db) ? s : dst, ot = owner_is_src(db) ? dst : s;
            for (size_t x = b[k]; x < b[k + 1]; x++) {
                if (!has_seq(e, b[m], b[m + 1], e[x].seq))
                    no_mirror(c, db, oo, ot, e[x].seq);
                entry_rel(c, db, oo, ot, e[x].seq, st, rseq);
            }
        }
        for (int k = K_IDX_FOLLOW; k <= K_IDX_PENDING; k++)
            for (size_t x = b[k]; x < b[k + 1]; x++)
                if (e[x].seq && !has_seq(e, b[k - 2], b[k - 1], e[x].seq))
                    idx_no_list(c, s, dst, k == K_IDX_PENDING);
    }
}

/* Step 3: the sources in ranges of at most cap bucketed entries. */
int fw_chk_pairs(fw_chk *c, size_t budget, unsigned *ranges)
{
    dups fo = {0}, ro = {0};
    int rc = dups_open(c, DB_FOLLOWING, &fo);
    if (rc || (rc = dups_open(c, DB_REQ_OUT, &ro)))
        goto out;
    size_t cap = budget / sizeof(edge);
    cap = cap < 1 ? 1 : cap > UINT32_MAX / 2 ? UINT32_MAX / 2 : cap; /* offsets are u32 */
    for (uint32_t lo = 0, hi; lo < c->n && !rc; lo = hi) {
        size_t total = c->src_n[lo];
        for (hi = lo + 1; hi < c->n && total + c->src_n[hi] <= cap; hi++)
            total += c->src_n[hi];
        uint32_t at = 0; /* counts become bucket starts, then ends */
        for (uint32_t s = lo; s < hi; s++) {
            uint32_t k = c->src_n[s];
            c->src_n[s] = at;
            at += k;
        }
        if (total) {
            if (total > c->bucket.cap) {
                free(c->bucket.e);
                c->bucket.cap = 0;
                if (!(c->bucket.e = malloc(total * sizeof(edge)))) {
                    rc = ENOMEM;
                    break;
                }
                c->bucket.cap = total;
            }
            if ((rc = bucket_in(c, DB_FOLLOWERS, lo, hi)) || (rc = bucket_in(c, DB_REQ_IN, lo, hi)))
                break;
            ++*ranges;
        }
        for (uint32_t s = lo, start = 0; s < hi && !rc; start = c->src_n[s++]) {
            size_t following = 0, requests = 0;
            c->pair.n = 0;
            if ((rc = edges_room(&c->pair, c->src_n[s] - start)))
                break;
            if (c->src_n[s] > start)
                memcpy(c->pair.e, c->bucket.e + start, (c->src_n[s] - start) * sizeof(edge));
            c->pair.n = c->src_n[s] - start;
            if ((rc = out_upto(c, DB_FOLLOWING, &fo, s, &following)) ||
                (rc = out_upto(c, DB_REQ_OUT, &ro, s, &requests)))
                break;
            if (c->flags[s] & U_READABLE)
                rc = fw_chk_count(c, s, false, following);
            pair_check(c, s);
        }
    }
    /* keys past the arrays (and malformed keys after the last slot) */
    for (size_t nl = 0; !rc && fo.rc == 0; dups_key(&fo, MDB_NEXT_NODUP))
        rc = out_key(c, DB_FOLLOWING, &fo, false, &nl);
    for (size_t nl = 0; !rc && ro.rc == 0; dups_key(&ro, MDB_NEXT_NODUP))
        rc = out_key(c, DB_REQ_OUT, &ro, false, &nl);
    if (!rc)
        rc = fo.rc != MDB_NOTFOUND ? fo.rc : ro.rc != MDB_NOTFOUND ? ro.rc : 0;
out:
    mdb_cursor_close(ro.cur);
    mdb_cursor_close(fo.cur);
    return rc;
}
