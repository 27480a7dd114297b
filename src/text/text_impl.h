/* Private to src/text/: shared pieces of the entity extractor. Not part of
 * the public API (that is entities.h); nothing outside src/text/ and its own
 * tests includes this. */
#ifndef FW_TEXT_IMPL_H
#define FW_TEXT_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

/* Lower-case UTF-8 TLDs (generated from the public suffix list, tlds.c). */
extern const char *const fw_tlds[];
extern const size_t fw_tlds_count;

/* Decodes the code point at s[*i] of valid UTF-8 and advances *i past it. */
uint32_t fw_utf8_next(const char *s, size_t *i);
/* Number of code points in valid UTF-8 s[0..len). */
size_t fw_utf8_count(const char *s, size_t len);
/* Length in UTF-16 code units of valid UTF-8 s[0..len). */
size_t fw_utf8_utf16_len(const char *s, size_t len);

/* Length of the ASCII form of one domain label as punycode.toASCII gives it
 * (the label itself if ASCII, else "xn--" + RFC 3492 encoding), computed up
 * to limit+1 (limit < 128); returns SIZE_MAX if the encoding overflows. */
size_t fw_punycode_ascii_len(const char *label, size_t len, size_t limit);

/* The compiled patterns; see patterns.c for what each group captures. */
typedef struct fw_text_patterns {
    pcre2_code *url;        /* 1 preceding, 2 url, 3 protocol, 4 domain, 5 port, 6 path, 7 query */
    pcre2_code *ascii_domain; /* an ASCII-only domain inside a protocol-less match */
    pcre2_code *tco;        /* anchored: a t.co link and its slug (group 1) */
    pcre2_code *hashtag;    /* 1 preceding, 2 sign, 3 tag */
    pcre2_code *hashtag_end;/* anchored: what may not follow a hashtag */
    pcre2_code *mention;    /* 1 preceding, 2 sign, 3 name, 4 /list */
    pcre2_code *mention_end;/* anchored: what may not follow a mention */
    pcre2_code *cashtag;    /* 1 preceding, 2 sign, 3 tag */
    pcre2_match_context *mctx;
} fw_text_patterns;

/* Compiles the patterns on first call (thread-safe); aborts if they do not
 * compile, which is a programming error. */
const fw_text_patterns *fw_text_patterns_get(void);

#endif
