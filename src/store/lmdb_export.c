/* The scans export needs (store.h): tweets in id order and every relationship
 * in (src, dst) ordinal order, each in one read snapshot through fw_lmdb_scan. */
#include "store/lmdb_internal.h"

typedef struct tweet_scan {
    int (*fn)(void *ctx, const fw_tweet *t);
    void *ctx;
} tweet_scan;

static int tweet_row(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v)
{
    tweet_scan *ts = ctx;
    fw_tweet t;
    if (fw_lmdb_tweet_unpack(v->mv_data, v->mv_size, &t) < 0)
        return FW_EIO;
    return ts->fn(ts->ctx, &t) != 0;
}

int fw_lmdb_tweet_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_tweet *t), void *ctx)
{
    if (after == UINT64_MAX)
        return FW_OK;
    tweet_scan ts = {fn, ctx};
    return fw_lmdb_scan(s, DB_TWEETS, after + 1, limit, tweet_row, &ts);
}

/* Every index entry of fol_out, by (src ordinal, dst ordinal): the order
 * of ids for databases whose users were all made here or imported. */
int fw_lmdb_edge_scan(fw_store *s, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq),
                       void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = fw_lmdb_rtxn_get(s, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->dbi[DB_FOLLOWING], &c))) {
        fw_lmdb_rtxn_put(s, txn);
        return fw_lmdb_err(rc);
    }
    MDB_val k, v;
    int frc = FW_OK;
    uint32_t cur_src = UINT32_MAX;
    uint64_t src = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 4 || v.mv_size != ADJ_ENT) {
            frc = FW_EIO;
            break;
        }
        if (adj_is_list(v.mv_data))
            continue;
        uint32_t so = be32_get(k.mv_data), dor;
        bool pending;
        uint64_t seq, dst;
        adj_idx_dec(v.mv_data, &dor, &pending, &seq);
        if (so != cur_src && (frc = fw_lmdb_ord_id(txn, s, so, &src)))
            break;
        cur_src = so;
        if ((frc = fw_lmdb_ord_id(txn, s, dor, &dst)))
            break;
        if ((frc = fn(ctx, pending ? FW_REL_PENDING : FW_REL_FOLLOWING, src, dst, seq)))
            break;
    }
    if (rc && rc != MDB_NOTFOUND)
        frc = fw_lmdb_err(rc);
    if (frc == FW_ENOTFOUND)
        frc = FW_EIO; /* an index entry naming no user: check() reports it */
    mdb_cursor_close(c);
    fw_lmdb_rtxn_put(s, txn);
    return frc < 0 ? frc : FW_OK;
}
