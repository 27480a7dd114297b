/* fw_store_check for the LMDB backend: walks every user, username, list entry
 * and relation in one read snapshot and reports each broken invariant (see
 * store.h) as one line. Read-only.
 *
 * Its cost is sequential walks of the tables plus in-memory sorting; no B-tree
 * descent per edge:
 *  1. urec is walked into per-ordinal arrays (readable, protected, id, both
 *     counters) for the ordinals below N = min(meta next_ord, largest ordinal
 *     + 1); uid is walked against them, unames with one urec lookup per name
 *     (per user, not per edge). This file.
 *  2. fol_in and rq_in are walked: every entry is checked against the arrays
 *     and counted for its owner's followers_count and for its source.
 *  3. The sources are cut into ordinal ranges whose entries fit the budget.
 *     Per range, fol_in and rq_in are walked again and the entries whose
 *     source is in the range are bucketed by source (a counting sort on step
 *     2's counts); fol_out and rq_out are walked along (one forward cursor each
 *     over all ranges). Per source, its bucket, its fol_out index and list
 *     entries and its rq_out entries are sorted by (dst, kind, seq), so every
 *     mirror and relation lookup is a binary search among the entries of one
 *     (src, dst) pair. Steps 2 and 3: lmdb_check_edges.c.
 * Entries under or naming ordinals >= N (only a corrupt database has them) get
 * the per-entry lookups instead. Tables are read a page of duplicates at a
 * time (MDB_GET_MULTIPLE).
 *
 * Memory: 21 bytes per ordinal below N, plus one range's bucket (16 bytes per
 * fol_in/rq_in entry, at most the budget, FW_LMDB_CHECK_BUDGET = 256 MiB, i.e.
 * 16.7 M entries, unless a single source has more), plus 16 bytes per entry of
 * the largest single source (its bucket, fol_out and rq_out entries). At 10 M
 * users / 100 M edges: 210 MB + 256 MB, with fol_in walked 1 + 6 times
 * (estimated; 1 M users / 10 M edges, measured: 3.6-4.2 s, 1 range). */
#include "store/lmdb_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((format(printf, 2, 3))) void fw_chk_problem(fw_chk *c, const char *fmt, ...)
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

/* ---- users by ordinal: the arrays, or a lookup past them ---- */

/* Whether ordinal ord has a readable record; its id (0 if not) and protected flag. */
bool fw_chk_user_at(fw_chk *c, uint32_t ord, uint64_t *id, bool *prot)
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
uint64_t fw_chk_id_of(fw_chk *c, uint32_t ord)
{
    uint64_t id;
    if (ord < c->n)
        return c->flags[ord] & U_ID ? c->id[ord] : 0;
    return fw_lmdb_ord_id(c->txn, c->s, ord, &id) == FW_OK ? id : 0;
}

int fw_chk_seek(fw_chk *c, int db, uint32_t owner, MDB_val *val, MDB_cursor_op op, MDB_cursor **cur, int *pos)
{
    int rc = mdb_cursor_open(c->txn, c->s->dbi[db], cur);
    if (rc)
        return rc;
    uint8_t k[4];
    be32_put(k, owner);
    MDB_val key = {4, k};
    *pos = mdb_cursor_get(*cur, &key, val, op);
    return 0;
}

/* Number of list entries under owner in a list db (fol_out's index entries
 * are not counted): for users past the arrays. */
static int list_len(fw_chk *c, int db, uint32_t owner, size_t *n)
{
    MDB_cursor *cur;
    MDB_val key, v;
    int rc;
    *n = 0;
    int orc = fw_chk_seek(c, db, owner, &v, MDB_SET_KEY, &cur, &rc);
    if (orc)
        return orc;
    if (rc == 0 && db != DB_FOLLOWING)
        rc = mdb_cursor_count(cur, n);
    else if (rc == 0)
        for (rc = mdb_cursor_get(cur, &key, &v, MDB_LAST_DUP);
             rc == 0 && v.mv_size == ADJ_ENT && adj_is_list(v.mv_data);
             rc = mdb_cursor_get(cur, &key, &v, MDB_PREV_DUP))
            ++*n;
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- users ---- */

static void name_not_indexed(fw_chk *c, uint64_t id, const char *lname)
{
    fw_chk_problem(c, "user %" PRIu64 ": username '%s' not indexed to it", id, lname);
}

static void uid_problem(fw_chk *c, uint64_t id, uint32_t ord)
{
    uint32_t back;
    if (fw_lmdb_user_ord(c->txn, c->s, id, &back) != FW_OK)
        fw_chk_problem(c, "user %" PRIu64 ": no ordinal", id);
    else if (back != ord)
        fw_chk_problem(c, "user %" PRIu64 ": ordinal %" PRIu32 " does not map back to it", id, ord);
}

static void count_problem(fw_chk *c, const fw_user *u, bool followers, size_t n)
{
    if (followers && n != u->followers_count)
        fw_chk_problem(c, "user %" PRIu64 ": followers_count %" PRIu64 " but %zu followers", u->id, u->followers_count,
                       n);
    else if (!followers && n != u->following_count)
        fw_chk_problem(c, "user %" PRIu64 ": following_count %" PRIu64 " but follows %zu", u->id, u->following_count,
                       n);
}

/* A readable user's counter against its list length n. */
int fw_chk_count(fw_chk *c, uint32_t ord, bool followers, size_t n)
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
static int user_past(fw_chk *c, uint32_t ord, const fw_user *u)
{
    char lname[FW_USERNAME_MAX + 1];
    MDB_val nk, nv;
    if (!fw_rec_username_key(u->username, lname)) {
        fw_chk_problem(c, "user %" PRIu64 ": invalid username", u->id);
    } else {
        nk = (MDB_val){strlen(lname), lname};
        if (mdb_get(c->txn, c->s->dbi[DB_UNAMES], &nk, &nv) || nv.mv_size != 4 || be32_get(nv.mv_data) != ord)
            name_not_indexed(c, u->id, lname);
    }
    uid_problem(c, u->id, ord);
    if (ord >= c->next_ord)
        fw_chk_problem(c, "user %" PRIu64 ": ordinal %" PRIu32 " not below meta next_ord %" PRIu32, u->id, ord,
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

static uint32_t clamp32(uint64_t v)
{
    return v < UINT32_MAX ? (uint32_t)v : UINT32_MAX;
}

/* Step 1: urec into the arrays. */
static int scan_users(fw_chk *c)
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
            fw_chk_problem(c, "user with ordinal %" PRIu32 ": unreadable record", ord);
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
static int scan_uid(fw_chk *c)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_UID], &cur);
    if (rc)
        return rc;
    MDB_val key, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size != 8 || v.mv_size != 4) {
            fw_chk_problem(c, "uid: malformed entry");
            continue;
        }
        uint64_t id = be64_get(key.mv_data), back = 0;
        uint32_t ord = be32_get(v.mv_data);
        bool ok =
            ord < c->n ? (back = c->id[ord], c->flags[ord] & U_ID) : fw_lmdb_ord_id(c->txn, c->s, ord, &back) == FW_OK;
        if (!ok)
            fw_chk_problem(c, "uid: ordinal %" PRIu32 " of missing user %" PRIu64, ord, id);
        else if (back != id)
            fw_chk_problem(c, "ordinal %" PRIu32 ": user %" PRIu64 " does not have it", ord, id);
        else if (ord < c->n && ord <= ADJ_ORD_MAX)
            c->flags[ord] |= U_UID; /* what fw_lmdb_user_ord(id) finds */
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every name points to a user of that name (one lookup per name). */
static int scan_unames(fw_chk *c)
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
            fw_chk_problem(c, "username '%.*s': points to a missing user", kl, (const char *)key.mv_data);
        else if (!fw_rec_username_key(u.username, lname) || strlen(lname) != key.mv_size ||
                 memcmp(lname, key.mv_data, key.mv_size) != 0)
            fw_chk_problem(c, "username '%.*s': user %" PRIu64 " is named otherwise", kl, (const char *)key.mv_data,
                           u.id);
        else if (ord < c->n)
            c->flags[ord] |= U_NAME_INDEXED; /* what the lookup of its name finds */
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The per-user checks the walks marked: names, uid, a follower count of 0. */
static int report_users(fw_chk *c)
{
    for (uint32_t o = 0; o < c->n; o++) {
        uint8_t f = c->flags[o];
        if (!(f & U_READABLE))
            continue;
        if (!(f & U_NAME_VALID)) {
            fw_chk_problem(c, "user %" PRIu64 ": invalid username", c->id[o]);
        } else if (!(f & U_NAME_INDEXED)) {
            fw_user u;
            char lname[FW_USERNAME_MAX + 1];
            if (fw_lmdb_user_get_ord(c->txn, c->s, o, &u) != FW_OK || !fw_rec_username_key(u.username, lname))
                return MDB_CORRUPTED;
            name_not_indexed(c, u.id, lname);
        }
        if (!(f & U_UID))
            uid_problem(c, c->id[o], o);
        int rc = f & U_FOLLOWERS ? 0 : fw_chk_count(c, o, true, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* The edge sequence counter is ahead of every edge: a counter behind would hand
 * out numbers already in use, and keyset paging needs them unique and growing. */
static int check_seq(fw_chk *c)
{
    MDB_val k = {8, "edge_seq"}, v;
    uint64_t last = 0;
    int rc = mdb_get(c->txn, c->s->dbi[DB_META], &k, &v);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (!rc && v.mv_size != 8) {
        fw_chk_problem(c, "meta edge_seq: malformed");
        return 0;
    }
    if (!rc)
        last = le64_get(v.mv_data);
    if (last < c->max_seq)
        fw_chk_problem(c, "meta edge_seq %" PRIu64 " is behind edge seq %" PRIu64, last, c->max_seq);
    return 0;
}

/* N: ordinals below meta next_ord and up to the largest record's. */
static int slots(fw_chk *c)
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
    fw_chk c = {.s = s, .report = report, .ctx = ctx};
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
        fw_chk_problem(&c, "meta next_ord: malformed");
    c.next_ord = !rc && v.mv_size == 4 ? le32_get(v.mv_data) : 0;
    if (!(rc = slots(&c)) && !(rc = scan_users(&c)) && !(rc = scan_uid(&c)) && !(rc = scan_unames(&c)) &&
        !(rc = fw_chk_lists_in(&c, DB_FOLLOWERS)) && !(rc = fw_chk_lists_in(&c, DB_REQ_IN)) &&
        !(rc = report_users(&c)) && !(rc = fw_chk_pairs(&c, budget, &nr)))
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
