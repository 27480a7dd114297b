/* PKCE (RFC 7636): code challenge methods and verification. Pure functions. */
#ifndef FW_AUTH_PKCE_H
#define FW_AUTH_PKCE_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

enum fw_pkce_method { FW_PKCE_PLAIN = 1, FW_PKCE_S256 = 2 };

/* Verifier and plain challenge length bounds. RFC 7636 4.1 caps verifiers at
 * 128 characters, but tweepy (oauthlib's create_code_verifier(128)) sends
 * 171, and X accepts them, so followd does too, up to 256. */
#define FW_PKCE_MIN_LEN 43
#define FW_PKCE_MAX_LEN 256

/* "S256" or "plain", compared case-insensitively (the node SDKs send "s256").
 * Returns the method, or 0 if unknown. */
FW_MUSTCHECK int fw_pkce_method_parse(fw_str s);
/* True if s has 43..256 characters from [A-Za-z0-9-._~] (the RFC 7636 grammar
 * for verifiers and challenges, with the longer bound above). */
bool fw_pkce_valid(fw_str s);
/* BASE64URL(SHA256(verifier)) without padding: 43 characters plus NUL. */
void fw_pkce_s256(fw_str verifier, char out[44]);
/* True if verifier is well formed and matches challenge under method
 * (compared in constant time). */
bool fw_pkce_verify(int method, fw_str challenge, fw_str verifier);

#endif
