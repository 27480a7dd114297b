// libFuzzer target for src/text (entity extraction, UTF-8 validation, JSON).
//
// Build and run (from the repo root):
//   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/fuzz/fuzz_entities.c src/text/*.c src/core/buf.c src/core/jsonw.c src/core/str.c \
//     $(pkg-config --libs libpcre2-8) -lpthread -o build/fuzz_entities
//   build/fuzz_entities -max_total_time=60 -max_len=4096
//
// Besides the sanitizers it checks the output's invariants: entities are in
// order, disjoint, inside the input, and their code point indices agree with
// their byte offsets; the JSON step succeeds exactly when the input is valid.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "text/entities.h"

static size_t cps(const uint8_t *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += (s[i] & 0xC0) != 0x80;
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool valid = fw_utf8_valid(s, size);
    fw_entity e[64];
    int n = fw_text_extract(s, size, e, 64);
    if ((n >= 0) != (valid && size <= FW_TEXT_MAX_LEN)) abort();
    uint32_t prev_end = 0;
    for (int i = 0; i < n && i < 64; i++) {
        if (e[i].kind < FW_ENT_URL || e[i].kind > FW_ENT_CASHTAG) abort();
        if (e[i].byte_start < prev_end || e[i].byte_end <= e[i].byte_start || e[i].byte_end > size) abort();
        if (e[i].start != cps(data, e[i].byte_start) || e[i].end != cps(data, e[i].byte_end)) abort();
        prev_end = e[i].byte_end;
    }
    /* the kinds-limited extractor never finds more than all kinds together
     * would before overlap removal, and agrees on validity */
    int h = fw_text_extract_kinds(s, size, FW_ENT_BIT(FW_ENT_HASHTAG), NULL, 0);
    if ((h >= 0) != (n >= 0)) abort();

    /* JSON: description = first half, url = second half */
    fw_buf b = FW_BUF_INIT;
    size_t half = size / 2;
    int rc = fw_text_user_entities_json((fw_str){s, half}, (fw_str){s + half, size - half}, &b);
    bool ok = fw_utf8_valid(s, half) && fw_utf8_valid(s + half, size - half);
    if ((rc == 0) != ok) abort();
    if (rc != 0 && b.len != 0) abort();
    fw_buf_free(&b);
    return 0;
}
