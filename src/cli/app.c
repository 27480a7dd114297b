/* followd app create|list, followd token user|oauth1|app, followd check. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/issue.h"
#include "auth/scopes.h"
#include "cli/cli.h"
#include "core/jsonw.h"
#include "core/secret.h"

static const char app_usage[] =
    "usage: followd app create --db DIR --name NAME [--project NAME | --project-id ID | --standalone]\n"
    "                          [--access-level free|basic|pro|enterprise] [--public-client]\n"
    "                          [--redirect-uri URL]...\n"
    "       followd app list --db DIR\n"
    "create prints the app's credentials as JSON (the bearer token is shown only here and by 'token app').\n";

static int access_level(const char *s, uint8_t *out)
{
    static const char *names[] = {"none", "free", "basic", "pro", "enterprise"};
    for (uint8_t i = 1; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
    return -1;
}

/* A redirect URI ends up in a Location header and a link on the consent
 * pages: an absolute URI of printable ASCII without spaces, of at most
 * 1024 bytes (the OAuth endpoints' limit), and no script scheme. */
static bool redirect_uri_ok(const char *u)
{
    size_t n = strlen(u), i = 0;
    if (n == 0 || n > 1024)
        return false;
    for (size_t j = 0; j < n; j++)
        if ((unsigned char)u[j] <= 0x20 || (unsigned char)u[j] >= 0x7f)
            return false;
    if (!((u[0] | 0x20) >= 'a' && (u[0] | 0x20) <= 'z'))
        return false;
    while (i < n && (((u[i] | 0x20) >= 'a' && (u[i] | 0x20) <= 'z') || (u[i] >= '0' && u[i] <= '9') || u[i] == '+' ||
                     u[i] == '-' || u[i] == '.'))
        i++;
    if (i == n || u[i] != ':' || i + 1 == n)
        return false;
    static const char *const banned[] = {"javascript", "data", "vbscript", "file"};
    for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++)
        if (strlen(banned[k]) == i && !strncasecmp(u, banned[k], i))
            return false;
    return true;
}

static void print_app_json(const fw_app *a, const char *bearer)
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
    fw_cli_print_buf(&b);
}

static int list_app(void *ctx, const fw_app *a)
{
    (void)ctx;
    static const char *levels[] = {"standalone", "free", "basic", "pro", "enterprise"};
    printf("%llu\t%.*s\tproject=%llu\t%s\t%s\tconsumer_key=%.*s\tclient_id=%.*s\n", (unsigned long long)a->id,
           (int)a->name.len, a->name.p, (unsigned long long)a->project_id,
           levels[a->access_level < 5 ? a->access_level : 0],
           a->client_type == FW_CLIENT_PUBLIC ? "public" : "confidential", (int)a->consumer_key.len,
           a->consumer_key.p, (int)a->client_id.len, a->client_id.p);
    return 0;
}

int fw_cli_app(int argc, char **argv)
{
    int usage = fw_cli_usage(argc, argv, app_usage);
    if (usage >= 0)
        return usage;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},          {"name", required_argument, 0, 'n'},
        {"project", required_argument, 0, 'p'},     {"project-id", required_argument, 0, 'P'},
        {"standalone", no_argument, 0, 's'},        {"access-level", required_argument, 0, 'a'},
        {"public-client", no_argument, 0, 'c'},     {"redirect-uri", required_argument, 0, 'r'},
        {0, 0, 0, 0},
    };
    const char *db = NULL, *name = NULL, *project = NULL;
    uint64_t project_id = 0;
    bool standalone = false;
    uint8_t level = FW_ACCESS_ENTERPRISE, ctype = FW_CLIENT_CONFIDENTIAL;
    fw_buf redirects = FW_BUF_INIT;
    int c, ret = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': name = optarg; break;
        case 'p': project = optarg; break;
        case 'P':
            if (fw_cli_number("project-id", optarg, 1, UINT64_MAX, &project_id) != 0) {
                ret = 2;
                goto done;
            }
            break;
        case 's': standalone = true; break;
        case 'a':
            if (access_level(optarg, &level) != 0) {
                fw_cli_err("--access-level takes free, basic, pro or enterprise");
                ret = 2;
                goto done;
            }
            break;
        case 'c': ctype = FW_CLIENT_PUBLIC; break;
        case 'r':
            if (!redirect_uri_ok(optarg)) {
                fw_cli_err("--redirect-uri must be an absolute URI (scheme:...) of at most 1024 printable "
                           "characters without spaces");
                ret = 2;
                goto done;
            }
            if (redirects.len)
                fw_buf_putc(&redirects, '\n');
            fw_buf_puts(&redirects, optarg);
            break;
        default: fputs(app_usage, stderr); ret = 2; goto done;
        }
    }
    if (fw_cli_extra_args(argc, argv)) {
        ret = 2;
        goto done;
    }
    bool create = !strcmp(argv[1], "create");
    if (!create && strcmp(argv[1], "list")) {
        fw_cli_err("unknown app command '%s' (create, list)", argv[1]);
        ret = 2;
        goto done;
    }
    if (create && !name) {
        fw_cli_err("app create needs --name");
        ret = 2;
        goto done;
    }
    if (standalone && (project || project_id)) {
        fw_cli_err("--standalone excludes --project/--project-id");
        ret = 2;
        goto done;
    }
    fw_store *s = fw_cli_open(db);
    if (!s) {
        ret = 1;
        goto done;
    }
    if (!create) {
        if (fw_store_app_scan(s, list_app, NULL) != FW_OK)
            ret = 1;
        fw_store_close(s);
        goto done;
    }
    int rc = FW_OK;
    if (!standalone && !project_id)
        rc = fw_store_project_create(s, fw_str_c(project ? project : name), level, &project_id);
    fw_app_rec app = {0};
    if (rc == FW_OK)
        rc = fw_store_app_create(s, fw_str_c(name), project_id, ctype,
                                 (fw_str){redirects.data ? redirects.data : "", redirects.len}, &app);
    if (rc != FW_OK) {
        fw_cli_err("cannot create app: %s", fw_strerror(rc));
        ret = 1;
    } else {
        char bearer[FW_TOKEN_MAX];
        if (fw_issue_app_bearer(s, app.a.id, app.a.bearer_gen, bearer) != FW_OK) {
            fw_cli_err("cannot store the bearer token");
            ret = 1;
        } else {
            print_app_json(&app.a, bearer);
        }
        fw_app_rec_free(&app);
    }
    fw_store_close(s);
done:
    fw_buf_free(&redirects);
    return ret;
}

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
        ret = fw_issue_user_token(s, FW_CRED_OAUTH2_USER, app_id, uid, mask, (int64_t)expires * 1000, NULL, tok) !=
              FW_OK;
        if (!ret)
            printf("%s\n", tok);
    } else {
        ret = fw_issue_oauth1(s, app_id, uid, NULL, tok, sec) != FW_OK;
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

static void report_line(void *ctx, const char *line)
{
    int *n = ctx;
    (*n)++;
    printf("%s\n", line);
}

int fw_cli_check(int argc, char **argv)
{
    static const char usage[] = "usage: followd check --db DIR\n"
                                "verifies edges, counters, requests and indexes; exits 1 on any problem.\n";
    if (fw_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    static const struct option opts[] = {{"db", required_argument, 0, 'd'}, {0, 0, 0, 0}};
    const char *db = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'd') {
            fputs(usage, stderr);
            return 2;
        }
        db = optarg;
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    fw_store *s = fw_cli_open(db);
    if (!s)
        return 1;
    int lines = 0;
    int rc = fw_store_check(s, report_line, &lines);
    fw_store_close(s);
    if (rc < 0) {
        fw_cli_err("check failed: %s", fw_strerror(rc));
        return 1;
    }
    if (rc > 0) {
        fprintf(stderr, "followd: check found %d problem(s)\n", rc);
        return 1;
    }
    printf("ok: database is consistent\n");
    return 0;
}
