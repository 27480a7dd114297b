/* OAuth 1.0a (RFC 5849) request verification: pure functions, no I/O.
 *
 * Flow for a request carrying `Authorization: OAuth ...`:
 *   1. fw_oauth1_parse() splits the header into a fw_oauth1_hdr (no allocation).
 *   2. The caller looks up the consumer secret for h.consumer_key and the token
 *      secret for h.token (empty for oauth/request_token).
 *   3. fw_oauth1_verify() checks the signature method, version, timestamp and the
 *      HMAC-SHA1 signature against every candidate base URL.
 *   4. The caller records the nonce with fw_nonce_check_and_add() (auth/nonce.h);
 *      a replay maps to FW_ENONCE.
 *
 * Ownership: fw_oauth1_hdr borrows the authorization bytes (raw pairs point into
 * them) and keeps decoded values in its own storage, so it must not be copied
 * by value or outlive the header string. fw_oauth1_req only borrows. */
#ifndef FW_AUTH_OAUTH1_H
#define FW_AUTH_OAUTH1_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* Limits on client-controlled sizes. */
#define FW_OA1_MAX_HEADER 4096     /* whole Authorization value, bytes */
#define FW_OA1_MAX_PARAMS 32       /* parameters in the header, realm included */
#define FW_OA1_MAX_NAME 64         /* parameter name length */
#define FW_OA1_MAX_VALUE 1024      /* percent-encoded value length */
#define FW_OA1_MAX_SIGNED 256      /* query + form body + header parameters signed */
#define FW_OA1_MAX_SIGNED_BYTES 65536 /* query + form body bytes fed to the base string */
#define FW_OA1_MAX_BASE_URLS 8     /* candidate base URLs tried per request */
#define FW_OA1_TS_WINDOW_S 300     /* accepted |now - oauth_timestamp| */

typedef struct fw_oauth1_pair {
    fw_str k, v; /* raw, still percent-encoded, slices of the header */
} fw_oauth1_pair;

typedef struct fw_oauth1_hdr {
    /* Percent-decoded values; .p == NULL means the parameter was absent
     * (present but empty gives .p != NULL, .len == 0). */
    fw_str consumer_key, token, signature_method, signature, timestamp, nonce, version, callback, verifier;
    int64_t ts; /* oauth_timestamp as a number */
    /* Every parameter except realm, raw, in header order; oauth_signature is
     * kept here but left out of the base string. */
    fw_oauth1_pair raw[FW_OA1_MAX_PARAMS];
    size_t nraw;
    char store[FW_OA1_MAX_HEADER]; /* backing bytes of the decoded values */
    size_t store_len;
} fw_oauth1_hdr;

/* Parses an Authorization header value ("OAuth k=\"v\", ..."; scheme name
 * case-insensitive, pairs separated by ',' with optional spaces/tabs, values
 * double-quoted and percent-encoded, optional realm). Returns FW_OK,
 * FW_EMALFORMED (syntax, duplicate name, limit exceeded, non-numeric
 * timestamp), FW_EMISSING (oauth_consumer_key, oauth_signature,
 * oauth_signature_method, oauth_timestamp or oauth_nonce absent) or
 * FW_ENONCE (nonce not 1..64 printable ASCII). Never allocates. */
FW_MUSTCHECK int fw_oauth1_parse(fw_str authorization, fw_oauth1_hdr *out);

/* The request as received. path: raw path without the query ("/2/users/me");
 * query: raw query without '?' (may be empty); content_type/body: the form
 * body is signed only when content_type is application/x-www-form-urlencoded.
 * base_urls: candidates "scheme://host[:port]" (http or https; case and a
 * default port are normalised away; a trailing '/' is ignored), e.g. the URL
 * followd is reached at, built from the Host header, plus the configured
 * public ones ("https://api.x.com", "https://api.twitter.com"). */
typedef struct fw_oauth1_req {
    fw_str method, path, query, content_type, body;
    const fw_str *base_urls;
    size_t nbase;
} fw_oauth1_req;

/* Checks signature method, version, timestamp (against now_s) and the
 * signature; accepts if any base URL matches, with the parameters either as
 * RFC 5849 prescribes or, when that fails, with identical duplicate
 * parameters merged (twitter-api-v2 signs a body oauth_token that repeats the
 * header one only once). Does NOT touch the nonce cache (the caller does it
 * after the credential lookup). Returns FW_OK or a negative FW_E* (core/err.h). */
FW_MUSTCHECK
int fw_oauth1_verify(const fw_oauth1_hdr *h, const fw_oauth1_req *r, fw_str consumer_secret, fw_str token_secret,
                     int64_t now_s);

/* Flags for fw_oauth1_base_string_ex(). */
#define FW_OA1_BS_MERGE_DUPS 1

/* Builds the RFC 5849 signature base string for one base URL into out
 * (replacing its contents). Returns FW_OK or FW_EMALFORMED. */
FW_MUSTCHECK int fw_oauth1_base_string(const fw_oauth1_hdr *h, const fw_oauth1_req *r, fw_str base_url, fw_buf *out);
/* Same, with flags. With FW_OA1_BS_MERGE_DUPS, parameters repeated with the
 * same name and value are signed once; returns 1 (out untouched) when that
 * variant does not apply: nothing repeats, or a name repeats with different
 * values (ambiguous, never merged). */
FW_MUSTCHECK int fw_oauth1_base_string_ex(const fw_oauth1_hdr *h, const fw_oauth1_req *r, fw_str base_url, int flags,
                             fw_buf *out);

#endif
