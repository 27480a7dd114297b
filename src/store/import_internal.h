/* Private to src/store/: the bulk-import collector that every backend's
 * fw_store_import_begin returns (lmdb_import.c), and what a backend's writer
 * sees of it at commit.
 *
 * The collector validates and keeps everything in memory (store.h "Bulk
 * import"); fw_store_import_commit ranks users by id, gives every edge its
 * sequence number and finds duplicate pairs, and only then calls the writer
 * the backend registered, which loads the prepared items in one transaction
 * of its own (LMDB: MDB_APPEND in key order; PostgreSQL: COPY). The views
 * below are valid only during that call; strings borrow the collector. */
#ifndef FW_STORE_IMPORT_INTERNAL_H
#define FW_STORE_IMPORT_INTERNAL_H

#include "store/store.h"

typedef void (*fw_import_progress)(void *ctx, const char *phase, uint64_t done, uint64_t total);
/* Writes the prepared import into im's store; fw_err (FW_EEXISTS: the database
 * is no longer empty). Must not free im. */
typedef int (*fw_import_writer)(fw_import *im, fw_import_progress progress, void *ctx);

/* A new, empty collector for s whose commit ends in write. FW_ENOMEM. */
FW_MUSTCHECK int fw_import_new(fw_store *s, fw_import_writer write, fw_import **out);
fw_store *fw_import_store(const fw_import *im);

size_t fw_import_nusers(const fw_import *im);
/* The user of rank r (id order) with its computed counters and no default_json. */
void fw_import_user_at(const fw_import *im, size_t r, fw_user *u);
size_t fw_import_ntweets(const fw_import *im);
/* Tweet i in the order added. */
void fw_import_tweet_at(const fw_import *im, size_t i, fw_tweet *t);
size_t fw_import_nedges(const fw_import *im);
/* Edge i in (src, dst) order: FW_REL_FOLLOWING or FW_REL_PENDING, its ids and
 * its sequence number (1..nedges, larger = newer). */
void fw_import_edge_at(const fw_import *im, size_t i, uint8_t *rel, uint64_t *src, uint64_t *dst, uint64_t *seq);

#endif
