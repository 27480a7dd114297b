/* Pagination token codec; see pagetok.h. */
#include "api/pagetok.h"

#include <string.h>

#include "core/codec.h"
#include "core/secret.h"
#include "store/store.h"

#define TOK_BYTES 17 /* flag + seq + 8-byte tag */

static void tok_tag(const uint8_t key[32], uint64_t owner, uint8_t kind, const uint8_t body[9], uint8_t tag[8])
{
    uint8_t msg[2 + 8 + 9];
    msg[0] = 'p';
    msg[1] = kind;
    for (int i = 0; i < 8; i++)
        msg[2 + i] = (uint8_t)(owner >> (56 - 8 * i));
    memcpy(msg + 10, body, 9);
    uint8_t mac[32];
    fw_hmac_sha256(key, 32, msg, sizeof msg, mac);
    memcpy(tag, mac, 8);
}

void fw_pagetok_encode(const uint8_t key[32], uint64_t owner, uint8_t kind, const fw_pagetok *t,
                       char out[FW_PAGETOK_LEN + 1])
{
    uint8_t raw[TOK_BYTES];
    raw[0] = t->dir;
    for (int i = 0; i < 8; i++)
        raw[1 + i] = (uint8_t)(t->seq >> (56 - 8 * i));
    tok_tag(key, owner, kind, raw, raw + 9);
    fw_b32hex_encode(raw, sizeof raw, out);
}

int fw_pagetok_decode(const uint8_t key[32], uint64_t owner, uint8_t kind, fw_str s, fw_pagetok *t)
{
    uint8_t raw[TOK_BYTES + 4];
    if (s.len != FW_PAGETOK_LEN)
        return -1;
    if (fw_b32hex_decode(s.p, s.len, raw, sizeof raw) != TOK_BYTES)
        return -1;
    /* 28 chars carry 140 bits for 136: the 4 spare bits must be zero, so each
     * token has exactly one spelling. */
    char last = s.p[FW_PAGETOK_LEN - 1];
    int v = last <= '9' ? last - '0' : last - 'A' + 10;
    if (v & 0xF)
        return -1;
    uint8_t tag[8];
    tok_tag(key, owner, kind, raw, tag);
    if (!fw_ct_equal(tag, 8, raw + 9, 8))
        return -1;
    if (raw[0] != FW_PAGE_AFTER && raw[0] != FW_PAGE_BEFORE)
        return -1;
    t->dir = raw[0];
    t->seq = 0;
    for (int i = 0; i < 8; i++)
        t->seq = (t->seq << 8) | raw[1 + i];
    return 0;
}
