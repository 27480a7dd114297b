/* Unit tests: the oversized chunk-size guard (http/chunkguard.c) in front of
 * libh2o's chunked decoder, called as h2o calls it: read by read, decoding in
 * place. The limit is the default max_body (64 KiB). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_internal.h"

#define LIMIT 65536

/* Feeds s (n bytes) as one read; *out gets the decoded length. */
static ssize_t feed(struct phr_chunked_decoder *d, char *buf, const char *s, size_t n, size_t *out)
{
    memcpy(buf, s, n);
    *out = n;
    return phr_decode_chunked(d, buf, out);
}

static struct phr_chunked_decoder fresh(void)
{
    struct phr_chunked_decoder d = {0};
    d.consume_trailer = 1; /* as h2o's request body reader sets it */
    return d;
}

static void test_init(void **st)
{
    (void)st;
    assert_true(fw_http_chunk_guard_init(1000));
    assert_true(fw_http_chunk_guard_init(LIMIT)); /* a larger limit replaces it */
    assert_true(fw_http_chunk_guard_init(10));    /* a smaller one does not */
    struct phr_chunked_decoder d = {0};
    d.bytes_left_in_chunk = LIMIT;
    assert_false(fw_http_chunk_too_large(&d, LIMIT));
    d.bytes_left_in_chunk = LIMIT + 1;
    assert_true(fw_http_chunk_too_large(&d, LIMIT));
    assert_false(fw_http_chunk_too_large(&d, 0));
}

static void test_oversized_refused_in_the_read_that_says_so(void **st)
{
    (void)st;
    static const char *const over[] = {"10001\r\n", "20000\r\nxxxx", "FFFFFFFF\r\n", "ffffffffffffffff\r\n",
                                       "0000000000010001\r\n", "20000;ext=1\r\n", "20000"};
    char buf[256];
    size_t n;
    for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
        struct phr_chunked_decoder d = fresh();
        assert_int_equal(feed(&d, buf, over[i], strlen(over[i]), &n), -1);
    }
    /* a size line arriving digit by digit: refused at the digit that crosses */
    struct phr_chunked_decoder d = fresh();
    assert_int_equal(feed(&d, buf, "1", 1, &n), -2);
    assert_int_equal(feed(&d, buf, "000", 3, &n), -2);
    assert_int_equal(feed(&d, buf, "0", 1, &n), -2); /* 0x10000: the limit itself */
    assert_int_equal(feed(&d, buf, "0", 1, &n), -1);
    /* one byte over, with all its data in the same read: still refused (the
     * data cannot count the size down before the guard sees it) */
    static char big[LIMIT + 64];
    memcpy(big, "10001\r\n", 7);
    memset(big + 7, 'a', LIMIT + 1);
    memcpy(big + 7 + LIMIT + 1, "\r\n0\r\n\r\n", 7);
    d = fresh();
    n = 7 + LIMIT + 1 + 7;
    assert_int_equal(phr_decode_chunked(&d, big, &n), -1);
    /* the second chunk is the oversized one */
    d = fresh();
    assert_int_equal(feed(&d, buf, "3\r\nabc\r\n20000\r\n", 15, &n), -1);
}

static void test_within_the_limit_decodes_as_h2o_would(void **st)
{
    (void)st;
    char buf[256];
    size_t n;
    /* several chunks, line feeds inside the data, the next request after the body */
    struct phr_chunked_decoder d = fresh();
    const char *s = "6\r\nab\ncd\n\r\n3;x=y\r\n\n\n\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    ssize_t r = feed(&d, buf, s, strlen(s), &n);
    assert_int_equal(r, 16); /* the unread request bytes, moved after the data */
    assert_int_equal(n, 9);
    assert_memory_equal(buf, "ab\ncd\n\n\n\nGET / HTTP/1.1\r\n", 9 + 16);
    /* the same body byte by byte */
    d = fresh();
    size_t total = 0;
    char out[64];
    for (size_t i = 0; i < strlen(s); i++) {
        r = feed(&d, buf, s + i, 1, &n);
        memcpy(out + total, buf, n);
        total += n;
        if (r >= 0) {
            assert_int_equal(r, 0);
            assert_int_equal(i, strlen(s) - 17); /* the last LF of the body */
            break;
        }
        assert_int_equal(r, -2);
    }
    assert_int_equal(total, 9);
    assert_memory_equal(out, "ab\ncd\n\n\n\n", 9);
    /* a chunk of exactly the limit, data still to come: waits */
    d = fresh();
    assert_int_equal(feed(&d, buf, "10000\r\nabc", 10, &n), -2);
    assert_int_equal(n, 3);
    /* broken framing is still the decoder's -1 */
    d = fresh();
    assert_int_equal(feed(&d, buf, "zz\r\n", 4, &n), -1);
    d = fresh();
    assert_int_equal(feed(&d, buf, "12345678901234567\r\n", 19, &n), -1); /* 17 digits */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_oversized_refused_in_the_read_that_says_so),
        cmocka_unit_test(test_within_the_limit_decodes_as_h2o_would),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
