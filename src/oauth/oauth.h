/* The OAuth endpoints that hand credentials out, as X serves them:
 *
 *   OAuth 1.0a three-legged  POST /oauth/request_token, GET|POST /oauth/authorize
 *                            (and /oauth/authenticate), POST /oauth/access_token
 *   OAuth 2.0 + PKCE         GET|POST /i/oauth2/authorize (and /2/oauth2/authorize),
 *                            POST /2/oauth2/token, POST /2/oauth2/revoke
 *   App-only                 POST /oauth2/token, POST /oauth2/invalidate_token
 *
 * This layer does not route: the API's route table (api/routes.c) maps each
 * method and path to one of the endpoint handlers below and runs it with
 * fw_oauth_handle().
 *
 * Short-lived state (request tokens, verifiers, sign-in sessions,
 * authorization codes) lives in an in-memory table (auth/pending.h): a
 * restart invalidates flows in progress, never issued credentials, which go
 * to the store. Each kind has its own share of the table and a cap per app,
 * so a flood of sign-in pages cannot evict codes or verifiers, nor one app's
 * flood another app's sessions. docs/oauth.md describes every parameter,
 * error, lifetime and limit.
 *
 * Ownership: fw_oauth is created and freed by its user (the API) and shared
 * by every event-loop thread; it borrows the store. */
#ifndef FW_OAUTH_OAUTH_H
#define FW_OAUTH_OAUTH_H

#include "core/req.h"
#include "store/store.h"

typedef struct fw_oauth fw_oauth; /* opaque */

/* Entries of the pending table (sign-in pages, request tokens, codes,
 * verifiers; docs/oauth.md "Lifetimes and limits"): the default, and the
 * range serve --oauth-pending-max accepts. */
#define FW_OAUTH_PENDING_DEFAULT 16384 /* ~2 KiB each at most: 32 MiB worst case */
#define FW_OAUTH_PENDING_MIN 64        /* every per-app cap at least 2 */
#define FW_OAUTH_PENDING_LIMIT 1000000 /* fw_pending_new's bound */

/* public_base_urls: comma-separated extra base URLs accepted in OAuth 1.0a
 * signatures (may be NULL); pending_max: entries of the pending table
 * (FW_OAUTH_PENDING_MIN..FW_OAUTH_PENDING_LIMIT, 0 = the default), shared
 * among the kinds in fixed proportions. Returns 0 or -1. */
int fw_oauth_new(fw_store *store, const char *public_base_urls, size_t pending_max, fw_oauth **out);
void fw_oauth_free(fw_oauth *oa);

/* One request's context (opaque outside src/oauth) and an endpoint handler. */
typedef struct fw_oa_ctx fw_oa_ctx;
typedef void (*fw_oa_step)(fw_oa_ctx *x);

/* Endpoint handlers, for fw_oauth_handle. */
void fw_oa_request_token(fw_oa_ctx *x);  /* POST /oauth/request_token */
void fw_oa_access_token(fw_oa_ctx *x);   /* POST /oauth/access_token */
void fw_oa_authorize1(fw_oa_ctx *x);     /* GET and POST /oauth/authorize|authenticate */
void fw_oa_authorize2(fw_oa_ctx *x);     /* GET and POST /i/oauth2/authorize */
void fw_oa_token2(fw_oa_ctx *x);         /* POST /2/oauth2/token */
void fw_oa_revoke2(fw_oa_ctx *x);        /* POST /2/oauth2/revoke */
void fw_oa_app_token(fw_oa_ctx *x);      /* POST /oauth2/token */
void fw_oa_app_invalidate(fw_oa_ctx *x); /* POST /oauth2/invalidate_token */

/* Runs endpoint on req (its response part is reset first). Returns 0: req->done
 * is then called exactly once (inline or later on the request's loop); or -1
 * when out of memory, touching nothing: the caller answers. */
int fw_oauth_handle(fw_oauth *oa, fw_oa_step endpoint, fw_req *req);

#endif
