/* The route table and its matcher (see routes.h). */
#include "api/routes.h"

#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "auth/scopes.h"

#define RD (FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ)
#define FOLLOWS_RD (RD | FW_SCOPE_FOLLOWS_READ)
#define FOLLOWS_WR (RD | FW_SCOPE_FOLLOWS_WRITE)
#define LIST_P (FW_P_ID | FW_P_MAX_RESULTS | FW_P_PAGINATION_TOKEN | FW_P_FIELDS)
#define GET FW_M_GET
#define POST FW_M_POST
#define DEL FW_M_DELETE
#define OAUTH (FW_RT_EXACT | FW_RT_REDACT)

/* A literal segment is listed before a parameter that would match it
 * (/2/users/me before /2/users/:id): the first matching row wins. */
const fw_route fw_routes[] = {
    /* method pattern                                        endpoint                     auth          scopes      params                                      list            flags                          arg                 handler */
    {GET,  "/2/users",                                       FW_EP_USER_BY_ID,            FW_AUTH_ANY,  RD,         FW_P_IDS | FW_P_FIELDS,                     FW_P_IDS,       FW_RT_CACHEABLE,               FW_LOOKUP_ID,       fw_h_users_lookup, NULL, NULL},
    {GET,  "/2/users/by",                                    FW_EP_USER_BY_USERNAME,      FW_AUTH_ANY,  RD,         FW_P_USERNAMES | FW_P_FIELDS,               FW_P_USERNAMES, FW_RT_CACHEABLE,               FW_LOOKUP_USERNAME, fw_h_users_lookup, NULL, NULL},
    {GET,  "/2/users/me",                                    FW_EP_ME,                    FW_AUTH_USER, RD,         FW_P_FIELDS,                                0,              FW_RT_CACHEABLE | FW_RT_ME,    FW_LOOKUP_ME,       fw_h_user_lookup, NULL, NULL},
    {GET,  "/2/users/by/username/:username",                 FW_EP_USER_BY_USERNAME,      FW_AUTH_ANY,  RD,         FW_P_USERNAME | FW_P_FIELDS,                0,              FW_RT_CACHEABLE,               FW_LOOKUP_USERNAME, fw_h_user_lookup, NULL, NULL},
    {GET,  "/2/users/:id",                                   FW_EP_USER_BY_ID,            FW_AUTH_ANY,  RD,         FW_P_ID | FW_P_FIELDS,                      0,              FW_RT_CACHEABLE,               FW_LOOKUP_ID,       fw_h_user_lookup, NULL, NULL},
    {GET,  "/2/users/:id/followers",                         FW_EP_FOLLOWERS,             FW_AUTH_ANY,  FOLLOWS_RD, LIST_P,                                     0,              FW_RT_CACHEABLE,               FW_LIST_FOLLOWERS,  fw_h_list, NULL, NULL},
    {GET,  "/2/users/:id/following",                         FW_EP_FOLLOWING,             FW_AUTH_ANY,  FOLLOWS_RD, LIST_P,                                     0,              FW_RT_CACHEABLE,               FW_LIST_FOLLOWING,  fw_h_list, NULL, NULL},
    {POST, "/2/users/:id/following",                         FW_EP_FOLLOW,                FW_AUTH_USER, FOLLOWS_WR, FW_P_ID,                                    0,              FW_RT_SELF | FW_RT_DAILY,      0,                  fw_h_follow, NULL, NULL},
    {DEL,  "/2/users/:source_user_id/following/:target_user_id", FW_EP_UNFOLLOW,          FW_AUTH_USER, FOLLOWS_WR, FW_P_SOURCE_USER_ID | FW_P_TARGET_USER_ID,  0,              FW_RT_SELF | FW_RT_DAILY,      0,                  fw_h_unfollow, NULL, NULL},
    {GET,  "/2/users/:id/follow_requests/incoming",          FW_EP_FOLLOW_REQUESTS,       FW_AUTH_USER, FOLLOWS_RD, LIST_P,                                     0,              FW_RT_SELF | FW_RT_CACHEABLE,  FW_LIST_INCOMING,   fw_h_list, NULL, NULL},
    {GET,  "/2/users/:id/follow_requests/outgoing",          FW_EP_FOLLOW_REQUESTS,       FW_AUTH_USER, FOLLOWS_RD, LIST_P,                                     0,              FW_RT_SELF | FW_RT_CACHEABLE,  FW_LIST_OUTGOING,   fw_h_list, NULL, NULL},
    {POST, "/2/users/:id/follow_requests/:requester_id/accept",  FW_EP_FOLLOW_REQUEST_ANSWER, FW_AUTH_USER, FOLLOWS_WR, FW_P_ID | FW_P_REQUESTER_ID,            0,              FW_RT_SELF,                    FW_W_ACCEPT,        fw_h_request_answer, NULL, NULL},
    {POST, "/2/users/:id/follow_requests/:requester_id/decline", FW_EP_FOLLOW_REQUEST_ANSWER, FW_AUTH_USER, FOLLOWS_WR, FW_P_ID | FW_P_REQUESTER_ID,           0,              FW_RT_SELF,                    FW_W_DECLINE,       fw_h_request_answer, NULL, NULL},
    {POST, "/_test/clock",                                   0,                           0,            0,          0,                                          0,              FW_RT_TEST,                    0,                  fw_h_test_clock, NULL, NULL},
    /* Load-balancer probes, outside X's URL space (docs/api.md): no authentication. */
    {GET,  "/healthz",                                       0,                           0,            0,          0,                                          0,              FW_RT_EXACT | FW_RT_PROBE,     0,                  fw_h_healthz, NULL, NULL},
    {GET,  "/readyz",                                        0,                           0,            0,          0,                                          0,              FW_RT_EXACT | FW_RT_PROBE,     0,                  fw_h_readyz, NULL, NULL},
    /* OAuth: the endpoints authenticate their clients themselves (oauth/oauth.h). */
    {POST,       "/oauth/request_token",     0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_request_token, NULL},
    {POST,       "/oauth/access_token",      0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_access_token, NULL},
    {GET | POST, "/oauth/authorize",         0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_authorize1, NULL},
    {GET | POST, "/oauth/authenticate",      0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_authorize1, NULL},
    {GET | POST, "/i/oauth2/authorize",      0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_authorize2, NULL},
    {GET | POST, "/2/oauth2/authorize",      0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_authorize2, NULL},
    {POST,       "/2/oauth2/token",          0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_token2, NULL},
    {POST,       "/2/oauth2/revoke",         0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_revoke2, NULL},
    {POST,       "/oauth2/token",            0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_app_token, NULL},
    {POST,       "/oauth2/invalidate_token", 0, 0, 0, 0, 0, OAUTH, 0, NULL, fw_oa_app_invalidate, NULL},
    /* The developer portal: pages authenticate their sessions themselves (portal/portal.h). */
    {GET,        "/portal",                  0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_home},
    {GET | POST, "/portal/signup",           0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_signup},
    {GET | POST, "/portal/signin",           0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_signin},
    {POST,       "/portal/signout",          0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_signout},
    {GET,        "/portal/portal.js",        0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_script},
    {GET | POST, "/portal/projects/new",     0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_project_new},
    {GET | POST, "/portal/projects/:id",     0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_project},
    {GET | POST, "/portal/apps/:id",         0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_app},
    {GET | POST, "/portal/apps/:id/keys",    0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_keys},
    {GET,        "/portal/apps/:id/usage",   0, 0, 0, 0, 0, 0, 0, NULL, NULL, fw_pt_usage},
};
const size_t fw_nroutes = sizeof fw_routes / sizeof fw_routes[0];

/* ---- matching ----------------------------------------------------------- */

#define MAX_SEGS 7

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

/* Splits path into at most MAX_SEGS segments; -1 when it has more. A single
 * trailing slash is tolerated, as X's router does. */
static int split(fw_str path, fw_str s[MAX_SEGS])
{
    int n = 0;
    if (path.len > 1 && path.p[path.len - 1] == '/')
        path.len--;
    while (n < MAX_SEGS && next_seg(&path, &s[n]))
        n++;
    return path.len ? -1 : n;
}

/* HEAD runs the GET row (RFC 9110 section 9.3.2: same headers, no body; the
 * HTTP layer sends none). */
static uint8_t method_bit(fw_str m)
{
    return fw_str_eq(m, "GET") || fw_str_eq(m, "HEAD") ? FW_M_GET : fw_str_eq(m, "POST") ? FW_M_POST : fw_str_eq(m, "DELETE") ? FW_M_DELETE : 0;
}

static bool seg_eq(fw_str a, fw_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool match_segs(const fw_route *rt, const fw_str *s, int n, fw_str seg[FW_ROUTE_MAX_PARAMS], int *nseg)
{
    fw_str pat = {rt->pattern, strlen(rt->pattern)}, ps;
    int i = 0, k = 0;
    while (next_seg(&pat, &ps)) {
        if (i >= n)
            return false;
        if (ps.len && ps.p[0] == ':') {
            if (k < FW_ROUTE_MAX_PARAMS)
                seg[k] = s[i];
            k++;
        } else if (!seg_eq(s[i], ps)) {
            return false;
        }
        i++;
    }
    if (i != n)
        return false;
    *nseg = k;
    return true;
}

const fw_route *fw_route_match(fw_str method, fw_str path, fw_str seg[FW_ROUTE_MAX_PARAMS], int *nseg)
{
    uint8_t m = method_bit(method);
    fw_str s[MAX_SEGS];
    int n = split(path, s);
    *nseg = 0;
    for (size_t r = 0; r < fw_nroutes; r++) {
        const fw_route *rt = &fw_routes[r];
        if (!(rt->methods & m))
            continue;
        if (rt->flags & FW_RT_EXACT ? fw_str_eq(path, rt->pattern) : n >= 0 && match_segs(rt, s, n, seg, nseg))
            return rt;
    }
    return NULL;
}

fw_str fw_route_param_name(const fw_route *rt, int i)
{
    fw_str pat = {rt->pattern, strlen(rt->pattern)}, ps;
    while (next_seg(&pat, &ps))
        if (ps.len && ps.p[0] == ':' && i-- == 0)
            return (fw_str){ps.p + 1, ps.len - 1};
    return (fw_str){"", 0};
}

/* ---- redaction for requests no row answered ------------------------------ */

bool fw_api_query_is_secret(fw_str path)
{
    /* A near-miss of a redacting row (another case, another last segment;
     * answered 404) is redacted too: everything under the directory of such a
     * row, compared without case. */
    for (size_t r = 0; r < fw_nroutes; r++) {
        const fw_route *rt = &fw_routes[r];
        if (!(rt->flags & FW_RT_REDACT))
            continue;
        const char *last = strrchr(rt->pattern, '/');
        size_t n = (size_t)(last - rt->pattern);
        if (n && path.len >= n && strncasecmp(path.p, rt->pattern, n) == 0)
            return true;
    }
    return false;
}
