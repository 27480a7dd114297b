/* Record rules every backend shares (store/backend.h): username keys, field
 * limits and the derived default-fields JSON, so a user validated or rendered
 * by one backend is validated and rendered the same by the other. */
#include "store/backend.h"

#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/jsonw.h"
#include "core/secret.h"

bool fw_rec_username_key(fw_str name, char out[FW_USERNAME_MAX + 1])
{
    if (name.len < 1 || name.len > FW_USERNAME_MAX)
        return false;
    for (size_t i = 0; i < name.len; i++) {
        char c = name.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
        out[i] = c;
    }
    out[name.len] = 0;
    return true;
}

static bool strs_valid(const fw_str *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].len > FW_FIELD_MAX || (v[i].len && !v[i].p))
            return false;
    return true;
}

bool fw_rec_user_valid(const fw_user *u)
{
    char key[FW_USERNAME_MAX + 1];
    if (!fw_rec_username_key(u->username, key))
        return false;
    const fw_str v[] = {u->username, u->name, u->description, u->location, u->url, u->profile_image_url,
                        u->withheld_countries, u->entities_json};
    return strs_valid(v, sizeof(v) / sizeof(v[0])) && u->verified_type <= FW_VT_GOVERNMENT;
}

bool fw_rec_tweet_valid(const fw_tweet *t)
{
    const fw_str v[] = {t->text, t->lang, t->source, t->reply_settings, t->entities_json};
    return strs_valid(v, sizeof(v) / sizeof(v[0]));
}

/* Kept in the record (a cache derived at write time, never set by callers) so
 * a list page copies it instead of formatting and escaping three fields per
 * user on every read. */
void fw_rec_user_head(const fw_user *u, fw_buf *out)
{
    fw_jw w;
    fw_jw_init(&w, out, false);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "id");
    fw_jw_id(&w, u->id);
    fw_jw_key(&w, "name");
    fw_jw_strn(&w, u->name.p, u->name.len);
    fw_jw_key(&w, "username");
    fw_jw_strn(&w, u->username.p, u->username.len);
}

bool fw_rec_cred_valid(const fw_cred *c)
{
    return c->kind >= FW_CRED_APP_BEARER && c->kind <= FW_CRED_OAUTH1_USER && c->secret.len <= FW_FIELD_MAX;
}

bool fw_rec_cred_key(bool oauth1, const uint8_t hash[32], fw_str token, uint8_t *kb, size_t *kn)
{
    if (oauth1) {
        if (token.len < 1 || token.len > FW_TOKEN_MAX || !token.p)
            return false;
        kb[0] = 'O';
        memcpy(kb + 1, token.p, token.len);
        *kn = 1 + token.len;
        return true;
    }
    if (!hash)
        return false;
    kb[0] = 'H';
    memcpy(kb + 1, hash, 32);
    *kn = 33;
    return true;
}

/* ---- apps and the developer portal's records ---- */

void fw_app_rec_free(fw_app_rec *r)
{
    for (int i = 0; i < 7; i++) {
        free(r->strs[i]);
        r->strs[i] = NULL;
    }
    memset(&r->a, 0, sizeof(r->a));
}

void fw_rec_app_fill(fw_app_rec *r, const fw_app *a)
{
    memset(r, 0, sizeof(*r));
    r->a = *a;
    fw_str *f[6] = {&r->a.name, &r->a.consumer_key, &r->a.consumer_secret, &r->a.client_id, &r->a.client_secret,
                    &r->a.redirect_uris};
    for (int i = 0; i < 6; i++) {
        r->strs[i] = fw_str_dup(*f[i]);
        f[i]->p = r->strs[i];
    }
}

int fw_rec_client_secret(char out[64])
{
    uint8_t raw[CLIENT_SECRET_BYTES];
    if (fw_random_bytes(raw, sizeof raw) < 0)
        return FW_ECRYPTO;
    out[fw_b64url_encode(raw, sizeof raw, out)] = 0;
    return FW_OK;
}

void fw_project_rec_free(fw_project_rec *r)
{
    free(r->strs[0]);
    free(r->strs[1]);
    memset(r, 0, sizeof *r);
}

void fw_app_settings_rec_free(fw_app_settings_rec *r)
{
    free(r->strs[0]);
    free(r->strs[1]);
    memset(r, 0, sizeof *r);
}

static bool str_ok(fw_str s, size_t max) { return s.len <= max && (!s.len || s.p); }

bool fw_rec_project_valid(fw_str name, fw_str use_case, uint8_t environment)
{
    return name.len >= 1 && str_ok(name, FW_PROJECT_NAME_MAX) && str_ok(use_case, FW_USE_CASE_MAX) &&
           environment <= FW_ENV_PRODUCTION;
}

bool fw_rec_app_update_valid(fw_str name, uint8_t client_type, fw_str redirect_uris, uint8_t permission,
                             fw_str website_url)
{
    return name.len >= 1 && str_ok(name, FW_FIELD_MAX) && str_ok(redirect_uris, FW_FIELD_MAX) &&
           str_ok(website_url, FW_WEBSITE_MAX) && client_type <= FW_CLIENT_PUBLIC && permission <= FW_APP_PERM_READ;
}

bool fw_rec_dev_status_valid(uint8_t status) { return status == FW_DEV_PENDING || status == FW_DEV_APPROVED; }
