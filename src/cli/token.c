/* followd token user|oauth1|app|revoke. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "auth/issue.h"
#include "auth/scopes.h"
#include "cli/cli.h"
#include "core/secret.h"

static const char token_usage[] =
    "usage: followd token user --db DIR --app ID --user ID|@USERNAME [--scopes \"tweet.read users.read ...\"]\n"
    "                          [--expires-in SECONDS]   (OAuth 2.0 user access token; default every follows scope, no expiry)\n"
    "       followd token oauth1 --db DIR --app ID --user ID|@USERNAME   (OAuth 1.0a access token + secret)\n"
    "       followd token app --db DIR --app ID [--regenerate]           (the app-only bearer token)\n"
    "       followd token revoke --db DIR TOKEN                          (any access or refresh token)\n";

/* followd token revoke: bearer-style tokens are found by their hash, OAuth
 * 1.0a access tokens by the token itself. */
static int token_revoke(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'}, {0, 0, 0, 0}};
    const char *db = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'd') {
            fputs(token_usage, stderr);
            return 2;
        }
        db = optarg;
    }
    if (optind != argc - 1) {
        fw_cli_err("token revoke takes exactly one token");
        return 2;
    }
    fw_str tok = fw_str_c(argv[optind]);
    fw_store *s = fw_cli_open(db);
    if (!s)
        return 1;
    uint8_t h[32];
    fw_sha256(tok.p, tok.len, h);
    bool live = false;
    int rc = fw_store_cred_revoke(s, h, FW_STR_NULL, &live);
    if (rc == FW_ENOTFOUND)
        rc = fw_store_cred_revoke(s, NULL, tok, &live);
    fw_store_close(s);
    if (rc == FW_ENOTFOUND) {
        fw_cli_err("no such token");
        return 1;
    }
    if (rc != FW_OK) {
        fw_cli_err("cannot revoke: %s", fw_strerror(rc));
        return 1;
    }
    printf("%s\n", live ? "revoked" : "already revoked");
    return 0;
}

/* --expires-in: ten years at most, so expiry times stay far from overflow
 * (0 = never expires). */
#define MAX_EXPIRES_S (10ULL * 366 * 86400)

int fw_cli_token(int argc, char **argv)
{
    int usage = fw_cli_usage(argc, argv, token_usage);
    if (usage >= 0)
        return usage;
    if (!strcmp(argv[1], "revoke"))
        return token_revoke(argc, argv);
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"app", required_argument, 0, 'a'},
        {"user", required_argument, 0, 'u'},   {"scopes", required_argument, 0, 's'},
        {"expires-in", required_argument, 0, 'e'}, {"regenerate", no_argument, 0, 'g'},
        {0, 0, 0, 0},
    };
    const char *db = NULL, *user = NULL, *scopes = NULL;
    uint64_t app_id = 0, expires = 0;
    bool regen = false;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'a':
            if (fw_cli_number("app", optarg, 1, UINT64_MAX, &app_id) != 0)
                return 2;
            break;
        case 'u': user = optarg; break;
        case 's': scopes = optarg; break;
        case 'e':
            if (fw_cli_number("expires-in", optarg, 0, MAX_EXPIRES_S, &expires) != 0)
                return 2;
            break;
        case 'g': regen = true; break;
        default: fputs(token_usage, stderr); return 2;
        }
    }
    const char *sub = argv[1];
    bool is_user = !strcmp(sub, "user"), is_oauth1 = !strcmp(sub, "oauth1"), is_app = !strcmp(sub, "app");
    if (!is_user && !is_oauth1 && !is_app) {
        fw_cli_err("unknown token command '%s' (user, oauth1, app, revoke)", sub);
        return 2;
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    if (!app_id || (!is_app && !user)) {
        fw_cli_err("token %s needs --app%s", sub, is_app ? "" : " and --user");
        return 2;
    }
    uint32_t mask = FW_SCOPES_FOLLOWS_ALL;
    if (scopes) {
        fw_str bad = FW_STR_NULL;
        if (fw_scopes_parse(fw_str_c(scopes), &mask, &bad) != 0) {
            fw_cli_err("unknown scope '%.*s'", (int)bad.len, bad.p);
            return 2;
        }
    }
    fw_store *s = fw_cli_open(db);
    if (!s)
        return 1;
    int ret = 0;
    uint64_t uid = 0;
    fw_app_rec app = {0};
    if (fw_store_app_get(s, app_id, &app) != FW_OK) {
        fw_cli_err("no such app: %llu", (unsigned long long)app_id);
        ret = 1;
        goto out;
    }
    if (!is_app && fw_cli_resolve_user(s, user, &uid) != 0) {
        ret = 1;
        goto out;
    }
    char tok[FW_TOKEN_MAX], sec[FW_TOKEN_MAX];
    if (is_app) {
        if (regen) {
            app.a.bearer_gen++;
            if (fw_store_app_set_bearer_gen(s, app_id, app.a.bearer_gen) != FW_OK) {
                fw_cli_err("cannot regenerate the bearer token");
                ret = 1;
                goto out;
            }
        }
        ret = fw_issue_app_bearer(s, app_id, app.a.bearer_gen, tok) != FW_OK;
        if (!ret)
            printf("%s\n", tok);
    } else if (is_user) {
        ret = fw_issue_user_token(s, FW_CRED_OAUTH2_USER, app_id, uid, mask, (int64_t)expires * 1000, 0, NULL, tok) !=
              FW_OK;
        if (!ret)
            printf("%s\n", tok);
    } else {
        ret = fw_issue_oauth1(s, app_id, uid, FW_SCOPES_OAUTH1_WRITE, NULL, tok, sec) != FW_OK;
        if (!ret)
            printf("{\"access_token\":\"%s\",\"access_token_secret\":\"%s\",\"user_id\":\"%llu\"}\n", tok, sec,
                   (unsigned long long)uid);
    }
    if (ret)
        fw_cli_err("cannot store the credential");
out:
    fw_app_rec_free(&app);
    fw_store_close(s);
    return ret;
}
