/* Cost of the oversized chunk-size guard (src/http/chunkguard.c) per chunked
 * body (not a test): libh2o's phr_decode_chunked alone versus the guard in
 * front of it, which feeds the decoder in pieces ending at line feeds.
 *
 * Build (optimised) and run from the repo root:
 *   gcc -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -O2 -Isrc bench/chunkguard_bench.c src/http/chunkguard.c \
 *       -Wl,--no-as-needed -lh2o-evloop -lssl -lcrypto -o build/chunkguard_bench && build/chunkguard_bench
 * (--no-as-needed: nothing but the dlsym refers to libh2o here, so the linker would drop it)
 *
 * Bodies: a follow POST's JSON in one chunk (what a chunked client sends),
 * the same split into 4 chunks, and 16 KiB of pretty-printed JSON (a line
 * feed every 32 bytes: the guard's worst ordinary case) in one chunk. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http_internal.h"

typedef ssize_t (*decode_fn)(struct phr_chunked_decoder *, char *, size_t *);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char body[3][20000];
static size_t body_len[3];

static double run(decode_fn fn, int which, int iters)
{
    static char buf[20000];
    double t0 = now();
    for (int i = 0; i < iters; i++) {
        struct phr_chunked_decoder d = {0};
        d.consume_trailer = 1;
        memcpy(buf, body[which], body_len[which]);
        size_t n = body_len[which];
        if (fn(&d, buf, &n) < 0) {
            fprintf(stderr, "body %d did not decode\n", which);
            return 0;
        }
    }
    return (now() - t0) / iters * 1e9;
}

int main(void)
{
    const char *json = "{\"target_user_id\":\"1234567890123456789\"}";
    body_len[0] = (size_t)sprintf(body[0], "%zx\r\n%s\r\n0\r\n\r\n", strlen(json), json);
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        n += (size_t)sprintf(body[1] + n, "a\r\n%.10s\r\n", json + 10 * i);
    n += (size_t)sprintf(body[1] + n, "%zx\r\n%s\r\n0\r\n\r\n", strlen(json) - 40, json + 40);
    body_len[1] = n;
    char pretty[16384];
    for (size_t i = 0; i < sizeof pretty; i++)
        pretty[i] = i % 32 == 31 ? '\n' : 'a';
    body_len[2] = (size_t)sprintf(body[2], "%zx\r\n", sizeof pretty);
    memcpy(body[2] + body_len[2], pretty, sizeof pretty);
    body_len[2] += sizeof pretty;
    body_len[2] += (size_t)sprintf(body[2] + body_len[2], "\r\n0\r\n\r\n");
    if (!fw_http_chunk_guard_init(65536))
        return 1;
    decode_fn real = (decode_fn)dlsym(RTLD_NEXT, "phr_decode_chunked");
    const char *names[3] = {"follow JSON, 1 chunk", "follow JSON, 5 chunks", "16 KiB, LF every 32 B"};
    int iters[3] = {2000000, 2000000, 20000};
    for (int w = 0; w < 3; w++) {
        double a = 1e18, b = 1e18; /* best of 5 */
        for (int k = 0; k < 5; k++) {
            double x = run(real, w, iters[w]), y = run(phr_decode_chunked, w, iters[w]);
            a = x < a ? x : a;
            b = y < b ? y : b;
        }
        printf("%-24s h2o decoder %8.0f ns   with guard %8.0f ns   (+%.0f ns)\n", names[w], a, b, b - a);
    }
    return 0;
}
