/* Unit tests: buffer, JSON writer, percent-encoding, encodings and secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/secret.h"
#include "core/sort.h"
#include "core/urlenc.h"
#include "core/xhosts.h"

static void test_buf_growth_and_numbers(void **st)
{
    (void)st;
    fw_buf b = FW_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        fw_buf_putc(&b, 'x');
    assert_int_equal(b.len, 1000);
    fw_buf_reset(&b);
    fw_buf_put_u64(&b, UINT64_MAX);
    fw_buf_putc(&b, ' ');
    fw_buf_put_i64(&b, INT64_MIN);
    fw_buf_putc(&b, ' ');
    fw_buf_put_u64(&b, 0);
    assert_string_equal(b.data, "18446744073709551615 -9223372036854775808 0");
    fw_buf_free(&b);
}

static void test_jsonw_compact(void **st)
{
    (void)st;
    fw_buf b = FW_BUF_INIT;
    fw_jw w;
    fw_jw_init(&w, &b, false);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "data");
    fw_jw_arr_begin(&w);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "id");
    fw_jw_id(&w, 2244994945ULL);
    fw_jw_key(&w, "ok");
    fw_jw_bool(&w, true);
    fw_jw_obj_end(&w);
    fw_jw_int(&w, -5);
    fw_jw_null(&w);
    fw_jw_arr_end(&w);
    fw_jw_key(&w, "empty");
    fw_jw_obj_begin(&w);
    fw_jw_obj_end(&w);
    fw_jw_key(&w, "raw");
    fw_jw_raw(&w, "[1]", 3);
    fw_jw_obj_end(&w);
    assert_string_equal(b.data, "{\"data\":[{\"id\":\"2244994945\",\"ok\":true},-5,null],\"empty\":{},\"raw\":[1]}");
    fw_buf_free(&b);
}

static void test_jsonw_pretty_matches_x(void **st)
{
    (void)st;
    fw_buf b = FW_BUF_INIT;
    fw_jw w;
    fw_jw_init(&w, &b, true);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "title");
    fw_jw_str(&w, "Unauthorized");
    fw_jw_key(&w, "type");
    fw_jw_str(&w, "about:blank");
    fw_jw_key(&w, "status");
    fw_jw_int(&w, 401);
    fw_jw_key(&w, "detail");
    fw_jw_str(&w, "Unauthorized");
    fw_jw_obj_end(&w);
    assert_string_equal(b.data, "{\n  \"title\": \"Unauthorized\",\n  \"type\": \"about:blank\",\n  \"status\": 401,\n"
                                "  \"detail\": \"Unauthorized\"\n}");
    assert_int_equal(b.len, 99);
    fw_buf_free(&b);
}

/* Deepest legal nesting is written; one level more is refused, the writer's
 * output taken back (what came before it stays) and later calls ignored. */
static void test_jsonw_depth_refused(void **st)
{
    (void)st;
    fw_buf b = FW_BUF_INIT;
    fw_buf_puts(&b, "prefix:");
    fw_jw w;
    fw_jw_init(&w, &b, false);
    for (int i = 1; i < FW_JW_MAX_DEPTH; i++)
        fw_jw_arr_begin(&w);
    assert_int_equal(fw_jw_error(&w), FW_OK);
    for (int i = 1; i < FW_JW_MAX_DEPTH; i++)
        fw_jw_arr_end(&w);
    assert_int_equal(fw_jw_error(&w), FW_OK);
    assert_int_equal(b.len, 7 + 2 * (FW_JW_MAX_DEPTH - 1));

    fw_buf_reset(&b);
    fw_buf_puts(&b, "prefix:");
    fw_jw_init(&w, &b, true);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "a");
    for (int i = 1; i < FW_JW_MAX_DEPTH; i++)
        fw_jw_arr_begin(&w);
    assert_int_equal(fw_jw_error(&w), FW_ELIMIT);
    assert_string_equal(b.data, "prefix:");
    fw_jw_str(&w, "x");
    fw_jw_obj_begin_raw(&w, "{\"k\":1", 6);
    for (int i = 0; i < FW_JW_MAX_DEPTH; i++)
        fw_jw_arr_end(&w);
    assert_int_equal(fw_jw_error(&w), FW_ELIMIT);
    assert_string_equal(b.data, "prefix:");

    fw_buf_reset(&b);
    fw_jw_init(&w, &b, false);
    fw_jw_obj_begin(&w);
    fw_jw_obj_end(&w);
    fw_jw_obj_end(&w); /* nothing open */
    assert_int_equal(fw_jw_error(&w), FW_EINVAL);
    assert_int_equal(b.len, 0);

    fw_jw_init(&w, &b, false);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "k");
    fw_jw_obj_end(&w); /* a key without its value */
    assert_int_equal(fw_jw_error(&w), FW_EINVAL);
    assert_int_equal(b.len, 0);
    fw_buf_free(&b);
}

static void test_json_escape(void **st)
{
    (void)st;
    fw_buf b = FW_BUF_INIT;
    const char in[] = "a\"b\\c\n\x01 caf\xC3\xA9 \xF0\x9F\x8C\x8F \xFF end";
    fw_json_escape(&b, in, sizeof in - 1);
    /* BMP raw, astral as a surrogate pair (as X does), invalid bytes replaced. */
    assert_string_equal(b.data, "a\\\"b\\\\c\\n\\u0001 caf\xC3\xA9 \\uD83C\\uDF0F \xEF\xBF\xBD end");
    fw_buf_reset(&b);
    fw_json_escape(&b, "\xE0\x80\xAF\xED\xA0\x80", 6); /* overlong and surrogate: invalid */
    assert_string_equal(b.data, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    fw_buf_free(&b);
}

static void test_url_decode_encode(void **st)
{
    (void)st;
    fw_buf b = FW_BUF_INIT;
    assert_int_equal(fw_url_decode(FW_STR_LIT("user.fields=a%2Cb+c"), true, &b), 0);
    assert_string_equal(b.data, "user.fields=a,b c");
    fw_buf_reset(&b);
    assert_int_equal(fw_url_decode(FW_STR_LIT("bad%2"), false, &b), -1);
    fw_buf_reset(&b);
    assert_int_equal(fw_url_decode(FW_STR_LIT("bad%zz"), false, &b), -1);
    fw_buf_reset(&b);
    fw_url_encode(FW_STR_LIT("Ladies + Gentlemen ~-._!*"), &b);
    assert_string_equal(b.data, "Ladies%20%2B%20Gentlemen%20~-._%21%2A");
    char small[5];
    assert_int_equal(fw_url_decode_to(FW_STR_LIT("abcde"), false, small, sizeof small), -2);
    assert_int_equal(fw_url_decode_to(FW_STR_LIT("%41b"), false, small, sizeof small), 2);
    assert_string_equal(small, "Ab");
    fw_buf_free(&b);
}

static void test_form_iteration(void **st)
{
    (void)st;
    fw_form_iter it = fw_form_begin(FW_STR_LIT("a=1&&b&c=&=x&d=4"));
    fw_str k, v;
    const char *want[][2] = {{"a", "1"}, {"b", ""}, {"c", ""}, {"", "x"}, {"d", "4"}};
    int n = 0;
    while (fw_form_next(&it, &k, &v)) {
        assert_true(n < 5);
        assert_true(fw_str_eq(k, want[n][0]));
        assert_true(fw_str_eq(v, want[n][1]));
        n++;
    }
    assert_int_equal(n, 5);
}

static void test_base32hex_and_base64(void **st)
{
    (void)st;
    char out[64];
    uint8_t raw[32];
    /* RFC 4648 test vectors for base32hex (without padding). */
    fw_b32hex_encode((const uint8_t *)"foobar", 6, out);
    assert_string_equal(out, "CPNMUOJ1E8");
    assert_int_equal(fw_b32hex_decode("CPNMUOJ1E8", 10, raw, sizeof raw), 6);
    assert_memory_equal(raw, "foobar", 6);
    assert_int_equal(fw_b32hex_decode("cpnm", 4, raw, sizeof raw), -1);
    fw_b64_encode((const uint8_t *)"foob", 4, out);
    assert_string_equal(out, "Zm9vYg==");
    assert_int_equal(fw_b64_decode("Zm9vYg==", 8, raw, sizeof raw), 4);
    fw_b64url_encode((const uint8_t *)"\xfb\xff", 2, out);
    assert_string_equal(out, "-_8");
}

static void test_secrets(void **st)
{
    (void)st;
    uint8_t h[32];
    char hex[65];
    fw_sha256("abc", 3, h);
    fw_hex(h, 32, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(fw_ct_equal("abc", 3, "abc", 3));
    assert_false(fw_ct_equal("abc", 3, "abd", 3));
    assert_false(fw_ct_equal("abc", 3, "abcd", 4));
    char a[33], b[33];
    assert_int_equal(fw_random_alnum(a, 32), 0);
    assert_int_equal(fw_random_alnum(b, 32), 0);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
}

/* fw_hmac_* implement RFC 2104 themselves over a digest fetched once: RFC 4231 / RFC 2202 vectors (short,
 * block-sized and longer-than-a-block keys) and OpenSSL's own HMAC() on every key and data length around
 * the 64-byte block. */
static void test_hmac(void **st)
{
    (void)st;
    uint8_t h[32], ref[32], k131[131], d[200];
    char hex[65];
    unsigned int rlen = 0;
    memset(k131, 0xaa, sizeof k131);
    fw_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, h);
    fw_hex(h, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const char *big = "Test Using Larger Than Block-Size Key - Hash Key First";
    fw_hmac_sha256(k131, sizeof k131, big, strlen(big), h);
    fw_hex(h, 32, hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    fw_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, h);
    fw_hex(h, 20, hex);
    assert_string_equal(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(i * 7 + 3);
    for (size_t kl = 0; kl <= 131; kl += (kl < 70 ? 1 : 13))
        for (size_t dl = 0; dl <= sizeof d; dl += 17) {
            fw_hmac_sha256(k131, kl, d, dl, h);
            HMAC(EVP_sha256(), k131, (int)kl, d, dl, ref, &rlen);
            assert_memory_equal(h, ref, 32);
            fw_hmac_sha1(k131, kl, d, dl, h);
            HMAC(EVP_sha1(), k131, (int)kl, d, dl, ref, &rlen);
            assert_memory_equal(h, ref, 20);
        }
    fw_sha256("", 0, h);
    fw_hex(h, 32, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_clock(void **st)
{
    (void)st;
    char ts[32];
    fw_iso8601(1262304000123LL, ts);
    assert_string_equal(ts, "2010-01-01T00:00:00.123Z");
    fw_iso8601(-1, ts); /* clamped, never a negative millisecond field */
    assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
    fw_iso8601(INT64_MAX, ts); /* clamped, never a 5-digit year */
    assert_string_equal(ts, "9999-12-31T23:59:59.999Z");
    int64_t t0 = fw_now_ms();
    fw_clock_advance(3600 * 1000);
    assert_true(fw_now_ms() - t0 >= 3600 * 1000);
}

/* fw_iso8601_parse reads back what fw_iso8601 writes, and nothing looser. */
static void test_iso8601_parse(void **st)
{
    (void)st;
    int64_t ms;
    char ts[32];
    static const int64_t samples[] = {0, 1262304000123LL, 951782400000LL /* 2000-02-29 */, 253402300799999LL};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        fw_iso8601(samples[i], ts);
        assert_int_equal(fw_iso8601_parse(ts, strlen(ts), &ms), FW_OK);
        assert_int_equal(ms, samples[i]);
    }
    assert_int_equal(fw_iso8601_parse("2010-01-01T00:00:00Z", 20, &ms), FW_OK);
    assert_int_equal(ms, 1262304000000LL);
    assert_int_equal(fw_iso8601_parse("2010-01-01T00:00:00.5Z", 22, &ms), FW_OK);
    assert_int_equal(ms, 1262304000500LL);
    static const char *bad[] = {"2010-01-01T00:00:00.000", "2010-01-01 00:00:00.000Z", "2010-13-01T00:00:00.000Z",
                                "2010-02-30T00:00:00.000Z", "2011-02-29T00:00:00.000Z", "1969-12-31T23:59:59.999Z",
                                "2010-01-01T24:00:00.000Z", "2010-01-01T00:00:00.0000Z", "2010-01-01T00:00:00.Z",
                                "2010-01-01T00:00:00+01:00", "2010-1-01T00:00:00.000Z", "", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(fw_iso8601_parse(bad[i], strlen(bad[i]), &ms), FW_EINVAL);
}

/* The radix sort orders by key, keeps equal keys in input order, and handles keys
 * that differ only in their high, only in their low bits, or only in the last,
 * partial digit (bits 60-63), and the import's two shapes (two 24-bit ranks;
 * a rank over 32 bits); on one thread and, from 2^20 pairs (an odd count:
 * unequal halves), on two, in an array from fw_kv_alloc (2 MB aligned). */
static void test_sort_kv(void **st)
{
    (void)st;
    static const size_t sizes[] = {100000, (1u << 20) + 3};
    fw_kv *a = fw_kv_alloc(sizes[1]);
    assert_non_null(a);
    uint64_t x = 88172645463325252ull;
    for (size_t z = 0; z < 2; z++)
        for (int shape = 0; shape < 6; shape++) {
            size_t n = sizes[z];
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                uint64_t k = shape == 0   ? x
                             : shape == 1 ? (x % 50) << 48
                             : shape == 2 ? x % 1000
                             : shape == 3 ? (x & 0xF) << 60
                             : shape == 4 ? (x & 0xFFFFFF) << 32 | (x >> 40)
                                          : (x & 0xFFFFFF) << 32 | (uint32_t)(x >> 29);
                a[i] = (fw_kv){k, i};
            }
            assert_int_equal(fw_sort_kv(a, n), FW_OK);
            for (size_t i = 1; i < n; i++) {
                assert_true(a[i - 1].key <= a[i].key);
                if (a[i - 1].key == a[i].key)
                    assert_true(a[i - 1].val < a[i].val); /* stable */
            }
        }
    assert_int_equal(fw_sort_kv(a, 0), FW_OK);
    free(a);
    fw_kv *one = fw_kv_alloc(0); /* a valid one-pair array, small enough for malloc */
    assert_non_null(one);
    one[0] = (fw_kv){1, 2};
    free(one);
    assert_null(fw_kv_alloc(SIZE_MAX / sizeof(fw_kv) + 1));
}

/* Every code of core/err.h has its own message; outside the set is "unknown". */
static void test_strerror_distinct(void **state)
{
    (void)state;
    for (int a = FW_OK; a >= FW_ERR_MIN; a--) {
        const char *ma = fw_strerror(a);
        assert_non_null(ma);
        assert_string_not_equal(ma, "unknown error");
        for (int b = a - 1; b >= FW_ERR_MIN; b--)
            assert_string_not_equal(ma, fw_strerror(b));
    }
    assert_string_equal(fw_strerror(1), "unknown error");
    assert_string_equal(fw_strerror(FW_ERR_MIN - 1), "unknown error");
    assert_string_equal(fw_strerror(-30792 /* an LMDB code never escapes */), "unknown error");
}

static void test_media_type(void **state)
{
    (void)state;
    static const char *yes[] = {"application/json", "Application/JSON", "application/json; charset=utf-8",
                                "application/json;charset=UTF-8", " application/json ", "application/json ;a=b ; c=\"x;y\"",
                                "application/json;"};
    static const char *no[] = {"application/json garbage", "application/jsonx", "application/json; charset",
                               "application/json; =utf-8", "application/json; a=\"open", "application/json, text/plain",
                               "application/js", "", "text/json", "application/json; a=b c"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        assert_true(fw_media_type_is(fw_str_c(yes[i]), "application/json"));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(fw_media_type_is(fw_str_c(no[i]), "application/json"));
}

static void test_x_host_match(void **state)
{
    (void)state;
    static const struct {
        const char *a;
        bool ok;
        int port;
    } cases[] = {
        {"api.x.com", true, 0},           {"API.X.COM:443", true, 443},   {"api.twitter.com.:443", true, 443},
        {"twitter.com:80", true, 80},     {"upload.twitter.com", true, 0}, {"developer.x.com:1", true, 1},
        {"evil.api.x.com:443", false, 0}, {"api.x.com.evil:443", false, 0}, {"x.co", false, 0},
        {"api.x.com:", false, -1},        {"api.x.com:0", false, -1},      {"api.x.com:65536", false, -1},
        {"api.x.com:44a", false, -1},     {"api.x.com:443:1", false, -1},  {"", false, 0},
        {":443", false, 443},             {"localhost:443", false, 443},   {"127.0.0.1:443", false, 443},
        {"api.x.com..", false, 0},        {"[::1]:443", false, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int port = 99;
        bool ok = fw_x_host_match(cases[i].a, strlen(cases[i].a), &port);
        if (ok != cases[i].ok || (ok && port != cases[i].port))
            fail_msg("%s: ok=%d port=%d", cases[i].a, ok, port);
    }
    size_t n = 0;
    for (const char *const *h = fw_x_hosts; *h; h++, n++) {
        int port;
        assert_true(fw_x_host_match(*h, strlen(*h), &port));
    }
    assert_true(n >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_distinct), cmocka_unit_test(test_buf_growth_and_numbers), cmocka_unit_test(test_jsonw_compact),
        cmocka_unit_test(test_jsonw_pretty_matches_x), cmocka_unit_test(test_jsonw_depth_refused),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_url_decode_encode),      cmocka_unit_test(test_form_iteration),
        cmocka_unit_test(test_base32hex_and_base64),   cmocka_unit_test(test_secrets), cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_clock), cmocka_unit_test(test_media_type),
        cmocka_unit_test(test_iso8601_parse), cmocka_unit_test(test_sort_kv), cmocka_unit_test(test_x_host_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
