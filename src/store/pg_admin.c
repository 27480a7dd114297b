/* Admin functions of the PostgreSQL backend (users, tweets, projects, apps,
 * credentials, passwords): synchronous, on the admin connection, each one
 * statement or one transaction (fw_pg_tx), so a failed call changes nothing.
 * Multi-step changes lock the rows they read first (SELECT ... FOR UPDATE),
 * in the same order the graph writes use (users by id), and deadlocks or
 * serialization failures are retried by fw_pg_tx. */
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/codec.h"
#include "core/secret.h"

#define ID_TRIES 8

/* Rows of a statement that returns at most one, or FW_EIO-style failure. */
static int one_row(PGresult *r) { return PQntuples(r) == 1 ? FW_OK : FW_ENOTFOUND; }

/* ---- users ---- */

static fw_str *user_field(fw_user *u, int field)
{
    fw_str *f[] = {&u->username, &u->name, &u->description, &u->location, &u->url, &u->profile_image_url,
                   &u->withheld_countries, &u->entities_json};
    return field >= 0 && field < 8 ? f[field] : NULL;
}

static void rec_fill(fw_user_rec *r, const fw_user *u)
{
    memset(r, 0, sizeof(*r));
    r->u = *u;
    r->u.default_json = FW_STR_NULL;
    for (int i = 0; i < 8; i++)
        fw_user_rec_set(r, i, *user_field((fw_user *)u, i));
}

/* The profile columns every user write sets, as parameters $first.. in the
 * order of PROFILE_COLS. */
#define PROFILE_COLS                                                                                            \
    "uname, created_at_ms, pinned_tweet_id, tweet_count, listed_count, like_count, flags, verified_type, "   \
    "username, name, description, location, url, profile_image_url, withheld_countries, entities_json, " \
    "default_json"
#define PROFILE_N 17
static void profile_params(fw_pgp *p, const fw_user *u, const char *lname)
{
    fw_buf head = FW_BUF_INIT;
    fw_rec_user_head(u, &head);
    fw_pgp_str(p, fw_str_c(lname));
    fw_pgp_u64(p, (uint64_t)u->created_at_ms);
    fw_pgp_u64(p, u->pinned_tweet_id);
    fw_pgp_u64(p, u->tweet_count);
    fw_pgp_u64(p, u->listed_count);
    fw_pgp_u64(p, u->like_count);
    fw_pgp_u64(p, u->flags);
    fw_pgp_u64(p, u->verified_type);
    for (int i = 0; i < 8; i++)
        fw_pgp_str(p, *user_field((fw_user *)u, i));
    fw_pgp_str(p, (fw_str){head.data ? head.data : "", head.len});
    fw_buf_free(&head);
}

typedef struct user_arg {
    fw_user u;
    char lname[FW_USERNAME_MAX + 1];
} user_arg;


static int exists(fw_pgc *c, const char *sql, uint64_t id, bool *yes)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, id);
    PGresult *r;
    int rc = fw_pgc_q(c, sql, &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    *yes = PQntuples(r) > 0;
    PQclear(r);
    return FW_OK;
}

/* INSERT ... ON CONFLICT DO NOTHING: no row back means the id or the
 * username is taken. *made tells which. */
static int insert_user(fw_pg *s, const user_arg *a, bool *made)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, a->u.id);
    fw_pgp_u64(&p, a->u.most_recent_tweet_id);
    profile_params(&p, &a->u, a->lname);
    PGresult *r;
    int rc = fw_pg_exec1(s,
                         "INSERT INTO fw_users (id, most_recent_tweet_id, " PROFILE_COLS ") VALUES ($1, $2, $3, $4, $5, "
                         "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) ON CONFLICT DO NOTHING "
                         "RETURNING id",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    *made = PQntuples(r) == 1;
    PQclear(r);
    return FW_OK;
}

static int next_id(fw_pg *s, uint64_t *id)
{
    PGresult *r;
    int rc = fw_pg_exec1(s, "SELECT fw_next_id()", NULL, &r);
    if (rc)
        return rc;
    *id = fw_pg_u64(r, 0, 0);
    PQclear(r);
    return FW_OK;
}

int fw_pg_user_create(fw_store *st, const fw_user *u, uint64_t *id_out)
{
    fw_pg *s = fw_pg_of(st);
    user_arg a = {.u = *u};
    if (!fw_rec_user_valid(u) || !fw_rec_username_key(u->username, a.lname) || u->id > (uint64_t)INT64_MAX)
        return FW_EINVAL;
    a.u.followers_count = a.u.following_count = 0;
    if (!a.u.created_at_ms)
        a.u.created_at_ms = fw_now_ms();
    bool assign = a.u.id == 0, made = false;
    int rc = FW_OK;
    /* The id goes into the derived default_json, so it is drawn before the
     * insert; one that an explicitly created user took meanwhile is drawn again. */
    for (int tries = 0; !rc && !made && tries < ID_TRIES; tries++) {
        if (assign && (rc = next_id(s, &a.u.id)))
            break;
        if ((rc = insert_user(s, &a, &made)) || made)
            break;
        fw_pgp p = {0};
        fw_pgp_str(&p, fw_str_c(a.lname));
        PGresult *r;
        if (!assign || (rc = fw_pg_exec1(s, "SELECT 1 FROM fw_users WHERE uname = $1", &p, &r))) {
            fw_pgp_free(&p);
            rc = rc ? rc : FW_EEXISTS;
            break;
        }
        fw_pgp_free(&p);
        if (PQntuples(r))
            rc = FW_EEXISTS;
        PQclear(r);
    }
    if (!rc && !made)
        rc = FW_EEXISTS;
    if (!rc && id_out)
        *id_out = a.u.id;
    return rc;
}

int fw_pg_user_update(fw_store *st, const fw_user *u)
{
    char lname[FW_USERNAME_MAX + 1];
    if (!fw_rec_user_valid(u) || !fw_rec_username_key(u->username, lname))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, u->id);
    profile_params(&p, u, lname);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "SELECT fw_user_update($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
                         "$17, $18)",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    rc = (int)(int64_t)fw_pg_u64(r, 0, 0);
    PQclear(r);
    return rc;
}

static int delete_body(fw_pgc *c, void *arg)
{
    static const char *const steps[] = {
        "SELECT fw_unlink_user($1)",
        "DELETE FROM fw_passwords WHERE user_id = $1",
        "DELETE FROM fw_creds WHERE user_id = $1",
        "DELETE FROM fw_users WHERE id = $1",
    };
    uint64_t id = *(const uint64_t *)arg;
    bool found;
    int rc = exists(c, "SELECT 1 FROM fw_users WHERE id = $1 FOR UPDATE", id, &found);
    if (rc || !found)
        return rc ? rc : FW_ENOTFOUND;
    fw_pgp p = {0};
    fw_pgp_u64(&p, id);
    for (size_t i = 0; !rc && i < sizeof(steps) / sizeof(steps[0]); i++)
        rc = fw_pgc_q(c, steps[i], &p, NULL);
    fw_pgp_free(&p);
    return rc;
}

int fw_pg_user_delete(fw_store *st, uint64_t id) { return fw_pg_tx(fw_pg_of(st), delete_body, &id); }

static int user_get_q(fw_store *st, const char *sql, fw_pgp *p, fw_user_rec *out)
{
    memset(out, 0, sizeof(*out));
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), sql, p, &r);
    fw_pgp_free(p);
    if (rc)
        return rc;
    if ((rc = one_row(r)) == FW_OK) {
        fw_user u;
        fw_pg_user_row(r, 0, 0, &u);
        rec_fill(out, &u);
    }
    PQclear(r);
    return rc;
}

int fw_pg_user_get(fw_store *st, uint64_t id, fw_user_rec *out)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, id);
    return user_get_q(st, "SELECT " FW_PG_USER_COLS " FROM fw_users u WHERE u.id = $1", &p, out);
}

int fw_pg_user_get_by_name(fw_store *st, fw_str username, fw_user_rec *out)
{
    char lname[FW_USERNAME_MAX + 1];
    if (!fw_rec_username_key(username, lname)) {
        memset(out, 0, sizeof(*out));
        return FW_ENOTFOUND;
    }
    fw_pgp p = {0};
    fw_pgp_str(&p, fw_str_c(lname));
    return user_get_q(st, "SELECT " FW_PG_USER_COLS " FROM fw_users u WHERE u.uname = $1", &p, out);
}

int fw_pg_scan(fw_store *st, const char *sql, uint64_t after, size_t limit,
               int (*row)(void *ctx, const PGresult *r, int i), void *ctx)
{
    if (after >= (uint64_t)INT64_MAX)
        return FW_OK;
    fw_pgp p = {0};
    fw_pgp_u64(&p, after);
    fw_pgp_u64(&p, limit ? limit : (uint64_t)INT64_MAX);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), sql, &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(r); i++)
        if (row(ctx, r, i))
            break;
    PQclear(r);
    return FW_OK;
}

typedef struct user_scan {
    int (*fn)(void *ctx, const fw_user *u);
    void *ctx;
} user_scan;

static int user_scan_row(void *ctx, const PGresult *r, int i)
{
    user_scan *us = ctx;
    fw_user u;
    fw_pg_user_row(r, i, 0, &u);
    return us->fn(us->ctx, &u);
}

int fw_pg_user_scan(fw_store *st, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_user *u), void *ctx)
{
    user_scan us = {fn, ctx};
    return fw_pg_scan(st, "SELECT " FW_PG_USER_COLS " FROM fw_users u WHERE u.id > $1 ORDER BY u.id LIMIT $2", after,
                      limit, user_scan_row, &us);
}

/* ---- tweets ---- */

int fw_pg_tweet_add(fw_store *st, const fw_tweet *t, uint64_t *id_out)
{
    if (!fw_rec_tweet_valid(t) || t->id > (uint64_t)INT64_MAX)
        return FW_EINVAL;
    fw_pgp p = {0};
    const uint64_t nums[] = {t->id, t->author_id, t->conversation_id,
                             (uint64_t)(t->created_at_ms ? t->created_at_ms : fw_now_ms()), t->retweet_count,
                             t->reply_count, t->like_count, t->quote_count, t->bookmark_count, t->impression_count,
                             t->possibly_sensitive};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        fw_pgp_u64(&p, nums[i]);
    const fw_str strs[] = {t->text, t->lang, t->source, t->reply_settings, t->entities_json};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        fw_pgp_str(&p, strs[i]);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "SELECT fw_tweet_add($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    int64_t v = (int64_t)fw_pg_u64(r, 0, 0);
    PQclear(r);
    if (v == -1)
        return FW_ENOTFOUND;
    if (v <= 0)
        return FW_EEXISTS;
    if (id_out)
        *id_out = (uint64_t)v;
    return FW_OK;
}

/* ---- projects and apps ---- */

int fw_pg_project_create(fw_store *st, fw_str name, uint8_t access_level, uint64_t *id_out)
{
    if (access_level > FW_ACCESS_ENTERPRISE || name.len > FW_FIELD_MAX || (name.len && !name.p))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, access_level);
    fw_pgp_str(&p, name);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "INSERT INTO fw_projects VALUES (fw_next_id(), $1, $2) RETURNING id", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    if (id_out)
        *id_out = fw_pg_u64(r, 0, 0);
    PQclear(r);
    return FW_OK;
}

int fw_pg_project_set_level(fw_store *st, uint64_t project_id, uint8_t access_level)
{
    if (access_level > FW_ACCESS_ENTERPRISE)
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, project_id);
    fw_pgp_u64(&p, access_level);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "UPDATE fw_projects SET access_level = $2 WHERE id = $1 RETURNING 1", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    rc = one_row(r);
    PQclear(r);
    return rc;
}

int fw_pg_app_get(fw_store *st, uint64_t id, fw_app_rec *out)
{
    memset(out, 0, sizeof(*out));
    fw_pgp p = {0};
    fw_pgp_u64(&p, id);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "SELECT " FW_PG_APP_COLS " FROM " FW_PG_APP_FROM " WHERE a.id = $1", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    if ((rc = one_row(r)) == FW_OK) {
        fw_app a;
        fw_pg_app_row(r, 0, 0, &a);
        fw_rec_app_fill(out, &a);
    }
    PQclear(r);
    return rc;
}

typedef struct app_arg {
    fw_str name, redirect_uris;
    uint64_t project_id, id;
    uint8_t client_type;
} app_arg;

static int app_body(fw_pgc *c, void *arg)
{
    app_arg *a = arg;
    bool found;
    int rc;
    if (a->project_id && ((rc = exists(c, "SELECT 1 FROM fw_projects WHERE id = $1 FOR KEY SHARE", a->project_id, &found)) || !found))
        return rc ? rc : FW_ENOTFOUND;
    char ck[CONSUMER_KEY_LEN + 1], cs[CONSUMER_SECRET_LEN + 1], cid[48], csec[64] = "";
    uint8_t raw[CLIENT_SECRET_BYTES];
    if (fw_random_alnum(ck, CONSUMER_KEY_LEN) < 0 || fw_random_alnum(cs, CONSUMER_SECRET_LEN) < 0 ||
        fw_random_bytes(raw, CLIENT_ID_BYTES) < 0)
        return FW_ECRYPTO;
    ck[CONSUMER_KEY_LEN] = cs[CONSUMER_SECRET_LEN] = 0;
    cid[fw_b64url_encode(raw, CLIENT_ID_BYTES, cid)] = 0;
    /* Public OAuth 2.0 clients cannot keep a secret, so they get none. */
    if (a->client_type == FW_CLIENT_CONFIDENTIAL && fw_rec_client_secret(csec))
        return FW_ECRYPTO;
    fw_pgp p = {0};
    fw_pgp_u64(&p, a->project_id);
    fw_pgp_u64(&p, a->client_type);
    fw_pgp_str(&p, a->name);
    fw_pgp_str(&p, fw_str_c(ck));
    fw_pgp_str(&p, fw_str_c(cs));
    fw_pgp_str(&p, fw_str_c(cid));
    fw_pgp_str(&p, fw_str_c(csec));
    fw_pgp_str(&p, a->redirect_uris);
    PGresult *r;
    rc = fw_pgc_q(c,
                  "INSERT INTO fw_apps (id, project_id, client_type, name, consumer_key, consumer_secret, client_id, "
                  "client_secret, redirect_uris) VALUES (fw_next_id(), $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                  &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    a->id = fw_pg_u64(r, 0, 0);
    PQclear(r);
    return FW_OK;
}

int fw_pg_app_create(fw_store *st, fw_str name, uint64_t project_id, uint8_t client_type, fw_str redirect_uris,
                     fw_app_rec *out)
{
    memset(out, 0, sizeof(*out));
    if (name.len > FW_FIELD_MAX || redirect_uris.len > FW_FIELD_MAX || client_type > FW_CLIENT_PUBLIC ||
        (name.len && !name.p) || (redirect_uris.len && !redirect_uris.p))
        return FW_EINVAL;
    app_arg a = {.name = name, .redirect_uris = redirect_uris, .project_id = project_id, .client_type = client_type};
    int rc = FW_EEXISTS;
    /* generated keys that collide with another app's (astronomically unlikely): new keys */
    for (int tries = 0; rc == FW_EEXISTS && tries < ID_TRIES; tries++)
        rc = fw_pg_tx(fw_pg_of(st), app_body, &a);
    return rc ? rc : fw_pg_app_get(st, a.id, out);
}

int fw_pg_app_scan(fw_store *st, int (*fn)(void *ctx, const fw_app *a), void *ctx)
{
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "SELECT " FW_PG_APP_COLS " FROM " FW_PG_APP_FROM " ORDER BY a.id", NULL, &r);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        fw_app a;
        fw_pg_app_row(r, i, 0, &a);
        if (fn(ctx, &a))
            break;
    }
    PQclear(r);
    return FW_OK;
}

int fw_pg_app_set_bearer_gen(fw_store *st, uint64_t app_id, uint32_t gen)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, app_id);
    fw_pgp_u64(&p, gen);
    PGresult *r;
    /* Generations only move forward: a caller acting on a stale read must not
     * bring back a token that was invalidated meanwhile. */
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "WITH up AS (UPDATE fw_apps SET bearer_gen = $2 WHERE id = $1 AND bearer_gen < $2 RETURNING 1) "
                         "SELECT 1 FROM fw_apps WHERE id = $1",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    rc = one_row(r);
    PQclear(r);
    return rc;
}

/* ---- credentials ---- */

int fw_pg_cred_params(const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c, fw_pgp *p)
{
    uint8_t kb[1 + FW_TOKEN_MAX];
    size_t kn;
    if (!fw_rec_cred_valid(c) || !fw_rec_cred_key(c->kind == FW_CRED_OAUTH1_USER, hash, oauth1_token, kb, &kn))
        return FW_EINVAL;
    fw_pgp_bytes(p, kb, kn);
    const uint64_t nums[] = {c->kind, c->revoked, c->app_id, c->user_id, c->scopes, (uint64_t)c->issued_at_ms,
                             (uint64_t)c->expires_at_ms};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        fw_pgp_u64(p, nums[i]);
    fw_pgp_str(p, c->secret);
    fw_pgp_u64(p, c->grant_id);
    return FW_OK;
}

int fw_pg_cred_put(fw_store *st, const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c)
{
    fw_pgp p = {0};
    if (fw_pg_cred_params(hash, oauth1_token, c, &p) != FW_OK)
        return FW_EINVAL;
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st),
                         FW_PG_CRED_INSERT
                         " ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, revoked = EXCLUDED.revoked, "
                         "app_id = EXCLUDED.app_id, user_id = EXCLUDED.user_id, scopes = EXCLUDED.scopes, "
                         "issued_at_ms = EXCLUDED.issued_at_ms, expires_at_ms = EXCLUDED.expires_at_ms, "
                         "secret = EXCLUDED.secret, grant_id = EXCLUDED.grant_id RETURNING 1",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    rc = one_row(r); /* no row: the app or the user does not exist */
    PQclear(r);
    return rc;
}

/* A revoked grant is one row (see MIGRATION_2); revoking it again is a no-op.
 * Grant ids are random 64-bit numbers: a bigint holds their bit pattern. */
int fw_pg_grant_revoke(fw_store *st, uint64_t grant_id)
{
    if (grant_id == 0)
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, grant_id);
    fw_pgp_u64(&p, (uint64_t)fw_now_ms());
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "INSERT INTO fw_grants_revoked VALUES ($1, $2) ON CONFLICT (grant_id) DO NOTHING", &p, &r);
    fw_pgp_free(&p);
    PQclear(r);
    return rc;
}

int fw_pg_cred_revoke(fw_store *st, const uint8_t hash[32], fw_str oauth1_token, bool *was_live)
{
    uint8_t kb[1 + FW_TOKEN_MAX];
    size_t kn;
    if (was_live)
        *was_live = false;
    if (!fw_rec_cred_key(!hash, hash, oauth1_token, kb, &kn))
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_bytes(&p, kb, kn);
    PGresult *r;
    /* Test-and-set in one statement: of concurrent revokes, the row lock lets
     * exactly one UPDATE see it live. */
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "WITH up AS (UPDATE fw_creds SET revoked = true WHERE key = $1 AND NOT revoked RETURNING 1) "
                         "SELECT (SELECT count(*) FROM up), EXISTS (SELECT 1 FROM fw_creds WHERE key = $1)",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    bool live = fw_pg_u64(r, 0, 0) > 0, found = fw_pg_u64(r, 0, 1) != 0;
    PQclear(r);
    if (!live && !found)
        return FW_ENOTFOUND;
    if (was_live)
        *was_live = live;
    return FW_OK;
}

/* ---- sign-in passwords ---- */

int fw_pg_user_set_password(fw_store *st, uint64_t user_id, const uint8_t *rec, size_t len)
{
    if (!rec || len == 0 || len > FW_PASSWORD_REC_MAX)
        return FW_EINVAL;
    fw_pgp p = {0};
    fw_pgp_u64(&p, user_id);
    fw_pgp_bytes(&p, rec, len);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st),
                         "INSERT INTO fw_passwords SELECT $1::bigint, $2::bytea WHERE EXISTS (SELECT 1 FROM fw_users WHERE id = $1) "
                         "ON CONFLICT (user_id) DO UPDATE SET rec = EXCLUDED.rec RETURNING 1",
                         &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    rc = one_row(r);
    PQclear(r);
    return rc;
}

int fw_pg_user_get_password(fw_store *st, uint64_t user_id, uint8_t *out, size_t cap, size_t *len)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, user_id);
    PGresult *r;
    int rc = fw_pg_exec1(fw_pg_of(st), "SELECT rec FROM fw_passwords WHERE user_id = $1", &p, &r);
    fw_pgp_free(&p);
    if (rc)
        return rc;
    if ((rc = one_row(r)) == FW_OK)
        rc = fw_pg_unhex(PQgetvalue(r, 0, 0), out, cap, len);
    PQclear(r);
    return rc;
}
