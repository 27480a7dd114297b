/* libFuzzer target: pagination tokens (fw_pagetok_decode / encode).
 *
 * The first 9 bytes choose the owner and list kind a token is checked
 * against; the rest is the token text. A token that decodes must re-encode to
 * the same text (tokens are canonical), and must not decode for a different
 * owner or kind (the tag binds both). Encoding a fuzzed position must decode
 * back to it. Build and run with scripts/fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/pagetok.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t KEY[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    uint64_t owner;
    memcpy(&owner, data, 8);
    uint8_t kind = data[8];
    fw_str text = {(const char *)data + 9, size - 9};
    fw_pagetok t;
    char out[FW_PAGETOK_LEN + 1];
    if (fw_pagetok_decode(KEY, owner, kind, text, &t) == 0) {
        fw_pagetok_encode(KEY, owner, kind, &t, out);
        if (text.len != FW_PAGETOK_LEN || memcmp(out, text.p, FW_PAGETOK_LEN) != 0)
            abort();
        fw_pagetok other;
        if (fw_pagetok_decode(KEY, owner + 1, kind, text, &other) == 0 ||
            fw_pagetok_decode(KEY, owner, (uint8_t)(kind + 1), text, &other) == 0)
            abort();
    }
    /* Round trip of a position taken from the input. */
    if (size >= 18) {
        fw_pagetok p = {.dir = (data[9] & 1) ? FW_PAGE_BEFORE : FW_PAGE_AFTER, .seq = 0};
        memcpy(&p.seq, data + 10, 8);
        fw_pagetok_encode(KEY, owner, kind, &p, out);
        fw_pagetok back;
        if (strlen(out) != FW_PAGETOK_LEN || fw_pagetok_decode(KEY, owner, kind, fw_str_c(out), &back) != 0 ||
            back.seq != p.seq || back.dir != p.dir)
            abort();
    }
    return 0;
}
