/* Credential issuing for the CLI; see creds.h. */
#include "cli/creds.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonw.h"
#include "core/secret.h"

int fw_cli_issue_app_bearer(fw_store *s, const fw_app *app, char out[FW_TOKEN_MAX])
{
    fw_token_app_bearer(fw_store_secret(s), app->id, app->bearer_gen, out);
    fw_cred c = {0};
    c.kind = FW_CRED_APP_BEARER;
    c.app_id = app->id;
    c.issued_at_ms = fw_now_ms();
    uint8_t h[32];
    fw_sha256(out, strlen(out), h);
    return fw_store_cred_put(s, h, FW_STR_NULL, &c) == FW_OK ? 0 : -1;
}

int fw_cli_issue_user_token(fw_store *s, uint64_t app_id, uint64_t user_id, uint32_t scopes, int64_t expires_ms,
                            const char *label, char out[FW_TOKEN_MAX])
{
    int64_t now = fw_now_ms();
    if (label)
        fw_token_derived(fw_store_secret(s), label, out);
    else if (fw_token_oauth2("at", now, out) != 0)
        return -1;
    fw_cred c = {0};
    c.kind = FW_CRED_OAUTH2_USER;
    c.app_id = app_id;
    c.user_id = user_id;
    c.scopes = scopes;
    c.issued_at_ms = now;
    c.expires_at_ms = expires_ms ? now + expires_ms : 0;
    uint8_t h[32];
    fw_sha256(out, strlen(out), h);
    return fw_store_cred_put(s, h, FW_STR_NULL, &c) == FW_OK ? 0 : -1;
}

int fw_cli_issue_oauth1(fw_store *s, uint64_t app_id, uint64_t user_id, const char *label, char tok[FW_TOKEN_MAX],
                        char sec[FW_TOKEN_MAX])
{
    if (label) {
        char l2[160], raw[FW_TOKEN_MAX];
        snprintf(l2, sizeof l2, "%s:token", label);
        fw_token_derived(fw_store_secret(s), l2, raw);
        snprintf(tok, FW_TOKEN_MAX, "%llu-%.40s", (unsigned long long)user_id, raw);
        snprintf(l2, sizeof l2, "%s:secret", label);
        fw_token_derived(fw_store_secret(s), l2, sec);
    } else if (fw_token_oauth1(user_id, tok, sec) != 0) {
        return -1;
    }
    fw_cred c = {0};
    c.kind = FW_CRED_OAUTH1_USER;
    c.app_id = app_id;
    c.user_id = user_id;
    c.scopes = UINT32_MAX;
    c.issued_at_ms = fw_now_ms();
    c.secret = fw_str_c(sec);
    return fw_store_cred_put(s, NULL, fw_str_c(tok), &c) == FW_OK ? 0 : -1;
}

void fw_cli_print_app_json(const fw_app *a, const char *bearer)
{
    fw_buf b = FW_BUF_INIT;
    fw_jw w;
    fw_jw_init(&w, &b, true);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "app_id");
    fw_jw_id(&w, a->id);
    fw_jw_key(&w, "project_id");
    fw_jw_id(&w, a->project_id);
    fw_jw_key(&w, "consumer_key");
    fw_jw_strn(&w, a->consumer_key.p, a->consumer_key.len);
    fw_jw_key(&w, "consumer_secret");
    fw_jw_strn(&w, a->consumer_secret.p, a->consumer_secret.len);
    fw_jw_key(&w, "bearer_token");
    fw_jw_str(&w, bearer);
    fw_jw_key(&w, "client_id");
    fw_jw_strn(&w, a->client_id.p, a->client_id.len);
    if (a->client_type == FW_CLIENT_CONFIDENTIAL) {
        fw_jw_key(&w, "client_secret");
        fw_jw_strn(&w, a->client_secret.p, a->client_secret.len);
    }
    fw_jw_obj_end(&w);
    fw_buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, stdout);
    fw_buf_free(&b);
}
