/* Streaming JSON writer; see jsonw.h. */
#include "core/jsonw.h"

#include <string.h>

#include "core/err.h"

void fw_jw_init(fw_jw *w, fw_buf *out, bool pretty)
{
    w->out = out;
    w->start = out->len;
    w->err = FW_OK;
    w->depth = 0;
    w->pretty = pretty;
    w->after_key = false;
    w->count[0] = 0;
}

static void jw_newline(fw_jw *w)
{
    fw_buf_putc(w->out, '\n');
    for (int i = 0; i < w->depth; i++)
        fw_buf_append(w->out, "  ", 2);
}

/* The first misuse takes back everything this writer wrote, so the buffer
 * never holds a fragment of JSON, and turns every later call into a no-op. */
static void jw_fail(fw_jw *w, int err)
{
    w->err = err;
    w->out->len = w->start;
    if (w->out->data)
        w->out->data[w->start] = 0;
}

/* Emits the separator that must precede a new value or key at this level;
 * false once the writer has failed (nothing more may be written). */
static bool jw_sep(fw_jw *w)
{
    if (w->err)
        return false;
    if (w->after_key) {
        w->after_key = false;
        return true;
    }
    if (w->depth > 0) {
        if (w->count[w->depth])
            fw_buf_putc(w->out, ',');
        w->count[w->depth] = 1;
        if (w->pretty)
            jw_newline(w);
    }
    return true;
}

/* Enters a container; false (and the writer failed) beyond the maximum depth. */
static bool jw_push(fw_jw *w, uint8_t count)
{
    if (w->depth + 1 >= FW_JW_MAX_DEPTH) {
        jw_fail(w, FW_ELIMIT);
        return false;
    }
    w->depth++;
    w->count[w->depth] = count;
    return true;
}

static void jw_open(fw_jw *w, char c)
{
    if (jw_sep(w) && jw_push(w, 0))
        fw_buf_putc(w->out, c);
}

static void jw_close(fw_jw *w, char c)
{
    if (w->err)
        return;
    if (w->depth == 0 || w->after_key) { /* nothing open, or a key without its value */
        jw_fail(w, FW_EINVAL);
        return;
    }
    int had = w->count[w->depth];
    w->depth--;
    if (w->pretty && had)
        jw_newline(w);
    fw_buf_putc(w->out, c);
}

void fw_jw_obj_begin(fw_jw *w) { jw_open(w, '{'); }
void fw_jw_obj_end(fw_jw *w) { jw_close(w, '}'); }

void fw_jw_obj_begin_raw(fw_jw *w, const char *prefix, size_t len)
{
    /* count 1: the prefix's members are in, the next one needs a comma */
    if (jw_sep(w) && jw_push(w, 1))
        fw_buf_append(w->out, prefix, len);
}
void fw_jw_arr_begin(fw_jw *w) { jw_open(w, '['); }
void fw_jw_arr_end(fw_jw *w) { jw_close(w, ']'); }

static const char hexd[] = "0123456789ABCDEF";

static void put_u16_escape(fw_buf *b, unsigned v)
{
    char *p = fw_buf_reserve(b, 6);
    p[0] = '\\';
    p[1] = 'u';
    p[2] = hexd[(v >> 12) & 15];
    p[3] = hexd[(v >> 8) & 15];
    p[4] = hexd[(v >> 4) & 15];
    p[5] = hexd[v & 15];
    b->len += 6;
    b->data[b->len] = 0;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid;
 * stores the code point in *cp. Rejects overlongs and surrogates. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2; min = 0x80; c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3; min = 0x800; c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4; min = 0x10000; c &= 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* 1 for bytes that end a verbatim run: controls, '"', '\\' and non-ASCII. */
static const unsigned char json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

void fw_json_escape(fw_buf *b, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0; /* run: start of pending bytes copied verbatim */
    while (i < len) {
        unsigned char c = s[i];
        if (!json_special[c]) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            unsigned cp;
            size_t n = utf8_seq(s + i, len - i, &cp);
            if (n && n < 4) {
                i += n;
                continue;
            }
            fw_buf_append(b, s + run, i - run);
            if (n == 4) {
                cp -= 0x10000;
                put_u16_escape(b, 0xD800 + (cp >> 10));
                put_u16_escape(b, 0xDC00 + (cp & 0x3FF));
                i += 4;
            } else {
                fw_buf_append(b, "\xEF\xBF\xBD", 3);
                i++;
            }
            run = i;
            continue;
        }
        fw_buf_append(b, s + run, i - run);
        switch (c) {
        case '"': fw_buf_append(b, "\\\"", 2); break;
        case '\\': fw_buf_append(b, "\\\\", 2); break;
        case '\n': fw_buf_append(b, "\\n", 2); break;
        case '\r': fw_buf_append(b, "\\r", 2); break;
        case '\t': fw_buf_append(b, "\\t", 2); break;
        case '\b': fw_buf_append(b, "\\b", 2); break;
        case '\f': fw_buf_append(b, "\\f", 2); break;
        default: put_u16_escape(b, c); break;
        }
        i++;
        run = i;
    }
    fw_buf_append(b, s + run, i - run);
}

void fw_jw_keyn(fw_jw *w, const char *key, size_t len)
{
    if (!jw_sep(w))
        return;
    fw_buf_putc(w->out, '"');
    fw_json_escape(w->out, key, len);
    if (w->pretty)
        fw_buf_append(w->out, "\": ", 3);
    else
        fw_buf_append(w->out, "\":", 2);
    w->after_key = true;
}

void fw_jw_key(fw_jw *w, const char *key) { fw_jw_keyn(w, key, strlen(key)); }

void fw_jw_strn(fw_jw *w, const char *s, size_t len)
{
    if (!jw_sep(w))
        return;
    fw_buf_putc(w->out, '"');
    fw_json_escape(w->out, s, len);
    fw_buf_putc(w->out, '"');
}

void fw_jw_str(fw_jw *w, const char *s) { fw_jw_strn(w, s, strlen(s)); }

void fw_jw_id(fw_jw *w, uint64_t id)
{
    if (!jw_sep(w))
        return;
    fw_buf_putc(w->out, '"');
    fw_buf_put_u64(w->out, id);
    fw_buf_putc(w->out, '"');
}

void fw_jw_int(fw_jw *w, int64_t v)
{
    if (!jw_sep(w))
        return;
    fw_buf_put_i64(w->out, v);
}

void fw_jw_bool(fw_jw *w, bool v)
{
    if (!jw_sep(w))
        return;
    if (v)
        fw_buf_append(w->out, "true", 4);
    else
        fw_buf_append(w->out, "false", 5);
}

void fw_jw_null(fw_jw *w)
{
    if (!jw_sep(w))
        return;
    fw_buf_append(w->out, "null", 4);
}

void fw_jw_raw(fw_jw *w, const char *json, size_t len)
{
    if (!jw_sep(w))
        return;
    fw_buf_append(w->out, json, len);
}

int fw_jw_error(const fw_jw *w)
{
    return w->err;
}
