/* Cost of the HTTP/1.1 framing guard (src/http/framing.c) per request (not a
 * test): its fast path (one memchr pass over the head's lines) and the full
 * re-parse with h2o's picohttpparser it falls back to when a head has two
 * framing headers or obs-fold.
 *
 * Build (optimised) and run from the repo root:
 *   gcc -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -O2 -Isrc bench/framing_bench.c src/http/framing.c \
 *       -lh2o-evloop -lssl -lcrypto -o build/framing_bench && build/framing_bench
 *
 * Heads: what wrk sends in bench/run.sh (GET with a bearer token), a follow
 * POST as tweepy sends it, and one with 40 headers; names lower-case, as h2o
 * leaves them in the buffer. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http_internal.h"

struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int full(const char *buf, size_t len)
{
    const char *m, *p;
    size_t ml, pl, nh = 100;
    int minor;
    struct phr_header h[100];
    return phr_parse_request(buf, len, &m, &ml, &p, &pl, &minor, h, &nh, 0);
}

static void run(const char *label, const char *head)
{
    size_t len = strlen(head), n = 2000000;
    volatile int sink = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++)
        sink += fw_http1_framing_lines(head, len);
    double fast = now() - t0;
    t0 = now();
    for (size_t i = 0; i < n; i++)
        sink += full(head, len);
    double slow = now() - t0;
    printf("%-24s %5zu bytes  fast path %5.0f ns  full parse %5.0f ns\n", label, len, fast / (double)n * 1e9,
           slow / (double)n * 1e9);
    (void)sink;
}

int main(void)
{
    run("wrk GET, bearer token",
        "GET /2/users/1000000001/followers HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n"
        "authorization: Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDj"
        "Rfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F\r\n\r\n");
    run("tweepy follow POST",
        "POST /2/users/1000000001/following HTTP/1.1\r\nhost: api.example\r\n"
        "user-agent: Python/3.11 Requests/2.28.1 Tweepy/4.14.0\r\naccept-encoding: gzip, deflate\r\naccept: */*\r\n"
        "connection: keep-alive\r\ncontent-length: 34\r\ncontent-type: application/json\r\n"
        "authorization: Bearer 1000000001-aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefgh\r\n\r\n");
    char big[8192];
    size_t o = (size_t)snprintf(big, sizeof big, "GET /2/users/me HTTP/1.1\r\nhost: x\r\n");
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "x-header-%02d: some value of a typical size %d\r\n", i, i);
    snprintf(big + o, sizeof big - o, "\r\n");
    run("40 headers", big);
    return 0;
}
