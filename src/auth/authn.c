/* Request authentication; see authn.h. */
#include "auth/authn.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/secret.h"

struct fw_authn {
    fw_store *store;
    char *base_urls;
};

int fw_authn_new(fw_store *store, const char *public_base_urls, fw_authn **out)
{
    fw_authn *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->store = store;
    a->base_urls = strdup(public_base_urls ? public_base_urls : "");
    *out = a;
    return 0;
}

void fw_authn_free(fw_authn *a)
{
    if (!a)
        return;
    free(a->base_urls);
    free(a);
}

static void on_bearer(void *vctx, const fw_auth_res *res)
{
    fw_authn_op *bc = vctx;
    if (res->rc == FW_EIO) {
        bc->cb(bc->ctx, FW_AUTHN_EIO, NULL);
        return;
    }
    const fw_cred *c = res->cred;
    if (res->rc != FW_OK || !c || c->revoked || !res->app ||
        (c->kind != FW_CRED_APP_BEARER && c->kind != FW_CRED_OAUTH2_USER) ||
        (c->expires_at_ms && fw_now_ms() >= c->expires_at_ms) ||
        (c->kind == FW_CRED_OAUTH2_USER && !res->user)) {
        bc->cb(bc->ctx, FW_AUTHN_UNAUTHORIZED, NULL);
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
    }
    bc->cb(bc->ctx, FW_AUTHN_OK, &who);
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
    fw_str rest;
    if (auth_scheme(in->authorization, "Bearer", &rest) && rest.len > 0 && rest.len <= 512) {
        fw_auth_q q = {0};
        q.by = FW_AUTH_BY_HASH;
        fw_sha256(rest.p, rest.len, q.hash);
        fw_store_auth(a->store, exec, &q, on_bearer, op);
        return;
    }
    cb(ctx, FW_AUTHN_UNAUTHORIZED, NULL);
}
