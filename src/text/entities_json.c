/* The user "entities" JSON object, laid out as X sends it (key order as in
 * X's responses): "url" (URLs of the profile url field) then "description"
 * (urls, hashtags, mentions, cashtags). followd does not wrap links, so a URL
 * entity shows the text as written; expanded_url adds "http://" when the
 * text had no scheme; display_url drops the scheme and is cut to 26
 * characters plus "…". */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jsonw.h"
#include "text/entities.h"
#include "text/text_impl.h"

#define DISPLAY_MAX 26 /* code points of display_url before the ellipsis */

typedef struct extracted {
    fw_entity *v;
    int n;
    fw_entity local[32]; /* enough for any real profile; heap beyond */
} extracted;

static int extract_all(fw_str s, unsigned mask, extracted *x)
{
    x->v = x->local;
    x->n = 0;
    if (s.len == 0) return 0;
    int n = fw_text_extract_kinds(s.p, s.len, mask, x->local, 32);
    if (n <= 32) {
        x->n = n;
        return n < 0 ? -1 : 0;
    }
    x->v = malloc((size_t)n * sizeof *x->v);
    if (!x->v) abort();
    x->n = fw_text_extract_kinds(s.p, s.len, mask, x->v, (size_t)n);
    return 0;
}

static void extracted_free(extracted *x)
{
    if (x->v != x->local) free(x->v);
}

static size_t scheme_len(const char *u, size_t len)
{
    if (len >= 7 && strncasecmp(u, "http://", 7) == 0) return 7;
    if (len >= 8 && strncasecmp(u, "https://", 8) == 0) return 8;
    return 0;
}

static void url_item(fw_jw *w, const char *text, const fw_entity *e)
{
    const char *u = text + e->byte_start;
    size_t len = e->byte_end - e->byte_start, sch = scheme_len(u, len);
    fw_jw_key(w, "url");
    fw_jw_strn(w, u, len);
    fw_jw_key(w, "expanded_url");
    if (sch) {
        fw_jw_strn(w, u, len);
    } else {
        fw_buf tmp = FW_BUF_INIT;
        fw_buf_puts(&tmp, "http://");
        fw_buf_append(&tmp, u, len);
        fw_jw_strn(w, tmp.data, tmp.len);
        fw_buf_free(&tmp);
    }
    fw_jw_key(w, "display_url");
    const char *d = u + sch;
    size_t dlen = len - sch, i = 0, cps = 0;
    while (i < dlen && cps < DISPLAY_MAX) {
        (void)fw_utf8_next(d, &i);
        cps++;
    }
    if (i < dlen) {
        fw_buf tmp = FW_BUF_INIT;
        fw_buf_append(&tmp, d, i);
        fw_buf_puts(&tmp, "\xE2\x80\xA6");
        fw_jw_strn(w, tmp.data, tmp.len);
        fw_buf_free(&tmp);
    } else {
        fw_jw_strn(w, d, dlen);
    }
}

/* Writes "key":[items of kind] if there are any. */
static void kind_array(fw_jw *w, const char *key, uint8_t kind, const char *text, const extracted *x)
{
    bool open = false;
    for (int i = 0; i < x->n; i++) {
        const fw_entity *e = &x->v[i];
        if (e->kind != kind) continue;
        if (!open) {
            fw_jw_key(w, key);
            fw_jw_arr_begin(w);
            open = true;
        }
        fw_jw_obj_begin(w);
        fw_jw_key(w, "start");
        fw_jw_int(w, e->start);
        fw_jw_key(w, "end");
        fw_jw_int(w, e->end);
        const char *body = text + e->byte_start, *stop = text + e->byte_end;
        size_t sign = (*body & 0x80) ? 3 : 1; /* '#', '@', '$' or full-width '＃', '＠' */
        switch (kind) {
        case FW_ENT_URL:
            url_item(w, text, e);
            break;
        case FW_ENT_MENTION: {
            const char *slash = memchr(body, '/', (size_t)(stop - body));
            fw_jw_key(w, "username");
            fw_jw_strn(w, body + sign, (size_t)((slash ? slash : stop) - body) - sign);
            break;
        }
        default: /* hashtag, cashtag */
            fw_jw_key(w, "tag");
            fw_jw_strn(w, body + sign, (size_t)(stop - body) - sign);
            break;
        }
        fw_jw_obj_end(w);
    }
    if (open) fw_jw_arr_end(w);
}

int fw_text_user_entities_json(fw_str description, fw_str url, fw_buf *json)
{
    if ((description.len && !fw_utf8_valid(description.p, description.len)) ||
        (url.len && !fw_utf8_valid(url.p, url.len)))
        return -1;
    extracted d, u;
    if (extract_all(url, FW_ENT_BIT(FW_ENT_URL), &u) < 0) return -1;
    if (extract_all(description, FW_ENT_ALL, &d) < 0) {
        extracted_free(&u);
        return -1;
    }
    if (u.n || d.n) {
        fw_jw w;
        fw_jw_init(&w, json, false);
        fw_jw_obj_begin(&w);
        if (u.n) {
            fw_jw_key(&w, "url");
            fw_jw_obj_begin(&w);
            kind_array(&w, "urls", FW_ENT_URL, url.p, &u);
            fw_jw_obj_end(&w);
        }
        if (d.n) {
            fw_jw_key(&w, "description");
            fw_jw_obj_begin(&w);
            kind_array(&w, "urls", FW_ENT_URL, description.p, &d);
            kind_array(&w, "hashtags", FW_ENT_HASHTAG, description.p, &d);
            kind_array(&w, "mentions", FW_ENT_MENTION, description.p, &d);
            kind_array(&w, "cashtags", FW_ENT_CASHTAG, description.p, &d);
            fw_jw_obj_end(&w);
        }
        fw_jw_obj_end(&w);
    }
    extracted_free(&u);
    extracted_free(&d);
    return 0;
}
