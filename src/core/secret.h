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

#endif
