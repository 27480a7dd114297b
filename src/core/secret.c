/* Random material, hashes and constant-time compare. */
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
