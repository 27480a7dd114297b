/* Signed-request check shared by authn and the OAuth endpoints; see oauth1_check.h. */
#include "auth/oauth1_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/nonce.h"

#define MAX_HOST 255

struct fw_oauth1_check {
    char *base_urls;                    /* backing storage of public[] */
    fw_str public[FW_OA1C_MAX_PUBLIC];
    size_t npublic;
    fw_nonce_cache *nonces;
};

int fw_oauth1_check_new(const char *public_base_urls, size_t nonce_slots, fw_oauth1_check **out)
{
    fw_oauth1_check *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->base_urls = strdup(public_base_urls ? public_base_urls : "");
    if (!c->base_urls || fw_nonce_cache_new(nonce_slots, &c->nonces) != 0) {
        fw_oauth1_check_free(c);
        return -1;
    }
    /* Split the comma-separated list in place. */
    for (char *p = c->base_urls; *p && c->npublic < FW_OA1C_MAX_PUBLIC;) {
        char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n)
            c->public[c->npublic++] = (fw_str){p, n};
        if (!end)
            break;
        p = end + 1;
    }
    *out = c;
    return 0;
}

void fw_oauth1_check_free(fw_oauth1_check *c)
{
    if (!c)
        return;
    fw_nonce_cache_free(c->nonces);
    free(c->base_urls);
    free(c);
}

int fw_oauth1_check_sig(fw_oauth1_check *c, const fw_oauth1_hdr *h, const fw_oauth1_http *req, fw_str consumer_secret,
                        fw_str token_secret, int64_t now_s)
{
    char own[16 + MAX_HOST];
    fw_str bases[FW_OA1_MAX_BASE_URLS];
    size_t nb = 0;
    if (req->host.len && req->host.len <= MAX_HOST) {
        int n = snprintf(own, sizeof own, "%s://%.*s", req->tls ? "https" : "http", (int)req->host.len, req->host.p);
        bases[nb++] = (fw_str){own, (size_t)n};
    }
    for (size_t i = 0; i < c->npublic; i++)
        bases[nb++] = c->public[i];
    fw_oauth1_req r = {req->method, req->path, req->query, req->content_type, req->body, bases, nb};
    return fw_oauth1_verify(h, &r, consumer_secret, token_secret, now_s);
}

int fw_oauth1_check_run(fw_oauth1_check *c, const fw_oauth1_hdr *h, const fw_oauth1_http *req, fw_str consumer_secret,
                        fw_str token_secret, int64_t now_s)
{
    int rc = fw_oauth1_check_sig(c, h, req, consumer_secret, token_secret, now_s);
    if (rc != FW_OK)
        return rc;
    return fw_nonce_check_and_add(c->nonces, h->consumer_key, h->nonce, h->ts, now_s) == 0 ? FW_OK
                                                                                           : FW_ENONCE;
}

void fw_oauth1_check_nonce(fw_oauth1_check *c, fw_store *st, fw_exec *exec, const fw_oauth1_hdr *h, int64_t now_s,
                           fw_nonce_cb cb, void *ctx)
{
    if (!st || !fw_store_shares_state(st)) {
        cb(ctx, fw_nonce_check_and_add(c->nonces, h->consumer_key, h->nonce, h->ts, now_s) == 0 ? FW_OK : FW_ENONCE);
        return;
    }
    if (fw_nonce_validate(h->consumer_key, h->nonce, h->ts, now_s) != 0) {
        cb(ctx, FW_ENONCE);
        return;
    }
    fw_store_nonce(st, exec, h->consumer_key, h->nonce, h->ts + FW_NONCE_WINDOW_S, now_s, cb, ctx);
}
