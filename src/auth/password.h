/* Password hashing for the sign-in pages: scrypt (OpenSSL EVP_PBE_scrypt)
 * with a per-password random salt, verified in constant time.
 *
 * A hash is a self-describing 52-byte record: version (1), log2 N, r, p,
 * 16 bytes of salt, 32 bytes of derived key. Verification reads the cost
 * parameters from the record (so they can be raised later without breaking
 * stored hashes) but only within sane bounds, so a corrupt record cannot make
 * a verification take unbounded memory. Pure functions, thread-safe; each
 * hash or check costs ~0.1 s of CPU, so servers run them off the event loop
 * (the sign-in pages use the OAuth work queue). */
#ifndef FW_AUTH_PASSWORD_H
#define FW_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "store/store.h"

#define FW_PASSWORD_HASH_LEN 52
#define FW_PASSWORD_MAX 1024 /* bytes of a password */

/* Errors are FW_* codes (core/err.h): FW_EINVAL for an empty or overlong
 * password or a malformed record, FW_ECRYPTO when the KDF or RNG fails. */

/* Hashes pw (1..FW_PASSWORD_MAX bytes) with a fresh salt into out. */
FW_MUSTCHECK int fw_password_hash(const char *pw, size_t len, uint8_t out[FW_PASSWORD_HASH_LEN]);
/* Checks pw against a stored record: FW_OK with *match saying whether it is
 * the password, or an error (then *match is false). */
FW_MUSTCHECK int fw_password_verify(const char *pw, size_t len, const uint8_t *rec, size_t rec_len, bool *match);
/* Spends the same time as a verification and fails: used when the user does
 * not exist or has no password, so timing does not reveal which. */
void fw_password_burn(const char *pw, size_t len);

/* Signs a user in with the password stored for it (the OAuth consent pages
 * and the developer portal): 0 signed in (*uid and name[16], NUL-terminated,
 * set), 1 wrong username or password, 2 the account is suspended, -1 storage
 * failure. Unknown users cost the same scrypt time as wrong passwords. Runs
 * scrypt: never on an event loop. */
int fw_password_sign_in(fw_store *st, fw_str username, fw_str password, uint64_t *uid, char name[16]);

#endif
