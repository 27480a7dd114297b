/* The portal's request context: running a page on the work queue, the form
 * parser, sessions and CSRF, ownership checks, and the HTML every page
 * shares. See portal.h.
 *
 * CSRF: every form carries the session's random token; a POST is accepted
 * only when the cookie names a live session and the form's token equals the
 * session's (constant-time). The sign-in and sign-up forms get an anonymous
 * session for that. Signing in (or up) replaces whatever session the browser
 * had with a new id, so an id planted before sign-in (fixation) is worthless
 * afterwards. Cookies: HttpOnly, SameSite=Lax, Path=/portal, Secure when the
 * request came over HTTPS. */
#include "portal/portal_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/pending.h"
#include "core/clock.h"
#include "core/codec.h"
#include "core/html.h"
#include "core/secret.h"
#include "core/urlenc.h"
#include "core/workq.h"
#include "limits/policy.h"

#define COOKIE "fw_portal"
#define PENDING_MAX 16384
#define WORK_THREADS 2
#define WORK_QUEUE 64

/* Kinds of the portal's short-lived entries. In the store (PostgreSQL, shared
 * by every node) kinds are one namespace with oauth/'s FW_OA_PK_* (1..4), so
 * the portal's start at 8 there; in memory the portal has its own table. */
enum { PK_SESSION = 8, PK_ANON = 9, PK_FAILS = 10 };

/* Table shares: anyone can open a sign-in form (anonymous sessions evict
 * their own oldest), a developer holds at most 16 signed-in sessions, and
 * failure counters evict their oldest. */
static const struct {
    uint8_t kind;
    fw_pending_limit lim;
} shares[] = {
    {PK_SESSION, {PENDING_MAX / 4, 16, true}},
    {PK_ANON, {PENDING_MAX / 2, 0, true}},
    {PK_FAILS, {PENDING_MAX / 4, 0, true}},
};

struct fw_portal {
    fw_store *store;
    fw_limits *limits;
    uint8_t approval;
    fw_pending *pending;
    fw_workq *workq;
};

int fw_portal_new(fw_store *store, fw_limits *limits, uint8_t approval, fw_portal **out)
{
    fw_portal *pt = calloc(1, sizeof *pt);
    if (!pt)
        return FW_ENOMEM;
    pt->store = store;
    pt->limits = limits;
    pt->approval = approval;
    if (fw_pending_new(PENDING_MAX, &pt->pending) != 0 || fw_workq_new(WORK_THREADS, WORK_QUEUE, &pt->workq) != 0) {
        fw_portal_free(pt);
        return FW_ENOMEM;
    }
    for (size_t i = 0; i < sizeof shares / sizeof shares[0]; i++)
        if (fw_pending_set_limit(pt->pending, shares[i].kind, shares[i].lim) != FW_OK) {
            fw_portal_free(pt);
            return FW_EINVAL;
        }
    *out = pt;
    return FW_OK;
}

void fw_portal_free(fw_portal *pt)
{
    if (!pt)
        return;
    fw_workq_free(pt->workq); /* first: queued pages still use the rest */
    fw_pending_free(pt->pending);
    free(pt);
}

/* ---- short-lived entries: this process's table, or the store's ---------------
 * On a store that shares state (PostgreSQL) sessions and failure counters live
 * in the database, so a developer signed in through one node is signed in on
 * every node and failed sign-ins count on all of them. Pages run on the
 * portal's work queue, so the store is called blocking (exec NULL). */

typedef struct eph_out {
    int rc;
    void *val;
    size_t cap, len;
} eph_out;

static void on_eph(void *ctx, const fw_ephem_res *res)
{
    eph_out *o = ctx;
    o->rc = res->rc;
    o->len = res->len;
    if (res->rc == FW_OK && res->val && o->val) {
        if (res->len > o->cap)
            o->rc = FW_ESPACE;
        else
            memcpy(o->val, res->val, res->len);
    }
}

static const fw_pending_limit *share_of(uint8_t kind)
{
    for (size_t i = 0; i < sizeof shares / sizeof shares[0]; i++)
        if (shares[i].kind == kind)
            return &shares[i].lim;
    return NULL;
}

static int eph(fw_pt_ctx *x, uint8_t op, uint8_t kind, uint64_t owner, fw_str key, void *val, size_t len,
               size_t *out_len, int64_t ttl_ms, int64_t now)
{
    const fw_pending_limit *lim = share_of(kind);
    fw_ephem_q q = {.op = op, .kind = kind, .owner = owner, .key = key, .val = val, .len = len, .ttl_ms = ttl_ms,
                    .now_ms = now, .max = (uint32_t)lim->max, .per_owner = (uint32_t)lim->per_owner,
                    .evict = lim->evict};
    eph_out o = {.rc = FW_EIO, .val = val, .cap = len};
    fw_store_ephem(x->pt->store, NULL, &q, on_eph, &o);
    if (out_len)
        *out_len = o.len;
    return o.rc;
}

static bool shared(const fw_pt_ctx *x) { return fw_store_shares_state(x->pt->store); }

static int st_get(fw_pt_ctx *x, uint8_t kind, fw_str key, void *val, size_t cap, size_t *len, int64_t now)
{
    if (shared(x))
        return eph(x, FW_EPH_GET, kind, 0, key, val, cap, len, 0, now);
    return fw_pending_get(x->pt->pending, kind, key, val, cap, len, now);
}

static int st_take(fw_pt_ctx *x, uint8_t kind, fw_str key, void *val, size_t cap, size_t *len, int64_t now)
{
    if (shared(x))
        return eph(x, FW_EPH_TAKE, kind, 0, key, val, cap, len, 0, now);
    return fw_pending_take(x->pt->pending, kind, key, val, cap, len, now);
}

static int st_put(fw_pt_ctx *x, uint8_t kind, uint64_t owner, fw_str key, const void *val, size_t len,
                  int64_t ttl_ms, int64_t now)
{
    if (shared(x))
        return eph(x, FW_EPH_PUT, kind, owner, key, (void *)val, len, NULL, ttl_ms, now);
    return fw_pending_put(x->pt->pending, kind, owner, key, val, len, ttl_ms, now);
}

fw_store *fw_pt_store(fw_pt_ctx *x) { return x->pt->store; }
fw_limits *fw_pt_limits(fw_pt_ctx *x) { return x->pt->limits; }
uint8_t fw_pt_approval(fw_pt_ctx *x) { return x->pt->approval; }
fw_buf *fw_pt_body(fw_pt_ctx *x) { return &x->req->body_out; }

/* ---- the form ------------------------------------------------------------ */

static bool form_parse(fw_pt_ctx *x)
{
    fw_req *req = x->req;
    static const char form_ct[] = "application/x-www-form-urlencoded";
    if (req->body.len > FW_PT_MAX_BODY ||
        (req->body.len && (req->content_type.len < sizeof form_ct - 1 ||
                           strncasecmp(req->content_type.p, form_ct, sizeof form_ct - 1) != 0)))
        return false;
    fw_form_iter it = fw_form_begin(req->body);
    fw_str k, v;
    while (fw_form_next(&it, &k, &v)) {
        if (x->nf == FW_PT_MAX_FIELDS)
            return false;
        size_t i = x->nf++;
        x->koff[i] = x->fstore.len;
        if (fw_url_decode(k, true, &x->fstore) != 0)
            return false;
        x->klen[i] = x->fstore.len - x->koff[i];
        x->voff[i] = x->fstore.len;
        if (fw_url_decode(v, true, &x->fstore) != 0)
            return false;
        x->vlen[i] = x->fstore.len - x->voff[i];
    }
    return true;
}

fw_str fw_pt_field(const fw_pt_ctx *x, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < x->nf; i++)
        if (x->klen[i] == n && memcmp(x->fstore.data + x->koff[i], name, n) == 0) {
            fw_str v = {x->fstore.data + x->voff[i], x->vlen[i]};
            if (!v.len)
                v.p = "";
            return v;
        }
    return FW_STR_NULL;
}

bool fw_pt_field_len(const fw_pt_ctx *x, const char *name, size_t min, size_t max)
{
    fw_str v = fw_pt_field(x, name);
    return v.len >= min && v.len <= max && (!v.len || !memchr(v.p, 0, v.len));
}

/* ---- sessions -------------------------------------------------------------- */

static bool valid_id(fw_str s)
{
    if (s.len != 43)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!isalnum((unsigned char)s.p[i]) && s.p[i] != '-' && s.p[i] != '_')
            return false;
    return true;
}

static int random_id(char out[44])
{
    uint8_t raw[32];
    if (fw_random_bytes(raw, sizeof raw) != 0)
        return -1;
    fw_b64url_encode(raw, sizeof raw, out);
    out[43] = 0;
    return 0;
}

static void set_cookie(fw_pt_ctx *x, const char *value, bool clear)
{
    char hdr[192];
    int n = snprintf(hdr, sizeof hdr, COOKIE "=%s; Path=/portal; HttpOnly; SameSite=Lax%s%s", value,
                     clear ? "; Max-Age=0" : "", x->req->tls ? "; Secure" : "");
    fw_req_add_header(x->req, "set-cookie", hdr, (size_t)n);
}

static void session_load(fw_pt_ctx *x)
{
    fw_str c = fw_cookie_value(x->req->cookie, COOKIE);
    if (!valid_id(c))
        return;
    memcpy(x->sid, c.p, 43);
    x->sid[43] = 0;
    size_t len = 0;
    fw_str key = {x->sid, 43};
    int64_t now = fw_now_ms();
    if (st_get(x, PK_SESSION, key, &x->s, sizeof x->s, &len, now) == FW_OK ||
        st_get(x, PK_ANON, key, &x->s, sizeof x->s, &len, now) == FW_OK)
        x->has_session = len == sizeof x->s;
}

static void session_drop(fw_pt_ctx *x)
{
    if (!x->has_session)
        return;
    fw_pt_session old;
    size_t len;
    fw_str key = {x->sid, 43};
    (void)st_take(x, x->s.user_id ? PK_SESSION : PK_ANON, key, &old, sizeof old, &len, fw_now_ms());
    x->has_session = false;
}

int fw_pt_session_start(fw_pt_ctx *x, uint64_t user_id, fw_str username)
{
    fw_pt_session s = {.user_id = user_id};
    char id[44];
    if (random_id(id) != 0 || random_id(s.csrf) != 0 || username.len >= sizeof s.username)
        return -1;
    if (username.len)
        memcpy(s.username, username.p, username.len);
    session_drop(x);
    uint8_t kind = user_id ? PK_SESSION : PK_ANON;
    int64_t ttl = user_id ? FW_PT_SESSION_TTL_MS : FW_PT_ANON_TTL_MS;
    if (st_put(x, kind, user_id, (fw_str){id, 43}, &s, sizeof s, ttl, fw_now_ms()) != FW_OK)
        return -1;
    memcpy(x->sid, id, sizeof id);
    x->s = s;
    x->has_session = true;
    set_cookie(x, id, false);
    return 0;
}

void fw_pt_session_end(fw_pt_ctx *x)
{
    session_drop(x);
    set_cookie(x, "", true);
}

/* ---- failed sign-ins -------------------------------------------------------- */

static size_t fail_key(fw_str username, char out[24])
{
    size_t n = username.len > 15 ? 15 : username.len;
    out[0] = 'u', out[1] = ':';
    for (size_t i = 0; i < n; i++)
        out[2 + i] = (char)tolower((unsigned char)username.p[i]);
    return 2 + n;
}

/* A counter of failed sign-ins: the count and when its window began (the
 * window starts at the first failure; later ones keep its end). */
typedef struct fails {
    uint32_t n;
    int64_t first_ms;
} fails;

int fw_pt_fails(fw_pt_ctx *x, fw_str username, bool add)
{
    char k[24];
    fw_str key = {k, fail_key(username, k)};
    int64_t now = fw_now_ms();
    fails f = {0, now};
    size_t len = 0;
    if (st_get(x, PK_FAILS, key, &f, sizeof f, &len, now) != FW_OK || len != sizeof f)
        f = (fails){0, now};
    if (!add)
        return (int)f.n;
    f.n++;
    int64_t left = f.first_ms + FW_PT_FAIL_WINDOW_MS - now;
    (void)st_put(x, PK_FAILS, 0, key, &f, sizeof f, left > 0 ? left : 1, now);
    return (int)f.n;
}

void fw_pt_fails_clear(fw_pt_ctx *x, fw_str username)
{
    char k[24];
    fails f;
    size_t len;
    (void)st_take(x, PK_FAILS, (fw_str){k, fail_key(username, k)}, &f, sizeof f, &len, fw_now_ms());
}

bool fw_pt_require_dev(fw_pt_ctx *x)
{
    if (!x->has_session || !x->s.user_id) {
        fw_pt_redirect(x, "/portal/signin");
        return false;
    }
    if (x->dev_status != FW_DEV_APPROVED) {
        fw_pt_message(x, 403, "Your developer account is awaiting approval",
                      x->dev_status == FW_DEV_PENDING
                          ? "An administrator approves new developer accounts (followd developer approve). "
                            "Sign in again once you have been told it is approved."
                          : "This account is not a developer account. Sign up for one first.");
        return false;
    }
    return true;
}

/* ---- ownership ------------------------------------------------------------------ */

int fw_pt_own_project(fw_pt_ctx *x, uint64_t id, fw_project_rec *out)
{
    memset(out, 0, sizeof *out);
    if (!id)
        return FW_ENOTFOUND;
    int rc = fw_store_project_get(x->pt->store, id, out);
    if (rc == FW_OK && out->p.owner_id != x->s.user_id) {
        fw_project_rec_free(out);
        rc = FW_ENOTFOUND; /* someone else's looks like no project at all */
    }
    return rc;
}

int fw_pt_own_app(fw_pt_ctx *x, uint64_t id, fw_app_rec *app, fw_project_rec *proj)
{
    memset(proj, 0, sizeof *proj);
    if (!id)
        return FW_ENOTFOUND;
    int rc = fw_store_app_get(x->pt->store, id, app);
    if (rc)
        return rc;
    rc = app->a.project_id ? fw_pt_own_project(x, app->a.project_id, proj) : FW_ENOTFOUND;
    if (rc)
        fw_app_rec_free(app);
    return rc;
}

/* ---- running a page ---------------------------------------------------------------- */

static fw_pt_ctx *ctx_of_task(fw_task *t) { return (fw_pt_ctx *)(void *)((char *)t - offsetof(fw_pt_ctx, task)); }

static bool csrf_ok(fw_pt_ctx *x)
{
    fw_str t = fw_pt_field(x, "csrf");
    return x->has_session && t.p && fw_ct_equal(t.p, t.len, x->s.csrf, strlen(x->s.csrf));
}

/* Copies at most n - 1 bytes of v into out, each byte outside [A-Za-z0-9/_.-]
 * as '?', so a client's bytes can neither break nor forge a log line. */
static void log_safe(char *out, size_t n, fw_str v)
{
    size_t i = 0;
    for (; i < v.len && i + 1 < n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        out[i] = (char)(isalnum(c) || c == '/' || c == '_' || c == '.' || c == '-' ? c : '?');
    }
    out[i] = 0;
}

/* One line on stderr per form sent (sign-up, sign-in, every change), with
 * who (the session's developer after the page ran, 0 = none), the page, the
 * action and the answer's status: an audit trail without any secret (form
 * values other than the action name are never written). */
static void audit(fw_pt_ctx *x)
{
    char path[128], action[33];
    log_safe(path, sizeof path, x->req->path);
    log_safe(action, sizeof action, fw_pt_field(x, "action"));
    fprintf(stderr, "followd portal: developer=%llu POST %s action=%s status=%d\n",
            (unsigned long long)(x->has_session ? x->s.user_id : 0), path, action[0] ? action : "-",
            x->req->status);
}

static void run_page(fw_task *t)
{
    fw_pt_ctx *x = ctx_of_task(t);
    session_load(x);
    if (x->has_session && x->s.user_id) {
        fw_dev d;
        if (fw_store_dev_get(x->pt->store, x->s.user_id, &d) == FW_OK)
            x->dev_status = d.status;
    }
    if (!x->post) {
        x->page(x);
        return;
    }
    if (!form_parse(x))
        fw_pt_message(x, 400, "Bad request", "The form could not be read.");
    else if (!csrf_ok(x))
        fw_pt_message(x, 403, "Request could not be verified",
                      "This form was not sent from a page followd showed you, or it has expired (cookies must "
                      "be enabled). Go back, reload the page and try again.");
    else
        x->page(x);
    audit(x);
}

static void page_done(fw_task *t)
{
    fw_pt_ctx *x = ctx_of_task(t);
    fw_req *req = x->req;
    fw_buf_free(&x->fstore);
    free(x);
    req->done(req);
}

static bool parse_id(fw_str s, uint64_t *out)
{
    if (s.len < 1 || s.len > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    *out = v;
    return v != 0;
}

int fw_portal_handle(fw_portal *pt, fw_pt_page page, fw_str id, fw_req *req)
{
    fw_pt_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->pt = pt;
    x->req = req;
    x->page = page;
    x->post = fw_str_eq(req->method, "POST");
    x->has_id = parse_id(id, &x->id);
    if (!x->has_id)
        x->id = 0;
    req->status = 0;
    req->content_type_out = NULL;
    fw_buf_reset(&req->body_out);
    x->task.run = page_done;
    if (fw_workq_submit(pt->workq, req->exec, &x->task, run_page) != FW_OK) {
        free(x);
        return -1;
    }
    return 0;
}

/* ---- HTML ------------------------------------------------------------------------ */

static const char csp[] = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src 'self'; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static const char style[] =
    "<style>"
    ":root{--fg:#0f1419;--muted:#536471;--line:#cfd9de;--accent:#1d4ed8;--bg:#f7f9f9;--bad:#b00020;--ok:#047857}"
    "*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);"
    "background:var(--bg);line-height:1.5}"
    "header{background:#0f1419;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}"
    "header a{color:#fff;text-decoration:none}header .brand{font-weight:700;margin-right:auto}"
    "header form{margin:0}header button{background:none;border:1px solid #fff;color:#fff;margin:0;padding:.2rem .7rem}"
    "main{max-width:56rem;margin:1.5rem auto;padding:0 1rem}"
    "h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}"
    ".card{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.2rem;margin:1rem 0}"
    "label{display:block;margin-top:.8rem;font-weight:600}.hint{color:var(--muted);font-size:.9rem;margin:.2rem 0}"
    "input[type=text],input[type=password],input[type=url],select,textarea{width:100%;padding:.5rem;font-size:1rem;"
    "border:1px solid var(--line);border-radius:.3rem}textarea{min-height:5rem}"
    "button,.button{display:inline-block;margin:1rem .5rem 0 0;padding:.5rem 1rem;font-size:1rem;border-radius:.3rem;"
    "border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}"
    "button.secondary{background:#fff;color:var(--accent)}button.danger{background:#fff;color:var(--bad);"
    "border-color:var(--bad)}button:focus,a:focus,input:focus,select:focus,textarea:focus{outline:3px solid #93c5fd}"
    ".error{color:var(--bad);font-weight:600}.ok{color:var(--ok);font-weight:600}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid var(--line)}"
    ".secret code,.value code{display:inline-block;word-break:break-all;background:#eef2ff;padding:.2rem .4rem;"
    "border-radius:.2rem;font-size:.95rem}.masked{letter-spacing:.15rem;color:var(--muted)}"
    ".copy{margin:0 0 0 .5rem;padding:.1rem .6rem;font-size:.85rem}.inline{display:inline}"
    ".empty{color:var(--muted);font-style:italic}fieldset{border:1px solid var(--line);border-radius:.3rem}"
    "@media (max-width:40rem){main{margin:1rem auto}header{gap:.5rem}}"
    "</style>\n";

void fw_pt_esc(fw_pt_ctx *x, fw_str s) { fw_html_escape(&x->req->body_out, s); }
void fw_pt_escc(fw_pt_ctx *x, const char *s) { fw_html_escape_c(&x->req->body_out, s); }

void fw_pt_begin(fw_pt_ctx *x, int status, const char *title)
{
    fw_req *req = x->req;
    fw_html_begin(req, status, csp);
    fw_buf *b = &req->body_out;
    fw_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    fw_pt_escc(x, title);
    fw_buf_puts(b, " - followd developer portal</title>\n");
    fw_buf_puts(b, style);
    fw_buf_puts(b, "<script src=\"/portal/portal.js\" defer></script>\n</head>\n<body>\n<header>"
                   "<a class=\"brand\" href=\"/portal\">followd developer portal</a>");
    if (x->has_session && x->s.user_id) {
        fw_buf_puts(b, "<a href=\"/portal\">Projects</a><span>@");
        fw_pt_escc(x, x->s.username);
        fw_buf_puts(b, "</span><form method=\"post\" action=\"/portal/signout\">");
        fw_buf_puts(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
        fw_pt_escc(x, x->s.csrf);
        fw_buf_puts(b, "\"><button type=\"submit\" id=\"signout\">Sign out</button></form>");
    } else {
        fw_buf_puts(b, "<a href=\"/portal/signin\">Sign in</a><a href=\"/portal/signup\">Sign up</a>");
    }
    fw_buf_puts(b, "</header>\n<main>\n<h1>");
    fw_pt_escc(x, title);
    fw_buf_puts(b, "</h1>\n");
}

void fw_pt_end(fw_pt_ctx *x) { fw_buf_puts(&x->req->body_out, "</main>\n</body>\n</html>\n"); }

void fw_pt_message(fw_pt_ctx *x, int status, const char *title, const char *message)
{
    fw_pt_begin(x, status, title);
    fw_buf_puts(fw_pt_body(x), "<p>");
    fw_pt_escc(x, message);
    fw_buf_puts(fw_pt_body(x), "</p>\n<p><a href=\"/portal\">Back to your projects</a></p>\n");
    fw_pt_end(x);
}

void fw_pt_not_found(fw_pt_ctx *x)
{
    fw_pt_message(x, 404, "Not found", "There is no such project or app in your account.");
}

void fw_pt_unavailable(fw_pt_ctx *x)
{
    fw_pt_message(x, 503, "Try again later", "followd could not reach its database.");
}

void fw_pt_redirect(fw_pt_ctx *x, const char *path)
{
    fw_req *req = x->req;
    req->status = 303;
    req->content_type_out = "text/html; charset=utf-8";
    fw_req_add_header(req, "location", path, strlen(path));
    fw_req_add_header(req, "cache-control", "no-store", 8);
    fw_buf_reset(&req->body_out);
    fw_buf_puts(&req->body_out, "<!DOCTYPE html>\n<title>Redirecting</title>\n<p><a href=\"");
    fw_pt_escc(x, path);
    fw_buf_puts(&req->body_out, "\">Continue</a></p>\n");
}

void fw_pt_form(fw_pt_ctx *x, const char *action)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_puts(b, "<form method=\"post\" action=\"");
    fw_pt_escc(x, action);
    fw_buf_puts(b, "\">\n<input type=\"hidden\" name=\"csrf\" value=\"");
    fw_pt_escc(x, x->s.csrf);
    fw_buf_puts(b, "\">\n");
}

void fw_pt_input(fw_pt_ctx *x, const char *type, const char *name, const char *label, fw_str value, size_t maxlen,
                 const char *extra)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_printf(b, "<label for=\"%s\">", name);
    fw_pt_escc(x, label);
    fw_buf_printf(b, "</label>\n<input type=\"%s\" id=\"%s\" name=\"%s\" maxlength=\"%zu\" value=\"", type, name,
                  name, maxlen);
    fw_pt_esc(x, value);
    fw_buf_printf(b, "\"%s%s>\n", extra ? " " : "", extra ? extra : "");
}

void fw_pt_error(fw_pt_ctx *x, const char *msg)
{
    if (!msg)
        return;
    fw_buf_puts(fw_pt_body(x), "<p class=\"error\" role=\"alert\" id=\"error\">");
    fw_pt_escc(x, msg);
    fw_buf_puts(fw_pt_body(x), "</p>\n");
}

static void shown(fw_pt_ctx *x, const char *cls, const char *id, const char *label, fw_str value)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_printf(b, "<p class=\"%s\"><strong>", cls);
    fw_pt_escc(x, label);
    fw_buf_printf(b, "</strong><br><code id=\"%s\">", id);
    fw_pt_esc(x, value);
    fw_buf_printf(b, "</code><button type=\"button\" class=\"copy secondary\" data-copy=\"%s\" id=\"%s-copy\" "
                     "hidden>Copy</button></p>\n",
                  id, id);
}

void fw_pt_secret(fw_pt_ctx *x, const char *id, const char *label, fw_str value)
{
    shown(x, "secret", id, label, value);
}

void fw_pt_value(fw_pt_ctx *x, const char *id, const char *label, fw_str value) { shown(x, "value", id, label, value); }

void fw_pt_masked(fw_pt_ctx *x, const char *label, const char *note)
{
    fw_buf *b = fw_pt_body(x);
    fw_buf_puts(b, "<p><strong>");
    fw_pt_escc(x, label);
    fw_buf_puts(b, "</strong><br><span class=\"masked\" aria-label=\"hidden\">&bull;&bull;&bull;&bull;&bull;&bull;"
                   "&bull;&bull;&bull;&bull;</span>");
    if (note) {
        fw_buf_puts(b, " <span class=\"hint\">");
        fw_pt_escc(x, note);
        fw_buf_puts(b, "</span>");
    }
    fw_buf_puts(b, "</p>\n");
}

/* The copy buttons: shown only when the script runs (the values stay
 * selectable without it). Served from the portal itself (CSP script-src
 * 'self'); no inline script anywhere. */
void fw_pt_script(fw_pt_ctx *x)
{
    static const char js[] =
        "document.addEventListener('DOMContentLoaded',function(){\n"
        "  document.querySelectorAll('button.copy').forEach(function(b){\n"
        "    b.hidden=false;\n"
        "    b.addEventListener('click',function(){\n"
        "      var t=document.getElementById(b.getAttribute('data-copy')).textContent;\n"
        "      var done=function(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy';},1500);};\n"
        "      if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t).then(done);}\n"
        "      else{var r=document.createRange();r.selectNodeContents(document.getElementById(b.getAttribute("
        "'data-copy')));var s=window.getSelection();s.removeAllRanges();s.addRange(r);document.execCommand('copy');"
        "done();}\n"
        "    });\n"
        "  });\n"
        "});\n";
    fw_req *req = x->req;
    req->status = 200;
    req->content_type_out = "text/javascript; charset=utf-8";
    fw_req_add_header(req, "cache-control", "max-age=3600", 12);
    fw_req_add_header(req, "x-content-type-options", "nosniff", 7);
    fw_buf_puts(&req->body_out, js);
}

const char *fw_pt_env_name(uint8_t env)
{
    static const char *const names[] = {"Development", "Staging", "Production"};
    return env < 3 ? names[env] : "Unknown";
}

const char *fw_pt_level_name(uint8_t level)
{
    static const char *const names[] = {"None (standalone)", "Free", "Basic", "Pro", "Enterprise"};
    return level < 5 ? names[level] : "Unknown";
}
