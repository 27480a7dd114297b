/* Private to src/oauth: the token-request parameter parser, the request
 * context every handler runs in, the short-lived records kept in the pending
 * table, and the helpers the endpoint files share. The public face is
 * oauth/oauth.h. */
#ifndef FW_OAUTH_INTERNAL_H
#define FW_OAUTH_INTERNAL_H

#include "core/err.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/oauth1.h"
#include "auth/pending.h"
#include "core/buf.h"
#include "core/exec.h"
#include "core/jsonw.h"
#include "core/str.h"
#include "oauth/oauth.h"

/* ---- token-request parameters (shared by every token endpoint) ----------
 *
 * RFC 6749 parameters arrive in a form body (tweepy), a JSON body
 * (twitter-api-v2) or the query string (twitter-api-sdk), sometimes in two of
 * them at once. fw_oauth_params_parse() merges all of them, percent-decoded,
 * and the HTTP Basic client credentials. A name given twice with the same
 * value counts once; with different values the request is refused (RFC 6749
 * 3.2: parameters MUST NOT be repeated). */
#define FW_OAP_MAX_PARAMS 32
#define FW_OAP_MAX_VALUE 4096 /* decoded bytes of one value */
#define FW_OAP_MAX_NAME 64

typedef struct fw_oauth_params {
    size_t n;
    size_t koff[FW_OAP_MAX_PARAMS], klen[FW_OAP_MAX_PARAMS];
    size_t voff[FW_OAP_MAX_PARAMS], vlen[FW_OAP_MAX_PARAMS];
    fw_buf store;          /* decoded names and values, back to back */
    bool has_basic;        /* an Authorization: Basic header was present and valid */
    fw_str basic_id;       /* its decoded user part (into store), when has_basic */
    fw_str basic_secret;   /* its decoded password part (into store) */
} fw_oauth_params;

/* Parses query + body (JSON when content_type is application/json, a form
 * when it is application/x-www-form-urlencoded or absent) + a Basic
 * authorization header (other schemes are ignored here). p must be
 * zero-initialised or freed before; free it with fw_oauth_params_free even on
 * error. */
int fw_oauth_params_parse(fw_oauth_params *p, fw_str query, fw_str content_type, fw_str body, fw_str authorization);
/* The decoded value of name, .p == NULL when absent. Valid until free. */
fw_str fw_oauth_param(const fw_oauth_params *p, const char *name);
void fw_oauth_params_free(fw_oauth_params *p);



/* Pending-table kinds. An OAuth 1.0a request token is a REQTOK until its
 * user decides, then (approved) a VERIFIER: separate kinds, so that a flood
 * of new request tokens cannot evict an approved one. */
enum { FW_OA_PK_REQTOK = 1, FW_OA_PK_SESSION, FW_OA_PK_CODE, FW_OA_PK_VERIFIER };

#define FW_OA_REQTOK_TTL_MS (5 * 60 * 1000)    /* unauthorized request token */
#define FW_OA_VERIFIER_TTL_MS (10 * 60 * 1000) /* authorized request token + verifier */
#define FW_OA_SESSION_TTL_MS (10 * 60 * 1000)  /* a sign-in page stays usable */
#define FW_OA_CODE_TTL_MS (30 * 1000)          /* X: codes must be redeemed within 30 s */
#define FW_OA_ACCESS_TTL_S 7200                /* X: OAuth 2.0 access tokens live two hours */
#define FW_OA_MAX_ATTEMPTS 5                   /* wrong passwords per sign-in page */
#define FW_OA_URI_MAX 1024
#define FW_OA_STATE_MAX 500                    /* X: state "up to 500 characters" */
#define FW_OA_NAME_MAX 200                     /* app name shown on the page */

/* A validated OAuth 2.0 authorization request (session) and, with the user,
 * the authorization code's record. Strings are NUL-terminated. */
typedef struct fw_oa_authz {
    uint64_t app_id, user_id;
    uint32_t scopes;
    uint8_t method; /* enum fw_pkce_method */
    char redirect_uri[FW_OA_URI_MAX + 1];
    char state[FW_OA_STATE_MAX + 1];
    char challenge[257];
} fw_oa_authz;

/* An OAuth 1.0a request token. */
typedef struct fw_oa_reqtok {
    uint64_t app_id, user_id; /* user_id set once authorized */
    uint32_t scopes;          /* the access token's level: FW_SCOPES_OAUTH1_WRITE or _READ (auth/scopes.h) */
    bool authorized;
    char secret[48];
    char callback[FW_OA_URI_MAX + 1]; /* URL or "oob" */
    char app_name[FW_OA_NAME_MAX + 1];
    char screen_name[16];
    char verifier[48];
} fw_oa_reqtok;

/* One sign-in and consent page: everything needed to draw it again and to
 * check the POST that comes back (CSRF: the browser cookie and the form
 * token must both match). */
typedef struct fw_oa_session {
    uint64_t app_id;  /* the app asking (its pending-table owner) */
    uint8_t flow;     /* 1 OAuth 1.0a, 2 OAuth 2.0 */
    uint8_t attempts; /* wrong passwords so far */
    char browser[44]; /* fw_browser cookie value */
    char csrf[44];    /* hidden form field */
    char action[32];  /* path the form posts to */
    char app_name[FW_OA_NAME_MAX + 1];
    char reqtok[64];  /* flow 1 */
    fw_oa_authz authz; /* flow 2; flow 1 uses only authz.scopes (the token's level, for the page) */
} fw_oa_session;

/* ---- the pending table, in memory or shared (oauth_pend.c) ---------------
 *
 * One operation on the short-lived state above, for both stores: LMDB keeps
 * it in this process's table (auth/pending.h) and the operation completes
 * inline; PostgreSQL keeps it in the database for every node (store.h,
 * fw_store_ephem) and the operation completes through the request's
 * executor, never blocking the loop. Same bounds either way (oauth_core.c's
 * shares). */
#define FW_OA_PEND_VAL sizeof(fw_oa_session) /* the largest record */
typedef struct fw_oa_pend_state {
    int rc;               /* FW_OK, FW_ENOTFOUND, FW_EEXISTS, FW_EFULL, FW_EIO, ... */
    size_t len;           /* bytes in val */
    _Alignas(16) unsigned char val[FW_OA_PEND_VAL]; /* PUT/ADD: the value stored; GET/TAKE: the value found */
    char key[FW_PENDING_MAX_KEY + 1]; /* the key, NUL-terminated (keys here are printable tokens) */
    size_t keylen;
    fw_oa_step next;
} fw_oa_pend_state;

/* Copies of what a store lookup returned (store results are borrowed). */
typedef struct fw_oa_app {
    uint64_t id;
    uint32_t bearer_gen;
    uint8_t client_type;
    uint8_t permission; /* FW_APP_PERM_* */
    fw_buf strs; /* backing storage of the strings below */
    fw_str name, consumer_key, consumer_secret, client_id, client_secret, redirect_uris;
} fw_oa_app;

typedef struct fw_oa_cred {
    uint8_t kind;
    bool revoked, has_user;
    uint64_t app_id, user_id;
    uint32_t scopes;
    int64_t expires_at_ms;
    uint64_t grant_id; /* fw_cred.grant_id */
} fw_oa_cred;

struct fw_oa_ctx {
    fw_oauth *oa;
    fw_req *req;
    fw_oauth_params prm;
    int prm_rc;          /* FW_OAP_* of parsing prm */
    fw_oauth1_hdr *hdr;  /* OAuth 1.0a endpoints */
    int rc;              /* last lookup: FW_OK, FW_ENOTFOUND, FW_EIO */
    bool have_app;
    fw_oa_app app;
    fw_oa_cred cred;
    fw_oa_step next;
    fw_oa_step then;     /* fw_oa_client_auth's continuation */
    bool landed, async;  /* lookup trampoline */
    void *flow;          /* per-endpoint heap state, freed with the context */
    fw_task task;        /* fw_oa_offload's hand-off to the work queue and back */
    fw_oa_step work, after;
    fw_jw *jw;           /* the JSON body's writer (json_start), in the caller's frame; checked by fw_oa_finish */
    fw_oa_pend_state pend; /* the last pending-table operation (fw_oa_pend) */
    fw_oa_step after_nonce; /* fw_oa_oauth1_nonce's continuation */
};

/* oauth_core.c */
fw_store *fw_oa_store(fw_oa_ctx *x);
struct fw_pending *fw_oa_pending(fw_oa_ctx *x);
/* kind's bounds (oauth_core.c's shares), for the shared table. */
fw_pending_limit fw_oa_pending_limit(fw_oa_ctx *x, uint8_t kind);
/* oauth_pend.c: runs op (FW_EPH_PUT, ADD, GET, TAKE of store.h) on (kind, key)
 * with val[0..len) (PUT/ADD; copied first, so val may be x->pend.val) for
 * owner and ttl_ms, then next(x) once with x->pend filled: rc, the key, and
 * the value stored (PUT/ADD) or found (GET/TAKE). */
void fw_oa_pend(fw_oa_ctx *x, uint8_t op, uint8_t kind, uint64_t owner, fw_str key, const void *val, size_t len,
                int64_t ttl_ms, fw_oa_step next);
/* Run a store credential lookup by consumer key / client id (by =
 * FW_AUTH_BY_CONSUMER_KEY or FW_AUTH_BY_CLIENT_ID) or by token hash; fill
 * x->rc, x->app, x->cred; then next(x) once, after the store released its
 * result. */
void fw_oa_lookup_key(fw_oa_ctx *x, uint8_t by, fw_str key, fw_oa_step next);
void fw_oa_lookup_hash(fw_oa_ctx *x, const uint8_t hash[32], fw_oa_step next);
/* Sends the response and frees x. */
void fw_oa_finish(fw_oa_ctx *x);
/* Runs work(x) on the OAuth work queue (core/workq.h), off the event loop,
 * then after(x) back on the request's loop (both inline when the request has
 * no executor). For what blocks: scrypt, synchronous store writes. x stays
 * allocated meanwhile and nothing else touches it; work reads x and writes
 * only its results into x->flow, and never answers (after does). When the
 * queue is full, busy(x) answers instead (a 503) and neither runs. */
void fw_oa_offload(fw_oa_ctx *x, fw_oa_step work, fw_oa_step after, fw_oa_step busy);
/* X v1.1 error {"errors":[{"code":..,"message":..}]}, then finish. */
void fw_oa_v1_error(fw_oa_ctx *x, int status, int code, const char *message);
/* 403 code 99 authenticity_token_error (app-only endpoints), then finish. */
void fw_oa_error99(fw_oa_ctx *x);
/* RFC 6749 5.2 {"error":..,"error_description":..}, then finish. */
void fw_oa2_error(fw_oa_ctx *x, int status, const char *error, const char *description);
/* Starts a 200 JSON body with Cache-Control: no-store. */
void fw_oa_json_ok(fw_oa_ctx *x, fw_jw *w);
void fw_oa_no_store(fw_req *req);
/* Verifies x->hdr's signature with the two secrets (the nonce is
 * fw_oa_oauth1_nonce's job, once a signature passed). */
bool fw_oa_oauth1_ok(fw_oa_ctx *x, fw_str consumer_secret, fw_str token_secret);
/* The same, returning the check's FW_OK / FW_E* code; with query_signed
 * false the base string leaves the query string out (a client that signed
 * the URL without its query and sent the query anyway). */
int fw_oa_oauth1_check(fw_oa_ctx *x, fw_str consumer_secret, fw_str token_secret, bool query_signed);
/* Records x->hdr's nonce (for every node on a shared store), then next(x)
 * with x->rc FW_OK (fresh), FW_ENONCE (replayed) or FW_EIO. */
void fw_oa_oauth1_nonce(fw_oa_ctx *x, fw_oa_step next);
/* Copies s into dst[cap] NUL-terminated; false (dst empty) if it does not fit
 * or contains a NUL byte. */
bool fw_oa_copy(char *dst, size_t cap, fw_str s);
/* The app name for a page, cut to FW_OA_NAME_MAX bytes on a UTF-8 boundary. */
void fw_oa_copy_name(char dst[FW_OA_NAME_MAX + 1], fw_str name);
/* Random URL-safe id: 32 bytes base64url (43 chars + NUL). */
int fw_oa_random_id(char out[44]);
/* True if uri is one of the '\n'-separated registered URIs, byte for byte. */
bool fw_oa_uri_registered(fw_str registered, fw_str uri);
/* OAuth 2.0 client authentication for /2/oauth2/token and revoke: Basic for
 * confidential clients, client_id for public ones. On success next(x) runs
 * with x->app set; otherwise the error is answered. */
void fw_oa_client_auth(fw_oa_ctx *x, fw_oa_step next);

/* oauth_pages.c: HTML and redirects (every page: no-store, DENY framing,
 * CSP). Each answers x and finishes it. */
void fw_oa_html_escape(fw_buf *b, fw_str s);
/* The sign-in and consent page for session id (error: static text or NULL). */
void fw_oa_page_consent(fw_oa_ctx *x, const fw_oa_session *s, const char *id, const char *error, fw_str username);
/* A page with a title and a message (static text) plus an escaped detail. */
void fw_oa_page_message(fw_oa_ctx *x, int status, const char *title, const char *message, fw_str detail);
/* 503 "try again later" (storage or RNG failure). */
void fw_oa_page_unavailable(fw_oa_ctx *x);
/* 302 to base with the pairs appended to its query (values percent-encoded). */
void fw_oa_redirect(fw_oa_ctx *x, fw_str base, const char *const *keys, const fw_str *vals, size_t n);

/* oauth_signin.c: sign-in sessions shared by both consent flows. */
/* Fills s->browser (cookie, set when missing), s->csrf and a new session id,
 * stores s, then next(x): with x->pend.rc FW_OK the stored session is in
 * x->pend.val and its id in x->pend.key, and next draws the page; else next
 * answers 503. */
void fw_oa_session_open(fw_oa_ctx *x, fw_oa_session *s, fw_oa_step next);
enum { FW_OA_DENIED = 1, FW_OA_ALLOWED = 2 };
/* A consent decision: x->flow while fw_oa_consent_post's next runs. */
typedef struct fw_oa_consent {
    int outcome;         /* FW_OA_DENIED, or FW_OA_ALLOWED with the user below */
    fw_oa_session s;     /* the session the form named (now ended) */
    uint64_t user_id;
    char screen_name[16];
    /* private to oauth_signin.c */
    fw_str id;           /* the session id the form sent (into x->prm) */
    fw_str username, password;
    int check;           /* the password check's result (on the work queue) */
    uint8_t flow;
    fw_oa_step next;
} fw_oa_consent;
/* The consent form's POST for flow (1 or 2): loads the session the form
 * names (CSRF: cookie and form token must match), reads action=allow|deny
 * and, for allow, checks the username and password on the work queue. Then
 * next(x) runs with x->flow a fw_oa_consent saying FW_OA_DENIED, or
 * FW_OA_ALLOWED with the user, after the session ended (a session is used
 * once, also by concurrent POSTs). Otherwise x is answered and finished and
 * next never runs (bad form, expired session, wrong password: the page
 * again, or the end of the session after too many attempts; 503 when the
 * work queue is full). x->flow must be unset. */
void fw_oa_consent_post(fw_oa_ctx *x, uint8_t flow, fw_oa_step next);

#endif
