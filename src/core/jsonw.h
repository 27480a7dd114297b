/* fw_jw: a small streaming JSON writer.
 *
 * Writes straight into a caller-owned fw_buf; it keeps only a nesting stack,
 * so a response is produced in one pass with no intermediate tree. Commas are
 * inserted automatically. Strings are escaped the way X's API emits them:
 * raw UTF-8 for the Basic Multilingual Plane, astral characters as a
 * \uD83C\uDF0F-style surrogate pair, control characters as \u00XX, and any
 * invalid UTF-8 byte replaced by U+FFFD (so output is always valid JSON).
 *
 * Pretty mode (2-space indent, "key": value) reproduces the byte layout of X's
 * auth-layer problem bodies; compact mode is used everywhere else.
 *
 * Misuse never yields broken JSON: nesting deeper than FW_JW_MAX_DEPTH, or a
 * close with nothing open, takes back all this writer wrote and makes every
 * later call a no-op; fw_jw_error() tells, so a response can be checked once
 * before it is sent. */
#ifndef FW_CORE_JSONW_H
#define FW_CORE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define FW_JW_MAX_DEPTH 32

typedef struct fw_jw {
    fw_buf *out;            /* not owned */
    size_t start;           /* out->len when the writer began */
    int err;                /* sticky: FW_OK, or the first misuse (see fw_jw_error) */
    int depth;
    bool pretty;
    bool after_key;         /* a key was written; the next value follows it */
    uint8_t count[FW_JW_MAX_DEPTH]; /* 0 = container empty so far, 1 = has items */
} fw_jw;

void fw_jw_init(fw_jw *w, fw_buf *out, bool pretty);
void fw_jw_obj_begin(fw_jw *w);
/* Opens an object whose first members arrive pre-encoded: prefix starts with
 * '{' and holds one or more complete members (no closing brace). */
void fw_jw_obj_begin_raw(fw_jw *w, const char *prefix, size_t len);
void fw_jw_obj_end(fw_jw *w);
void fw_jw_arr_begin(fw_jw *w);
void fw_jw_arr_end(fw_jw *w);
/* Writes an object key; the next call writes its value. */
void fw_jw_key(fw_jw *w, const char *key);
void fw_jw_keyn(fw_jw *w, const char *key, size_t len);
void fw_jw_str(fw_jw *w, const char *s);
void fw_jw_strn(fw_jw *w, const char *s, size_t len);
/* A 64-bit id as a JSON string of digits (X sends every id as a string). */
void fw_jw_id(fw_jw *w, uint64_t id);
void fw_jw_int(fw_jw *w, int64_t v);
void fw_jw_bool(fw_jw *w, bool v);
void fw_jw_null(fw_jw *w);
/* Inserts an already-encoded JSON value (e.g. a stored fragment) verbatim. */
void fw_jw_raw(fw_jw *w, const char *json, size_t len);

/* FW_OK, or the writer's first misuse: FW_ELIMIT for nesting beyond
 * FW_JW_MAX_DEPTH, FW_EINVAL for a close with nothing open or right after a
 * key. After either, the output holds nothing of this writer's. */
int fw_jw_error(const fw_jw *w);

/* Appends s escaped as JSON string contents (without quotes) to b. */
void fw_json_escape(fw_buf *b, const char *s, size_t len);

#endif
