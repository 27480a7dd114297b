/* fw_rl: exact, sharded, fixed-window counters (the engine under policy.h).
 *
 * A bucket is named by an fw_rl_key and counts units taken in its current
 * window. A window opens at the first take that finds no live bucket and ends
 * window_ms later (X's "reset = first request + 15 min"); the next take after
 * that opens a fresh one. Limits and window lengths are passed with every
 * call, so one fw_rl serves any number of policies.
 *
 * Concurrency: every function is thread-safe. Buckets live in 64 shards, each
 * a small open-addressing table behind its own mutex; a call locks only the
 * shards its keys hash to, in ascending order, so a multi-key take is atomic
 * (all or none) and exact without any global lock.
 *
 * Memory: at most max_buckets (rounded up to a multiple of the shard count)
 * buckets exist; expired buckets are evicted lazily when a shard needs room
 * and by fw_rl_sweep(). Live buckets are never evicted: a take that would
 * need a new bucket in a full shard fails with FW_EFULL and takes nothing.
 * A take that is refused for lack of units creates no bucket.
 *
 * Time is always the caller's now_ms (ms since the epoch, >= 0) so tests can
 * move the clock. Ownership: the caller owns every array it passes. */
#ifndef FW_LIMITS_RATELIMIT_H
#define FW_LIMITS_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Errors are FW_* codes (core/err.h). Whether the units were there is not an
 * error but a verdict, reported through an out-parameter. */
enum fw_rl_verdict {
    FW_RL_ALLOWED = 0, /* every key had a unit (fw_rl_take took them) */
    FW_RL_LIMITED = 1, /* some key had no unit left; nothing was taken */
};

/* Most keys one call may name (policy uses at most three). */
#define FW_RL_MAX_KEYS 8
/* Longest window accepted (one year), which keeps now + window far from overflow. */
#define FW_RL_MAX_WINDOW_MS (366LL * 24 * 3600 * 1000)

typedef struct fw_rl fw_rl; /* opaque */

typedef struct fw_rl_key {
    uint64_t a, b;  /* e.g. app id, user id */
    uint32_t kind;  /* e.g. endpoint and scope */
} fw_rl_key;

typedef struct fw_rl_state {
    uint32_t limit;
    uint32_t remaining; /* after this call's take, if it took */
    int64_t reset_s;    /* end of the window, epoch seconds rounded up */
    int64_t reset_ms;   /* end of the window; also names it for fw_rl_refund */
    bool allowed;       /* this key alone had a unit to give */
} fw_rl_state;

/* Creates an empty limiter holding at most max_buckets buckets
 * (1 .. 2^34; rounded up to a multiple of the shard count). */
FW_MUSTCHECK int fw_rl_new(size_t max_buckets, fw_rl **out);
void fw_rl_free(fw_rl *rl);

/* Takes one unit from every bucket keys[0..n), all or none, each with its
 * own limits[i] and window_ms[i] (1 .. FW_RL_MAX_WINDOW_MS). Keys must be
 * distinct and 1 <= n <= FW_RL_MAX_KEYS. out[i] receives each bucket's state
 * (for a refused take: as it is, untouched). Returns FW_OK with *verdict
 * FW_RL_ALLOWED (taken) or FW_RL_LIMITED (nothing taken; out[i].allowed says
 * which key refused), or a negative FW_E* (nothing taken, out[] and *verdict
 * unspecified). */
FW_MUSTCHECK int fw_rl_take(fw_rl *rl, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms,
                            size_t n, int64_t now_ms, fw_rl_state *out, int *verdict);

/* Same arguments and answer as fw_rl_take, but takes nothing and creates no
 * bucket: reports what a take would see. */
FW_MUSTCHECK int fw_rl_peek(fw_rl *rl, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms,
                            size_t n, int64_t now_ms, fw_rl_state *out, int *verdict);

/* Gives back the unit a successful fw_rl_take took from each keys[i], but only
 * to the same window: taken[i] is the state that take returned, and a bucket
 * whose window has since been replaced is left alone (its unit already came
 * back with the reset). taken[i].remaining goes up by one for each unit given
 * back. Atomic across keys. Returns how many units came back, or FW_EINVAL. */
FW_MUSTCHECK int fw_rl_refund(fw_rl *rl, const fw_rl_key *keys, fw_rl_state *taken, size_t n);

/* Evicts every bucket whose window ended at or before now_ms; returns how
 * many. Locks one shard at a time, so it can run beside the request path. */
size_t fw_rl_sweep(fw_rl *rl, int64_t now_ms);
/* Number of buckets currently held, expired or not (for tests and stats). */
size_t fw_rl_count(fw_rl *rl);
/* The bucket cap after rounding. */
size_t fw_rl_capacity(const fw_rl *rl);

#endif
