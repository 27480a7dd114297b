/* Growable byte buffer; see buf.h. */
#include "core/buf.h"

#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void buf_grow(fw_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        fputs("followd: out of memory\n", stderr);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void fw_buf_init(fw_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = b->cap = 0;
    if (cap)
        buf_grow(b, cap);
    if (b->data)
        b->data[0] = 0;
}

void fw_buf_free(fw_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *fw_buf_reserve(fw_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap)
        buf_grow(b, b->len + n + 1);
    return b->data + b->len;
}

void fw_buf_grow_for(fw_buf *b, size_t n) { buf_grow(b, b->len + n + 1); }

void fw_buf_puts(fw_buf *b, const char *s) { fw_buf_append(b, s, strlen(s)); }

int fw_array_grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 1024;
    while (n < need) {
        if (n > SIZE_MAX / 2 / sz)
            return FW_ENOMEM;
        n *= 2;
    }
    void *q = realloc(*p, n * sz);
    if (!q)
        return FW_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}


void fw_buf_printf(fw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    char *dst = fw_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Two digits per division: ids are 19 digits and every response has many. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

size_t fw_u64_to_dec(uint64_t v, char *out)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(out, p, n);
    out[n] = 0;
    return n;
}

void fw_buf_put_u64(fw_buf *b, uint64_t v)
{
    char *dst = fw_buf_reserve(b, 21);
    b->len += fw_u64_to_dec(v, dst);
}

void fw_buf_put_i64(fw_buf *b, int64_t v)
{
    if (v < 0) {
        fw_buf_putc(b, '-');
        fw_buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        fw_buf_put_u64(b, (uint64_t)v);
    }
}
