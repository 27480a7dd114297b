/* Unit tests for src/text: UTF-8 validation, entity rules at their edges,
 * code point indices, overlap resolution and the user entities JSON. The
 * twitter-text conformance suite runs separately (test_text_conformance). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "text/entities.h"

#define V(s) fw_utf8_valid((s), sizeof(s) - 1)

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(V(""));
    assert_true(V("plain ascii"));
    assert_true(V("a\0b"));                     /* NUL is a valid character */
    assert_true(V("\xC2\x80\xDF\xBF"));         /* U+0080, U+07FF */
    assert_true(V("\xE0\xA0\x80\xEF\xBF\xBF")); /* U+0800, U+FFFF */
    assert_true(V("\xED\x9F\xBF\xEE\x80\x80")); /* U+D7FF, U+E000 around the surrogates */
    assert_true(V("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF")); /* U+10000, U+10FFFF */
    assert_false(V("\xC0\x80"));                /* overlong NUL */
    assert_false(V("\xC1\xBF"));                /* overlong */
    assert_false(V("\xE0\x9F\xBF"));            /* overlong 3-byte */
    assert_false(V("\xF0\x8F\xBF\xBF"));        /* overlong 4-byte */
    assert_false(V("\xED\xA0\x80"));            /* U+D800 */
    assert_false(V("\xED\xBF\xBF"));            /* U+DFFF */
    assert_false(V("\xF4\x90\x80\x80"));        /* U+110000 */
    assert_false(V("\xF5\x80\x80\x80"));
    assert_false(V("\xFF"));
    assert_false(V("\x80"));                    /* lone continuation */
    assert_false(V("\xE2\x82"));                /* truncated */
    assert_false(V("ok\xF0\x9F\x98"));          /* truncated at the end */
    assert_false(V("\xE2\x28\xA1"));            /* bad continuation */
    assert_false(fw_utf8_valid(NULL, 1));
    assert_true(fw_utf8_valid(NULL, 0));
}

/* Extracts and renders "kind:start-end:text;" for compact assertions. */
static char *render(const char *s)
{
    static char out[4096];
    static const char *const names[] = {"", "url", "hashtag", "mention", "cashtag"};
    fw_entity e[64];
    int n = fw_text_extract(s, strlen(s), e, 64);
    out[0] = 0;
    if (n < 0) return strcpy(out, "invalid");
    assert_true(n <= 64);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        assert_true(e[i].byte_end > e[i].byte_start && e[i].byte_end <= strlen(s));
        at += (size_t)snprintf(out + at, sizeof out - at, "%s:%u-%u:%.*s;", names[e[i].kind], e[i].start, e[i].end,
                               (int)(e[i].byte_end - e[i].byte_start), s + e[i].byte_start);
    }
    return out;
}

static void test_extract_invalid_and_cap(void **state)
{
    (void)state;
    fw_entity e[2];
    assert_int_equal(fw_text_extract("#a \xC0\x80", 5, e, 2), -1);
    assert_int_equal(fw_text_extract("", 0, e, 2), 0);
    /* the count may exceed cap; only cap entities are written */
    memset(e, 0xAB, sizeof e);
    assert_int_equal(fw_text_extract("#a #b #c #d", 11, e, 1), 4);
    assert_int_equal(e[0].byte_start, 0);
    assert_int_equal(e[1].kind, 0xAB);
    assert_int_equal(fw_text_extract("#a #b", 5, NULL, 0), 2);
    /* over the size limit counts as invalid */
    size_t big = FW_TEXT_MAX_LEN + 1;
    char *s = malloc(big);
    memset(s, 'a', big);
    assert_int_equal(fw_text_extract(s, big, e, 2), -1);
    assert_int_equal(fw_text_extract(s, big - 1, e, 2), 0);
    free(s);
}

static void test_indices_are_code_points(void **state)
{
    (void)state;
    fw_entity e[4];
    const char *s = "\xF0\x9F\x98\x80 \xC3\xA9,#tag"; /* emoji, space, é, comma, #tag */
    assert_int_equal(fw_text_extract(s, strlen(s), e, 4), 1);
    assert_int_equal(e[0].kind, FW_ENT_HASHTAG);
    assert_int_equal(e[0].start, 4);
    assert_int_equal(e[0].end, 8);
    assert_int_equal(e[0].byte_start, 8);
    assert_int_equal(e[0].byte_end, 12);
    assert_string_equal(render("\xC3\xA9#tag"), ""); /* a letter before # */
    /* an astral letter inside a hashtag counts once */
    assert_string_equal(render("#a\xF0\x9D\x90\x80 b"), "hashtag:0-3:#a\xF0\x9D\x90\x80;");
    assert_string_equal(render("\xF0\x9F\x98\x80#\xF0\x9F\x98\x80"), "");  /* emoji are not letters */
    assert_string_equal(render("\xF0\x9F\x98\x80#tag"), "hashtag:1-5:#tag;");
}

static void test_hashtags(void **state)
{
    (void)state;
    assert_string_equal(render("#hashtag here"), "hashtag:0-8:#hashtag;");
    assert_string_equal(render("#123"), "");                 /* needs a letter */
    assert_string_equal(render("#1a2"), "hashtag:0-4:#1a2;");
    assert_string_equal(render("a#tag"), "");                /* letter before */
    assert_string_equal(render("&#tag"), "");                /* HTML entity lookalike */
    assert_string_equal(render("#tag#"), "");                /* followed by another sign */
    assert_string_equal(render("#tag://x"), "");
    assert_string_equal(render("\xEF\xBC\x83tag"), "hashtag:0-4:\xEF\xBC\x83tag;"); /* full-width ＃ */
    assert_string_equal(render("#\xEF\xB8\x8Ftag"), "");     /* keycap-ish # + U+FE0F */
    assert_string_equal(render("\xE2\x9C\x8C\xEF\xB8\x8F#tag"), "hashtag:2-6:#tag;");
    assert_string_equal(render("#caf\xC3\xA9_x"), "hashtag:0-7:#caf\xC3\xA9_x;");
    assert_string_equal(render("#a\xE2\x80\x8D" "b"), "hashtag:0-4:#a\xE2\x80\x8D" "b;"); /* ZWJ joins */
    assert_string_equal(render("#\xE6\x97\xA5\xE6\x9C\xAC"), "hashtag:0-3:#\xE6\x97\xA5\xE6\x9C\xAC;");
    assert_string_equal(render("(#tag)"), "hashtag:1-5:#tag;");
}

static void test_mentions(void **state)
{
    (void)state;
    assert_string_equal(render("hi @user!"), "mention:3-8:@user;");
    assert_string_equal(render("a@user"), "");                     /* e-mail like */
    assert_string_equal(render("RT@user"), "mention:2-7:@user;"); /* retweet prefix */
    assert_string_equal(render("\xEF\xBC\xA0user"), "mention:0-5:\xEF\xBC\xA0user;"); /* full-width ＠ */
    assert_string_equal(render("@user@x"), "");                    /* followed by @ */
    assert_string_equal(render("@user\xC3\xA9"), "");              /* followed by a latin accent */
    assert_string_equal(render("@user/my-list ok"), "mention:0-13:@user/my-list;");
    assert_string_equal(render("@user/7list"), "mention:0-5:@user;");
    /* at most 20 characters are taken */
    assert_string_equal(render("@abcdefghijklmnopqrstuvwxyz"), "mention:0-21:@abcdefghijklmnopqrst;");
}

static void test_cashtags(void **state)
{
    (void)state;
    assert_string_equal(render("$AAPL up"), "cashtag:0-5:$AAPL;");
    assert_string_equal(render("buy $ab.cd."), "cashtag:4-10:$ab.cd;");
    assert_string_equal(render("$abcdefg"), "");    /* more than 6 letters */
    assert_string_equal(render("a$AAPL"), "");      /* must follow a space */
    assert_string_equal(render("$123"), "");
    assert_string_equal(render("$AAPL\xE3\x80\x80"), "cashtag:0-5:$AAPL;"); /* before U+3000 */
}

static void test_urls(void **state)
{
    (void)state;
    assert_string_equal(render("see https://example.com/a?b=c."), "url:4-29:https://example.com/a?b=c;");
    assert_string_equal(render("HTTP://EXAMPLE.COM"), "url:0-18:HTTP://EXAMPLE.COM;");
    assert_string_equal(render("example.com/x"), "url:0-13:example.com/x;");
    assert_string_equal(render("foo.notatld"), "");
    assert_string_equal(render("john.doe.gov@mail.com"), "");
    assert_string_equal(render("a.tar.bz2"), "");
    assert_string_equal(render("-example.com"), "");   /* protocol-less after '-' */
    assert_string_equal(render("http://en.wikipedia.org/wiki/Primer_(film) x"),
                        "url:0-42:http://en.wikipedia.org/wiki/Primer_(film);");
    assert_string_equal(render("http://a.com/x(a(b)c)"), "url:0-21:http://a.com/x(a(b)c);");
    assert_string_equal(render("(http://a.com/x)"), "url:1-15:http://a.com/x;");
    assert_string_equal(render("http://a.com/:(a)"), "url:0-13:http://a.com/;"); /* ')' ends nothing here */
    assert_string_equal(render("http://foobar.\xE3\x81\xBF\xE3\x82\x93\xE3\x81\xAA/"),
                        "url:0-18:http://foobar.\xE3\x81\xBF\xE3\x82\x93\xE3\x81\xAA/;");
    assert_string_equal(render("test http://xn--ls8h.la/"), "url:5-24:http://xn--ls8h.la/;");
    /* t.co: no extra path characters, slug at most 40 */
    assert_string_equal(render("http://t.co/abc's"), "url:0-15:http://t.co/abc;");
    assert_string_equal(render("http://t.co/0123456789012345678901234567890123456789"),
                        "url:0-52:http://t.co/0123456789012345678901234567890123456789;");
    assert_string_equal(render("http://t.co/01234567890123456789012345678901234567890"), "");
    /* CJK around protocol-less domains */
    assert_string_equal(render("\xE6\x97\xA5" "example.com\xE6\x97\xA5"), "url:1-12:example.com;");
    /* K (U+212A) must not stand in for k in a TLD (.kim) */
    assert_string_equal(render("http://example.\xE2\x84\xAAim"), "");
    assert_string_equal(render("http://example.kim"), "url:0-18:http://example.kim;");
    /* a retired TLD kept for twitter-text compatibility, a PSL-only one */
    assert_string_equal(render("x.duck"), "url:0-6:x.duck;");
    assert_string_equal(render("x.music"), "url:0-7:x.music;");
}

static void test_punycode_label_limits(void **state)
{
    (void)state;
    char s[256];
    /* 63 ASCII characters fit a label, 64 do not */
    snprintf(s, sizeof s, "http://%.*s.com", 63, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(fw_text_extract(s, strlen(s), NULL, 0), 1);
    snprintf(s, sizeof s, "http://%.*s.com", 64, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(fw_text_extract(s, strlen(s), NULL, 0), 0);
    /* "xn--" + punycode: 17 × ü is xn--tdaaaaaaaaaaaaaaaa (22); 60 × ü is 65 > 63 */
    strcpy(s, "http://");
    for (int i = 0; i < 17; i++) strcat(s, "\xC3\xBC");
    strcat(s, ".com");
    assert_int_equal(fw_text_extract(s, strlen(s), NULL, 0), 1);
    strcpy(s, "http://");
    for (int i = 0; i < 60; i++) strcat(s, "\xC3\xBC");
    strcat(s, ".com");
    assert_int_equal(fw_text_extract(s, strlen(s), NULL, 0), 0);
}

static void test_overlaps(void **state)
{
    (void)state;
    /* a hashtag or mention inside a URL belongs to the URL */
    assert_string_equal(render("http://a.com/#tag"), "url:0-17:http://a.com/#tag;");
    assert_string_equal(render("http://a.com/@user/ #x"), "url:0-19:http://a.com/@user/;hashtag:20-22:#x;");
    assert_string_equal(render("#tag @user $AAPL a.co"),
                        "hashtag:0-4:#tag;mention:5-10:@user;cashtag:11-16:$AAPL;url:17-21:a.co;");
    /* the hashtag extractor alone keeps hashtags a URL covers */
    const char *s = "http://a.com/ #b http://x.com/#tag";
    fw_entity e[4];
    assert_int_equal(fw_text_extract_kinds(s, strlen(s), FW_ENT_BIT(FW_ENT_HASHTAG), e, 4), 2);
    assert_int_equal(fw_text_extract_kinds(s, strlen(s), FW_ENT_BIT(FW_ENT_HASHTAG) | FW_ENT_BIT(FW_ENT_URL), e, 4), 3);
}

static void test_hostile_input_terminates(void **state)
{
    (void)state;
    /* patterns that make naive regexes backtrack: long dotted runs, long
     * labels, long paths, many signs. Must finish (and be ASan-clean). */
    const char *units[] = {"a.", "a", "a-", "#", "@a", "http://a.com/(", "a.com/a", "$a ", "\xE6\x97\xA5.",
                           "\xE6\x97\xA5", "#1", "x.com/@a/", "a.co/a("};
    size_t n = FW_TEXT_MAX_LEN;
    char *s = malloc(n + 16);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t len = 0, k = strlen(units[u]);
        while (len + k <= n) { memcpy(s + len, units[u], k); len += k; }
        assert_true(fw_text_extract(s, len, NULL, 0) >= 0);
    }
    free(s);
}

static char *entities_json(const char *desc, const char *url)
{
    static char out[8192];
    fw_buf b = FW_BUF_INIT;
    int rc = fw_text_user_entities_json(fw_str_c(desc), fw_str_c(url), &b);
    snprintf(out, sizeof out, "%d %s", rc, b.data ? b.data : "");
    fw_buf_free(&b);
    return out;
}

static void test_json(void **state)
{
    (void)state;
    assert_string_equal(entities_json("", ""), "0 ");
    assert_string_equal(entities_json("no entities here", "not a url"), "0 ");
    assert_string_equal(entities_json("#a", NULL), "0 {\"description\":{\"hashtags\":[{\"start\":0,\"end\":2,\"tag\":\"a\"}]}}");
    assert_string_equal(
        entities_json("Dev at @acme/team, $ACME fan. #C \xEF\xBC\x83" "b \xEF\xBC\xA0z acme.dev/jobs",
                      "https://example.com"),
        "0 {\"url\":{\"urls\":[{\"start\":0,\"end\":19,\"url\":\"https://example.com\","
        "\"expanded_url\":\"https://example.com\",\"display_url\":\"example.com\"}]},"
        "\"description\":{\"urls\":[{\"start\":39,\"end\":52,\"url\":\"acme.dev/jobs\","
        "\"expanded_url\":\"http://acme.dev/jobs\",\"display_url\":\"acme.dev/jobs\"}],"
        "\"hashtags\":[{\"start\":30,\"end\":32,\"tag\":\"C\"},{\"start\":33,\"end\":35,\"tag\":\"b\"}],"
        "\"mentions\":[{\"start\":7,\"end\":17,\"username\":\"acme\"},{\"start\":36,\"end\":38,\"username\":\"z\"}],"
        "\"cashtags\":[{\"start\":19,\"end\":24,\"tag\":\"ACME\"}]}}");
    /* display_url: scheme dropped, cut to 26 characters + "…" */
    assert_string_equal(entities_json("", "http://example.com/abcdefghijklmnopqrstuvwxyz"),
                        "0 {\"url\":{\"urls\":[{\"start\":0,\"end\":45,"
                        "\"url\":\"http://example.com/abcdefghijklmnopqrstuvwxyz\","
                        "\"expanded_url\":\"http://example.com/abcdefghijklmnopqrstuvwxyz\","
                        "\"display_url\":\"example.com/abcdefghijklmn\xE2\x80\xA6\"}]}}");
    /* exactly 26 characters: no ellipsis */
    assert_string_equal(entities_json("", "HTTPS://example.com/abcdefghijklmn"),
                        "0 {\"url\":{\"urls\":[{\"start\":0,\"end\":34,"
                        "\"url\":\"HTTPS://example.com/abcdefghijklmn\","
                        "\"expanded_url\":\"HTTPS://example.com/abcdefghijklmn\","
                        "\"display_url\":\"example.com/abcdefghijklmn\"}]}}");
    /* only URLs of the url field count; hashtags there are ignored */
    assert_string_equal(entities_json("", "#tag"), "0 ");
    /* astral characters before an entity: code point indices */
    assert_string_equal(entities_json("\xF0\x9F\x98\x80 #x", ""),
                        "0 {\"description\":{\"hashtags\":[{\"start\":2,\"end\":4,\"tag\":\"x\"}]}}");
}

static void test_json_invalid_leaves_buffer(void **state)
{
    (void)state;
    fw_buf b = FW_BUF_INIT;
    fw_buf_puts(&b, "prefix");
    assert_int_equal(fw_text_user_entities_json(fw_str_c("#ok"), (fw_str){"\xED\xA0\x80", 3}, &b), -1);
    assert_int_equal(fw_text_user_entities_json((fw_str){"#a\xC0\x80", 4}, fw_str_c("a.com"), &b), -1);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "prefix");
    /* appends after existing content */
    assert_int_equal(fw_text_user_entities_json(fw_str_c("#ok"), FW_STR_NULL, &b), 0);
    assert_string_equal(b.data, "prefix{\"description\":{\"hashtags\":[{\"start\":0,\"end\":3,\"tag\":\"ok\"}]}}");
    fw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_extract_invalid_and_cap),
        cmocka_unit_test(test_indices_are_code_points),
        cmocka_unit_test(test_hashtags),
        cmocka_unit_test(test_mentions),
        cmocka_unit_test(test_cashtags),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_punycode_label_limits),
        cmocka_unit_test(test_overlaps),
        cmocka_unit_test(test_hostile_input_terminates),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_invalid_leaves_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
