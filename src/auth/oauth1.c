/* OAuth 1.0a header parsing, signature base string and HMAC-SHA1 check; see oauth1.h. */
#include "auth/oauth1.h"

#include <stdbool.h>
#include <stdlib.h>

#include "auth/nonce.h"
#include "core/codec.h"
#include "core/secret.h"
#include "core/urlenc.h"

_Static_assert(FW_OA1_TS_WINDOW_S == FW_NONCE_WINDOW_S, "nonces must live as long as timestamps are accepted");

#define MAX_PATH 2048
#define MAX_METHOD 16

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool ieq_prefix(fw_str s, size_t at, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len - at < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s.p[at + i]) != lit[i])
            return false;
    return true;
}

/* ---- header parsing ---------------------------------------------------- */

/* A value must already be percent-encoded: unreserved chars and %XX only. */
static bool valid_encoded(fw_str v)
{
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c == '%') {
            if (i + 2 >= v.len)
                return false;
            if (!is_hex((unsigned char)v.p[i + 1]) || !is_hex((unsigned char)v.p[i + 2]))
                return false;
            i += 2;
        } else if (!is_unreserved(c)) {
            return false;
        }
    }
    return true;
}

/* Decodes an already validated value into the header's own storage. */
static fw_str store_decoded(fw_oauth1_hdr *h, fw_str v)
{
    char *dst = h->store + h->store_len;
    size_t o = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == '%') {
            dst[o++] = (char)(hexval((unsigned char)v.p[i + 1]) * 16 + hexval((unsigned char)v.p[i + 2]));
            i += 2;
        } else {
            dst[o++] = v.p[i];
        }
    }
    h->store_len += o;
    return (fw_str){dst, o};
}

static bool is_name_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

static bool str_same(fw_str a, fw_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static size_t skip_ows(fw_str s, size_t i)
{
    while (i < s.len && (s.p[i] == ' ' || s.p[i] == '\t'))
        i++;
    return i;
}

/* Splits the pair list into h->raw. realm is checked and dropped. */
static int split_pairs(fw_str a, size_t i, fw_oauth1_hdr *h)
{
    bool seen_realm = false;
    size_t count = 0;
    for (;;) {
        i = skip_ows(a, i);
        if (i == a.len)
            return count == 0 ? FW_OK : FW_EMALFORMED; /* "OAuth" alone, or a trailing ',' */
        size_t ns = i;
        while (i < a.len && is_name_char((unsigned char)a.p[i]))
            i++;
        fw_str name = {a.p + ns, i - ns};
        if (name.len == 0 || name.len > FW_OA1_MAX_NAME)
            return FW_EMALFORMED;
        if (i + 1 >= a.len || a.p[i] != '=' || a.p[i + 1] != '"')
            return FW_EMALFORMED;
        i += 2;
        size_t vs = i;
        while (i < a.len && a.p[i] != '"')
            i++;
        if (i == a.len)
            return FW_EMALFORMED; /* unterminated quote */
        fw_str val = {a.p + vs, i - vs};
        i++;
        if (val.len > FW_OA1_MAX_VALUE || ++count > FW_OA1_MAX_PARAMS)
            return FW_EMALFORMED;
        if (fw_str_eq(name, "realm")) {
            /* realm is free text, never signed; quoted-pairs are not supported. */
            if (seen_realm)
                return FW_EMALFORMED;
            seen_realm = true;
            for (size_t j = 0; j < val.len; j++) {
                unsigned char c = (unsigned char)val.p[j];
                if (c < 0x20 || c > 0x7e || c == '\\')
                    return FW_EMALFORMED;
            }
        } else {
            if (!valid_encoded(val))
                return FW_EMALFORMED;
            for (size_t j = 0; j < h->nraw; j++)
                if (str_same(h->raw[j].k, name))
                    return FW_EMALFORMED; /* duplicate: which one was signed? */
            h->raw[h->nraw++] = (fw_oauth1_pair){name, val};
        }
        i = skip_ows(a, i);
        if (i == a.len)
            return FW_OK;
        if (a.p[i] != ',')
            return FW_EMALFORMED; /* missing comma */
        i++;
        if (skip_ows(a, i) == a.len)
            return FW_EMALFORMED;
    }
}

static int parse_timestamp(fw_str s, int64_t *out)
{
    /* 18 digits cannot overflow int64; real timestamps have 10. */
    if (s.len == 0 || s.len > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = v;
    return 0;
}

int fw_oauth1_parse(fw_str a, fw_oauth1_hdr *h)
{
    h->consumer_key = h->token = h->signature_method = h->signature = FW_STR_NULL;
    h->timestamp = h->nonce = h->version = h->callback = h->verifier = FW_STR_NULL;
    h->ts = 0;
    h->nraw = 0;
    h->store_len = 0;
    if (a.len > FW_OA1_MAX_HEADER || (a.len > 0 && a.p == NULL))
        return FW_EMALFORMED;

    size_t i = skip_ows(a, 0);
    if (!ieq_prefix(a, i, "oauth"))
        return FW_EMALFORMED;
    i += 5;
    if (i < a.len && a.p[i] != ' ' && a.p[i] != '\t')
        return FW_EMALFORMED; /* "OAuthx" is another scheme */
    int rc = split_pairs(a, i, h);
    if (rc != FW_OK)
        return rc;

    static const struct {
        const char *name;
        size_t off;
    } known[] = {
        {"oauth_consumer_key", offsetof(fw_oauth1_hdr, consumer_key)},
        {"oauth_token", offsetof(fw_oauth1_hdr, token)},
        {"oauth_signature_method", offsetof(fw_oauth1_hdr, signature_method)},
        {"oauth_signature", offsetof(fw_oauth1_hdr, signature)},
        {"oauth_timestamp", offsetof(fw_oauth1_hdr, timestamp)},
        {"oauth_nonce", offsetof(fw_oauth1_hdr, nonce)},
        {"oauth_version", offsetof(fw_oauth1_hdr, version)},
        {"oauth_callback", offsetof(fw_oauth1_hdr, callback)},
        {"oauth_verifier", offsetof(fw_oauth1_hdr, verifier)},
    };
    for (size_t j = 0; j < h->nraw; j++)
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (fw_str_eq(h->raw[j].k, known[k].name)) {
                *(fw_str *)((char *)h + known[k].off) = store_decoded(h, h->raw[j].v);
                break;
            }

    if (!h->consumer_key.p || !h->signature.p || !h->signature_method.p || !h->timestamp.p || !h->nonce.p)
        return FW_EMISSING;
    if (parse_timestamp(h->timestamp, &h->ts) != 0)
        return FW_EMALFORMED;
    if (h->nonce.len == 0 || h->nonce.len > FW_NONCE_MAX_LEN)
        return FW_ENONCE;
    for (size_t j = 0; j < h->nonce.len; j++)
        if ((unsigned char)h->nonce.p[j] < 0x21 || (unsigned char)h->nonce.p[j] > 0x7e)
            return FW_ENONCE;
    return FW_OK;
}

/* ---- signature base string -------------------------------------------- */

typedef struct param {
    const char *k, *v;
    size_t klen, vlen;
} param;

typedef struct plist {
    param p[FW_OA1_MAX_SIGNED];
    size_t koff[FW_OA1_MAX_SIGNED], voff[FW_OA1_MAX_SIGNED];
    size_t n;
    fw_buf enc; /* encoded names and values, back to back */
    fw_buf tmp; /* decode scratch */
} plist;

/* Decodes one pair and stores it re-encoded with the RFC 3986 unreserved set,
 * so every client's encoding quirks (%2c vs %2C, '+' for space) compare equal. */
static int plist_add(plist *l, fw_str k, fw_str v, bool plus_is_space)
{
    if (l->n == FW_OA1_MAX_SIGNED)
        return -1;
    fw_buf_reset(&l->tmp);
    if (fw_url_decode(k, plus_is_space, &l->tmp) != 0)
        return -1;
    size_t kl = l->tmp.len;
    if (fw_url_decode(v, plus_is_space, &l->tmp) != 0)
        return -1;
    l->koff[l->n] = l->enc.len;
    fw_url_encode((fw_str){l->tmp.data, kl}, &l->enc);
    l->p[l->n].klen = l->enc.len - l->koff[l->n];
    l->voff[l->n] = l->enc.len;
    fw_url_encode((fw_str){l->tmp.data + kl, l->tmp.len - kl}, &l->enc);
    l->p[l->n].vlen = l->enc.len - l->voff[l->n];
    l->n++;
    return 0;
}

static int plist_add_form(plist *l, fw_str s)
{
    fw_form_iter it = fw_form_begin(s);
    fw_str k, v;
    while (fw_form_next(&it, &k, &v))
        if (plist_add(l, k, v, true) != 0)
            return -1;
    return 0;
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int cmp_param(const void *x, const void *y)
{
    const param *a = x, *b = y;
    int c = cmp_bytes(a->k, a->klen, b->k, b->klen);
    return c != 0 ? c : cmp_bytes(a->v, a->vlen, b->v, b->vlen);
}

static bool is_form(fw_str ct)
{
    size_t i = skip_ows(ct, 0);
    static const char mt[] = "application/x-www-form-urlencoded";
    if (!ieq_prefix(ct, i, mt))
        return false;
    i += sizeof mt - 1;
    return i == ct.len || ct.p[i] == ';' || ct.p[i] == ' ' || ct.p[i] == '\t';
}

/* Writes the normalized parameter string (RFC 5849 §3.4.1.3.2, not yet
 * encoded as a whole) to out. Returns 0, 1 if merge was asked but does not
 * apply, -1 if the request's parameters are malformed or too many. */
static int norm_params(const fw_oauth1_hdr *h, const fw_oauth1_req *r, bool merge, fw_buf *out)
{
    bool form = r->body.len > 0 && is_form(r->content_type);
    if (r->query.len + (form ? r->body.len : 0) > FW_OA1_MAX_SIGNED_BYTES)
        return -1;
    plist *l = malloc(sizeof *l);
    if (!l)
        abort(); /* same policy as fw_buf: no answer is possible without memory */
    l->n = 0;
    fw_buf_init(&l->enc, 256);
    fw_buf_init(&l->tmp, 256);
    int rc = 0;
    if (plist_add_form(l, r->query) != 0 || (form && plist_add_form(l, r->body) != 0))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < h->nraw; i++)
        if (!fw_str_eq(h->raw[i].k, "oauth_signature") && plist_add(l, h->raw[i].k, h->raw[i].v, false) != 0)
            rc = -1;
    if (rc != 0)
        goto done;
    /* The arena has stopped moving: turn offsets into pointers, then sort. */
    for (size_t i = 0; i < l->n; i++) {
        l->p[i].k = l->enc.data + l->koff[i];
        l->p[i].v = l->enc.data + l->voff[i];
    }
    qsort(l->p, l->n, sizeof l->p[0], cmp_param);

    size_t n = l->n;
    if (merge) {
        /* Sorted, so repeats are adjacent. A name repeated with different
         * values is ambiguous (which value did the client mean?) and is never
         * merged. */
        size_t w = 0;
        for (size_t i = 0; i < l->n; i++) {
            if (w > 0 && cmp_bytes(l->p[w - 1].k, l->p[w - 1].klen, l->p[i].k, l->p[i].klen) == 0) {
                if (cmp_param(&l->p[w - 1], &l->p[i]) != 0) {
                    rc = 1;
                    goto done;
                }
                continue;
            }
            l->p[w++] = l->p[i];
        }
        if (w == l->n) {
            rc = 1;
            goto done;
        }
        n = w;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fw_buf_putc(out, '&');
        fw_buf_append(out, l->p[i].k, l->p[i].klen);
        fw_buf_putc(out, '=');
        fw_buf_append(out, l->p[i].v, l->p[i].vlen);
    }
done:
    fw_buf_free(&l->enc);
    fw_buf_free(&l->tmp);
    free(l);
    return rc;
}

static bool is_host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Normalises "scheme://host[:port][/]" to lower-case scheme and host with a
 * default port dropped (RFC 5849 §3.4.1.2). Returns 0 or -1. */
static int norm_base_url(fw_str u, fw_buf *out)
{
    size_t i;
    bool https;
    if (ieq_prefix(u, 0, "https://"))
        https = true, i = 8;
    else if (ieq_prefix(u, 0, "http://"))
        https = false, i = 7;
    else
        return -1;
    fw_buf_puts(out, https ? "https://" : "http://");
    size_t hs = i;
    if (i < u.len && u.p[i] == '[') { /* IPv6 literal */
        i++;
        while (i < u.len && (is_hex((unsigned char)u.p[i]) || u.p[i] == ':' || u.p[i] == '.'))
            i++;
        if (i == u.len || u.p[i] != ']')
            return -1;
        i++;
    } else {
        while (i < u.len && is_host_char((unsigned char)u.p[i]))
            i++;
    }
    if (i == hs || i - hs > 255)
        return -1;
    for (size_t j = hs; j < i; j++)
        fw_buf_putc(out, lower(u.p[j]));
    if (i < u.len && u.p[i] == ':') {
        i++;
        size_t ps = i;
        unsigned port = 0;
        while (i < u.len && u.p[i] >= '0' && u.p[i] <= '9' && i - ps < 5)
            port = port * 10 + (unsigned)(u.p[i++] - '0');
        if (i == ps || port == 0 || port > 65535)
            return -1;
        if (port != (https ? 443u : 80u))
            fw_buf_printf(out, ":%u", port);
    }
    if (i < u.len && u.p[i] == '/')
        i++;
    return i == u.len ? 0 : -1;
}

/* The path is signed as received: clients sign exactly the bytes they send. */
static bool valid_path(fw_str p)
{
    if (p.len == 0 || p.len > MAX_PATH || p.p[0] != '/')
        return false;
    for (size_t i = 0; i < p.len; i++) {
        unsigned char c = (unsigned char)p.p[i];
        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#')
            return false;
        if (c == '%' && (i + 2 >= p.len || !is_hex((unsigned char)p.p[i + 1]) || !is_hex((unsigned char)p.p[i + 2])))
            return false;
    }
    return true;
}

static bool valid_method(fw_str m)
{
    if (m.len == 0 || m.len > MAX_METHOD)
        return false;
    for (size_t i = 0; i < m.len; i++)
        if (!((m.p[i] >= 'A' && m.p[i] <= 'Z') || (m.p[i] >= 'a' && m.p[i] <= 'z')))
            return false;
    return true;
}

/* out = METHOD & enc(base_url + path) & enc(params). */
static int compose(const fw_oauth1_req *r, fw_str base_url, fw_str params, fw_buf *url_scratch, fw_buf *out)
{
    fw_buf_reset(url_scratch);
    if (norm_base_url(base_url, url_scratch) != 0)
        return -1;
    fw_buf_append(url_scratch, r->path.p, r->path.len);
    fw_buf_reset(out);
    for (size_t i = 0; i < r->method.len; i++) {
        char c = r->method.p[i];
        fw_buf_putc(out, (c >= 'a' && c <= 'z') ? (char)(c - 32) : c);
    }
    fw_buf_putc(out, '&');
    fw_url_encode((fw_str){url_scratch->data, url_scratch->len}, out);
    fw_buf_putc(out, '&');
    fw_url_encode(params, out);
    return 0;
}

int fw_oauth1_base_string_ex(const fw_oauth1_hdr *h, const fw_oauth1_req *r, fw_str base_url, int flags,
                             fw_buf *out)
{
    if (!valid_method(r->method) || !valid_path(r->path))
        return FW_EMALFORMED;
    fw_buf params = FW_BUF_INIT, url = FW_BUF_INIT;
    fw_buf_init(&params, 256);
    fw_buf_init(&url, 128);
    int rc = norm_params(h, r, (flags & FW_OA1_BS_MERGE_DUPS) != 0, &params);
    if (rc == 0)
        rc = compose(r, base_url, (fw_str){params.data, params.len}, &url, out) == 0 ? FW_OK
                                                                                      : FW_EMALFORMED;
    else if (rc < 0)
        rc = FW_EMALFORMED;
    fw_buf_free(&params);
    fw_buf_free(&url);
    return rc;
}

int fw_oauth1_base_string(const fw_oauth1_hdr *h, const fw_oauth1_req *r, fw_str base_url, fw_buf *out)
{
    return fw_oauth1_base_string_ex(h, r, base_url, 0, out);
}

/* ---- verification ------------------------------------------------------ */

int fw_oauth1_verify(const fw_oauth1_hdr *h, const fw_oauth1_req *r, fw_str consumer_secret, fw_str token_secret,
                     int64_t now_s)
{
    if (!fw_str_eq(h->signature_method, "HMAC-SHA1"))
        return FW_EMETHOD;
    if (h->version.p && !fw_str_eq(h->version, "1.0"))
        return FW_EVERSION;
    if (now_s > INT64_MAX / 2 || now_s < INT64_MIN / 2 || h->ts > now_s + FW_OA1_TS_WINDOW_S ||
        h->ts < now_s - FW_OA1_TS_WINDOW_S)
        return FW_ETIMESTAMP;
    if (r->nbase == 0 || r->nbase > FW_OA1_MAX_BASE_URLS || !valid_method(r->method) || !valid_path(r->path))
        return FW_EMALFORMED;

    fw_buf strict = FW_BUF_INIT, merged = FW_BUF_INIT, url = FW_BUF_INIT, base = FW_BUF_INIT, key = FW_BUF_INIT;
    fw_buf_init(&strict, 256);
    fw_buf_init(&merged, 256);
    int rc = FW_EMALFORMED;
    if (norm_params(h, r, false, &strict) != 0)
        goto done;
    int mrc = norm_params(h, r, true, &merged);
    if (mrc < 0)
        goto done;
    fw_str variants[2] = {{strict.data, strict.len}, {merged.data, merged.len}};
    size_t nvariants = mrc == 0 ? 2 : 1;

    /* key = enc(consumer_secret) & enc(token_secret) (RFC 5849 §3.4.2) */
    fw_buf_init(&key, 128);
    fw_url_encode(consumer_secret, &key);
    fw_buf_putc(&key, '&');
    fw_url_encode(token_secret, &key);

    bool any_url = false, match = false;
    for (size_t u = 0; u < r->nbase && !match; u++) {
        for (size_t v = 0; v < nvariants && !match; v++) {
            if (compose(r, r->base_urls[u], variants[v], &url, &base) != 0)
                break; /* unusable candidate (e.g. odd Host header): try the next */
            any_url = true;
            uint8_t mac[20];
            char b64[32];
            fw_hmac_sha1(key.data, key.len, base.data, base.len, mac);
            size_t n = fw_b64_encode(mac, sizeof mac, b64);
            /* Comparing canonical base64 rejects malleable encodings too. */
            match = fw_ct_equal(b64, n, h->signature.p, h->signature.len);
        }
    }
    rc = match ? FW_OK : any_url ? FW_ESIGNATURE : FW_EMALFORMED;
done:
    fw_buf_free(&strict);
    fw_buf_free(&merged);
    fw_buf_free(&url);
    fw_buf_free(&base);
    fw_buf_free(&key);
    return rc;
}
