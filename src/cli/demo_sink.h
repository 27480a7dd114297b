/* Where `followd demo` puts what it generates (cli/demo.c, demo_sink.c).
 *
 * Into an empty database everything is collected in memory and loaded at the
 * end through the bulk import (one transaction: COPY on PostgreSQL, MDB_APPEND
 * on LMDB), so a demo of tens of thousands of users costs a few round trips
 * instead of one or more per user. Into a database that already holds users
 * (the import wants an empty one) each item is written as it comes, with the
 * admin calls. The generator sees the same interface either way, so both make
 * the same database. */
#ifndef FW_CLI_DEMO_SINK_H
#define FW_CLI_DEMO_SINK_H

#include "store/store.h"

typedef struct fw_demo_sink fw_demo_sink;

/* A sink writing to s (borrowed); FW_ENOMEM or a store error. */
FW_MUSTCHECK int fw_demo_sink_open(fw_store *s, fw_demo_sink **out);
/* u->id 0 = a new id; *id_out receives the id. Strings are copied. */
FW_MUSTCHECK int fw_demo_sink_user(fw_demo_sink *k, const fw_user *u, uint64_t *id_out);
/* t->id must be 0 (a new id is given); *id_out receives it. Strings must
 * outlive the sink (the demo's are literals). */
FW_MUSTCHECK int fw_demo_sink_tweet(fw_demo_sink *k, const fw_tweet *t, uint64_t *id_out);
/* Sets user's pinned tweet. */
FW_MUSTCHECK int fw_demo_sink_pin(fw_demo_sink *k, uint64_t user, uint64_t tweet);
/* n (src, dst) pairs with fw_store_follow_bulk's semantics (repeats are
 * no-ops, protected targets get requests); copied. */
FW_MUSTCHECK int fw_demo_sink_follows(fw_demo_sink *k, const uint64_t *pairs, size_t n);
/* Writes what was collected (in bulk mode) and frees k; fw_err. */
FW_MUSTCHECK int fw_demo_sink_close(fw_demo_sink *k);

#endif
