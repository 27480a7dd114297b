/* Secrets: random material, hashing and constant-time comparison (OpenSSL 3).
 * All functions write into caller-provided buffers; nothing is allocated. */
#ifndef FW_CORE_SECRET_H
#define FW_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_SHA256_LEN 32

/* Fills buf with n cryptographically random bytes. Returns 0, or -1 if the
 * system RNG failed (callers must not fall back to weaker randomness). */
int fw_random_bytes(void *buf, size_t n);
/* Writes n random characters from [A-Za-z0-9] plus NUL to out (n+1 bytes). */
int fw_random_alnum(char *out, size_t n);
void fw_sha256(const void *data, size_t len, uint8_t out[FW_SHA256_LEN]);
/* HMAC-SHA256 of data under key; out receives 32 bytes. */
void fw_hmac_sha256(const void *key, size_t klen, const void *data, size_t len, uint8_t out[32]);
/* HMAC-SHA1 (OAuth 1.0a signatures); out receives 20 bytes. */
void fw_hmac_sha1(const void *key, size_t klen, const void *data, size_t len, uint8_t out[20]);
/* Constant-time equality of two byte strings; different lengths are unequal
 * (the length itself is not secret). */
bool fw_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* base32hex (RFC 4648 "0-9A-V", upper case, no padding). Encode writes
 * ceil(n*8/5) chars plus NUL; decode returns decoded length or -1 on a bad char. */
size_t fw_b32hex_encode(const uint8_t *in, size_t n, char *out);
long fw_b32hex_decode(const char *in, size_t n, uint8_t *out, size_t cap);
/* base64url without padding; encode writes the chars plus NUL, returns length. */
size_t fw_b64url_encode(const uint8_t *in, size_t n, char *out);
/* Standard base64 with padding (HTTP Basic); decode returns length or -1. */
size_t fw_b64_encode(const uint8_t *in, size_t n, char *out);
long fw_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);
/* Lower-case hex of n bytes plus NUL. */
void fw_hex(const uint8_t *in, size_t n, char *out);

#endif
