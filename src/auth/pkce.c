/* PKCE verification; see pkce.h. */
#include "auth/pkce.h"

#include <stdint.h>

#include "core/codec.h"
#include "core/secret.h"

int fw_pkce_method_parse(fw_str s)
{
    if (fw_str_ieq(s, "S256"))
        return FW_PKCE_S256;
    if (fw_str_ieq(s, "plain"))
        return FW_PKCE_PLAIN;
    return 0;
}

bool fw_pkce_valid(fw_str s)
{
    if (s.len < FW_PKCE_MIN_LEN || s.len > FW_PKCE_MAX_LEN)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~'))
            return false;
    }
    return true;
}

void fw_pkce_s256(fw_str verifier, char out[44])
{
    uint8_t h[FW_SHA256_LEN];
    fw_sha256(verifier.p, verifier.len, h);
    fw_b64url_encode(h, sizeof h, out);
}

bool fw_pkce_verify(int method, fw_str challenge, fw_str verifier)
{
    if (!fw_pkce_valid(verifier))
        return false;
    if (method == FW_PKCE_PLAIN)
        return fw_ct_equal(challenge.p, challenge.len, verifier.p, verifier.len);
    if (method != FW_PKCE_S256)
        return false;
    char want[44];
    fw_pkce_s256(verifier, want);
    return fw_ct_equal(want, 43, challenge.p, challenge.len);
}
