/* The developer portal's records (PostgreSQL backend; store.h, section
 * "Developer portal"): developer accounts in fw_devs, the portal fields of
 * projects (owner, environment, created, use case) and of apps (permission,
 * website, the owner's own token) as columns of fw_projects and fw_apps
 * (schema v2, pg_schema.c). Result codes are the LMDB backend's
 * (lmdb_portal.c); each call is one statement or one transaction. */
#include "store/pg_internal.h"

#include <string.h>

#include "core/secret.h"

#define KEY_TRIES 8

static int rows1(PGresult *r) { return PQntuples(r) == 1 ? FW_OK : FW_ENOTFOUND; }

/* Runs sql with p (freed) on the admin connection: FW_OK when it returned a
 * row, FW_ENOTFOUND when none, else the statement's fw_err. */
static int exec_row(fw_store *st, const char *sql, fw_pgp *p)
{
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), sql, p, &r);
    fw_pgp_free(p);
    if (rc)
        return rc;
    rc = rows1(r);
    PQclear(r);
    return rc;
}

/* ---- developers ---- */

int fw_pg_dev_create(fw_store *st, uint64_t user_id, uint8_t status, int64_t now_ms)
{
    if (!fw_rec_dev_status_valid(status))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, user_id);
    fw_pgp_u64(&p, status);
    fw_pgp_u64(&p, (uint64_t)now_ms);
    PGresult *r;
    /* The user row is key-share locked so a concurrent delete waits or wins. */
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "WITH u AS (SELECT id FROM fw_users WHERE id = $1 FOR KEY SHARE), "
                         "ins AS (INSERT INTO fw_devs SELECT u.id, $2::smallint, $3::bigint FROM u "
                         "ON CONFLICT (user_id) DO NOTHING RETURNING 1) "
                         "SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM u)",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    bool made = fw_pg_u64(r, 0, 0) > 0, user = fw_pg_u64(r, 0, 1) > 0;
    PQclear(r);
    return made ? FW_OK : user ? FW_EEXISTS : FW_ENOTFOUND;
}

int fw_pg_dev_get(fw_store *st, uint64_t user_id, fw_dev *out)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, user_id);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "SELECT status, created_at_ms FROM fw_devs WHERE user_id = $1", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    if ((rc = rows1(r)) == FW_OK)
        *out = (fw_dev){user_id, (uint8_t)fw_pg_u64(r, 0, 0), (int64_t)fw_pg_u64(r, 0, 1)};
    PQclear(r);
    return rc;
}

int fw_pg_dev_set_status(fw_store *st, uint64_t user_id, uint8_t status)
{
    if (!fw_rec_dev_status_valid(status))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, user_id);
    fw_pgp_u64(&p, status);
    return exec_row(st, "UPDATE fw_devs SET status = $2 WHERE user_id = $1 RETURNING 1", &p);
}

/* ---- projects ---- */

#define PROJECT_COLS "id, owner_id, access_level, environment, created_at_ms, name, use_case"

/* Decodes one PROJECT_COLS row; strings borrow the result. */
static void project_row(const PGresult *r, int i, fw_project *p)
{
    p->id = fw_pg_u64(r, i, 0);
    p->owner_id = fw_pg_u64(r, i, 1);
    p->access_level = (uint8_t)fw_pg_u64(r, i, 2);
    p->environment = (uint8_t)fw_pg_u64(r, i, 3);
    p->created_at_ms = (int64_t)fw_pg_u64(r, i, 4);
    p->name = fw_pg_str(r, i, 5);
    p->use_case = fw_pg_str(r, i, 6);
}

int fw_pg_project_create_owned(fw_store *st, uint64_t owner_id, fw_str name, fw_str use_case, uint8_t environment,
                               uint8_t access_level, int64_t now_ms, uint64_t *id_out)
{
    if (!fw_rec_project_valid(name, use_case, environment) || access_level > FW_ACCESS_ENTERPRISE)
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, owner_id);
    fw_pgp_u64(&p, access_level);
    fw_pgp_str(&p, name);
    fw_pgp_u64(&p, environment);
    fw_pgp_u64(&p, (uint64_t)now_ms);
    fw_pgp_str(&p, use_case);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "INSERT INTO fw_projects (id, access_level, name, owner_id, environment, created_at_ms, use_case) "
                         "SELECT fw_next_id(), $2, $3, d.user_id, $4, $5, $6 FROM fw_devs d WHERE d.user_id = $1 "
                         "FOR KEY SHARE RETURNING id",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    if ((rc = rows1(r)) == FW_OK && id_out)
        *id_out = fw_pg_u64(r, 0, 0);
    PQclear(r);
    return rc;
}

int fw_pg_project_get(fw_store *st, uint64_t id, fw_project_rec *out)
{
    memset(out, 0, sizeof *out);
    fw_pgp p = {0};
    fw_pgp_u64(&p, id);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "SELECT " PROJECT_COLS " FROM fw_projects WHERE id = $1", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    if ((rc = rows1(r)) == FW_OK) {
        project_row(r, 0, &out->p);
        out->strs[0] = fw_str_dup(out->p.name);
        out->strs[1] = fw_str_dup(out->p.use_case);
        out->p.name.p = out->strs[0];
        out->p.use_case.p = out->strs[1];
    }
    PQclear(r);
    return rc;
}

int fw_pg_project_update(fw_store *st, uint64_t id, fw_str name, fw_str use_case, uint8_t environment)
{
    if (!fw_rec_project_valid(name, use_case, environment))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, id);
    fw_pgp_str(&p, name);
    fw_pgp_str(&p, use_case);
    fw_pgp_u64(&p, environment);
    return exec_row(st, "UPDATE fw_projects SET name = $2, use_case = $3, environment = $4 WHERE id = $1 RETURNING 1",
                    &p);
}

typedef struct pdel_arg {
    uint64_t id;
    bool with_apps;
} pdel_arg;

/* Locks the project (app creation key-share locks it, so no app appears
 * meanwhile), then refuses or deletes its apps, then the project. */
static int project_delete_body(fw_pgc *c, void *arg)
{
    const pdel_arg *a = arg;
    fw_pgp p = {0};
    fw_pgp_u64(&p, a->id);
    PGresult *r;
    int rc = fw_pgc_q(c,
                      "SELECT (SELECT count(*) FROM fw_apps WHERE project_id = $1) FROM fw_projects WHERE id = $1 "
                      "FOR UPDATE",
                      &p, &r);
    if (rc) {
        fw_pgp_free(&p);
        return rc;
    }
    rc = rows1(r);
    bool has_apps = rc == FW_OK && fw_pg_u64(r, 0, 0) > 0;
    PQclear(r);
    if (!rc && has_apps && !a->with_apps)
        rc = FW_EBUSY;
    if (!rc)
        rc = fw_pgc_q(c, "DELETE FROM fw_apps WHERE project_id = $1", &p, NULL);
    if (!rc)
        rc = fw_pgc_q(c, "DELETE FROM fw_projects WHERE id = $1", &p, NULL);
    fw_pgp_free(&p);
    return rc;
}

int fw_pg_project_delete(fw_store *st, uint64_t id, bool with_apps)
{
    pdel_arg a = {id, with_apps};
    return fw_pg_tx(fw_pg_of(st), project_delete_body, &a);
}

int fw_pg_project_scan_owner(fw_store *st, uint64_t owner_id, int (*fn)(void *ctx, const fw_project *p), void *ctx)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, owner_id);
    PGresult *r;
    /* owner 0 (admin-made projects) belongs to no developer */
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "SELECT " PROJECT_COLS " FROM fw_projects WHERE owner_id = $1 AND owner_id <> 0 ORDER BY id", &p,
                         &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        fw_project pr;
        project_row(r, i, &pr);
        if (fn(ctx, &pr))
            break;
    }
    PQclear(r);
    return FW_OK;
}

/* ---- app settings and edits ---- */

int fw_pg_app_settings_get(fw_store *st, uint64_t app_id, fw_app_settings_rec *out)
{
    memset(out, 0, sizeof *out);
    fw_pgp p = {0};
    fw_pgp_u64(&p, app_id);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "SELECT permission, website_url, dev_token FROM fw_apps WHERE id = $1", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    if ((rc = rows1(r)) == FW_OK) {
        out->s.permission = (uint8_t)fw_pg_u64(r, 0, 0);
        out->strs[0] = fw_str_dup(fw_pg_str(r, 0, 1));
        out->strs[1] = fw_str_dup(fw_pg_str(r, 0, 2));
        out->s.website_url = (fw_str){out->strs[0], fw_pg_str(r, 0, 1).len};
        out->s.dev_token = (fw_str){out->strs[1], fw_pg_str(r, 0, 2).len};
    }
    PQclear(r);
    return rc;
}

int fw_pg_app_update(fw_store *st, uint64_t app_id, fw_str name, uint8_t client_type, fw_str redirect_uris,
                     uint8_t permission, fw_str website_url)
{
    if (!fw_rec_app_update_valid(name, client_type, redirect_uris, permission, website_url))
        return FW_EINVAL;
    /* A secret for a public -> confidential change, drawn whether needed or not. */
    char csec[64];
    if (fw_rec_client_secret(csec))
        return FW_ECRYPTO;
    fw_pgp p = {0};
    fw_pgp_u64(&p, app_id);
    fw_pgp_str(&p, name);
    fw_pgp_u64(&p, client_type);
    fw_pgp_str(&p, redirect_uris);
    fw_pgp_u64(&p, permission);
    fw_pgp_str(&p, website_url);
    fw_pgp_str(&p, fw_str_c(csec));
    fw_pgp_u64(&p, FW_CLIENT_PUBLIC);
    return exec_row(st,
                      "UPDATE fw_apps SET name = $2, client_type = $3::smallint, redirect_uris = $4, "
                      "permission = $5, website_url = $6, client_secret = CASE WHEN $3::smallint = $8::smallint "
                      "THEN '' WHEN client_secret = '' THEN $7 ELSE client_secret END WHERE id = $1 RETURNING 1",
                      &p);
}

int fw_pg_app_set_dev_token(fw_store *st, uint64_t app_id, fw_str token)
{
    if (token.len > FW_TOKEN_MAX || (token.len && !token.p))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, app_id);
    fw_pgp_str(&p, token);
    return exec_row(st, "UPDATE fw_apps SET dev_token = $2 WHERE id = $1 RETURNING 1", &p);
}

int fw_pg_app_delete(fw_store *st, uint64_t app_id)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, app_id);
    return exec_row(st, "DELETE FROM fw_apps WHERE id = $1 RETURNING 1", &p);
}

typedef struct regen_arg {
    uint64_t id;
    unsigned what;
} regen_arg;

static int regen_body(fw_pgc *c, void *arg)
{
    const regen_arg *a = arg;
    fw_pgp p = {0};
    fw_pgp_u64(&p, a->id);
    PGresult *r;
    int rc = fw_pgc_q(c, "SELECT client_type FROM fw_apps WHERE id = $1 FOR UPDATE", &p, &r);
    if (rc) {
        fw_pgp_free(&p);
        return rc;
    }
    rc = rows1(r);
    if (!rc && (a->what & FW_REGEN_CLIENT_SECRET) && fw_pg_u64(r, 0, 0) == FW_CLIENT_PUBLIC)
        rc = FW_EINVAL;
    PQclear(r);
    char ck[CONSUMER_KEY_LEN + 1], cs[CONSUMER_SECRET_LEN + 1], csec[64];
    if (!rc && (fw_random_alnum(ck, CONSUMER_KEY_LEN) < 0 || fw_random_alnum(cs, CONSUMER_SECRET_LEN) < 0 ||
                fw_rec_client_secret(csec)))
        rc = FW_ECRYPTO;
    if (!rc) {
        ck[CONSUMER_KEY_LEN] = cs[CONSUMER_SECRET_LEN] = 0;
        fw_pgp_u64(&p, (a->what & FW_REGEN_CONSUMER) != 0);
        fw_pgp_str(&p, fw_str_c(ck));
        fw_pgp_str(&p, fw_str_c(cs));
        fw_pgp_u64(&p, (a->what & FW_REGEN_CLIENT_SECRET) != 0);
        fw_pgp_str(&p, fw_str_c(csec));
        /* a consumer key another app holds fails the unique key: FW_EEXISTS, drawn again */
        rc = fw_pgc_q(c,
                      "UPDATE fw_apps SET consumer_key = CASE WHEN $2::int <> 0 THEN $3 ELSE consumer_key END, "
                      "consumer_secret = CASE WHEN $2::int <> 0 THEN $4 ELSE consumer_secret END, "
                      "client_secret = CASE WHEN $5::int <> 0 THEN $6 ELSE client_secret END WHERE id = $1",
                      &p, NULL);
    }
    fw_pgp_free(&p);
    return rc;
}

int fw_pg_app_regenerate(fw_store *st, uint64_t app_id, unsigned what, fw_app_rec *out)
{
    memset(out, 0, sizeof *out);
    if (!what || (what & ~(FW_REGEN_CONSUMER | FW_REGEN_CLIENT_SECRET)))
        return FW_EINVAL;
    regen_arg a = {app_id, what};
    int rc = FW_EEXISTS;
    for (int tries = 0; rc == FW_EEXISTS && tries < KEY_TRIES; tries++)
        rc = fw_pg_tx(fw_pg_of(st), regen_body, &a);
    return rc ? rc : fw_pg_app_get(st, app_id, out);
}
