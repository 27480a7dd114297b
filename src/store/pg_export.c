/* The export scans on PostgreSQL (store.h "Bulk import"): tweets in id order,
 * relationships in (src, dst) order, each one query in one snapshot. Bulk
 * import (COPY into an empty schema) is not written yet: fw_pg_import_begin
 * says so with FW_ENOTSUP, and `followd import` prints that; so does grant
 * revocation (credentials carry no grant id on PostgreSQL yet). */
#include "store/pg_internal.h"

#include <stdlib.h>

int fw_pg_import_begin(fw_store *st, fw_import **out)
{
    (void)st;
    *out = NULL;
    return FW_ENOTSUP;
}

int fw_pg_grant_revoke(fw_store *st, uint64_t grant_id)
{
    (void)st;
    return grant_id ? FW_ENOTSUP : FW_EINVAL;
}

typedef struct tweet_scan {
    int (*fn)(void *ctx, const fw_tweet *t);
    void *ctx;
} tweet_scan;

static int tweet_scan_row(void *ctx, const PGresult *r, int i)
{
    tweet_scan *ts = ctx;
    fw_tweet t;
    fw_pg_tweet_row(r, i, 0, &t);
    return ts->fn(ts->ctx, &t);
}

int fw_pg_tweet_scan(fw_store *st, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_tweet *t), void *ctx)
{
    tweet_scan ts = {fn, ctx};
    return fw_pg_scan(st, "SELECT " FW_PG_TWEET_COLS " FROM fw_tweets t WHERE t.id > $1 ORDER BY t.id LIMIT $2", after,
                      limit, tweet_scan_row, &ts);
}

typedef struct edge_scan {
    int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq);
    void *ctx;
} edge_scan;

static int edge_scan_row(void *ctx, const PGresult *r, int i)
{
    edge_scan *es = ctx;
    return es->fn(es->ctx, (uint8_t)atoi(PQgetvalue(r, i, 2)), strtoull(PQgetvalue(r, i, 0), NULL, 10),
                  strtoull(PQgetvalue(r, i, 1), NULL, 10), strtoull(PQgetvalue(r, i, 3), NULL, 10));
}

int fw_pg_edge_scan(fw_store *st, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq),
                    void *ctx)
{
    edge_scan es = {fn, ctx};
    return fw_pg_scan(st, "SELECT src, dst, state, seq FROM fw_rel WHERE src > $1 ORDER BY src, dst LIMIT $2", 0, 0,
                      edge_scan_row, &es);
}
