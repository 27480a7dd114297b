/* fw_store_check for the LMDB backend: walks every user, username, list entry
 * and relation in one read snapshot and reports each broken invariant (see
 * store.h) as one line. Read-only; cost is linear in the database size. */
#include "store/lmdb_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

typedef struct chk {
    fw_store *s;
    MDB_txn *txn;
    void (*report)(void *ctx, const char *line);
    void *ctx;
    int problems;
    uint64_t max_seq; /* largest edge sequence number in the index */
    uint32_t next_ord; /* meta next_ord */
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

/* Number of list entries under owner in a list db (fol_out's index entries
 * are not counted). */
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

/* Every record is its id's (uid), its username's, below meta next_ord, and
 * has counters that match its lists. */
static int check_users(chk *c)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_USERS], &cur);
    if (rc)
        return rc;
    MDB_val key, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        fw_user u;
        uint32_t ord = UINT32_MAX, back;
        if (key.mv_size == 4)
            memcpy(&ord, key.mv_data, 4);
        if (key.mv_size != 4 || fw_lmdb_user_unpack(v.mv_data, v.mv_size, &u) < 0) {
            problem(c, "user with ordinal %" PRIu32 ": unreadable record", ord);
            continue;
        }
        uint64_t id = u.id;
        char lname[FW_USERNAME_MAX + 1];
        MDB_val nk, nv;
        if (!fw_rec_username_key(u.username, lname)) {
            problem(c, "user %" PRIu64 ": invalid username", id);
        } else {
            nk = (MDB_val){strlen(lname), lname};
            if (mdb_get(c->txn, c->s->dbi[DB_UNAMES], &nk, &nv) || nv.mv_size != 4 || be32_get(nv.mv_data) != ord)
                problem(c, "user %" PRIu64 ": username '%s' not indexed to it", id, lname);
        }
        if (fw_lmdb_user_ord(c->txn, c->s, id, &back) != FW_OK)
            problem(c, "user %" PRIu64 ": no ordinal", id);
        else if (back != ord)
            problem(c, "user %" PRIu64 ": ordinal %" PRIu32 " does not map back to it", id, ord);
        if (ord >= c->next_ord)
            problem(c, "user %" PRIu64 ": ordinal %" PRIu32 " not below meta next_ord %" PRIu32, id, ord, c->next_ord);
        size_t n;
        if ((rc = list_len(c, DB_FOLLOWERS, ord, &n)))
            break;
        if (n != u.followers_count)
            problem(c, "user %" PRIu64 ": followers_count %" PRIu64 " but %zu followers", id, u.followers_count, n);
        if ((rc = list_len(c, DB_FOLLOWING, ord, &n)))
            break;
        if (n != u.following_count)
            problem(c, "user %" PRIu64 ": following_count %" PRIu64 " but follows %zu", id, u.following_count, n);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every id's ordinal names a record of that id. */
static int check_ords(chk *c)
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
        uint64_t id = be64_get(key.mv_data), back;
        uint32_t ord = be32_get(v.mv_data);
        if (fw_lmdb_ord_id(c->txn, c->s, ord, &back) != FW_OK)
            problem(c, "uid: ordinal %" PRIu32 " of missing user %" PRIu64, ord, id);
        else if (back != id)
            problem(c, "ordinal %" PRIu32 ": user %" PRIu64 " does not have it", ord, id);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int check_unames(chk *c)
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
        if (v.mv_size != 4 || fw_lmdb_user_get_ord(c->txn, c->s, be32_get(v.mv_data), &u) != FW_OK)
            problem(c, "username '%.*s': points to a missing user", kl, (const char *)key.mv_data);
        else if (!fw_rec_username_key(u.username, lname) || strlen(lname) != key.mv_size ||
                 memcmp(lname, key.mv_data, key.mv_size) != 0)
            problem(c, "username '%.*s': user %" PRIu64 " is named otherwise", kl, (const char *)key.mv_data, u.id);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The user an ordinal names, for messages (0 if none). */
static uint64_t id_of(chk *c, uint32_t ord)
{
    uint64_t id;
    return fw_lmdb_ord_id(c->txn, c->s, ord, &id) == FW_OK ? id : 0;
}

/* Every entry of one list: both users exist, the mirror entry exists and the
 * index records the same state and sequence. */
static int check_list(chk *c, int db, int mirror, bool owner_is_src, uint8_t state)
{
    MDB_cursor *cur, *mc;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[db], &cur);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(c->txn, c->s->dbi[mirror], &mc))) {
        mdb_cursor_close(cur);
        return rc;
    }
    const char *name = LIST_NAME[db];
    MDB_val key, v;
    fw_user ou, tu;
    uint32_t last_owner = UINT32_MAX; /* entries come grouped by owner: ou is its record */
    bool has_owner = false;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size != 4 || v.mv_size != ADJ_ENT) {
            problem(c, "%s: malformed entry", name);
            continue;
        }
        if (!adj_is_list(v.mv_data)) {
            if (db != DB_FOLLOWING)
                problem(c, "%s: index entry in a list table", name);
            continue; /* fol_out's index entries: check_rels */
        }
        uint32_t oo = be32_get(key.mv_data), ot;
        uint64_t seq;
        adj_list_dec(v.mv_data, &seq, &ot);
        /* the records carry the ids: one lookup per user gives both */
        if (oo != last_owner)
            has_owner = fw_lmdb_user_get_ord(c->txn, c->s, oo, &ou) == FW_OK;
        last_owner = oo;
        bool has_other = fw_lmdb_user_get_ord(c->txn, c->s, ot, &tu) == FW_OK;
        uint64_t owner = has_owner ? ou.id : 0, other = has_other ? tu.id : 0;
        if (oo == ot)
            problem(c, "%s of %" PRIu64 ": self-edge", name, owner);
        if (!has_owner)
            problem(c, "%s of %" PRIu64 ": owner does not exist (ordinal %" PRIu32 ")", name, owner, oo);
        else if (db == DB_REQ_IN && !(ou.flags & FW_USER_PROTECTED))
            /* making an account public accepts every request in the same txn,
             * so a request left to a public account could never be answered */
            problem(c, "%s of %" PRIu64 ": request %" PRIu64 " to a public account", name, owner, other);
        if (!has_other)
            problem(c, "%s of %" PRIu64 ": entry %" PRIu64 " does not exist (ordinal %" PRIu32 ")", name, owner, other,
                    ot);
        uint8_t mk[4], md[ADJ_ENT];
        be32_put(mk, ot);
        adj_list_enc(md, seq, oo);
        MDB_val mkey = {4, mk}, mval = {ADJ_ENT, md};
        if (mdb_cursor_get(mc, &mkey, &mval, MDB_GET_BOTH))
            problem(c, "%s of %" PRIu64 ": %" PRIu64 " (seq %" PRIu64 ") has no mirror in %s", name, owner, other, seq,
                    LIST_NAME[mirror]);
        uint8_t st;
        uint64_t rseq;
        uint32_t src = owner_is_src ? oo : ot, dst = owner_is_src ? ot : oo;
        int r = fw_lmdb_rel_get_ord(c->txn, c->s, src, dst, &st, &rseq);
        if (r || st != state || rseq != seq)
            problem(c, "%s of %" PRIu64 ": relation %" PRIu64 "->%" PRIu64 " is state %d seq %" PRIu64
                       ", expected %d seq %" PRIu64,
                    name, owner, id_of(c, src), id_of(c, dst), r ? -1 : st, rseq, state, seq);
    }
    mdb_cursor_close(mc);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every index entry has its list entry (its mirror is covered by check_list);
 * records the largest sequence number for check_seq. */
static int check_rels(chk *c)
{
    MDB_cursor *cur, *rc_out;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_FOLLOWING], &cur);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_REQ_OUT], &rc_out))) {
        mdb_cursor_close(cur);
        return rc;
    }
    MDB_cursor *fc;
    if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_FOLLOWING], &fc))) {
        mdb_cursor_close(rc_out);
        mdb_cursor_close(cur);
        return rc;
    }
    MDB_val key, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size != 4 || v.mv_size != ADJ_ENT || adj_is_list(v.mv_data))
            continue; /* check_list reports malformed entries */
        uint32_t so = be32_get(key.mv_data), dor;
        bool pending;
        uint64_t seq;
        adj_idx_dec(v.mv_data, &dor, &pending, &seq);
        uint64_t src = id_of(c, so), dst = id_of(c, dor);
        if (seq > c->max_seq)
            c->max_seq = seq;
        if (so == dor)
            problem(c, "rel %" PRIu64 "->%" PRIu64 ": self-edge", src, dst);
        if (!seq) {
            problem(c, "rel %" PRIu64 "->%" PRIu64 ": sequence 0", src, dst);
            continue;
        }
        uint8_t lk[4], ld[ADJ_ENT];
        be32_put(lk, so);
        adj_list_enc(ld, seq, dor);
        MDB_val lkey = {4, lk}, lval = {ADJ_ENT, ld};
        if (mdb_cursor_get(pending ? rc_out : fc, &lkey, &lval, MDB_GET_BOTH))
            problem(c, "rel %" PRIu64 "->%" PRIu64 ": %s without its list entry", src, dst,
                    pending ? "request" : "follow");
    }
    mdb_cursor_close(fc);
    mdb_cursor_close(rc_out);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
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

int fw_lmdb_check(fw_store *s, void (*report)(void *ctx, const char *line), void *ctx)
{
    chk c = {.s = s, .report = report, .ctx = ctx};
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
    if (!(rc = check_users(&c)) && !(rc = check_ords(&c)) && !(rc = check_unames(&c)) &&
        !(rc = check_list(&c, DB_FOLLOWERS, DB_FOLLOWING, false, FW_REL_FOLLOWING)) &&
        !(rc = check_list(&c, DB_FOLLOWING, DB_FOLLOWERS, true, FW_REL_FOLLOWING)) &&
        !(rc = check_list(&c, DB_REQ_IN, DB_REQ_OUT, false, FW_REL_PENDING)) &&
        !(rc = check_list(&c, DB_REQ_OUT, DB_REQ_IN, true, FW_REL_PENDING)) && !(rc = check_rels(&c)))
        rc = check_seq(&c);
    mdb_txn_abort(c.txn);
    return rc ? fw_lmdb_err(rc) : c.problems;
}
