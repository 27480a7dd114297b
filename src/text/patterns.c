/* The entity patterns, written from twitter-text's published rules (v3.1.0
 * conformance behaviour) for PCRE2 in UTF + UCP mode.
 *
 * Each "find" pattern consumes the one character before the entity (group 1)
 * like twitter-text's global regexes do, so the caller resumes at the end of
 * the previous match and gets the same matches. Case-insensitivity is written
 * out as [aA]-style classes rather than PCRE2_CASELESS, because PCRE2's
 * Unicode folding would also let K (U+212A) and ſ (U+017F) match ASCII k/s,
 * which twitter-text does not; the TLD list, the only caseless part, uses a
 * callout to refuse those two characters.
 *
 * Domain labels are matched possessively: a label runs to the next '.', so
 * there is only one way to split it and nothing to backtrack into. A domain
 * has at most 127 labels (DNS's limit; twitter-text has none), which bounds
 * the backtracking over labels at each start position. The path
 * pattern keeps twitter-text's shape but everything after the domain is
 * optional, so its first (greedy) choice always succeeds. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "text/text_impl.h"

/* Characters that may not appear in a domain label: ASCII punctuation,
 * spaces, invalid characters and directional marks. */
#define PUNCT "!'#%&()*+,\\\\\\-./:;<=>?@\\[\\]^_{|}~$"
#define SPACES "\\x{09}-\\x{0D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{180E}\\x{2000}-\\x{200A}" \
               "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
#define INVALID "\\x{FFFE}\\x{FEFF}\\x{FFFF}"
#define DIRMARKS "\\x{202A}-\\x{202E}\\x{061C}\\x{200E}\\x{200F}\\x{2066}-\\x{2069}"
#define DCHAR "[^" PUNCT SPACES INVALID DIRMARKS "]"
/* Latin letters with accents and combining marks allowed in paths. */
#define LATIN "\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{FF}\\x{0100}-\\x{024F}\\x{0253}\\x{0254}" \
              "\\x{0256}\\x{0257}\\x{0259}\\x{025B}\\x{0263}\\x{0268}\\x{026F}\\x{0272}\\x{0289}" \
              "\\x{028B}\\x{02BB}\\x{0300}-\\x{036F}\\x{1E00}-\\x{1EFF}"
#define CYRILLIC "\\x{0400}-\\x{04FF}"
#define PCHAR "[A-Za-z" CYRILLIC "0-9!*';:=+,.$/%#\\[\\]\\-\\x{2013}_~@|&" LATIN "]"
/* Up to two levels of balanced parentheses: /wiki/Primer_(film) */
#define PARENS "\\((?:" PCHAR "+|(?:" PCHAR "*\\(" PCHAR "+\\)" PCHAR "*))\\)"
#define PATH_END "[+\\-A-Za-z" CYRILLIC "0-9=_#/" LATIN "]"
/* A path segment ends in an ending character, or is one balanced (...)
 * group on its own (twitter-text's alternation is ungrouped, so a segment
 * like ":(a)" does not end in its parenthesis), or is @name/ in the middle. */
#define PATH "(?:" PCHAR "*(?:" PARENS PCHAR "*)*" PATH_END "|" PARENS "|@" PCHAR "+/)"
#define QCHAR "[A-Za-z0-9!?*'@();:&=+$/%#\\[\\]\\-_.,~|]"
#define QEND "[A-Za-z0-9\\-_&=#/]"
#define PUNYCODE "[xX][nN]--[\\-0-9A-Za-z]+"
/* twitter-text's \s (JavaScript), used after a cashtag. */
#define JS_SPACE "\\x{09}-\\x{0D}\\x{20}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}" \
                 "\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"
/* Hashtags: letters and marks, digits, and a few joiners and signs. */
#define HT_SPECIAL "_\\x{200C}\\x{200D}\\x{A67E}\\x{05BE}\\x{05F3}\\x{05F4}\\x{FF5E}\\x{301C}" \
                   "\\x{309B}\\x{309C}\\x{30A0}\\x{30FB}\\x{3003}\\x{0F0B}\\x{0F0C}\\x{B7}"
#define HT_ALPHA "[\\p{L}\\p{M}]"
#define HT_ALNUM "[\\p{L}\\p{M}\\p{Nd}" HT_SPECIAL "]"
#define HT_NONALPHA "[\\p{Nd}" HT_SPECIAL "]"

static fw_text_patterns g_pat;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int cmp_bytes(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t utf8_char_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static void put_escaped(fw_buf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '-') fw_buf_putc(b, '\\');
        fw_buf_putc(b, p[i]);
    }
}

/* Emits the TLDs v[0..n) (sorted, sharing their first `depth` bytes) as a
 * trie of alternatives, one branch per next character, so the matcher tests
 * a few characters instead of ~1600 alternatives. At every node the longer
 * continuations come before the TLD that ends there; backtracking into the
 * trie therefore yields the TLDs that match in longest-first order. */
static void put_trie(fw_buf *b, const char *const *v, size_t n, size_t depth)
{
    bool ends_here = v[0][depth] == 0; /* sorted: the shortest comes first */
    size_t i = ends_here;
    if (i == n) return;
    if (n - i == 1 && !ends_here) { /* a single tail: no branching */
        put_escaped(b, v[i] + depth, strlen(v[i] + depth));
        return;
    }
    fw_buf_puts(b, "(?:");
    for (bool first = true; i < n; first = false) {
        size_t cl = utf8_char_len((unsigned char)v[i][depth]), j = i + 1;
        while (j < n && strncmp(v[j] + depth, v[i] + depth, cl) == 0) j++;
        if (!first) fw_buf_putc(b, '|');
        put_escaped(b, v[i] + depth, cl);
        put_trie(b, v + i, j - i, depth + cl);
        i = j;
    }
    if (ends_here) fw_buf_putc(b, '|');
    fw_buf_putc(b, ')');
}

/* Appends the TLD group: the trie above (non-ASCII characters match
 * caselessly, like JavaScript's /i); a TLD must not run on into an ASCII
 * letter, digit, @, + or -. Or a punycode TLD. */
static void put_tlds(fw_buf *b)
{
    const char **v = malloc(fw_tlds_count * sizeof *v);
    if (!v) abort();
    memcpy(v, fw_tlds, fw_tlds_count * sizeof *v);
    qsort(v, fw_tlds_count, sizeof *v, cmp_bytes);
    fw_buf_puts(b, "(?:(?i:");
    put_trie(b, v, fw_tlds_count, 0);
    fw_buf_puts(b, ")(?C1)(?=[^0-9a-zA-Z@+\\-]|$)|" PUNYCODE ")");
    free(v);
}

/* Callout after a TLD: refuse it if caseless matching took K (U+212A) or
 * ſ (U+017F) for an ASCII letter. The TLD starts after the last '.'. */
static int tld_callout(pcre2_callout_block *cb, void *data)
{
    (void)data;
    const unsigned char *s = (const unsigned char *)cb->subject;
    size_t i = cb->current_position;
    while (i > 0 && s[i - 1] != '.') {
        i--;
        if (s[i] == 0xE2 && s[i + 1] == 0x84 && s[i + 2] == 0xAA) return 1;
        if (s[i] == 0xC5 && s[i + 1] == 0xBF) return 1;
    }
    return 0;
}

static pcre2_code *compile(const char *pat, size_t len, uint32_t extra)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)pat, len,
                                  PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_NO_UTF_CHECK | extra,
                                  &err, &off, NULL);
    if (!c) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        fprintf(stderr, "fw_text: pattern does not compile at %zu: %s\n", (size_t)off, (char *)msg);
        abort();
    }
    /* JIT is an optimisation only; the interpreter is used if it fails. */
    (void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
    return c;
}

static pcre2_code *compile_buf(fw_buf *b, uint32_t extra)
{
    pcre2_code *c = compile(b->data, b->len, extra);
    fw_buf_reset(b);
    return c;
}

static void build(void)
{
    fw_buf b = FW_BUF_INIT;

    /* Domain: subdomains (may hold '_'), a name, and a TLD. */
    /* The empty alternative before an astral character reproduces UTF-16
     * matching, where the character's first half may serve as the preceding
     * character and a domain label may start at its second half. */
    fw_buf_puts(&b, "((?:(?=[\\x{10000}-\\x{10FFFF}])|[^A-Za-z0-9@\\x{FF20}$#\\x{FF03}" INVALID "]|^))"
                    "(((?:[hH][tT][tT][pP][sS]?://)?)("
                    "(?:" DCHAR "(?:[_\\-]*+" DCHAR ")*+\\.){0,126}"
                    DCHAR "(?:\\-*+" DCHAR ")*+\\.");
    put_tlds(&b);
    fw_buf_puts(&b, ")(?::([0-9]+))?(/" PATH "*)?(\\?" QCHAR "*" QEND ")?)");
    g_pat.url = compile_buf(&b, 0);

    fw_buf_puts(&b, "(?:[\\-A-Za-z0-9" LATIN "]++\\.)+");
    put_tlds(&b);
    g_pat.ascii_domain = compile_buf(&b, 0);

    g_pat.tco = compile("[hH][tT][tT][pP][sS]?://[tT]\\.[cC][oO]/([A-Za-z0-9]+)(?:\\?" QCHAR "*" QEND ")?",
                        PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED);

    g_pat.hashtag = compile("(^|\\x{FE0E}|\\x{FE0F}|$|(?!" HT_ALNUM "|&)(?s:.))([#\\x{FF03}])"
                            "(?!\\x{FE0F}|\\x{20E3})(" HT_NONALPHA "*+" HT_ALPHA HT_ALNUM "*+)",
                            PCRE2_ZERO_TERMINATED, 0);
    g_pat.hashtag_end = compile("[#\\x{FF03}]|://", PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED);

    g_pat.mention = compile("((?:^|[^A-Za-z0-9_!#$%&*@\\x{FF20}]|(?:^|[^A-Za-z0-9_+~.\\-])[rR][tT]:?))"
                            "([@\\x{FF20}])([A-Za-z0-9_]{1,20})(/[A-Za-z][A-Za-z0-9_\\-]{0,24})?",
                            PCRE2_ZERO_TERMINATED, 0);
    g_pat.mention_end = compile("[@\\x{FF20}" LATIN "]|://", PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED);

    g_pat.cashtag = compile("(^|[" SPACES "])(\\$)([A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)"
                            "(?=$|[" JS_SPACE "]|[" PUNCT "])",
                            PCRE2_ZERO_TERMINATED, 0);

    g_pat.mctx = pcre2_match_context_create(NULL);
    if (!g_pat.mctx) abort();
    pcre2_set_callout(g_pat.mctx, tld_callout, NULL);
    /* Bounds the work of one match attempt; inputs are capped at
     * FW_TEXT_MAX_LEN, and real matches need far less than this. */
    pcre2_set_match_limit(g_pat.mctx, 10u * 1000u * 1000u);
    fw_buf_free(&b);
}

const fw_text_patterns *fw_text_patterns_get(void)
{
    pthread_once(&g_once, build);
    return &g_pat;
}
