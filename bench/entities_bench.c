/* Entity extraction throughput: descriptions per second (not a test).
 *
 * Build (optimised) and run from the repo root:
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Isrc bench/entities_bench.c src/text/[a-z]*.c \
 *       src/core/buf.c src/core/jsonw.c src/core/str.c $(pkg-config --libs libpcre2-8) -lpthread \
 *       -o build/entities_bench && build/entities_bench
 *
 * Runs a mix of realistic profile descriptions (up to X's 160 characters)
 * through fw_text_user_entities_json, which is what a user write costs, then
 * times a few worst-case inputs at the FW_TEXT_MAX_LEN cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/str.h"
#include "text/entities.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const k_desc[] = {
    "Engineer at @acme. Opinions my own. #rustlang #cloud https://acme.dev/blog",
    "Official account of Example Corp. Support: @examplehelp | $EXMP | example.com",
    "東京在住のエンジニア。#プログラミング 好き。ブログ → https://example.jp/ブログ",
    "\xF0\x9F\x8C\x8D Climate, data & maps. RT \xe2\x89\xa0 endorsement. she/her",
    "Just a plain description with no entities at all, only words and punctuation.",
    "Coffee \xE2\x98\x95 | Photography \xF0\x9F\x93\xB7 | #travel #photo @natgeo fan | links: bit.ly/abc t.co/xyz",
    "Maintainer of foo.js and bar.py, speaker, writer. DMs open. he/him. #opensource",
    "Ведущий новостей. #новости @channel1 http://пример.рф/",
};

static void bench_descriptions(void)
{
    const size_t nd = sizeof k_desc / sizeof k_desc[0];
    fw_buf b = FW_BUF_INIT;
    const size_t iters = 200000;
    double t0 = now();
    for (size_t i = 0; i < iters; i++) {
        fw_buf_reset(&b);
        if (fw_text_user_entities_json(fw_str_c(k_desc[i % nd]), FW_STR_LIT("https://example.com"), &b) != 0) abort();
    }
    double dt = now() - t0;
    printf("descriptions (+url) to entities JSON: %.0f per second (%.2f us each)\n", iters / dt, dt / iters * 1e6);
    fw_buf_free(&b);
}

static void bench_worst(const char *name, const char *unit)
{
    size_t n = FW_TEXT_MAX_LEN, len = 0, k = strlen(unit);
    char *s = malloc(n);
    while (len + k <= n) { memcpy(s + len, unit, k); len += k; }
    double t0 = now();
    int c = fw_text_extract(s, len, NULL, 0);
    printf("worst case %-22s %6zu bytes: %8.2f ms, %d entities\n", name, len, (now() - t0) * 1e3, c);
    free(s);
}

int main(void)
{
    bench_descriptions();
    bench_worst("dotted labels a.", "a.");
    bench_worst("one long label", "a");
    bench_worst("hyphens a-", "a-");
    bench_worst("CJK labels", "\xE6\x97\xA5.");
    bench_worst("open parens in path", "http://a.com/(");
    bench_worst("many hashtags", "#a ");
    bench_worst("many URLs", "a.co ");
    bench_worst("digits after #", "#1");
    return 0;
}
