/* The API layer: X API v2 semantics, independent of any HTTP library.
 *
 * The HTTP layer turns each incoming request into an fw_req, calls
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

#include "core/buf.h"
#include "core/str.h"
#include "store/store.h"

#define FW_RESP_MAX_HEADERS 24

typedef struct fw_resp_hdr {
    const char *name; /* static, lower-case */
    size_t off, len;  /* value bytes in fw_req.hdr_vals */
} fw_resp_hdr;

typedef struct fw_req {
    /* --- in (borrowed from the HTTP layer) --- */
    fw_str method;
    fw_str path;          /* raw request path, without the query */
    fw_str query;         /* raw query string without '?', empty if none */
    fw_str authorization; /* Authorization header, empty if absent */
    fw_str content_type;  /* Content-Type header, empty if absent */
    fw_str host;          /* Host / :authority */
    fw_str cookie;        /* Cookie header (sign-in pages) */
    fw_str body;          /* whole request body (already size-limited) */
    bool tls;
    bool loopback;        /* peer address is 127.0.0.0/8 or ::1 */
    fw_exec *exec;        /* the event loop this request belongs to */

    /* --- out (owned by the fw_req) --- */
    int status;
    const char *content_type_out; /* static string */
    fw_buf body_out;
    fw_buf hdr_vals;
    fw_resp_hdr hdrs[FW_RESP_MAX_HEADERS];
    int nhdrs;

    /* --- completion --- */
    void (*done)(struct fw_req *req);
    void *http_data;      /* the HTTP layer's own per-request state */

    /* --- the API layer's per-request state, kept inline so that a request
     * costs no allocation beyond what the HTTP layer pools --- */
    uint64_t api_space[640];
} fw_req;

/* Adds a response header; name must be a static lower-case string. */
void fw_req_add_header(fw_req *req, const char *name, const char *value, size_t len);
void fw_req_add_header_u64(fw_req *req, const char *name, uint64_t v);

typedef struct fw_api fw_api; /* opaque */

typedef struct fw_api_config {
    bool rate_limits;        /* enforce windows and daily caps */
    bool test_clock;         /* expose POST /_test/clock to loopback clients */
    const char *public_base_urls; /* extra base URLs for OAuth 1.0a, comma separated */
    const char *limits_spec; /* overrides of X's limits ("follow.user_day=400,..."), may be NULL */
    bool response_cache;     /* serve repeated reads from the snapshot-validated cache (api/rcache.h) */
} fw_api_config;

/* Creates the API over an open store (borrowed: must outlive the api).
 * Returns 0, or -1 with a one-line reason in err (e.g. a bad limits_spec). */
int fw_api_new(const fw_api_config *cfg, fw_store *store, fw_api **out, char *err, size_t errlen);
void fw_api_free(fw_api *api);
/* Handles one request; see the contract above. Thread-safe: one fw_api serves
 * every event-loop thread. */
void fw_api_handle(fw_api *api, fw_req *req);

#endif
