/* Response cache: rendered 200 bodies of read endpoints, per thread, each
 * kept valid for as long as nothing it shows has changed.
 *
 * A body is a pure function of the request (route, path, query), the
 * viewer (principal kind and user id) and the store snapshot it was read
 * from. Each entry remembers its snapshot version and the users it depends
 * on: the viewer, the path's user, and, when it shows counters, every user
 * (and tweet author) it shows (fw_rcache_deps says why that is enough).
 * While fw_store_version() still returns that version, the entry is served at
 * once. After a write, the entry is checked against the store's change log
 * (fw_store_changes): if no commit since its version touched any of its users,
 * it is still exactly what a fresh read would produce and is served (and moved
 * to the new version); otherwise it is dropped. A follow therefore stales only
 * the pages that show one of its two users; a change the log cannot describe
 * precisely (a profile edit, an import, a write from an older binary's
 * database) stales everything. Writes from other processes are in the log too.
 * Authentication, rate limits and validation still run for every request;
 * only the store read and the rendering are skipped.
 *
 * Per-thread (no locks). Memory is bounded: the configured bytes of keys and
 * bodies per thread (FW_RCACHE_BYTES unless fw_rcache_configure said
 * otherwise), one slot per FW_RCACHE_SLOT_BYTES of that in 4-way sets (the
 * least recently used entry of a set is replaced), plus the change index (at
 * most FW_RCACHE_INDEX_MAX user ids). */
#ifndef FW_API_RCACHE_H
#define FW_API_RCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"
#include "store/store.h"

#define FW_RCACHE_KEY_MAX 1024
#define FW_RCACHE_BYTES ((size_t)256 << 20)    /* keys and bodies per thread, by default */
#define FW_RCACHE_RAM_SHARE 16                 /* by default all threads' budgets <= 1/16 of RAM */
#define FW_RCACHE_MIN_BYTES ((size_t)1 << 20)  /* the least fw_rcache_configure sets */
#define FW_RCACHE_SLOT_BYTES ((size_t)4 << 10) /* budget per slot: how many slots a budget has */
#define FW_RCACHE_INDEX_MAX ((size_t)1 << 18) /* user ids in the change index */

typedef struct fw_rcache_key {
    uint64_t hash;
    size_t len;
    char bytes[FW_RCACHE_KEY_MAX];
} fw_rcache_key;

/* What a body shows, borrowed for the fw_rcache_put call. Ids of 0 and NULL
 * user pointers are skipped.
 *
 * The change log's precise entries are graph writes only (store.h): they
 * change their two users' lists, counters and relationships, nothing else;
 * every other write is a wildcard. A relationship shows only as the
 * viewer's (connection_status, visibility), and the viewer is always a
 * dependency; a list shows in a page whose path's user is that list's owner.
 * So a body that shows no counters (no public_metrics) depends only on ids[]:
 * with no_counts set, the other users it shows are not recorded, and a follow
 * by one of them keeps the body. */
typedef struct fw_rcache_deps {
    bool no_counts;                  /* the body shows no user's public_metrics */
    uint64_t ids[2];                 /* the viewer and the path's user */
    const uint64_t *more;            /* further ids (e.g. the ids a lookup asked for) */
    size_t nmore;
    const fw_user *users;            /* a list page's users */
    size_t nusers;
    const fw_user *const *uptrs;     /* a lookup's users */
    size_t nuptrs;
    const fw_tweet *tweets;          /* hydrated tweets: their authors */
    size_t ntweets;
} fw_rcache_deps;

/* Builds the key; returns false if the request is too large to cache. */
bool fw_rcache_key_make(fw_rcache_key *k, uint8_t route, uint8_t who_kind, uint64_t viewer, fw_str path,
                        fw_str query);
/* On a hit for version (the store's current version, read from s), replaces
 * out's contents with the cached body and returns true. */
bool fw_rcache_get(const fw_rcache_key *k, fw_store *s, uint64_t version, fw_buf *out);
/* Stores body for version with its dependencies (ignored when version is 0,
 * the body is too big, or the thread's byte budget is spent). */
void fw_rcache_put(const fw_rcache_key *k, fw_store *s, uint64_t version, const char *body, size_t len,
                   const fw_rcache_deps *deps);
/* Forgets everything the calling thread cached (tests that reopen stores);
 * its next use makes a table of the size configured then. */
void fw_rcache_clear(void);
/* The budget of every table made from now on (call before serving; values
 * below FW_RCACHE_MIN_BYTES are raised to it). */
void fw_rcache_configure(size_t bytes_per_thread);
/* The default budget per thread for threads threads on a machine of
 * ram_bytes: FW_RCACHE_BYTES, lowered so that all of them together take at
 * most 1/FW_RCACHE_RAM_SHARE of the memory, and never below
 * FW_RCACHE_MIN_BYTES. A budget is a ceiling: tables fill as pages are read. */
size_t fw_rcache_default_bytes(uint64_t ram_bytes, unsigned threads);

#endif
