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

int fw_pg_tweet_scan(fw_store *st, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_tweet *t), void *ctx)
{
    if (after >= (uint64_t)INT64_MAX)
        return FW_OK;
    fw_pgp p = {0};
    fw_pgp_u64(&p, after);
    fw_pgp_u64(&p, limit ? limit : (uint64_t)INT64_MAX);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "SELECT " FW_PG_TWEET_COLS " FROM fw_tweets t WHERE t.id > $1 ORDER BY t.id LIMIT $2",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        fw_tweet t;
        fw_pg_tweet_row(r, i, 0, &t);
        if (fn(ctx, &t))
            break;
    }
    PQclear(r);
    return FW_OK;
}

int fw_pg_edge_scan(fw_store *st, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq),
                    void *ctx)
{
    fw_pgp p = {0};
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "SELECT src, dst, state, seq FROM fw_rel ORDER BY src, dst", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        uint64_t src = strtoull(PQgetvalue(r, i, 0), NULL, 10), dst = strtoull(PQgetvalue(r, i, 1), NULL, 10);
        uint64_t seq = strtoull(PQgetvalue(r, i, 3), NULL, 10);
        if (fn(ctx, (uint8_t)atoi(PQgetvalue(r, i, 2)), src, dst, seq))
            break;
    }
    PQclear(r);
    return FW_OK;
}
