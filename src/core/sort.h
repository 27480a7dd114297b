/* Sorting large arrays of (key, value) pairs by key: an LSD radix sort for the
 * bulk loader (store imports of 10^8 edges), where a comparison sort costs
 * several times as much. Stable; runs only the passes whose byte differs
 * somewhere in the keys, so keys that fit in fewer bytes sort faster. */
#ifndef FW_CORE_SORT_H
#define FW_CORE_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct fw_kv {
    uint64_t key;
    uint64_t val;
} fw_kv;

/* Sorts a[0..n) by key, ascending; pairs with equal keys keep their order.
 * Needs n pairs of scratch memory (allocated and freed here): FW_OK or FW_ENOMEM. */
FW_MUSTCHECK int fw_sort_kv(fw_kv *a, size_t n);

/* An array of n pairs (uninitialised; n == 0 gives a valid one-pair array),
 * aligned to and advised onto 2 MB pages when it is that large: the sort's
 * scatter misses the TLB far less on such an array. NULL when out of memory.
 * The caller owns it and releases it with free. */
fw_kv *fw_kv_alloc(size_t n);

#endif
