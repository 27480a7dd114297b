/* Pagination tokens: opaque, tamper-evident keyset positions.
 *
 * A token names one edge of one list (owner, list kind) by its sequence
 * number plus a direction (older = next page, newer = previous page). It is
 * base32hex text (X's own alphabet) over 1 flag byte, the 8-byte sequence and
 * a 64-bit HMAC-SHA256 tag keyed with the store secret and bound to the owner
 * and list kind, so a token cannot be forged, altered, or replayed against a
 * different list. 28 characters. */
#ifndef FW_API_PAGETOK_H
#define FW_API_PAGETOK_H

#include <stdint.h>

#include "core/str.h"

#define FW_PAGETOK_LEN 28

typedef struct fw_pagetok {
    uint8_t dir;  /* FW_PAGE_AFTER or FW_PAGE_BEFORE (store.h) */
    uint64_t seq; /* keyset position */
} fw_pagetok;

/* Writes FW_PAGETOK_LEN chars plus NUL into out. */
void fw_pagetok_encode(const uint8_t key[32], uint64_t owner, uint8_t kind, const fw_pagetok *t,
                       char out[FW_PAGETOK_LEN + 1]);
/* Returns 0 and fills *t if s is a valid token for (owner, kind), else -1. */
int fw_pagetok_decode(const uint8_t key[32], uint64_t owner, uint8_t kind, fw_str s, fw_pagetok *t);

#endif
