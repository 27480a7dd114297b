/* Short-lived authorization state: OAuth 1.0a request tokens and verifiers,
 * sign-in sessions and authorization codes.
 *
 * An in-memory, thread-safe (one mutex), bounded table of (kind, key) ->
 * value entries, each with its own expiry and an owner tag (the app the entry
 * belongs to). Keys are stored only as a keyed hash (HMAC-SHA256 under a
 * per-table random key), so the table never holds a token in clear and
 * clients cannot aim keys at one bucket. Values are opaque byte strings
 * copied in and out; nothing returned borrows the table.
 *
 * Entries are single-use by design: fw_pending_take() removes the entry it
 * returns, so two requests racing to redeem one code cannot both win.
 *
 * Bounds: the whole table holds at most max_entries; each kind may be given
 * its own share (fw_pending_set_limit) and a cap per owner. An insert that
 * meets a cap first drops expired entries, then either evicts the oldest
 * entry of the same kind (of the same owner, for the per-owner cap) or fails
 * with FW_EFULL, as the kind's limit says. An entry is never evicted
 * to make room for another kind, so a flood of one kind (sign-in pages
 * anyone can open) cannot push out another (authorization codes), and with a
 * per-owner cap a flood through one app cannot push out another app's
 * entries. Within a kind "oldest" means inserted (or put) first, which is
 * also soonest to expire when the kind uses one lifetime.
 *
 * Callers pass the clock (fw_now_ms) in so tests can move it. The table is
 * owned by its creator (fw_pending_free). */
#ifndef FW_AUTH_PENDING_H
#define FW_AUTH_PENDING_H

#include "core/err.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define FW_PENDING_MAX_KEY 512    /* bytes of a key */
#define FW_PENDING_MAX_VALUE 8192 /* bytes of a value */
#define FW_PENDING_KINDS 16       /* kinds are 0 .. FW_PENDING_KINDS - 1 */

typedef struct fw_pending fw_pending;

/* How much of the table one kind may use. Every kind starts as {0, 0, true}:
 * bounded only by the table, evicting its own oldest entry when full. */
typedef struct fw_pending_limit {
    size_t max;       /* live entries of this kind at most; 0 = only the table's bound */
    size_t per_owner; /* entries of this kind with one owner at most; 0 = no such cap */
    bool evict;       /* at a cap: evict the kind's (owner's) oldest entry; false: refuse the insert */
} fw_pending_limit;

/* Creates a table holding at most max_entries (1..1,000,000). 0 or -1. */
int fw_pending_new(size_t max_entries, fw_pending **out);
void fw_pending_free(fw_pending *p);
/* Sets kind's limit (call before use). FW_OK or FW_EINVAL. */
int fw_pending_set_limit(fw_pending *p, uint8_t kind, fw_pending_limit lim);

/* Inserts or replaces (kind, key) with a copy of val, owned by owner,
 * expiring at now_ms + ttl_ms; a replaced entry counts as new (it becomes
 * the youngest). */
int fw_pending_put(fw_pending *p, uint8_t kind, uint64_t owner, fw_str key, const void *val, size_t len,
                   int64_t ttl_ms, int64_t now_ms);
/* Inserts only if no live entry has (kind, key): FW_EEXISTS otherwise. */
int fw_pending_add(fw_pending *p, uint8_t kind, uint64_t owner, fw_str key, const void *val, size_t len,
                   int64_t ttl_ms, int64_t now_ms);
/* Replaces the value of a live entry, keeping its owner, age and expiry. */
int fw_pending_update(fw_pending *p, uint8_t kind, fw_str key, const void *val, size_t len, int64_t now_ms);
/* Copies a live entry's value into out (cap bytes) and its length into *len. */
int fw_pending_get(fw_pending *p, uint8_t kind, fw_str key, void *out, size_t cap, size_t *len, int64_t now_ms);
/* Like get, and removes the entry (also when it had expired). On
 * FW_ESPACE the entry is removed all the same. */
int fw_pending_take(fw_pending *p, uint8_t kind, fw_str key, void *out, size_t cap, size_t *len, int64_t now_ms);
/* Live and expired-but-not-yet-purged entries: in the table, of one kind,
 * of one kind and owner. */
size_t fw_pending_count(fw_pending *p);
size_t fw_pending_count_kind(fw_pending *p, uint8_t kind);
size_t fw_pending_count_owner(fw_pending *p, uint8_t kind, uint64_t owner);

#endif
