/* OAuth 2.0 Authorization Code with PKCE: the consent page at
 * /i/oauth2/authorize (and /2/oauth2/authorize), POST /2/oauth2/token
 * (authorization_code and refresh_token grants) and POST /2/oauth2/revoke.
 * Errors follow RFC 6749: an unknown client or unregistered redirect_uri gets
 * an error page (never a redirect); other authorize errors are redirected to
 * the client; token endpoint errors are {"error":..,"error_description":..}.
 * The password check and every credential write (issue, rotate, revoke) run
 * on the work queue (fw_oa_offload); the answer is written back on the loop. */
#include "oauth/oauth_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/issue.h"
#include "auth/pkce.h"
#include "auth/scopes.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/secret.h"

/* State carried by the token and revoke endpoints across a store lookup and
 * the work queue (x->flow). */
typedef struct grant {
    uint64_t client_app;
    uint32_t scopes;     /* refresh: narrowed scope, 0 = as granted */
    uint8_t hash[32];    /* SHA-256 of the presented token */
    /* what to issue; the work queue's results */
    uint64_t app_id, user_id;
    uint32_t issue_scopes;
    uint64_t grant_id;   /* the authorization the tokens belong to (0: mint one) */
    bool revoke_first;   /* refresh: revoke the presented token, then issue */
    bool was_live;
    int revoke_rc, rc;
    char at[FW_TOKEN_MAX], rt[FW_TOKEN_MAX];
} grant;

/* ---- GET /i/oauth2/authorize -------------------------------------------- */

/* Never redirected: the client or its redirect_uri cannot be trusted. */
static void bad_client_page(fw_oa_ctx *x, const char *message)
{
    fw_oa_page_message(x, 400, "Something went wrong", message, FW_STR_NULL);
}

/* Redirects an authorize error to the (already validated) redirect_uri. */
static void redirect_error(fw_oa_ctx *x, fw_str uri, const char *error, const char *description, fw_str state)
{
    static const char *const keys[] = {"error", "error_description", "state"};
    fw_str vals[] = {fw_str_c(error), fw_str_c(description), state};
    fw_oa_redirect(x, uri, keys, vals, state.len && state.len <= FW_OA_STATE_MAX ? 3 : 2);
}

static void page_opened(fw_oa_ctx *x)
{
    if (x->pend.rc != FW_OK) {
        fw_oa_page_unavailable(x);
        return;
    }
    fw_oa_page_consent(x, (const fw_oa_session *)(const void *)x->pend.val, x->pend.key, NULL, FW_STR_NULL);
}

static void authorize_client_found(fw_oa_ctx *x)
{
    if (x->rc == FW_EIO) {
        fw_oa_page_unavailable(x);
        return;
    }
    if (x->rc != FW_OK || !x->have_app) {
        bad_client_page(x, "The application's client_id is not valid. Contact the application's developer.");
        return;
    }
    const fw_oauth_params *p = &x->prm;
    fw_str uri = fw_oauth_param(p, "redirect_uri");
    if (!fw_oa_uri_registered(x->app.redirect_uris, uri) || uri.len > FW_OA_URI_MAX) {
        bad_client_page(x, "The redirect_uri is not registered for this application. Contact the application's "
                           "developer.");
        return;
    }
    fw_str state = fw_oauth_param(p, "state"), rtype = fw_oauth_param(p, "response_type");
    fw_str scope = fw_oauth_param(p, "scope"), challenge = fw_oauth_param(p, "code_challenge");
    fw_str method_s = fw_oauth_param(p, "code_challenge_method");
    int method = method_s.p ? fw_pkce_method_parse(method_s) : FW_PKCE_PLAIN; /* RFC 7636 4.3 default */
    uint32_t scopes = 0;
    if (!rtype.len) {
        redirect_error(x, uri, "invalid_request", "Missing required parameter [response_type]", state);
    } else if (!fw_str_eq(rtype, "code")) {
        redirect_error(x, uri, "unsupported_response_type", "Only response_type=code is supported", state);
    } else if (!state.len || state.len > FW_OA_STATE_MAX) {
        redirect_error(x, uri, "invalid_request", "state is required and may have at most 500 characters", state);
    } else if (!scope.len || fw_scopes_parse(scope, &scopes, NULL) != 0 || !scopes) {
        redirect_error(x, uri, "invalid_scope", "The requested scope is invalid, unknown, or empty", state);
    } else if (!challenge.len) {
        redirect_error(x, uri, "invalid_request", "Missing required parameter [code_challenge]", state);
    } else if (!method) {
        redirect_error(x, uri, "invalid_request", "code_challenge_method must be S256 or plain", state);
    } else if (!fw_pkce_valid(challenge) || (method == FW_PKCE_S256 && challenge.len != 43)) {
        redirect_error(x, uri, "invalid_request", "code_challenge is malformed", state);
    } else {
        fw_oa_session s;
        memset(&s, 0, sizeof s);
        s.flow = 2;
        fw_oa_authz *a = &s.authz;
        s.app_id = a->app_id = x->app.id;
        /* a Read app asks for no write scope: the page and the token say so */
        a->scopes = x->app.permission == FW_APP_PERM_READ ? scopes & ~(uint32_t)FW_SCOPES_WRITE_OR_DM : scopes;
        a->method = (uint8_t)method;
        fw_oa_copy(a->redirect_uri, sizeof a->redirect_uri, uri);
        fw_oa_copy(a->challenge, sizeof a->challenge, challenge);
        if (!fw_oa_copy(a->state, sizeof a->state, state)) {
            redirect_error(x, uri, "invalid_request", "state is malformed", FW_STR_NULL);
            return;
        }
        fw_oa_copy_name(s.app_name, x->app.name);
        fw_oa_copy(s.action, sizeof s.action, x->req->path);
        fw_oa_session_open(x, &s, page_opened);
    }
}

static void authorize_get(fw_oa_ctx *x)
{
    fw_str client = fw_oauth_param(&x->prm, "client_id");
    if (x->prm_rc != FW_OK || !client.len) {
        bad_client_page(x, "The authorization request is malformed or has no client_id.");
        return;
    }
    fw_oa_lookup_key(x, FW_AUTH_BY_CLIENT_ID, client, authorize_client_found);
}

/* ---- POST /i/oauth2/authorize (the consent form) ------------------------ */

static void code_added(fw_oa_ctx *x)
{
    const fw_oa_authz *a = &((const fw_oa_consent *)x->flow)->s.authz;
    if (x->pend.rc != FW_OK) {
        fw_oa_page_unavailable(x);
        return;
    }
    /* X's documented order: state first, then code. */
    static const char *const keys[] = {"state", "code"};
    fw_str vals[] = {fw_str_c(a->state), (fw_str){x->pend.key, x->pend.keylen}};
    fw_oa_redirect(x, fw_str_c(a->redirect_uri), keys, vals, 2);
}

static void authorize_decided(fw_oa_ctx *x)
{
    fw_oa_consent *c = x->flow;
    fw_oa_authz *a = &c->s.authz;
    a->user_id = c->user_id;
    if (c->outcome == FW_OA_DENIED) {
        static const char *const keys[] = {"error", "state"};
        fw_str vals[] = {FW_STR_LIT("access_denied"), fw_str_c(a->state)};
        fw_oa_redirect(x, fw_str_c(a->redirect_uri), keys, vals, 2);
        return;
    }
    char code[FW_TOKEN_MAX];
    if (fw_token_oauth2("ac", fw_now_ms(), code) != 0) {
        fw_oa_page_unavailable(x);
        return;
    }
    /* Codes are never evicted; at the app's cap (oauth_core.c) this one is
     * refused and the user starts again shortly. */
    fw_oa_pend(x, FW_EPH_ADD, FW_OA_PK_CODE, a->app_id, fw_str_c(code), a, sizeof *a, FW_OA_CODE_TTL_MS,
               code_added);
}

void fw_oa_authorize2(fw_oa_ctx *x)
{
    if (fw_str_eq(x->req->method, "GET"))
        authorize_get(x);
    else
        fw_oa_consent_post(x, 2, authorize_decided);
}

/* ---- POST /2/oauth2/token ------------------------------------------------ */

static void storage_error(fw_oa_ctx *x)
{
    fw_oa2_error(x, 503, "temporarily_unavailable", "Storage is unavailable; retry later");
}

static bool missing(fw_oa_ctx *x, const char *name, fw_str *out)
{
    *out = fw_oauth_param(&x->prm, name);
    if (out->len)
        return false;
    char msg[96];
    snprintf(msg, sizeof msg, "Missing required parameter [%s]", name);
    fw_oa2_error(x, 400, "invalid_request", msg);
    return true;
}

/* The per-request state of a grant or revoke, owned by x; NULL (answered)
 * when out of memory. */
static grant *new_grant(fw_oa_ctx *x)
{
    grant *g = calloc(1, sizeof *g);
    if (!g) {
        storage_error(x);
        return NULL;
    }
    x->flow = g;
    g->client_app = x->app.id;
    return g;
}

/* On the work queue (store writes, each fsync'd): for a refresh, revoke the
 * presented token first; then the access token, and a refresh token with
 * offline.access. */
static void issue_work(fw_oa_ctx *x)
{
    grant *g = x->flow;
    if (g->revoke_first) {
        g->revoke_rc = fw_store_cred_revoke(fw_oa_store(x), g->hash, FW_STR_NULL, &g->was_live);
        if (g->revoke_rc != FW_OK || !g->was_live)
            return;
    }
    /* A code exchange starts a grant; a refresh continues the presented
     * token's (one from before grants existed starts one). */
    g->rc = g->grant_id ? FW_OK : fw_issue_grant_id(&g->grant_id);
    if (g->rc == FW_OK)
        g->rc = fw_issue_user_token(fw_oa_store(x), FW_CRED_OAUTH2_USER, g->app_id, g->user_id, g->issue_scopes,
                                    FW_OA_ACCESS_TTL_S * 1000LL, g->grant_id, NULL, g->at);
    /* Refresh tokens last until used or revoked. */
    if (g->rc == FW_OK && (g->issue_scopes & FW_SCOPE_OFFLINE_ACCESS))
        g->rc = fw_issue_user_token(fw_oa_store(x), FW_CRED_OAUTH2_REFRESH, g->app_id, g->user_id, g->issue_scopes,
                                    0, g->grant_id, NULL, g->rt);
}

/* Back on the loop: X's token response, or the error. */
static void issued(fw_oa_ctx *x)
{
    grant *g = x->flow;
    if (g->revoke_first && g->revoke_rc != FW_OK) {
        storage_error(x);
        return;
    }
    if (g->revoke_first && !g->was_live) {
        /* Rotation is decided by the store: of concurrent refreshes that all
         * found the token live, only the one whose write revoked it goes on. */
        fw_oa2_error(x, 400, "invalid_grant", "Value passed for the token was invalid.");
        return;
    }
    uint32_t scopes = g->issue_scopes;
    bool offline = (scopes & FW_SCOPE_OFFLINE_ACCESS) != 0;
    int rc = g->rc;
    if (rc == FW_ENOTFOUND) {
        fw_oa2_error(x, 400, "invalid_grant", "The user or application no longer exists");
        return;
    }
    if (rc != FW_OK) {
        storage_error(x);
        return;
    }
    fw_jw w;
    fw_oa_json_ok(x, &w);
    fw_buf names = FW_BUF_INIT;
    fw_scopes_format(scopes, &names);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "token_type");
    fw_jw_str(&w, "bearer");
    fw_jw_key(&w, "expires_in");
    fw_jw_int(&w, FW_OA_ACCESS_TTL_S);
    fw_jw_key(&w, "access_token");
    fw_jw_str(&w, g->at);
    fw_jw_key(&w, "scope");
    fw_jw_strn(&w, names.data ? names.data : "", names.len);
    if (offline) {
        fw_jw_key(&w, "refresh_token");
        fw_jw_str(&w, g->rt);
    }
    fw_jw_obj_end(&w);
    fw_buf_free(&names);
    fw_oa_finish(x);
}

/* Issues the tokens for g (and, for a refresh, first revokes the presented
 * one) on the work queue, then answers. */
static void issue_tokens(fw_oa_ctx *x, grant *g, uint64_t app_id, uint64_t user_id, uint32_t scopes)
{
    g->app_id = app_id;
    g->user_id = user_id;
    g->issue_scopes = scopes;
    fw_oa_offload(x, issue_work, issued, storage_error);
}

static void code_taken(fw_oa_ctx *x)
{
    grant *g = x->flow;
    fw_str uri = fw_oauth_param(&x->prm, "redirect_uri"), verifier = fw_oauth_param(&x->prm, "code_verifier");
    fw_oa_authz a;
    if (x->pend.rc == FW_EIO) {
        storage_error(x);
        return;
    }
    if (x->pend.rc != FW_OK || x->pend.len != sizeof a) {
        fw_oa2_error(x, 400, "invalid_grant", "Value passed for the authorization code was invalid.");
        return;
    }
    memcpy(&a, x->pend.val, sizeof a);
    if (a.app_id != x->app.id) {
        fw_oa2_error(x, 400, "invalid_grant", "Value passed for the authorization code was invalid.");
        return;
    }
    if (!fw_str_eq(uri, a.redirect_uri)) {
        fw_oa2_error(x, 400, "invalid_grant", "redirect_uri does not match the authorization request");
        return;
    }
    if (!fw_pkce_verify(a.method, fw_str_c(a.challenge), verifier)) {
        fw_oa2_error(x, 400, "invalid_grant", "code_verifier does not match the code_challenge");
        return;
    }
    issue_tokens(x, g, a.app_id, a.user_id, a.scopes);
}

static void code_grant(fw_oa_ctx *x)
{
    fw_str code, uri, verifier;
    if (missing(x, "code", &code) || missing(x, "redirect_uri", &uri) || missing(x, "code_verifier", &verifier))
        return;
    if (!new_grant(x))
        return;
    /* Taken, not read: a code is redeemed at most once (on any node), even
     * by a failed try. */
    fw_oa_pend(x, FW_EPH_TAKE, FW_OA_PK_CODE, 0, code, NULL, 0, 0, code_taken);
}

static void refresh_found(fw_oa_ctx *x)
{
    grant *g = x->flow;
    const fw_oa_cred *c = &x->cred;
    uint32_t scopes = g->scopes ? g->scopes : c->scopes;
    if (x->rc == FW_EIO) {
        storage_error(x);
    } else if (x->rc != FW_OK || c->kind != FW_CRED_OAUTH2_REFRESH || c->revoked || c->app_id != g->client_app ||
               !c->has_user) {
        fw_oa2_error(x, 400, "invalid_grant", "Value passed for the token was invalid.");
    } else if (scopes & ~c->scopes) {
        fw_oa2_error(x, 400, "invalid_scope", "The requested scope exceeds the scope granted");
    } else {
        /* The presented refresh token dies before new ones exist. */
        g->revoke_first = true;
        g->grant_id = c->grant_id;
        issue_tokens(x, g, c->app_id, c->user_id, scopes);
    }
}

static void refresh_grant(fw_oa_ctx *x)
{
    fw_str rt, scope = fw_oauth_param(&x->prm, "scope");
    if (missing(x, "refresh_token", &rt))
        return;
    grant *g = new_grant(x);
    if (!g)
        return;
    if (scope.len && (fw_scopes_parse(scope, &g->scopes, NULL) != 0 || !g->scopes)) {
        fw_oa2_error(x, 400, "invalid_scope", "The requested scope is invalid or unknown");
        return;
    }
    if (rt.len >= FW_TOKEN_MAX) {
        fw_oa2_error(x, 400, "invalid_grant", "Value passed for the token was invalid.");
        return;
    }
    fw_sha256(rt.p, rt.len, g->hash);
    fw_oa_lookup_hash(x, g->hash, refresh_found);
}

static void token_authed(fw_oa_ctx *x)
{
    fw_str gt = fw_oauth_param(&x->prm, "grant_type");
    if (!gt.len)
        fw_oa2_error(x, 400, "invalid_request", "Missing required parameter [grant_type]");
    else if (fw_str_eq(gt, "authorization_code"))
        code_grant(x);
    else if (fw_str_eq(gt, "refresh_token"))
        refresh_grant(x);
    else
        fw_oa2_error(x, 400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
}

void fw_oa_token2(fw_oa_ctx *x)
{
    fw_oa_client_auth(x, token_authed);
}

/* ---- POST /2/oauth2/revoke ---------------------------------------------- */

/* On the work queue: the revocation's store writes. A refresh token takes
 * its whole grant with it, the access tokens minted from it and from its
 * predecessors included (RFC 7009 section 2.1); an access token only itself. */
static void revoke_work(fw_oa_ctx *x)
{
    grant *g = x->flow;
    g->revoke_rc = g->grant_id ? fw_store_grant_revoke(fw_oa_store(x), g->grant_id) : FW_OK;
    if (g->revoke_rc == FW_ENOTSUP) /* a backend without grant records: revoke the token alone */
        g->revoke_rc = FW_OK;
    if (g->revoke_rc == FW_OK)
        g->revoke_rc = fw_store_cred_revoke(fw_oa_store(x), g->hash, FW_STR_NULL, NULL);
}

static void revoked(fw_oa_ctx *x)
{
    grant *g = x->flow;
    if (g->revoke_rc != FW_OK) {
        storage_error(x);
        return;
    }
    fw_jw w;
    fw_oa_json_ok(x, &w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "revoked");
    fw_jw_bool(&w, true);
    fw_jw_obj_end(&w);
    fw_oa_finish(x);
}

static void revoke_found(fw_oa_ctx *x)
{
    grant *g = x->flow;
    if (x->rc == FW_EIO) {
        storage_error(x);
        return;
    }
    const fw_oa_cred *c = &x->cred;
    /* RFC 7009 2.2: an unknown or already revoked token is not an error. */
    if (x->rc == FW_OK && !c->revoked) {
        if (c->app_id != g->client_app) {
            fw_oa2_error(x, 400, "unauthorized_client", "The token was not issued to this client");
            return;
        }
        if (c->kind != FW_CRED_OAUTH2_USER && c->kind != FW_CRED_OAUTH2_REFRESH) {
            fw_oa2_error(x, 400, "unsupported_token_type", "Only OAuth 2.0 user tokens can be revoked here");
            return;
        }
        if (c->kind == FW_CRED_OAUTH2_REFRESH)
            g->grant_id = c->grant_id;
        fw_oa_offload(x, revoke_work, revoked, storage_error);
        return;
    }
    g->revoke_rc = FW_OK; /* nothing to write */
    revoked(x);
}

static void revoke_authed(fw_oa_ctx *x)
{
    fw_str tok;
    if (missing(x, "token", &tok))
        return;
    grant *g = new_grant(x);
    if (!g)
        return;
    fw_sha256(tok.p, tok.len, g->hash);
    fw_oa_lookup_hash(x, g->hash, revoke_found);
}

void fw_oa_revoke2(fw_oa_ctx *x)
{
    fw_oa_client_auth(x, revoke_authed);
}
