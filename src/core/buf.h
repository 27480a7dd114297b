/* fw_buf: a growable byte buffer.
 *
 * The struct is transparent so it can live on the stack or inside another
 * object; the bytes it points to are owned by the buffer and released with
 * fw_buf_free(). Appends never fail: on out-of-memory the process aborts,
 * as a server that cannot allocate a few kilobytes cannot answer anyway.
 * data is always NUL-terminated after an append (not counted in len). */
#ifndef FW_CORE_BUF_H
#define FW_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_buf {
    char *data;
    size_t len;
    size_t cap;
} fw_buf;

#define FW_BUF_INIT {NULL, 0, 0}

void fw_buf_init(fw_buf *b, size_t cap);
void fw_buf_free(fw_buf *b);
/* Keeps the allocation, forgets the contents. */
static inline void fw_buf_reset(fw_buf *b) { b->len = 0; if (b->data) b->data[0] = 0; }
/* Makes room for n more bytes and returns where they go; caller adds n to len. */
char *fw_buf_reserve(fw_buf *b, size_t n);
void fw_buf_grow_for(fw_buf *b, size_t n); /* slow path of the inline appends */
void fw_buf_puts(fw_buf *b, const char *s);
/* Grows the array *p of *cap elements of sz bytes (doubling, from 1024) to
 * hold at least need; unlike the appends it fails softly: FW_ENOMEM with *p
 * and *cap unchanged, else 0. For bulk loads, which must report running out
 * of memory rather than abort. */
int fw_array_grow(void **p, size_t *cap, size_t need, size_t sz);

/* Appends are inline: they run a few times per field of every response. */
static inline void fw_buf_append(fw_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap)
        fw_buf_grow_for(b, n);
    if (n)
        __builtin_memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

static inline void fw_buf_putc(fw_buf *b, char c)
{
    if (b->len + 2 > b->cap)
        fw_buf_grow_for(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}
void fw_buf_printf(fw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fw_buf_put_u64(fw_buf *b, uint64_t v);
void fw_buf_put_i64(fw_buf *b, int64_t v);

/* Writes the decimal digits of v to out (at least 21 bytes), returns the length. */
size_t fw_u64_to_dec(uint64_t v, char *out);

#endif
