/* OAuth endpoints: the router, the per-request context and the helpers every
 * endpoint shares (store lookups, error bodies, OAuth 1.0a checks, client
 * authentication). See oauth.h. */
#include "oauth/oauth_internal.h"

#include <stdlib.h>
#include <string.h>

#include "auth/oauth1_check.h"
#include "auth/pending.h"
#include "core/clock.h"
#include "core/codec.h"
#include "core/jsonw.h"
#include "core/secret.h"
#include "core/workq.h"

/* Shares of the pending table, in eighths of its size (they add up to all of
 * it: 6,144 / 4,096 / 4,096 / 2,048 of the default 16,384), and caps per app
 * (a quarter of the share each). Sign-in pages and request tokens cost an
 * attacker one request each, so they evict their own oldest (a flood through
 * one app cuts short only that app's oldest pages). Codes and verifiers exist
 * only after a user signed in, and are never evicted: at a cap a new one is
 * refused ("try again later") rather than breaking a sign-in that already
 * succeeded. */
static const struct {
    uint8_t kind;
    uint8_t eighths;
    bool evict;
} pending_shares[] = {
    {FW_OA_PK_SESSION, 3, true},
    {FW_OA_PK_REQTOK, 2, true},
    {FW_OA_PK_CODE, 2, false},
    {FW_OA_PK_VERIFIER, 1, false},
};
#define NONCE_SLOTS 16384

/* Password checks and credential writes leave the event loops for a small
 * pool shared by every loop: two scrypt runs at a time bound their memory
 * (32 MiB each); a backlog beyond WORK_QUEUE sign-ins or grants (several
 * seconds of work) is answered 503 at once. */
#define WORK_THREADS 2
#define WORK_QUEUE 128

struct fw_oauth {
    fw_store *store;
    fw_pending *pending;
    fw_pending_limit limits[FW_PENDING_KINDS]; /* the same bounds for the shared table */
    fw_oauth1_check *oa1; /* request_token / access_token only */
    fw_workq *workq;
};

int fw_oauth_new(fw_store *store, const char *public_base_urls, size_t pending_max, fw_oauth **out)
{
    if (!pending_max)
        pending_max = FW_OAUTH_PENDING_DEFAULT;
    if (pending_max < FW_OAUTH_PENDING_MIN || pending_max > FW_OAUTH_PENDING_LIMIT)
        return -1;
    fw_oauth *oa = calloc(1, sizeof *oa);
    if (!oa)
        return -1;
    oa->store = store;
    if (fw_pending_new(pending_max, &oa->pending) != 0 ||
        fw_oauth1_check_new(public_base_urls, NONCE_SLOTS, &oa->oa1) != 0 ||
        fw_workq_new(WORK_THREADS, WORK_QUEUE, &oa->workq) != 0) {
        fw_oauth_free(oa);
        return -1;
    }
    for (size_t i = 0; i < sizeof pending_shares / sizeof pending_shares[0]; i++) {
        size_t share = pending_max / 8 * pending_shares[i].eighths;
        fw_pending_limit lim = {share, share / 4, pending_shares[i].evict};
        oa->limits[pending_shares[i].kind] = lim;
        if (fw_pending_set_limit(oa->pending, pending_shares[i].kind, lim) != FW_OK) {
            fw_oauth_free(oa);
            return -1;
        }
    }
    *out = oa;
    return 0;
}

void fw_oauth_free(fw_oauth *oa)
{
    if (!oa)
        return;
    fw_workq_free(oa->workq); /* first: queued work still uses the rest */
    fw_pending_free(oa->pending);
    fw_oauth1_check_free(oa->oa1);
    free(oa);
}

fw_store *fw_oa_store(fw_oa_ctx *x) { return x->oa->store; }
fw_pending *fw_oa_pending(fw_oa_ctx *x) { return x->oa->pending; }
fw_pending_limit fw_oa_pending_limit(fw_oa_ctx *x, uint8_t kind)
{
    return kind < FW_PENDING_KINDS ? x->oa->limits[kind] : (fw_pending_limit){0, 0, true};
}

/* ---- running one endpoint ------------------------------------------------ */

int fw_oauth_handle(fw_oauth *oa, fw_oa_step endpoint, fw_req *req)
{
    fw_oa_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->oa = oa;
    x->req = req;
    req->status = 0;
    req->content_type_out = NULL;
    fw_buf_reset(&req->body_out);
    x->prm_rc = fw_oauth_params_parse(&x->prm, req->query, req->content_type, req->body, req->authorization);
    endpoint(x);
    return 0;
}

void fw_oa_finish(fw_oa_ctx *x)
{
    fw_req *req = x->req;
    if (x->jw && fw_jw_error(x->jw) != FW_OK) /* a writer misuse: a clean problem, never a JSON fragment */
        fw_problem_unavailable(req);
    fw_oauth_params_free(&x->prm);
    fw_buf_free(&x->app.strs);
    free(x->hdr);
    free(x->flow);
    free(x);
    req->done(req);
}

/* ---- work off the loop -------------------------------------------------- */

static fw_oa_ctx *ctx_of_task(fw_task *t)
{
    return (fw_oa_ctx *)(void *)((char *)t - offsetof(fw_oa_ctx, task));
}

static void offload_work(fw_task *t)
{
    fw_oa_ctx *x = ctx_of_task(t);
    x->work(x);
}

static void offload_after(fw_task *t)
{
    fw_oa_ctx *x = ctx_of_task(t);
    x->after(x);
}

void fw_oa_offload(fw_oa_ctx *x, fw_oa_step work, fw_oa_step after, fw_oa_step busy)
{
    x->work = work;
    x->after = after;
    x->task.run = offload_after;
    if (fw_workq_submit(x->oa->workq, x->req->exec, &x->task, offload_work) != FW_OK)
        busy(x);
}

/* ---- store lookups ------------------------------------------------------ */

static void copy_app(fw_oa_app *dst, const fw_app *a)
{
    dst->id = a->id;
    dst->bearer_gen = a->bearer_gen;
    dst->client_type = a->client_type;
    dst->permission = a->permission;
    fw_buf_reset(&dst->strs);
    const fw_str *src[6] = {&a->name, &a->consumer_key, &a->consumer_secret, &a->client_id, &a->client_secret,
                            &a->redirect_uris};
    fw_str *out[6] = {&dst->name, &dst->consumer_key, &dst->consumer_secret, &dst->client_id, &dst->client_secret,
                      &dst->redirect_uris};
    size_t off[6];
    for (int i = 0; i < 6; i++) {
        off[i] = dst->strs.len;
        fw_buf_append(&dst->strs, src[i]->p ? src[i]->p : "", src[i]->len);
        fw_buf_putc(&dst->strs, 0);
    }
    for (int i = 0; i < 6; i++)
        *out[i] = (fw_str){dst->strs.data + off[i], src[i]->len};
}

static void on_lookup(void *ctx, const fw_auth_res *res)
{
    fw_oa_ctx *x = ctx;
    x->rc = res->rc;
    x->have_app = res->rc == FW_OK && res->app;
    if (x->have_app)
        copy_app(&x->app, res->app);
    memset(&x->cred, 0, sizeof x->cred);
    if (res->rc == FW_OK && res->cred) {
        const fw_cred *c = res->cred;
        x->cred = (fw_oa_cred){c->kind,   c->revoked,          res->user != NULL, c->app_id, c->user_id,
                               c->scopes, c->expires_at_ms, c->grant_id};
        x->cred.has_user = res->user && !(res->user->flags & FW_USER_SUSPENDED);
    }
    x->landed = true;
    if (x->async)
        x->next(x);
}

static void lookup(fw_oa_ctx *x, const fw_auth_q *q, fw_oa_step next)
{
    /* The store may answer inline (LMDB reads) or later on this loop: either
     * way next runs once, after the store's borrowed result is gone. */
    x->next = next;
    x->landed = x->async = false;
    fw_store_auth(x->oa->store, x->req->exec, q, on_lookup, x);
    if (x->landed)
        next(x);
    else
        x->async = true;
}

void fw_oa_lookup_key(fw_oa_ctx *x, uint8_t by, fw_str key, fw_oa_step next)
{
    fw_auth_q q = {0};
    q.by = by;
    q.consumer_key = key;
    lookup(x, &q, next);
}

void fw_oa_lookup_hash(fw_oa_ctx *x, const uint8_t hash[32], fw_oa_step next)
{
    fw_auth_q q = {0};
    q.by = FW_AUTH_BY_HASH;
    memcpy(q.hash, hash, sizeof q.hash);
    lookup(x, &q, next);
}

/* ---- responses ---------------------------------------------------------- */

void fw_oa_no_store(fw_req *req)
{
    fw_req_add_header(req, "cache-control", "no-store", 8);
    fw_req_add_header(req, "pragma", "no-cache", 8);
}

static void json_start(fw_oa_ctx *x, int status, fw_jw *w)
{
    fw_req *req = x->req;
    req->status = status;
    req->content_type_out = fw_ct_json;
    fw_buf_reset(&req->body_out);
    fw_jw_init(w, &req->body_out, false);
    fw_oa_no_store(req);
    x->jw = w;
}

void fw_oa_json_ok(fw_oa_ctx *x, fw_jw *w)
{
    json_start(x, 200, w);
}

void fw_oa_v1_error(fw_oa_ctx *x, int status, int code, const char *message)
{
    fw_jw w;
    json_start(x, status, &w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "errors");
    fw_jw_arr_begin(&w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "code");
    fw_jw_int(&w, code);
    fw_jw_key(&w, "message");
    fw_jw_str(&w, message);
    fw_jw_obj_end(&w);
    fw_jw_arr_end(&w);
    fw_jw_obj_end(&w);
    fw_oa_finish(x);
}

void fw_oa_error99(fw_oa_ctx *x)
{
    fw_jw w;
    json_start(x, 403, &w);
    fw_buf_puts(&x->req->body_out, "{\"errors\":[{\"code\":99,\"label\":\"authenticity_token_error\","
                                   "\"message\":\"Unable to verify your credentials\"}]}");
    fw_oa_finish(x);
}

void fw_oa2_error(fw_oa_ctx *x, int status, const char *error, const char *description)
{
    fw_jw w;
    json_start(x, status, &w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "error");
    fw_jw_str(&w, error);
    fw_jw_key(&w, "error_description");
    fw_jw_str(&w, description);
    fw_jw_obj_end(&w);
    if (status == 401)
        fw_req_add_header(x->req, "www-authenticate", "Basic realm=\"followd\"", 21);
    fw_oa_finish(x);
}

/* ---- small helpers ------------------------------------------------------ */

bool fw_oa_copy(char *dst, size_t cap, fw_str s)
{
    dst[0] = 0;
    if (s.len >= cap || (s.len && (!s.p || memchr(s.p, 0, s.len))))
        return false;
    if (s.len)
        memcpy(dst, s.p, s.len);
    dst[s.len] = 0;
    return true;
}

void fw_oa_copy_name(char dst[FW_OA_NAME_MAX + 1], fw_str name)
{
    size_t n = name.len > FW_OA_NAME_MAX ? FW_OA_NAME_MAX : name.len;
    while (n < name.len && n > 0 && ((unsigned char)name.p[n] & 0xC0) == 0x80)
        n--;
    fw_oa_copy(dst, FW_OA_NAME_MAX + 1, (fw_str){name.p, n});
}

int fw_oa_random_id(char out[44])
{
    uint8_t raw[32];
    if (fw_random_bytes(raw, sizeof raw) != 0)
        return -1;
    fw_b64url_encode(raw, sizeof raw, out);
    return 0;
}

bool fw_oa_uri_registered(fw_str registered, fw_str uri)
{
    if (uri.len == 0)
        return false;
    size_t i = 0;
    while (i <= registered.len) {
        size_t j = i;
        while (j < registered.len && registered.p[j] != '\n')
            j++;
        size_t n = j - i;
        /* Tolerate CRLF-joined lists. */
        if (n && registered.p[j - 1] == '\r')
            n--;
        if (n == uri.len && memcmp(registered.p + i, uri.p, n) == 0)
            return true;
        i = j + 1;
    }
    return false;
}

int fw_oa_oauth1_check(fw_oa_ctx *x, fw_str consumer_secret, fw_str token_secret, bool query_signed)
{
    fw_req *req = x->req;
    fw_oauth1_http http = {req->method, req->path, query_signed ? req->query : FW_STR_LIT(""), req->content_type,
                           req->body, req->host, req->tls};
    return fw_oauth1_check_sig(x->oa->oa1, x->hdr, &http, consumer_secret, token_secret, fw_now_ms() / 1000);
}

static void nonce_recorded(void *ctx, int rc)
{
    fw_oa_ctx *x = ctx;
    x->rc = rc == FW_OK ? FW_OK : rc == FW_EIO || rc == FW_ESHUTDOWN ? FW_EIO : FW_ENONCE;
    x->after_nonce(x);
}

void fw_oa_oauth1_nonce(fw_oa_ctx *x, fw_oa_step next)
{
    x->after_nonce = next;
    fw_oauth1_check_nonce(x->oa->oa1, x->oa->store, x->req->exec, x->hdr, fw_now_ms() / 1000, nonce_recorded, x);
}

bool fw_oa_oauth1_ok(fw_oa_ctx *x, fw_str consumer_secret, fw_str token_secret)
{
    return fw_oa_oauth1_check(x, consumer_secret, token_secret, true) == FW_OK;
}

/* ---- OAuth 2.0 client authentication ----------------------------------- */

static void client_found(fw_oa_ctx *x)
{
    fw_oa_step next = x->then;
    if (x->rc == FW_EIO) {
        fw_oa2_error(x, 503, "temporarily_unavailable", "Storage is unavailable; retry later");
        return;
    }
    if (x->rc != FW_OK || !x->have_app) {
        fw_oa2_error(x, 401, "invalid_client", "Client authentication failed");
        return;
    }
    fw_str body_id = fw_oauth_param(&x->prm, "client_id");
    if (x->prm.has_basic) {
        if (body_id.p && !(body_id.len == x->app.client_id.len && !memcmp(body_id.p, x->app.client_id.p, body_id.len))) {
            fw_oa2_error(x, 401, "invalid_client", "client_id does not match the authenticated client");
            return;
        }
        /* Public clients have no secret: an empty one is all they can send. */
        bool ok = x->app.client_type == FW_CLIENT_PUBLIC
                      ? x->prm.basic_secret.len == 0
                      : x->app.client_secret.len > 0 && fw_ct_equal(x->prm.basic_secret.p, x->prm.basic_secret.len,
                                                                    x->app.client_secret.p, x->app.client_secret.len);
        if (!ok) {
            fw_oa2_error(x, 401, "invalid_client", "Client authentication failed");
            return;
        }
    } else if (x->app.client_type == FW_CLIENT_CONFIDENTIAL) {
        /* X answers unauthorized_client when a confidential client leaves out
         * its Basic credentials (oauth-notes.md, xdk). */
        fw_oa2_error(x, 400, "unauthorized_client", "Missing valid authorization header");
        return;
    }
    next(x);
}

void fw_oa_client_auth(fw_oa_ctx *x, fw_oa_step next)
{
    if (x->prm_rc != FW_OK) {
        fw_oa2_error(x, 400, "invalid_request",
                     x->prm_rc == FW_EDUP ? "A parameter was given twice with different values"
                                              : "The request parameters could not be parsed");
        return;
    }
    fw_str id = x->prm.has_basic ? x->prm.basic_id : fw_oauth_param(&x->prm, "client_id");
    if (!id.p || !id.len) {
        fw_oa2_error(x, 400, "invalid_request", "Missing required parameter [client_id]");
        return;
    }
    x->then = next;
    fw_oa_lookup_key(x, FW_AUTH_BY_CLIENT_ID, id, client_found);
}
