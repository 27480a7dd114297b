/* Private to src/portal: the request context every page runs in, sessions,
 * the form parser and the HTML helpers the page files share. */
#ifndef FW_PORTAL_INTERNAL_H
#define FW_PORTAL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/exec.h"
#include "core/str.h"
#include "portal/portal.h"

#define FW_PT_MAX_FIELDS 32
#define FW_PT_MAX_BODY 65536
#define FW_PT_SESSION_TTL_MS (8 * 3600 * 1000) /* signed in for a working day */
#define FW_PT_ANON_TTL_MS (30 * 60 * 1000)     /* a sign-in or sign-up form stays usable */
#define FW_PT_FAIL_WINDOW_MS (15 * 60 * 1000)  /* failed sign-ins counted per username ... */
#define FW_PT_MAX_FAILS 5                      /* ... at most this many in the window */

/* A browser's session: anonymous (user_id 0: carries the CSRF token of the
 * sign-in and sign-up forms) or signed in. */
typedef struct fw_pt_session {
    uint64_t user_id;
    char csrf[44];
    char username[16];
} fw_pt_session;

struct fw_pt_ctx {
    fw_portal *pt;
    fw_req *req;
    fw_pt_page page;
    bool post;
    bool has_id;
    uint64_t id;             /* the path parameter, when has_id */
    /* the form (POST body), decoded */
    size_t nf;
    size_t koff[FW_PT_MAX_FIELDS], klen[FW_PT_MAX_FIELDS], voff[FW_PT_MAX_FIELDS], vlen[FW_PT_MAX_FIELDS];
    fw_buf fstore;
    bool form_bad;
    /* the session the cookie names (has_session), never NULL-terminated trouble: sid is */
    bool has_session;
    char sid[44];
    fw_pt_session s;
    uint8_t dev_status;      /* enum fw_dev_status of a signed-in developer, 0 = not a developer */
    fw_task task;
};

/* portal_core.c */
fw_store *fw_pt_store(fw_pt_ctx *x);
struct fw_limits *fw_pt_limits(fw_pt_ctx *x);
uint8_t fw_pt_approval(fw_pt_ctx *x);
/* The decoded value of form field name, .p == NULL when absent. */
fw_str fw_pt_field(const fw_pt_ctx *x, const char *name);
/* True when the form field's value is within [min, max] bytes (absent = empty). */
bool fw_pt_field_len(const fw_pt_ctx *x, const char *name, size_t min, size_t max);
/* Starts a new session for x's browser (a fresh id: sign-in rotates it),
 * replacing the one the cookie named; sets the cookie. 0 or -1. */
int fw_pt_session_start(fw_pt_ctx *x, uint64_t user_id, fw_str username);
/* Ends x's session and clears the cookie. */
void fw_pt_session_end(fw_pt_ctx *x);
/* Failed sign-ins of username (lower-cased) in the window: count, or add one. */
int fw_pt_fails(fw_pt_ctx *x, fw_str username, bool add);
void fw_pt_fails_clear(fw_pt_ctx *x, fw_str username);
/* True when x is signed in as an approved developer; otherwise answers
 * (redirect to sign in, or the "awaiting approval" page) and returns false. */
bool fw_pt_require_dev(fw_pt_ctx *x);

/* HTML (every page: core/html.h hardening with the portal's CSP). */
void fw_pt_begin(fw_pt_ctx *x, int status, const char *title);
void fw_pt_end(fw_pt_ctx *x);
/* begin + a paragraph + end. */
void fw_pt_message(fw_pt_ctx *x, int status, const char *title, const char *message);
void fw_pt_not_found(fw_pt_ctx *x);
void fw_pt_unavailable(fw_pt_ctx *x);
/* 303 See Other to a path of the portal (static or built by the caller). */
void fw_pt_redirect(fw_pt_ctx *x, const char *path);
/* The page's body buffer. */
fw_buf *fw_pt_body(fw_pt_ctx *x);
void fw_pt_esc(fw_pt_ctx *x, fw_str s);
void fw_pt_escc(fw_pt_ctx *x, const char *s);
/* <form method=post action=...> with the CSRF field. */
void fw_pt_form(fw_pt_ctx *x, const char *action);
/* A labelled text input (type text, url, password, ...); value escaped. */
void fw_pt_input(fw_pt_ctx *x, const char *type, const char *name, const char *label, fw_str value, size_t maxlen,
                 const char *extra);
/* An error paragraph (role=alert). */
void fw_pt_error(fw_pt_ctx *x, const char *msg);
/* A secret shown once, with a copy button (ids: id, id-copy). */
void fw_pt_secret(fw_pt_ctx *x, const char *id, const char *label, fw_str value);
/* A value that is shown (not secret), with a copy button. */
void fw_pt_value(fw_pt_ctx *x, const char *id, const char *label, fw_str value);
/* A secret that was shown before: masked. */
void fw_pt_masked(fw_pt_ctx *x, const char *label, const char *note);
/* The project / app of the path id when it belongs to the signed-in
 * developer: FW_OK, FW_ENOTFOUND (also someone else's), FW_EIO. */
int fw_pt_own_project(fw_pt_ctx *x, uint64_t id, fw_project_rec *out);
int fw_pt_own_app(fw_pt_ctx *x, uint64_t id, fw_app_rec *app, fw_project_rec *proj);

/* portal_apps.c: loads the signed-in developer's app x->id (false: x was
 * answered: sign in, 404, 503); the app pages' navigation. */
bool fw_pt_load_app(fw_pt_ctx *x, fw_app_rec *a, fw_project_rec *p);
enum { FW_PT_NAV_SETTINGS = 0, FW_PT_NAV_KEYS = 1, FW_PT_NAV_USAGE = 2 };
void fw_pt_app_nav(fw_pt_ctx *x, const fw_app *a, const fw_project *p, int current);
/* portal_apps.c: the Keys and tokens page of the new app x->id, its API
 * key, secret and bearer token shown once (after create). */
void fw_pt_keys_fresh(fw_pt_ctx *x);

/* portal_projects.c: the endpoints the pages list, in their order, with
 * what each does (enum fw_endpoint of limits/policy.h). */
typedef struct fw_pt_endpoint {
    int ep;
    const char *what;
} fw_pt_endpoint;
extern const fw_pt_endpoint fw_pt_endpoints[];
extern const size_t fw_pt_nendpoints;

/* Names shown on the pages. */
const char *fw_pt_env_name(uint8_t env);
const char *fw_pt_level_name(uint8_t level);

#endif
