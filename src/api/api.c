/* The API entry point: routing, authentication, authorisation and parameter
 * validation, in the order X applies them (401/403 before 400), then dispatch
 * to an endpoint handler. */
#include "api/internal.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/oauth.h"
#include "api/rcache.h"
#include "auth/scopes.h"
#include "core/clock.h"

_Static_assert(sizeof(fw_call) <= sizeof(((fw_req *)0)->api_space), "fw_call must fit in fw_req.api_space");

/* What each route requires. */
static const struct route_info {
    uint8_t user_only;    /* app-only bearer refused (unsupported-authentication) */
    uint8_t self_only;    /* the first path id must be the authenticated user */
    uint32_t scopes;      /* OAuth 2.0 scopes required */
    uint32_t params;      /* FW_P_* accepted */
    uint32_t path_params; /* FW_P_* given in the path */
} routes[] = {
    [FW_R_ME] = {1, 0, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ, FW_P_FIELDS, 0},
    [FW_R_USER] = {0, 0, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ, FW_P_ID | FW_P_FIELDS, FW_P_ID},
    [FW_R_BY_USERNAME] = {0, 0, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ, FW_P_USERNAME | FW_P_FIELDS,
                          FW_P_USERNAME},
    [FW_R_FOLLOWERS] = {0, 0, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_READ,
                        FW_P_ID | FW_P_MAX_RESULTS | FW_P_PAGINATION_TOKEN | FW_P_FIELDS, FW_P_ID},
    [FW_R_FOLLOWING] = {0, 0, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_READ,
                        FW_P_ID | FW_P_MAX_RESULTS | FW_P_PAGINATION_TOKEN | FW_P_FIELDS, FW_P_ID},
    [FW_R_FOLLOW] = {1, 1, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_WRITE, FW_P_ID, FW_P_ID},
    [FW_R_UNFOLLOW] = {1, 1, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_WRITE,
                       FW_P_SOURCE_USER_ID | FW_P_TARGET_USER_ID, FW_P_SOURCE_USER_ID | FW_P_TARGET_USER_ID},
    [FW_R_REQ_IN] = {1, 1, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_READ,
                     FW_P_ID | FW_P_MAX_RESULTS | FW_P_PAGINATION_TOKEN | FW_P_FIELDS, FW_P_ID},
    [FW_R_REQ_OUT] = {1, 1, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_READ,
                      FW_P_ID | FW_P_MAX_RESULTS | FW_P_PAGINATION_TOKEN | FW_P_FIELDS, FW_P_ID},
    [FW_R_REQ_ACCEPT] = {1, 1, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_WRITE,
                         FW_P_ID | FW_P_REQUESTER_ID, FW_P_ID | FW_P_REQUESTER_ID},
    [FW_R_REQ_DECLINE] = {1, 1, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_WRITE,
                          FW_P_ID | FW_P_REQUESTER_ID, FW_P_ID | FW_P_REQUESTER_ID},
    [FW_R_USERS] = {0, 0, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ, FW_P_IDS | FW_P_FIELDS, 0},
    [FW_R_USERS_BY] = {0, 0, FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ, FW_P_USERNAMES | FW_P_FIELDS, 0},
};

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
        fw_oauth_new(store, cfg->public_base_urls, &api->oauth) != 0) {
        snprintf(err, errlen, "cannot initialise authentication or rate limits");
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
    free(api);
}

void fw_req_add_header(fw_req *req, const char *name, const char *value, size_t len)
{
    if (req->nhdrs >= FW_RESP_MAX_HEADERS)
        return;
    fw_resp_hdr *h = &req->hdrs[req->nhdrs++];
    h->name = name;
    h->off = req->hdr_vals.len;
    h->len = len;
    fw_buf_append(&req->hdr_vals, value, len);
}

void fw_req_add_header_u64(fw_req *req, const char *name, uint64_t v)
{
    char tmp[24];
    size_t n = fw_u64_to_dec(v, tmp);
    fw_req_add_header(req, name, tmp, n);
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
        if (lvl)
            fw_req_add_header(req, "x-access-level", lvl, strlen(lvl));
    }
    req->done(req);
}

static const uint8_t route_endpoint[] = {
    [FW_R_ME] = FW_EP_ME,
    [FW_R_USER] = FW_EP_USER_BY_ID,
    [FW_R_BY_USERNAME] = FW_EP_USER_BY_USERNAME,
    [FW_R_FOLLOWERS] = FW_EP_FOLLOWERS,
    [FW_R_FOLLOWING] = FW_EP_FOLLOWING,
    [FW_R_FOLLOW] = FW_EP_FOLLOW,
    [FW_R_UNFOLLOW] = FW_EP_UNFOLLOW,
    [FW_R_REQ_IN] = FW_EP_FOLLOW_REQUESTS,
    [FW_R_REQ_OUT] = FW_EP_FOLLOW_REQUESTS,
    [FW_R_REQ_ACCEPT] = FW_EP_FOLLOW_REQUEST_ANSWER,
    [FW_R_REQ_DECLINE] = FW_EP_FOLLOW_REQUEST_ANSWER,
    [FW_R_USERS] = FW_EP_USER_BY_ID,
    [FW_R_USERS_BY] = FW_EP_USER_BY_USERNAME,
};

/* Applies access levels, windows and daily caps; answers 403/429 and returns
 * false when the request may not proceed. */
static bool check_limits(fw_call *c)
{
    bool daily = c->route == FW_R_FOLLOW || c->route == FW_R_UNFOLLOW;
    if (fw_limits_check(c->api->limits, route_endpoint[c->route], c->who.app_id, c->who.user_id,
                        c->who.access_level, daily, fw_now_ms(), &c->lim) != 0) {
        fw_problem_unavailable(c->req);
        fw_call_finish(c);
        return false;
    }
    c->has_limits = true;
    switch (c->lim.verdict) {
    case FW_LIMIT_OK:
        return true;
    case FW_LIMIT_LEVEL:
    case FW_LIMIT_STANDALONE:
        fw_problem_client_forbidden(c->req, c->who.app_id, c->lim.required_enrollment,
                                    c->lim.verdict == FW_LIMIT_STANDALONE);
        break;
    case FW_LIMIT_DAILY:
        fw_problem_too_many(c->req);
        break;
    default:
        fw_problem_too_many(c->req);
        break;
    }
    fw_call_finish(c);
    return false;
}

fw_read_opts fw_call_read_opts(const fw_call *c)
{
    fw_read_opts o = {0};
    o.viewer_id = c->who.user_id;
    o.want_rels = c->who.user_id && (c->params.user_fields & (1u << FW_UFLD_CONNECTION_STATUS));
    o.tweets = fw_render_tweet_needs(c->params.expansions);
    return o;
}

/* ---- routing ---------------------------------------------------------- */

static bool next_seg(fw_str *path, fw_str *seg)
{
    if (path->len == 0)
        return false;
    if (path->p[0] == '/') {
        path->p++;
        path->len--;
    }
    size_t i = 0;
    while (i < path->len && path->p[i] != '/')
        i++;
    *seg = (fw_str){path->p, i};
    path->p += i;
    path->len -= i;
    return true;
}

static uint8_t route_match(fw_call *c, fw_str method, fw_str path)
{
    fw_str s[7];
    int n = 0;
    /* A single trailing slash is tolerated, as X's router does. */
    if (path.len > 1 && path.p[path.len - 1] == '/')
        path.len--;
    while (n < 7 && next_seg(&path, &s[n]))
        n++;
    if (path.len)
        return FW_R_NONE;
    bool get = fw_str_eq(method, "GET"), post = fw_str_eq(method, "POST"), del = fw_str_eq(method, "DELETE");
    if (n == 2 && post && fw_str_eq(s[0], "_test") && fw_str_eq(s[1], "clock"))
        return FW_R_TEST_CLOCK;
    if (n < 2 || !fw_str_eq(s[0], "2") || !fw_str_eq(s[1], "users"))
        return FW_R_NONE;
    if (n == 2 && get)
        return FW_R_USERS;
    if (n == 3 && get && fw_str_eq(s[2], "by"))
        return FW_R_USERS_BY;
    if (n == 3 && get && fw_str_eq(s[2], "me"))
        return FW_R_ME;
    if (n == 5 && get && fw_str_eq(s[2], "by") && fw_str_eq(s[3], "username")) {
        c->seg1 = s[4];
        return FW_R_BY_USERNAME;
    }
    c->seg1 = s[2];
    if (n == 3 && get)
        return FW_R_USER;
    if (n == 4 && get && fw_str_eq(s[3], "followers"))
        return FW_R_FOLLOWERS;
    if (n == 4 && get && fw_str_eq(s[3], "following"))
        return FW_R_FOLLOWING;
    if (n == 4 && post && fw_str_eq(s[3], "following"))
        return FW_R_FOLLOW;
    if (n == 5 && del && fw_str_eq(s[3], "following")) {
        c->seg2 = s[4];
        return FW_R_UNFOLLOW;
    }
    if (n == 5 && get && fw_str_eq(s[3], "follow_requests") && fw_str_eq(s[4], "incoming"))
        return FW_R_REQ_IN;
    if (n == 5 && get && fw_str_eq(s[3], "follow_requests") && fw_str_eq(s[4], "outgoing"))
        return FW_R_REQ_OUT;
    if (n == 6 && post && fw_str_eq(s[3], "follow_requests")) {
        c->seg2 = s[4];
        if (fw_str_eq(s[5], "accept"))
            return FW_R_REQ_ACCEPT;
        if (fw_str_eq(s[5], "decline"))
            return FW_R_REQ_DECLINE;
    }
    return FW_R_NONE;
}

/* ---- test clock ------------------------------------------------------- */

static void handle_test_clock(fw_call *c)
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

/* Validates path and query parameters; on failure answers 400 and returns false. */
static bool validate(fw_call *c)
{
    const struct route_info *ri = &routes[c->route];
    fw_buf errs = FW_BUF_INIT;
    fw_params_parse(c->req->query, ri->params, ri->path_params, &c->params, &errs);
    switch (c->route) {
    case FW_R_BY_USERNAME:
        check_username(c, &errs, c->seg1);
        break;
    case FW_R_UNFOLLOW:
        check_id(c, &errs, "source_user_id", c->seg1, &c->id1);
        check_id(c, &errs, "target_user_id", c->seg2, &c->id2);
        break;
    case FW_R_REQ_ACCEPT:
    case FW_R_REQ_DECLINE:
        check_id(c, &errs, "id", c->seg1, &c->id1);
        check_id(c, &errs, "requester_id", c->seg2, &c->id2);
        break;
    case FW_R_ME:
        c->id1 = c->who.user_id;
        break;
    case FW_R_USERS:
    case FW_R_USERS_BY:
        fw_params_require_list(&c->params, &errs, c->route == FW_R_USERS ? FW_P_IDS : FW_P_USERNAMES);
        break;
    default:
        check_id(c, &errs, "id", c->seg1, &c->id1);
        break;
    }
    bool ok = c->params.nerrors == 0;
    if (!ok)
        fw_problem_invalid_request(c->req, &errs);
    fw_buf_free(&errs);
    return ok;
}

void fw_call_cache_store(fw_call *c, uint64_t version)
{
    fw_rcache_key k;
    if (c->cacheable && c->req->status == 200 && !(c->jw && fw_jw_error(c->jw) != FW_OK) &&
        fw_rcache_key_make(&k, c->route, c->who.kind, c->who.user_id, c->req->path, c->req->query))
        fw_rcache_put(&k, version, c->req->body_out.data, c->req->body_out.len);
}

/* Answers a read from the response cache if the store has not changed since
 * the cached body was rendered; otherwise marks the call cacheable. */
static bool served_from_cache(fw_call *c)
{
    fw_rcache_key k;
    if (!c->api->cfg.response_cache ||
        !fw_rcache_key_make(&k, c->route, c->who.kind, c->who.user_id, c->req->path, c->req->query))
        return false;
    if (fw_rcache_get(&k, fw_store_version(c->api->store), &c->req->body_out)) {
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
    switch (c->route) {
    case FW_R_ME:
    case FW_R_USER:
    case FW_R_BY_USERNAME:
    case FW_R_USERS:
    case FW_R_USERS_BY:
    case FW_R_FOLLOWERS:
    case FW_R_FOLLOWING:
    case FW_R_REQ_IN:
    case FW_R_REQ_OUT:
        if (served_from_cache(c))
            return;
        break;
    default:
        break;
    }
    switch (c->route) {
    case FW_R_ME:
    case FW_R_USER:
    case FW_R_BY_USERNAME:
        fw_h_user_lookup(c);
        break;
    case FW_R_USERS:
    case FW_R_USERS_BY:
        fw_h_users_lookup(c);
        break;
    case FW_R_FOLLOWERS:
    case FW_R_FOLLOWING:
    case FW_R_REQ_IN:
    case FW_R_REQ_OUT:
        fw_h_list(c);
        break;
    case FW_R_FOLLOW:
        fw_h_follow(c);
        break;
    case FW_R_UNFOLLOW:
        fw_h_unfollow(c);
        break;
    default:
        fw_h_request_answer(c);
        break;
    }
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
    const struct route_info *ri = &routes[c->route];
    if (ri->user_only && c->who.kind == FW_PRIN_APP) {
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
    if (!check_limits(c))
        return;
    if (!validate(c)) {
        fw_call_finish(c);
        return;
    }
    if (ri->self_only && c->id1 != c->who.user_id) {
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

void fw_api_handle(fw_api *api, fw_req *req)
{
    fw_call *c = fw_call_of(req);
    memset(c, 0, sizeof *c);
    c->api = api;
    c->req = req;
    req->status = 0;
    req->content_type_out = NULL;
    fw_buf_reset(&req->body_out);
    c->route = route_match(c, req->method, req->path);
    if (c->route == FW_R_NONE && fw_oauth_try_handle(api, req))
        return;
    if (c->route == FW_R_NONE || (c->route == FW_R_TEST_CLOCK && !(api->cfg.test_clock && req->loopback))) {
        fw_problem_not_found_route(req);
        fw_call_finish(c);
        return;
    }
    if (c->route == FW_R_TEST_CLOCK) {
        handle_test_clock(c);
        return;
    }
    fw_authn_in in = {req->authorization, req->method, req->path, req->query,
                      req->content_type,  req->body,   req->host, req->tls};
    fw_authn_run(api->authn, req->exec, &c->auth, &in, on_authn, c);
}
