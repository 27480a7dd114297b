/* Text entities of a user profile, computed exactly as X computes them with
 * twitter-text: URLs (with or without scheme), #hashtags, @mentions (and
 * @user/list), $cashtags, with overlaps resolved (earlier entity wins).
 *
 * Indices are Unicode code points (start inclusive, end exclusive); byte
 * offsets into the input are given too. All functions are pure and
 * thread-safe; inputs are borrowed for the duration of the call only, and
 * JSON output is appended to a caller-owned fw_buf. Matching patterns are
 * compiled once, on first use, and live for the process. */
#ifndef FW_TEXT_ENTITIES_H
#define FW_TEXT_ENTITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

typedef struct fw_entity {
    uint8_t kind;                  /* FW_ENT_URL, FW_ENT_HASHTAG, FW_ENT_MENTION, FW_ENT_CASHTAG */
    uint32_t start, end;           /* code point indices, end exclusive */
    uint32_t byte_start, byte_end; /* byte offsets into the input */
} fw_entity;

enum { FW_ENT_URL = 1, FW_ENT_HASHTAG, FW_ENT_MENTION, FW_ENT_CASHTAG };

/* Bit for kind k in the kinds mask of fw_text_extract_kinds(). */
#define FW_ENT_BIT(k) (1u << (k))
#define FW_ENT_ALL (FW_ENT_BIT(FW_ENT_URL) | FW_ENT_BIT(FW_ENT_HASHTAG) | \
                    FW_ENT_BIT(FW_ENT_MENTION) | FW_ENT_BIT(FW_ENT_CASHTAG))

/* Longest input accepted (bytes); longer text is treated as invalid. X caps a
 * description at 160 characters (at most 640 bytes) and a profile url at 100,
 * so callers validate those first; the cap bounds the matcher's worst case
 * (some hostile texts cost time quadratic in their length, as in
 * twitter-text: ~15 ms at this size). */
#define FW_TEXT_MAX_LEN 4096u

/* Extracts all entities of text (valid UTF-8, len bytes) in order of
 * appearance, overlaps resolved. Writes up to cap entities to out, returns the
 * total count found (may exceed cap) or -1 if not valid UTF-8 (or longer than
 * FW_TEXT_MAX_LEN). */
int fw_text_extract(const char *text, size_t len, fw_entity *out, size_t cap);

/* As fw_text_extract, but only the kinds in mask (FW_ENT_BIT(...) ORed) take
 * part, overlaps resolved among them. twitter-text's single-kind extractors
 * are this with one bit (hashtags: URL|HASHTAG, then keep the hashtags). */
int fw_text_extract_kinds(const char *text, size_t len, unsigned mask,
                          fw_entity *out, size_t cap);

/* Appends to json the JSON object X returns for user.fields=entities:
 * {"url":{"urls":[...]},"description":{"urls":[...],"hashtags":[...],
 * "mentions":[...],"cashtags":[...]}} with empty parts left out. URL items
 * are {"start","end","url","expanded_url","display_url"}; hashtag and cashtag
 * items {"start","end","tag"}; mention items {"start","end","username"}.
 * Appends nothing if there are no entities at all. Returns 0, or -1 if either
 * input is not valid UTF-8 (json unchanged). */
int fw_text_user_entities_json(fw_str description, fw_str url, fw_buf *json);

/* True if s[0..len) is well-formed UTF-8: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. */
bool fw_utf8_valid(const char *s, size_t len);

#endif
