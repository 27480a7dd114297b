/* Short-lived authorization state: OAuth 1.0a request tokens, sign-in
 * sessions, authorization codes and refresh-token claims.
 *
 * An in-memory, thread-safe (one mutex), bounded table of (kind, key) ->
 * value entries, each with its own expiry. Keys are stored only as a keyed
 * hash (HMAC-SHA256 under a per-table random key), so the table never holds a
 * token in clear and clients cannot aim keys at one bucket. Values are opaque
 * byte strings copied in and out; nothing returned borrows the table.
 *
 * Entries are single-use by design: fw_pending_take() removes the entry it
 * returns, so two requests racing to redeem one code cannot both win. When
 * the table is full, expired entries are purged first, then the entry
 * closest to expiry is evicted (a flood can cut short other pending sign-ins,
 * but never makes the table grow). Callers pass the clock (fw_now_ms) in so
 * tests can move it. The table is owned by its creator (fw_pending_free). */
#ifndef FW_AUTH_PENDING_H
#define FW_AUTH_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define FW_PENDING_MAX_KEY 512    /* bytes of a key */
#define FW_PENDING_MAX_VALUE 8192 /* bytes of a value */

enum {
    FW_PENDING_OK = 0,
    FW_PENDING_ENOTFOUND = -1, /* absent or expired */
    FW_PENDING_EEXISTS = -2,   /* fw_pending_add: a live entry has that key */
    FW_PENDING_EINVAL = -3,    /* key or value too long, empty key, ttl <= 0 */
    FW_PENDING_ENOMEM = -4,
    FW_PENDING_ESPACE = -5,    /* out buffer smaller than the value */
};

typedef struct fw_pending fw_pending;

/* Creates a table holding at most max_entries (1..1,000,000). 0 or -1. */
int fw_pending_new(size_t max_entries, fw_pending **out);
void fw_pending_free(fw_pending *p);

/* Inserts or replaces (kind, key) with a copy of val, expiring at now_ms + ttl_ms. */
int fw_pending_put(fw_pending *p, uint8_t kind, fw_str key, const void *val, size_t len, int64_t ttl_ms,
                   int64_t now_ms);
/* Inserts only if no live entry has (kind, key): FW_PENDING_EEXISTS otherwise. */
int fw_pending_add(fw_pending *p, uint8_t kind, fw_str key, const void *val, size_t len, int64_t ttl_ms,
                   int64_t now_ms);
/* Replaces the value of a live entry, keeping its expiry. */
int fw_pending_update(fw_pending *p, uint8_t kind, fw_str key, const void *val, size_t len, int64_t now_ms);
/* Copies a live entry's value into out (cap bytes) and its length into *len. */
int fw_pending_get(fw_pending *p, uint8_t kind, fw_str key, void *out, size_t cap, size_t *len, int64_t now_ms);
/* Like get, and removes the entry (also when it had expired). On
 * FW_PENDING_ESPACE the entry is removed all the same. */
int fw_pending_take(fw_pending *p, uint8_t kind, fw_str key, void *out, size_t cap, size_t *len, int64_t now_ms);
/* Removes (kind, key) if present. */
void fw_pending_remove(fw_pending *p, uint8_t kind, fw_str key);
/* Live and expired-but-not-yet-purged entries. */
size_t fw_pending_count(fw_pending *p);

#endif
