/* Response cache: rendered 200 bodies of read endpoints, per thread, valid
 * for one store snapshot.
 *
 * A body is a pure function of the request (route, path, query), the
 * viewer (principal kind and user id) and the store snapshot it was read
 * from. Each entry remembers its snapshot version; it is served only while
 * fw_store_version() still returns that version, i.e. while no write from any
 * process has committed since. So a hit returns exactly the bytes a fresh read
 * would produce. Authentication, rate limits and validation still run for
 * every request; only the store read and the rendering are skipped.
 * Per-thread (no locks); memory is bounded by slots x max body size. */
#ifndef FW_API_RCACHE_H
#define FW_API_RCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

#define FW_RCACHE_KEY_MAX 1024

typedef struct fw_rcache_key {
    uint64_t hash;
    size_t len;
    char bytes[FW_RCACHE_KEY_MAX];
} fw_rcache_key;

/* Builds the key; returns false if the request is too large to cache. */
bool fw_rcache_key_make(fw_rcache_key *k, uint8_t route, uint8_t who_kind, uint64_t viewer, fw_str path,
                        fw_str query);
/* On a hit for version, replaces out's contents with the cached body and returns true. */
bool fw_rcache_get(const fw_rcache_key *k, uint64_t version, fw_buf *out);
/* Stores body for version (ignored when version is 0 or the body is too big). */
void fw_rcache_put(const fw_rcache_key *k, uint64_t version, const char *body, size_t len);

#endif
