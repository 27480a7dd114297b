/* Percent-encoding and form iteration; see urlenc.h. */
#include "core/urlenc.h"

#include <string.h>
#include <strings.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes into dst, which has room for s.len bytes; returns 0 or -1. */
static int decode_into(fw_str s, bool plus_is_space, char *dst, size_t *olen)
{
    size_t o = 0;
    int rc = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (c == '%') {
            if (i + 2 >= s.len) {
                rc = -1;
                break;
            }
            int a = hexval(s.p[i + 1]), b = hexval(s.p[i + 2]);
            if (a < 0 || b < 0) {
                rc = -1;
                break;
            }
            dst[o++] = (char)(a * 16 + b);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            dst[o++] = ' ';
        } else {
            dst[o++] = c;
        }
    }
    *olen = o;
    return rc;
}

int fw_url_decode(fw_str s, bool plus_is_space, fw_buf *out)
{
    size_t o = 0;
    int rc = decode_into(s, plus_is_space, fw_buf_reserve(out, s.len), &o);
    out->len += o;
    out->data[out->len] = 0;
    return rc;
}

long fw_url_decode_to(fw_str s, bool plus_is_space, char *out, size_t cap)
{
    /* Decoding never grows the input, so s.len bytes of room is enough. */
    if (cap == 0 || s.len > cap - 1)
        return -2;
    size_t o = 0;
    int rc = decode_into(s, plus_is_space, out, &o);
    out[o] = 0;
    return rc ? -1 : (long)o;
}

void fw_url_encode(fw_str s, fw_buf *out)
{
    static const char hx[] = "0123456789ABCDEF";
    char *dst = fw_buf_reserve(out, s.len * 3);
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '%';
            dst[o++] = hx[c >> 4];
            dst[o++] = hx[c & 15];
        }
    }
    out->len += o;
    out->data[out->len] = 0;
}

bool fw_form_next(fw_form_iter *it, fw_str *k, fw_str *v)
{
    while (it->p < it->end) {
        const char *start = it->p;
        const char *amp = start;
        while (amp < it->end && *amp != '&')
            amp++;
        it->p = amp < it->end ? amp + 1 : amp;
        if (amp == start)
            continue;
        const char *eq = start;
        while (eq < amp && *eq != '=')
            eq++;
        *k = (fw_str){start, (size_t)(eq - start)};
        if (eq < amp)
            *v = (fw_str){eq + 1, (size_t)(amp - eq - 1)};
        else
            *v = (fw_str){amp, 0};
        return true;
    }
    return false;
}

bool fw_url_callback_ok(fw_str u)
{
    size_t n = u.len, i = 0;
    if (n == 0 || n > 1024 || !u.p)
        return false;
    for (size_t j = 0; j < n; j++)
        if ((unsigned char)u.p[j] <= 0x20 || (unsigned char)u.p[j] >= 0x7f)
            return false;
    if (!((u.p[0] | 0x20) >= 'a' && (u.p[0] | 0x20) <= 'z'))
        return false;
    while (i < n && (((u.p[i] | 0x20) >= 'a' && (u.p[i] | 0x20) <= 'z') || (u.p[i] >= '0' && u.p[i] <= '9') ||
                     u.p[i] == '+' || u.p[i] == '-' || u.p[i] == '.'))
        i++;
    if (i == n || u.p[i] != ':' || i + 1 == n)
        return false;
    static const char *const banned[] = {"javascript", "data", "vbscript", "file"};
    for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++)
        if (strlen(banned[k]) == i && !strncasecmp(u.p, banned[k], i))
            return false;
    return true;
}
