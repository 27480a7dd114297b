/* Follow-graph primitives inside one LMDB write transaction.
 *
 * Every relationship exists three times: the index entry (src -> dst) under
 * src's ordinal in fol_out that answers "does src follow dst" in O(log n) and
 * remembers the edge sequence, and one list entry in each direction's list
 * (fol_out/fol_in or rq_out/rq_in), keyed by the owner's ordinal, newest
 * first (layout: lmdb_internal.h). The functions here change all three plus
 * the two counters together, so a committed transaction can never hold half
 * a follow. Users are named by ordinal in the adjacency and in the users
 * table, by id in everything a caller sees. */
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

int fw_lmdb_wtx_begin_user(fw_store *s, fw_lmdb_wtx *w, uint64_t id, fw_user *u, uint32_t *ord)
{
    int rc = fw_lmdb_wtx_begin(s, w);
    if (!rc && (rc = fw_lmdb_user_get(w->txn, s, id, u, ord)))
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
    if (!rc && w->s->meta_async && !w->meta_later)
        rc = mdb_env_sync(w->s->env, 1); /* the meta page; on failure the write may or may not stay */
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

int fw_lmdb_user_get_ord(MDB_txn *txn, fw_store *s, uint32_t ord, fw_user *u)
{
    MDB_val key = fw_lmdb_ord_key(&ord), v;
    int rc = mdb_get(txn, s->dbi[DB_USERS], &key, &v);
    if (rc == MDB_NOTFOUND)
        return FW_ENOTFOUND;
    if (rc || fw_lmdb_user_unpack(v.mv_data, v.mv_size, u) < 0)
        return FW_EIO;
    return FW_OK;
}

int fw_lmdb_user_get(MDB_txn *txn, fw_store *s, uint64_t id, fw_user *u, uint32_t *ord)
{
    uint32_t o;
    int rc = fw_lmdb_user_ord(txn, s, id, &o);
    if (!rc && (rc = fw_lmdb_user_get_ord(txn, s, o, u)) == FW_ENOTFOUND)
        rc = FW_EIO; /* an ordinal without a record: check() reports it */
    if (!rc && ord)
        *ord = o;
    return rc;
}

int fw_lmdb_user_put(MDB_txn *txn, fw_store *s, uint32_t ord, const fw_user *u, unsigned flags)
{
    size_t n = fw_lmdb_user_size(u);
    uint8_t *b = malloc(n);
    if (!b)
        return FW_ENOMEM;
    fw_lmdb_user_pack(u, b);
    MDB_val key = fw_lmdb_ord_key(&ord), v = {n, b};
    int rc = mdb_put(txn, s->dbi[DB_USERS], &key, &v, flags);
    free(b);
    return fw_lmdb_err(rc);
}

/* ---- ordinals ---- */

static const MDB_val META_ORD = {8, "next_ord"};

int fw_lmdb_user_ord(MDB_txn *txn, fw_store *s, uint64_t id, uint32_t *ord)
{
    MDB_val v;
    int rc = fw_lmdb_get_id(txn, s, DB_UID, id, &v);
    if (rc)
        return rc == FW_ENOTFOUND ? rc : FW_EIO;
    if (v.mv_size != 4 || (*ord = be32_get(v.mv_data)) > ADJ_ORD_MAX)
        return FW_EIO;
    return FW_OK;
}

int fw_lmdb_ord_id(MDB_txn *txn, fw_store *s, uint32_t ord, uint64_t *id)
{
    MDB_val key = fw_lmdb_ord_key(&ord), v;
    int rc = mdb_get(txn, s->dbi[DB_USERS], &key, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? FW_ENOTFOUND : FW_EIO;
    return fw_lmdb_user_id_of(v.mv_data, v.mv_size, id);
}

int fw_lmdb_ord_assign(fw_lmdb_wtx *w, uint64_t id, uint32_t *out)
{
    MDB_val v;
    uint32_t ord = 0;
    int rc = mdb_get(w->txn, w->s->dbi[DB_META], (MDB_val *)&META_ORD, &v);
    if (rc && rc != MDB_NOTFOUND)
        return fw_lmdb_err(rc);
    if (!rc && v.mv_size != 4)
        return FW_EIO;
    if (!rc)
        ord = le32_get(v.mv_data);
    if (ord > ADJ_ORD_MAX)
        return FW_EFULL;
    uint8_t o[4], i[8], n[4];
    be32_put(o, ord);
    be64_put(i, id);
    le32_put(n, ord + 1);
    MDB_val ok = {4, o}, ik = {8, i}, nv = {4, n};
    if ((rc = mdb_put(w->txn, w->s->dbi[DB_UID], &ik, &ok, MDB_NOOVERWRITE)) ||
        (rc = mdb_put(w->txn, w->s->dbi[DB_META], (MDB_val *)&META_ORD, &nv, 0)))
        return fw_lmdb_err(rc);
    *out = ord;
    return FW_OK;
}

int fw_lmdb_ord_drop(fw_lmdb_wtx *w, uint64_t id)
{
    uint32_t ord;
    int rc = fw_lmdb_user_ord(w->txn, w->s, id, &ord);
    if (rc)
        return rc == FW_ENOTFOUND ? FW_OK : rc;
    uint8_t i[8];
    be64_put(i, id);
    MDB_val ok = fw_lmdb_ord_key(&ord), ik = {8, i};
    if ((rc = mdb_del(w->txn, w->s->dbi[DB_UID], &ik, NULL)) ||
        ((rc = mdb_del(w->txn, w->s->dbi[DB_USERS], &ok, NULL)) && rc != MDB_NOTFOUND))
        return fw_lmdb_err(rc);
    return FW_OK;
}

/* ---- the relationship index (index entries of fol_out) ---- */

/* Positions c on src's index entry for dst: 0, MDB_NOTFOUND, MDB_CORRUPTED
 * (a malformed entry) or another LMDB code. */
static int idx_find(MDB_cursor *c, uint32_t src, uint32_t dst, bool *pending, uint64_t *seq)
{
    uint8_t k[4], d[ADJ_ENT];
    be32_put(k, src);
    adj_idx_enc(d, dst, false, 0);
    MDB_val key = {4, k}, v = {ADJ_ENT, d};
    int rc = mdb_cursor_get(c, &key, &v, MDB_GET_BOTH_RANGE);
    if (rc)
        return rc;
    if (v.mv_size != ADJ_ENT)
        return MDB_CORRUPTED;
    uint32_t o;
    if (adj_is_list(v.mv_data) || (adj_idx_dec(v.mv_data, &o, pending, seq), o != dst))
        return MDB_NOTFOUND;
    return *seq ? 0 : MDB_CORRUPTED;
}

/* rel lookup with the LMDB code, so apply_write can tell a malformed
 * entry (MDB_CORRUPTED) from a failing database. */
static int rel_get_ord(MDB_txn *txn, fw_store *s, uint32_t src, uint32_t dst, uint8_t *state, uint64_t *seq)
{
    MDB_cursor *c;
    *state = FW_REL_NONE;
    *seq = 0;
    int rc = mdb_cursor_open(txn, s->dbi[DB_FOLLOWING], &c);
    if (rc)
        return rc;
    bool pending;
    uint64_t sq;
    rc = idx_find(c, src, dst, &pending, &sq);
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    *state = pending ? FW_REL_PENDING : FW_REL_FOLLOWING;
    *seq = sq;
    return 0;
}

int fw_lmdb_rel_get_ord(MDB_txn *txn, fw_store *s, uint32_t src, uint32_t dst, uint8_t *state, uint64_t *seq)
{
    return fw_lmdb_err(rel_get_ord(txn, s, src, dst, state, seq));
}

int fw_lmdb_rel_get(MDB_txn *txn, fw_store *s, uint64_t src, uint64_t dst, uint8_t *state, uint64_t *seq)
{
    uint32_t so, dor;
    *state = FW_REL_NONE;
    *seq = 0;
    int rc = fw_lmdb_user_ord(txn, s, src, &so);
    if (!rc)
        rc = fw_lmdb_user_ord(txn, s, dst, &dor);
    if (rc)
        return rc == FW_ENOTFOUND ? FW_OK : rc; /* no such user: no relation */
    return fw_lmdb_rel_get_ord(txn, s, so, dor, state, seq);
}

int fw_lmdb_idx_set(MDB_txn *txn, fw_store *s, uint32_t src, uint32_t dst, uint8_t state, uint64_t seq)
{
    if (seq > ADJ_SEQ_MAX || dst > ADJ_ORD_MAX || src > ADJ_ORD_MAX)
        return FW_EFULL;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->dbi[DB_FOLLOWING], &c);
    if (rc)
        return fw_lmdb_err(rc);
    bool pending;
    uint64_t old;
    rc = idx_find(c, src, dst, &pending, &old);
    if (rc == 0 || rc == MDB_CORRUPTED)
        rc = mdb_cursor_del(c, 0); /* the dup it stands on, well-formed or not */
    else if (rc == MDB_NOTFOUND)
        rc = 0;
    mdb_cursor_close(c);
    if (rc || state == FW_REL_NONE)
        return fw_lmdb_err(rc);
    uint8_t k[4], d[ADJ_ENT];
    be32_put(k, src);
    adj_idx_enc(d, dst, state == FW_REL_PENDING, seq);
    MDB_val key = {4, k}, val = {ADJ_ENT, d};
    return fw_lmdb_err(mdb_put(txn, s->dbi[DB_FOLLOWING], &key, &val, 0));
}

/* ---- the three copies of an edge ---- */

int fw_lmdb_list_op(MDB_txn *txn, fw_store *s, int db, uint32_t owner, uint64_t seq, uint32_t other, bool put)
{
    if (seq > ADJ_SEQ_MAX || other > ADJ_ORD_MAX || owner > ADJ_ORD_MAX)
        return put ? FW_EFULL : FW_OK;
    uint8_t k[4], d[ADJ_ENT];
    be32_put(k, owner);
    adj_list_enc(d, seq, other);
    MDB_val key = {4, k}, val = {ADJ_ENT, d};
    int rc = put ? mdb_put(txn, s->dbi[db], &key, &val, 0) : mdb_del(txn, s->dbi[db], &key, &val);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc); /* deleting a missing mirror is what check() reports */
}

static int edge_op(fw_lmdb_wtx *w, int db, uint32_t owner, uint64_t seq, uint32_t other, bool put)
{
    return fw_lmdb_list_op(w->txn, w->s, db, owner, seq, other, put);
}

static int rel_put(fw_lmdb_wtx *w, uint32_t src, uint32_t dst, uint8_t state, uint64_t seq)
{
    return fw_lmdb_idx_set(w->txn, w->s, src, dst, state, seq);
}

static int rel_del(fw_lmdb_wtx *w, uint32_t src, uint32_t dst)
{
    return fw_lmdb_idx_set(w->txn, w->s, src, dst, FW_REL_NONE, 0);
}

int fw_lmdb_user_patch(fw_lmdb_wtx *w, uint32_t ord, void (*patch)(fw_lmdb_counts *c, const void *arg),
                       const void *arg)
{
    MDB_val key = fw_lmdb_ord_key(&ord), v;
    int rc = mdb_get(w->txn, w->s->dbi[DB_USERS], &key, &v);
    if (rc)
        return fw_lmdb_err(rc);
    fw_lmdb_counts c;
    if (fw_lmdb_user_counts(v.mv_data, v.mv_size, &c))
        return FW_EIO;
    patch(&c, arg);
    /* a copy: the put may reuse the page v points into */
    uint8_t stackbuf[1024];
    size_t cap = v.mv_size + USER_RECOUNT_GROW;
    uint8_t *b = cap <= sizeof(stackbuf) ? stackbuf : malloc(cap);
    if (!b)
        return FW_ENOMEM;
    MDB_val nv = {fw_lmdb_user_recount(v.mv_data, v.mv_size, &c, b), b};
    rc = nv.mv_size ? fw_lmdb_err(mdb_put(w->txn, w->s->dbi[DB_USERS], &key, &nv, 0)) : FW_EIO;
    if (b != stackbuf)
        free(b);
    return rc;
}

typedef struct counts_delta {
    int followers, following;
} counts_delta;

static void add_counts(fw_lmdb_counts *c, const void *arg)
{
    const counts_delta *d = arg;
    c->followers = d->followers < 0 && c->followers == 0 ? 0 : c->followers + (uint64_t)(int64_t)d->followers;
    c->following = d->following < 0 && c->following == 0 ? 0 : c->following + (uint64_t)(int64_t)d->following;
}

/* Adds dfollowers / dfollowing to the counters of the user with ordinal ord (never below zero). */
static int bump(fw_lmdb_wtx *w, uint32_t ord, int dfollowers, int dfollowing)
{
    counts_delta d = {dfollowers, dfollowing};
    int rc = fw_lmdb_user_patch(w, ord, add_counts, &d);
    return rc == FW_ENOTFOUND ? FW_OK : rc; /* an edge to a missing user: nothing to count, check() reports it */
}

static int next_seq(fw_lmdb_wtx *w, uint64_t *seq)
{
    int rc = load_seq(w);
    if (rc)
        return rc;
    if (w->seq >= ADJ_SEQ_MAX)
        return FW_EFULL; /* the 47-bit sequence space is spent: refuse, change nothing */
    *seq = ++w->seq;
    w->seq_dirty = true;
    return 0;
}

/* Users are named by ordinal below: the adjacency entries hold it and it is
 * the key of their records, whose counters change. */

static int link_follow(fw_lmdb_wtx *w, uint32_t src, uint32_t dst)
{
    uint64_t seq;
    int rc;
    if ((rc = next_seq(w, &seq)) || (rc = edge_op(w, DB_FOLLOWING, src, seq, dst, true)) ||
        (rc = edge_op(w, DB_FOLLOWERS, dst, seq, src, true)) ||
        (rc = rel_put(w, src, dst, FW_REL_FOLLOWING, seq)) || (rc = bump(w, src, 0, 1)) ||
        (rc = bump(w, dst, 1, 0)))
        return rc;
    return 0;
}

static int unlink_follow(fw_lmdb_wtx *w, uint32_t src, uint32_t dst, uint64_t seq)
{
    int rc;
    if ((rc = edge_op(w, DB_FOLLOWING, src, seq, dst, false)) ||
        (rc = edge_op(w, DB_FOLLOWERS, dst, seq, src, false)) || (rc = rel_del(w, src, dst)) ||
        (rc = bump(w, src, 0, -1)) || (rc = bump(w, dst, -1, 0)))
        return rc;
    return 0;
}

static int link_request(fw_lmdb_wtx *w, uint32_t src, uint32_t dst)
{
    uint64_t seq;
    int rc;
    if ((rc = next_seq(w, &seq)) || (rc = edge_op(w, DB_REQ_OUT, src, seq, dst, true)) ||
        (rc = edge_op(w, DB_REQ_IN, dst, seq, src, true)) ||
        (rc = rel_put(w, src, dst, FW_REL_PENDING, seq)))
        return rc;
    return 0;
}

static int unlink_request(fw_lmdb_wtx *w, uint32_t src, uint32_t dst, uint64_t seq)
{
    int rc;
    if ((rc = edge_op(w, DB_REQ_OUT, src, seq, dst, false)) ||
        (rc = edge_op(w, DB_REQ_IN, dst, seq, src, false)) || (rc = rel_del(w, src, dst)))
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
    uint32_t sw, dw;
    int rc = fw_lmdb_user_get(w->txn, w->s, src, &su, &sw);
    if (rc) {
        res->rc = rc;
        return 0;
    }
    rc = fw_lmdb_user_get(w->txn, w->s, dst, &du, &dw);
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
    uint32_t from = sw, to = dw;
    if (kind == FW_W_ACCEPT || kind == FW_W_DECLINE)
        from = dw, to = sw;
    uint8_t state;
    uint64_t seq;
    if ((rc = rel_get_ord(w->txn, w->s, from, to, &state, &seq))) {
        /* Nothing is changed yet: a malformed index entry fails this op alone
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
            rc = link_request(w, sw, dw);
            res->rel = FW_REL_PENDING;
        } else {
            rc = link_follow(w, sw, dw);
            res->rel = FW_REL_FOLLOWING;
        }
        break;
    case FW_W_UNFOLLOW:
        if (state == FW_REL_NONE)
            return 0;
        rc = state == FW_REL_FOLLOWING ? unlink_follow(w, sw, dw, seq) : unlink_request(w, sw, dw, seq);
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

/* Reads every list entry (seq, other ordinal) of owner in db, oldest first,
 * into a malloc'd array of 2*n words (index entries of fol_out are skipped). */
static int collect(fw_lmdb_wtx *w, int db, uint32_t owner, uint64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->txn, w->s->dbi[db], &c);
    if (rc)
        return fw_lmdb_err(rc);
    uint8_t k[4];
    be32_put(k, owner);
    MDB_val key = {4, k}, val;
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
    size_t m = 0;
    for (int op = MDB_LAST_DUP; !rc && m < cnt; op = MDB_PREV_DUP) {
        rc = mdb_cursor_get(c, &key, &val, (MDB_cursor_op)op);
        if (!rc && val.mv_size != ADJ_ENT)
            rc = MDB_CORRUPTED;
        if (rc || !adj_is_list(val.mv_data))
            break; /* list entries sort last: the first index entry ends them */
        uint32_t o;
        adj_list_dec(val.mv_data, &a[2 * m], &o);
        a[2 * m + 1] = o;
        m++;
    }
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (rc) {
        free(a);
        return fw_lmdb_err(rc);
    }
    *out = a;
    *n = m;
    return 0;
}

static int del_all(fw_lmdb_wtx *w, int db, uint32_t owner)
{
    uint8_t k[4];
    be32_put(k, owner);
    MDB_val key = {4, k};
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
    uint32_t me;
    int rc = fw_lmdb_user_ord(w->txn, w->s, id, &me);
    if (rc)
        return rc == FW_ENOTFOUND ? FW_OK : rc; /* no ordinal: no edges */
    for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
        uint64_t *a;
        size_t n;
        rc = collect(w, sides[i].db, me, &a, &n);
        for (size_t j = 0; !rc && j < n; j++) {
            uint64_t seq = a[2 * j];
            uint32_t other = (uint32_t)a[2 * j + 1];
            if (other == me)
                continue;
            if ((rc = edge_op(w, sides[i].mirror, other, seq, me, false)))
                break;
            rc = sides[i].id_is_src ? rel_del(w, me, other) : rel_del(w, other, me);
            if (!rc && (sides[i].dfo || sides[i].dfi))
                rc = bump(w, other, sides[i].dfo, sides[i].dfi);
        }
        free(a);
        if (!rc)
            rc = del_all(w, sides[i].db, me); /* fol_out: its index entries too */
        if (rc)
            return rc;
    }
    return 0;
}

int fw_lmdb_accept_all(fw_lmdb_wtx *w, uint64_t owner)
{
    uint64_t *a;
    size_t n;
    uint32_t me;
    int rc = fw_lmdb_user_ord(w->txn, w->s, owner, &me);
    if (rc)
        return rc == FW_ENOTFOUND ? FW_OK : rc;
    rc = collect(w, DB_REQ_IN, me, &a, &n);
    for (size_t j = 0; !rc && j < n; j++) {
        uint32_t req = (uint32_t)a[2 * j + 1];
        uint64_t seq = a[2 * j];
        if (!(rc = edge_op(w, DB_REQ_OUT, req, seq, me, false)) && !(rc = rel_del(w, req, me)))
            rc = link_follow(w, req, me);
    }
    free(a);
    return rc ? rc : del_all(w, DB_REQ_IN, me);
}
