/* OAuth 1.0a request check: everything after the credential lookup that the
 * API's authentication (auth/authn.h) and the OAuth endpoints (oauth/oauth.h)
 * both do with a signed request. Builds the candidate base URLs (how the
 * request reached us, from its Host header, then the configured public
 * ones), verifies the signature (auth/oauth1.h) and records the nonce
 * (auth/nonce.h) so the request cannot be replayed.
 *
 * Ownership: opaque, created and freed by its owner; thread-safe (the nonce
 * cache locks itself, the rest is read-only after creation). */
#ifndef FW_AUTH_OAUTH1_CHECK_H
#define FW_AUTH_OAUTH1_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/oauth1.h"
#include "core/err.h"
#include "core/exec.h"
#include "core/str.h"
#include "store/store.h"

/* Public base URLs kept from the configured list; the rest are ignored. */
#define FW_OA1C_MAX_PUBLIC (FW_OA1_MAX_BASE_URLS - 1)

typedef struct fw_oauth1_check fw_oauth1_check;

/* public_base_urls: comma-separated extra base URLs (may be NULL);
 * nonce_slots: size of the replay cache (nonce.h). 0 or -1. */
FW_MUSTCHECK int fw_oauth1_check_new(const char *public_base_urls, size_t nonce_slots, fw_oauth1_check **out);
void fw_oauth1_check_free(fw_oauth1_check *c);

/* The request as received (all borrowed for the call). */
typedef struct fw_oauth1_http {
    fw_str method, path, query, content_type, body;
    fw_str host; /* Host / :authority */
    bool tls;
} fw_oauth1_http;

/* Verifies h's signature with the two secrets at now_s, then records its
 * nonce. Returns FW_OK or a negative FW_E* (core/err.h; FW_ENONCE for a
 * replay). */
FW_MUSTCHECK
int fw_oauth1_check_run(fw_oauth1_check *c, const fw_oauth1_hdr *h, const fw_oauth1_http *req, fw_str consumer_secret,
                        fw_str token_secret, int64_t now_s);

/* The two halves of fw_oauth1_check_run for callers that may have to wait
 * for the nonce: the signature check alone (same result codes), then
 * fw_oauth1_check_nonce. */
FW_MUSTCHECK
int fw_oauth1_check_sig(fw_oauth1_check *c, const fw_oauth1_hdr *h, const fw_oauth1_http *req, fw_str consumer_secret,
                        fw_str token_secret, int64_t now_s);
/* Records h's nonce where every process serving st sees it: in the store
 * when it shares state (fw_store_shares_state: a replay to another node is
 * refused), else in c's own cache. cb(ctx, rc) runs once, inline or through
 * exec, with FW_OK (fresh), FW_ENONCE (malformed or replayed) or FW_EIO (the
 * store could not tell: the request must not proceed). h is read during the
 * call only. */
void fw_oauth1_check_nonce(fw_oauth1_check *c, fw_store *st, fw_exec *exec, const fw_oauth1_hdr *h, int64_t now_s,
                           fw_nonce_cb cb, void *ctx);

#endif
