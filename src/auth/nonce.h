/* OAuth 1.0a nonce replay cache.
 *
 * Remembers (consumer key, nonce) pairs for as long as a replay of them could
 * still pass the timestamp check, so a captured signed request cannot be sent
 * twice. Thread-safe: the cache is split into shards, each behind its own
 * mutex, and a pair always lands in the same shard.
 *
 * Memory is fixed at creation (about 32 bytes per entry, never grows). Keys
 * are stored as 128-bit digests under a per-cache random secret, so clients
 * cannot choose nonces that pile into one bucket. Each shard is a
 * set-associative table: a pair hashes to one set of FW_NONCE_WAYS slots.
 * When that set is full of live entries, the entry closest to expiry (the
 * oldest) is evicted. Trade-off: a full cache keeps accepting requests instead
 * of failing closed (which would let a flood of fresh nonces lock everyone
 * out), at the price that a nonce evicted before its window ended could be
 * replayed once more. Size max_entries to at least the number of signed
 * requests expected in 2 * FW_NONCE_WINDOW_S seconds.
 *
 * The cache is opaque and owned by whoever created it; free it once no
 * thread uses it any more. */
#ifndef FW_AUTH_NONCE_H
#define FW_AUTH_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

/* Accepted clock skew in seconds; same value as the OAuth 1.0a timestamp check. */
#define FW_NONCE_WINDOW_S 300
/* Nonces are 1..FW_NONCE_MAX_LEN printable ASCII characters. */
#define FW_NONCE_MAX_LEN 64
/* Consumer keys longer than this are refused. */
#define FW_NONCE_MAX_KEY_LEN 256
/* Slots per set. */
#define FW_NONCE_WAYS 8

typedef struct fw_nonce_cache fw_nonce_cache;

/* Creates a cache that holds at most max_entries pairs (rounded up to a
 * whole number of sets; at least one set per shard). Returns 0, or -1 if
 * max_entries is 0 or too large, the RNG failed, or memory ran out. */
FW_MUSTCHECK int fw_nonce_cache_new(size_t max_entries, fw_nonce_cache **out);
void fw_nonce_cache_free(fw_nonce_cache *c);
/* Number of slots actually allocated (>= the max_entries asked for). */
size_t fw_nonce_cache_capacity(const fw_nonce_cache *c);

/* The input rules of fw_nonce_check_and_add (for callers that record nonces
 * elsewhere, e.g. in a store shared by several processes): 0 if nonce and
 * consumer_key are well-formed and ts_s is within now_s +- FW_NONCE_WINDOW_S,
 * else -2. A pair must be remembered until ts_s + FW_NONCE_WINDOW_S. */
FW_MUSTCHECK int fw_nonce_validate(fw_str consumer_key, fw_str nonce, int64_t ts_s, int64_t now_s);

/* Records nonce for consumer_key, signed at ts_s, as seen at now_s.
 * Returns 0 if it was fresh (and is now remembered until ts_s + window),
 * -1 if the pair is already remembered (replay), -2 on invalid input: a nonce
 * that is empty, longer than FW_NONCE_MAX_LEN or not printable ASCII, an empty
 * or overlong consumer key, or ts_s outside now_s +- FW_NONCE_WINDOW_S. */
FW_MUSTCHECK
int fw_nonce_check_and_add(fw_nonce_cache *c, fw_str consumer_key, fw_str nonce, int64_t ts_s, int64_t now_s);

#endif
