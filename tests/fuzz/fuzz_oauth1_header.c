/* libFuzzer target: the OAuth 1.0a Authorization header parser, and, for
 * headers that parse, base-string building and verification over them.
 *
 * Build and run (from the repository root):
 *   clang-14 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     tests/fuzz/fuzz_oauth1_header.c src/auth/oauth1.c src/auth/nonce.c src/core/buf.c \
 *     src/core/str.c src/core/secret.c src/core/urlenc.c -lcrypto -lpthread -o build/fuzz_oauth1_header
 *   build/fuzz_oauth1_header -max_total_time=60 -max_len=5000
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "auth/oauth1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fw_oauth1_hdr h;
    fw_str in = {(const char *)data, size};
    int rc = fw_oauth1_parse(in, &h);
    if (rc != FW_OK)
        return 0;
    /* Parsed fields must lie inside the input or the header's own storage. */
    const fw_str *fields[] = {&h.consumer_key, &h.token,   &h.signature_method, &h.signature, &h.timestamp,
                              &h.nonce,        &h.version, &h.callback,         &h.verifier};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (fields[i]->p && (fields[i]->p < h.store || fields[i]->p + fields[i]->len > h.store + h.store_len))
            abort();
    if (h.nraw > FW_OA1_MAX_PARAMS || h.store_len > size)
        abort();

    static const fw_str bases[] = {FW_STR_LIT("http://127.0.0.1:8080"), FW_STR_LIT("https://api.x.com")};
    fw_oauth1_req r = {FW_STR_LIT("POST"), FW_STR_LIT("/oauth/access_token"), FW_STR_LIT("a=1&b=%20"),
                       FW_STR_LIT("application/x-www-form-urlencoded"), FW_STR_LIT("oauth_token=t&oauth_verifier=v"),
                       bases, 2};
    fw_buf b = FW_BUF_INIT;
    if (fw_oauth1_base_string(&h, &r, bases[0], &b) != FW_OK)
        abort(); /* a parsed header always yields a base string */
    fw_buf_free(&b);
    rc = fw_oauth1_verify(&h, &r, FW_STR_LIT("consumer-secret"), FW_STR_LIT("access-secret"), h.ts);
    if (rc == FW_OK || rc == FW_EMALFORMED || rc == FW_ETIMESTAMP)
        abort(); /* a random header never matches; the request itself is well-formed */
    return 0;
}
