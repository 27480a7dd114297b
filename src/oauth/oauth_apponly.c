/* App-only bearer tokens: POST /oauth2/token (client_credentials) and
 * POST /oauth2/invalidate_token, both authenticated with HTTP Basic consumer
 * key and secret. The token is derived from the store secret, the app id and
 * the app's bearer generation (auth/tokens.h), so repeated requests return
 * the same token until it is invalidated, as X documents; only its SHA-256 is
 * stored. Failures answer X's 403 code 99 body. Store writes run on the work
 * queue (fw_oa_offload). */
#include "oauth/oauth_internal.h"

#include <stdlib.h>
#include <string.h>

#include "auth/issue.h"
#include "core/jsonw.h"
#include "core/secret.h"

/* x->flow of both endpoints. */
typedef struct bearer {
    uint64_t app_id;
    uint32_t gen;
    bool new_gen; /* /oauth2/token: revoked without a new generation: start one */
    int rc;       /* the work queue's result */
    char token[FW_TOKEN_MAX];
} bearer;

static void unavailable(fw_oa_ctx *x)
{
    fw_oa_v1_error(x, 503, 131, "Internal error.");
}

static void answer(fw_oa_ctx *x, bool with_type, const char *token)
{
    fw_jw w;
    fw_oa_json_ok(x, &w);
    fw_jw_obj_begin(&w);
    if (with_type) {
        fw_jw_key(&w, "token_type");
        fw_jw_str(&w, "bearer");
    }
    fw_jw_key(&w, "access_token");
    fw_jw_str(&w, token);
    fw_jw_obj_end(&w);
    fw_oa_finish(x);
}

/* Looks the consumer key of the Basic header up, then runs next if the secret
 * matches (x->app set); otherwise answers 403 code 99. */
static void consumer_checked(fw_oa_ctx *x);

static void with_consumer(fw_oa_ctx *x, fw_oa_step next)
{
    if (x->prm_rc != FW_OK || !x->prm.has_basic) {
        fw_oa_error99(x);
        return;
    }
    x->then = next;
    fw_oa_lookup_key(x, FW_AUTH_BY_CONSUMER_KEY, x->prm.basic_id, consumer_checked);
}

static void consumer_checked(fw_oa_ctx *x)
{
    if (x->rc == FW_EIO) {
        unavailable(x);
        return;
    }
    if (x->rc != FW_OK || !x->have_app ||
        !fw_ct_equal(x->prm.basic_secret.p, x->prm.basic_secret.len, x->app.consumer_secret.p,
                     x->app.consumer_secret.len)) {
        fw_oa_error99(x);
        return;
    }
    x->then(x);
}

/* ---- POST /oauth2/token -------------------------------------------------- */

/* On the work queue (store writes). */
static void bearer_store(fw_oa_ctx *x)
{
    bearer *b = x->flow;
    if (!b->new_gen) {
        /* first request since the app (or generation) was made */
        b->rc = fw_issue_app_bearer(fw_oa_store(x), b->app_id, b->gen, b->token);
        return;
    }
    /* The store never lowers a generation, so re-read the one in force. */
    fw_app_rec cur = {0};
    b->rc = fw_store_app_set_bearer_gen(fw_oa_store(x), b->app_id, b->gen + 1);
    if (b->rc == FW_OK)
        b->rc = fw_store_app_get(fw_oa_store(x), b->app_id, &cur);
    if (b->rc == FW_OK) {
        b->gen = cur.a.bearer_gen;
        b->rc = fw_issue_app_bearer(fw_oa_store(x), b->app_id, b->gen, b->token);
    }
    fw_app_rec_free(&cur);
}

static void bearer_stored(fw_oa_ctx *x)
{
    bearer *b = x->flow;
    if (b->rc != FW_OK) {
        unavailable(x);
        return;
    }
    answer(x, true, b->token);
}

static void stored_checked(fw_oa_ctx *x)
{
    bearer *b = x->flow;
    if (x->rc == FW_EIO) {
        unavailable(x);
        return;
    }
    if (x->rc != FW_OK || x->cred.kind != FW_CRED_APP_BEARER || x->cred.revoked) {
        /* Revoked without a new generation (e.g. by an admin): start one. */
        b->new_gen = x->rc == FW_OK && x->cred.kind == FW_CRED_APP_BEARER;
        fw_oa_offload(x, bearer_store, bearer_stored, unavailable);
        return;
    }
    answer(x, true, b->token); /* stored and live: nothing to write */
}

/* The app's bearer state (flow of this request) with its current derived
 * token; answers 503 and returns NULL when out of memory. */
static bearer *current_bearer(fw_oa_ctx *x)
{
    bearer *b = calloc(1, sizeof *b);
    if (!b) {
        unavailable(x);
        return NULL;
    }
    x->flow = b;
    b->app_id = x->app.id;
    b->gen = x->app.bearer_gen;
    fw_token_app_bearer(fw_store_secret(fw_oa_store(x)), b->app_id, b->gen, b->token);
    return b;
}

static void token_for_app(fw_oa_ctx *x)
{
    if (!fw_str_eq(fw_oauth_param(&x->prm, "grant_type"), "client_credentials")) {
        fw_oa_error99(x);
        return;
    }
    bearer *b = current_bearer(x);
    if (!b)
        return;
    uint8_t h[32];
    fw_sha256(b->token, strlen(b->token), h);
    fw_oa_lookup_hash(x, h, stored_checked);
}

void fw_oa_app_token(fw_oa_ctx *x)
{
    with_consumer(x, token_for_app);
}

/* ---- POST /oauth2/invalidate_token -------------------------------------- */

/* On the work queue: a new generation first, from then on /oauth2/token
 * derives a new token; then the old one's record is revoked. */
static void invalidate_store(fw_oa_ctx *x)
{
    bearer *b = x->flow;
    uint8_t h[32];
    fw_sha256(b->token, strlen(b->token), h);
    b->rc = fw_store_app_set_bearer_gen(fw_oa_store(x), b->app_id, b->gen + 1);
    if (b->rc == FW_OK) {
        b->rc = fw_store_cred_revoke(fw_oa_store(x), h, FW_STR_NULL, NULL);
        if (b->rc == FW_ENOTFOUND)
            b->rc = FW_OK; /* never stored: nothing to revoke */
    }
}

static void invalidated(fw_oa_ctx *x)
{
    bearer *b = x->flow;
    if (b->rc != FW_OK) {
        unavailable(x);
        return;
    }
    answer(x, false, b->token);
}

static void invalidate_for_app(fw_oa_ctx *x)
{
    fw_str tok = fw_oauth_param(&x->prm, "access_token");
    if (!tok.len) {
        fw_oa_error99(x);
        return;
    }
    bearer *b = current_bearer(x);
    if (!b)
        return;
    if (!fw_ct_equal(tok.p, tok.len, b->token, strlen(b->token))) {
        fw_oa_v1_error(x, 401, 89, "Invalid or expired token.");
        return;
    }
    fw_oa_offload(x, invalidate_store, invalidated, unavailable);
}

void fw_oa_app_invalidate(fw_oa_ctx *x)
{
    with_consumer(x, invalidate_for_app);
}
