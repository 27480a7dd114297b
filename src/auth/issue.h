/* Issuing credentials: mint a token (auth/tokens.h) and record it in the
 * store, the one place that decides what a stored credential looks like.
 * Used by the OAuth endpoints and by the command line (app create, token,
 * demo).
 *
 * Bearer kinds are stored under the SHA-256 of the token (the store never
 * sees them in clear); OAuth 1.0a tokens under the token with their secret.
 * Every function writes the token into caller-provided buffers and returns
 * FW_OK or the store's FW_E* code (FW_EIO also when the RNG failed);
 * FW_ENOTFOUND means the app or user does not exist (any more). The store
 * writes are synchronous (an fsync'd transaction each), and the functions
 * are thread-safe: the OAuth endpoints call them on their work queue
 * (oauth/oauth_internal.h fw_oa_offload), never on an event loop. */
#ifndef FW_AUTH_ISSUE_H
#define FW_AUTH_ISSUE_H

#include <stdint.h>

#include "auth/tokens.h"
#include "core/err.h"
#include "store/store.h"

/* The app-only bearer token of generation gen (derived, so the same token
 * comes back until the generation changes); (re)stores its hash. */
FW_MUSTCHECK int fw_issue_app_bearer(fw_store *s, uint64_t app_id, uint32_t gen, char out[FW_TOKEN_MAX]);
/* An OAuth 2.0 user credential: kind FW_CRED_OAUTH2_USER (access token) or
 * FW_CRED_OAUTH2_REFRESH; ttl_ms 0 = no expiry; grant_id the authorization it
 * belongs to (fw_cred.grant_id; 0 = none). label != NULL derives a stable
 * token from the store secret and the label (the demo) instead of a random
 * one. */
FW_MUSTCHECK
int fw_issue_user_token(fw_store *s, uint8_t kind, uint64_t app_id, uint64_t user_id, uint32_t scopes, int64_t ttl_ms,
                        uint64_t grant_id, const char *label, char out[FW_TOKEN_MAX]);
/* A new random, nonzero grant id; FW_EIO if the RNG failed. */
FW_MUSTCHECK int fw_issue_grant_id(uint64_t *out);
/* An OAuth 1.0a access token and its secret; label as above. scopes is
 * FW_SCOPES_OAUTH1_WRITE or FW_SCOPES_OAUTH1_READ (auth/scopes.h): the
 * token's access level. */
FW_MUSTCHECK
int fw_issue_oauth1(fw_store *s, uint64_t app_id, uint64_t user_id, uint32_t scopes, const char *label,
                    char tok[FW_TOKEN_MAX], char sec[FW_TOKEN_MAX]);

#endif
