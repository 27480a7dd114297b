/* OAuth 1.0a three-legged flow: POST /oauth/request_token, the consent page at
 * /oauth/authorize (and /oauth/authenticate), POST /oauth/access_token.
 * Errors use X's v1.1 bodies: 401 code 32 for anything that fails to
 * authenticate, 401 code 89 for unknown/expired request tokens, 403 code 415
 * for an unregistered callback.
 *
 * Two request shapes X accepts and its own samples send (docs/oauth1.md):
 * a request_token without oauth_callback (requests_oauthlib without
 * callback_uri) gets the app's first registered callback, or the PIN flow
 * when it has none; an access_token signed with the consumer key only, the
 * request token and verifier in a query the client did not sign (the
 * oauth-1.0a npm package as X's JavaScript samples use it). The single-use
 * verifier bound to the request token and its app is what authenticates
 * that second shape; the consumer signature is still required.
 *
 * A request token lives in the pending table as FW_OA_PK_REQTOK until its
 * user decides; the first decision takes it out (a stale second page finds
 * nothing), and an approval stores it again as FW_OA_PK_VERIFIER, which
 * /oauth/access_token takes (single use, also under concurrency). The
 * password check and the access token's store write run on the work queue
 * (fw_oa_offload). */
#include "oauth/oauth_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/issue.h"
#include "auth/scopes.h"
#include "core/clock.h"
#include "core/secret.h"
#include "core/urlenc.h"

static const char ct_form[] = "application/x-www-form-urlencoded";

/* /oauth/access_token's state (x->flow): the request token, then the access
 * token issued for it on the work queue. */
typedef struct acc_state {
    fw_oa_reqtok rt;
    fw_str token;       /* the request token: the header's, or the query's (consumer_only) */
    bool consumer_only; /* signed with the consumer key alone */
    int rc;
    char tok[FW_TOKEN_MAX], sec[FW_TOKEN_MAX];
} acc_state;

static void not_authenticated(fw_oa_ctx *x)
{
    fw_oa_v1_error(x, 401, 32, "Could not authenticate you.");
}

static void bad_token(fw_oa_ctx *x)
{
    fw_oa_v1_error(x, 401, 89, "Invalid or expired token.");
}

static void unavailable(fw_oa_ctx *x)
{
    fw_oa_v1_error(x, 503, 131, "Internal error.");
}

/* Parses the Authorization header into x->hdr; answers 401 and returns false if it fails. */
static bool parse_header(fw_oa_ctx *x)
{
    x->hdr = malloc(sizeof *x->hdr);
    if (!x->hdr || fw_oauth1_parse(x->req->authorization, x->hdr) != FW_OK) {
        not_authenticated(x);
        return false;
    }
    return true;
}

static void form_pair(fw_buf *b, const char *k, fw_str v)
{
    if (b->len)
        fw_buf_putc(b, '&');
    fw_buf_puts(b, k);
    fw_buf_putc(b, '=');
    fw_url_encode(v, b);
}

static void form_ok(fw_oa_ctx *x)
{
    x->req->status = 200;
    x->req->content_type_out = ct_form;
    fw_oa_no_store(x->req);
    fw_oa_finish(x);
}

/* ---- POST /oauth/request_token ------------------------------------------ */

/* X: without oauth_callback, the app's registered callback URL (the first
 * one), or the PIN flow ("oob") when it has none. */
static fw_str default_callback(fw_str registered)
{
    const char *nl = registered.len ? memchr(registered.p, '\n', registered.len) : NULL;
    size_t n = nl ? (size_t)(nl - registered.p) : registered.len;
    return n ? (fw_str){registered.p, n} : FW_STR_LIT("oob");
}

/* x_auth_access_type (X: "read" or "write"; absent = the app's level). False
 * for any other value. The app's permission caps it (request_token). */
static bool access_type(fw_str v, uint32_t *scopes)
{
    *scopes = FW_SCOPES_OAUTH1_WRITE;
    if (!v.p || fw_str_eq(v, "write"))
        return true;
    if (fw_str_eq(v, "read")) {
        *scopes = FW_SCOPES_OAUTH1_READ;
        return true;
    }
    return false;
}

static void request_token_added(fw_oa_ctx *x)
{
    if (x->pend.rc != FW_OK) {
        unavailable(x);
        return;
    }
    const fw_oa_reqtok *rt = (const fw_oa_reqtok *)(const void *)x->pend.val;
    fw_buf *b = &x->req->body_out;
    form_pair(b, "oauth_token", (fw_str){x->pend.key, x->pend.keylen});
    form_pair(b, "oauth_token_secret", fw_str_c(rt->secret));
    form_pair(b, "oauth_callback_confirmed", FW_STR_LIT("true"));
    form_ok(x);
}

static void request_token_signed(fw_oa_ctx *x)
{
    if (x->rc == FW_EIO) {
        unavailable(x);
        return;
    }
    if (x->rc != FW_OK) {
        not_authenticated(x);
        return;
    }
    fw_str cb = x->hdr->callback.p ? x->hdr->callback : fw_oauth_param(&x->prm, "oauth_callback");
    if (x->prm_rc != FW_OK) {
        not_authenticated(x);
        return;
    }
    uint32_t scopes;
    if (!access_type(fw_oauth_param(&x->prm, "x_auth_access_type"), &scopes)) {
        fw_oa_v1_error(x, 400, 44, "x_auth_access_type parameter is invalid.");
        return;
    }
    /* A token keeps the level it was made with (X: change the app's permission,
     * then regenerate the tokens), so a Read app's tokens are read tokens. */
    if (x->app.permission == FW_APP_PERM_READ)
        scopes = FW_SCOPES_OAUTH1_READ;
    if (!cb.p || !cb.len)
        cb = default_callback(x->app.redirect_uris);
    else if (!fw_str_eq(cb, "oob") && !fw_oa_uri_registered(x->app.redirect_uris, cb)) {
        fw_oa_v1_error(x, 403, 415,
                       "Callback URL not approved for this client application. Approved callback URLs can "
                       "be adjusted in your application settings");
        return;
    }
    fw_oa_reqtok rt;
    memset(&rt, 0, sizeof rt);
    rt.app_id = x->app.id;
    rt.scopes = scopes;
    if (!fw_oa_copy(rt.callback, sizeof rt.callback, cb)) {
        fw_oa_v1_error(x, 403, 415, "Callback URL not approved for this client application.");
        return;
    }
    fw_oa_copy_name(rt.app_name, x->app.name);
    char tok[33];
    if (fw_random_alnum(tok, 32) != 0 || fw_random_alnum(rt.secret, 40) != 0) {
        unavailable(x);
        return;
    }
    fw_oa_pend(x, FW_EPH_ADD, FW_OA_PK_REQTOK, rt.app_id, (fw_str){tok, 32}, &rt, sizeof rt, FW_OA_REQTOK_TTL_MS,
               request_token_added);
}

static void request_token_found(fw_oa_ctx *x)
{
    if (x->rc == FW_EIO) {
        unavailable(x);
        return;
    }
    if (x->rc != FW_OK || !x->have_app || !fw_oa_oauth1_ok(x, x->app.consumer_secret, FW_STR_LIT(""))) {
        not_authenticated(x);
        return;
    }
    fw_oa_oauth1_nonce(x, request_token_signed);
}

void fw_oa_request_token(fw_oa_ctx *x)
{
    if (!parse_header(x))
        return;
    if (x->hdr->token.p && x->hdr->token.len) {
        not_authenticated(x); /* signed with the consumer key only */
        return;
    }
    fw_oa_lookup_key(x, FW_AUTH_BY_CONSUMER_KEY, x->hdr->consumer_key, request_token_found);
}

/* ---- POST /oauth/access_token ------------------------------------------- */

/* On the work queue: the store write (fsync). */
static void access_issue(fw_oa_ctx *x)
{
    acc_state *a = x->flow;
    a->rc = fw_issue_oauth1(fw_oa_store(x), a->rt.app_id, a->rt.user_id, a->rt.scopes, NULL, a->tok, a->sec);
}

static void access_issued(fw_oa_ctx *x)
{
    acc_state *a = x->flow;
    if (a->rc == FW_ENOTFOUND) {
        bad_token(x); /* the user or app was deleted meanwhile */
        return;
    }
    if (a->rc != FW_OK) {
        unavailable(x);
        return;
    }
    char uid[24];
    snprintf(uid, sizeof uid, "%llu", (unsigned long long)a->rt.user_id);
    fw_buf *b = &x->req->body_out;
    form_pair(b, "oauth_token", fw_str_c(a->tok));
    form_pair(b, "oauth_token_secret", fw_str_c(a->sec));
    form_pair(b, "user_id", fw_str_c(uid));
    form_pair(b, "screen_name", fw_str_c(a->rt.screen_name));
    form_ok(x);
}

/* The consumer-only shape: signed with the consumer secret and an empty
 * token secret, over the request as sent or (oauth-1.0a as X's samples use
 * it) over the URL without the query. Each candidate is a full HMAC check. */
static bool consumer_signature_ok(fw_oa_ctx *x)
{
    int rc = fw_oa_oauth1_check(x, x->app.consumer_secret, FW_STR_LIT(""), true);
    if (rc == FW_ESIGNATURE && x->req->query.len)
        rc = fw_oa_oauth1_check(x, x->app.consumer_secret, FW_STR_LIT(""), false);
    return rc == FW_OK;
}

static void access_token_taken(fw_oa_ctx *x)
{
    acc_state *a = x->flow;
    fw_oa_reqtok *rt = &a->rt;
    if (x->pend.rc == FW_EIO) {
        unavailable(x);
        return;
    }
    if (x->pend.rc != FW_OK || x->pend.len != sizeof *rt) {
        bad_token(x);
        return;
    }
    memcpy(rt, x->pend.val, sizeof *rt);
    if (!rt->authorized) {
        bad_token(x);
        return;
    }
    fw_str verifier = x->hdr->verifier.p ? x->hdr->verifier : fw_oauth_param(&x->prm, "oauth_verifier");
    if (!verifier.p || !fw_ct_equal(verifier.p, verifier.len, rt->verifier, strlen(rt->verifier))) {
        not_authenticated(x);
        return;
    }
    fw_oa_offload(x, access_issue, access_issued, unavailable);
}

static void access_token_signed(fw_oa_ctx *x)
{
    acc_state *a = x->flow;
    if (x->rc == FW_EIO) {
        unavailable(x);
        return;
    }
    if (x->rc != FW_OK) {
        not_authenticated(x);
        return;
    }
    if (!a->rt.authorized) {
        bad_token(x); /* not approved (yet): the flow may still complete */
        return;
    }
    /* Single use from here on: a wrong verifier burns the request token. */
    fw_oa_pend(x, FW_EPH_TAKE, FW_OA_PK_VERIFIER, 0, a->token, NULL, 0, 0, access_token_taken);
}

static void access_token_found(fw_oa_ctx *x)
{
    acc_state *a = x->flow;
    fw_oa_reqtok *rt = &a->rt;
    if (x->rc == FW_EIO) {
        unavailable(x);
        return;
    }
    if (x->rc != FW_OK || !x->have_app || x->app.id != rt->app_id ||
        !(a->consumer_only ? consumer_signature_ok(x)
                           : fw_oa_oauth1_ok(x, x->app.consumer_secret, fw_str_c(rt->secret)))) {
        not_authenticated(x);
        return;
    }
    fw_oa_oauth1_nonce(x, access_token_signed);
}

/* The request token as it is now: approved (a verifier exists), or still
 * waiting for its user. */
static void access_token_loaded(fw_oa_ctx *x)
{
    acc_state *a = x->flow;
    if (x->pend.rc == FW_EIO) {
        unavailable(x);
        return;
    }
    if (x->pend.rc != FW_OK || x->pend.len != sizeof a->rt) {
        bad_token(x);
        return;
    }
    memcpy(&a->rt, x->pend.val, sizeof a->rt);
    fw_oa_lookup_key(x, FW_AUTH_BY_CONSUMER_KEY, x->hdr->consumer_key, access_token_found);
}

static void access_token_verifier(fw_oa_ctx *x)
{
    acc_state *a = x->flow;
    if (x->pend.rc == FW_ENOTFOUND)
        fw_oa_pend(x, FW_EPH_GET, FW_OA_PK_REQTOK, 0, a->token, NULL, 0, 0, access_token_loaded);
    else
        access_token_loaded(x);
}

void fw_oa_access_token(fw_oa_ctx *x)
{
    if (!parse_header(x))
        return;
    acc_state *a = malloc(sizeof *a);
    x->flow = a;
    if (!a) {
        unavailable(x);
        return;
    }
    a->consumer_only = !x->hdr->token.len;
    if (a->consumer_only && x->prm_rc != FW_OK) {
        not_authenticated(x);
        return;
    }
    a->token = a->consumer_only ? fw_oauth_param(&x->prm, "oauth_token") : x->hdr->token;
    if (!a->token.len) {
        bad_token(x);
        return;
    }
    fw_oa_pend(x, FW_EPH_GET, FW_OA_PK_VERIFIER, 0, a->token, NULL, 0, 0, access_token_verifier);
}

/* ---- the consent page --------------------------------------------------- */

static void expired(fw_oa_ctx *x)
{
    fw_oa_page_message(x, 400, "This page is no longer valid",
                       "This request token is invalid or has expired. Go back to the application and start again.",
                       FW_STR_NULL);
}

static void page_opened(fw_oa_ctx *x)
{
    if (x->pend.rc != FW_OK) {
        fw_oa_page_unavailable(x);
        return;
    }
    fw_str prefill = fw_oauth_param(&x->prm, "screen_name");
    if (prefill.len > 15)
        prefill.len = 15;
    fw_oa_page_consent(x, (const fw_oa_session *)(const void *)x->pend.val, x->pend.key, NULL, prefill);
}

/* Copies the request token a pending-table read found into *rt if it is one
 * still waiting for its user's decision; otherwise answers x (503 when the
 * table could not tell, else the expired page) and returns false. */
static bool undecided_loaded(fw_oa_ctx *x, fw_oa_reqtok *rt)
{
    if (x->pend.rc == FW_EIO) {
        fw_oa_page_unavailable(x);
        return false;
    }
    if (x->pend.rc != FW_OK || x->pend.len != sizeof *rt) {
        expired(x);
        return false;
    }
    memcpy(rt, x->pend.val, sizeof *rt);
    if (rt->authorized) {
        expired(x);
        return false;
    }
    return true;
}

static void show_page_loaded(fw_oa_ctx *x)
{
    fw_str token = fw_oauth_param(&x->prm, "oauth_token");
    fw_oa_reqtok rt;
    fw_oa_session s;
    memset(&s, 0, sizeof s);
    if (!undecided_loaded(x, &rt))
        return;
    if (!fw_oa_copy(s.reqtok, sizeof s.reqtok, token)) {
        expired(x);
        return;
    }
    s.flow = 1;
    s.app_id = rt.app_id;
    s.authz.scopes = rt.scopes;
    memcpy(s.app_name, rt.app_name, sizeof s.app_name);
    fw_oa_copy(s.action, sizeof s.action, x->req->path);
    fw_oa_session_open(x, &s, page_opened);
}

static void show_page(fw_oa_ctx *x)
{
    fw_str token = fw_oauth_param(&x->prm, "oauth_token");
    if (x->prm_rc != FW_OK || !token.len) {
        expired(x);
        return;
    }
    fw_oa_pend(x, FW_EPH_GET, FW_OA_PK_REQTOK, 0, token, NULL, 0, 0, show_page_loaded);
}

/* oob flows show the verifier as a 7-digit PIN, as X does. */
static int make_verifier(bool pin, char out[48])
{
    if (!pin)
        return fw_random_alnum(out, 32);
    for (int i = 0; i < 7;) {
        uint8_t r;
        if (fw_random_bytes(&r, 1) != 0)
            return -1;
        if (r < 250)
            out[i++] = (char)('0' + r % 10);
    }
    out[7] = 0;
    return 0;
}

static void verifier_added(fw_oa_ctx *x)
{
    const fw_oa_consent *c = x->flow;
    if (x->pend.rc != FW_OK) {
        fw_oa_page_unavailable(x);
        return;
    }
    const fw_oa_reqtok *rt = (const fw_oa_reqtok *)(const void *)x->pend.val;
    if (fw_str_eq(fw_str_c(rt->callback), "oob")) {
        fw_oa_page_message(x, 200, "You authorized the application",
                           "Enter this PIN in the application to complete the authorization:", fw_str_c(rt->verifier));
        return;
    }
    static const char *const keys[] = {"oauth_token", "oauth_verifier"};
    fw_str vals[] = {fw_str_c(c->s.reqtok), fw_str_c(rt->verifier)};
    fw_oa_redirect(x, fw_str_c(rt->callback), keys, vals, 2);
}

static void decided_taken(fw_oa_ctx *x)
{
    const fw_oa_consent *c = x->flow;
    fw_str token = fw_str_c(c->s.reqtok);
    fw_oa_reqtok rt;
    if (!undecided_loaded(x, &rt))
        return;
    bool oob = fw_str_eq(fw_str_c(rt.callback), "oob");
    if (c->outcome == FW_OA_DENIED) {
        static const char *const keys[] = {"denied"};
        if (oob)
            fw_oa_page_message(x, 200, "Access denied", "You did not authorize the application.", FW_STR_NULL);
        else
            fw_oa_redirect(x, fw_str_c(rt.callback), keys, &token, 1);
        return;
    }
    rt.authorized = true;
    rt.user_id = c->user_id;
    memcpy(rt.screen_name, c->screen_name, sizeof rt.screen_name);
    /* Verifiers are never evicted; at the app's cap (oauth_core.c) this
     * approval is refused and the user starts again shortly. */
    if (make_verifier(oob, rt.verifier) != 0) {
        fw_oa_page_unavailable(x);
        return;
    }
    fw_oa_pend(x, FW_EPH_ADD, FW_OA_PK_VERIFIER, rt.app_id, token, &rt, sizeof rt, FW_OA_VERIFIER_TTL_MS,
               verifier_added);
}

static void decided(fw_oa_ctx *x)
{
    const fw_oa_consent *c = x->flow;
    /* Taken, not read: of two sign-in pages open for one request token,
     * only the first decision counts (an approved token is a VERIFIER now,
     * out of a stale page's reach). */
    fw_oa_pend(x, FW_EPH_TAKE, FW_OA_PK_REQTOK, 0, fw_str_c(c->s.reqtok), NULL, 0, 0, decided_taken);
}

void fw_oa_authorize1(fw_oa_ctx *x)
{
    if (fw_str_eq(x->req->method, "GET"))
        show_page(x);
    else
        fw_oa_consent_post(x, 1, decided);
}
