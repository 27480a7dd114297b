/* Request authentication; see authn.h. */
#include "auth/authn.h"

#include <stdlib.h>
#include <string.h>

#include "auth/oauth1.h"
#include "auth/oauth1_check.h"
#include "auth/scopes.h"
#include "auth/tokens.h"
#include "core/clock.h"
#include "core/secret.h"

/* Nonces are remembered for the 5-minute timestamp window; 256 Ki entries
 * (8 MiB) cover ~870 signed requests per second before eviction starts. */
#define NONCE_SLOTS (256 * 1024)

struct fw_authn {
    fw_store *store;
    fw_oauth1_check *oa1; /* base URLs and nonce cache */
};

int fw_authn_new(fw_store *store, const char *public_base_urls, fw_authn **out)
{
    fw_authn *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->store = store;
    if (fw_oauth1_check_new(public_base_urls, NONCE_SLOTS, &a->oa1) != 0) {
        free(a);
        return -1;
    }
    *out = a;
    return 0;
}

void fw_authn_free(fw_authn *a)
{
    if (!a)
        return;
    fw_oauth1_check_free(a->oa1);
    free(a);
}

static bool auth_scheme(fw_str h, const char *scheme, fw_str *rest);

/* An app-only token is valid only for its app's current bearer generation:
 * the token is derived from it, so compare with the derivation. This makes
 * invalidation immediate and final even if an old token's record were stored
 * again by a request racing the invalidation. */
static bool bearer_is_current(fw_authn_op *op, const fw_app *app)
{
    char expect[FW_TOKEN_MAX];
    fw_str tok;
    if (!auth_scheme(op->in.authorization, "Bearer", &tok))
        return false;
    fw_token_app_bearer(fw_store_secret(op->a->store), app->id, app->bearer_gen, expect);
    return fw_ct_equal(tok.p, tok.len, expect, strlen(expect));
}

static void on_bearer(void *vctx, const fw_auth_res *res)
{
    fw_authn_op *bc = vctx;
    if (res->rc == FW_EIO || res->rc == FW_EBUSY) { /* the store is away or overloaded: 503, not 401 */
        bc->cb(bc->ctx, FW_EIO, NULL);
        return;
    }
    const fw_cred *c = res->cred;
    if (res->rc != FW_OK || !c || c->revoked || !res->app ||
        (c->kind != FW_CRED_APP_BEARER && c->kind != FW_CRED_OAUTH2_USER) ||
        (c->expires_at_ms && fw_now_ms() >= c->expires_at_ms) ||
        (c->kind == FW_CRED_OAUTH2_USER && !res->user) ||
        (c->kind == FW_CRED_APP_BEARER && !bearer_is_current(bc, res->app))) {
        bc->cb(bc->ctx, FW_EUNAUTHORIZED, NULL);
        return;
    }
    fw_principal who = {0};
    who.app_id = c->app_id;
    who.access_level = res->app->access_level;
    if (c->kind == FW_CRED_APP_BEARER) {
        who.kind = FW_PRIN_APP;
        who.scopes = UINT32_MAX;
    } else {
        who.kind = FW_PRIN_OAUTH2_USER;
        who.user_id = res->user->id;
        who.scopes = c->scopes;
        who.user_suspended = (res->user->flags & FW_USER_SUSPENDED) != 0;
        /* a Read app's tokens cannot write, whatever they were minted with */
        if (res->app->permission == FW_APP_PERM_READ)
            who.scopes &= ~(uint32_t)FW_SCOPES_WRITE_OR_DM;
    }
    bc->cb(bc->ctx, FW_OK, &who);
}

static void oauth1_done(fw_authn_op *op, int rc, const fw_principal *who)
{
    free(op->oa1);
    op->oa1 = NULL;
    op->cb(op->ctx, rc, who);
}

static void on_nonce(void *vctx, int rc)
{
    fw_authn_op *op = vctx;
    if (rc == FW_OK)
        oauth1_done(op, FW_OK, &op->who);
    else
        oauth1_done(op, rc == FW_EIO || rc == FW_ESHUTDOWN ? FW_EIO : FW_EUNAUTHORIZED, NULL);
}

static void on_oauth1(void *vctx, const fw_auth_res *res)
{
    fw_authn_op *op = vctx;
    fw_authn *a = op->a;
    if (res->rc == FW_EIO || res->rc == FW_EBUSY) {
        oauth1_done(op, FW_EIO, NULL);
        return;
    }
    const fw_cred *c = res->cred;
    if (res->rc != FW_OK || !c || c->revoked || c->kind != FW_CRED_OAUTH1_USER || !res->app || !res->user) {
        oauth1_done(op, FW_EUNAUTHORIZED, NULL);
        return;
    }
    const fw_authn_in *in = &op->in;
    fw_oauth1_http http = {in->method, in->path, in->query, in->content_type, in->body, in->host, in->tls};
    int64_t now_s = fw_now_ms() / 1000;
    if (fw_oauth1_check_sig(a->oa1, op->oa1, &http, res->app->consumer_secret, c->secret, now_s) != FW_OK) {
        oauth1_done(op, FW_EUNAUTHORIZED, NULL);
        return;
    }
    fw_principal *who = &op->who;
    *who = (fw_principal){0};
    who->kind = FW_PRIN_OAUTH1_USER;
    who->app_id = c->app_id;
    who->access_level = res->app->access_level;
    who->user_id = res->user->id;
    who->user_suspended = (res->user->flags & FW_USER_SUSPENDED) != 0;
    who->scopes = c->scopes; /* every scope, or the read ones (x_auth_access_type=read) */
    if (res->app->permission == FW_APP_PERM_READ)
        who->scopes &= FW_SCOPES_OAUTH1_READ; /* a Read app's tokens cannot write, whatever they were made with */
    /* Only a request whose signature verified is remembered: nobody can burn
     * another client's nonces. On PostgreSQL the nonce is recorded for every
     * node (one more round trip); a replay to any node is refused. */
    fw_oauth1_check_nonce(a->oa1, a->store, op->exec, op->oa1, now_s, on_nonce, op);
}

/* Splits "Scheme rest" (scheme compared case-insensitively). */
static bool auth_scheme(fw_str h, const char *scheme, fw_str *rest)
{
    size_t n = strlen(scheme);
    if (h.len <= n || h.p[n] != ' ' || !fw_str_ieq((fw_str){h.p, n}, scheme))
        return false;
    size_t i = n;
    while (i < h.len && h.p[i] == ' ')
        i++;
    *rest = (fw_str){h.p + i, h.len - i};
    while (rest->len && (rest->p[rest->len - 1] == ' ' || rest->p[rest->len - 1] == '\t'))
        rest->len--;
    return true;
}

void fw_authn_run(fw_authn *a, fw_exec *exec, fw_authn_op *op, const fw_authn_in *in, fw_authn_cb cb, void *ctx)
{
    op->a = a;
    op->cb = cb;
    op->ctx = ctx;
    op->in = *in;
    op->oa1 = NULL;
    op->exec = exec;
    fw_str rest;
    if (auth_scheme(in->authorization, "Bearer", &rest) && rest.len > 0 && rest.len <= 512) {
        fw_auth_q q = {0};
        q.by = FW_AUTH_BY_HASH;
        fw_sha256(rest.p, rest.len, q.hash);
        fw_store_auth(a->store, exec, &q, on_bearer, op);
        return;
    }
    if (auth_scheme(in->authorization, "OAuth", &rest)) {
        /* ~5 KiB of parse state: heap, and only for OAuth 1.0a requests. */
        op->oa1 = malloc(sizeof *op->oa1);
        if (!op->oa1 || fw_oauth1_parse(in->authorization, op->oa1) != FW_OK || !op->oa1->token.p ||
            !op->oa1->token.len) {
            oauth1_done(op, FW_EUNAUTHORIZED, NULL);
            return;
        }
        fw_auth_q q = {0};
        q.by = FW_AUTH_BY_OAUTH1;
        q.token = op->oa1->token;
        q.consumer_key = op->oa1->consumer_key;
        fw_store_auth(a->store, exec, &q, on_oauth1, op);
        return;
    }
    cb(ctx, FW_EUNAUTHORIZED, NULL);
}
