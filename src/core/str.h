/* fw_str: a borrowed, not NUL-terminated byte string (pointer + length).
 * Whoever hands one out states how long the bytes stay valid. */
#ifndef FW_CORE_STR_H
#define FW_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"

typedef struct fw_str {
    const char *p;
    size_t len;
} fw_str;

#define FW_STR_LIT(s) ((fw_str){(s), sizeof(s) - 1})
#define FW_STR_NULL ((fw_str){NULL, 0})

static inline fw_str fw_str_c(const char *s) { return (fw_str){s, s ? strlen(s) : 0}; }
static inline bool fw_str_eq(fw_str a, const char *lit)
{
    size_t n = strlen(lit);
    return a.len == n && (n == 0 || memcmp(a.p, lit, n) == 0);
}
bool fw_str_ieq(fw_str a, const char *lit);
/* Parses an unsigned decimal of 1..19 digits (X's id pattern ^[0-9]{1,19}$)
 * that fits in 64 bits. Returns 0 on success, -1 otherwise. */
FW_MUSTCHECK int fw_str_to_id(fw_str s, uint64_t *out);
/* True when a Content-Type value is the media type `type` (case-insensitive)
 * followed by nothing but RFC 9110 parameters: `; name=token` or
 * `; name="quoted"`, with optional white space. "application/json garbage"
 * or "application/jsonx" is not application/json. */
bool fw_media_type_is(fw_str ct, const char *type);
/* Copies s into a NUL-terminated malloc'd string; caller frees. */
char *fw_str_dup(fw_str s);

#endif
