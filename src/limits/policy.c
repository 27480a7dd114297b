/* X's endpoint table over fw_rl; see policy.h and docs/ratelimits.md. */
#include "limits/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits/shared.h"
#include "store/store.h"

#define WINDOW_S 900u /* 15 minutes */
#define DAY_S 86400u
#define MAX_PERIOD_S ((uint32_t)(FW_RL_MAX_WINDOW_MS / 1000))
#define MAX_SPEC 4096
#define MAX_BUCKETS_CAP (((uint64_t)1 << 28) * 64) /* fw_rl_new's bound */
#define SHARED_KEYS ((size_t)1 << 16)
/* Retry hint when the bucket table is full: soon, but not a busy loop. */
#define FULL_RETRY_MS 60000

/* Bucket kinds: endpoint in the high bits, what is counted in the low ones. */
enum { SC_APP_WIN = 1, SC_USER_WIN, SC_USER_DAY, SC_APP_DAY };
#define KIND(ep, sc) (((uint32_t)(ep) << 8) | (sc))

struct fw_limits {
    fw_limits_config cfg;
    fw_rl *rl;
    fw_rls *shared; /* set: windows and caps are counted across every node of the database */
};

void fw_limits_defaults(fw_limits_config *c)
{
    memset(c, 0, sizeof *c);
    c->enabled = true;
    c->day_s = DAY_S;
    c->max_buckets = (size_t)1 << 20;
    /* app_window, user_window, window_s, user_day, app_day, level */
    c->ep[FW_EP_FOLLOWERS] = (fw_ep_limits){15, 15, WINDOW_S, 0, 0, FW_ACCESS_ENTERPRISE};
    c->ep[FW_EP_FOLLOWING] = (fw_ep_limits){15, 15, WINDOW_S, 0, 0, FW_ACCESS_ENTERPRISE};
    c->ep[FW_EP_FOLLOW] = (fw_ep_limits){0, 50, WINDOW_S, 400, 1000, FW_ACCESS_FREE};
    c->ep[FW_EP_UNFOLLOW] = (fw_ep_limits){0, 50, WINDOW_S, 0, 500, FW_ACCESS_FREE};
    c->ep[FW_EP_USER_BY_ID] = (fw_ep_limits){300, 900, WINDOW_S, 0, 0, FW_ACCESS_FREE};
    c->ep[FW_EP_USER_BY_USERNAME] = (fw_ep_limits){300, 900, WINDOW_S, 0, 0, FW_ACCESS_FREE};
    c->ep[FW_EP_ME] = (fw_ep_limits){0, 75, WINDOW_S, 0, 0, FW_ACCESS_FREE};
    /* Not X endpoints: sized like follows lookup (list) and manage follows (answer). */
    c->ep[FW_EP_FOLLOW_REQUESTS] = (fw_ep_limits){0, 15, WINDOW_S, 0, 0, FW_ACCESS_FREE};
    c->ep[FW_EP_FOLLOW_REQUEST_ANSWER] = (fw_ep_limits){0, 50, WINDOW_S, 0, 0, FW_ACCESS_FREE};
}

/* ------------------------------------------------------------------------
 * --limits parsing. */

#define EPBIT(e) (1u << (e))
static const struct {
    const char *name;
    unsigned eps;
} ep_names[] = {
    {"followers", EPBIT(FW_EP_FOLLOWERS)},
    {"following", EPBIT(FW_EP_FOLLOWING)},
    {"lookup", EPBIT(FW_EP_FOLLOWERS) | EPBIT(FW_EP_FOLLOWING)},
    {"follow", EPBIT(FW_EP_FOLLOW)},
    {"unfollow", EPBIT(FW_EP_UNFOLLOW)},
    {"user_by_id", EPBIT(FW_EP_USER_BY_ID)},
    {"user_by_username", EPBIT(FW_EP_USER_BY_USERNAME)},
    {"users", EPBIT(FW_EP_USER_BY_ID) | EPBIT(FW_EP_USER_BY_USERNAME)},
    {"me", EPBIT(FW_EP_ME)},
    {"follow_requests", EPBIT(FW_EP_FOLLOW_REQUESTS)},
    {"follow_request_answer", EPBIT(FW_EP_FOLLOW_REQUEST_ANSWER)},
    {"all", EPBIT(FW_EP__COUNT) - 1},
};

enum { F_APP_WIN, F_USER_WIN, F_WINDOW_S, F_USER_DAY, F_APP_DAY, F_LEVEL };
static const char *const field_names[] = {"app_15min", "user_15min", "window_s", "user_day", "app_day", "level"};

static const char *const level_names[] = {"none", "free", "basic", "pro", "enterprise"};

static bool span_is(const char *p, size_t n, const char *lit) { return strlen(lit) == n && memcmp(p, lit, n) == 0; }

static bool is_space(char ch) { return ch == ' ' || ch == '\t'; }

static void trim(const char **p, size_t *n)
{
    while (*n && is_space(**p))
        (*p)++, (*n)--;
    while (*n && is_space((*p)[*n - 1]))
        (*n)--;
}

/* Decimal in [lo, hi]; no sign, no spaces inside. */
static bool parse_uint(const char *p, size_t n, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int set_error(char *err, size_t errlen, const char *what, const char *p, size_t n)
{
    if (errlen)
        snprintf(err, errlen, "limits: %s '%.*s'", what, (int)(n > 64 ? 64 : n), p);
    return -1;
}

static int apply_field(fw_limits_config *w, unsigned eps, int field, const char *v, size_t vn, char *err, size_t errlen)
{
    uint64_t x = 0;
    if (field == F_LEVEL) {
        for (x = FW_ACCESS_FREE; x <= FW_ACCESS_ENTERPRISE; x++)
            if (span_is(v, vn, level_names[x]))
                break;
        if (x > FW_ACCESS_ENTERPRISE)
            return set_error(err, errlen, "level must be free, basic, pro or enterprise, not", v, vn);
    } else if (field == F_WINDOW_S) {
        if (!parse_uint(v, vn, 1, MAX_PERIOD_S, &x))
            return set_error(err, errlen, "window_s must be 1..31622400, not", v, vn);
    } else if (!parse_uint(v, vn, 0, UINT32_MAX, &x)) {
        return set_error(err, errlen, "limit must be 0..4294967295, not", v, vn);
    }
    for (int e = 0; e < FW_EP__COUNT; e++) {
        if (!(eps & EPBIT(e)))
            continue;
        fw_ep_limits *el = &w->ep[e];
        switch (field) {
        case F_APP_WIN: el->app_window = (uint32_t)x; break;
        case F_USER_WIN: el->user_window = (uint32_t)x; break;
        case F_WINDOW_S: el->window_s = (uint32_t)x; break;
        case F_USER_DAY: el->user_day = (uint32_t)x; break;
        case F_APP_DAY: el->app_day = (uint32_t)x; break;
        default: el->level = (uint8_t)x; break;
        }
    }
    return 0;
}

static int apply_item(fw_limits_config *w, const char *k, size_t kn, const char *v, size_t vn, char *err, size_t errlen)
{
    uint64_t x;
    if (span_is(k, kn, "enabled")) {
        if (span_is(v, vn, "1") || span_is(v, vn, "true") || span_is(v, vn, "on"))
            w->enabled = true;
        else if (span_is(v, vn, "0") || span_is(v, vn, "false") || span_is(v, vn, "off"))
            w->enabled = false;
        else
            return set_error(err, errlen, "enabled must be 1/0, true/false or on/off, not", v, vn);
        return 0;
    }
    if (span_is(k, kn, "day_s")) {
        if (!parse_uint(v, vn, 1, MAX_PERIOD_S, &x))
            return set_error(err, errlen, "day_s must be 1..31622400, not", v, vn);
        w->day_s = (uint32_t)x;
        return 0;
    }
    if (span_is(k, kn, "max_buckets")) {
        if (!parse_uint(v, vn, 1, MAX_BUCKETS_CAP, &x))
            return set_error(err, errlen, "max_buckets must be 1..17179869184, not", v, vn);
        w->max_buckets = (size_t)x;
        return 0;
    }
    const char *dot = memchr(k, '.', kn);
    if (!dot)
        return set_error(err, errlen, "unknown key", k, kn);
    size_t en = (size_t)(dot - k), fn = kn - en - 1;
    unsigned eps = 0;
    for (size_t i = 0; i < sizeof ep_names / sizeof ep_names[0]; i++)
        if (span_is(k, en, ep_names[i].name))
            eps = ep_names[i].eps;
    if (!eps)
        return set_error(err, errlen, "unknown endpoint in", k, kn);
    for (int f = 0; f < (int)(sizeof field_names / sizeof field_names[0]); f++)
        if (span_is(dot + 1, fn, field_names[f]))
            return apply_field(w, eps, f, v, vn, err, errlen);
    return set_error(err, errlen, "unknown field in", k, kn);
}

int fw_limits_parse(fw_limits_config *c, const char *spec, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    size_t len = strlen(spec);
    if (len > MAX_SPEC)
        return set_error(err, errlen, "spec longer than 4096 bytes:", spec, 16);
    fw_limits_config w = *c;
    const char *p = spec, *end = spec + len;
    if (len == 0)
        return 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *q = comma ? comma : end;
        const char *item = p;
        size_t in = (size_t)(q - p);
        trim(&item, &in);
        if (in == 0)
            return set_error(err, errlen, "empty item near", p, (size_t)(end - p));
        const char *eq = memchr(item, '=', in);
        if (!eq)
            return set_error(err, errlen, "expected key=value, got", item, in);
        const char *k = item, *v = eq + 1;
        size_t kn = (size_t)(eq - item), vn = in - kn - 1;
        trim(&k, &kn);
        trim(&v, &vn);
        if (apply_item(&w, k, kn, v, vn, err, errlen) != 0)
            return -1;
        if (!comma)
            break;
        p = comma + 1;
    }
    *c = w;
    return 0;
}

/* ------------------------------------------------------------------------
 * Decisions. */

int fw_limits_new(const fw_limits_config *c, fw_limits **out)
{
    *out = NULL;
    if (c->day_s < 1 || c->day_s > MAX_PERIOD_S)
        return FW_EINVAL;
    for (int e = 0; e < FW_EP__COUNT; e++) {
        const fw_ep_limits *el = &c->ep[e];
        if (el->window_s < 1 || el->window_s > MAX_PERIOD_S || el->level < FW_ACCESS_FREE ||
            el->level > FW_ACCESS_ENTERPRISE)
            return FW_EINVAL;
    }
    fw_limits *l = calloc(1, sizeof *l);
    if (!l)
        return FW_ENOMEM;
    l->cfg = *c;
    int rc = fw_rl_new(c->max_buckets, &l->rl);
    if (rc != FW_OK) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

void fw_limits_free(fw_limits *l)
{
    if (!l)
        return;
    fw_rls_free(l->shared);
    fw_rl_free(l->rl);
    free(l);
}

/* The buckets one request touches: its window first, then the daily caps. */
typedef struct req_keys {
    fw_rl_key keys[3];
    uint32_t limits[3];
    int64_t win_ms[3];
    size_t n;
    int iu, ia; /* index of the user / app daily cap, or -1 */
} req_keys;

static void build_keys(const fw_limits *l, int ep, uint64_t app_id, uint64_t user_id, req_keys *rk)
{
    const fw_ep_limits *el = &l->cfg.ep[ep];
    int64_t day_ms = (int64_t)l->cfg.day_s * 1000;
    if (user_id)
        rk->keys[0] = (fw_rl_key){app_id, user_id, KIND(ep, SC_USER_WIN)};
    else
        rk->keys[0] = (fw_rl_key){app_id, 0, KIND(ep, SC_APP_WIN)};
    rk->limits[0] = user_id ? el->user_window : el->app_window;
    rk->win_ms[0] = (int64_t)el->window_s * 1000;
    rk->n = 1;
    rk->iu = rk->ia = -1;
    if (user_id && el->user_day) {
        rk->iu = (int)rk->n;
        rk->keys[rk->n] = (fw_rl_key){0, user_id, KIND(ep, SC_USER_DAY)};
        rk->limits[rk->n] = el->user_day;
        rk->win_ms[rk->n++] = day_ms;
    }
    if (el->app_day) {
        rk->ia = (int)rk->n;
        rk->keys[rk->n] = (fw_rl_key){app_id, 0, KIND(ep, SC_APP_DAY)};
        rk->limits[rk->n] = el->app_day;
        rk->win_ms[rk->n++] = day_ms;
    }
}

static void nominal(fw_rl_state *st, uint32_t limit, uint32_t remaining, int64_t reset_ms)
{
    st->limit = limit;
    st->remaining = remaining;
    st->reset_ms = reset_ms;
    st->reset_s = (reset_ms + 999) / 1000;
    st->allowed = remaining > 0;
}

/* What every check does before counting: validation, the access level and
 * the keys. Returns 1 when *out is complete (limits disabled), 0 to count,
 * or FW_EINVAL. */
static int prelude(fw_limits *l, int endpoint, uint64_t app_id, uint64_t user_id, int access_level, int64_t now_ms,
                   fw_limit_decision *out, req_keys *rk)
{
    if (endpoint < 0 || endpoint >= FW_EP__COUNT || access_level < FW_ACCESS_NONE ||
        access_level > FW_ACCESS_ENTERPRISE || now_ms < 0 || now_ms > INT64_MAX - FW_RL_MAX_WINDOW_MS)
        return FW_EINVAL;
    memset(out, 0, sizeof *out);
    out->endpoint = endpoint;
    out->app_id = app_id;
    out->user_id = user_id;

    const fw_ep_limits *el = &l->cfg.ep[endpoint];
    if (access_level == FW_ACCESS_NONE)
        out->verdict = FW_LIMIT_STANDALONE;
    else if (access_level < el->level)
        out->verdict = FW_LIMIT_LEVEL;
    if (out->verdict != FW_LIMIT_OK)
        out->required_enrollment = "Appropriate Level of API Access";

    build_keys(l, endpoint, app_id, user_id, rk);
    if (!l->cfg.enabled) {
        nominal(&out->window, rk->limits[0], rk->limits[0], now_ms + rk->win_ms[0]);
        return 1;
    }
    return 0;
}

/* Fills out from the counted states (rc: the engine's; FW_EINVAL passes). */
static int conclude(const req_keys *rk, int rc, const fw_rl_state *st, int64_t now_ms, fw_limit_decision *out)
{
    if (rc == FW_EINVAL || rc == FW_EIO)
        return rc;
    if (rc < 0) {
        /* Cannot count this caller (table full or out of memory): refuse, as
         * letting it through uncounted would break exactness. */
        out->verdict = FW_LIMIT_FULL;
        out->daily_taken = false;
        nominal(&out->window, rk->limits[0], 0, now_ms + FULL_RETRY_MS);
        return 0;
    }
    out->window = st[0];
    if (rk->iu >= 0) {
        out->has_user_day = true;
        out->user_day = st[rk->iu];
    }
    if (rk->ia >= 0) {
        out->has_app_day = true;
        out->app_day = st[rk->ia];
    }
    return 0;
}

int fw_limits_check(fw_limits *l, int endpoint, uint64_t app_id, uint64_t user_id, int access_level, bool counts_daily,
                    int64_t now_ms, fw_limit_decision *out)
{
    req_keys rk;
    int rc = prelude(l, endpoint, app_id, user_id, access_level, now_ms, out, &rk);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    fw_rl_state st[3];
    int rl_verdict;
    if (out->verdict != FW_LIMIT_OK) {
        /* Refused before counting: report the buckets as they are. */
        rc = fw_rl_peek(l->rl, rk.keys, rk.limits, rk.win_ms, rk.n, now_ms, st, &rl_verdict);
    } else if (counts_daily || rk.n == 1) {
        rc = fw_rl_take(l->rl, rk.keys, rk.limits, rk.win_ms, rk.n, now_ms, st, &rl_verdict);
        out->daily_taken = rc == FW_OK && rl_verdict == FW_RL_ALLOWED && rk.n > 1;
        if (rc == FW_OK && rl_verdict == FW_RL_LIMITED)
            out->verdict = st[0].allowed ? FW_LIMIT_DAILY : FW_LIMIT_WINDOW;
    } else {
        rc = fw_rl_take(l->rl, rk.keys, rk.limits, rk.win_ms, 1, now_ms, st, &rl_verdict);
        if (rc == FW_OK && rl_verdict == FW_RL_LIMITED)
            out->verdict = FW_LIMIT_WINDOW;
        if (rc == FW_OK)
            rc = fw_rl_peek(l->rl, rk.keys + 1, rk.limits + 1, rk.win_ms + 1, rk.n - 1, now_ms, st + 1, &rl_verdict);
    }
    return conclude(&rk, rc, st, now_ms, out);
}

int fw_limits_share(fw_limits *l, fw_store *st)
{
    if (!st || !fw_store_shares_state(st))
        return FW_ENOTSUP;
    if (l->shared)
        return FW_OK;
    /* Keys with a live lease at once (a lease lives at most a second, 0.1 s
     * when idle): far fewer than buckets of the in-memory engine. */
    size_t keys = l->cfg.max_buckets < SHARED_KEYS ? l->cfg.max_buckets : SHARED_KEYS;
    return fw_rls_new(st, keys, &l->shared);
}

/* A shared check waiting for its take (heap, freed on completion). */
typedef struct pending_check {
    fw_limits *l;
    req_keys rk;
    fw_rl_state st[3];
    bool counts_daily;
    int64_t now_ms;
    fw_limit_decision *out;
    fw_limits_cb cb;
    void *ctx;
} pending_check;

static void shared_taken(void *vctx, int rc, int verdict)
{
    pending_check *p = vctx;
    fw_limit_decision *out = p->out;
    size_t taken = p->counts_daily || p->rk.n == 1 ? p->rk.n : 1;
    if (rc == FW_OK) {
        out->daily_taken = verdict == FW_RL_ALLOWED && taken > 1;
        if (verdict == FW_RL_LIMITED)
            out->verdict = taken > 1 && p->st[0].allowed ? FW_LIMIT_DAILY : FW_LIMIT_WINDOW;
        if (taken < p->rk.n)
            fw_rls_peek(p->l->shared, p->rk.keys + 1, p->rk.limits + 1, p->rk.win_ms + 1, p->rk.n - 1, p->now_ms,
                        p->st + 1);
    }
    rc = conclude(&p->rk, rc, p->st, p->now_ms, out);
    fw_limits_cb cb = p->cb;
    void *ctx = p->ctx;
    free(p);
    cb(ctx, rc);
}

void fw_limits_check_async(fw_limits *l, fw_exec *exec, int endpoint, uint64_t app_id, uint64_t user_id,
                           int access_level, bool counts_daily, int64_t now_ms, fw_limit_decision *out,
                           fw_limits_cb cb, void *ctx)
{
    if (!l->shared) {
        cb(ctx, fw_limits_check(l, endpoint, app_id, user_id, access_level, counts_daily, now_ms, out));
        return;
    }
    req_keys rk;
    int rc = prelude(l, endpoint, app_id, user_id, access_level, now_ms, out, &rk);
    if (rc != 0) {
        cb(ctx, rc < 0 ? rc : 0);
        return;
    }
    if (out->verdict != FW_LIMIT_OK) {
        fw_rl_state st[3];
        fw_rls_peek(l->shared, rk.keys, rk.limits, rk.win_ms, rk.n, now_ms, st);
        cb(ctx, conclude(&rk, FW_OK, st, now_ms, out));
        return;
    }
    pending_check *p = calloc(1, sizeof *p);
    if (!p) {
        cb(ctx, conclude(&rk, FW_ENOMEM, NULL, now_ms, out));
        return;
    }
    p->l = l;
    p->rk = rk;
    p->counts_daily = counts_daily;
    p->now_ms = now_ms;
    p->out = out;
    p->cb = cb;
    p->ctx = ctx;
    size_t n = counts_daily || rk.n == 1 ? rk.n : 1;
    fw_rls_take(l->shared, exec, p->rk.keys, p->rk.limits, p->rk.win_ms, n, now_ms, p->st, shared_taken, p);
}

int fw_limits_refund(fw_limits *l, fw_limit_decision *d)
{
    if (!d->daily_taken)
        return 0;
    d->daily_taken = false;
    req_keys rk;
    build_keys(l, d->endpoint, d->app_id, d->user_id, &rk);
    fw_rl_state taken[3] = {{0}};
    if (rk.iu >= 0)
        taken[rk.iu] = d->user_day;
    if (rk.ia >= 0)
        taken[rk.ia] = d->app_day;
    int back = l->shared ? fw_rls_refund(l->shared, rk.keys + 1, taken + 1, rk.n - 1)
                         : fw_rl_refund(l->rl, rk.keys + 1, taken + 1, rk.n - 1);
    if (rk.iu >= 0)
        d->user_day = taken[rk.iu];
    if (rk.ia >= 0)
        d->app_day = taken[rk.ia];
    return back < 0 ? 0 : back;
}

/* One bucket's state as it is now (limit 0: the endpoint has none). */
static int peek_one(fw_limits *l, fw_rl_key key, uint32_t limit, int64_t win_ms, int64_t now_ms, fw_rl_state *st)
{
    memset(st, 0, sizeof *st);
    if (!limit)
        return FW_OK;
    if (l->shared) /* windows are kept in the database: ask it, not this node's leases */
        return fw_rls_usage(l->shared, key, limit, win_ms, now_ms, st);
    int verdict;
    return fw_rl_peek(l->rl, &key, &limit, &win_ms, 1, now_ms, st, &verdict);
}

int fw_limits_usage(fw_limits *l, int endpoint, uint64_t app_id, uint64_t user_id, int64_t now_ms, fw_limit_usage *out)
{
    memset(out, 0, sizeof *out);
    if (endpoint < 0 || endpoint >= FW_EP__COUNT || now_ms < 0 || now_ms > INT64_MAX - FW_RL_MAX_WINDOW_MS)
        return FW_EINVAL;
    out->enabled = l->cfg.enabled;
    if (!out->enabled)
        return FW_OK;
    req_keys app, user;
    build_keys(l, endpoint, app_id, 0, &app);
    build_keys(l, endpoint, app_id, user_id, &user);
    int rc = peek_one(l, app.keys[0], app.limits[0], app.win_ms[0], now_ms, &out->app_window);
    if (!rc && user_id)
        rc = peek_one(l, user.keys[0], user.limits[0], user.win_ms[0], now_ms, &out->user_window);
    if (!rc && user.iu >= 0)
        rc = peek_one(l, user.keys[user.iu], user.limits[user.iu], user.win_ms[user.iu], now_ms, &out->user_day);
    if (!rc && app.ia >= 0)
        rc = peek_one(l, app.keys[app.ia], app.limits[app.ia], app.win_ms[app.ia], now_ms, &out->app_day);
    return rc;
}

const fw_limits_config *fw_limits_config_of(const fw_limits *l) { return &l->cfg; }

int fw_limit_http_status(int verdict)
{
    switch (verdict) {
    case FW_LIMIT_OK: return 0;
    case FW_LIMIT_LEVEL:
    case FW_LIMIT_STANDALONE: return 403;
    default: return 429;
    }
}

const char *fw_limits_access_header(int cred_kind)
{
    switch (cred_kind) {
    case FW_CRED_APP_BEARER: return "read";
    case FW_CRED_OAUTH2_USER: return "read-write";
    case FW_CRED_OAUTH1_USER: return "read-write-directmessages";
    default: return NULL;
    }
}
