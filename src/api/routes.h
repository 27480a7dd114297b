/* The route table: one row per route the server answers, API and OAuth
 * alike, the way Redis's redisCommandTable[] gives each command one row.
 * Adding an endpoint is one row here (api/routes.c) plus its handler.
 *
 * Private to src/api (and its unit test). The table is static and
 * immutable; fw_route_match allocates nothing. */
#ifndef FW_API_ROUTES_H
#define FW_API_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "oauth/oauth.h"
#include "portal/portal.h"

struct fw_call;

/* Methods a row accepts (bit set). */
enum { FW_M_GET = 1u << 0, FW_M_POST = 1u << 1, FW_M_DELETE = 1u << 2 };

/* Principal kinds a row accepts (bit 1 << enum fw_principal_kind). */
#define FW_AUTH_APP (1u << 1)
#define FW_AUTH_USER ((1u << 2) | (1u << 3)) /* OAuth 2.0 user, OAuth 1.0a user */
#define FW_AUTH_ANY (FW_AUTH_APP | FW_AUTH_USER)

enum {
    FW_RT_SELF = 1u << 0,      /* the first path id must be the authenticated user */
    FW_RT_ME = 1u << 1,        /* the subject is the authenticated user (no path id) */
    FW_RT_DAILY = 1u << 2,     /* takes daily-cap units too (limits/policy.h counts_daily) */
    FW_RT_CACHEABLE = 1u << 3, /* a read whose 200 body may be cached (api/rcache.h) */
    FW_RT_REDACT = 1u << 4,    /* the query carries credentials: logs keep only its names */
    FW_RT_EXACT = 1u << 5,     /* the path must equal the pattern byte for byte (no trailing '/') */
    FW_RT_TEST = 1u << 6,      /* a test hook: only with --test-clock, only from loopback */
    FW_RT_PROBE = 1u << 7,     /* a load-balancer probe (/healthz, /readyz): no authentication, no limits */
};

/* Handler arguments (fw_route.arg) of the user lookups. */
enum { FW_LOOKUP_ID = 1, FW_LOOKUP_USERNAME, FW_LOOKUP_ME };

#define FW_ROUTE_MAX_PARAMS 2 /* path parameters per pattern */

typedef struct fw_route {
    uint8_t methods;       /* FW_M_* */
    const char *pattern;   /* "/2/users/:id/following/:target_user_id"; ":name" is a path parameter */
    uint8_t endpoint;      /* enum fw_endpoint: rate limits and access level (rows with auth) */
    uint8_t auth;          /* FW_AUTH_*: the API authenticates first; 0: the handler does (OAuth) or none */
    uint32_t scopes;       /* OAuth 2.0 scopes required */
    uint32_t params;       /* FW_P_* accepted, path parameters included */
    uint32_t list;         /* FW_P_IDS or FW_P_USERNAMES when that list is required */
    uint16_t flags;        /* FW_RT_* */
    uint8_t arg;           /* the handler's argument: FW_LIST_*, FW_W_*, FW_LOOKUP_* */
    void (*run)(struct fw_call *c); /* API handler (after authentication, limits, validation) */
    fw_oa_step oauth;      /* or: OAuth endpoint, run by oauth/ with fw_oauth_handle */
    fw_pt_page portal;     /* or: developer portal page, run by portal/ with fw_portal_handle */
} fw_route;

extern const fw_route fw_routes[];
extern const size_t fw_nroutes;

/* The row for method and path (NULL: none). seg receives the path
 * parameters in pattern order, *nseg their number. */
const fw_route *fw_route_match(fw_str method, fw_str path, fw_str seg[FW_ROUTE_MAX_PARAMS], int *nseg);

/* The name of path parameter i of a row's pattern (without ':'), or an empty
 * string. */
fw_str fw_route_param_name(const fw_route *rt, int i);

#endif
