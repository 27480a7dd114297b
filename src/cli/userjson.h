/* Import's JSON lines: the members import reads, whoever parsed them.
 *
 * Users (X's v2 user object) are most of an import's parse: fw_uj_parse_fast
 * is a hand-written parser for the members import knows, about ten times
 * jansson's speed, which gives up (-1) on anything else — unknown keys, null,
 * reals, negative or huge numbers, invalid UTF-8, any syntax error — so that
 * jansson (fw_uj_from_json) parses that line instead. Both fill the same
 * fw_uj_user, and one function (fw_uj_user_fields) validates it, so the
 * checks and their messages exist once. Jansson stays the authority for every
 * error: the caller parses a line that fails either way again with jansson
 * and reports jansson's verdict. Tweets use the same member getters. */
#ifndef FW_CLI_USERJSON_H
#define FW_CLI_USERJSON_H

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "store/store.h"

typedef enum fw_uj_type { FW_UJ_ABSENT, FW_UJ_STR, FW_UJ_INT, FW_UJ_TRUE, FW_UJ_FALSE, FW_UJ_OTHER } fw_uj_type;

/* One member's value as jansson would type it (JSON null = absent). */
typedef struct fw_uj_val {
    fw_uj_type type;
    fw_str s;  /* FW_UJ_STR: the decoded string */
    int64_t i; /* FW_UJ_INT */
} fw_uj_val;

enum {
    FW_UJ_ID, FW_UJ_USERNAME, FW_UJ_NAME, FW_UJ_CREATED_AT, FW_UJ_DESCRIPTION, FW_UJ_URL, FW_UJ_LOCATION,
    FW_UJ_PROFILE_IMAGE_URL, FW_UJ_PROTECTED, FW_UJ_VERIFIED, FW_UJ_SUSPENDED, FW_UJ_PINNED_TWEET_ID,
    FW_UJ_VERIFIED_TYPE, FW_UJ_NKEYS
};

typedef struct fw_uj_user {
    fw_uj_val v[FW_UJ_NKEYS];
    bool metrics_bad;          /* public_metrics present but not an object */
    fw_uj_val listed, like;    /* public_metrics.listed_count, like_count */
    bool withheld_bad;         /* withheld not {"country_codes": ["XX", ...]} */
    fw_str withheld;           /* "DE,FR"; empty = not withheld */
} fw_uj_user;

/* Parses one line (not NUL-terminated) into m: 0, or -1 if the line is not
 * of the shape this parser knows (then jansson must decide). Strings borrow
 * the line or live in a (escaped strings, the withheld list). */
int fw_uj_parse_fast(const char *line, size_t len, fw_uj_user *m, fw_arena *a);

/* m from a jansson object; the withheld list goes into a. 0, or -1 when out
 * of memory. */
int fw_uj_from_json(json_t *o, fw_uj_user *m, fw_arena *a);

/* The user in m, checked as import requires (strings borrowed from m; the
 * entities JSON written to ent): NULL, or why the line is bad. */
const char *fw_uj_user_fields(const fw_uj_user *m, fw_user *u, fw_buf *ent);

/* Whether two parses found the same members (the fuzz target and unit test
 * compare fw_uj_parse_fast with jansson). */
bool fw_uj_same(const fw_uj_user *a, const fw_uj_user *b);

/* A jansson value typed as above. */
fw_uj_val fw_uj_json_val(json_t *v);

/* Getters with import's rules; false when the member has the wrong type or
 * form. Absent gives the empty string, 0, false, and for a time, now. */
bool fw_uj_str(fw_uj_val v, fw_str *out);
bool fw_uj_id(fw_uj_val v, uint64_t *out);   /* a decimal string or a positive integer */
bool fw_uj_bool(fw_uj_val v, bool *out);
bool fw_uj_count(fw_uj_val v, uint64_t *out); /* a non-negative integer */
bool fw_uj_time(fw_uj_val v, int64_t *out);  /* 2020-01-01T00:00:00.000Z */

#endif
