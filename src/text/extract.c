/* Entity extraction: runs each kind's pattern over the text the way
 * twitter-text's extractors do (resume after the previous match, including
 * rejected ones), then merges the kinds, drops overlaps (earliest start wins;
 * on a tie, URL before mention before hashtag before cashtag) and converts
 * byte offsets to code point indices. */
#include <stdlib.h>
#include <string.h>

#include "text/entities.h"
#include "text/text_impl.h"

#define MAX_URL_UTF16 4096     /* twitter-text: scheme + URL at most this long */
#define MAX_TCO_SLUG 40
#define MAX_LABEL 63           /* DNS label length after punycode */

typedef struct vec {
    fw_entity *v;
    size_t n, cap;
} vec;

static void push(vec *e, uint8_t kind, size_t b, size_t end)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        fw_entity *v = realloc(e->v, cap * sizeof *v);
        if (!v) abort();
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = (fw_entity){.kind = kind, .byte_start = (uint32_t)b, .byte_end = (uint32_t)end};
}

typedef struct matcher {
    const char *s;
    size_t len;
    pcre2_match_data *md;
    const fw_text_patterns *p;
} matcher;

/* Matches code against s[from..) (or, anchored patterns, exactly at from).
 * Returns the ovector, or NULL for no match. A search that hits the match
 * limit counts as no match: a safety net only, as every pattern's work per
 * start position is bounded (see patterns.c). */
static const PCRE2_SIZE *match(matcher *m, const pcre2_code *code, const char *s, size_t len, size_t from)
{
    int rc = pcre2_match(code, (PCRE2_SPTR)s, len, from, PCRE2_NO_UTF_CHECK, m->md, m->p->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
        /* Long inputs can outgrow the JIT's default 32 KiB stack; give this
         * call a private, larger one (a stack may not be shared by threads). */
        pcre2_match_context *mc = pcre2_match_context_copy(m->p->mctx);
        pcre2_jit_stack *js = pcre2_jit_stack_create(64 * 1024, 16 * 1024 * 1024, NULL);
        if (!mc || !js) abort();
        pcre2_jit_stack_assign(mc, NULL, js);
        rc = pcre2_match(code, (PCRE2_SPTR)s, len, from, PCRE2_NO_UTF_CHECK, m->md, mc);
        pcre2_jit_stack_free(js);
        pcre2_match_context_free(mc);
    }
    return rc > 0 ? pcre2_get_ovector_pointer(m->md) : NULL;
}

static bool group_set(const PCRE2_SIZE *ov, int g)
{
    return ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] > ov[2 * g];
}

/* twitter-text's idna.toAscii check: every label must encode to 1..63
 * characters, and a domain spelled "xn--..." must contain an ASCII domain. */
static bool domain_ok(matcher *m, const char *d, size_t len)
{
    if (len >= 4 && memcmp(d, "xn--", 4) == 0 && !match(m, m->p->ascii_domain, d, len, 0))
        return false;
    size_t a = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && d[i] != '.') continue;
        size_t n = fw_punycode_ascii_len(d + a, i - a, MAX_LABEL);
        if (n < 1 || n > MAX_LABEL) return false;
        a = i + 1;
    }
    return true;
}

static void find_urls(matcher *m, vec *out)
{
    const char *s = m->s;
    if (!memchr(s, '.', m->len)) return;
    size_t pos = 0;
    const PCRE2_SIZE *ov;
    while (pos <= m->len && (ov = match(m, m->p->url, s, m->len, pos))) {
        /* Read every group now: later matches reuse the same match data. */
        size_t u0 = ov[4], u1 = ov[5], d0 = ov[8], d1 = ov[9];
        size_t pre0 = ov[2], pre1 = ov[3];
        bool has_proto = group_set(ov, 3), has_path = group_set(ov, 6);
        pos = ov[1];
        if (pos == ov[0]) pos++; /* cannot happen (a URL has a dot), but never spin */

        size_t proto_len = has_proto ? ov[7] - ov[6] : 8; /* default "https://" */
        ov = NULL;
        if (!domain_ok(m, s + d0, d1 - d0)) continue;
        if (proto_len + fw_utf8_utf16_len(s + u0, u1 - u0) > MAX_URL_UTF16) continue;

        if (!has_proto) {
            /* No scheme: not after - _ . /, and only ASCII domains inside the
             * match count (so CJK text around a domain is not swallowed). */
            if (pre1 > pre0 && s[pre0] && strchr("-_./", s[pre0])) continue;
            size_t dpos = 0, last = SIZE_MAX;
            const PCRE2_SIZE *dv;
            while (dpos < d1 - d0 && (dv = match(m, m->p->ascii_domain, s + d0, d1 - d0, dpos))) {
                last = out->n;
                push(out, FW_ENT_URL, d0 + dv[0], d0 + dv[1]);
                dpos = dv[1] > dv[0] ? dv[1] : dv[0] + 1;
            }
            if (last != SIZE_MAX && has_path) out->v[last].byte_end = (uint32_t)u1;
            continue;
        }
        /* t.co links take no extra path characters, and slugs are short. */
        const PCRE2_SIZE *tv = match(m, m->p->tco, s + u0, u1 - u0, 0);
        if (tv) {
            if (tv[3] - tv[2] > MAX_TCO_SLUG) continue;
            u1 = u0 + tv[1]; /* the scan still resumes after the full match */
        }
        push(out, FW_ENT_URL, u0, u1);
    }
}

/* Generic loop for the sign-led kinds: group 1 is the preceding context,
 * group 2 the sign; an entity runs from the sign to the end of the match
 * unless end_pat matches right after it. */
static void find_tags(matcher *m, vec *out, const pcre2_code *pat, const pcre2_code *end_pat,
                      const char *quick, uint8_t kind)
{
    const char *s = m->s;
    bool any = false;
    for (const char *q = quick; *q && !any; q += strlen(q) + 1)
        any = memmem(s, m->len, q, strlen(q)) != NULL;
    if (!any) return;
    size_t pos = 0;
    const PCRE2_SIZE *ov;
    while (pos <= m->len && (ov = match(m, pat, s, m->len, pos))) {
        size_t b = ov[4], e = ov[1];
        pos = e > ov[0] ? e : ov[0] + 1;
        if (end_pat && match(m, end_pat, s, m->len, e)) continue;
        push(out, kind, b, e);
    }
}

static int cmp_entity(const void *a, const void *b)
{
    const fw_entity *x = a, *y = b;
    if (x->byte_start != y->byte_start) return x->byte_start < y->byte_start ? -1 : 1;
    /* twitter-text sorts stably after concatenating URLs, mentions, hashtags,
     * cashtags; this order of kinds reproduces that. */
    static const uint8_t rank[] = {0, 0, 2, 1, 3};
    return (int)rank[x->kind] - (int)rank[y->kind];
}

int fw_text_extract_kinds(const char *text, size_t len, unsigned mask, fw_entity *out, size_t cap)
{
    if (len > FW_TEXT_MAX_LEN || !fw_utf8_valid(text, len)) return -1;
    if (len == 0) return 0;
    const fw_text_patterns *p = fw_text_patterns_get();
    matcher m = {.s = text, .len = len, .p = p};
    m.md = pcre2_match_data_create(16, NULL);
    if (!m.md) abort();
    vec all = {0};
    if (mask & FW_ENT_BIT(FW_ENT_URL)) find_urls(&m, &all);
    if (mask & FW_ENT_BIT(FW_ENT_MENTION))
        find_tags(&m, &all, p->mention, p->mention_end, "@\0\xEF\xBC\xA0\0", FW_ENT_MENTION);
    if (mask & FW_ENT_BIT(FW_ENT_HASHTAG))
        find_tags(&m, &all, p->hashtag, p->hashtag_end, "#\0\xEF\xBC\x83\0", FW_ENT_HASHTAG);
    if (mask & FW_ENT_BIT(FW_ENT_CASHTAG))
        find_tags(&m, &all, p->cashtag, NULL, "$\0", FW_ENT_CASHTAG);
    pcre2_match_data_free(m.md);

    /* Within a kind matches come in order; merge and drop overlaps. */
    if (all.n > 1) qsort(all.v, all.n, sizeof *all.v, cmp_entity);
    size_t kept = 0;
    for (size_t i = 0; i < all.n; i++) {
        if (kept && all.v[kept - 1].byte_end > all.v[i].byte_start) continue;
        all.v[kept++] = all.v[i];
    }
    /* Kept entities are disjoint and sorted: one forward walk counts code points. */
    size_t at = 0, cp = 0;
    for (size_t i = 0; i < kept; i++) {
        cp += fw_utf8_count(text + at, all.v[i].byte_start - at);
        all.v[i].start = (uint32_t)cp;
        cp += fw_utf8_count(text + all.v[i].byte_start, all.v[i].byte_end - all.v[i].byte_start);
        all.v[i].end = (uint32_t)cp;
        at = all.v[i].byte_end;
        if (i < cap) out[i] = all.v[i];
    }
    free(all.v);
    return (int)kept;
}

int fw_text_extract(const char *text, size_t len, fw_entity *out, size_t cap)
{
    return fw_text_extract_kinds(text, len, FW_ENT_ALL, out, cap);
}
