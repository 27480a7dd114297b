/* The API entry point: routing, authentication, authorisation and parameter
 * validation, in the order X applies them (401/403 before 400), then dispatch
 * to an endpoint handler. */
#include "api/internal.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/rcache.h"
#include "auth/scopes.h"
#include "core/clock.h"
#include "oauth/oauth.h"
#include "portal/portal.h"

_Static_assert(sizeof(fw_call) <= sizeof(((fw_req *)0)->api_space), "fw_call must fit in fw_req.api_space");

int fw_api_new(const fw_api_config *cfg, fw_store *store, fw_api **out, char *err, size_t errlen)
{
    fw_limits_config lc;
    fw_limits_defaults(&lc);
    lc.enabled = cfg->rate_limits;
    if (cfg->limits_spec && fw_limits_parse(&lc, cfg->limits_spec, err, errlen) != 0)
        return -1;
    fw_api *api = calloc(1, sizeof *api);
    if (!api)
        return -1;
    api->cfg = *cfg;
    api->store = store;
    memcpy(api->secret, fw_store_secret(store), 32);
    if (fw_authn_new(store, cfg->public_base_urls, &api->authn) != 0 || fw_limits_new(&lc, &api->limits) != 0 ||
        (fw_store_shares_state(store) && lc.enabled && fw_limits_share(api->limits, store) != FW_OK) ||
        fw_oauth_new(store, cfg->public_base_urls, cfg->oauth_pending_max, &api->oauth) != 0 ||
        fw_portal_new(store, api->limits, cfg->portal_approval, &api->portal) != FW_OK) {
        snprintf(err, errlen, "cannot initialise authentication, rate limits or the developer portal");
        fw_api_free(api);
        return -1;
    }
    *out = api;
    return 0;
}

void fw_api_free(fw_api *api)
{
    if (!api)
        return;
    fw_authn_free(api->authn);
    fw_limits_free(api->limits);
    fw_oauth_free(api->oauth);
    fw_portal_free(api->portal);
    free(api);
}

void fw_call_json(fw_call *c, fw_jw *w)
{
    c->req->status = 200;
    c->req->content_type_out = fw_ct_json;
    fw_buf_reset(&c->req->body_out);
    fw_jw_init(w, &c->req->body_out, false);
    c->jw = w;
}

static void add_limit_headers(fw_req *req, const char *prefix, const fw_rl_state *st)
{
    /* prefix is one of three static header families; names stay static strings. */
    static const char *const names[3][3] = {
        {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"},
        {"x-user-limit-24hour-limit", "x-user-limit-24hour-remaining", "x-user-limit-24hour-reset"},
        {"x-app-limit-24hour-limit", "x-app-limit-24hour-remaining", "x-app-limit-24hour-reset"},
    };
    int i = prefix[0] == 'r' ? 0 : prefix[0] == 'u' ? 1 : 2;
    fw_req_add_header_u64(req, names[i][0], st->limit);
    fw_req_add_header_u64(req, names[i][1], st->remaining);
    fw_req_add_header_u64(req, names[i][2], (uint64_t)st->reset_s);
}

void fw_call_finish(fw_call *c)
{
    fw_req *req = c->req;
    if (c->jw) {
        if (fw_jw_error(c->jw) != FW_OK) /* a writer misuse: a clean problem, never a JSON fragment */
            fw_problem_unavailable(req);
        c->jw = NULL; /* the writer does not outlive the handler's frame */
    }
    if (!req->content_type_out)
        req->content_type_out = fw_ct_json;
    if (c->has_limits) {
        /* Daily caps count only actions that changed the graph. */
        if (c->lim.daily_taken && !c->changed)
            fw_limits_refund(c->api->limits, &c->lim);
        if (c->api->cfg.rate_limits) {
            add_limit_headers(req, "r", &c->lim.window);
            if (c->lim.has_user_day)
                add_limit_headers(req, "u", &c->lim.user_day);
            if (c->lim.has_app_day)
                add_limit_headers(req, "a", &c->lim.app_day);
        }
        static const uint8_t cred_of[] = {0, FW_CRED_APP_BEARER, FW_CRED_OAUTH2_USER, FW_CRED_OAUTH1_USER};
        const char *lvl = fw_limits_access_header(cred_of[c->who.kind & 3]);
        if (c->who.kind == FW_PRIN_OAUTH1_USER && c->who.scopes == FW_SCOPES_OAUTH1_READ)
            lvl = "read"; /* the token's level, which x_auth_access_type lowered */
        if (lvl)
            fw_req_add_header(req, "x-access-level", lvl, strlen(lvl));
    }
    req->done(req);
}

static void after_limits(fw_call *c);

/* Applies access levels, windows and daily caps; answers 403/429, or goes
 * on with the request. */
static void limits_decided(void *ctx, int rc)
{
    fw_call *c = ctx;
    if (rc != 0) {
        fw_problem_unavailable(c->req);
        fw_call_finish(c);
        return;
    }
    c->has_limits = true;
    switch (fw_limit_http_status(c->lim.verdict)) {
    case 0:
        after_limits(c);
        return;
    case 403:
        fw_problem_client_forbidden(c->req, c->who.app_id, c->lim.required_enrollment,
                                    c->lim.verdict == FW_LIMIT_STANDALONE);
        break;
    default:
        fw_problem_too_many(c->req);
        break;
    }
    fw_call_finish(c);
}

static void check_limits(fw_call *c)
{
    bool daily = (c->rt->flags & FW_RT_DAILY) != 0;
    fw_limits_check_async(c->api->limits, c->req->exec, c->rt->endpoint, c->who.app_id, c->who.user_id,
                          c->who.access_level, daily, fw_now_ms(), &c->lim, limits_decided, c);
}

fw_read_opts fw_call_read_opts(const fw_call *c)
{
    fw_read_opts o = {0};
    o.viewer_id = c->who.user_id;
    o.tweets = fw_render_tweet_needs(c->params.expansions);
    /* Relations also decide whether a protected author's posts may go into includes (privacy.h). */
    o.want_rels = c->who.user_id && ((c->params.user_fields & (1u << FW_UFLD_CONNECTION_STATUS)) || o.tweets);
    /* Default fields (connection_status comes from rels) and no expansions:
     * the renderer needs only default_json and the flags. */
    o.lean = !(c->params.user_fields & ~(1u << FW_UFLD_CONNECTION_STATUS)) && !c->params.expansions;
    return o;
}

/* ---- test clock ------------------------------------------------------- */

void fw_h_test_clock(fw_call *c)
{
    fw_req *req = c->req;
    /* {"advance_seconds": N} with 0 <= N <= 100 years */
    json_error_t jerr;
    json_t *root = json_loadb(req->body.p ? req->body.p : "", req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *v = root && json_is_object(root) && json_object_size(root) == 1 ? json_object_get(root, "advance_seconds")
                                                                             : NULL;
    long long secs = v && json_is_integer(v) ? (long long)json_integer_value(v) : -1;
    if (secs > 100LL * 365 * 86400)
        secs = -1;
    json_decref(root);
    if (secs < 0) {
        fw_buf items = FW_BUF_INIT;
        fw_params_add_error(&c->params, &items, "advance_seconds", FW_STR_NULL,
                            "Body must be {\"advance_seconds\": N} with N >= 0");
        fw_problem_invalid_request(req, &items);
        fw_buf_free(&items);
        fw_call_finish(c);
        return;
    }
    fw_clock_advance(secs * 1000);
    fw_jw w;
    fw_call_json(c, &w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "now_ms");
    fw_jw_int(&w, fw_now_ms());
    fw_jw_obj_end(&w);
    fw_call_finish(c);
}

/* ---- probes ------------------------------------------------------------ */

static void probe_ok(fw_call *c, const char *status)
{
    fw_jw w;
    fw_call_json(c, &w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "status");
    fw_jw_str(&w, status);
    fw_jw_obj_end(&w);
    fw_call_finish(c);
}

void fw_h_healthz(fw_call *c) { probe_ok(c, "ok"); }

static void on_ready(void *ctx, int rc)
{
    fw_call *c = ctx;
    if (rc != FW_OK) {
        fw_problem_unavailable(c->req);
        fw_call_finish(c);
        return;
    }
    probe_ok(c, "ready");
}

void fw_h_readyz(fw_call *c) { fw_store_ready(c->api->store, c->req->exec, on_ready, c); }

/* ---- pipeline --------------------------------------------------------- */

static bool check_id(fw_call *c, fw_buf *errs, const char *name, fw_str v, uint64_t *out)
{
    if (fw_str_to_id(v, out) == 0)
        return true;
    fw_params_bad_pattern(&c->params, errs, name, v, "^[0-9]{1,19}$");
    return false;
}

static bool check_username(fw_call *c, fw_buf *errs, fw_str v)
{
    bool ok = v.len >= 1 && v.len <= 15;
    for (size_t i = 0; ok && i < v.len; i++) {
        char ch = v.p[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
    }
    if (!ok)
        fw_params_bad_pattern(&c->params, errs, "username", v, "^[A-Za-z0-9_]{1,15}$");
    return ok;
}

/* Path parameters by name: the FW_P_* bit that makes a query parameter of
 * the same name a duplicate, and whether the value is a username (else an id). */
static const struct {
    const char *name;
    uint32_t bit;
    bool username;
} path_params[] = {
    {"id", FW_P_ID, false},
    {"username", FW_P_USERNAME, true},
    {"source_user_id", FW_P_SOURCE_USER_ID, false},
    {"target_user_id", FW_P_TARGET_USER_ID, false},
    {"requester_id", FW_P_REQUESTER_ID, false},
};

static size_t path_param(fw_str name)
{
    size_t i = 0;
    while (i < sizeof path_params / sizeof path_params[0] &&
           !(strlen(path_params[i].name) == name.len && memcmp(path_params[i].name, name.p, name.len) == 0))
        i++;
    return i;
}

/* Validates path and query parameters; on failure answers 400 and returns false. */
static bool validate(fw_call *c)
{
    const fw_route *rt = c->rt;
    fw_str names[FW_ROUTE_MAX_PARAMS];
    size_t kind[FW_ROUTE_MAX_PARAMS];
    uint32_t given = 0;
    for (int i = 0; i < c->nseg; i++) {
        names[i] = fw_route_param_name(rt, i);
        kind[i] = path_param(names[i]);
        given |= path_params[kind[i]].bit;
    }
    fw_buf errs = FW_BUF_INIT;
    fw_params_parse(c->req->query, rt->params, given, &c->params, &errs);
    fw_str *seg[FW_ROUTE_MAX_PARAMS] = {&c->seg1, &c->seg2};
    uint64_t *id[FW_ROUTE_MAX_PARAMS] = {&c->id1, &c->id2};
    for (int i = 0; i < c->nseg; i++) {
        if (path_params[kind[i]].username)
            check_username(c, &errs, *seg[i]);
        else
            check_id(c, &errs, path_params[kind[i]].name, *seg[i], id[i]);
    }
    if (rt->flags & FW_RT_ME)
        c->id1 = c->who.user_id;
    if (rt->list)
        fw_params_require_list(&c->params, &errs, rt->list);
    bool ok = c->params.nerrors == 0;
    if (!ok)
        fw_problem_invalid_request(c->req, &errs);
    fw_buf_free(&errs);
    return ok;
}

void fw_call_cache_store(fw_call *c, uint64_t version, fw_rcache_deps *d)
{
    fw_rcache_key k;
    d->ids[0] = c->who.user_id;
    d->ids[1] = c->id1;
    d->no_counts = !(c->ro.user_fields & (1u << FW_UFLD_PUBLIC_METRICS));
    if (c->cacheable && c->req->status == 200 && !(c->jw && fw_jw_error(c->jw) != FW_OK) &&
        fw_rcache_key_make(&k, c->route, c->who.kind, c->who.user_id, c->req->path, c->req->query))
        fw_rcache_put(&k, c->api->store, version, c->req->body_out.data, c->req->body_out.len, d);
}

/* Answers a read from the response cache if the store has not changed since
 * the cached body was rendered; otherwise marks the call cacheable. */
static bool served_from_cache(fw_call *c)
{
    fw_rcache_key k;
    if (!c->api->cfg.response_cache ||
        !fw_rcache_key_make(&k, c->route, c->who.kind, c->who.user_id, c->req->path, c->req->query))
        return false;
    if (fw_rcache_get(&k, c->api->store, fw_store_version(c->api->store), &c->req->body_out)) {
        c->req->status = 200;
        c->req->content_type_out = fw_ct_json;
        fw_call_finish(c);
        return true;
    }
    c->cacheable = true;
    return false;
}

static void dispatch(fw_call *c)
{
    if ((c->rt->flags & FW_RT_CACHEABLE) && served_from_cache(c))
        return;
    c->rt->run(c);
}

static void on_authn(void *ctx, int rc, const fw_principal *who)
{
    fw_call *c = ctx;
    if (rc == FW_EIO) {
        fw_problem_unavailable(c->req);
        fw_call_finish(c);
        return;
    }
    if (rc != FW_OK) {
        fw_problem_unauthorized(c->req);
        fw_call_finish(c);
        return;
    }
    c->who = *who;
    const fw_route *ri = c->rt;
    if (!(ri->auth & (1u << (c->who.kind & 7)))) {
        fw_problem_unsupported_auth(c->req);
        fw_call_finish(c);
        return;
    }
    if (c->who.user_id && c->who.user_suspended) {
        fw_problem_user_suspended(c->req);
        fw_call_finish(c);
        return;
    }
    if (c->who.kind == FW_PRIN_OAUTH2_USER && (c->who.scopes & ri->scopes) != ri->scopes) {
        fw_problem_forbidden(c->req);
        fw_call_finish(c);
        return;
    }
    /* A read-only OAuth 1.0a token (x_auth_access_type=read) on a write endpoint. */
    if (c->who.kind == FW_PRIN_OAUTH1_USER && (c->who.scopes & ri->scopes) != ri->scopes) {
        fw_problem_oauth1_permissions(c->req);
        fw_call_finish(c);
        return;
    }
    check_limits(c);
}

static void after_limits(fw_call *c)
{
    const fw_route *ri = c->rt;
    if (!validate(c)) {
        fw_call_finish(c);
        return;
    }
    if ((ri->flags & FW_RT_SELF) && c->id1 != c->who.user_id) {
        fw_problem_forbidden(c->req);
        fw_call_finish(c);
        return;
    }
    c->ro.user_fields = c->params.user_fields;
    c->ro.tweet_fields = c->params.tweet_fields;
    c->ro.expansions = c->params.expansions;
    c->ro.user_context = c->who.user_id != 0;
    dispatch(c);
}

/* On X's portal host (intercept and proxy modes send developer.x.com here):
 * its home page and X's portal URLs (/en/portal/dashboard, ...) lead to
 * followd's portal. Host compared case-insensitively, port and a trailing
 * dot ignored. */
static bool developer_home(const fw_req *req)
{
    static const char host[] = "developer.x.com";
    const size_t n = sizeof host - 1;
    fw_str h = req->host;
    const char *colon = h.len ? memchr(h.p, ':', h.len) : NULL;
    size_t hl = colon ? (size_t)(colon - h.p) : h.len;
    if (hl == n + 1 && h.p[n] == '.')
        hl = n;
    if (hl != n || strncasecmp(h.p, host, n) != 0 || !fw_str_eq(req->method, "GET"))
        return false;
    fw_str p = req->path;
    return fw_str_eq(p, "/") || fw_str_eq(p, "/en/portal") || (p.len > 11 && !memcmp(p.p, "/en/portal/", 11));
}

void fw_api_handle(fw_api *api, fw_req *req)
{
    fw_call *c = fw_call_of(req);
    memset(c, 0, sizeof *c);
    c->api = api;
    c->req = req;
    req->status = 0;
    req->content_type_out = NULL;
    fw_buf_reset(&req->body_out);
    fw_str seg[FW_ROUTE_MAX_PARAMS];
    c->rt = fw_route_match(req->method, req->path, seg, &c->nseg);
    req->redact_query = c->rt ? (c->rt->flags & FW_RT_REDACT) != 0 : fw_api_query_is_secret(req->path);
    if (c->rt && c->rt->oauth) {
        if (fw_oauth_handle(api->oauth, c->rt->oauth, req) != 0) {
            fw_problem_unavailable(req);
            req->done(req);
        }
        return;
    }
    if (c->rt && c->rt->portal) {
        if (fw_portal_handle(api->portal, c->rt->portal, c->nseg > 0 ? seg[0] : FW_STR_NULL, req) != 0) {
            fw_problem_unavailable(req);
            req->done(req);
        }
        return;
    }
    if (!c->rt && developer_home(req)) {
        req->status = 302;
        fw_req_add_header(req, "location", "/portal", 7);
        req->done(req);
        return;
    }
    if (!c->rt || ((c->rt->flags & FW_RT_TEST) && !(api->cfg.test_clock && req->loopback))) {
        fw_problem_not_found_route(req);
        fw_call_finish(c);
        return;
    }
    c->route = (uint8_t)(c->rt - fw_routes);
    c->seg1 = c->nseg > 0 ? seg[0] : FW_STR_NULL;
    c->seg2 = c->nseg > 1 ? seg[1] : FW_STR_NULL;
    if (!c->rt->auth) {
        c->rt->run(c);
        return;
    }
    fw_authn_in in = {req->authorization, req->method, req->path, req->query,
                      req->content_type,  req->body,   req->host, req->tls};
    fw_authn_run(api->authn, req->exec, &c->auth, &in, on_authn, c);
}
