/* Unit tests for cli/userjson: the fast parser of import's user lines decodes
 * what jansson decodes, declines what it does not know (so that jansson
 * judges it), and validates through the same checks as the jansson path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/userjson.h"

static int fast(const char *line, fw_uj_user *m, fw_arena *a)
{
    return fw_uj_parse_fast(line, strlen(line), m, a);
}

/* jansson's members of line, which must be an object. */
static void slow(const char *line, fw_uj_user *m, fw_arena *a, json_t **o)
{
    *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(*o);
    assert_int_equal(fw_uj_from_json(*o, m, a), 0);
}

static void assert_str(fw_str s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.p, want, s.len);
}

static void test_typical_line(void **state)
{
    (void)state;
    const char *line = "{\"id\":\"10000000001\",\"username\":\"u1\",\"name\":\"Source Storage 1\","
                       "\"created_at\":\"2021-03-29T15:15:02.000Z\",\"protected\":false,\"verified\":true,"
                       "\"verified_type\":\"business\",\"profile_image_url\":\"https://pbs.twimg.com/p.jpg\","
                       "\"description\":\"I like #source. Ask @u7919\",\"url\":\"https://example.com/u1\","
                       "\"location\":\"Earth\",\"pinned_tweet_id\":\"1700000000000000001\","
                       "\"withheld\":{\"country_codes\":[\"DE\",\"FR\"]},"
                       "\"public_metrics\":{\"followers_count\":9,\"listed_count\":4,\"like_count\":0}}";
    fw_arena a = FW_ARENA_INIT;
    fw_uj_user m, j;
    json_t *o;
    assert_int_equal(fast(line, &m, &a), 0);
    slow(line, &j, &a, &o);
    assert_true(fw_uj_same(&m, &j));
    fw_buf ent = FW_BUF_INIT;
    fw_user u;
    assert_null(fw_uj_user_fields(&m, &u, &ent));
    assert_true(u.id == 10000000001ull && u.pinned_tweet_id == 1700000000000000001ull);
    assert_int_equal(u.created_at_ms, 1617030902000ll);
    assert_int_equal(u.flags, FW_USER_VERIFIED);
    assert_int_equal(u.verified_type, 2);
    assert_int_equal(u.listed_count, 4);
    assert_str(u.username, "u1");
    assert_str(u.location, "Earth");
    assert_str(u.withheld_countries, "DE,FR");
    assert_non_null(strstr(u.entities_json.p, "\"hashtags\""));
    assert_non_null(strstr(u.entities_json.p, "\"u7919\""));
    fw_buf_free(&ent);
    json_decref(o);
    fw_arena_free(&a);
}

static void test_escapes_decode_as_jansson_does(void **state)
{
    (void)state;
    const char *line = "{ \"id\" : 12 , \"username\":\"z\",\"name\":\"Ren\\u00e9e \\\"R\\\" \\ud83d\\ude00\\/\\t\","
                       "\"description\":\"caf\xC3\xA9\\n\\\\\",\"withheld\":{},\"public_metrics\":{} }\r\n";
    fw_arena a = FW_ARENA_INIT;
    fw_uj_user m, j;
    json_t *o;
    assert_int_equal(fast(line, &m, &a), 0);
    assert_str(m.v[FW_UJ_NAME].s, "Ren\xC3\xA9" "e \"R\" \xF0\x9F\x98\x80/\t");
    assert_str(m.v[FW_UJ_DESCRIPTION].s, "caf\xC3\xA9\n\\");
    assert_int_equal(m.v[FW_UJ_ID].type, FW_UJ_INT);
    assert_int_equal(m.v[FW_UJ_ID].i, 12);
    assert_non_null(m.withheld.p);
    assert_int_equal(m.withheld.len, 0);
    slow(line, &j, &a, &o);
    assert_true(fw_uj_same(&m, &j));
    json_decref(o);
    fw_arena_free(&a);
}

/* Lines the fast parser leaves to jansson: not of its shape, or not JSON. */
static void test_declines_what_it_does_not_know(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "",
        "[]",
        "{\"id\":\"1\",\"id\":\"2\"}",                /* a duplicate key */
        "{\"id\":\"1\",\"i\\u0064\":\"2\"}",          /* the same key, escaped */
        "{\"id\":\"1\",\"lang\":\"en\"}",             /* a key import does not read */
        "{\"id\":null}",
        "{\"id\":1.0}",
        "{\"id\":1e3}",
        "{\"id\":01}",
        "{\"id\":-1}",
        "{\"id\":1234567890123456789}",               /* 19 digits: might not fit json_int_t */
        "{\"id\":12888888888888888888888888}",        /* would overflow while accumulating */
        "{\"public_metrics\":{\"like_count\":99999999999999999999999999999}}",
        "{\"name\":\"\\ud800\"}",                     /* a lone surrogate */
        "{\"name\":\"\\udc00\\ud800\"}",
        "{\"name\":\"\\u0000\"}",                     /* NUL without JSON_ALLOW_NUL */
        "{\"name\":\"\\x\"}",
        "{\"name\":\"a\tb\"}",                        /* a raw control character */
        "{\"name\":\"\xC3\"}",                        /* invalid UTF-8 */
        "{\"name\":\"\xED\xA0\x80\"}",                /* an encoded surrogate */
        "{\"name\":\"a\"} x",
        "{\"name\":\"a\",}",
        "{\"name\":\"a\"",
        "{\"protected\":tru}",
        "{\"protected\":truex}",
        "{\"public_metrics\":{\"like_count\":1,\"like_count\":2}}",
        "{\"public_metrics\":{\"like_count\":\"1\"}}",
        "{\"public_metrics\":null}",
        "{\"withheld\":{\"country_codes\":[\"DEU\"]}}",
        "{\"withheld\":{\"scope\":\"user\"}}",
        "{\"withheld\":{\"country_codes\":[\"DE\"],\"x\":1}}",
    };
    fw_arena a = FW_ARENA_INIT;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        fw_uj_user m;
        if (fast(lines[i], &m, &a) != -1)
            fail_msg("accepted: %s", lines[i]);
    }
    fw_arena_free(&a);
}

/* One validation for both parsers: the same message for the same members. */
static void test_checks_are_shared(void **state)
{
    (void)state;
    static const struct {
        const char *line, *why;
    } cases[] = {
        {"{\"id\":\"x1\",\"username\":\"a\",\"name\":\"A\"}", "id must be a decimal string"},
        {"{\"id\":\"1\",\"name\":\"A\"}", "username is required"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"\"}", "name is required"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"A\",\"created_at\":\"today\"}", "created_at must look"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"A\",\"url\":3}", "description, url, location and"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"A\",\"verified\":\"yes\"}", "protected, verified and"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"A\",\"verified_type\":\"gold\"}", "verified_type must be"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"A\",\"withheld\":{\"country_codes\":[\"D\"]}}", "withheld must"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"A\",\"public_metrics\":{\"listed_count\":-1}}",
         "public_metrics counts"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"A\",\"public_metrics\":7}", "public_metrics counts"},
        {"{\"id\":\"1\",\"username\":\"a\",\"name\":\"A\",\"public_metrics\":null}", "public_metrics counts"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fw_arena a = FW_ARENA_INIT;
        fw_uj_user m, j;
        json_t *o;
        fw_buf ent = FW_BUF_INIT;
        fw_user u;
        slow(cases[i].line, &j, &a, &o);
        const char *why = fw_uj_user_fields(&j, &u, &ent);
        if (!why || strncmp(why, cases[i].why, strlen(cases[i].why)))
            fail_msg("%s: %s", cases[i].line, why ? why : "accepted");
        if (fast(cases[i].line, &m, &a) == 0) {
            assert_true(fw_uj_same(&m, &j));
            assert_ptr_equal(fw_uj_user_fields(&m, &u, &ent), why);
        }
        fw_buf_free(&ent);
        json_decref(o);
        fw_arena_free(&a);
    }
}

static void test_arena(void **state)
{
    (void)state;
    fw_arena a = FW_ARENA_INIT;
    char *small = fw_arena_dup(&a, "abc", 3), *big = fw_arena_alloc(&a, 1 << 20), *empty = fw_arena_dup(&a, "", 0);
    assert_non_null(small);
    assert_non_null(big);
    assert_non_null(empty);
    memset(big, 1, 1 << 20); /* the whole block is usable (ASan checks) */
    assert_memory_equal(small, "abc", 3);
    assert_true((uintptr_t)big % _Alignof(max_align_t) == 0);
    fw_arena_free(&a);
    assert_null(a.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typical_line),
        cmocka_unit_test(test_escapes_decode_as_jansson_does),
        cmocka_unit_test(test_declines_what_it_does_not_know),
        cmocka_unit_test(test_checks_are_shared),
        cmocka_unit_test(test_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
