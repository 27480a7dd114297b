/* Minting credentials in the formats X uses.
 *
 * Bearer-style tokens are never stored: the store keeps their SHA-256 only.
 * App-only bearer tokens are derived (HMAC of the store secret, app id and a
 * generation number) so that POST /oauth2/token can hand out "the same token
 * until invalidated", as X documents, without keeping it in clear. */
#ifndef FW_AUTH_TOKENS_H
#define FW_AUTH_TOKENS_H

#include <stdint.h>

#include "core/err.h"

#define FW_TOKEN_MAX 128

/* Derived app-only bearer token: "AAAAAAAAAAAAAAAAAAAAA" + 43 base64url chars. */
void fw_token_app_bearer(const uint8_t secret[32], uint64_t app_id, uint32_t gen, char out[FW_TOKEN_MAX]);
/* A token derived from the store secret and a label (the demo's stable tokens). */
void fw_token_derived(const uint8_t secret[32], const char *label, char out[FW_TOKEN_MAX]);
/* A fresh random OAuth 2.0 token in X's layout: base64url("<random>:<ms>:1:1:<kind>:1"),
 * kind "at" (access), "rt" (refresh) or "ac" (authorization code). */
FW_MUSTCHECK int fw_token_oauth2(const char *kind, int64_t now_ms, char out[FW_TOKEN_MAX]);
/* A fresh OAuth 1.0a access token "<user_id>-<40 alnum>" and its 45-char secret. */
FW_MUSTCHECK int fw_token_oauth1(uint64_t user_id, char token[FW_TOKEN_MAX], char secret[FW_TOKEN_MAX]);

#endif
