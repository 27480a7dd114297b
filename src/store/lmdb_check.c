/* fw_store_check for the LMDB backend: walks every user, username, list entry
 * and relation in one read snapshot and reports each broken invariant (see
 * store.h) as one line. Read-only.
 *
 * Its cost is sequential walks of the tables plus in-memory sorting; no B-tree
 * descent per edge:
 *  1. urec is walked into per-ordinal arrays (readable, protected, id, both
 *     counters) for the N = min(meta next_ord, largest ordinal + 1) ordinals
 *     below N; uid is walked against them, unames with one urec lookup per name
 *     (per user, not per edge).
 *  2. fol_in and rq_in are walked: every entry is checked against the arrays
 *     and counted for its owner's followers_count and for its source.
 *  3. The sources are cut into ordinal ranges whose entries fit the budget.
 *     Per range, fol_in and rq_in are walked again and the entries whose
 *     source is in the range are bucketed by source (a counting sort on step
 *     2's counts); fol_out and rq_out are walked along (one forward cursor each
 *     over all ranges). Per source, its bucket, its fol_out index and list
 *     entries and its rq_out entries are sorted by (dst, kind, seq), so every
 *     mirror and relation lookup is a binary search among the entries of one
 *     (src, dst) pair.
 * Entries under or naming ordinals >= N (only a corrupt database has them) get
 * the per-entry lookups instead. Tables are read a page of duplicates at a
 * time (MDB_GET_MULTIPLE).
 *
 * Memory: 21 bytes per ordinal below N, plus one range's bucket (16 bytes per
 * fol_in/rq_in entry, at most the budget, FW_LMDB_CHECK_BUDGET = 256 MiB, i.e.
 * 16.7 M entries, unless a single source has more), plus 16 bytes per entry of
 * the largest single source (its bucket, fol_out and rq_out entries). At 10 M
 * users / 100 M edges: 210 MB + 256 MB, with fol_in walked 1 + 6 times. */
#include "store/lmdb_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* What step 1 learnt about an ordinal below N. */
enum {
    U_READABLE = 1,       /* its record unpacks */
    U_ID = 2,             /* its record's id can be read (fw_lmdb_ord_id) */
    U_PROTECTED = 4,
    U_NAME_VALID = 8,     /* its username has a lower-cased key */
    U_NAME_INDEXED = 16,  /* unames maps that key to this ordinal */
    U_UID = 32,           /* uid maps its id to this ordinal */
    U_FOLLOWERS = 64      /* fol_in has its key: followers_count checked there */
};

/* One copy of an edge, seen from its source (src, dst): the kinds in the
 * order the copies of one pair are sorted in. The first four are list entries
 * (KIND_DB), a list kind's mirror is kind ^ 2, an index kind's list kind - 2. */
enum { K_FOLLOWER, K_REQ_IN, K_FOLLOWING, K_REQ_OUT, K_IDX_FOLLOW, K_IDX_PENDING, K_COUNT };
static const int KIND_DB[4] = {DB_FOLLOWERS, DB_REQ_IN, DB_FOLLOWING, DB_REQ_OUT};

typedef struct edge {
    uint64_t seq;
    uint32_t dst;
    uint32_t kind;
} edge;

typedef struct edges {
    edge *e;
    size_t n, cap;
} edges;

typedef struct chk {
    fw_store *s;
    MDB_txn *txn;
    void (*report)(void *ctx, const char *line);
    void *ctx;
    int problems;
    uint64_t max_seq; /* largest edge sequence number in the index */
    uint32_t next_ord; /* meta next_ord */
    uint32_t n;        /* N: ordinals with a slot in the arrays */
    uint8_t *flags;    /* U_* */
    uint64_t *id;      /* with U_ID */
    uint32_t *rec_in, *rec_out; /* the record's counters, UINT32_MAX for any larger */
    uint32_t *src_n;   /* fol_in + rq_in entries from the source; bucket ends in step 3 */
    edges bucket, pair; /* one range's bucket; one source's copies */
} chk;

__attribute__((format(printf, 2, 3))) static void problem(chk *c, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->problems++;
    if (c->report)
        c->report(c->ctx, line);
}

static const char *const LIST_NAME[DB_COUNT] = {
    [DB_FOLLOWERS] = "followers", [DB_FOLLOWING] = "following", [DB_REQ_IN] = "req_in", [DB_REQ_OUT] = "req_out"};

static int mirror_of(int db)
{
    return db == DB_FOLLOWERS ? DB_FOLLOWING : db == DB_FOLLOWING ? DB_FOLLOWERS : db == DB_REQ_IN ? DB_REQ_OUT
                                                                                                 : DB_REQ_IN;
}

static bool owner_is_src(int db) { return db == DB_FOLLOWING || db == DB_REQ_OUT; }

static uint8_t rel_state_of(int db) { return db == DB_REQ_IN || db == DB_REQ_OUT ? FW_REL_PENDING : FW_REL_FOLLOWING; }

/* ---- users by ordinal: the arrays, or a lookup past them ---- */

/* Whether ordinal ord has a readable record; its id (0 if not) and protected flag. */
static bool user_at(chk *c, uint32_t ord, uint64_t *id, bool *prot)
{
    if (ord < c->n) {
        uint8_t f = c->flags[ord];
        *id = f & U_READABLE ? c->id[ord] : 0;
        *prot = f & U_PROTECTED;
        return f & U_READABLE;
    }
    fw_user u;
    bool ok = fw_lmdb_user_get_ord(c->txn, c->s, ord, &u) == FW_OK;
    *id = ok ? u.id : 0;
    *prot = ok && (u.flags & FW_USER_PROTECTED);
    return ok;
}

/* The user an ordinal names, for messages (0 if none). */
static uint64_t id_of(chk *c, uint32_t ord)
{
    uint64_t id;
    if (ord < c->n)
        return c->flags[ord] & U_ID ? c->id[ord] : 0;
    return fw_lmdb_ord_id(c->txn, c->s, ord, &id) == FW_OK ? id : 0;
}

static uint64_t rec_id(chk *c, uint32_t ord)
{
    uint64_t id;
    bool prot;
    user_at(c, ord, &id, &prot);
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

static size_t dups_n(const dups *d) { return d->odd ? 1 : d->v.mv_size / ADJ_ENT; }

static const uint8_t *dups_at(const dups *d, size_t i) { return (const uint8_t *)d->v.mv_data + i * ADJ_ENT; }

static int dups_open(chk *c, int db, dups *d)
{
    *d = (dups){0};
    int rc = mdb_cursor_open(c->txn, c->s->dbi[db], &d->cur);
    return rc ? rc : dups_key(d, MDB_FIRST) == MDB_NOTFOUND ? 0 : d->rc;
}

/* ---- messages shared by the walks and the lookups ---- */

/* Both users of list entry (owner, other) in db exist and differ. */
static void entry_users(chk *c, int db, uint32_t oo, uint32_t ot)
{
    if (oo != ot && oo < c->n && ot < c->n) { /* the usual case: two flags, no ids */
        uint8_t fo = c->flags[oo], ft = c->flags[ot];
        if ((fo & ft & U_READABLE) && (db != DB_REQ_IN || (fo & U_PROTECTED)))
            return;
    }
    const char *name = LIST_NAME[db];
    uint64_t owner, other;
    bool oprot, tprot;
    bool has_owner = user_at(c, oo, &owner, &oprot), has_other = user_at(c, ot, &other, &tprot);
    if (oo == ot)
        problem(c, "%s of %" PRIu64 ": self-edge", name, owner);
    if (!has_owner)
        problem(c, "%s of %" PRIu64 ": owner does not exist (ordinal %" PRIu32 ")", name, owner, oo);
    else if (db == DB_REQ_IN && !oprot)
        /* making an account public accepts every request in the same txn,
         * so a request left to a public account could never be answered */
        problem(c, "%s of %" PRIu64 ": request %" PRIu64 " to a public account", name, owner, other);
    if (!has_other)
        problem(c, "%s of %" PRIu64 ": entry %" PRIu64 " does not exist (ordinal %" PRIu32 ")", name, owner, other,
                ot);
}

static void no_mirror(chk *c, int db, uint32_t oo, uint32_t ot, uint64_t seq)
{
    problem(c, "%s of %" PRIu64 ": %" PRIu64 " (seq %" PRIu64 ") has no mirror in %s", LIST_NAME[db], rec_id(c, oo),
            rec_id(c, ot), seq, LIST_NAME[mirror_of(db)]);
}

/* List entry (oo, ot, seq) of db against the relation index's state st
 * (-1: malformed) and sequence rseq of its pair. */
static void entry_rel(chk *c, int db, uint32_t oo, uint32_t ot, uint64_t seq, int st, uint64_t rseq)
{
    uint8_t state = rel_state_of(db);
    uint32_t src = owner_is_src(db) ? oo : ot, dst = owner_is_src(db) ? ot : oo;
    if (st != state || rseq != seq)
        problem(c, "%s of %" PRIu64 ": relation %" PRIu64 "->%" PRIu64 " is state %d seq %" PRIu64
                   ", expected %d seq %" PRIu64,
                LIST_NAME[db], rec_id(c, oo), id_of(c, src), id_of(c, dst), st, rseq, state, seq);
}

/* An index entry's own checks; false for sequence 0, which has no list entry to look for. */
static bool idx_own(chk *c, uint32_t so, uint32_t dor, uint64_t seq)
{
    if (seq > c->max_seq)
        c->max_seq = seq;
    if (so == dor)
        problem(c, "rel %" PRIu64 "->%" PRIu64 ": self-edge", id_of(c, so), id_of(c, dor));
    if (!seq)
        problem(c, "rel %" PRIu64 "->%" PRIu64 ": sequence 0", id_of(c, so), id_of(c, dor));
    return seq != 0;
}

static void idx_no_list(chk *c, uint32_t so, uint32_t dor, bool pending)
{
    problem(c, "rel %" PRIu64 "->%" PRIu64 ": %s without its list entry", id_of(c, so), id_of(c, dor),
            pending ? "request" : "follow");
}

/* ---- per-entry lookups, for entries past the arrays ---- */

/* Whether db holds the 10-byte duplicate d under owner. */
static int has_dup(chk *c, int db, uint32_t owner, const uint8_t *d, bool *found)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[db], &cur);
    if (rc)
        return rc;
    uint8_t k[4];
    be32_put(k, owner);
    MDB_val key = {4, k}, val = {ADJ_ENT, (void *)d};
    *found = mdb_cursor_get(cur, &key, &val, MDB_GET_BOTH) == 0;
    mdb_cursor_close(cur);
    return 0;
}

static int slow_list(chk *c, int db, uint32_t oo, uint32_t ot, uint64_t seq)
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

static int slow_idx(chk *c, uint32_t so, uint32_t dor, bool pending, uint64_t seq)
{
    uint8_t ld[ADJ_ENT];
    bool found;
    adj_list_enc(ld, seq, dor);
    int rc = has_dup(c, pending ? DB_REQ_OUT : DB_FOLLOWING, so, ld, &found);
    if (!rc && !found)
        idx_no_list(c, so, dor, pending);
    return rc;
}

/* Number of list entries under owner in a list db (fol_out's index entries
 * are not counted): for users past the arrays. */
static int list_len(chk *c, int db, uint32_t owner, size_t *n)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[db], &cur);
    if (rc)
        return rc;
    uint8_t k[4];
    be32_put(k, owner);
    MDB_val key = {4, k}, v;
    *n = 0;
    rc = mdb_cursor_get(cur, &key, &v, MDB_SET_KEY);
    if (rc == 0 && db != DB_FOLLOWING)
        rc = mdb_cursor_count(cur, n);
    else if (rc == 0)
        for (rc = mdb_cursor_get(cur, &key, &v, MDB_LAST_DUP); rc == 0 && v.mv_size == ADJ_ENT && adj_is_list(v.mv_data);
             rc = mdb_cursor_get(cur, &key, &v, MDB_PREV_DUP))
            ++*n;
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- users ---- */

static void name_not_indexed(chk *c, uint64_t id, const char *lname)
{
    problem(c, "user %" PRIu64 ": username '%s' not indexed to it", id, lname);
}

static void uid_problem(chk *c, uint64_t id, uint32_t ord)
{
    uint32_t back;
    if (fw_lmdb_user_ord(c->txn, c->s, id, &back) != FW_OK)
        problem(c, "user %" PRIu64 ": no ordinal", id);
    else if (back != ord)
        problem(c, "user %" PRIu64 ": ordinal %" PRIu32 " does not map back to it", id, ord);
}

static void count_problem(chk *c, const fw_user *u, bool followers, size_t n)
{
    if (followers && n != u->followers_count)
        problem(c, "user %" PRIu64 ": followers_count %" PRIu64 " but %zu followers", u->id, u->followers_count, n);
    else if (!followers && n != u->following_count)
        problem(c, "user %" PRIu64 ": following_count %" PRIu64 " but follows %zu", u->id, u->following_count, n);
}

/* A readable user's counter against its list length n. */
static int count_check(chk *c, uint32_t ord, bool followers, size_t n)
{
    uint32_t r = followers ? c->rec_in[ord] : c->rec_out[ord];
    if (r == n && r != UINT32_MAX)
        return 0;
    fw_user u;
    if (fw_lmdb_user_get_ord(c->txn, c->s, ord, &u) != FW_OK)
        return MDB_CORRUPTED; /* readable a moment ago, in the same snapshot */
    count_problem(c, &u, followers, n);
    return 0;
}

/* Every check of one user past the arrays, by lookups. */
static int user_past(chk *c, uint32_t ord, const fw_user *u)
{
    char lname[FW_USERNAME_MAX + 1];
    MDB_val nk, nv;
    if (!fw_rec_username_key(u->username, lname)) {
        problem(c, "user %" PRIu64 ": invalid username", u->id);
    } else {
        nk = (MDB_val){strlen(lname), lname};
        if (mdb_get(c->txn, c->s->dbi[DB_UNAMES], &nk, &nv) || nv.mv_size != 4 || be32_get(nv.mv_data) != ord)
            name_not_indexed(c, u->id, lname);
    }
    uid_problem(c, u->id, ord);
    if (ord >= c->next_ord)
        problem(c, "user %" PRIu64 ": ordinal %" PRIu32 " not below meta next_ord %" PRIu32, u->id, ord,
                c->next_ord);
    size_t n;
    int rc;
    if ((rc = list_len(c, DB_FOLLOWERS, ord, &n)))
        return rc;
    count_problem(c, u, true, n);
    if ((rc = list_len(c, DB_FOLLOWING, ord, &n)))
        return rc;
    count_problem(c, u, false, n);
    return 0;
}

static uint32_t clamp32(uint64_t v) { return v < UINT32_MAX ? (uint32_t)v : UINT32_MAX; }

/* Step 1: urec into the arrays. */
static int scan_users(chk *c)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_USERS], &cur);
    if (rc)
        return rc;
    MDB_val key, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        fw_user u;
        uint32_t ord = UINT32_MAX;
        if (key.mv_size == 4)
            memcpy(&ord, key.mv_data, 4);
        bool slot = key.mv_size == 4 && ord < c->n;
        if (slot && fw_lmdb_user_id_of(v.mv_data, v.mv_size, &c->id[ord]) == FW_OK)
            c->flags[ord] |= U_ID;
        if (key.mv_size != 4 || fw_lmdb_user_unpack(v.mv_data, v.mv_size, &u) < 0) {
            problem(c, "user with ordinal %" PRIu32 ": unreadable record", ord);
            continue;
        }
        if (!slot) {
            if ((rc = user_past(c, ord, &u)))
                break;
            continue;
        }
        char lname[FW_USERNAME_MAX + 1];
        c->id[ord] = u.id;
        c->flags[ord] |= U_READABLE | (u.flags & FW_USER_PROTECTED ? U_PROTECTED : 0) |
                         (fw_rec_username_key(u.username, lname) ? U_NAME_VALID : 0);
        c->rec_in[ord] = clamp32(u.followers_count);
        c->rec_out[ord] = clamp32(u.following_count);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every id's ordinal names a record of that id. */
static int scan_uid(chk *c)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_UID], &cur);
    if (rc)
        return rc;
    MDB_val key, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size != 8 || v.mv_size != 4) {
            problem(c, "uid: malformed entry");
            continue;
        }
        uint64_t id = be64_get(key.mv_data), back = 0;
        uint32_t ord = be32_get(v.mv_data);
        bool ok = ord < c->n ? (back = c->id[ord], c->flags[ord] & U_ID)
                             : fw_lmdb_ord_id(c->txn, c->s, ord, &back) == FW_OK;
        if (!ok)
            problem(c, "uid: ordinal %" PRIu32 " of missing user %" PRIu64, ord, id);
        else if (back != id)
            problem(c, "ordinal %" PRIu32 ": user %" PRIu64 " does not have it", ord, id);
        else if (ord < c->n && ord <= ADJ_ORD_MAX)
            c->flags[ord] |= U_UID; /* what fw_lmdb_user_ord(id) finds */
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every name points to a user of that name (one lookup per name). */
static int scan_unames(chk *c)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_UNAMES], &cur);
    if (rc)
        return rc;
    MDB_val key, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        int kl = key.mv_size > 32 ? 32 : (int)key.mv_size;
        fw_user u;
        char lname[FW_USERNAME_MAX + 1];
        uint32_t ord = v.mv_size == 4 ? be32_get(v.mv_data) : 0;
        if (v.mv_size != 4 || fw_lmdb_user_get_ord(c->txn, c->s, ord, &u) != FW_OK)
            problem(c, "username '%.*s': points to a missing user", kl, (const char *)key.mv_data);
        else if (!fw_rec_username_key(u.username, lname) || strlen(lname) != key.mv_size ||
                 memcmp(lname, key.mv_data, key.mv_size) != 0)
            problem(c, "username '%.*s': user %" PRIu64 " is named otherwise", kl, (const char *)key.mv_data, u.id);
        else if (ord < c->n)
            c->flags[ord] |= U_NAME_INDEXED; /* what the lookup of its name finds */
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The per-user checks the walks marked: names, uid, a follower count of 0. */
static int report_users(chk *c)
{
    for (uint32_t o = 0; o < c->n; o++) {
        uint8_t f = c->flags[o];
        if (!(f & U_READABLE))
            continue;
        if (!(f & U_NAME_VALID)) {
            problem(c, "user %" PRIu64 ": invalid username", c->id[o]);
        } else if (!(f & U_NAME_INDEXED)) {
            fw_user u;
            char lname[FW_USERNAME_MAX + 1];
            if (fw_lmdb_user_get_ord(c->txn, c->s, o, &u) != FW_OK || !fw_rec_username_key(u.username, lname))
                return MDB_CORRUPTED;
            name_not_indexed(c, u.id, lname);
        }
        if (!(f & U_UID))
            uid_problem(c, c->id[o], o);
        int rc = f & U_FOLLOWERS ? 0 : count_check(c, o, true, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- step 2: fol_in and rq_in, entry by entry ---- */

static int scan_in(chk *c, int db)
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
                    problem(c, "%s: malformed entry", LIST_NAME[db]);
                } else if (!adj_is_list(e)) {
                    problem(c, "%s: index entry in a list table", LIST_NAME[db]);
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
            if ((rc = count_check(c, owner, true, n)))
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
static int bucket_in(chk *c, int db, uint32_t lo, uint32_t hi)
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
static int out_key(chk *c, int db, dups *d, bool fast, size_t *nlist)
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
                problem(c, "%s: malformed entry", LIST_NAME[db]);
            } else if (adj_is_list(e)) {
                adj_list_dec(e, &seq, &dor);
                ++*nlist;
                entry_users(c, db, so, dor);
                rc = fast ? edges_push(&c->pair, seq, dor, db == DB_FOLLOWING ? K_FOLLOWING : K_REQ_OUT)
                          : slow_list(c, db, so, dor, seq);
            } else if (db != DB_FOLLOWING) {
                problem(c, "%s: index entry in a list table", LIST_NAME[db]);
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
static int out_upto(chk *c, int db, dups *d, uint32_t s, size_t *nlist)
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
static void pair_check(chk *c, uint32_t s)
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
static int scan_pairs(chk *c, size_t budget, unsigned *ranges)
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
                rc = count_check(c, s, false, following);
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

/* The edge sequence counter is ahead of every edge: a counter behind would hand
 * out numbers already in use, and keyset paging needs them unique and growing. */
static int check_seq(chk *c)
{
    MDB_val k = {8, "edge_seq"}, v;
    uint64_t last = 0;
    int rc = mdb_get(c->txn, c->s->dbi[DB_META], &k, &v);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (!rc && v.mv_size != 8) {
        problem(c, "meta edge_seq: malformed");
        return 0;
    }
    if (!rc)
        last = le64_get(v.mv_data);
    if (last < c->max_seq)
        problem(c, "meta edge_seq %" PRIu64 " is behind edge seq %" PRIu64, last, c->max_seq);
    return 0;
}

/* N: ordinals below meta next_ord and up to the largest record's. */
static int slots(chk *c)
{
    MDB_cursor *cur;
    MDB_val key, v;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_USERS], &cur);
    if (rc)
        return rc;
    rc = mdb_cursor_get(cur, &key, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    uint32_t last;
    if (key.mv_size != 4)
        return 0; /* every record takes the lookups */
    memcpy(&last, key.mv_data, 4);
    c->n = (uint64_t)last + 1 < c->next_ord ? last + 1 : c->next_ord;
    size_t n = c->n ? c->n : 1;
    c->flags = calloc(n, 1);
    c->id = calloc(n, sizeof(*c->id));
    c->rec_in = calloc(n, sizeof(uint32_t));
    c->rec_out = calloc(n, sizeof(uint32_t));
    c->src_n = calloc(n, sizeof(uint32_t));
    return c->flags && c->id && c->rec_in && c->rec_out && c->src_n ? 0 : ENOMEM;
}

int fw_lmdb_check_budget(fw_store *s, size_t budget, unsigned *ranges, void (*report)(void *ctx, const char *line),
                         void *ctx)
{
    chk c = {.s = s, .report = report, .ctx = ctx};
    unsigned nr = 0;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &c.txn))
        return FW_EIO;
    MDB_val k = {8, "next_ord"}, v;
    int rc = mdb_get(c.txn, s->dbi[DB_META], &k, &v);
    if (rc && rc != MDB_NOTFOUND) {
        mdb_txn_abort(c.txn);
        return fw_lmdb_err(rc);
    }
    if (!rc && v.mv_size != 4)
        problem(&c, "meta next_ord: malformed");
    c.next_ord = !rc && v.mv_size == 4 ? le32_get(v.mv_data) : 0;
    if (!(rc = slots(&c)) && !(rc = scan_users(&c)) && !(rc = scan_uid(&c)) && !(rc = scan_unames(&c)) &&
        !(rc = scan_in(&c, DB_FOLLOWERS)) && !(rc = scan_in(&c, DB_REQ_IN)) && !(rc = report_users(&c)) &&
        !(rc = scan_pairs(&c, budget, &nr)))
        rc = check_seq(&c);
    mdb_txn_abort(c.txn);
    free(c.flags);
    free(c.id);
    free(c.rec_in);
    free(c.rec_out);
    free(c.src_n);
    free(c.bucket.e);
    free(c.pair.e);
    if (ranges)
        *ranges = nr;
    return rc ? fw_lmdb_err(rc) : c.problems;
}

int fw_lmdb_check(fw_store *s, void (*report)(void *ctx, const char *line), void *ctx)
{
    return fw_lmdb_check_budget(s, FW_LMDB_CHECK_BUDGET, NULL, report, ctx);
}
