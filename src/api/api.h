/* The API layer: X API v2 semantics, independent of any HTTP library.
 *
 * The HTTP layer turns each incoming request into an fw_req (core/req.h), calls
 * fw_api_handle(), and sends the response when the API calls req->done(req).
 * done is called exactly once, either before fw_api_handle returns or later
 * on the same thread (after an asynchronous store operation completed through
 * req->exec). Everything in the "in" part must stay valid until done; the
 * response part is owned by the fw_req (the HTTP layer allocates and frees it). */
#ifndef FW_API_API_H
#define FW_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/req.h"
#include "store/store.h"

typedef struct fw_api fw_api; /* opaque */

typedef struct fw_api_config {
    bool rate_limits;        /* enforce windows and daily caps */
    bool test_clock;         /* expose POST /_test/clock to loopback clients */
    const char *public_base_urls; /* extra base URLs for OAuth 1.0a, comma separated */
    const char *limits_spec; /* overrides of X's limits ("follow.user_day=400,..."), may be NULL */
    bool response_cache;     /* serve repeated reads from the snapshot-validated cache (api/rcache.h) */
    size_t oauth_pending_max; /* entries of the OAuth pending table; 0 = FW_OAUTH_PENDING_DEFAULT */
    uint8_t portal_approval;  /* new developer accounts: enum fw_portal_approval (portal/portal.h) */
} fw_api_config;

/* Creates the API over an open store (borrowed: must outlive the api).
 * Returns 0, or -1 with a one-line reason in err (e.g. a bad limits_spec). */
int fw_api_new(const fw_api_config *cfg, fw_store *store, fw_api **out, char *err, size_t errlen);
void fw_api_free(fw_api *api);
/* Handles one request; see the contract above. Thread-safe: one fw_api serves
 * every event-loop thread. */
void fw_api_handle(fw_api *api, fw_req *req);

/* True if the query of a request for path carries credentials, so that logs
 * keep only its parameter names. fw_api_handle records this in
 * req->redact_query; this answers for requests the API never saw (refused by
 * the HTTP layer). */
bool fw_api_query_is_secret(fw_str path);

#endif
