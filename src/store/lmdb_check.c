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
    uint64_t max_seq; /* largest edge sequence number in rel */
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

/* Number of entries under owner in a list db. */
static int list_len(chk *c, int db, uint64_t owner, size_t *n)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[db], &cur);
    if (rc)
        return rc;
    uint8_t k[8];
    be64_put(k, owner);
    MDB_val key = {8, k}, v;
    *n = 0;
    rc = mdb_cursor_get(cur, &key, &v, MDB_SET_KEY);
    if (rc == 0)
        rc = mdb_cursor_count(cur, n);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int check_users(chk *c)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_USERS], &cur);
    if (rc)
        return rc;
    MDB_val key, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        fw_user u;
        uint64_t id = key.mv_size == 8 ? be64_get(key.mv_data) : 0;
        if (key.mv_size != 8 || fw_lmdb_user_unpack(v.mv_data, v.mv_size, &u) < 0 || u.id != id) {
            problem(c, "user %" PRIu64 ": unreadable record", id);
            continue;
        }
        char lname[FW_USERNAME_MAX + 1];
        MDB_val nk, nv;
        if (!fw_rec_username_key(u.username, lname)) {
            problem(c, "user %" PRIu64 ": invalid username", id);
        } else {
            nk = (MDB_val){strlen(lname), lname};
            if (mdb_get(c->txn, c->s->dbi[DB_UNAMES], &nk, &nv) || nv.mv_size != 8 || be64_get(nv.mv_data) != id)
                problem(c, "user %" PRIu64 ": username '%s' not indexed to it", id, lname);
        }
        size_t n;
        if ((rc = list_len(c, DB_FOLLOWERS, id, &n)))
            break;
        if (n != u.followers_count)
            problem(c, "user %" PRIu64 ": followers_count %" PRIu64 " but %zu followers", id, u.followers_count, n);
        if ((rc = list_len(c, DB_FOLLOWING, id, &n)))
            break;
        if (n != u.following_count)
            problem(c, "user %" PRIu64 ": following_count %" PRIu64 " but follows %zu", id, u.following_count, n);
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
        if (v.mv_size != 8 || fw_lmdb_user_get(c->txn, c->s, be64_get(v.mv_data), &u) != FW_OK)
            problem(c, "username '%.*s': points to a missing user", kl, (const char *)key.mv_data);
        else if (!fw_rec_username_key(u.username, lname) || strlen(lname) != key.mv_size ||
                 memcmp(lname, key.mv_data, key.mv_size) != 0)
            problem(c, "username '%.*s': user %" PRIu64 " is named otherwise", kl, (const char *)key.mv_data, u.id);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every entry of one list: both users exist, the mirror entry exists and the
 * rel index records the same state and sequence. */
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
    fw_user u;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size != 8 || v.mv_size != 16) {
            problem(c, "%s: malformed entry", name);
            continue;
        }
        uint64_t owner = be64_get(key.mv_data), seq = ~be64_get(v.mv_data);
        uint64_t other = be64_get((const uint8_t *)v.mv_data + 8);
        if (owner == other)
            problem(c, "%s of %" PRIu64 ": self-edge", name, owner);
        if (fw_lmdb_user_get(c->txn, c->s, owner, &u) != FW_OK)
            problem(c, "%s of %" PRIu64 ": owner does not exist", name, owner);
        else if (db == DB_REQ_IN && !(u.flags & FW_USER_PROTECTED))
            /* making an account public accepts every request in the same txn,
             * so a request left to a public account could never be answered */
            problem(c, "%s of %" PRIu64 ": request %" PRIu64 " to a public account", name, owner, other);
        if (fw_lmdb_user_get(c->txn, c->s, other, &u) != FW_OK)
            problem(c, "%s of %" PRIu64 ": entry %" PRIu64 " does not exist", name, owner, other);
        uint8_t mk[8], md[16];
        be64_put(mk, other);
        be64_put(md, ~seq);
        be64_put(md + 8, owner);
        MDB_val mkey = {8, mk}, mval = {16, md};
        if (mdb_cursor_get(mc, &mkey, &mval, MDB_GET_BOTH))
            problem(c, "%s of %" PRIu64 ": %" PRIu64 " (seq %" PRIu64 ") has no mirror in %s", name, owner, other, seq,
                    LIST_NAME[mirror]);
        uint8_t st;
        uint64_t rseq;
        uint64_t src = owner_is_src ? owner : other, dst = owner_is_src ? other : owner;
        int r = fw_lmdb_rel_get(c->txn, c->s, src, dst, &st, &rseq);
        if (r || st != state || rseq != seq)
            problem(c, "%s of %" PRIu64 ": relation %" PRIu64 "->%" PRIu64 " is state %d seq %" PRIu64
                       ", expected %d seq %" PRIu64,
                    name, owner, src, dst, r ? -1 : st, rseq, state, seq);
    }
    mdb_cursor_close(mc);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every relation has its list entry (its mirror is covered by check_list);
 * records the largest sequence number for check_seq. */
static int check_rels(chk *c)
{
    MDB_cursor *cur, *fc, *rc_out;
    int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_REL], &cur);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_FOLLOWING], &fc))) {
        mdb_cursor_close(cur);
        return rc;
    }
    if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_REQ_OUT], &rc_out))) {
        mdb_cursor_close(fc);
        mdb_cursor_close(cur);
        return rc;
    }
    MDB_val key, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size != 16 || v.mv_size != 9) {
            problem(c, "rel: malformed entry");
            continue;
        }
        uint64_t src = be64_get(key.mv_data), dst = be64_get((const uint8_t *)key.mv_data + 8);
        const uint8_t *p = v.mv_data;
        uint64_t seq = le64_get(p + 1);
        if (seq > c->max_seq)
            c->max_seq = seq;
        if (src == dst)
            problem(c, "rel %" PRIu64 "->%" PRIu64 ": self-edge", src, dst);
        if (p[0] != FW_REL_FOLLOWING && p[0] != FW_REL_PENDING) {
            problem(c, "rel %" PRIu64 "->%" PRIu64 ": bad state %d", src, dst, p[0]);
            continue;
        }
        uint8_t lk[8], ld[16];
        be64_put(lk, src);
        be64_put(ld, ~seq);
        be64_put(ld + 8, dst);
        MDB_val lkey = {8, lk}, lval = {16, ld};
        if (mdb_cursor_get(p[0] == FW_REL_FOLLOWING ? fc : rc_out, &lkey, &lval, MDB_GET_BOTH))
            problem(c, "rel %" PRIu64 "->%" PRIu64 ": %s without its list entry", src, dst,
                    p[0] == FW_REL_FOLLOWING ? "follow" : "request");
    }
    mdb_cursor_close(rc_out);
    mdb_cursor_close(fc);
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
    int rc;
    if (!(rc = check_users(&c)) && !(rc = check_unames(&c)) &&
        !(rc = check_list(&c, DB_FOLLOWERS, DB_FOLLOWING, false, FW_REL_FOLLOWING)) &&
        !(rc = check_list(&c, DB_FOLLOWING, DB_FOLLOWERS, true, FW_REL_FOLLOWING)) &&
        !(rc = check_list(&c, DB_REQ_IN, DB_REQ_OUT, false, FW_REL_PENDING)) &&
        !(rc = check_list(&c, DB_REQ_OUT, DB_REQ_IN, true, FW_REL_PENDING)) && !(rc = check_rels(&c)))
        rc = check_seq(&c);
    mdb_txn_abort(c.txn);
    return rc ? fw_lmdb_err(rc) : c.problems;
}
