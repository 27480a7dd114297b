/* X's error bodies, byte for byte where X's bytes are known.
 *
 * Auth-layer problems (401, 403, 429) are pretty-printed
 * application/problem+json exactly as X serves them; request validation (400)
 * and resource problems inside 200 responses are compact JSON. Every function
 * sets status, content type and body on the request; none calls done. */
#ifndef FW_API_PROBLEM_H
#define FW_API_PROBLEM_H

#include <stdint.h>

#include "api/api.h"
#include "core/jsonw.h"

void fw_problem_unauthorized(fw_req *req);            /* 401 about:blank */
void fw_problem_forbidden(fw_req *req);               /* 403 about:blank */
void fw_problem_unsupported_auth(fw_req *req);        /* 403 app-only on a user-context endpoint */
void fw_problem_user_suspended(fw_req *req);          /* 403 the authenticating user is suspended */
void fw_problem_oauth1_permissions(fw_req *req);      /* 403 a read-only OAuth 1.0a token on a write endpoint */
void fw_problem_too_many(fw_req *req);                /* 429 */
void fw_problem_client_forbidden(fw_req *req, uint64_t app_id, const char *required_enrollment, int standalone);
void fw_problem_not_found_route(fw_req *req);         /* 404 unknown path */
/* 400 invalid-request around already-written error items (params.h). */
void fw_problem_invalid_request(fw_req *req, const fw_buf *items);

/* Resource-level problem objects written inside an "errors" array. */
void fw_problem_item_not_found(fw_jw *w, const char *parameter, fw_str value, const char *noun);
/* Generic resource-not-found item: detail is prefix + value + "].". */
void fw_problem_item_missing(fw_jw *w, const char *parameter, fw_str value, const char *detail_prefix,
                             const char *resource_type);
void fw_problem_item_suspended(fw_jw *w, const char *parameter, fw_str value);
void fw_problem_item_not_authorized(fw_jw *w, const char *parameter, fw_str value);
/* A withheld post in includes: parameter is the expansion that referenced it
 * (pinned_tweet_id, most_recent_tweet_id), value its id. */
void fw_problem_item_post_not_authorized(fw_jw *w, const char *parameter, fw_str value);

#endif
