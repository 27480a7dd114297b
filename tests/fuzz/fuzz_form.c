/* libFuzzer target: the form/query decoder path (fw_form_next + fw_url_decode)
 * and the OAuth 1.0a base-string builder fed with fuzzed query, body, path,
 * content type and base URL. The input is split on the first four NUL bytes.
 *
 * Build and run (from the repository root):
 *   clang-14 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     tests/fuzz/fuzz_form.c src/auth/oauth1.c src/auth/nonce.c src/core/buf.c \
 *     src/core/str.c src/core/secret.c src/core/urlenc.c -lcrypto -lpthread -o build/fuzz_form
 *   build/fuzz_form -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "auth/oauth1.h"
#include "core/urlenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fw_str next_part(fw_str *rest)
{
    const char *z = memchr(rest->p, 0, rest->len);
    size_t n = z ? (size_t)(z - rest->p) : rest->len;
    fw_str part = {rest->p, n};
    rest->p += z ? n + 1 : n;
    rest->len -= z ? n + 1 : n;
    return part;
}

static const char AUTH[] = "OAuth oauth_consumer_key=\"ck\",oauth_nonce=\"n\",oauth_signature=\"AAAA\","
                           "oauth_signature_method=\"HMAC-SHA1\",oauth_timestamp=\"1000\",oauth_token=\"t\","
                           "oauth_version=\"1.0\"";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fw_oauth1_hdr h;
    static int parsed;
    if (!parsed) {
        if (fw_oauth1_parse(FW_STR_LIT(AUTH), &h) != FW_OK)
            abort();
        parsed = 1;
    }
    fw_str rest = {(const char *)data, size};
    fw_str query = next_part(&rest), body = next_part(&rest), path = next_part(&rest), url = next_part(&rest);
    fw_str ct = rest;

    /* The raw decoder path: every pair decodes or fails cleanly, and
     * decoding never grows the text. */
    fw_form_iter it = fw_form_begin(query);
    fw_str k, v;
    fw_buf d = FW_BUF_INIT, e = FW_BUF_INIT;
    while (fw_form_next(&it, &k, &v)) {
        if (k.p < query.p || v.p + v.len > query.p + query.len)
            abort();
        fw_buf_reset(&d);
        size_t before = d.len;
        (void)fw_url_decode(k, true, &d);
        (void)fw_url_decode(v, false, &d);
        if (d.len - before > k.len + v.len)
            abort();
        /* Re-encoding yields only unreserved chars and %XX. */
        fw_buf_reset(&e);
        fw_url_encode((fw_str){d.data, d.len}, &e);
        for (size_t i = 0; i < e.len; i++)
            if (e.data[i] == ' ' || e.data[i] == '+' || e.data[i] == '&' || e.data[i] == '=')
                abort();
    }
    fw_buf_free(&d);
    fw_buf_free(&e);

    fw_str bases[] = {url, FW_STR_LIT("https://api.x.com")};
    fw_oauth1_req r = {FW_STR_LIT("POST"), path, query, ct, body, bases, 2};
    fw_buf b = FW_BUF_INIT;
    (void)fw_oauth1_base_string(&h, &r, url, &b);
    (void)fw_oauth1_base_string_ex(&h, &r, url, FW_OA1_BS_MERGE_DUPS, &b);
    fw_buf_free(&b);
    int rc = fw_oauth1_verify(&h, &r, FW_STR_LIT("cs"), FW_STR_LIT("ts"), 1000);
    if (rc == FW_OK)
        abort(); /* "AAAA" is never a valid HMAC-SHA1 signature */
    return 0;
}
