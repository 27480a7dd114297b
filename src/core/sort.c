/* LSD radix sort of fw_kv pairs: 16-bit digits, four passes at most. One
 * counting sweep over the keys finds which digits vary at all, so a pass whose
 * digit is the same in every key (the high bits of small dense indices) is
 * skipped instead of copying the array for nothing. */
#include "core/sort.h"

#include <stdlib.h>
#include <string.h>

#define DIGITS 4
#define RADIX 65536u

static unsigned digit(uint64_t key, int d)
{
    return (unsigned)(key >> (16 * d)) & (RADIX - 1);
}

int fw_sort_kv(fw_kv *a, size_t n)
{
    if (n < 2)
        return FW_OK;
    size_t *count = calloc((size_t)DIGITS * RADIX, sizeof(size_t));
    fw_kv *tmp = malloc(n * sizeof(*tmp));
    if (!count || !tmp) {
        free(count);
        free(tmp);
        return FW_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < DIGITS; d++)
            count[(size_t)d * RADIX + digit(a[i].key, d)]++;
    fw_kv *src = a, *dst = tmp;
    for (int d = 0; d < DIGITS; d++) {
        size_t *c = count + (size_t)d * RADIX;
        if (c[digit(a[0].key, d)] == n)
            continue; /* every key has the same digit here */
        size_t sum = 0;
        for (unsigned v = 0; v < RADIX; v++) {
            size_t k = c[v];
            c[v] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[digit(src[i].key, d)]++] = src[i];
        fw_kv *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
    free(count);
    free(tmp);
    return FW_OK;
}
