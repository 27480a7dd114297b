/* Credential minting; see tokens.h. */
#include "auth/tokens.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/secret.h"

void fw_token_app_bearer(const uint8_t secret[32], uint64_t app_id, uint32_t gen, char out[FW_TOKEN_MAX])
{
    char label[64];
    snprintf(label, sizeof label, "app-bearer:%llu:%u", (unsigned long long)app_id, gen);
    uint8_t mac[32];
    fw_hmac_sha256(secret, 32, label, strlen(label), mac);
    memcpy(out, "AAAAAAAAAAAAAAAAAAAAA", 21);
    fw_b64url_encode(mac, 32, out + 21);
}

void fw_token_derived(const uint8_t secret[32], const char *label, char out[FW_TOKEN_MAX])
{
    uint8_t mac[32];
    fw_hmac_sha256(secret, 32, label, strlen(label), mac);
    fw_b64url_encode(mac, 30, out);
}

int fw_token_oauth2(const char *kind, int64_t now_ms, char out[FW_TOKEN_MAX])
{
    char rnd[46];
    if (fw_random_alnum(rnd, 45) != 0)
        return -1;
    char raw[96];
    int n = snprintf(raw, sizeof raw, "%s:%lld:1:1:%s:1", rnd, (long long)now_ms, kind);
    if (n <= 0 || (size_t)n >= sizeof raw)
        return -1;
    fw_b64url_encode((const uint8_t *)raw, (size_t)n, out);
    return 0;
}

int fw_token_oauth1(uint64_t user_id, char token[FW_TOKEN_MAX], char secret[FW_TOKEN_MAX])
{
    char rnd[41];
    if (fw_random_alnum(rnd, 40) != 0 || fw_random_alnum(secret, 45) != 0)
        return -1;
    snprintf(token, FW_TOKEN_MAX, "%llu-%s", (unsigned long long)user_id, rnd);
    return 0;
}
