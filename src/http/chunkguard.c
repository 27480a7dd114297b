/* Oversized chunk-size guard (issue 11, defect 7b).
 *
 * libh2o 2.2.5 decodes a chunked request body with picohttpparser's
 * phr_decode_chunked as each read arrives, and checks only the decoded length
 * against its limit: a chunk-size line that fits in 64 bits but announces more
 * than the body limit ("20000", "ffffffffffffffff") is accepted and the
 * connection waits for data that must be refused anyway, until the request
 * timeout. h2o offers no hook between the head and the end of the body.
 *
 * Its calls to phr_decode_chunked go through the PLT of libh2o-evloop.so,
 * though, so followd defines phr_decode_chunked itself: the dynamic linker
 * binds libh2o's calls to this one, which runs the real decoder (found with
 * dlsym(RTLD_NEXT)) and looks at the size of the chunk it is in. That size is
 * the decoder's own state (bytes_left_in_chunk grows digit by digit while a
 * chunk-size line arrives, and counts down over the chunk's data), so the
 * guard reads exactly the framing h2o acts on, with no second parser that
 * could disagree with it, and keeps no state of its own. So that data arriving
 * in the same read cannot count a size down before it is seen, each read is
 * fed to the decoder in pieces that end at a line feed (every chunk-size line
 * ends with one; a chunk's data is skipped whole) and the decoded pieces are
 * joined as one call would have left them. When the chunk still to come exceeds the limit the guard answers
 * -1, the decoder's "broken chunked-encoding": h2o sends 400 and closes the
 * connection at once, within the read that carried the digit that crossed the
 * limit.
 *
 * Only HTTP/1.1 request bodies are decoded this way in followd (it makes no
 * outbound requests, whose responses h2o would decode with the same function). */
#include "http/http_internal.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <string.h>

typedef ssize_t (*decode_fn)(struct phr_chunked_decoder *, char *, size_t *);

static _Atomic size_t g_limit;           /* 0: no limit (the decoder alone) */
static _Atomic(decode_fn) g_real;        /* libh2o's phr_decode_chunked */

bool fw_http_chunk_guard_init(size_t max_body)
{
    decode_fn real = (decode_fn)dlsym(RTLD_NEXT, "phr_decode_chunked");
    if (!real || real == phr_decode_chunked)
        return false;
    atomic_store(&g_real, real);
    /* one server per process; a larger limit set later wins, so no server
     * is ever refused a chunk its own limit allows */
    size_t cur = atomic_load(&g_limit);
    while (max_body > cur && !atomic_compare_exchange_weak(&g_limit, &cur, max_body))
        ;
    return true;
}

bool fw_http_chunk_too_large(const struct phr_chunked_decoder *d, size_t limit)
{
    return limit && d->bytes_left_in_chunk > limit;
}

ssize_t phr_decode_chunked(struct phr_chunked_decoder *decoder, char *buf, size_t *bufsz)
{
    decode_fn real = atomic_load(&g_real);
    if (!real) {
        /* called before fw_http_chunk_guard_init (a test, a tool): resolve now */
        real = (decode_fn)dlsym(RTLD_NEXT, "phr_decode_chunked");
        if (!real || real == phr_decode_chunked)
            return -1; /* no decoder to run: refuse rather than guess */
        atomic_store(&g_real, real);
    }
    size_t limit = atomic_load(&g_limit), len = *bufsz, src = 0, dst = 0;
    bool in_data = false;
    /* The decoder compacts in place (its output never runs ahead of its
     * input): piece by piece, each piece's output moves down to dst. */
    for (;;) {
        /* Where a piece ended at a line feed with bytes of a chunk left, the
         * decoder is in that chunk's data (a size or extension line ends at
         * its line feed): the data and the CRLF after it hold no size line,
         * so the next piece runs to the first line feed after the data. */
        size_t from = src;
        if (in_data)
            from = decoder->bytes_left_in_chunk < len - src ? src + decoder->bytes_left_in_chunk : len;
        const char *lf = memchr(buf + from, '\n', len - from);
        size_t piece = lf ? (size_t)(lf - (buf + src)) + 1 : len - src, n = piece;
        ssize_t ret = real(decoder, buf + src, &n);
        if (ret >= 0) {
            /* complete: the piece's output and its ret unread bytes, then the
             * rest of the read, all unread */
            memmove(buf + dst, buf + src, n + (size_t)ret);
            memmove(buf + dst + n + (size_t)ret, buf + src + piece, len - src - piece);
            *bufsz = dst + n;
            return ret + (ssize_t)(len - src - piece);
        }
        memmove(buf + dst, buf + src, n);
        dst += n;
        src += piece;
        if (ret == -1 || fw_http_chunk_too_large(decoder, limit)) {
            *bufsz = dst;
            return -1;
        }
        in_data = lf && decoder->bytes_left_in_chunk > 0;
        if (src == len) {
            *bufsz = dst;
            return ret; /* -2: incomplete */
        }
    }
}
