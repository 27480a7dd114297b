/* Private to src/api: the per-request state shared by the router and the
 * endpoint handlers. */
#ifndef FW_API_INTERNAL_H
#define FW_API_INTERNAL_H

#include "api/api.h"
#include "api/pagetok.h"
#include "api/params.h"
#include "api/privacy.h"
#include "api/problem.h"
#include "api/rcache.h"
#include "api/render.h"
#include "api/routes.h"
#include "auth/authn.h"
#include "limits/policy.h"

struct fw_api {
    fw_api_config cfg;
    fw_store *store;
    fw_authn *authn;
    fw_limits *limits;
    uint8_t secret[32]; /* pagination-token key (the store secret) */
    struct fw_oauth *oauth; /* OAuth endpoints (oauth/oauth.h) */
    struct fw_portal *portal; /* developer portal pages (portal/portal.h) */
};

typedef struct fw_call {
    fw_api *api;
    fw_req *req;
    const fw_route *rt;   /* the matched row of api/routes.c */
    uint8_t route;        /* its index (the response cache keys on it) */
    int nseg;             /* path parameters in the matched pattern */
    fw_str seg1;          /* first path parameter as sent (id / username / source_user_id) */
    fw_str seg2;          /* second (target_user_id / requester_id) */
    uint64_t id1, id2;    /* their numeric values once validated */
    fw_principal who;
    fw_authn_op auth;
    fw_params params;
    fw_render_opts ro;
    bool has_limits;      /* lim holds this request's rate-limit decision */
    bool changed;         /* a write changed the graph (keeps its daily-cap units) */
    bool cacheable;       /* a read whose 200 body may go into the response cache */
    fw_limit_decision lim;
    fw_jw *jw;            /* the body's writer from fw_call_json, in the handler's frame; checked by finish */
} fw_call;

static inline fw_call *fw_call_of(fw_req *req) { return (fw_call *)(void *)req->api_space; }

/* Finishes the request: common headers, then req->done. A body whose writer
 * failed (fw_jw_error) is never sent: the answer becomes a 503 problem. */
void fw_call_finish(fw_call *c);
/* Starts a JSON success body in req->body_out (status 200). */
void fw_call_json(fw_call *c, fw_jw *w);
/* Offers the rendered 200 body (read from snapshot version) to the response
 * cache, with what it shows in d (the viewer and the path's user are added
 * here; d is borrowed for the call). */
void fw_call_cache_store(fw_call *c, uint64_t version, fw_rcache_deps *d);
/* The read options implied by the parsed parameters. */
fw_read_opts fw_call_read_opts(const fw_call *c);

/* Endpoint handlers: each ends in fw_call_finish (maybe asynchronously). */
void fw_h_user_lookup(fw_call *c);
void fw_h_users_lookup(fw_call *c);
void fw_h_list(fw_call *c);
void fw_h_follow(fw_call *c);
void fw_h_unfollow(fw_call *c);
void fw_h_request_answer(fw_call *c);
void fw_h_test_clock(fw_call *c);
/* GET /healthz: 200 while the process serves; GET /readyz: 200 when the store
 * answers and its schema is current (fw_store_ready), else 503. */
void fw_h_healthz(fw_call *c);
void fw_h_readyz(fw_call *c);

#endif
