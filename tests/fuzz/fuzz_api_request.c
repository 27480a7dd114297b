/* libFuzzer target: whole API requests through fw_api_handle.
 *
 * The input is split on '\n' into method, path, query, content type, cookie
 * and body;
 * its first byte picks the credentials (none, app-only bearer, OAuth 2.0 user
 * token, garbage), so routing, authentication, parameter validation, pagination
 * tokens, JSON bodies and the handlers are all reached. A small store is built
 * once in a temporary directory. Build and run with scripts/fuzz.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/scopes.h"
#include "auth/tokens.h"
#include "core/clock.h"
#include "core/secret.h"

static fw_store *store;
static fw_api *api;
static char bearer[FW_TOKEN_MAX], user_token[FW_TOKEN_MAX];

static void put_token(const char *tok, uint8_t kind, uint64_t app, uint64_t user)
{
    fw_cred c = {0};
    c.kind = kind;
    c.app_id = app;
    c.user_id = user;
    c.scopes = FW_SCOPES_FOLLOWS_ALL;
    uint8_t h[32];
    fw_sha256(tok, strlen(tok), h);
    if (fw_store_cred_put(store, h, FW_STR_NULL, &c) != FW_OK)
        abort(); /* the fixture must exist */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/fuzz-api-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    fw_store_opts o = {0};
    o.path = dir;
    o.bulk = 1;
    if (fw_store_open(&o, &store) != FW_OK)
        abort();
    uint64_t ids[4];
    const char *names[4] = {"alice", "bob", "carol", "dave"};
    for (int i = 0; i < 4; i++) {
        fw_user u = {0};
        u.username = fw_str_c(names[i]);
        u.name = fw_str_c(names[i]);
        u.flags = i == 2 ? FW_USER_PROTECTED : 0;
        if (fw_store_user_create(store, &u, &ids[i]) != FW_OK)
            abort();
    }
    uint64_t pairs[] = {ids[1], ids[0], ids[3], ids[0], ids[0], ids[1]};
    if (fw_store_follow_bulk(store, pairs, 3) != FW_OK)
        abort(); /* the fixture must exist */
    uint64_t pid;
    fw_app_rec app = {0};
    if (fw_store_project_create(store, FW_STR_LIT("p"), FW_ACCESS_ENTERPRISE, &pid) != FW_OK)
        abort(); /* the fixture must exist */
    if (fw_store_app_create(store, FW_STR_LIT("a"), pid, FW_CLIENT_CONFIDENTIAL, FW_STR_LIT(""), &app) != FW_OK)
        abort(); /* the fixture must exist */
    fw_token_app_bearer(fw_store_secret(store), app.a.id, 0, bearer);
    snprintf(user_token, sizeof user_token, "fuzz-user-token");
    put_token(bearer, FW_CRED_APP_BEARER, app.a.id, 0);
    put_token(user_token, FW_CRED_OAUTH2_USER, app.a.id, ids[0]);
    fw_app_rec_free(&app);
    fw_api_config cfg = {0};
    cfg.rate_limits = 0;
    cfg.test_clock = 1;
    char err[128];
    if (fw_api_new(&cfg, store, &api, err, sizeof err) != 0)
        abort();
    return 0;
}

static int done_calls;
static void on_done(fw_req *req)
{
    (void)req;
    done_calls++;
}

/* Takes the next '\n'-terminated field of the input. */
static fw_str field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    const uint8_t *e = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    return (fw_str){(const char *)s, (size_t)(e - s)};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1, *end = data + size;
    fw_req req;
    memset(&req, 0, sizeof req);
    req.method = field(&p, end);
    req.path = field(&p, end);
    req.query = field(&p, end);
    req.content_type = field(&p, end);
    req.cookie = field(&p, end);
    req.body = (fw_str){(const char *)p, (size_t)(end - p)};
    char auth[FW_TOKEN_MAX + 16];
    switch (data[0] & 3) {
    case 1: snprintf(auth, sizeof auth, "Bearer %s", bearer); break;
    case 2: snprintf(auth, sizeof auth, "Bearer %s", user_token); break;
    case 3: snprintf(auth, sizeof auth, "OAuth oauth_consumer_key=\"x\", oauth_token=\"1-a\""); break;
    default: auth[0] = 0; break;
    }
    req.authorization = fw_str_c(auth);
    req.host = FW_STR_LIT("127.0.0.1:8080");
    req.loopback = (data[0] & 4) != 0;
    req.done = on_done;
    int before = done_calls;
    fw_api_handle(api, &req);
    /* With an inline store every request must be answered exactly once, at once. */
    if (done_calls != before + 1 || req.status < 200 || req.status > 599)
        abort();
    fw_buf_free(&req.body_out);
    fw_buf_free(&req.hdr_vals);
    return 0;
}
