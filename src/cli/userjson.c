/* Import's users' JSON: the fast parser, jansson's view of the same members,
 * and the one validation both feed; see userjson.h. */
#include "cli/userjson.h"

#include "cli/cli.h"
#include "core/clock.h"
#include "text/entities.h"

/* ---- member getters (both parsers) ---- */

bool fw_uj_str(fw_uj_val v, fw_str *out)
{
    *out = v.type == FW_UJ_STR ? v.s : FW_STR_NULL;
    return v.type == FW_UJ_ABSENT || v.type == FW_UJ_STR;
}

bool fw_uj_id(fw_uj_val v, uint64_t *out)
{
    *out = 0;
    if (v.type == FW_UJ_ABSENT)
        return true;
    if (v.type == FW_UJ_INT && v.i > 0) {
        *out = (uint64_t)v.i;
        return true;
    }
    return v.type == FW_UJ_STR && fw_str_to_id(v.s, out) == 0;
}

bool fw_uj_bool(fw_uj_val v, bool *out)
{
    *out = v.type == FW_UJ_TRUE;
    return v.type == FW_UJ_ABSENT || v.type == FW_UJ_TRUE || v.type == FW_UJ_FALSE;
}

bool fw_uj_count(fw_uj_val v, uint64_t *out)
{
    *out = v.type == FW_UJ_INT && v.i >= 0 ? (uint64_t)v.i : 0;
    return v.type == FW_UJ_ABSENT || (v.type == FW_UJ_INT && v.i >= 0);
}

bool fw_uj_time(fw_uj_val v, int64_t *out)
{
    fw_str s;
    if (!fw_uj_str(v, &s))
        return false;
    if (!s.len) {
        *out = fw_now_ms();
        return true;
    }
    return fw_iso8601_parse(s.p, s.len, out) == FW_OK;
}

/* ---- validation ---- */

static const char *const verified_types[] = {"none", "blue", "business", "government"};

const char *fw_uj_user_fields(const fw_uj_user *m, fw_user *u, fw_buf *ent)
{
    memset(u, 0, sizeof(*u));
    bool prot, ver, susp;
    fw_str vt;
    const fw_uj_val *v = m->v;
    if (!fw_uj_id(v[FW_UJ_ID], &u->id) || !u->id)
        return "id must be a decimal string";
    if (!fw_uj_str(v[FW_UJ_USERNAME], &u->username) || !u->username.len)
        return "username is required";
    if (!fw_uj_str(v[FW_UJ_NAME], &u->name) || !u->name.len)
        return "name is required";
    if (!fw_uj_time(v[FW_UJ_CREATED_AT], &u->created_at_ms))
        return "created_at must look like 2020-01-01T00:00:00.000Z";
    if (!fw_uj_str(v[FW_UJ_DESCRIPTION], &u->description) || !fw_uj_str(v[FW_UJ_URL], &u->url) ||
        !fw_uj_str(v[FW_UJ_LOCATION], &u->location) || !fw_uj_str(v[FW_UJ_PROFILE_IMAGE_URL], &u->profile_image_url))
        return "description, url, location and profile_image_url must be strings";
    if (!fw_uj_bool(v[FW_UJ_PROTECTED], &prot) || !fw_uj_bool(v[FW_UJ_VERIFIED], &ver) ||
        !fw_uj_bool(v[FW_UJ_SUSPENDED], &susp))
        return "protected, verified and suspended must be true or false";
    if (!fw_uj_id(v[FW_UJ_PINNED_TWEET_ID], &u->pinned_tweet_id))
        return "pinned_tweet_id must be a decimal string";
    if (!fw_uj_str(v[FW_UJ_VERIFIED_TYPE], &vt))
        return "verified_type must be a string";
    if (vt.len) {
        u->verified_type = 0xFF;
        for (uint8_t i = 0; i < 4; i++)
            if (fw_str_eq(vt, verified_types[i]))
                u->verified_type = i;
        if (u->verified_type == 0xFF)
            return "verified_type must be blue, business, government or none";
    }
    if (m->withheld_bad)
        return "withheld must be {\"country_codes\": [\"XX\", ...]}";
    u->withheld_countries = m->withheld;
    if (m->metrics_bad || !fw_uj_count(m->listed, &u->listed_count) || !fw_uj_count(m->like, &u->like_count))
        return "public_metrics counts must be non-negative integers";
    u->flags = (prot ? FW_USER_PROTECTED : 0) | (ver ? FW_USER_VERIFIED : 0) | (susp ? FW_USER_SUSPENDED : 0);
    return fw_cli_profile_check(u, ent);
}

/* ---- jansson ---- */

static const char *const keys[FW_UJ_NKEYS] = {
    "id", "username", "name", "created_at", "description", "url", "location", "profile_image_url",
    "protected", "verified", "suspended", "pinned_tweet_id", "verified_type"};

fw_uj_val fw_uj_json_val(json_t *v)
{
    if (!v || json_is_null(v))
        return (fw_uj_val){.type = FW_UJ_ABSENT};
    if (json_is_string(v))
        return (fw_uj_val){.type = FW_UJ_STR, .s = {json_string_value(v), json_string_length(v)}};
    if (json_is_integer(v))
        return (fw_uj_val){.type = FW_UJ_INT, .i = (int64_t)json_integer_value(v)};
    if (json_is_boolean(v))
        return (fw_uj_val){.type = json_is_true(v) ? FW_UJ_TRUE : FW_UJ_FALSE};
    return (fw_uj_val){.type = FW_UJ_OTHER};
}

/* withheld: {"country_codes":["DE","FR"]} -> "DE,FR"; false if not of that shape. */
static bool json_withheld(json_t *w, fw_uj_user *m, fw_arena *a, bool *oom)
{
    json_t *cc = json_object_get(w, "country_codes");
    if (!json_is_object(w) || (cc && !json_is_array(cc)))
        return false;
    size_t n = json_array_size(cc), k = 0;
    char *d = fw_arena_alloc(a, 3 * n + 1);
    if (!d) {
        *oom = true;
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(cc, i));
        if (!v || strlen(v) != 2)
            return false;
        if (k)
            d[k++] = ',';
        memcpy(d + k, v, 2);
        k += 2;
    }
    m->withheld = (fw_str){d, k};
    return true;
}

int fw_uj_from_json(json_t *o, fw_uj_user *m, fw_arena *a)
{
    memset(m, 0, sizeof(*m));
    for (int k = 0; k < FW_UJ_NKEYS; k++)
        m->v[k] = fw_uj_json_val(json_object_get(o, keys[k]));
    json_t *pm = json_object_get(o, "public_metrics");
    m->metrics_bad = pm && !json_is_object(pm);
    m->listed = fw_uj_json_val(json_object_get(pm, "listed_count"));
    m->like = fw_uj_json_val(json_object_get(pm, "like_count"));
    json_t *w = json_object_get(o, "withheld");
    bool oom = false;
    m->withheld_bad = w && !json_is_null(w) && !json_withheld(w, m, a, &oom);
    return oom ? -1 : 0;
}

/* ---- the fast parser ---- */

typedef struct cur {
    const unsigned char *p, *end;
    fw_arena *a;
} cur;

static void ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool eat(cur *c, char ch)
{
    ws(c);
    if (c->p < c->end && *c->p == (unsigned char)ch) {
        c->p++;
        return true;
    }
    return false;
}

static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned ch = p[i], d = ch - '0' < 10 ? ch - '0' : (ch | 0x20) - 'a' < 6 ? (ch | 0x20) - 'a' + 10 : 16;
        if (d > 15)
            return -1;
        v = v << 4 | (long)d;
    }
    return v;
}

static size_t utf8_put(char *d, long cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | cp >> 6), d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | cp >> 12), d[1] = (char)(0x80 | (cp >> 6 & 0x3F)), d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | cp >> 18), d[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    d[2] = (char)(0x80 | (cp >> 6 & 0x3F)), d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The n raw bytes of a string with escapes, decoded into the arena (never
 * longer than the raw bytes). False for what jansson rejects too: an unknown
 * escape, a lone surrogate, \u0000 (no JSON_ALLOW_NUL). */
static bool unescape(fw_arena *a, const unsigned char *s, size_t n, fw_str *out)
{
    char *d = fw_arena_alloc(a, n);
    if (!d)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            d[k++] = (char)s[i++];
            continue;
        }
        if (i + 1 >= n)
            return false;
        unsigned char e = s[i + 1];
        i += 2;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *f = e != 'u' && e ? strchr(from, e) : NULL;
        if (f) {
            d[k++] = to[f - from];
            continue;
        }
        if (e != 'u' || i + 4 > n)
            return false;
        long cp = hex4(s + i);
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u' ? hex4(s + i + 2) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        } else if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
            return false;
        k += utf8_put(d + k, cp);
    }
    *out = (fw_str){d, k};
    return true;
}

/* A string: borrowed from the line unless it has escapes. */
static bool str(cur *c, fw_str *out)
{
    if (!eat(c, '"'))
        return false;
    const unsigned char *s = c->p, *q = s;
    bool high = false, esc = false;
    for (; q < c->end && *q != '"'; q++) {
        if (*q < 0x20)
            return false;
        high |= *q >= 0x80;
        if (*q == '\\') {
            esc = true;
            if (++q == c->end)
                return false;
        }
    }
    if (q == c->end)
        return false;
    size_t n = (size_t)(q - s);
    c->p = q + 1;
    if (high && !fw_utf8_valid((const char *)s, n))
        return false;
    if (esc)
        return unescape(c->a, s, n, out);
    *out = (fw_str){(const char *)s, n};
    return true;
}

/* A non-negative integer jansson reads as one (no leading zero, no fraction
 * or exponent); up to 18 digits, so it fits json_int_t. */
static bool num(cur *c, int64_t *out)
{
    ws(c);
    const unsigned char *s = c->p, *q = s;
    int64_t v = 0;
    /* Digits past the 18th are counted, not accumulated: the value would
     * overflow, and the line goes to jansson anyway. */
    for (; q < c->end && (unsigned)(*q - '0') < 10; q++)
        if (q - s < 18)
            v = v * 10 + (*q - '0');
    size_t n = (size_t)(q - s);
    if (!n || n > 18 || (n > 1 && *s == '0') || (q < c->end && (*q == '.' || *q == 'e' || *q == 'E')))
        return false;
    c->p = q;
    *out = v;
    return true;
}

static bool lit(cur *c, const char *w, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
        return false;
    c->p += n;
    return true;
}

/* A string, integer or boolean member; anything else is left to jansson. */
static bool scalar(cur *c, fw_uj_val *v)
{
    ws(c);
    if (c->p == c->end)
        return false;
    switch (*c->p) {
    case '"': v->type = FW_UJ_STR; return str(c, &v->s);
    case 't': v->type = FW_UJ_TRUE; return lit(c, "true", 4);
    case 'f': v->type = FW_UJ_FALSE; return lit(c, "false", 5);
    default: v->type = FW_UJ_INT; return num(c, &v->i);
    }
}

/* public_metrics: an object of non-negative integers, no key twice. */
static bool metrics(cur *c, fw_uj_user *m)
{
    fw_str seen[16];
    size_t ns = 0;
    if (!eat(c, '{'))
        return false;
    if (eat(c, '}'))
        return true;
    do {
        fw_str k;
        int64_t v;
        if (!str(c, &k) || !eat(c, ':') || !num(c, &v) || ns == 16)
            return false;
        for (size_t i = 0; i < ns; i++)
            if (seen[i].len == k.len && !memcmp(seen[i].p, k.p, k.len))
                return false;
        seen[ns++] = k;
        fw_uj_val *dst = fw_str_eq(k, "listed_count") ? &m->listed : fw_str_eq(k, "like_count") ? &m->like : NULL;
        if (dst)
            *dst = (fw_uj_val){.type = FW_UJ_INT, .i = v};
    } while (eat(c, ','));
    return eat(c, '}');
}

/* withheld: {} or {"country_codes": ["XX", ...]} with two-byte codes. */
static bool withheld(cur *c, fw_uj_user *m)
{
    if (!eat(c, '{'))
        return false;
    m->withheld = (fw_str){"", 0};
    if (eat(c, '}'))
        return true;
    fw_str k;
    if (!str(c, &k) || !fw_str_eq(k, "country_codes") || !eat(c, ':') || !eat(c, '['))
        return false;
    /* Each code takes at least 4 bytes of the line ("XX" and a separator)
     * and 3 of the list. */
    char *d = fw_arena_alloc(c->a, (size_t)(c->end - c->p) + 1);
    size_t n = 0;
    if (!d)
        return false;
    if (!eat(c, ']')) {
        do {
            fw_str s;
            if (!str(c, &s) || s.len != 2)
                return false;
            if (n)
                d[n++] = ',';
            memcpy(d + n, s.p, 2);
            n += 2;
        } while (eat(c, ','));
        if (!eat(c, ']'))
            return false;
    }
    m->withheld = (fw_str){d, n};
    return eat(c, '}');
}

#define KEY_METRICS FW_UJ_NKEYS
#define KEY_WITHHELD (FW_UJ_NKEYS + 1)

static int key_index(fw_str k)
{
    for (int i = 0; i < FW_UJ_NKEYS; i++)
        if (fw_str_eq(k, keys[i]))
            return i;
    return fw_str_eq(k, "public_metrics") ? KEY_METRICS : fw_str_eq(k, "withheld") ? KEY_WITHHELD : -1;
}

int fw_uj_parse_fast(const char *line, size_t len, fw_uj_user *m, fw_arena *a)
{
    memset(m, 0, sizeof(*m));
    cur c = {(const unsigned char *)line, (const unsigned char *)line + len, a};
    uint32_t seen = 0;
    if (!eat(&c, '{'))
        return -1;
    if (!eat(&c, '}')) {
        do {
            fw_str k;
            if (!str(&c, &k) || !eat(&c, ':'))
                return -1;
            int ki = key_index(k);
            if (ki < 0 || (seen >> ki & 1)) /* unknown keys and duplicates: jansson's */
                return -1;
            seen |= 1u << ki;
            bool ok = ki == KEY_METRICS ? metrics(&c, m) : ki == KEY_WITHHELD ? withheld(&c, m) : scalar(&c, &m->v[ki]);
            if (!ok)
                return -1;
        } while (eat(&c, ','));
        if (!eat(&c, '}'))
            return -1;
    }
    ws(&c);
    return c.p == c.end ? 0 : -1;
}

/* ---- for the differential tests ---- */

static bool val_same(const fw_uj_val *a, const fw_uj_val *b)
{
    return a->type == b->type && (a->type != FW_UJ_INT || a->i == b->i) &&
           (a->type != FW_UJ_STR || (a->s.len == b->s.len && (!a->s.len || !memcmp(a->s.p, b->s.p, a->s.len))));
}

bool fw_uj_same(const fw_uj_user *a, const fw_uj_user *b)
{
    for (int k = 0; k < FW_UJ_NKEYS; k++)
        if (!val_same(&a->v[k], &b->v[k]))
            return false;
    return a->metrics_bad == b->metrics_bad && val_same(&a->listed, &b->listed) && val_same(&a->like, &b->like) &&
           a->withheld_bad == b->withheld_bad && a->withheld.len == b->withheld.len &&
           (!a->withheld.len || !memcmp(a->withheld.p, b->withheld.p, a->withheld.len));
}
