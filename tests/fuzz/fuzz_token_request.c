/* libFuzzer target: the token-request parser shared by every OAuth token
 * endpoint (query string + form or JSON body + HTTP Basic header). The input
 * is split on its first three NUL bytes into query, content type, body and
 * Authorization header. Checks: no crash or sanitizer report, every returned
 * slice lies inside the parser's storage, at most FW_OAP_MAX_PARAMS
 * parameters, each within the size limits, and parsing is deterministic.
 *
 * Build and run (from the repository root):
 *   clang-14 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     tests/fuzz/fuzz_token_request.c src/oauth/oauth_params.c src/core/buf.c src/core/str.c \
 *     src/core/secret.c src/core/urlenc.c -ljansson -lcrypto -o build/fuzz_token_request
 *   build/fuzz_token_request -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth/oauth_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fw_str next_part(fw_str *rest)
{
    const char *z = rest->len ? memchr(rest->p, 0, rest->len) : NULL;
    size_t n = z ? (size_t)(z - rest->p) : rest->len;
    fw_str part = {rest->p, n};
    rest->p += z ? n + 1 : n;
    rest->len -= z ? n + 1 : n;
    return part;
}

static void inside(const fw_oauth_params *p, fw_str s)
{
    if (s.len && (s.p < p->store.data || s.p + s.len > p->store.data + p->store.len))
        abort();
}

static const char *const names[] = {"grant_type", "code", "client_id", "redirect_uri", "code_verifier",
                                    "refresh_token", "token", "access_token", "scope"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fw_str rest = {(const char *)data, size};
    fw_str query = next_part(&rest), ct = next_part(&rest), body = next_part(&rest), auth = rest;
    fw_oauth_params a, b;
    int ra = fw_oauth_params_parse(&a, query, ct, body, auth);
    int rb = fw_oauth_params_parse(&b, query, ct, body, auth);
    if (ra != rb || (ra == FW_OK && (a.n != b.n || a.has_basic != b.has_basic)))
        abort();
    if (ra == FW_OK) {
        if (a.n > FW_OAP_MAX_PARAMS)
            abort();
        for (size_t i = 0; i < a.n; i++)
            if (a.klen[i] == 0 || a.klen[i] > FW_OAP_MAX_NAME || a.vlen[i] > FW_OAP_MAX_VALUE)
                abort();
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            fw_str v = fw_oauth_param(&a, names[i]), w = fw_oauth_param(&b, names[i]);
            inside(&a, v);
            if ((v.p == NULL) != (w.p == NULL) || v.len != w.len || (v.len && memcmp(v.p, w.p, v.len)))
                abort();
        }
        if (a.has_basic) {
            inside(&a, a.basic_id);
            inside(&a, a.basic_secret);
            if (!a.basic_id.len)
                abort();
        }
    }
    fw_oauth_params_free(&a);
    fw_oauth_params_free(&b);
    return 0;
}
