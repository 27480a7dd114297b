/* Follow-graph primitives inside one LMDB write transaction.
 *
 * Every relationship exists three times: the rel index entry (src,dst) that
 * answers "does src follow dst" in O(log n) and remembers the edge sequence,
 * and one duplicate in each direction's list (following/followers or
 * req_out/req_in), keyed by owner with data (~seq, other) so a list reads
 * newest first. The functions here change all three plus the two counters
 * together, so a committed transaction can never hold half a follow. */
#include "store/lmdb_internal.h"

#include <stdlib.h>

static const MDB_val META_SEQ = {8, "edge_seq"};

int fw_lmdb_wtx_begin(fw_store *s, fw_lmdb_wtx *w)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
    if (s->read_only)
        return FW_EIO;
    return fw_lmdb_err(mdb_txn_begin(s->env, NULL, 0, &w->txn));
}

static int load_seq(fw_lmdb_wtx *w)
{
    if (w->seq_loaded)
        return 0;
    MDB_val v;
    int rc = mdb_get(w->txn, w->s->dbi[DB_META], (MDB_val *)&META_SEQ, &v);
    if (rc == MDB_NOTFOUND)
        w->seq = 0;
    else if (rc)
        return fw_lmdb_err(rc);
    else if (v.mv_size != 8)
        return FW_EIO;
    else
        w->seq = le64_get(v.mv_data);
    w->seq_loaded = true;
    return 0;
}

int fw_lmdb_put_rec(fw_lmdb_wtx *w, int db, uint64_t id, const void *rec, unsigned flags)
{
    const fw_lmdb_codec *c = fw_lmdb_codec_of(db);
    if (!c)
        return FW_EINVAL;
    size_t n = c->size(rec);
    uint8_t *b = malloc(n);
    if (!b)
        return FW_ENOMEM;
    c->pack(rec, b);
    uint8_t k[8];
    be64_put(k, id);
    MDB_val key = {8, k}, v = {n, b};
    int rc = mdb_put(w->txn, w->s->dbi[db], &key, &v, flags);
    free(b);
    return fw_lmdb_err(rc);
}

int fw_lmdb_wtx_begin_user(fw_store *s, fw_lmdb_wtx *w, uint64_t id, fw_user *u)
{
    int rc = fw_lmdb_wtx_begin(s, w);
    if (!rc && (rc = fw_lmdb_user_get(w->txn, s, id, u)))
        fw_lmdb_wtx_abort(w);
    return rc;
}

int fw_lmdb_wtx_finish(fw_lmdb_wtx *w, int rc)
{
    if (rc) {
        fw_lmdb_wtx_abort(w);
        return rc;
    }
    return fw_lmdb_wtx_commit(w);
}

int fw_lmdb_wtx_commit(fw_lmdb_wtx *w)
{
    int rc = 0;
    if (w->seq_dirty) {
        uint8_t b[8];
        le64_put(b, w->seq);
        MDB_val v = {8, b};
        rc = fw_lmdb_err(mdb_put(w->txn, w->s->dbi[DB_META], (MDB_val *)&META_SEQ, &v, 0));
    }
    if (!rc)
        rc = fw_lmdb_log_changes(w->s, w->txn, w);
    if (rc) {
        fw_lmdb_wtx_abort(w);
        return rc;
    }
    rc = mdb_txn_commit(w->txn); /* frees the txn even on failure */
    w->txn = NULL;
    free(w->touched);
    w->touched = NULL;
    return fw_lmdb_err(rc);
}

void fw_lmdb_wtx_abort(fw_lmdb_wtx *w)
{
    if (w->txn)
        mdb_txn_abort(w->txn);
    w->txn = NULL;
    free(w->touched);
    w->touched = NULL;
}

int fw_lmdb_get_id(MDB_txn *txn, fw_store *s, int db, uint64_t id, MDB_val *v)
{
    uint8_t k[8];
    be64_put(k, id);
    MDB_val key = {8, k};
    if (s->absent & (1u << db))
        return FW_ENOTFOUND;
    return fw_lmdb_err(mdb_get(txn, s->dbi[db], &key, v));
}

int fw_lmdb_user_get(MDB_txn *txn, fw_store *s, uint64_t id, fw_user *u)
{
    MDB_val v;
    int rc = fw_lmdb_get_id(txn, s, DB_USERS, id, &v);
    if (rc == FW_ENOTFOUND)
        return FW_ENOTFOUND;
    if (rc || fw_lmdb_user_unpack(v.mv_data, v.mv_size, u) < 0)
        return FW_EIO;
    return FW_OK;
}

/* fw_lmdb_rel_get with the LMDB code, so apply_write can tell a malformed
 * record (MDB_CORRUPTED) from a failing database. */
static int rel_get(MDB_txn *txn, fw_store *s, uint64_t src, uint64_t dst, uint8_t *state, uint64_t *seq)
{
    uint8_t k[16];
    be64_put(k, src);
    be64_put(k + 8, dst);
    MDB_val key = {16, k}, v;
    int rc = mdb_get(txn, s->dbi[DB_REL], &key, &v);
    *state = FW_REL_NONE;
    *seq = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    const uint8_t *p = v.mv_data;
    if (v.mv_size != 9 || (p[0] != FW_REL_FOLLOWING && p[0] != FW_REL_PENDING))
        return MDB_CORRUPTED;
    *state = p[0];
    *seq = le64_get(p + 1);
    return 0;
}

int fw_lmdb_rel_get(MDB_txn *txn, fw_store *s, uint64_t src, uint64_t dst, uint8_t *state, uint64_t *seq)
{
    return fw_lmdb_err(rel_get(txn, s, src, dst, state, seq));
}

/* ---- the three copies of an edge ---- */

static int edge_op(fw_lmdb_wtx *w, int db, uint64_t owner, uint64_t seq, uint64_t other, bool put)
{
    uint8_t k[8], d[16];
    be64_put(k, owner);
    be64_put(d, ~seq);
    be64_put(d + 8, other);
    MDB_val key = {8, k}, val = {16, d};
    int rc = put ? mdb_put(w->txn, w->s->dbi[db], &key, &val, 0) : mdb_del(w->txn, w->s->dbi[db], &key, &val);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc); /* deleting a missing mirror is what check() reports */
}

static int rel_put(fw_lmdb_wtx *w, uint64_t src, uint64_t dst, uint8_t state, uint64_t seq)
{
    uint8_t k[16], d[9];
    be64_put(k, src);
    be64_put(k + 8, dst);
    d[0] = state;
    le64_put(d + 1, seq);
    MDB_val key = {16, k}, val = {9, d};
    return fw_lmdb_err(mdb_put(w->txn, w->s->dbi[DB_REL], &key, &val, 0));
}

static int rel_del(fw_lmdb_wtx *w, uint64_t src, uint64_t dst)
{
    uint8_t k[16];
    be64_put(k, src);
    be64_put(k + 8, dst);
    MDB_val key = {16, k};
    int rc = mdb_del(w->txn, w->s->dbi[DB_REL], &key, NULL);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

int fw_lmdb_user_patch(fw_lmdb_wtx *w, uint64_t id, size_t min, void (*patch)(uint8_t *rec, const void *arg),
                       const void *arg)
{
    MDB_val v;
    int rc = fw_lmdb_get_id(w->txn, w->s, DB_USERS, id, &v);
    if (rc)
        return rc;
    if (v.mv_size < min)
        return FW_EIO;
    uint8_t stackbuf[1024];
    uint8_t *b = v.mv_size <= sizeof(stackbuf) ? stackbuf : malloc(v.mv_size);
    if (!b)
        return FW_ENOMEM;
    memcpy(b, v.mv_data, v.mv_size);
    patch(b, arg);
    uint8_t k[8];
    be64_put(k, id);
    MDB_val key = {8, k}, nv = {v.mv_size, b};
    rc = mdb_put(w->txn, w->s->dbi[DB_USERS], &key, &nv, 0);
    if (b != stackbuf)
        free(b);
    return fw_lmdb_err(rc);
}

typedef struct counts_delta {
    int followers, following;
} counts_delta;

static void add_counts(uint8_t *b, const void *arg)
{
    const counts_delta *d = arg;
    uint64_t fo = le64_get(b + USER_OFF_FOLLOWERS), fi = le64_get(b + USER_OFF_FOLLOWING);
    fo = d->followers < 0 && fo == 0 ? 0 : fo + (uint64_t)(int64_t)d->followers;
    fi = d->following < 0 && fi == 0 ? 0 : fi + (uint64_t)(int64_t)d->following;
    le64_put(b + USER_OFF_FOLLOWERS, fo);
    le64_put(b + USER_OFF_FOLLOWING, fi);
}

/* Adds dfollowers / dfollowing to a user's counters (never below zero). */
static int bump(fw_lmdb_wtx *w, uint64_t id, int dfollowers, int dfollowing)
{
    counts_delta d = {dfollowers, dfollowing};
    int rc = fw_lmdb_user_patch(w, id, USER_OFF_FOLLOWING + 8, add_counts, &d);
    return rc == FW_ENOTFOUND ? FW_OK : rc; /* an edge to a missing user: nothing to count, check() reports it */
}

static int next_seq(fw_lmdb_wtx *w, uint64_t *seq)
{
    int rc = load_seq(w);
    if (rc)
        return rc;
    *seq = ++w->seq;
    w->seq_dirty = true;
    return 0;
}

static int link_follow(fw_lmdb_wtx *w, uint64_t src, uint64_t dst)
{
    uint64_t seq;
    int rc;
    if ((rc = next_seq(w, &seq)) || (rc = edge_op(w, DB_FOLLOWING, src, seq, dst, true)) ||
        (rc = edge_op(w, DB_FOLLOWERS, dst, seq, src, true)) || (rc = rel_put(w, src, dst, FW_REL_FOLLOWING, seq)) ||
        (rc = bump(w, src, 0, 1)) || (rc = bump(w, dst, 1, 0)))
        return rc;
    return 0;
}

static int unlink_follow(fw_lmdb_wtx *w, uint64_t src, uint64_t dst, uint64_t seq)
{
    int rc;
    if ((rc = edge_op(w, DB_FOLLOWING, src, seq, dst, false)) || (rc = edge_op(w, DB_FOLLOWERS, dst, seq, src, false)) ||
        (rc = rel_del(w, src, dst)) || (rc = bump(w, src, 0, -1)) || (rc = bump(w, dst, -1, 0)))
        return rc;
    return 0;
}

static int link_request(fw_lmdb_wtx *w, uint64_t src, uint64_t dst)
{
    uint64_t seq;
    int rc;
    if ((rc = next_seq(w, &seq)) || (rc = edge_op(w, DB_REQ_OUT, src, seq, dst, true)) ||
        (rc = edge_op(w, DB_REQ_IN, dst, seq, src, true)) || (rc = rel_put(w, src, dst, FW_REL_PENDING, seq)))
        return rc;
    return 0;
}

static int unlink_request(fw_lmdb_wtx *w, uint64_t src, uint64_t dst, uint64_t seq)
{
    int rc;
    if ((rc = edge_op(w, DB_REQ_OUT, src, seq, dst, false)) || (rc = edge_op(w, DB_REQ_IN, dst, seq, src, false)) ||
        (rc = rel_del(w, src, dst)))
        return rc;
    return 0;
}

int fw_lmdb_apply_write(fw_lmdb_wtx *w, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res)
{
    res->rc = FW_OK;
    res->rel = FW_REL_NONE;
    res->changed = false;
    if (kind < FW_W_FOLLOW || kind > FW_W_DECLINE) {
        res->rc = FW_EINVAL;
        return 0;
    }
    fw_user su, du;
    int rc = fw_lmdb_user_get(w->txn, w->s, src, &su);
    if (rc) {
        res->rc = rc;
        return 0;
    }
    rc = fw_lmdb_user_get(w->txn, w->s, dst, &du);
    if (rc) {
        res->rc = rc == FW_ENOTFOUND ? FW_ETARGET : rc;
        return 0;
    }
    if (kind == FW_W_FOLLOW && (du.flags & FW_USER_SUSPENDED)) {
        res->rc = FW_ESUSPENDED;
        return 0;
    }
    if (src == dst) {
        res->rc = FW_EINVAL;
        return 0;
    }
    /* ACCEPT/DECLINE are about the request requester(dst) -> owner(src). */
    uint64_t from = src, to = dst;
    if (kind == FW_W_ACCEPT || kind == FW_W_DECLINE)
        from = dst, to = src;
    uint8_t state;
    uint64_t seq;
    if ((rc = rel_get(w->txn, w->s, from, to, &state, &seq))) {
        /* Nothing is changed yet: a malformed rel record fails this op alone
         * instead of every op that shares its batch. */
        if (rc != MDB_CORRUPTED)
            return fw_lmdb_err(rc);
        res->rc = FW_EIO;
        return 0;
    }
    res->rel = state;
    switch (kind) {
    case FW_W_FOLLOW:
        if (state != FW_REL_NONE)
            return 0;
        if (du.flags & FW_USER_PROTECTED) {
            rc = link_request(w, src, dst);
            res->rel = FW_REL_PENDING;
        } else {
            rc = link_follow(w, src, dst);
            res->rel = FW_REL_FOLLOWING;
        }
        break;
    case FW_W_UNFOLLOW:
        if (state == FW_REL_NONE)
            return 0;
        rc = state == FW_REL_FOLLOWING ? unlink_follow(w, src, dst, seq) : unlink_request(w, src, dst, seq);
        res->rel = FW_REL_NONE;
        break;
    case FW_W_ACCEPT:
        if (state != FW_REL_PENDING)
            return 0;
        if (!(rc = unlink_request(w, from, to, seq)))
            rc = link_follow(w, from, to);
        res->rel = FW_REL_FOLLOWING;
        break;
    case FW_W_DECLINE:
        if (state != FW_REL_PENDING)
            return 0;
        rc = unlink_request(w, from, to, seq);
        res->rel = FW_REL_NONE;
        break;
    }
    if (rc)
        return rc;
    res->changed = true;
    return 0;
}

/* Reads every (seq, other) duplicate of owner in db, oldest first, into a
 * malloc'd array of 2*n words. */
static int collect(fw_lmdb_wtx *w, int db, uint64_t owner, uint64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->txn, w->s->dbi[db], &c);
    if (rc)
        return fw_lmdb_err(rc);
    uint8_t k[8];
    be64_put(k, owner);
    MDB_val key = {8, k}, val;
    rc = mdb_cursor_get(c, &key, &val, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND) {
        mdb_cursor_close(c);
        return 0;
    }
    size_t cnt = 0;
    if (!rc)
        rc = mdb_cursor_count(c, &cnt);
    uint64_t *a = rc ? NULL : malloc((cnt ? cnt : 1) * 2 * sizeof(uint64_t));
    if (!rc && !a)
        rc = ENOMEM;
    size_t i = cnt;
    for (int op = MDB_LAST_DUP; !rc && i > 0; op = MDB_PREV_DUP) {
        rc = mdb_cursor_get(c, &key, &val, (MDB_cursor_op)op);
        if (!rc && val.mv_size != 16)
            rc = MDB_CORRUPTED;
        if (rc)
            break;
        i--;
        a[(cnt - 1 - i) * 2] = ~be64_get(val.mv_data);
        a[(cnt - 1 - i) * 2 + 1] = be64_get((const uint8_t *)val.mv_data + 8);
    }
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND)
        rc = 0, cnt -= i;
    if (rc) {
        free(a);
        return fw_lmdb_err(rc);
    }
    *out = a;
    *n = cnt;
    return 0;
}

static int del_all(fw_lmdb_wtx *w, int db, uint64_t owner)
{
    uint8_t k[8];
    be64_put(k, owner);
    MDB_val key = {8, k};
    int rc = mdb_del(w->txn, w->s->dbi[db], &key, NULL);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

int fw_lmdb_unlink_user(fw_lmdb_wtx *w, uint64_t id)
{
    /* For each of id's lists: where the mirror lives, which way the rel runs,
     * and which counter of the other user drops. */
    static const struct {
        int db, mirror;
        bool id_is_src;
        int dfo, dfi;
    } sides[] = {
        {DB_FOLLOWERS, DB_FOLLOWING, false, 0, -1},
        {DB_FOLLOWING, DB_FOLLOWERS, true, -1, 0},
        {DB_REQ_IN, DB_REQ_OUT, false, 0, 0},
        {DB_REQ_OUT, DB_REQ_IN, true, 0, 0},
    };
    for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
        uint64_t *a;
        size_t n;
        int rc = collect(w, sides[i].db, id, &a, &n);
        for (size_t j = 0; !rc && j < n; j++) {
            uint64_t seq = a[2 * j], other = a[2 * j + 1];
            if (other == id)
                continue;
            if ((rc = edge_op(w, sides[i].mirror, other, seq, id, false)))
                break;
            rc = sides[i].id_is_src ? rel_del(w, id, other) : rel_del(w, other, id);
            if (!rc && (sides[i].dfo || sides[i].dfi))
                rc = bump(w, other, sides[i].dfo, sides[i].dfi);
        }
        free(a);
        if (!rc)
            rc = del_all(w, sides[i].db, id);
        if (rc)
            return rc;
    }
    return 0;
}

int fw_lmdb_accept_all(fw_lmdb_wtx *w, uint64_t owner)
{
    uint64_t *a;
    size_t n;
    int rc = collect(w, DB_REQ_IN, owner, &a, &n);
    for (size_t j = 0; !rc && j < n; j++) {
        uint64_t seq = a[2 * j], requester = a[2 * j + 1];
        if (!(rc = edge_op(w, DB_REQ_OUT, requester, seq, owner, false)) && !(rc = rel_del(w, requester, owner)))
            rc = link_follow(w, requester, owner);
    }
    free(a);
    return rc ? rc : del_all(w, DB_REQ_IN, owner);
}
