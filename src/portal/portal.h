/* The developer portal: web pages under /portal/ where a developer signs up
 * (a followd user with a sign-in password and an approval status), creates
 * Projects and Apps, edits an App's user authentication settings and manages
 * its keys and tokens (docs/portal.md).
 *
 * Like oauth/, this layer does not route: the API's route table
 * (api/routes.c) maps each method and path to one of the page handlers below
 * and runs it with fw_portal_handle(), handing over the row's path
 * parameter. Every page runs on the portal's work queue (core/workq.h): its
 * store calls are the synchronous admin ones and sign-in runs scrypt, and
 * neither may block an event loop. The answer goes back to the request's
 * loop, which calls req->done.
 *
 * Sessions live in memory (auth/pending.h): a restart signs everyone out,
 * and several followd nodes behind one name would need them in the store.
 *
 * Ownership: fw_portal is created and freed by its user (the API) and shared
 * by every event-loop thread; it borrows the store. */
#ifndef FW_PORTAL_PORTAL_H
#define FW_PORTAL_PORTAL_H

#include <stdint.h>

#include "core/req.h"
#include "store/store.h"

typedef struct fw_portal fw_portal; /* opaque */

/* serve --portal-approval: new developer accounts are approved at once
 * (AUTO) or wait for `followd developer approve NAME` (MANUAL). */
enum fw_portal_approval { FW_PORTAL_MANUAL = 0, FW_PORTAL_AUTO = 1 };

struct fw_limits;
/* limits: the API's rate limiter (borrowed), read by the usage page and the
 * access-level tables. */
FW_MUSTCHECK int fw_portal_new(fw_store *store, struct fw_limits *limits, uint8_t approval, fw_portal **out);
void fw_portal_free(fw_portal *pt);

/* One request's context (opaque outside src/portal) and a page handler. */
typedef struct fw_pt_ctx fw_pt_ctx;
typedef void (*fw_pt_page)(fw_pt_ctx *x);

void fw_pt_home(fw_pt_ctx *x);         /* GET /portal: projects (or a redirect to sign in) */
void fw_pt_signup(fw_pt_ctx *x);       /* GET|POST /portal/signup */
void fw_pt_signin(fw_pt_ctx *x);       /* GET|POST /portal/signin */
void fw_pt_signout(fw_pt_ctx *x);      /* POST /portal/signout */
void fw_pt_script(fw_pt_ctx *x);       /* GET /portal/portal.js: the copy buttons */
void fw_pt_project_new(fw_pt_ctx *x);  /* GET|POST /portal/projects/new */
void fw_pt_project(fw_pt_ctx *x);      /* GET|POST /portal/projects/:id (edit, delete, new app) */
void fw_pt_app(fw_pt_ctx *x);          /* GET|POST /portal/apps/:id (settings, rename, delete) */
void fw_pt_keys(fw_pt_ctx *x);         /* GET|POST /portal/apps/:id/keys (generate, regenerate, revoke) */
void fw_pt_usage(fw_pt_ctx *x);        /* GET /portal/apps/:id/usage: daily caps and 15-minute windows */

/* Runs page on req (its response part is reset first); id is the row's path
 * parameter (empty when it has none). Returns 0: req->done is then called
 * exactly once, later on the request's loop (or inline without one); or -1
 * when out of memory or the work queue is full, touching nothing: the caller
 * answers. */
int fw_portal_handle(fw_portal *pt, fw_pt_page page, fw_str id, fw_req *req);

#endif
