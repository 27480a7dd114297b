/* fw_rls: rate-limit windows shared exactly by every node of one database,
 * with budget leased in chunks (store.h fw_store_lease, limits/lease.h).
 *
 * The same contract as fw_rl_take (limits/ratelimit.h): one unit from every
 * key, all or none, each with its own limit and window. A take that the
 * node's leases cover completes inline, without a round trip; otherwise it
 * goes to the node's lease thread, which renews the missing leases in the
 * database (blocking only itself, on a connection of its own) and completes
 * the take through the caller's executor. The same thread hands back leases that went idle
 * (IDLE_MS), reached their local deadline (USE_MS) or whose window ended,
 * reporting what was spent.
 *
 * Exact: the database never has more units spent + leased than the limit,
 * and a node spends only units leased to it, so all nodes together never
 * allow more than the limit. A take is refused only when the database has
 * nothing left to lease; while other nodes still hold units of the key, the
 * take waits (up to WAIT_MS) for them to be spent or handed back rather than
 * being refused, so concurrent clients spread over several nodes get exactly
 * the limit. If the database cannot be reached, takes that need a lease fail
 * with FW_EIO (the API answers 503); leases already held keep working until
 * their deadline.
 *
 * Thread-safe (one mutex over the node's lease table). Opaque; owned by its
 * creator. */
#ifndef FW_LIMITS_SHARED_H
#define FW_LIMITS_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/exec.h"
#include "limits/ratelimit.h"
#include "store/store.h"

typedef struct fw_rls fw_rls;

/* A lease table for at most max_keys keys, on st (which must share state:
 * fw_store_shares_state), and its thread. FW_OK, FW_EINVAL, FW_ENOMEM. */
FW_MUSTCHECK int fw_rls_new(fw_store *st, size_t max_keys, fw_rls **out);
/* Hands every lease back (reporting spends), stops the thread, frees. No
 * take may be in flight. */
void fw_rls_free(fw_rls *r);

/* cb(ctx, rc, verdict): rc FW_OK with verdict FW_RL_ALLOWED / FW_RL_LIMITED
 * and out[] filled as fw_rl_take fills it, or FW_EFULL (the lease table is
 * full), FW_EIO (no database), FW_EINVAL. keys, limits and window_ms are read
 * during the call; out must stay valid until cb. exec NULL: completes before
 * returning (blocking). */
typedef void (*fw_rls_cb)(void *ctx, int rc, int verdict);
void fw_rls_take(fw_rls *r, fw_exec *exec, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms,
                 size_t n, int64_t now_ms, fw_rl_state *out, fw_rls_cb cb, void *ctx);
/* What a take would see from this node's view (takes nothing, no round
 * trip): keys this node holds no lease of report their full limit. */
void fw_rls_peek(fw_rls *r, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n,
                 int64_t now_ms, fw_rl_state *out);
/* One key's usage as every node together has it, for reports (the portal's
 * Usage page): one database statement (blocking; never on an event loop),
 * made as a node that holds nothing, so it reports, takes and frees nothing.
 * remaining = units nobody holds + what this node still holds unspent; units
 * other nodes hold unspent count as used until they are handed back (within
 * a second). FW_OK or the store's fw_err. */
FW_MUSTCHECK int fw_rls_usage(fw_rls *r, fw_rl_key key, uint32_t limit, int64_t window_ms, int64_t now_ms,
                              fw_rl_state *out);
/* Gives back units a take took (as fw_rl_refund); returns how many. */
int fw_rls_refund(fw_rls *r, const fw_rl_key *keys, fw_rl_state *taken, size_t n);

#endif
