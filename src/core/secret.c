/* Random material, hashes, constant-time compare and text encodings. */
#include "core/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

int fw_random_bytes(void *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

int fw_random_alnum(char *out, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;
    while (i < n) {
        uint8_t r[64];
        if (fw_random_bytes(r, sizeof r) != 0)
            return -1;
        for (size_t k = 0; k < sizeof r && i < n; k++)
            if (r[k] < 248) /* 248 = 4*62: rejection keeps the distribution uniform */
                out[i++] = al[r[k] % 62];
    }
    out[n] = 0;
    return 0;
}

void fw_sha256(const void *data, size_t len, uint8_t out[FW_SHA256_LEN])
{
    unsigned int olen = 0;
    EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL);
}

void fw_hmac_sha256(const void *key, size_t klen, const void *data, size_t len, uint8_t out[32])
{
    unsigned int olen = 0;
    HMAC(EVP_sha256(), key, (int)klen, data, len, out, &olen);
}

void fw_hmac_sha1(const void *key, size_t klen, const void *data, size_t len, uint8_t out[20])
{
    unsigned int olen = 0;
    HMAC(EVP_sha1(), key, (int)klen, data, len, out, &olen);
}

bool fw_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return false;
    if (alen == 0)
        return true;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

static const char b32hex[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

size_t fw_b32hex_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32hex[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32hex[(acc << (5 - bits)) & 31];
    out[o] = 0;
    return o;
}

long fw_b32hex_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'A' && c <= 'V')
            v = c - 'A' + 10;
        else
            return -1;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            if (o >= cap)
                return -1;
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
        acc &= 0xFF;
    }
    return (long)o;
}

static size_t b64_encode_with(const char *al, bool pad, const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63];
        out[o++] = al[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = al[(v >> 6) & 63];
        else if (pad)
            out[o++] = '=';
        if (pad)
            out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

size_t fw_b64url_encode(const uint8_t *in, size_t n, char *out)
{
    return b64_encode_with("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false, in, n, out);
}

size_t fw_b64_encode(const uint8_t *in, size_t n, char *out)
{
    return b64_encode_with("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true, in, n, out);
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

long fw_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    while (n > 0 && in[n - 1] == '=')
        n--;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            if (o >= cap)
                return -1;
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
        acc &= 0xFF;
    }
    return (long)o;
}

void fw_hex(const uint8_t *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = 0;
}
