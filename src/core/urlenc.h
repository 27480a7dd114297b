/* Percent-encoding (RFC 3986) and form/query iteration. */
#ifndef FW_CORE_URLENC_H
#define FW_CORE_URLENC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* Decodes %XX escapes (and '+' as space when plus_is_space) of s, appending the
 * result to out. Returns 0, or -1 on a malformed escape (out is then partial). */
FW_MUSTCHECK int fw_url_decode(fw_str s, bool plus_is_space, fw_buf *out);
/* Same as fw_url_decode into fixed storage: writes at most cap-1 bytes plus a
 * NUL to out. Returns the decoded length, -1 on a malformed escape, -2 if the
 * result does not fit. */
FW_MUSTCHECK long fw_url_decode_to(fw_str s, bool plus_is_space, char *out, size_t cap);
/* Appends s percent-encoded with the RFC 3986 unreserved set left as is
 * (the encoding OAuth 1.0a signatures require). */
void fw_url_encode(fw_str s, fw_buf *out);

/* A callback (redirect) URI an app may register: it ends up in a Location
 * header and a link on the consent pages, so an absolute URI of printable
 * ASCII without spaces, at most 1024 bytes (the OAuth endpoints' limit),
 * and no script scheme (javascript, data, vbscript, file). */
bool fw_url_callback_ok(fw_str u);

/* Iterates "k=v&k2=v2" pairs. Usage:
 *   fw_form_iter it = fw_form_begin(q); fw_str k, v;
 *   while (fw_form_next(&it, &k, &v)) ...
 * k and v are raw (still encoded) slices of the input; empty pairs ("&&")
 * are skipped; a pair without '=' yields an empty v. */
typedef struct fw_form_iter {
    const char *p, *end;
} fw_form_iter;
static inline fw_form_iter fw_form_begin(fw_str s) { return (fw_form_iter){s.p, s.p + s.len}; }
bool fw_form_next(fw_form_iter *it, fw_str *k, fw_str *v);

#endif
