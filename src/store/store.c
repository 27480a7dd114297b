/* The public store interface (store.h): picks a backend at open and forwards
 * every call through the object's ops table (store/backend.h). Nothing here
 * knows LMDB or PostgreSQL; the cost over a direct call is one indirect
 * call. */
#include "store/backend.h"
#include "store/import_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const fw_store_ops *ops_of(fw_store *s) { return ((const fw_store_hdr *)(const void *)s)->ops; }

bool fw_store_is_uri(const char *path)
{
    if (!path)
        return false;
    if (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11))
        return true;
    /* libpq keyword/value strings; a directory name with '=' in it is not worth the ambiguity */
    return strstr(path, "dbname=") != NULL || strstr(path, "host=") != NULL;
}

void fw_store_open_err(const fw_store_opts *opts, const char *fmt, ...)
{
    if (!opts || !opts->err || !opts->err_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(opts->err, opts->err_len, fmt, ap);
    va_end(ap);
    /* one line: libpq messages end in newlines */
    for (char *p = opts->err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = p[1] ? ' ' : 0;
}

int fw_store_open(const fw_store_opts *opts, fw_store **out)
{
    *out = NULL;
    if (opts && opts->err && opts->err_len)
        opts->err[0] = 0;
    if (!opts || !opts->path || !*opts->path)
        return FW_EINVAL;
    return fw_store_is_uri(opts->path) ? fw_pg_open(opts, out) : fw_lmdb_open(opts, out);
}

void fw_store_close(fw_store *s)
{
    if (s)
        ops_of(s)->close(s);
}

uint64_t fw_store_version(fw_store *s) { return ops_of(s)->version(s); }
int fw_store_changes(fw_store *s, uint64_t since, uint64_t *now, fw_change_fn fn, void *ctx)
{
    return ops_of(s)->changes(s, since, now, fn, ctx);
}
const uint8_t *fw_store_secret(fw_store *s) { return ops_of(s)->secret(s); }
const char *fw_store_backend(fw_store *s) { return ops_of(s)->name; }
int fw_store_schema(fw_store *s, unsigned *current, unsigned *known) { return ops_of(s)->schema(s, current, known); }
void fw_store_ready(fw_store *s, fw_exec *exec, fw_ready_cb cb, void *ctx) { ops_of(s)->ready(s, exec, cb, ctx); }

void fw_store_users(fw_store *s, fw_exec *exec, const fw_users_q *q, fw_users_cb cb, void *ctx)
{
    ops_of(s)->users(s, exec, q, cb, ctx);
}

void fw_store_list(fw_store *s, fw_exec *exec, const fw_list_q *q, fw_list_cb cb, void *ctx)
{
    ops_of(s)->list(s, exec, q, cb, ctx);
}

void fw_store_auth(fw_store *s, fw_exec *exec, const fw_auth_q *q, fw_auth_cb cb, void *ctx)
{
    ops_of(s)->auth(s, exec, q, cb, ctx);
}

void fw_store_write(fw_store *s, fw_exec *exec, uint8_t kind, uint64_t src, uint64_t dst, fw_write_cb cb, void *ctx)
{
    ops_of(s)->write(s, exec, kind, src, dst, cb, ctx);
}

void fw_store_ephem(fw_store *s, fw_exec *exec, const fw_ephem_q *q, fw_ephem_cb cb, void *ctx)
{
    ops_of(s)->ephem(s, exec, q, cb, ctx);
}

void fw_store_nonce(fw_store *s, fw_exec *exec, fw_str consumer_key, fw_str nonce, int64_t expires_s, int64_t now_s,
                    fw_nonce_cb cb, void *ctx)
{
    ops_of(s)->nonce(s, exec, consumer_key, nonce, expires_s, now_s, cb, ctx);
}

bool fw_store_shares_state(fw_store *s) { return ops_of(s)->shares_state; }

int fw_store_lease(fw_store *s, const fw_lease_q *q, fw_lease_res *res) { return ops_of(s)->lease(s, q, res); }

int fw_store_user_create(fw_store *s, const fw_user *u, uint64_t *id_out)
{
    return ops_of(s)->user_create(s, u, id_out);
}
int fw_store_user_update(fw_store *s, const fw_user *u) { return ops_of(s)->user_update(s, u); }
int fw_store_user_delete(fw_store *s, uint64_t id) { return ops_of(s)->user_delete(s, id); }
int fw_store_user_get(fw_store *s, uint64_t id, fw_user_rec *out) { return ops_of(s)->user_get(s, id, out); }
int fw_store_user_get_by_name(fw_store *s, fw_str username, fw_user_rec *out)
{
    return ops_of(s)->user_get_by_name(s, username, out);
}
int fw_store_user_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_user *u), void *ctx)
{
    return ops_of(s)->user_scan(s, after, limit, fn, ctx);
}
int fw_store_tweet_add(fw_store *s, const fw_tweet *t, uint64_t *id_out) { return ops_of(s)->tweet_add(s, t, id_out); }
int fw_store_write_sync(fw_store *s, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res)
{
    return ops_of(s)->write_sync(s, kind, src, dst, res);
}
int fw_store_follow_bulk(fw_store *s, const uint64_t *pairs, size_t n) { return ops_of(s)->follow_bulk(s, pairs, n); }
int fw_store_project_create(fw_store *s, fw_str name, uint8_t access_level, uint64_t *id_out)
{
    return ops_of(s)->project_create(s, name, access_level, id_out);
}
int fw_store_project_set_level(fw_store *s, uint64_t project_id, uint8_t access_level)
{
    return ops_of(s)->project_set_level(s, project_id, access_level);
}
int fw_store_app_create(fw_store *s, fw_str name, uint64_t project_id, uint8_t client_type, fw_str redirect_uris,
                        fw_app_rec *out)
{
    return ops_of(s)->app_create(s, name, project_id, client_type, redirect_uris, out);
}
int fw_store_app_get(fw_store *s, uint64_t id, fw_app_rec *out) { return ops_of(s)->app_get(s, id, out); }
int fw_store_app_scan(fw_store *s, int (*fn)(void *ctx, const fw_app *a), void *ctx)
{
    return ops_of(s)->app_scan(s, fn, ctx);
}
int fw_store_app_set_bearer_gen(fw_store *s, uint64_t app_id, uint32_t gen)
{
    return ops_of(s)->app_set_bearer_gen(s, app_id, gen);
}
int fw_store_cred_put(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c)
{
    return ops_of(s)->cred_put(s, hash, oauth1_token, c);
}
int fw_store_cred_revoke(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, bool *was_live)
{
    return ops_of(s)->cred_revoke(s, hash, oauth1_token, was_live);
}
int fw_store_check(fw_store *s, void (*report)(void *ctx, const char *line), void *ctx)
{
    return ops_of(s)->check(s, report, ctx);
}
int fw_store_user_set_password(fw_store *s, uint64_t user_id, const uint8_t *rec, size_t len)
{
    return ops_of(s)->user_set_password(s, user_id, rec, len);
}
int fw_store_user_get_password(fw_store *s, uint64_t user_id, uint8_t *out, size_t cap, size_t *len)
{
    return ops_of(s)->user_get_password(s, user_id, out, cap, len);
}

int fw_store_import_begin(fw_store *s, fw_import **out)
{
    *out = NULL;
    return ops_of(s)->import_begin(s, out);
}

int fw_store_tweet_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_tweet *t), void *ctx)
{
    return ops_of(s)->tweet_scan(s, after, limit, fn, ctx);
}

int fw_store_edge_scan(fw_store *s, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq),
                       void *ctx)
{
    return ops_of(s)->edge_scan(s, fn, ctx);
}

int fw_store_grant_revoke(fw_store *s, uint64_t grant_id) { return ops_of(s)->grant_revoke(s, grant_id); }

int fw_store_project_scan(fw_store *s, fw_project_fn fn, void *ctx) { return ops_of(s)->project_scan(s, fn, ctx); }
int fw_store_project_put(fw_store *s, uint64_t id, fw_str name, uint8_t access_level)
{
    return ops_of(s)->project_put(s, id, name, access_level);
}
int fw_store_app_put(fw_store *s, const fw_app *a) { return ops_of(s)->app_put(s, a); }
int fw_store_cred_scan(fw_store *s, fw_cred_fn fn, void *ctx) { return ops_of(s)->cred_scan(s, fn, ctx); }
int fw_store_secret_set(fw_store *s, const uint8_t secret[32]) { return ops_of(s)->secret_set(s, secret); }
int fw_store_wipe(fw_store *s) { return ops_of(s)->wipe(s); }
int fw_store_dev_create(fw_store *s, uint64_t user_id, uint8_t status, int64_t now_ms)
{
    return ops_of(s)->dev_create(s, user_id, status, now_ms);
}
int fw_store_dev_get(fw_store *s, uint64_t user_id, fw_dev *out) { return ops_of(s)->dev_get(s, user_id, out); }
int fw_store_dev_set_status(fw_store *s, uint64_t user_id, uint8_t status)
{
    return ops_of(s)->dev_set_status(s, user_id, status);
}
int fw_store_project_create_owned(fw_store *s, uint64_t owner_id, fw_str name, fw_str use_case, uint8_t environment,
                                  uint8_t access_level, int64_t now_ms, uint64_t *id_out)
{
    return ops_of(s)->project_create_owned(s, owner_id, name, use_case, environment, access_level, now_ms, id_out);
}
int fw_store_project_get(fw_store *s, uint64_t id, fw_project_rec *out) { return ops_of(s)->project_get(s, id, out); }
int fw_store_project_update(fw_store *s, uint64_t id, fw_str name, fw_str use_case, uint8_t environment)
{
    return ops_of(s)->project_update(s, id, name, use_case, environment);
}
int fw_store_project_delete(fw_store *s, uint64_t id, bool with_apps)
{
    return ops_of(s)->project_delete(s, id, with_apps);
}
int fw_store_project_scan_owner(fw_store *s, uint64_t owner_id, int (*fn)(void *ctx, const fw_project *p), void *ctx)
{
    return ops_of(s)->project_scan_owner(s, owner_id, fn, ctx);
}
int fw_store_app_settings_get(fw_store *s, uint64_t app_id, fw_app_settings_rec *out)
{
    return ops_of(s)->app_settings_get(s, app_id, out);
}
int fw_store_app_update(fw_store *s, uint64_t app_id, fw_str name, uint8_t client_type, fw_str redirect_uris,
                        uint8_t permission, fw_str website_url)
{
    return ops_of(s)->app_update(s, app_id, name, client_type, redirect_uris, permission, website_url);
}
int fw_store_app_set_dev_token(fw_store *s, uint64_t app_id, fw_str token)
{
    return ops_of(s)->app_set_dev_token(s, app_id, token);
}
int fw_store_app_delete(fw_store *s, uint64_t app_id) { return ops_of(s)->app_delete(s, app_id); }
int fw_store_app_regenerate(fw_store *s, uint64_t app_id, unsigned what, fw_app_rec *out)
{
    return ops_of(s)->app_regenerate(s, app_id, what, out);
}
int fw_store_project_info_put(fw_store *s, const fw_project *p) { return ops_of(s)->project_info_put(s, p); }
int fw_store_app_settings_put(fw_store *s, uint64_t app_id, const fw_app_settings *st)
{
    return ops_of(s)->app_settings_put(s, app_id, st);
}
int fw_store_migrate_begin(fw_store *s, bool overwrite, fw_import **out)
{
    return ops_of(s)->migrate_begin(s, overwrite, out);
}
int fw_store_migrate_commit(fw_import *im, fw_store *from,
                            void (*progress)(void *ctx, const char *phase, uint64_t done, uint64_t total), void *ctx,
                            uint64_t *dup, fw_migrate_stats *st)
{
    return ops_of(fw_import_store(im))->migrate_commit(im, from, progress, ctx, dup, st);
}
int fw_store_dev_scan(fw_store *s, fw_dev_fn fn, void *ctx) { return ops_of(s)->dev_scan(s, fn, ctx); }
int fw_store_password_scan(fw_store *s, fw_password_fn fn, void *ctx) { return ops_of(s)->password_scan(s, fn, ctx); }
