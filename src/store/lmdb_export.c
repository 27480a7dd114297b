/* The scans export needs (store.h): tweets in id order and every relationship
 * in (src, dst) order, each in one read snapshot through fw_lmdb_scan. */
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

typedef struct edge_scan {
    int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq);
    void *ctx;
} edge_scan;

static int rel_row(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v)
{
    edge_scan *es = ctx;
    if (k->mv_size != 16 || v->mv_size != 9)
        return FW_EIO;
    const uint8_t *kp = k->mv_data, *vp = v->mv_data;
    return es->fn(es->ctx, vp[0], be64_get(kp), be64_get(kp + 8), le64_get(vp + 1)) != 0;
}

int fw_lmdb_edge_scan(fw_store *s, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq),
                       void *ctx)
{
    edge_scan es = {fn, ctx};
    return fw_lmdb_scan(s, DB_REL, 0, 0, rel_row, &es);
}
