/* Unit tests: query validation (X's messages), pagination tokens, rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/internal.h"
#include "api/pagetok.h"
#include "api/params.h"
#include "api/render.h"

#define LIST_PARAMS (FW_P_ID | FW_P_MAX_RESULTS | FW_P_PAGINATION_TOKEN | FW_P_FIELDS)

static unsigned parse(const char *q, fw_params *p, fw_buf *errs)
{
    fw_buf_reset(errs);
    return fw_params_parse(fw_str_c(q), LIST_PARAMS, FW_P_ID, p, errs);
}

static void test_params_ok(void **st)
{
    (void)st;
    fw_params p;
    fw_buf e = FW_BUF_INIT;
    assert_int_equal(parse("max_results=1000&user.fields=created_at%2Cpublic_metrics&expansions=pinned_tweet_id"
                           "&tweet.fields=lang&pagination_token=ABC",
                           &p, &e),
                     0);
    assert_int_equal(p.max_results, 1000);
    assert_true(p.user_fields & (1u << FW_UFLD_CREATED_AT));
    assert_true(p.user_fields & (1u << FW_UFLD_PUBLIC_METRICS));
    assert_false(p.user_fields & (1u << FW_UFLD_DESCRIPTION));
    assert_true(p.expansions & (1u << FW_EXP_PINNED_TWEET_ID));
    assert_true(p.tweet_fields & ((uint64_t)1 << FW_TFLD_LANG));
    assert_true(p.has_token);
    assert_string_equal(p.token, "ABC");
    fw_buf_free(&e);
}

/* Counts the entries of an errors list (each starts with "parameters"). */
static int entries(const fw_buf *e)
{
    int n = 0;
    for (const char *q = e->data; (q = strstr(q, "{\"parameters\":")) != NULL; q++)
        n++;
    return n;
}

static void test_params_caps(void **st)
{
    (void)st;
    fw_params p;
    fw_buf e = FW_BUF_INIT, q = FW_BUF_INIT;
    /* 7,000 unknown parameters (the 14 KB query of issue 11): 16 entries and the cut */
    for (int i = 0; i < 7000; i++)
        fw_buf_printf(&q, "%sx%d=1", i ? "&" : "", i % 10);
    unsigned n = parse(q.data, &p, &e);
    assert_true(n == FW_PARAM_ERRORS_MAX + 1);
    assert_int_equal(entries(&e), FW_PARAM_ERRORS_MAX + 1);
    assert_non_null(strstr(e.data, "{\"parameters\":{},\"message\":\"More problems were found than the 16 listed;"));
    assert_true(e.len < 12000);
    /* exactly the cap: no cut entry */
    fw_buf_reset(&q);
    for (int i = 0; i < FW_PARAM_ERRORS_MAX; i++)
        fw_buf_printf(&q, "%sy%d=1", i ? "&" : "", i);
    assert_int_equal(parse(q.data, &p, &e), FW_PARAM_ERRORS_MAX);
    assert_null(strstr(e.data, "More problems"));
    /* 16 problems, then valid parameters: still 16, no summary, the valid ones applied */
    fw_buf_puts(&q, "&max_results=7&user.fields=id");
    assert_int_equal(parse(q.data, &p, &e), FW_PARAM_ERRORS_MAX);
    assert_int_equal(entries(&e), FW_PARAM_ERRORS_MAX);
    assert_null(strstr(e.data, "More problems"));
    assert_int_equal(p.max_results, 7);
    /* ... and a 17th problem after them: the summary, written once, and checking stops */
    fw_buf_puts(&q, "&z1=1&z2=2&user.fields=bad,worse");
    assert_int_equal(parse(q.data, &p, &e), FW_PARAM_ERRORS_MAX + 1);
    assert_int_equal(entries(&e), FW_PARAM_ERRORS_MAX + 1);
    assert_null(strstr(e.data, "z2"));
    /* a list cut at the cap followed by more pairs: one summary, not counted twice */
    fw_buf_reset(&q);
    fw_buf_puts(&q, "user.fields=");
    for (int i = 0; i < 40; i++)
        fw_buf_puts(&q, i ? ",zz" : "zz");
    fw_buf_puts(&q, "&x=1&y=2&expansions=nope");
    assert_int_equal(parse(q.data, &p, &e), FW_PARAM_ERRORS_MAX + 1);
    assert_int_equal(entries(&e), FW_PARAM_ERRORS_MAX + 1);
    assert_int_equal(p.nerrors, FW_PARAM_ERRORS_MAX + 1);
    /* one list with thousands of bad items is cut the same way */
    fw_buf_reset(&q);
    fw_buf_puts(&q, "user.fields=");
    for (int i = 0; i < 1300; i++) /* under the 4 KB value limit */
        fw_buf_puts(&q, i ? ",zz" : "zz");
    assert_int_equal(parse(q.data, &p, &e), FW_PARAM_ERRORS_MAX + 1);
    assert_int_equal(entries(&e), FW_PARAM_ERRORS_MAX + 1);
    /* problems in the path parameters after the query's: counted, not written */
    fw_params_add_error(&p, &e, "id", fw_str_c("x"), "late");
    assert_int_equal(p.nerrors, FW_PARAM_ERRORS_MAX + 2);
    assert_null(strstr(e.data, "late"));
    fw_buf_free(&q);
    fw_buf_free(&e);
}

static void test_params_errors(void **st)
{
    (void)st;
    fw_params p;
    fw_buf e = FW_BUF_INIT;
    assert_int_equal(parse("max_results=0", &p, &e), 1);
    assert_non_null(strstr(e.data, "The `max_results` query parameter value [0] is not between 1 and 1000"));
    assert_int_equal(parse("foo=1", &p, &e), 1);
    assert_non_null(strstr(e.data, "\"parameters\":{\"foo\":[\"1\"]}"));
    assert_non_null(strstr(e.data, "The query parameter [foo] is not one of "
                                   "[id,max_results,pagination_token,user.fields,expansions,tweet.fields]"));
    assert_int_equal(parse("id=3", &p, &e), 1);
    assert_non_null(strstr(e.data, "Duplicate parameters are not allowed: the `id` query parameter"));
    assert_int_equal(parse("user.fields=id&user.fields=id", &p, &e), 1);
    assert_int_equal(parse("user.fields=bogus,id,worse", &p, &e), 2);
    assert_non_null(strstr(e.data, "value [bogus] is not one of [affiliation,"));
    assert_int_equal(parse("user.fields=", &p, &e), 1);
    assert_int_equal(parse("expansions=pinned_tweet_id%ZZ", &p, &e), 1);
    assert_non_null(strstr(e.data, "not correctly percent-encoded"));
    fw_buf_free(&e);
}

static void test_pagetok_roundtrip_and_tamper(void **st)
{
    (void)st;
    uint8_t key[32];
    memset(key, 7, sizeof key);
    fw_pagetok t = {FW_PAGE_AFTER, 0x0123456789ABCDEFULL}, back;
    char tok[FW_PAGETOK_LEN + 1];
    fw_pagetok_encode(key, 42, FW_LIST_FOLLOWERS, &t, tok);
    assert_int_equal(strlen(tok), FW_PAGETOK_LEN);
    assert_int_equal(fw_pagetok_decode(key, 42, FW_LIST_FOLLOWERS, fw_str_c(tok), &back), 0);
    assert_int_equal(back.dir, FW_PAGE_AFTER);
    assert_true(back.seq == t.seq);
    /* Bound to owner, list kind and key. */
    assert_int_equal(fw_pagetok_decode(key, 43, FW_LIST_FOLLOWERS, fw_str_c(tok), &back), -1);
    assert_int_equal(fw_pagetok_decode(key, 42, FW_LIST_FOLLOWING, fw_str_c(tok), &back), -1);
    uint8_t key2[32];
    memset(key2, 8, sizeof key2);
    assert_int_equal(fw_pagetok_decode(key2, 42, FW_LIST_FOLLOWERS, fw_str_c(tok), &back), -1);
    /* Every single-character change is detected. */
    for (size_t i = 0; i < FW_PAGETOK_LEN; i++) {
        char bad[FW_PAGETOK_LEN + 1];
        memcpy(bad, tok, sizeof bad);
        bad[i] = bad[i] == '0' ? '1' : '0';
        assert_int_equal(fw_pagetok_decode(key, 42, FW_LIST_FOLLOWERS, fw_str_c(bad), &back), -1);
    }
    assert_int_equal(fw_pagetok_decode(key, 42, FW_LIST_FOLLOWERS, FW_STR_LIT("5CS0O0C6II61EZZZ"), &back), -1);
}

static void test_render_user_fields(void **st)
{
    (void)st;
    fw_user u = {0};
    u.id = 783214;
    u.name = FW_STR_LIT("Twitter");
    u.username = FW_STR_LIT("Twitter");
    u.followers_count = 5;
    u.pinned_tweet_id = 99;
    u.flags = FW_USER_PROTECTED;
    u.withheld_countries = FW_STR_LIT("DE,FR");
    fw_buf b = FW_BUF_INIT;
    fw_jw w;
    fw_jw_init(&w, &b, false);
    fw_render_opts o = {0};
    fw_render_user(&w, &u, NULL, &o);
    assert_string_equal(b.data, "{\"id\":\"783214\",\"name\":\"Twitter\",\"username\":\"Twitter\"}");
    fw_buf_reset(&b);
    fw_jw_init(&w, &b, false);
    o.user_fields = (1u << FW_UFLD_PROTECTED) | (1u << FW_UFLD_WITHHELD) | (1u << FW_UFLD_URL);
    o.expansions = 1u << FW_EXP_PINNED_TWEET_ID;
    fw_render_user(&w, &u, NULL, &o);
    assert_string_equal(b.data, "{\"id\":\"783214\",\"name\":\"Twitter\",\"username\":\"Twitter\","
                                "\"pinned_tweet_id\":\"99\",\"protected\":true,\"url\":\"\","
                                "\"withheld\":{\"country_codes\":[\"DE\",\"FR\"],\"scope\":\"user\"}}");
    fw_rels r = {FW_REL_FOLLOWING, FW_REL_PENDING};
    fw_buf_reset(&b);
    fw_jw_init(&w, &b, false);
    o = (fw_render_opts){0};
    o.user_fields = 1u << FW_UFLD_CONNECTION_STATUS;
    o.user_context = true;
    fw_render_user(&w, &u, &r, &o);
    assert_non_null(strstr(b.data, "\"connection_status\":[\"follow_request_received\",\"following\"]"));
    fw_buf_free(&b);
}

/* A stored default_json prefix renders byte-identically to formatting the fields. */
static void test_render_default_json_prefix(void **st)
{
    (void)st;
    fw_user u = {0};
    u.id = 42;
    u.name = FW_STR_LIT("N \"q\" \xF0\x9F\x9A\x80");
    u.username = FW_STR_LIT("nq");
    u.flags = FW_USER_VERIFIED;
    fw_render_opts o = {0};
    o.user_fields = 1u << FW_UFLD_VERIFIED;
    fw_buf plain = FW_BUF_INIT, fast = FW_BUF_INIT, head = FW_BUF_INIT;
    fw_jw w;
    fw_jw_init(&w, &plain, false);
    fw_jw_arr_begin(&w);
    fw_render_user(&w, &u, NULL, &o);
    fw_render_user(&w, &u, NULL, &o);
    fw_jw_arr_end(&w);
    /* What the store derives on write. */
    fw_jw_init(&w, &head, false);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "id");
    fw_jw_id(&w, u.id);
    fw_jw_key(&w, "name");
    fw_jw_strn(&w, u.name.p, u.name.len);
    fw_jw_key(&w, "username");
    fw_jw_strn(&w, u.username.p, u.username.len);
    u.default_json = (fw_str){head.data, head.len};
    fw_jw_init(&w, &fast, false);
    fw_jw_arr_begin(&w);
    fw_render_user(&w, &u, NULL, &o);
    fw_render_user(&w, &u, NULL, &o);
    fw_jw_arr_end(&w);
    assert_string_equal(plain.data, fast.data);
    assert_non_null(strstr(fast.data, "\\uD83D\\uDE80\",\"username\":\"nq\",\"verified\":true},{"));
    fw_buf_free(&plain);
    fw_buf_free(&fast);
    fw_buf_free(&head);
}

/* Builds a path that row rt must answer: each ":param" replaced by "12". */
static void sample_path(const fw_route *rt, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = rt->pattern; *p && o + 3 < cap;) {
        if (*p == ':') {
            memcpy(out + o, "12", 2);
            o += 2;
            while (*p && *p != '/')
                p++;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
}

/* Segment i of a pattern (NULL past the end). */
static const char *pat_seg(const char *pat, int i, size_t *len)
{
    const char *p = pat;
    for (int k = 0;; k++) {
        if (*p != '/')
            return NULL;
        p++;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (k == i) {
            *len = n;
            return p;
        }
        p += n;
    }
}

static void test_route_table(void **st)
{
    (void)st;
    fw_limits_config lc;
    fw_limits_defaults(&lc);
    fw_limits *lim;
    assert_int_equal(fw_limits_new(&lc, &lim), 0);
    static const char *const methods[] = {"GET", "POST", "DELETE"};
    for (size_t r = 0; r < fw_nroutes; r++) {
        const fw_route *rt = &fw_routes[r];
        /* exactly one handler; the API authenticates unless the row is OAuth, a portal page, a test hook or a
         * probe */
        assert_int_equal((rt->run != NULL) + (rt->oauth != NULL) + (rt->portal != NULL), 1);
        if (rt->portal)
            assert_true(!rt->auth && !rt->endpoint && strncmp(rt->pattern, "/portal", 7) == 0);
        assert_true(rt->methods != 0);
        assert_true(rt->pattern[0] == '/');
        if (rt->oauth)
            assert_true((rt->flags & FW_RT_EXACT) && (rt->flags & FW_RT_REDACT) && !rt->auth);
        if (rt->flags & FW_RT_PROBE)
            assert_true(!rt->auth && (rt->flags & FW_RT_EXACT) && rt->methods == FW_M_GET);
        if (!rt->oauth && !rt->portal && !(rt->flags & (FW_RT_TEST | FW_RT_PROBE))) {
            assert_true(rt->auth != 0);
            /* the limit key is one policy knows */
            fw_limit_decision d;
            assert_int_equal(fw_limits_check(lim, rt->endpoint, 1, 2, FW_ACCESS_ENTERPRISE, false, 1000, &d), 0);
        }
        /* every path parameter is an accepted parameter */
        char path[128];
        sample_path(rt, path, sizeof path);
        for (int m = 0; m < 3; m++) {
            if (!(rt->methods & (1u << m)))
                continue;
            fw_str seg[FW_ROUTE_MAX_PARAMS];
            int nseg;
            /* the row answers its own sample: no earlier row shadows it */
            assert_ptr_equal(fw_route_match(fw_str_c(methods[m]), fw_str_c(path), seg, &nseg), rt);
            for (int i = 0; i < nseg; i++) {
                fw_str name = fw_route_param_name(rt, i);
                assert_true(name.len > 0);
                assert_true(fw_str_eq(seg[i], "12"));
            }
        }
        /* no two rows overlap, unless the earlier one is strictly more specific */
        for (size_t q = r + 1; q < fw_nroutes; q++) {
            const fw_route *o = &fw_routes[q];
            if (!(rt->methods & o->methods))
                continue;
            bool compatible = true, earlier_specific = false, later_specific = false;
            for (int i = 0;; i++) {
                size_t la, lb;
                const char *a = pat_seg(rt->pattern, i, &la), *b = pat_seg(o->pattern, i, &lb);
                if (!a || !b) {
                    compatible = compatible && !a && !b;
                    break;
                }
                bool pa = a[0] == ':', pb = b[0] == ':';
                if (!pa && !pb && !(la == lb && memcmp(a, b, la) == 0))
                    compatible = false;
                earlier_specific |= !pa && pb;
                later_specific |= pa && !pb;
            }
            if (compatible)
                assert_true(earlier_specific && !later_specific);
        }
    }
    fw_limits_free(lim);
}

static void test_route_redaction(void **st)
{
    (void)st;
    fw_str seg[FW_ROUTE_MAX_PARAMS];
    int n;
    const fw_route *rt = fw_route_match(fw_str_c("POST"), fw_str_c("/oauth/request_token"), seg, &n);
    assert_non_null(rt);
    assert_true(rt->flags & FW_RT_REDACT);
    assert_null(fw_route_match(fw_str_c("POST"), fw_str_c("/oauth/request_token/"), seg, &n));
    rt = fw_route_match(fw_str_c("GET"), fw_str_c("/2/users/12/followers/"), seg, &n);
    assert_non_null(rt);
    assert_false(rt->flags & FW_RT_REDACT);
    /* near-misses the router answers 404 are still redacted; API paths are not */
    assert_true(fw_api_query_is_secret(fw_str_c("/OAUTH/access_token")));
    assert_true(fw_api_query_is_secret(fw_str_c("/I/OAuth2/authorize")));
    assert_true(fw_api_query_is_secret(fw_str_c("/oauthx")));
    assert_false(fw_api_query_is_secret(fw_str_c("/2/users/oauth")));
    assert_false(fw_api_query_is_secret(fw_str_c("/2/users/by")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_ok),
        cmocka_unit_test(test_params_errors),
        cmocka_unit_test(test_params_caps),
        cmocka_unit_test(test_pagetok_roundtrip_and_tamper),
        cmocka_unit_test(test_render_user_fields),
        cmocka_unit_test(test_render_default_json_prefix),
        cmocka_unit_test(test_route_table),
        cmocka_unit_test(test_route_redaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
