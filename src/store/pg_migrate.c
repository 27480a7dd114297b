/* Verbatim copies for moving a database between stores (store.h "Moving a
 * database between stores"), PostgreSQL backend. Each write is one
 * transaction that also moves the id counter (fw_meta last_id) past the id it
 * stores, so ids handed out later never collide with migrated ones. */
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#define RAISE_LAST_ID "UPDATE fw_meta SET n = GREATEST(n, $1::bigint) WHERE k = 'last_id'"

typedef struct project_scan {
    fw_project_fn fn;
    void *ctx;
} project_scan;

static int project_row(void *ctx, const PGresult *r, int i)
{
    project_scan *ps = ctx;
    return ps->fn(ps->ctx, fw_pg_u64(r, i, 0), fw_pg_str(r, i, 1), (uint8_t)fw_pg_u64(r, i, 2));
}

int fw_pg_project_scan(fw_store *st, fw_project_fn fn, void *ctx)
{
    project_scan ps = {fn, ctx};
    return fw_pg_scan(st, "SELECT id, name, access_level FROM fw_projects WHERE id > $1 ORDER BY id LIMIT $2", 0, 0,
                      project_row, &ps);
}

/* One INSERT that must store exactly one row, then the id counter. */
typedef struct put_arg {
    const char *sql;
    const fw_pgp *p;
    uint64_t id;
} put_arg;

static int put_body(fw_pgc *c, void *arg)
{
    const put_arg *a = arg;
    PGresult *r;
    int rc = fw_pgc_q(c, a->sql, a->p, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) == 1 ? FW_OK : FW_ENOTFOUND;
    PQclear(r);
    if (rc)
        return rc;
    fw_pgp id = {0};
    fw_pgp_u64(&id, a->id);
    rc = fw_pgc_q(c, RAISE_LAST_ID, &id, NULL);
    fw_pgp_free(&id);
    return rc;
}

static int put(fw_store *st, const char *sql, fw_pgp *p, uint64_t id)
{
    put_arg a = {sql, p, id};
    int rc = p->bad ? FW_EINVAL : fw_pg_tx(fw_pg_of(st), put_body, &a);
    fw_pgp_free(p);
    return rc;
}

int fw_pg_project_put(fw_store *st, uint64_t id, fw_str name, uint8_t access_level)
{
    if (!id || id > (uint64_t)INT64_MAX || access_level > FW_ACCESS_ENTERPRISE || name.len > FW_FIELD_MAX ||
        (name.len && !name.p))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, id);
    fw_pgp_u64(&p, access_level);
    fw_pgp_str(&p, name);
    return put(st, "INSERT INTO fw_projects (id, access_level, name) VALUES ($1, $2, $3) RETURNING 1", &p, id);
}

int fw_pg_app_put(fw_store *st, const fw_app *a)
{
    const fw_str strs[] = {a->name, a->consumer_key, a->consumer_secret, a->client_id, a->client_secret,
                           a->redirect_uris};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strs[i].len > FW_FIELD_MAX || (strs[i].len && !strs[i].p))
            return FW_EINVAL;
    if (!a->id || a->id > (uint64_t)INT64_MAX || a->client_type > FW_CLIENT_PUBLIC || !a->consumer_key.len ||
        a->consumer_key.len > FW_TOKEN_MAX || !a->client_id.len || a->client_id.len > FW_TOKEN_MAX)
        return FW_EINVAL;
    fw_pgp p = {0};
    const uint64_t nums[] = {a->id, a->project_id, a->client_type, a->bearer_gen};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        fw_pgp_u64(&p, nums[i]);
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        fw_pgp_str(&p, strs[i]);
    return put(st,
               "INSERT INTO fw_apps (id, project_id, client_type, bearer_gen, name, consumer_key, consumer_secret, "
               "client_id, client_secret, redirect_uris) SELECT $1::bigint, $2::bigint, $3::smallint, $4::bigint, $5::text, "
               "$6::text, $7::text, $8::text, $9::text, $10::text WHERE $2::bigint = 0 OR EXISTS (SELECT 1 FROM fw_projects WHERE id = $2) RETURNING 1",
               &p, a->id);
}

int fw_pg_cred_scan(fw_store *st, fw_cred_fn fn, void *ctx)
{
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "SELECT c.key, c.kind, " FW_PG_CRED_REVOKED "::int, c.app_id, c.user_id, c.scopes, "
                         "c.issued_at_ms, c.expires_at_ms, c.secret, c.grant_id FROM fw_creds c ORDER BY c.key",
                         NULL, &r);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(r) && !rc; i++) {
        uint8_t kb[1 + FW_TOKEN_MAX];
        size_t kn;
        if ((rc = fw_pg_unhex(PQgetvalue(r, i, 0), kb, sizeof kb, &kn)))
            break;
        fw_cred c = {.kind = (uint8_t)fw_pg_u64(r, i, 1), .revoked = fw_pg_u64(r, i, 2) != 0,
                     .app_id = fw_pg_u64(r, i, 3), .user_id = fw_pg_u64(r, i, 4),
                     .scopes = (uint32_t)fw_pg_u64(r, i, 5), .issued_at_ms = (int64_t)fw_pg_u64(r, i, 6),
                     .expires_at_ms = (int64_t)fw_pg_u64(r, i, 7), .secret = fw_pg_str(r, i, 8),
                     .grant_id = fw_pg_u64(r, i, 9)};
        bool oauth1 = kn >= 2 && kb[0] == 'O';
        if ((!oauth1 && (kn != 33 || kb[0] != 'H')) || oauth1 != (c.kind == FW_CRED_OAUTH1_USER)) {
            rc = FW_EIO;
            break;
        }
        int f = fn(ctx, oauth1 ? NULL : kb + 1, oauth1 ? (fw_str){(const char *)kb + 1, kn - 1} : FW_STR_NULL, &c);
        if (f) {
            rc = f < 0 ? f : FW_OK; /* a negative fw_err from fn ends the scan with it */
            break;
        }
    }
    PQclear(r);
    return rc;
}

int fw_pg_secret_set(fw_store *st, const uint8_t secret[32])
{
    fw_pg *s = fw_pg_of(st);
    fw_pgp p = {0};
    fw_pgp_bytes(&p, secret, 32);
    PGresult *r;
    int rc = fw_pg_exec1(s, "UPDATE fw_meta SET b = $1 WHERE k = 'secret' RETURNING 1", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    rc = PQntuples(r) == 1 ? FW_OK : FW_EIO;
    PQclear(r);
    if (!rc)
        memcpy(s->secret, secret, 32);
    return rc;
}

int fw_pg_wipe(fw_store *st)
{
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), FW_PG_WIPE_SQL, NULL, &r);
    PQclear(r);
    return rc;
}

/* ---- verbatim portal fields (the public entries, store.h) ---- */

/* One UPDATE ... RETURNING 1 in its own transaction: FW_ENOTFOUND when no row matched. */
static int update1(fw_store *st, const char *sql, fw_pgp *p)
{
    PGresult *r;
    int rc = p->bad ? FW_EINVAL : fw_pg_exec1(fw_pg_of(st), sql, p, &r);
    fw_pgp_free(p);
    if (rc)
        return rc;
    rc = PQntuples(r) == 1 ? FW_OK : FW_ENOTFOUND;
    PQclear(r);
    return rc;
}

static bool project_info_valid(const fw_project *p)
{
    return p->use_case.len <= FW_USE_CASE_MAX && (!p->use_case.len || p->use_case.p) &&
           p->environment <= FW_ENV_PRODUCTION && p->owner_id <= (uint64_t)INT64_MAX;
}

static bool settings_valid(const fw_app_settings *st)
{
    return st->permission <= FW_APP_PERM_READ && st->website_url.len <= FW_FIELD_MAX &&
           (!st->website_url.len || st->website_url.p) && st->dev_token.len <= FW_TOKEN_MAX &&
           (!st->dev_token.len || st->dev_token.p);
}

int fw_pg_project_info_put(fw_store *st, const fw_project *pr)
{
    if (!project_info_valid(pr))
        return FW_EINVAL;
    fw_pgp p = {0};
    const uint64_t nums[] = {pr->id, pr->owner_id, pr->environment, (uint64_t)pr->created_at_ms};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        fw_pgp_u64(&p, nums[i]);
    fw_pgp_str(&p, pr->use_case);
    return update1(st,
                   "UPDATE fw_projects SET owner_id = $2, environment = $3, created_at_ms = $4, use_case = $5 "
                   "WHERE id = $1 RETURNING 1",
                   &p);
}

int fw_pg_app_settings_put(fw_store *st, uint64_t app_id, const fw_app_settings *set)
{
    if (!settings_valid(set))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, app_id);
    fw_pgp_u64(&p, set->permission);
    fw_pgp_str(&p, set->website_url);
    fw_pgp_str(&p, set->dev_token);
    return update1(st, "UPDATE fw_apps SET permission = $2, website_url = $3, dev_token = $4 WHERE id = $1 RETURNING 1",
                   &p);
}

/* ---- the sink into the import's transaction (pg_import.c runs it) ---- */

/* One statement on c that must return exactly one row (FW_ENOTFOUND if none:
 * a record it hangs on is missing); frees p. */
static int tx_one(fw_pgc *c, const char *sql, fw_pgp *p)
{
    PGresult *r;
    int rc = p->bad ? FW_EINVAL : fw_pgc_q(c, sql, p, &r);
    fw_pgp_free(p);
    if (rc)
        return rc;
    rc = PQntuples(r) == 1 ? FW_OK : FW_ENOTFOUND;
    PQclear(r);
    return rc;
}

/* tx_one, then the id counter past id. */
static int tx_put(fw_pgc *c, const char *sql, fw_pgp *p, uint64_t id)
{
    if (p->bad) {
        fw_pgp_free(p);
        return FW_EINVAL;
    }
    put_arg a = {sql, p, id};
    int rc = put_body(c, &a);
    fw_pgp_free(p);
    return rc;
}

static int tx_project(void *w, const fw_project *pr)
{
    if (!pr->id || pr->id > (uint64_t)INT64_MAX || pr->access_level > FW_ACCESS_ENTERPRISE ||
        pr->name.len > FW_FIELD_MAX || (pr->name.len && !pr->name.p) || !project_info_valid(pr))
        return FW_EINVAL;
    fw_pgp p = {0};
    const uint64_t nums[] = {pr->id, pr->access_level, pr->owner_id, pr->environment, (uint64_t)pr->created_at_ms};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        fw_pgp_u64(&p, nums[i]);
    fw_pgp_str(&p, pr->name);
    fw_pgp_str(&p, pr->use_case);
    return tx_put(w,
                  "INSERT INTO fw_projects (id, access_level, owner_id, environment, created_at_ms, name, use_case) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING 1",
                  &p, pr->id);
}

static int tx_app(void *w, const fw_app *a, const fw_app_settings *set)
{
    const fw_str strs[] = {a->name,      a->consumer_key,  a->consumer_secret, a->client_id,
                           a->client_secret, a->redirect_uris, set->website_url, set->dev_token};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strs[i].len > FW_FIELD_MAX || (strs[i].len && !strs[i].p))
            return FW_EINVAL;
    if (!a->id || a->id > (uint64_t)INT64_MAX || a->client_type > FW_CLIENT_PUBLIC || !a->consumer_key.len ||
        a->consumer_key.len > FW_TOKEN_MAX || !a->client_id.len || a->client_id.len > FW_TOKEN_MAX ||
        !settings_valid(set))
        return FW_EINVAL;
    fw_pgp p = {0};
    const uint64_t nums[] = {a->id, a->project_id, a->client_type, a->bearer_gen, set->permission};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        fw_pgp_u64(&p, nums[i]);
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        fw_pgp_str(&p, strs[i]);
    return tx_put(w,
                  "INSERT INTO fw_apps (id, project_id, client_type, bearer_gen, permission, name, consumer_key, "
                  "consumer_secret, client_id, client_secret, redirect_uris, website_url, dev_token) "
                  "SELECT $1::bigint, $2::bigint, $3::smallint, $4::bigint, $5::smallint, $6::text, $7::text, "
                  "$8::text, $9::text, $10::text, $11::text, $12::text, $13::text "
                  "WHERE $2::bigint = 0 OR EXISTS (SELECT 1 FROM fw_projects WHERE id = $2) RETURNING 1",
                  &p, a->id);
}

static int tx_cred(void *w, const uint8_t *hash, fw_str oauth1_token, const fw_cred *c)
{
    fw_pgp p = {0};
    if (fw_pg_cred_params(hash, oauth1_token, c, &p) != FW_OK)
        return FW_EINVAL;
    return tx_one(w, FW_PG_CRED_INSERT " RETURNING 1", &p);
}

static int tx_dev(void *w, const fw_dev *d)
{
    if (!fw_rec_dev_status_valid(d->status))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, d->user_id);
    fw_pgp_u64(&p, d->status);
    fw_pgp_u64(&p, (uint64_t)d->created_at_ms);
    return tx_one(w,
                  "INSERT INTO fw_devs SELECT $1::bigint, $2::smallint, $3::bigint "
                  "WHERE EXISTS (SELECT 1 FROM fw_users WHERE id = $1) RETURNING 1",
                  &p);
}

static int tx_password(void *w, uint64_t user_id, const uint8_t *rec, size_t len)
{
    if (!len || len > FW_PASSWORD_REC_MAX)
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, user_id);
    fw_pgp_bytes(&p, rec, len);
    return tx_one(w,
                  "INSERT INTO fw_passwords SELECT $1::bigint, $2::bytea "
                  "WHERE EXISTS (SELECT 1 FROM fw_users WHERE id = $1) RETURNING 1",
                  &p);
}

static int tx_secret(void *w, const uint8_t secret[32])
{
    fw_pgp p = {0};
    fw_pgp_bytes(&p, secret, 32);
    int rc = tx_one(w, "UPDATE fw_meta SET b = $1 WHERE k = 'secret' RETURNING 1", &p);
    return rc == FW_ENOTFOUND ? FW_EIO : rc;
}

const fw_migrate_sink fw_pg_tx_sink = {tx_project, tx_app, tx_cred, tx_dev, tx_password, tx_secret};

/* ---- developer accounts and passwords, one scan each ---- */

typedef struct dev_scan {
    fw_dev_fn fn;
    void *ctx;
} dev_scan;

static int dev_row(void *ctx, const PGresult *r, int i)
{
    dev_scan *ds = ctx;
    fw_dev d = {fw_pg_u64(r, i, 0), (uint8_t)fw_pg_u64(r, i, 1), (int64_t)fw_pg_u64(r, i, 2)};
    return ds->fn(ds->ctx, &d);
}

int fw_pg_dev_scan(fw_store *st, fw_dev_fn fn, void *ctx)
{
    dev_scan ds = {fn, ctx};
    return fw_pg_scan(st, "SELECT user_id, status, created_at_ms FROM fw_devs WHERE user_id > $1 ORDER BY user_id "
                          "LIMIT $2", 0, 0, dev_row, &ds);
}

typedef struct password_scan {
    fw_password_fn fn;
    void *ctx;
    int rc; /* a record that does not decode */
} password_scan;

static int password_row(void *ctx, const PGresult *r, int i)
{
    password_scan *ps = ctx;
    uint8_t rec[FW_PASSWORD_REC_MAX];
    size_t len;
    if ((ps->rc = fw_pg_unhex(PQgetvalue(r, i, 1), rec, sizeof rec, &len)))
        return 1;
    return ps->fn(ps->ctx, fw_pg_u64(r, i, 0), rec, len);
}

int fw_pg_password_scan(fw_store *st, fw_password_fn fn, void *ctx)
{
    password_scan ps = {fn, ctx, FW_OK};
    int rc = fw_pg_scan(st, "SELECT user_id, rec FROM fw_passwords WHERE user_id > $1 ORDER BY user_id LIMIT $2", 0,
                        0, password_row, &ps);
    return rc ? rc : ps.rc ? FW_EIO : FW_OK;
}
