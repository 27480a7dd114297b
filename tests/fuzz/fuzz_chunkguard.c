/* libFuzzer target: the oversized chunk-size guard (src/http/chunkguard.c).
 *
 * The input describes a chunked body rather than being one: records of a flag
 * byte and a 16-bit size become chunk-size lines (plain, zero-padded,
 * upper-case, a 64-bit value, with an extension), their data and the last
 * chunk; the rest of the input picks where the stream is cut into reads. The
 * harness serializes the body itself (line feeds inside data, a pipelined
 * request after the last chunk), so it knows where the first digit that
 * takes a chunk-size past the limit is, independently of any decoder. The
 * stream is fed read by read, as h2o feeds it, to the guard (followd's
 * phr_decode_chunked) and to libh2o's own decoder on a copy; until the
 * crossing digit arrives both must give the same result and the same decoded
 * bytes, and the guard must answer -1 in exactly the read that carries it.
 * Build and run with scripts/fuzz.sh. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"

#define LIMIT 1000
#define STREAM_MAX 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef ssize_t (*decode_fn)(struct phr_chunked_decoder *, char *, size_t *);

static char stream[STREAM_MAX + 64], a[STREAM_MAX + 64], b[STREAM_MAX + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static decode_fn real;
    if (!real) {
        if (!fw_http_chunk_guard_init(LIMIT))
            abort();
        real = (decode_fn)dlsym(RTLD_NEXT, "phr_decode_chunked");
    }
    if (size < 4)
        return 0;
    uint32_t cuts;
    memcpy(&cuts, data, 4);
    data += 4;
    size -= 4;
    /* serialize the body; cross = offset of the digit that first exceeds LIMIT */
    size_t len = 0, cross = SIZE_MAX;
    bool done = false;
    while (!done && size >= 3 && len < STREAM_MAX - 2 * LIMIT - 64) {
        uint8_t f = data[0];
        uint64_t d = (uint64_t)data[1] | (uint64_t)data[2] << 8;
        data += 3;
        size -= 3;
        if (f & 8)
            d = 0; /* the last chunk */
        if ((f & 3) == 3)
            d = d << 48 | d;
        char hex[40];
        int n = snprintf(hex, sizeof hex, (f & 3) == 2 ? "%llX" : "%llx", (unsigned long long)d);
        if ((f & 3) == 1 && n < 16) { /* leading zeros, up to 16 digits */
            int z = 1 + f % (16 - n);
            memmove(hex + z, hex, (size_t)n + 1);
            memset(hex, '0', (size_t)z);
            n += z;
        }
        uint64_t v = 0;
        for (int i = 0; i < n; i++) {
            v = v * 16 + (uint64_t)(hex[i] <= '9' ? hex[i] - '0' : (hex[i] | 0x20) - 'a' + 10);
            if (v > LIMIT && cross == SIZE_MAX)
                cross = len + (size_t)i;
        }
        memcpy(stream + len, hex, (size_t)n);
        len += (size_t)n;
        if (f & 4) {
            memcpy(stream + len, ";x=y", 4);
            len += 4;
        }
        memcpy(stream + len, "\r\n", 2);
        len += 2;
        if (d > LIMIT) { /* refused here: a little data after it, then nothing matters */
            memset(stream + len, 'x', 16);
            len += 16;
            break;
        }
        /* data, with line feeds in it when bit 4 is set (the guard cuts reads at them) */
        for (uint64_t i = 0; i < d; i++)
            stream[len + i] = (f & 16) && i % 7 == 3 ? '\n' : (char)('a' + f % 26);
        len += (size_t)d;
        memcpy(stream + len, "\r\n", 2);
        len += 2;
        if (d == 0) {
            done = true;
            if (f & 32) { /* the next pipelined request follows in the same reads */
                memcpy(stream + len, "GET / HTTP/1.1\r\n\r\n", 18);
                len += 18;
            }
        }
    }
    /* feed it in reads of 1..64 bytes */
    struct phr_chunked_decoder da = {0}, db = {0};
    da.consume_trailer = db.consume_trailer = 1;
    size_t off = 0;
    uint32_t r = cuts | 1;
    while (off < len) {
        r = r * 1103515245u + 12345u;
        size_t piece = 1 + (r >> 16) % 64;
        if (piece > len - off)
            piece = len - off;
        memcpy(a, stream + off, piece);
        memcpy(b, stream + off, piece);
        size_t na = piece, nb = piece;
        ssize_t ra = phr_decode_chunked(&da, a, &na);
        ssize_t rb = real(&db, b, &nb);
        bool crosses = cross >= off && cross < off + piece;
        if (crosses) {
            if (ra != -1)
                abort(); /* the limit was crossed in this read: refused now */
            return 0;
        }
        if (ra != rb || na != nb || memcmp(a, b, na + (rb > 0 ? (size_t)rb : 0)) != 0)
            abort(); /* below the limit the guard changes nothing */
        if (rb == -1)
            abort(); /* the harness writes well-formed bodies */
        off += piece;
        if (rb >= 0) {
            if (cross != SIZE_MAX)
                abort(); /* complete before an oversized chunk: impossible */
            return 0;
        }
    }
    if (done)
        abort(); /* a complete body the decoder did not finish */
    return 0;
}
