/* OAuth 1.0a verification: RFC 5849 vectors, real client captures, negatives,
 * and the nonce replay cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>

#include "auth/nonce.h"
#include "auth/oauth1.h"
#include "auth/oauth1_check.h"
#include "core/buf.h"

/* ---- helpers ------------------------------------------------------------ */

static fw_oauth1_hdr *parse_ok(const char *hdr)
{
    fw_oauth1_hdr *h = malloc(sizeof *h);
    assert_non_null(h);
    int rc = fw_oauth1_parse(fw_str_c(hdr), h);
    if (rc != FW_OK)
        fail_msg("parse(%s) = %d", hdr, rc);
    return h;
}

static int parse_rc(const char *hdr)
{
    fw_oauth1_hdr *h = malloc(sizeof *h);
    assert_non_null(h);
    int rc = fw_oauth1_parse(fw_str_c(hdr), h);
    free(h);
    return rc;
}

static void assert_base(const fw_oauth1_hdr *h, const fw_oauth1_req *r, const char *url, const char *want)
{
    fw_buf b = FW_BUF_INIT;
    assert_int_equal(fw_oauth1_base_string(h, r, fw_str_c(url), &b), FW_OK);
    assert_string_equal(b.data, want);
    fw_buf_free(&b);
}

/* RFC 5849 §3.4.1.1 example (header unfolded onto one line). */
static const char *RFC_3411_AUTH =
    "OAuth realm=\"Example\", oauth_consumer_key=\"9djdj82h48djs9d2\", oauth_token=\"kkk9d7dh3k39sjv7\", "
    "oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131201\", oauth_nonce=\"7d8f3e4a\", "
    "oauth_signature=\"bYT5CMsGcbgUdFHObYMEfcx6bsw%3D\"";

static fw_oauth1_req rfc3411_req(const fw_str *base)
{
    return (fw_oauth1_req){FW_STR_LIT("POST"), FW_STR_LIT("/request"), FW_STR_LIT("b5=%3D%253D&a3=a&c%40=&a2=r%20b"),
                           FW_STR_LIT("application/x-www-form-urlencoded"), FW_STR_LIT("c2&a3=2+q"), base, 1};
}

/* OAuth Core 1.0a Appendix A (photos.example.net), whose signature is known. */
static const char *PHOTOS_AUTH =
    "OAuth realm=\"http://photos.example.net/\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
    "oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", "
    "oauth_signature=\"tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D\", oauth_timestamp=\"1191242096\", "
    "oauth_nonce=\"kllo9940pd9333jh\", oauth_version=\"1.0\"";
#define PHOTOS_TS 1191242096
#define PHOTOS_CS FW_STR_LIT("kd94hf93k423kf44")
#define PHOTOS_TS_SECRET FW_STR_LIT("pfkkdhi9sl3r4s00")
static const fw_str PHOTOS_BASE[] = {FW_STR_LIT("http://photos.example.net")};

static fw_oauth1_req photos_req(void)
{
    return (fw_oauth1_req){FW_STR_LIT("GET"), FW_STR_LIT("/photos"), FW_STR_LIT("file=vacation.jpg&size=original"),
                           FW_STR_NULL, FW_STR_NULL, PHOTOS_BASE, 1};
}

/* Verifies r with the photos vector's secrets at its own time. */
static int photos_verify(const fw_oauth1_hdr *h, const fw_oauth1_req *r)
{
    return fw_oauth1_verify(h, r, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS);
}

/* ---- RFC vectors -------------------------------------------------------- */

static void test_rfc5849_3411_base_string(void **state)
{
    (void)state;
    fw_oauth1_hdr *h = parse_ok(RFC_3411_AUTH);
    fw_str base = FW_STR_LIT("http://example.com");
    fw_oauth1_req r = rfc3411_req(&base);
    const char *want = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D"
                       "%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_"
                       "signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7";
    assert_base(h, &r, "http://example.com", want);
    /* Scheme/host case and the default port are normalised away. */
    assert_base(h, &r, "HTTP://EXAMPLE.COM:80/", want);
    /* The decoded fields the caller looks credentials up with. */
    assert_true(fw_str_eq(h->consumer_key, "9djdj82h48djs9d2"));
    assert_true(fw_str_eq(h->token, "kkk9d7dh3k39sjv7"));
    assert_true(fw_str_eq(h->signature, "bYT5CMsGcbgUdFHObYMEfcx6bsw="));
    assert_int_equal(h->ts, 137131201);
    assert_null(h->version.p);
    assert_null(h->callback.p);
    /* Without the form content type the body is not signed. */
    r.content_type = FW_STR_LIT("application/json");
    fw_buf b = FW_BUF_INIT;
    assert_int_equal(fw_oauth1_base_string(h, &r, base, &b), FW_OK);
    assert_null(strstr(b.data, "c2"));
    assert_null(strstr(b.data, "2%2520q"));
    fw_buf_free(&b);
    free(h);
}

static void test_rfc_photos_signature(void **state)
{
    (void)state;
    fw_oauth1_hdr *h = parse_ok(PHOTOS_AUTH);
    fw_oauth1_req r = photos_req();
    assert_base(h, &r, "http://photos.example.net",
                "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l"
                "03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D119124209"
                "6%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal");
    assert_int_equal(photos_verify(h, &r), FW_OK);
    /* Same request with the query in another order and '+'-free encodings varying. */
    r.query = FW_STR_LIT("size=original&file=vacation%2Ejpg");
    assert_int_equal(photos_verify(h, &r), FW_OK);
    free(h);
}

/* RFC 5849 §1.2, the final request of the walk-through (its signature is
 * reproducible; the /initiate one in the same section is not, per errata). */
static void test_rfc5849_1_2_photos(void **state)
{
    (void)state;
    fw_oauth1_hdr *h = parse_ok("OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
                                "oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", "
                                "oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\", "
                                "oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\"");
    fw_oauth1_req r = photos_req();
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_CS, PHOTOS_TS_SECRET, 137131202), FW_OK);
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_CS, PHOTOS_TS_SECRET, 137131202 + 301), FW_ETIMESTAMP);
    free(h);
}

/* The check authn and the OAuth endpoints share: base URL from the Host
 * header or from the public list, then the nonce (a replay fails). */
static void test_check_bases_and_replay(void **state)
{
    (void)state;
    fw_oauth1_hdr *h = parse_ok(PHOTOS_AUTH);
    fw_oauth1_http req = {FW_STR_LIT("GET"), FW_STR_LIT("/photos"), FW_STR_LIT("file=vacation.jpg&size=original"),
                          FW_STR_NULL, FW_STR_NULL, FW_STR_LIT("photos.example.net"), false};
    fw_oauth1_check *c = NULL;
    assert_int_equal(fw_oauth1_check_new(NULL, 64, &c), 0);
    assert_int_equal(fw_oauth1_check_run(c, h, &req, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS), FW_OK);
    assert_int_equal(fw_oauth1_check_run(c, h, &req, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS), FW_ENONCE);
    fw_oauth1_check_free(c);

    /* Reached through a proxy: only a configured public base URL matches
     * (the empty entries of the list are skipped). */
    req.host = FW_STR_LIT("127.0.0.1:8080");
    assert_int_equal(fw_oauth1_check_new(",https://api.x.com,,http://PHOTOS.example.net:80", 64, &c), 0);
    assert_int_equal(fw_oauth1_check_run(c, h, &req, PHOTOS_CS, FW_STR_LIT("wrong"), PHOTOS_TS), FW_ESIGNATURE);
    assert_int_equal(fw_oauth1_check_run(c, h, &req, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS), FW_OK);
    fw_oauth1_check_free(c);

    /* Neither matches; an overlong Host header is not a candidate at all. */
    char host[300];
    memset(host, 'a', sizeof host);
    req.host = (fw_str){host, sizeof host};
    assert_int_equal(fw_oauth1_check_new("https://api.x.com", 64, &c), 0);
    assert_int_equal(fw_oauth1_check_run(c, h, &req, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS), FW_ESIGNATURE);
    fw_oauth1_check_free(c);
    free(h);
}

/* ---- negatives on the known-good vector --------------------------------- */

static void test_bad_signature_and_secrets(void **state)
{
    (void)state;
    fw_oauth1_req r = photos_req();
    fw_oauth1_hdr *h = parse_ok(PHOTOS_AUTH);
    assert_int_equal(fw_oauth1_verify(h, &r, FW_STR_LIT("kd94hf93k423kf45"), PHOTOS_TS_SECRET, PHOTOS_TS),
                     FW_ESIGNATURE);
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_CS, FW_STR_LIT(""), PHOTOS_TS), FW_ESIGNATURE);
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_TS_SECRET, PHOTOS_CS, PHOTOS_TS), FW_ESIGNATURE);
    free(h);

    /* One flipped character in the signature. */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", PHOTOS_AUTH);
    char *sig = strstr(buf, "tR3");
    sig[0] = 'T';
    h = parse_ok(buf);
    assert_int_equal(photos_verify(h, &r), FW_ESIGNATURE);
    free(h);

    /* A non-canonical base64 of the same bytes (url alphabet, no padding) is refused. */
    snprintf(buf, sizeof buf, "%s", PHOTOS_AUTH);
    sig = strstr(buf, "tR3");
    memcpy(sig, "tR3-Ty81lMeYAr_Fid0kMTYa_WM\"", 28);
    memmove(sig + 28, strstr(sig + 28, ", oauth_timestamp"), strlen(strstr(sig + 28, ", oauth_timestamp")) + 1);
    h = parse_ok(buf);
    assert_true(fw_str_eq(h->signature, "tR3-Ty81lMeYAr_Fid0kMTYa_WM"));
    assert_int_equal(photos_verify(h, &r), FW_ESIGNATURE);
    free(h);
}

static void test_tampered_request(void **state)
{
    (void)state;
    fw_oauth1_hdr *h = parse_ok(PHOTOS_AUTH);
    fw_oauth1_req r = photos_req();
    r.query = FW_STR_LIT("file=vacation.jpg&size=large");
    assert_int_equal(photos_verify(h, &r), FW_ESIGNATURE);
    r = photos_req();
    r.path = FW_STR_LIT("/photos2");
    assert_int_equal(photos_verify(h, &r), FW_ESIGNATURE);
    r = photos_req();
    r.method = FW_STR_LIT("POST");
    assert_int_equal(photos_verify(h, &r), FW_ESIGNATURE);
    /* A form body adds signed parameters... */
    r = photos_req();
    r.content_type = FW_STR_LIT("application/x-www-form-urlencoded; charset=UTF-8");
    r.body = FW_STR_LIT("extra=1");
    assert_int_equal(photos_verify(h, &r), FW_ESIGNATURE);
    /* ...a JSON body does not. */
    r.content_type = FW_STR_LIT("application/json;charset=UTF-8");
    r.body = FW_STR_LIT("{\"extra\":1}");
    assert_int_equal(photos_verify(h, &r), FW_OK);
    /* Wrong host among the candidates fails; any matching candidate passes. */
    fw_str bases[] = {FW_STR_LIT("http://photos.example.org"), FW_STR_LIT("https://photos.example.net")};
    r = photos_req();
    r.base_urls = bases;
    r.nbase = 2;
    assert_int_equal(photos_verify(h, &r), FW_ESIGNATURE);
    fw_str bases2[] = {FW_STR_LIT("http://photos.example.org"), FW_STR_LIT("ftp://x"), FW_STR_LIT("http://Photos.Example.NET:80")};
    r.base_urls = bases2;
    r.nbase = 3;
    assert_int_equal(photos_verify(h, &r), FW_OK);
    /* No usable candidate at all, or none given, is a malformed request. */
    fw_str bad[] = {FW_STR_LIT("ftp://x"), FW_STR_LIT("http://a b"), FW_STR_LIT("http://h:99999"),
                    FW_STR_LIT("http://h/p"), FW_STR_LIT("http://u@h"), FW_STR_LIT("http://")};
    r.base_urls = bad;
    r.nbase = 6;
    assert_int_equal(photos_verify(h, &r), FW_EMALFORMED);
    r.nbase = 0;
    assert_int_equal(photos_verify(h, &r), FW_EMALFORMED);
    /* Malformed query escape, bad path, bad method. */
    r = photos_req();
    r.query = FW_STR_LIT("file=%zz");
    assert_int_equal(photos_verify(h, &r), FW_EMALFORMED);
    r = photos_req();
    r.path = FW_STR_LIT("photos");
    assert_int_equal(photos_verify(h, &r), FW_EMALFORMED);
    r = photos_req();
    r.method = FW_STR_LIT("GE T");
    assert_int_equal(photos_verify(h, &r), FW_EMALFORMED);
    free(h);
}

static void test_timestamp_window(void **state)
{
    (void)state;
    fw_oauth1_hdr *h = parse_ok(PHOTOS_AUTH);
    fw_oauth1_req r = photos_req();
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS + 300), FW_OK);
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS - 300), FW_OK);
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS + 301), FW_ETIMESTAMP);
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_CS, PHOTOS_TS_SECRET, PHOTOS_TS - 301), FW_ETIMESTAMP);
    assert_int_equal(fw_oauth1_verify(h, &r, PHOTOS_CS, PHOTOS_TS_SECRET, INT64_MAX), FW_ETIMESTAMP);
    free(h);
    assert_int_equal(parse_rc("OAuth oauth_consumer_key=\"a\", oauth_signature=\"s\", oauth_signature_method=\"HMAC-SHA1\", "
                              "oauth_timestamp=\"12x\", oauth_nonce=\"n\""),
                     FW_EMALFORMED);
    assert_int_equal(parse_rc("OAuth oauth_consumer_key=\"a\", oauth_signature=\"s\", oauth_signature_method=\"HMAC-SHA1\", "
                              "oauth_timestamp=\"9999999999999999999\", oauth_nonce=\"n\""),
                     FW_EMALFORMED);
}

static void replace_in(char *buf, const char *from, const char *to)
{
    char *p = strstr(buf, from);
    assert_non_null(p);
    size_t fl = strlen(from), tl = strlen(to);
    memmove(p + tl, p + fl, strlen(p + fl) + 1);
    memcpy(p, to, tl);
}

static void test_method_and_version(void **state)
{
    (void)state;
    fw_oauth1_req r = photos_req();
    const char *bad_methods[] = {"PLAINTEXT", "RSA-SHA1", "HMAC-SHA256", "hmac-sha1"};
    for (size_t i = 0; i < sizeof bad_methods / sizeof *bad_methods; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", PHOTOS_AUTH);
        replace_in(buf, "\"HMAC-SHA1\"", "\"X\"");
        char q[64];
        snprintf(q, sizeof q, "\"%s\"", bad_methods[i]);
        replace_in(buf, "\"X\"", q);
        fw_oauth1_hdr *h = parse_ok(buf);
        assert_int_equal(photos_verify(h, &r), FW_EMETHOD);
        free(h);
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", PHOTOS_AUTH);
    replace_in(buf, "oauth_version=\"1.0\"", "oauth_version=\"2.0\"");
    fw_oauth1_hdr *h = parse_ok(buf);
    assert_int_equal(photos_verify(h, &r), FW_EVERSION);
    free(h);
    /* oauth_version is optional: without it the base string simply lacks it. */
    snprintf(buf, sizeof buf, "%s", PHOTOS_AUTH);
    replace_in(buf, ", oauth_version=\"1.0\"", "");
    h = parse_ok(buf);
    assert_null(h->version.p);
    assert_int_equal(photos_verify(h, &r), FW_ESIGNATURE);
    free(h);
}

/* ---- header syntax -------------------------------------------------------- */

#define REQ_PARAMS "oauth_signature_method=\"HMAC-SHA1\",oauth_timestamp=\"1\",oauth_nonce=\"n\",oauth_signature=\"s\""

static void test_parse_layouts(void **state)
{
    (void)state;
    /* tweepy: comma+space, unsorted; twitter-api-v2: comma only, sorted; tabs; lower-case scheme. */
    const char *ok[] = {
        "OAuth oauth_consumer_key=\"ck\", " REQ_PARAMS,
        "OAuth oauth_consumer_key=\"ck\"," REQ_PARAMS,
        "oauth\toauth_consumer_key=\"ck\" ,\t" REQ_PARAMS,
        "OAuth realm=\"\",oauth_consumer_key=\"ck\"," REQ_PARAMS,
        "OAuth realm=\"Photos: a/b c\", oauth_consumer_key=\"ck\", oauth_token=\"\", " REQ_PARAMS,
        "OAuth oauth_consumer_key=\"ck\", oauth_body_hash=\"abc\", " REQ_PARAMS,
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        fw_oauth1_hdr *h = parse_ok(ok[i]);
        assert_true(fw_str_eq(h->consumer_key, "ck"));
        assert_true(fw_str_eq(h->nonce, "n"));
        for (size_t j = 0; j < h->nraw; j++)
            assert_false(fw_str_eq(h->raw[j].k, "realm"));
        free(h);
    }
    /* Present-but-empty token is distinguishable from absent. */
    fw_oauth1_hdr *h = parse_ok(ok[4]);
    assert_non_null(h->token.p);
    assert_int_equal(h->token.len, 0);
    free(h);
    /* Percent-decoded callback and unknown oauth_ params are signed. */
    h = parse_ok("OAuth oauth_consumer_key=\"c%20k\", oauth_callback=\"http%3A%2F%2Flocalhost%2Fcb\", "
                 "oauth_body_hash=\"x%2By\", " REQ_PARAMS);
    assert_true(fw_str_eq(h->consumer_key, "c k"));
    assert_true(fw_str_eq(h->callback, "http://localhost/cb"));
    fw_str base = FW_STR_LIT("http://h");
    fw_oauth1_req r = {FW_STR_LIT("get"), FW_STR_LIT("/"), FW_STR_NULL, FW_STR_NULL, FW_STR_NULL, &base, 1};
    assert_base(h, &r, "http://h",
                "GET&http%3A%2F%2Fh%2F&oauth_body_hash%3Dx%252By%26oauth_callback%3Dhttp%253A%252F%252Flocalhost%252Fcb"
                "%26oauth_consumer_key%3Dc%2520k%26oauth_nonce%3Dn%26oauth_signature_method%3DHMAC-SHA1%26oauth_times"
                "tamp%3D1");
    free(h);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "Bearer abc",
        "OAuthoauth_consumer_key=\"ck\"," REQ_PARAMS,
        "OAuth oauth_consumer_key=\"ck," REQ_PARAMS,             /* quote runs on */
        "OAuth oauth_consumer_key=\"ck\" " REQ_PARAMS,          /* missing comma */
        "OAuth oauth_consumer_key=ck," REQ_PARAMS,               /* unquoted */
        "OAuth oauth_consumer_key = \"ck\"," REQ_PARAMS,         /* spaces around '=' */
        "OAuth oauth_consumer_key=\"ck\",," REQ_PARAMS,          /* empty element */
        "OAuth oauth_consumer_key=\"ck\"," REQ_PARAMS ",",       /* trailing comma */
        "OAuth oauth_consumer_key=\"ck\",oauth_consumer_key=\"ck\"," REQ_PARAMS, /* duplicate */
        "OAuth oauth_consumer_key=\"ck\",oauth_nonce=\"m\"," REQ_PARAMS,
        "OAuth realm=\"a\",realm=\"b\",oauth_consumer_key=\"ck\"," REQ_PARAMS,
        "OAuth oauth_consumer_key=\"c k\"," REQ_PARAMS,          /* not percent-encoded */
        "OAuth oauth_consumer_key=\"c%2\"," REQ_PARAMS,          /* truncated escape */
        "OAuth oauth_consumer_key=\"c%zz\"," REQ_PARAMS,
        "OAuth oauth_consumer_key=\"c+k\"," REQ_PARAMS,
        "OAuth realm=\"a\\\"b\",oauth_consumer_key=\"ck\"," REQ_PARAMS,
        "OAuth oauth consumer_key=\"ck\"," REQ_PARAMS,
        "OAuth =\"ck\"," REQ_PARAMS,
        "OAuth oauth_consumer_key=\"ck\"," REQ_PARAMS ",x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = parse_rc(bad[i]);
        if (rc != FW_EMALFORMED)
            fail_msg("case %zu (%s): %d", i, bad[i], rc);
    }
    /* Missing required parameters. */
    assert_int_equal(parse_rc("OAuth"), FW_EMISSING);
    assert_int_equal(parse_rc("OAuth " REQ_PARAMS), FW_EMISSING);
    assert_int_equal(parse_rc("OAuth oauth_consumer_key=\"ck\",oauth_timestamp=\"1\",oauth_nonce=\"n\","
                              "oauth_signature=\"s\""),
                     FW_EMISSING);
    /* Nonce format. */
    char buf[512];
    snprintf(buf, sizeof buf, "OAuth oauth_consumer_key=\"ck\",oauth_signature_method=\"HMAC-SHA1\","
                              "oauth_timestamp=\"1\",oauth_signature=\"s\",oauth_nonce=\"%s\"",
             "0123456789012345678901234567890123456789012345678901234567890123");
    assert_int_equal(parse_rc(buf), FW_OK);
    snprintf(buf, sizeof buf, "OAuth oauth_consumer_key=\"ck\",oauth_signature_method=\"HMAC-SHA1\","
                              "oauth_timestamp=\"1\",oauth_signature=\"s\",oauth_nonce=\"%s\"",
             "01234567890123456789012345678901234567890123456789012345678901234");
    assert_int_equal(parse_rc(buf), FW_ENONCE);
    assert_int_equal(parse_rc("OAuth oauth_consumer_key=\"ck\",oauth_signature_method=\"HMAC-SHA1\","
                              "oauth_timestamp=\"1\",oauth_signature=\"s\",oauth_nonce=\"\""),
                     FW_ENONCE);
    assert_int_equal(parse_rc("OAuth oauth_consumer_key=\"ck\",oauth_signature_method=\"HMAC-SHA1\","
                              "oauth_timestamp=\"1\",oauth_signature=\"s\",oauth_nonce=\"a%20b\""),
                     FW_ENONCE);
    assert_int_equal(parse_rc("OAuth oauth_consumer_key=\"ck\",oauth_signature_method=\"HMAC-SHA1\","
                              "oauth_timestamp=\"1\",oauth_signature=\"s\",oauth_nonce=\"%C3%A9\""),
                     FW_ENONCE);
}

static void test_parse_limits(void **state)
{
    (void)state;
    /* Header length: exactly at the limit parses, one byte over does not
     * (filled with unknown oauth_ parameters, each within the value limit). */
    fw_buf b = FW_BUF_INIT;
    fw_buf_puts(&b, "OAuth oauth_consumer_key=\"ck\"," REQ_PARAMS);
    for (int n = 0; b.len < FW_OA1_MAX_HEADER; n++) {
        size_t rem = FW_OA1_MAX_HEADER - b.len, overhead = 12;
        size_t vlen = rem - overhead > 1000 ? 1000 : rem - overhead;
        fw_buf_printf(&b, ",oauth_x%d=\"", n);
        for (size_t i = 0; i < vlen; i++)
            fw_buf_putc(&b, 'a');
        fw_buf_putc(&b, '"');
    }
    assert_int_equal(b.len, FW_OA1_MAX_HEADER);
    assert_int_equal(parse_rc(b.data), FW_OK);
    fw_buf_putc(&b, ' ');
    assert_int_equal(parse_rc(b.data), FW_EMALFORMED);

    /* One value over FW_OA1_MAX_VALUE. */
    fw_buf_reset(&b);
    fw_buf_puts(&b, "OAuth oauth_consumer_key=\"ck\"," REQ_PARAMS ",oauth_x=\"");
    for (size_t i = 0; i < FW_OA1_MAX_VALUE + 1; i++)
        fw_buf_putc(&b, 'a');
    fw_buf_putc(&b, '"');
    assert_int_equal(parse_rc(b.data), FW_EMALFORMED);

    /* Parameter count: 32 fine, 33 refused. */
    for (int extra = 27; extra <= 28; extra++) {
        fw_buf_reset(&b);
        fw_buf_puts(&b, "OAuth oauth_consumer_key=\"ck\"," REQ_PARAMS);
        for (int i = 0; i < extra; i++)
            fw_buf_printf(&b, ",oauth_p%d=\"v\"", i);
        assert_int_equal(parse_rc(b.data), extra == 27 ? FW_OK : FW_EMALFORMED);
    }

    /* Huge input (1 MiB) is refused up front. */
    size_t huge = 1 << 20;
    char *big = malloc(huge + 1);
    memcpy(big, "OAuth ", 6);
    memset(big + 6, 'a', huge - 6);
    big[huge] = 0;
    assert_int_equal(parse_rc(big), FW_EMALFORMED);
    free(big);

    /* Too many signed parameters in the query. */
    fw_oauth1_hdr *h = parse_ok(PHOTOS_AUTH);
    fw_buf_reset(&b);
    for (int i = 0; i < FW_OA1_MAX_SIGNED; i++)
        fw_buf_printf(&b, "%sq%d=1", i ? "&" : "", i);
    fw_oauth1_req r = photos_req();
    r.query = (fw_str){b.data, b.len};
    fw_buf out = FW_BUF_INIT;
    assert_int_equal(fw_oauth1_base_string(h, &r, PHOTOS_BASE[0], &out), FW_EMALFORMED);
    assert_int_equal(photos_verify(h, &r), FW_EMALFORMED);
    fw_buf_free(&out);
    fw_buf_free(&b);
    free(h);
}

static void test_merge_duplicates(void **state)
{
    (void)state;
    fw_oauth1_hdr *h = parse_ok("OAuth oauth_consumer_key=\"ck\",oauth_token=\"t\"," REQ_PARAMS);
    fw_str base = FW_STR_LIT("http://h");
    fw_oauth1_req r = {FW_STR_LIT("POST"), FW_STR_LIT("/x"), FW_STR_NULL,
                       FW_STR_LIT("application/x-www-form-urlencoded"), FW_STR_LIT("oauth_token=t&v=1"), &base, 1};
    fw_buf b = FW_BUF_INIT;
    assert_int_equal(fw_oauth1_base_string(h, &r, base, &b), FW_OK);
    assert_non_null(strstr(b.data, "oauth_token%3Dt%26oauth_token%3Dt"));
    assert_int_equal(fw_oauth1_base_string_ex(h, &r, base, FW_OA1_BS_MERGE_DUPS, &b), FW_OK);
    assert_null(strstr(b.data, "oauth_token%3Dt%26oauth_token"));
    assert_non_null(strstr(b.data, "oauth_token%3Dt%26v%3D1"));
    /* Different values under one name are never merged. */
    r.body = FW_STR_LIT("oauth_token=u");
    assert_int_equal(fw_oauth1_base_string_ex(h, &r, base, FW_OA1_BS_MERGE_DUPS, &b), 1);
    /* Nothing repeated: the merged variant does not apply. */
    r.body = FW_STR_LIT("v=1");
    assert_int_equal(fw_oauth1_base_string_ex(h, &r, base, FW_OA1_BS_MERGE_DUPS, &b), 1);
    fw_buf_free(&b);
    free(h);
}

/* ---- captures ----------------------------------------------------------- */

static const char *hdr_get(json_t *headers, const char *name)
{
    size_t i;
    json_t *kv;
    json_array_foreach(headers, i, kv)
    {
        if (strcasecmp(json_string_value(json_array_get(kv, 0)), name) == 0)
            return json_string_value(json_array_get(kv, 1));
    }
    return NULL;
}

static fw_str jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return FW_STR_NULL;
    return (fw_str){json_string_value(v), json_string_length(v)};
}

static void test_client_captures(void **state)
{
    (void)state;
    const char *shared = getenv("FOLLOWD_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/ref/client-captures/captures.jsonl", shared ? shared : "../shared");
    FILE *f = fopen(path, "r");
    if (!f) {
        print_message("captures not found at %s\n", path);
        skip();
    }
    int verified = 0, rejected = 0, merged_used = 0, upstream = 0;
    char *line = NULL;
    size_t cap = 0;
    fw_nonce_cache *nc;
    assert_int_equal(fw_nonce_cache_new(4096, &nc), 0);
    while (getline(&line, &cap, f) > 0) {
        json_error_t err;
        json_t *rec = json_loads(line, 0, &err);
        assert_non_null(rec);
        json_t *params = json_object_get(rec, "oauth1_params");
        if (!json_is_object(params)) {
            json_decref(rec);
            continue;
        }
        const char *label = json_string_value(json_object_get(rec, "label"));
        json_t *headers = json_object_get(rec, "headers");
        const char *auth = hdr_get(headers, "Authorization");
        const char *host = hdr_get(headers, "Host");
        const char *ct = hdr_get(headers, "Content-Type");
        json_t *ver = json_object_get(rec, "oauth1_verification");
        assert_non_null(auth);
        assert_non_null(host);

        fw_oauth1_hdr *h = parse_ok(auth);
        char own[300];
        snprintf(own, sizeof own, "http://%s", host);
        fw_str bases[] = {fw_str_c(own), FW_STR_LIT("https://api.twitter.com"), FW_STR_LIT("https://api.x.com")};
        fw_oauth1_req r = {jstr(rec, "method"), jstr(rec, "path"), jstr(rec, "query_raw"),
                           ct ? fw_str_c(ct) : FW_STR_NULL, jstr(rec, "body"), bases, 3};
        fw_str ts_secret = fw_str_eq(h->token, "reqtok")  ? FW_STR_LIT("request-secret")
                           : h->token.p                   ? FW_STR_LIT("access-secret")
                                                          : FW_STR_LIT("");
        fw_str cs = FW_STR_LIT("consumer-secret");
        int rc = fw_oauth1_verify(h, &r, cs, ts_secret, h->ts);
        json_t *matched = json_object_get(ver, "matched_base_url");
        if (!json_is_string(matched)) {
            /* Captures the client signed with a wrong secret. */
            if (rc != FW_ESIGNATURE)
                fail_msg("%s: expected signature failure, got %d", label, rc);
            rejected++;
        } else {
            if (rc != FW_OK)
                fail_msg("%s: verify = %d (%s)", label, rc, fw_strerror(rc));
            verified++;
            assert_true(fw_str_eq(jstr(ver, "token_secret"), ts_secret.p));
            /* The base string reproduces the recorded one, via the strict or the merged variant. */
            fw_str url = jstr(ver, "url");
            const char *p = strstr(url.p, "://");
            p = strchr(p + 3, '/');
            fw_str base_url = {url.p, (size_t)(p - url.p)};
            fw_buf b = FW_BUF_INIT;
            assert_int_equal(fw_oauth1_base_string(h, &r, base_url, &b), FW_OK);
            const char *want = json_string_value(json_object_get(ver, "base_string"));
            if (strcmp(b.data, want) != 0) {
                assert_int_equal(fw_oauth1_base_string_ex(h, &r, base_url, FW_OA1_BS_MERGE_DUPS, &b), FW_OK);
                assert_string_equal(b.data, want);
                merged_used++;
            }
            fw_buf_free(&b);
            /* Negatives on every real capture. */
            assert_int_equal(fw_oauth1_verify(h, &r, cs, FW_STR_LIT("wrong"), h->ts), FW_ESIGNATURE);
            assert_int_equal(fw_oauth1_verify(h, &r, FW_STR_LIT("wrong"), ts_secret, h->ts), FW_ESIGNATURE);
            assert_int_equal(fw_oauth1_verify(h, &r, cs, ts_secret, h->ts + 301), FW_ETIMESTAMP);
            assert_int_equal(fw_oauth1_verify(h, &r, cs, ts_secret, h->ts - 301), FW_ETIMESTAMP);
            if (fw_str_eq(jstr(ver, "matched_base_url"), "actual")) {
                r.nbase = 1; /* followd's own URL alone suffices */
                assert_int_equal(fw_oauth1_verify(h, &r, cs, ts_secret, h->ts), FW_OK);
                r.base_urls = bases + 1;
                r.nbase = 2;
                assert_int_equal(fw_oauth1_verify(h, &r, cs, ts_secret, h->ts), FW_ESIGNATURE);
            } else {
                upstream++;
                r.nbase = 1; /* signed over the public URL: followd's own is not enough */
                assert_int_equal(fw_oauth1_verify(h, &r, cs, ts_secret, h->ts), FW_ESIGNATURE);
            }
            r.base_urls = bases;
            r.nbase = 3;
            if (r.query.len > 0) {
                r.query.len--; /* tampered query */
                assert_int_equal(fw_oauth1_verify(h, &r, cs, ts_secret, h->ts), FW_ESIGNATURE);
                r.query.len++;
            }
            if (ct && strstr(ct, "form")) {
                r.body.len--; /* tampered form body */
                assert_int_equal(fw_oauth1_verify(h, &r, cs, ts_secret, h->ts), FW_ESIGNATURE);
                r.body.len++;
            }
            /* Each capture's nonce is fresh once, then a replay. */
            assert_int_equal(fw_nonce_check_and_add(nc, h->consumer_key, h->nonce, h->ts, h->ts), 0);
            assert_int_equal(fw_nonce_check_and_add(nc, h->consumer_key, h->nonce, h->ts, h->ts + 10), -1);
        }
        free(h);
        json_decref(rec);
    }
    free(line);
    fclose(f);
    fw_nonce_cache_free(nc);
    print_message("captures: %d verified (%d via merged duplicates, %d signed as upstream), %d rejected as expected\n",
                  verified, merged_used, upstream, rejected);
    assert_true(verified >= 29);
    assert_int_equal(merged_used, 1);
    assert_int_equal(upstream, 2);
    assert_int_equal(rejected, 2);
}

/* ---- nonce cache -------------------------------------------------------- */

static void test_nonce_basic(void **state)
{
    (void)state;
    fw_nonce_cache *c;
    assert_int_equal(fw_nonce_cache_new(0, &c), -1);
    assert_int_equal(fw_nonce_cache_new(1000, &c), 0);
    assert_int_equal(fw_nonce_cache_capacity(c), 1024);
    fw_str ck = FW_STR_LIT("ck"), n = FW_STR_LIT("41820924087168684261795739100");
    assert_int_equal(fw_nonce_check_and_add(c, ck, n, 1000, 1000), 0);
    assert_int_equal(fw_nonce_check_and_add(c, ck, n, 1000, 1000), -1);
    assert_int_equal(fw_nonce_check_and_add(c, ck, n, 1100, 1200), -1); /* other ts, same nonce */
    /* Same nonce, another consumer key: independent. */
    assert_int_equal(fw_nonce_check_and_add(c, FW_STR_LIT("ck2"), n, 1000, 1000), 0);
    /* Key/nonce split points do not collide. */
    assert_int_equal(fw_nonce_check_and_add(c, FW_STR_LIT("c"), FW_STR_LIT("k41820924087168684261795739100"), 1000, 1000), 0);
    /* Still remembered at the last second a replay could pass (ts + 300)... */
    assert_int_equal(fw_nonce_check_and_add(c, ck, n, 1001, 1300), -1);
    /* ...forgotten after it, when ts 1000 could no longer pass the window. */
    assert_int_equal(fw_nonce_check_and_add(c, ck, n, 1001, 1301), 0);
    /* Invalid input. */
    assert_int_equal(fw_nonce_check_and_add(c, ck, FW_STR_LIT(""), 1000, 1000), -2);
    assert_int_equal(fw_nonce_check_and_add(c, ck, FW_STR_LIT("a b"), 1000, 1000), -2);
    assert_int_equal(fw_nonce_check_and_add(c, ck, FW_STR_LIT("\xc3\xa9"), 1000, 1000), -2);
    assert_int_equal(fw_nonce_check_and_add(c, ck, FW_STR_LIT("0123456789012345678901234567890123456789012345678901234567890123X"), 1000, 1000), -2);
    assert_int_equal(fw_nonce_check_and_add(c, ck, FW_STR_LIT("0123456789012345678901234567890123456789012345678901234567890123"), 1000, 1000), 0);
    assert_int_equal(fw_nonce_check_and_add(c, FW_STR_LIT(""), n, 1000, 1000), -2);
    assert_int_equal(fw_nonce_check_and_add(c, ck, FW_STR_LIT("x"), 1000, 1301), -2);
    assert_int_equal(fw_nonce_check_and_add(c, ck, FW_STR_LIT("x"), 1000, 699), -2);
    assert_int_equal(fw_nonce_check_and_add(c, ck, FW_STR_LIT("x"), 0, INT64_MAX), -2);
    fw_nonce_cache_free(c);
}

static void test_nonce_eviction(void **state)
{
    (void)state;
    fw_nonce_cache *c;
    assert_int_equal(fw_nonce_cache_new(1, &c), 0);
    size_t capn = fw_nonce_cache_capacity(c);
    assert_int_equal(capn, 16 * FW_NONCE_WAYS); /* one set per shard */
    const int64_t now = 100000;
    const int total = 2000;
    char nb[32];
    /* Timestamps rise with insertion order, so "oldest" is well defined. */
    for (int i = 0; i < total; i++) {
        snprintf(nb, sizeof nb, "n%d", i);
        assert_int_equal(fw_nonce_check_and_add(c, FW_STR_LIT("ck"), fw_str_c(nb), now - 300 + i * 600 / total, now), 0);
    }
    /* The newest is always kept. */
    snprintf(nb, sizeof nb, "n%d", total - 1);
    assert_int_equal(fw_nonce_check_and_add(c, FW_STR_LIT("ck"), fw_str_c(nb), now, now), -1);
    /* Memory is bounded: most of the oldest entries were evicted. */
    int remembered = 0;
    for (int i = 0; i < (int)capn; i++) {
        snprintf(nb, sizeof nb, "n%d", i);
        if (fw_nonce_check_and_add(c, FW_STR_LIT("ck"), fw_str_c(nb), now - 300 + i * 600 / total, now) == -1)
            remembered++;
    }
    assert_true(remembered < (int)capn / 4);
    fw_nonce_cache_free(c);
}

typedef struct race_arg {
    fw_nonce_cache *c;
    int fresh;
} race_arg;

static void *race(void *p)
{
    race_arg *a = p;
    char nb[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(nb, sizeof nb, "%d", i);
        if (fw_nonce_check_and_add(a->c, FW_STR_LIT("ck"), fw_str_c(nb), 5000, 5000) == 0)
            a->fresh++;
    }
    return NULL;
}

static void test_nonce_threads(void **state)
{
    (void)state;
    fw_nonce_cache *c;
    assert_int_equal(fw_nonce_cache_new(100000, &c), 0);
    race_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (race_arg){c, 0};
        assert_int_equal(pthread_create(&th[i], NULL, race, &args[i]), 0);
    }
    int fresh = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        fresh += args[i].fresh;
    }
    /* Each nonce is accepted exactly once across all threads. */
    assert_int_equal(fresh, 5000);
    fw_nonce_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5849_3411_base_string),
        cmocka_unit_test(test_rfc_photos_signature),
        cmocka_unit_test(test_rfc5849_1_2_photos),
        cmocka_unit_test(test_check_bases_and_replay),
        cmocka_unit_test(test_bad_signature_and_secrets),
        cmocka_unit_test(test_tampered_request),
        cmocka_unit_test(test_timestamp_window),
        cmocka_unit_test(test_method_and_version),
        cmocka_unit_test(test_parse_layouts),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_merge_duplicates),
        cmocka_unit_test(test_client_captures),
        cmocka_unit_test(test_nonce_basic),
        cmocka_unit_test(test_nonce_eviction),
        cmocka_unit_test(test_nonce_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
