/* One HTTP request and its response, independent of any HTTP library.
 *
 * The HTTP layer fills the "in" part, borrows it to the layers above
 * (api/ routes it, oauth/ answers the OAuth endpoints) and sends the "out"
 * part when done(req) is called. Everything in "in" stays valid until done;
 * the response part is owned by the fw_req (the HTTP layer allocates and
 * frees it). */
#ifndef FW_CORE_REQ_H
#define FW_CORE_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/exec.h"
#include "core/str.h"

#define FW_RESP_MAX_HEADERS 24

extern const char fw_ct_json[];    /* application/json; charset=utf-8 */
extern const char fw_ct_problem[]; /* application/problem+json */

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

    /* --- set by routing: the query carries credentials (OAuth endpoints),
     * so logs must not write its values --- */
    bool redact_query;

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

/* Adds a response header; name must be a static lower-case string. Headers
 * beyond FW_RESP_MAX_HEADERS are dropped. */
void fw_req_add_header(fw_req *req, const char *name, const char *value, size_t len);
void fw_req_add_header_u64(fw_req *req, const char *name, uint64_t v);

/* 503 with X's "Service Unavailable" problem body: storage failure, writer
 * misuse, out of memory. Shared by api/ and oauth/, so it lives with fw_req. */
void fw_problem_unavailable(fw_req *req);

#endif
