/* Graph writes on PostgreSQL: batched follow/unfollow/accept/decline and the
 * bulk loader.
 *
 * A batch is one simple-query string, so one round trip for the whole batch:
 *   BEGIN; SELECT ... FROM fw_users WHERE id IN (every user of the batch)
 *   ORDER BY id FOR UPDATE; SELECT * FROM fw_apply(kind, src, dst); ...; COMMIT
 * fw_apply (pg_schema.c) validates each op before changing anything, so a
 * refused op leaves no trace and the others proceed; a storage failure aborts
 * the transaction and every op of the batch reports it, none took effect.
 * Locking every user row of the batch first, in id order, gives all writers
 * (other nodes, the admin CLI) one lock order, so batches queue behind each
 * other instead of deadlocking; a serialization failure or deadlock that still
 * happens (against an admin transaction) is retried by fw_pgc_multi. The
 * callbacks run only after COMMIT returned, i.e. after PostgreSQL reported
 * the commit (durable as synchronous_commit is configured). */
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* Ids travel as PostgreSQL bigint (ids above 2^63 - 1 match nothing). */
static void put_id(fw_buf *b, uint64_t id) { fw_buf_put_i64(b, (int64_t)id); }

static void fail_all(fw_pg_wop *batch, int rc)
{
    for (fw_pg_wop *o = batch; o; o = o->next)
        o->res = (fw_write_res){.rc = rc, .rel = FW_REL_NONE, .changed = false};
}

void fw_pg_apply_batch(fw_pg *s, fw_pgc *c, fw_pg_wop *batch)
{
    size_t n = 0;
    for (fw_pg_wop *o = batch; o; o = o->next)
        n++;
    fw_buf b = FW_BUF_INIT;
    fw_buf_puts(&b, "BEGIN; SELECT 1 FROM fw_users WHERE id IN (");
    for (fw_pg_wop *o = batch; o; o = o->next) {
        put_id(&b, o->src);
        fw_buf_puts(&b, ",");
        put_id(&b, o->dst);
        fw_buf_puts(&b, o->next ? "," : ") ORDER BY id FOR UPDATE;");
    }
    for (fw_pg_wop *o = batch; o; o = o->next) {
        fw_buf_printf(&b, " SELECT * FROM fw_apply(%d,", (int)o->kind);
        put_id(&b, o->src);
        fw_buf_puts(&b, ",");
        put_id(&b, o->dst);
        fw_buf_puts(&b, ");");
    }
    fw_buf_puts(&b, " COMMIT");
    int max = (int)n + 3, nres = 0;
    PGresult **res = calloc((size_t)max, sizeof(*res));
    int rc = res ? fw_pgc_multi(c, b.data, res, max, &nres) : FW_ENOMEM;
    fw_buf_free(&b);
    if (rc == FW_OK && nres != max)
        rc = FW_EIO;
    if (rc == FW_OK && strcmp(PQcmdStatus(res[max - 1]), "COMMIT") != 0)
        rc = FW_EIO; /* the transaction was rolled back */
    if (rc) {
        fail_all(batch, rc);
    } else {
        int i = 2;
        for (fw_pg_wop *o = batch; o; o = o->next, i++) {
            PGresult *r = res[i];
            if (PQntuples(r) != 1 || PQnfields(r) != 3) {
                o->res = (fw_write_res){.rc = FW_EIO};
                continue;
            }
            o->res.rc = (int)(int64_t)fw_pg_u64(r, 0, 0);
            o->res.rel = (uint8_t)fw_pg_u64(r, 0, 1);
            o->res.changed = fw_pg_u64(r, 0, 2) != 0;
        }
    }
    if (res)
        fw_pg_clear_all(res, nres);
    free(res);
}

/* Runs on the submitter's loop: the callback, then the op is freed. */
static void wop_run(fw_task *t)
{
    fw_pg_wop *o = (fw_pg_wop *)(void *)t;
    fw_write_res res = o->res;
    fw_write_cb cb = o->cb;
    void *ctx = o->ctx;
    free(o);
    cb(ctx, &res);
}

void fw_pg_write(fw_store *st, fw_exec *exec, uint8_t kind, uint64_t src, uint64_t dst, fw_write_cb cb, void *ctx)
{
    fw_pg_wop *o = calloc(1, sizeof(*o));
    if (!o)
        abort(); /* as fw_buf: a server that cannot allocate 100 bytes cannot answer */
    *o = (fw_pg_wop){.task = {.run = wop_run}, .exec = exec, .kind = kind, .src = src, .dst = dst, .cb = cb,
                     .ctx = ctx};
    fw_pg_submit_write(fw_pg_of(st), o);
}

int fw_pg_write_sync(fw_store *st, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res)
{
    fw_pg *s = fw_pg_of(st);
    fw_pg_wop o = {.kind = kind, .src = src, .dst = dst};
    fw_pgc *c;
    int rc = fw_pg_admin_get(s, &c);
    if (rc) {
        *res = (fw_write_res){.rc = rc};
        return rc;
    }
    fw_pg_apply_batch(s, c, &o);
    fw_pg_admin_put(s);
    *res = o.res;
    return res->rc;
}

/* Both id lists as array literals: "{1,2,...}". */
static void id_array(fw_buf *b, const uint64_t *pairs, size_t n, int which)
{
    fw_buf_puts(b, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            fw_buf_puts(b, ",");
        put_id(b, pairs[2 * i + which]);
    }
    fw_buf_puts(b, "}");
}

int fw_pg_follow_bulk(fw_store *st, const uint64_t *pairs, size_t n)
{
    fw_pg *s = fw_pg_of(st);
    if (n == 0)
        return FW_OK;
    fw_buf a = FW_BUF_INIT, b = FW_BUF_INIT;
    id_array(&a, pairs, n, 0);
    id_array(&b, pairs, n, 1);
    fw_pgc *c;
    int rc = fw_pg_admin_get(s, &c);
    if (rc == FW_OK) {
        const char *vals[2] = {a.data, b.data};
        PGresult *r;
        rc = fw_pgc_exec(c, "SELECT fw_follow_bulk($1::bigint[], $2::bigint[])", 2, vals, NULL, NULL, &r);
        if (rc == FW_OK) {
            rc = (int)(int64_t)fw_pg_u64(r, 0, 0);
            PQclear(r);
        }
        fw_pg_admin_put(s);
    }
    fw_buf_free(&a);
    fw_buf_free(&b);
    return rc;
}
