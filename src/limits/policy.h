/* X's rate-limit and access-level policy for the v2 Follows endpoints.
 *
 * fw_limits holds an fw_limits_config (copied at creation, immutable after)
 * and one fw_rl shared by every server thread. The API calls
 * fw_limits_check() once per authenticated request; the decision says
 * whether to answer, with which refusal, and carries the numbers for the
 * x-rate-limit-*, x-user-limit-24hour-* and x-app-limit-24hour-* headers.
 *
 * Counting rule (docs/ratelimits.md): every request that is not refused
 * takes one unit of its endpoint's 15-minute window; a request checked with
 * counts_daily also takes one unit of each daily cap of the endpoint, all
 * atomically (window + user day + app day, or nothing). When the action turns
 * out to be a no-op or fails, fw_limits_refund() gives the daily units back
 * (the window unit stays spent, as on X).
 *
 * Buckets: window per (app, user) for user-context callers and per app for
 * app-only callers; the user daily cap is per user across apps (X's account
 * limit), the app daily cap per app. Thread-safe.
 *
 * Where they are counted: in this process (fw_rl) unless fw_limits_share
 * moved them to a store every node shares (PostgreSQL: limits/shared.h,
 * budget leased in chunks), after which the windows and daily caps hold for
 * all nodes together and fw_limits_check_async is the way to check. */
#ifndef FW_LIMITS_POLICY_H
#define FW_LIMITS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/exec.h"
#include "limits/ratelimit.h"
#include "store/store.h"

enum fw_endpoint {
    FW_EP_FOLLOWERS,             /* GET /2/users/:id/followers */
    FW_EP_FOLLOWING,             /* GET /2/users/:id/following */
    FW_EP_FOLLOW,                /* POST /2/users/:id/following */
    FW_EP_UNFOLLOW,              /* DELETE /2/users/:id/following/:target */
    FW_EP_USER_BY_ID,            /* GET /2/users/:id */
    FW_EP_USER_BY_USERNAME,      /* GET /2/users/by/username/:u */
    FW_EP_ME,                    /* GET /2/users/me */
    FW_EP_FOLLOW_REQUESTS,       /* list incoming/outgoing follow requests */
    FW_EP_FOLLOW_REQUEST_ANSWER, /* accept/decline a follow request */
    FW_EP__COUNT
};

typedef struct fw_ep_limits {
    uint32_t app_window;  /* units per window per app, app-only callers ("app_15min") */
    uint32_t user_window; /* units per window per (app, user), user context ("user_15min") */
    uint32_t window_s;    /* window length in seconds (default 900) */
    uint32_t user_day;    /* daily cap per user, 0 = none */
    uint32_t app_day;     /* daily cap per app, 0 = none */
    uint8_t level;        /* lowest enum fw_access_level allowed (FREE..ENTERPRISE) */
} fw_ep_limits;

typedef struct fw_limits_config {
    bool enabled;        /* false: windows and caps are not counted (levels still apply) */
    uint32_t day_s;      /* length of a daily cap, seconds (default 86400) */
    size_t max_buckets;  /* bucket table cap (default 1 << 20) */
    fw_ep_limits ep[FW_EP__COUNT];
} fw_limits_config;

/* Fills c with X's published numbers (see docs/ratelimits.md). */
void fw_limits_defaults(fw_limits_config *c);

/* Applies "key=value,key=value" overrides (the --limits flag). Keys are
 * enabled, day_s, max_buckets, or ENDPOINT.FIELD with FIELD one of app_15min,
 * user_15min, window_s, user_day, app_day, level and ENDPOINT one of
 * followers, following, follow, unfollow, user_by_id, user_by_username, me,
 * follow_requests, follow_request_answer, or the groups lookup (followers +
 * following), users (user_by_id + user_by_username) and all. level takes
 * free|basic|pro|enterprise. All or nothing: on error c is unchanged, -1 is
 * returned and err gets a NUL-terminated message. Returns 0 on success. */
FW_MUSTCHECK int fw_limits_parse(fw_limits_config *c, const char *spec, char *err, size_t errlen);

typedef struct fw_limits fw_limits; /* opaque */

/* Copies c. Returns 0, FW_EINVAL for an invalid config or FW_ENOMEM. */
FW_MUSTCHECK int fw_limits_new(const fw_limits_config *c, fw_limits **out);
void fw_limits_free(fw_limits *l);

enum fw_limit_verdict {
    FW_LIMIT_OK = 0,
    FW_LIMIT_WINDOW,     /* 429: the endpoint's window is used up */
    FW_LIMIT_DAILY,      /* 429: a daily cap is used up (user_day or app_day remaining 0) */
    FW_LIMIT_LEVEL,      /* 403 client-not-enrolled: access level too low */
    FW_LIMIT_STANDALONE, /* 403 client-not-enrolled: app not in a project */
    FW_LIMIT_FULL,       /* 429: the bucket table is full of live buckets */
};

typedef struct fw_limit_decision {
    int verdict;                     /* enum fw_limit_verdict */
    fw_rl_state window;              /* x-rate-limit-limit/-remaining/-reset */
    bool has_user_day, has_app_day;  /* send the 24-hour headers? */
    fw_rl_state user_day, app_day;   /* x-user-limit-24hour-*, x-app-limit-24hour-* */
    const char *required_enrollment; /* for 403 bodies; NULL unless LEVEL/STANDALONE */
    /* Read-only bookkeeping for fw_limits_refund. */
    int endpoint;
    uint64_t app_id, user_id;
    bool daily_taken;
} fw_limit_decision;

/* Decides one request after authentication. user_id is 0 for app-only
 * callers; access_level is the app's enum fw_access_level. counts_daily asks
 * to take daily-cap units too (ignored on endpoints without caps). Refused
 * requests take nothing. Returns 0 with *out filled, or FW_EINVAL for an
 * unknown endpoint/level or negative now_ms. */
FW_MUSTCHECK
int fw_limits_check(fw_limits *l, int endpoint, uint64_t app_id, uint64_t user_id, int access_level, bool counts_daily,
                    int64_t now_ms, fw_limit_decision *out);

/* Counts windows and caps in st, shared by every node using its database,
 * from now on (call before serving). FW_OK, FW_ENOTSUP when st does not
 * share state (LMDB: the limits stay in this process), FW_ENOMEM. */
FW_MUSTCHECK int fw_limits_share(fw_limits *l, fw_store *st);

/* fw_limits_check for any engine: cb(ctx, rc) once, inline when the answer
 * is at hand (in-memory limits; a shared check the node's leases cover) or
 * later through exec after a lease round trip (never blocking the caller).
 * rc as fw_limits_check's, or FW_EIO when the shared store is unreachable.
 * out must stay valid until cb. */
typedef void (*fw_limits_cb)(void *ctx, int rc);
void fw_limits_check_async(fw_limits *l, fw_exec *exec, int endpoint, uint64_t app_id, uint64_t user_id,
                           int access_level, bool counts_daily, int64_t now_ms, fw_limit_decision *out,
                           fw_limits_cb cb, void *ctx);

/* Gives back the daily units d took (call when the action was a no-op or
 * failed). Updates d's remaining counts; a second call does nothing. Units
 * from a cap period that has since reset are not given back. Returns how many
 * units came back (0..2). */
int fw_limits_refund(fw_limits *l, fw_limit_decision *d);

/* What the limiter holds for one endpoint, for the developer portal's
 * usage page: the app-only window of app_id, the window of (app_id,
 * user_id) when user_id != 0, and the daily caps of user_id and app_id, as
 * a request would see them now. Takes nothing and creates no bucket. A
 * state's limit is 0 where the endpoint has no such bucket. */
typedef struct fw_limit_usage {
    bool enabled;            /* false: serve --rate-limits off, nothing is counted */
    fw_rl_state app_window;  /* app-only callers */
    fw_rl_state user_window; /* user_id through app_id */
    fw_rl_state user_day, app_day;
} fw_limit_usage;
/* FW_OK, or FW_EINVAL for an unknown endpoint or negative now_ms. */
FW_MUSTCHECK
int fw_limits_usage(fw_limits *l, int endpoint, uint64_t app_id, uint64_t user_id, int64_t now_ms, fw_limit_usage *out);
/* The limits the server enforces (its --limits overrides included). */
const fw_limits_config *fw_limits_config_of(const fw_limits *l);

/* The HTTP status a verdict asks for: 0 for FW_LIMIT_OK, else 429 or 403. */
int fw_limit_http_status(int verdict);

/* x-access-level for a credential kind (enum fw_cred_kind in store/store.h):
 * app-only bearer "read", OAuth 2.0 user token "read-write", OAuth 1.0a user
 * token "read-write-directmessages"; NULL for kinds that never call the API. */
const char *fw_limits_access_header(int cred_kind);

#endif
