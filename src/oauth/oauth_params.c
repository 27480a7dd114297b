/* Token-request parameters from query, form or JSON body, and HTTP Basic
 * client credentials; see oauth.h. */
#include "oauth/oauth_internal.h"

#include <jansson.h>
#include <string.h>

#include "core/codec.h"
#include "core/urlenc.h"

static fw_str at(const fw_oauth_params *p, size_t off, size_t len)
{
    return (fw_str){p->store.data + off, len};
}

/* Adds one decoded pair already appended to store at [ks, ks+kl) and [ks+kl, end). */
static int commit_pair(fw_oauth_params *p, size_t ks, size_t kl)
{
    size_t vs = ks + kl, vl = p->store.len - vs;
    if (kl == 0 || kl > FW_OAP_MAX_NAME || vl > FW_OAP_MAX_VALUE)
        return FW_ELIMIT;
    fw_str k = at(p, ks, kl), v = at(p, vs, vl);
    for (size_t i = 0; i < p->n; i++) {
        if (p->klen[i] != kl || memcmp(p->store.data + p->koff[i], k.p, kl) != 0)
            continue;
        if (p->vlen[i] != vl || (vl && memcmp(p->store.data + p->voff[i], v.p, vl) != 0))
            return FW_EDUP;
        p->store.len = ks; /* the same pair again: keep the first */
        return FW_OK;
    }
    if (p->n == FW_OAP_MAX_PARAMS)
        return FW_ELIMIT;
    p->koff[p->n] = ks;
    p->klen[p->n] = kl;
    p->voff[p->n] = vs;
    p->vlen[p->n] = vl;
    p->n++;
    return FW_OK;
}

static int add_form(fw_oauth_params *p, fw_str s)
{
    if (s.len > 4 * FW_OAP_MAX_PARAMS * (FW_OAP_MAX_VALUE + FW_OAP_MAX_NAME))
        return FW_ELIMIT;
    fw_form_iter it = fw_form_begin(s);
    fw_str k, v;
    while (fw_form_next(&it, &k, &v)) {
        size_t ks = p->store.len;
        if (fw_url_decode(k, true, &p->store) != 0)
            return FW_EMALFORMED;
        size_t kl = p->store.len - ks;
        if (fw_url_decode(v, true, &p->store) != 0)
            return FW_EMALFORMED;
        int rc = commit_pair(p, ks, kl);
        if (rc)
            return rc;
    }
    return FW_OK;
}

/* A flat JSON object of string values (null members are skipped). */
static int add_json(fw_oauth_params *p, fw_str body)
{
    json_error_t err;
    json_t *root = json_loadb(body.p, body.len, JSON_REJECT_DUPLICATES, &err);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return FW_EMALFORMED;
    }
    int rc = FW_OK;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (json_is_null(val))
            continue;
        if (!json_is_string(val)) {
            rc = FW_EMALFORMED;
            break;
        }
        size_t ks = p->store.len, kl = strlen(key);
        fw_buf_append(&p->store, key, kl);
        fw_buf_append(&p->store, json_string_value(val), json_string_length(val));
        if ((rc = commit_pair(p, ks, kl)))
            break;
    }
    json_decref(root);
    return rc;
}

/* "Basic base64(enc(id):enc(secret))" (RFC 6749 2.3.1; X's app-only docs). */
static int add_basic(fw_oauth_params *p, fw_str h, size_t *id_off, size_t *id_len, size_t *sec_off, size_t *sec_len)
{
    if (h.len < 6 || !fw_str_ieq((fw_str){h.p, 6}, "Basic "))
        return 1; /* another scheme: not ours to judge */
    fw_str b = {h.p + 6, h.len - 6};
    while (b.len && b.p[0] == ' ')
        b.p++, b.len--;
    while (b.len && (b.p[b.len - 1] == ' ' || b.p[b.len - 1] == '\t'))
        b.len--;
    if (b.len == 0 || b.len > 1024)
        return FW_EMALFORMED;
    uint8_t raw[800];
    long n = fw_b64_decode(b.p, b.len, raw, sizeof raw);
    if (n <= 0)
        return FW_EMALFORMED;
    const uint8_t *colon = memchr(raw, ':', (size_t)n);
    if (!colon)
        return FW_EMALFORMED;
    size_t il = (size_t)(colon - raw);
    *id_off = p->store.len;
    if (fw_url_decode((fw_str){(const char *)raw, il}, false, &p->store) != 0)
        return FW_EMALFORMED;
    *id_len = p->store.len - *id_off;
    *sec_off = p->store.len;
    if (fw_url_decode((fw_str){(const char *)colon + 1, (size_t)n - il - 1}, false, &p->store) != 0)
        return FW_EMALFORMED;
    *sec_len = p->store.len - *sec_off;
    return *id_len ? FW_OK : FW_EMALFORMED;
}

int fw_oauth_params_parse(fw_oauth_params *p, fw_str query, fw_str ct, fw_str body, fw_str authorization)
{
    memset(p, 0, sizeof *p);
    fw_buf_init(&p->store, 256);
    int rc = add_form(p, query);
    if (rc == FW_OK && body.len) {
        if (fw_media_type_is(ct, "application/json"))
            rc = add_json(p, body);
        else if (ct.len == 0 || fw_media_type_is(ct, "application/x-www-form-urlencoded"))
            rc = add_form(p, body);
        else
            rc = FW_EMALFORMED;
    }
    if (rc != FW_OK)
        return rc;
    size_t io = 0, il = 0, so = 0, sl = 0;
    rc = add_basic(p, authorization, &io, &il, &so, &sl);
    if (rc < 0)
        return rc;
    if (rc == FW_OK) {
        /* store has stopped moving: the slices stay valid. */
        p->has_basic = true;
        p->basic_id = at(p, io, il);
        p->basic_secret = at(p, so, sl);
    }
    return FW_OK;
}

fw_str fw_oauth_param(const fw_oauth_params *p, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < p->n; i++)
        if (p->klen[i] == n && memcmp(p->store.data + p->koff[i], name, n) == 0)
            return at(p, p->voff[i], p->vlen[i]);
    return FW_STR_NULL;
}

void fw_oauth_params_free(fw_oauth_params *p)
{
    fw_buf_free(&p->store);
    memset(p, 0, sizeof *p);
}
