/* The export scans on PostgreSQL (store.h "Bulk import"): tweets in id order
 * (keyset batches the caller asks for), relationships in (src, dst) order in
 * one snapshot, streamed through a cursor (bulk import is pg_import.c). */
#include "store/pg_internal.h"

#include <stdlib.h>

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

/* Edges go through a server-side cursor, FETCH_ROWS at a time, in one
 * transaction (one snapshot): memory stays one batch whatever the graph's
 * size, where one SELECT would hold every row in the client at once. */
#define FETCH_ROWS 10000
#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct edge_scan {
    int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq);
    void *ctx;
    uint64_t given; /* rows handed to fn, kept across a retried transaction */
} edge_scan;

static int edge_body(fw_pgc *c, void *arg)
{
    edge_scan *es = arg;
    int rc = fw_pgc_q(c, "DECLARE fw_edges NO SCROLL CURSOR FOR SELECT src, dst, state, seq FROM fw_rel "
                         "ORDER BY src, dst", NULL, NULL);
    /* a retried transaction sees the same rows in the same order: skip those given */
    uint64_t seen = 0;
    while (!rc) {
        PGresult *r;
        if ((rc = fw_pgc_q(c, "FETCH " STR(FETCH_ROWS) " FROM fw_edges", NULL, &r)))
            break;
        int n = PQntuples(r);
        for (int i = 0; i < n; i++, seen++) {
            if (seen < es->given)
                continue;
            es->given++;
            int f = es->fn(es->ctx, (uint8_t)atoi(PQgetvalue(r, i, 2)), strtoull(PQgetvalue(r, i, 0), NULL, 10),
                           strtoull(PQgetvalue(r, i, 1), NULL, 10), strtoull(PQgetvalue(r, i, 3), NULL, 10));
            if (f) {
                PQclear(r);
                return FW_OK; /* stopped: COMMIT closes the cursor */
            }
        }
        PQclear(r);
        if (n < FETCH_ROWS)
            break;
    }
    return rc;
}

int fw_pg_edge_scan(fw_store *st, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq),
                    void *ctx)
{
    edge_scan es = {fn, ctx, 0};
    return fw_pg_tx(fw_pg_of(st), edge_body, &es);
}
