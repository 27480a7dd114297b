/* Credential issuing; see issue.h. */
#include "auth/issue.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/secret.h"

static fw_cred new_cred(uint8_t kind, uint64_t app_id, uint64_t user_id, uint32_t scopes)
{
    fw_cred c = {0};
    c.kind = kind;
    c.app_id = app_id;
    c.user_id = user_id;
    c.scopes = scopes;
    c.issued_at_ms = fw_now_ms();
    return c;
}

static int put_bearer(fw_store *s, const char *tok, const fw_cred *c)
{
    uint8_t h[FW_SHA256_LEN];
    fw_sha256(tok, strlen(tok), h);
    return fw_store_cred_put(s, h, FW_STR_NULL, c);
}

int fw_issue_app_bearer(fw_store *s, uint64_t app_id, uint32_t gen, char out[FW_TOKEN_MAX])
{
    fw_token_app_bearer(fw_store_secret(s), app_id, gen, out);
    fw_cred c = new_cred(FW_CRED_APP_BEARER, app_id, 0, UINT32_MAX); /* app-only tokens are not scoped */
    return put_bearer(s, out, &c);
}

int fw_issue_grant_id(uint64_t *out)
{
    do {
        if (fw_random_bytes(out, sizeof *out) < 0)
            return FW_EIO;
    } while (*out == 0);
    return FW_OK;
}

int fw_issue_user_token(fw_store *s, uint8_t kind, uint64_t app_id, uint64_t user_id, uint32_t scopes, int64_t ttl_ms,
                        uint64_t grant_id, const char *label, char out[FW_TOKEN_MAX])
{
    if (kind != FW_CRED_OAUTH2_USER && kind != FW_CRED_OAUTH2_REFRESH)
        return FW_EINVAL;
    fw_cred c = new_cred(kind, app_id, user_id, scopes);
    c.grant_id = grant_id;
    if (label)
        fw_token_derived(fw_store_secret(s), label, out);
    else if (fw_token_oauth2(kind == FW_CRED_OAUTH2_USER ? "at" : "rt", c.issued_at_ms, out) != 0)
        return FW_EIO;
    c.expires_at_ms = ttl_ms > 0 ? c.issued_at_ms + ttl_ms : 0;
    return put_bearer(s, out, &c);
}

int fw_issue_oauth1(fw_store *s, uint64_t app_id, uint64_t user_id, uint32_t scopes, const char *label,
                    char tok[FW_TOKEN_MAX], char sec[FW_TOKEN_MAX])
{
    if (label) {
        char l2[160], raw[FW_TOKEN_MAX];
        snprintf(l2, sizeof l2, "%s:token", label);
        fw_token_derived(fw_store_secret(s), l2, raw);
        snprintf(tok, FW_TOKEN_MAX, "%llu-%.40s", (unsigned long long)user_id, raw);
        snprintf(l2, sizeof l2, "%s:secret", label);
        fw_token_derived(fw_store_secret(s), l2, sec);
    } else if (fw_token_oauth1(user_id, tok, sec) != 0) {
        return FW_EIO;
    }
    fw_cred c = new_cred(FW_CRED_OAUTH1_USER, app_id, user_id, scopes);
    c.secret = fw_str_c(sec);
    return fw_store_cred_put(s, NULL, fw_str_c(tok), &c);
}
