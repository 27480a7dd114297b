/* State every node of one PostgreSQL database shares (store.h, "State shared
 * by every node"): short-lived OAuth entries (fw_ephem) and OAuth 1.0a nonces
 * (fw_nonces), schema v2 in pg_schema.c. Each call is one statement on the
 * connection pool, completing through the caller's executor.
 *
 * Keys: HMAC-SHA256 under a key derived from the store secret, which lives in
 * fw_meta, so every node computes the same digest and the table never holds
 * a token, code or nonce in clear. (Plain SHA-256 would do for the
 * high-entropy tokens and codes, but nonces and consumer keys are short and
 * client-chosen: a keyed digest keeps them unguessable from a table dump
 * without the secret, exactly like the in-memory tables' per-process keys.)
 *
 * Expiry is judged against the caller's clock, passed with each call (so
 * --test-clock moves it; nodes keep their clocks in sync): GET and TAKE never
 * return an expired entry, and every insert of a kind first deletes that
 * kind's expired entries. Nonces are swept in bounded
 * batches every SWEEP_EVERY inserts of a process. */
#include "store/pg_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"

#define SWEEP_EVERY 256
#define SWEEP_BATCH "2000"
#define MAX_TTL_MS (24LL * 3600 * 1000)

static atomic_uint nonce_inserts;

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p)
        abort(); /* see core/buf.h: allocation failure is fatal */
    return p;
}

/* HMAC(HMAC(secret, label), a || 0 || b): label separates the two tables. */
static void digest(fw_pg *s, const char *label, const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
    uint8_t k[32];
    fw_hmac_sha256(s->secret, sizeof s->secret, label, strlen(label), k);
    size_t n = alen + 1 + blen;
    uint8_t *buf = xcalloc(1, n);
    memcpy(buf, a, alen);
    if (blen)
        memcpy(buf + alen + 1, b, blen);
    fw_hmac_sha256(k, sizeof k, buf, n, out);
    free(buf);
}

static void job_task(fw_task *t)
{
    fw_pg_job *j = (fw_pg_job *)(void *)t;
    j->done(j);
}

/* ---- fw_ephem ----------------------------------------------------------- */

typedef struct ephem_job {
    fw_pg_job j;
    fw_ephem_cb cb;
    void *ctx;
    fw_ephem_q q; /* key and val point into the copies below */
    uint8_t key[32];
    uint8_t *val;
    fw_ephem_res res;
    uint8_t out[FW_EPHEM_MAX_VALUE];
} ephem_job;

static void ephem_fail(fw_pg_job *jb, int rc)
{
    ephem_job *j = (ephem_job *)(void *)jb;
    j->res = (fw_ephem_res){.rc = rc};
}

static void ephem_work(fw_pg_job *jb, fw_pgc *c)
{
    ephem_job *j = (ephem_job *)(void *)jb;
    const fw_ephem_q *q = &j->q;
    char kind[8], owner[24], ttl[24], max[16], per[16], now[24];
    snprintf(kind, sizeof kind, "%u", q->kind);
    snprintf(owner, sizeof owner, "%lld", (long long)q->owner);
    snprintf(ttl, sizeof ttl, "%lld", (long long)q->ttl_ms);
    snprintf(max, sizeof max, "%u", q->max);
    snprintf(per, sizeof per, "%u", q->per_owner);
    snprintf(now, sizeof now, "%lld", (long long)q->now_ms);
    PGresult *r = NULL;
    int rc;
    if (q->op == FW_EPH_PUT || q->op == FW_EPH_ADD) {
        const char *v[] = {kind,
                           (const char *)j->key,
                           owner,
                           j->val ? (const char *)j->val : "",
                           ttl,
                           max,
                           per,
                           q->evict ? "t" : "f",
                           q->op == FW_EPH_PUT ? "t" : "f",
                           now};
        int len[] = {0, 32, 0, (int)q->len, 0, 0, 0, 0, 0, 0};
        int bin[] = {0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
        rc = fw_pgc_exec(c, "SELECT fw_ephem_put($1::smallint, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10, v, len, bin,
                         &r);
        if (rc == FW_OK) {
            uint64_t verdict = fw_pg_u64(r, 0, 0);
            rc = verdict == 0 ? FW_OK : verdict == 1 ? FW_EEXISTS : FW_EFULL;
        }
        PQclear(r);
        j->res = (fw_ephem_res){.rc = rc};
        return;
    }
    const char *v[] = {kind, (const char *)j->key, now};
    int len[] = {0, 32, 0};
    int bin[] = {0, 1, 0};
    /* A take removes the entry even when it had expired (as fw_pending_take),
     * and reports it only when it was still live. */
    rc = fw_pgc_exec(c,
                     q->op == FW_EPH_TAKE ? "DELETE FROM fw_ephem WHERE kind = $1::smallint AND key = $2"
                                            " RETURNING val, expires_ms > $3::bigint"
                                          : "SELECT val, true FROM fw_ephem WHERE kind = $1::smallint AND key = $2"
                                            " AND expires_ms > $3::bigint",
                     3, v, len, bin, &r);
    if (rc == FW_OK && (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 1), "t") != 0))
        rc = FW_ENOTFOUND;
    size_t n = 0;
    if (rc == FW_OK)
        rc = fw_pg_unhex(PQgetvalue(r, 0, 0), j->out, sizeof j->out, &n);
    PQclear(r);
    j->res = (fw_ephem_res){.rc = rc, .val = rc == FW_OK ? j->out : NULL, .len = rc == FW_OK ? n : 0};
}

static void ephem_done(fw_pg_job *jb)
{
    ephem_job *j = (ephem_job *)(void *)jb;
    j->cb(j->ctx, &j->res);
    free(j->val);
    free(j);
}

void fw_pg_ephem(fw_store *st, fw_exec *exec, const fw_ephem_q *q, fw_ephem_cb cb, void *ctx)
{
    bool ins = q->op == FW_EPH_PUT || q->op == FW_EPH_ADD;
    if (q->op < FW_EPH_PUT || q->op > FW_EPH_TAKE || q->kind > 15 || !q->key.p || q->key.len < 1 ||
        q->key.len > FW_EPHEM_MAX_KEY || q->now_ms < 0 ||
        (ins && (q->len > FW_EPHEM_MAX_VALUE || (q->len && !q->val) || q->ttl_ms < 1 || q->ttl_ms > MAX_TTL_MS))) {
        fw_ephem_res res = {.rc = FW_EINVAL};
        cb(ctx, &res);
        return;
    }
    fw_pg *s = fw_pg_of(st);
    ephem_job *j = xcalloc(1, sizeof *j);
    j->j = (fw_pg_job){
        .task = {.run = job_task}, .exec = exec, .work = ephem_work, .done = ephem_done, .fail = ephem_fail};
    j->cb = cb;
    j->ctx = ctx;
    j->q = *q;
    uint8_t kind = q->kind;
    digest(s, "followd ephemeral keys v1", &kind, 1, q->key.p, q->key.len, j->key);
    j->q.key = FW_STR_NULL;
    if (ins && q->len) {
        j->val = xcalloc(1, q->len);
        memcpy(j->val, q->val, q->len);
    }
    j->q.val = j->val;
    fw_pg_submit(s, &j->j);
}

/* ---- fw_nonces ---------------------------------------------------------- */

typedef struct nonce_job {
    fw_pg_job j;
    fw_nonce_cb cb;
    void *ctx;
    uint8_t key[32];
    int64_t expires_s, now_s;
    int rc;
} nonce_job;

static void nonce_fail(fw_pg_job *jb, int rc)
{
    ((nonce_job *)(void *)jb)->rc = rc;
}

static void nonce_work(fw_pg_job *jb, fw_pgc *c)
{
    nonce_job *j = (nonce_job *)(void *)jb;
    char exp[24], now[24];
    snprintf(exp, sizeof exp, "%lld", (long long)j->expires_s);
    snprintf(now, sizeof now, "%lld", (long long)j->now_s);
    const char *v[] = {(const char *)j->key, exp, now};
    int len[] = {32, 0, 0};
    int bin[] = {1, 0, 0};
    PGresult *r = NULL;
    /* Fresh: a new row, or one whose pair had expired (taken over). A live
     * row makes the conflict update's WHERE false: no row comes back. */
    int rc = fw_pgc_exec(c,
                         "INSERT INTO fw_nonces (key, expires_s) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE"
                         " SET expires_s = EXCLUDED.expires_s"
                         " WHERE fw_nonces.expires_s < $3::bigint RETURNING 1",
                         3, v, len, bin, &r);
    if (rc == FW_OK && PQntuples(r) != 1)
        rc = FW_ENONCE;
    PQclear(r);
    j->rc = rc;
    if (rc == FW_OK && atomic_fetch_add(&nonce_inserts, 1) % SWEEP_EVERY == SWEEP_EVERY - 1) {
        PGresult *sw = NULL;
        if (fw_pgc_exec(c,
                        "DELETE FROM fw_nonces WHERE key IN (SELECT key FROM fw_nonces"
                        " WHERE expires_s < $1::bigint LIMIT " SWEEP_BATCH ")",
                        1, v + 2, NULL, NULL, &sw) == FW_OK)
            PQclear(sw);
    }
}

static void nonce_done(fw_pg_job *jb)
{
    nonce_job *j = (nonce_job *)(void *)jb;
    j->cb(j->ctx, j->rc);
    free(j);
}

void fw_pg_nonce(fw_store *st, fw_exec *exec, fw_str consumer_key, fw_str nonce, int64_t expires_s, int64_t now_s,
                 fw_nonce_cb cb, void *ctx)
{
    if (!consumer_key.p || !consumer_key.len || consumer_key.len > FW_TOKEN_MAX || !nonce.p || !nonce.len ||
        nonce.len > FW_TOKEN_MAX || expires_s < 0 || now_s < 0) {
        cb(ctx, FW_EINVAL);
        return;
    }
    fw_pg *s = fw_pg_of(st);
    nonce_job *j = xcalloc(1, sizeof *j);
    j->j = (fw_pg_job){
        .task = {.run = job_task}, .exec = exec, .work = nonce_work, .done = nonce_done, .fail = nonce_fail};
    j->cb = cb;
    j->ctx = ctx;
    j->expires_s = expires_s;
    j->now_s = now_s;
    digest(s, "followd nonces v1", consumer_key.p, consumer_key.len, nonce.p, nonce.len, j->key);
    fw_pg_submit(s, &j->j);
}

/* ---- rate-limit leases -------------------------------------------------- */

int fw_pg_lease(fw_store *st, const fw_lease_q *q, fw_lease_res *res)
{
    *res = (fw_lease_res){0};
    if (q->limit > INT32_MAX || q->want > INT32_MAX || q->window_ms < 1 || q->now_ms < 0 || q->ttl_ms < 1 ||
        q->kind > INT32_MAX)
        return FW_EINVAL;
    char v[11][24];
    snprintf(v[0], 24, "%u", q->kind);
    snprintf(v[1], 24, "%lld", (long long)q->a);
    snprintf(v[2], 24, "%lld", (long long)q->b);
    snprintf(v[3], 24, "%u", q->limit);
    snprintf(v[4], 24, "%lld", (long long)q->window_ms);
    snprintf(v[5], 24, "%lld", (long long)q->now_ms);
    snprintf(v[6], 24, "%lld", (long long)q->node);
    snprintf(v[7], 24, "%d", q->spent);
    snprintf(v[8], 24, "%lld", (long long)q->spent_window);
    snprintf(v[9], 24, "%u", q->want);
    snprintf(v[10], 24, "%lld", (long long)q->ttl_ms);
    fw_pgp p = {0};
    for (int i = 0; i < 11; i++)
        fw_pgp_str(&p, fw_str_c(v[i]));
    PGresult *r = NULL;
    fw_pg *s = fw_pg_of(st);
    /* Retrying after a lost connection is safe: a report counts only with
     * the lease row it belongs to, which the first run deleted if it
     * committed. */
    pthread_mutex_lock(&s->lease_mu);
    int rc = fw_pgc_exec(&s->lease,
                         "SELECT granted, window_end, rest, others, nodes FROM fw_lease($1::int, $2::bigint,"
                         " $3::bigint, $4::int, $5::bigint, $6::bigint, $7::bigint, $8::int, $9::bigint, $10::int,"
                         " $11::bigint)",
                         p.n, p.v, p.len, p.bin, &r);
    pthread_mutex_unlock(&s->lease_mu);
    fw_pgp_free(&p);
    if (rc == FW_OK && PQntuples(r) == 1) {
        res->granted = (uint32_t)fw_pg_u64(r, 0, 0);
        res->window_end_ms = (int64_t)fw_pg_u64(r, 0, 1);
        res->rest = (uint32_t)fw_pg_u64(r, 0, 2);
        res->others = (uint32_t)fw_pg_u64(r, 0, 3);
        res->nodes = (uint32_t)fw_pg_u64(r, 0, 4);
    } else if (rc == FW_OK) {
        rc = FW_EIO;
    }
    PQclear(r);
    return rc;
}
