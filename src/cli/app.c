/* followd app create|list. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/issue.h"
#include "cli/cli.h"
#include "core/jsonw.h"
#include "core/urlenc.h"

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
            if (!fw_url_callback_ok(fw_str_c(optarg))) {
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
