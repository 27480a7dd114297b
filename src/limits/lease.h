/* One node's lease of one shared limit key: the arithmetic, without locking
 * or I/O (limits/shared.h does both; store.h fw_store_lease is the
 * database's side).
 *
 * A node spends a lease's units locally, with no round trip, until the
 * lease's local deadline (use_until_ms, well before the database counts the
 * lease as expired) or its window's end; then it reports what it spent and
 * the database takes the unspent units back. "remaining" as this node
 * reports it is what nobody held at the last grant plus what this node still
 * holds: other nodes' spending since that grant shows at the next one (at
 * most a lease lifetime later), while the refusals themselves stay exact. */
#ifndef FW_LIMITS_LEASE_H
#define FW_LIMITS_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef struct fw_lease {
    int64_t window_end_ms; /* the window the units belong to; 0 = no lease yet */
    int64_t use_until_ms;  /* spend nothing from this lease at or after this time */
    int64_t last_use_ms;   /* the last spend or grant (idle leases go back early) */
    uint32_t units;        /* unspent units held */
    int32_t spent;         /* spent since the last report; < 0 after refunds of reported units */
    uint32_t rest;         /* units nobody held at the last grant */
    uint32_t nodes;        /* nodes holding a lease of the key at the last grant, this one included */
    uint32_t others;       /* units other nodes held at the last grant */
} fw_lease;

/* A unit can be spent now. */
bool fw_lease_usable(const fw_lease *l, int64_t now_ms);
/* Spends one unit (the caller checked fw_lease_usable). */
void fw_lease_spend(fw_lease *l, int64_t now_ms);
/* Gives back a unit spent in window window_end_ms; false (nothing changes)
 * when the lease has moved to another window since. */
bool fw_lease_refund(fw_lease *l, int64_t window_end_ms);
/* What this node reports as remaining in the window. */
uint32_t fw_lease_remaining(const fw_lease *l);
/* Units to ask for: a quarter of what looks free per node holding a lease,
 * at least 1 (so a lease shrinks to one unit near the end of the budget and
 * a window's last units are never parked on an idle node); limit when the
 * key was never leased by this node. */
uint32_t fw_lease_want(const fw_lease *l, uint32_t limit);
/* Whether the lease should be reported and returned now: it holds units or
 * unreported spends, and its deadline or its window passed, or it went
 * unused for idle_ms. */
bool fw_lease_due(const fw_lease *l, int64_t now_ms, int64_t idle_ms);
/* Starts a report (and renewal): the held units go back (this node stops
 * spending them at once) and *spent is what the report carries. When the
 * report fails (database unreachable) nothing more is done: the spends stay
 * to report later, and the units given back stay counted as leased by the
 * database until the lease expires, then as spent (erring on refusing). */
void fw_lease_begin(fw_lease *l, int32_t *spent);
/* Applies the database's answer to a report that carried spent: spends and
 * refunds made while the call ran stay for the next report, and the granted
 * units join any refunded meanwhile. */
void fw_lease_granted(fw_lease *l, const fw_lease_res *r, int32_t spent, int64_t now_ms, int64_t use_ms);

#endif
