/* Helpers shared by the subcommands; see cli.h. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text/entities.h"


void fw_cli_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("followd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

fw_store *fw_cli_open(const char *path)
{
    return fw_cli_open_max(path, 0);
}

fw_store *fw_cli_open_max(const char *path, size_t max_size)
{
    fw_store_opts o = {0};
    o.path = path;
    o.map_size = max_size;
    return fw_cli_open_opts(&o);
}

fw_store *fw_cli_open_opts(const fw_store_opts *opts)
{
    if (!opts->path || !*opts->path) {
        fw_cli_err("--db DIR|URI is required");
        return NULL;
    }
    char why[512] = "";
    fw_store_opts o = *opts;
    o.err = why;
    o.err_len = sizeof why;
    fw_store *s = NULL;
    int rc = fw_store_open(&o, &s);
    if (rc != FW_OK) {
        /* a connection string may hold a password: name the database by its kind only */
        const char *what = fw_store_is_uri(opts->path) ? "PostgreSQL database" : opts->path;
        if (why[0])
            fw_cli_err("cannot open database %s: %s", what, why);
        else
            fw_cli_err("cannot open database %s: %s", what, fw_strerror(rc));
        return NULL;
    }
    return s;
}

int fw_cli_resolve_user(fw_store *s, const char *arg, uint64_t *id)
{
    /* A number is an id; anything else (with or without '@') a username. */
    if (arg && *arg && arg[0] != '@' && fw_str_to_id(fw_str_c(arg), id) == 0)
        return 0;
    fw_user_rec r = {0};
    if (!arg || !*arg || fw_store_user_get_by_name(s, fw_str_c(arg + (arg[0] == '@')), &r) != FW_OK) {
        fw_cli_err("no such user: %s", arg ? arg : "");
        return -1;
    }
    *id = r.u.id;
    fw_user_rec_free(&r);
    return 0;
}

fw_store *fw_cli_open_user(const char *path, const char *user, uint64_t *id)
{
    fw_store *s = fw_cli_open(path);
    if (s && user && fw_cli_resolve_user(s, user, id) != 0) {
        fw_store_close(s);
        return NULL;
    }
    return s;
}

bool fw_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    return false;
}

int fw_cli_usage(int argc, char **argv, const char *usage)
{
    if (argc >= 2 && !fw_cli_wants_help(argc, argv))
        return -1;
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
}

bool fw_cli_extra_args(int argc, char **argv)
{
    if (optind >= argc)
        return false;
    fw_cli_err("unexpected argument '%s'", argv[optind]);
    return true;
}

int fw_cli_number(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (fw_str_to_id(fw_str_c(arg), &v) != 0 || v < min || v > max) {
        fw_cli_err("--%s takes a number from %llu to %llu", name, (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

int fw_cli_size(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
    static const char units[] = "KMGT";
    size_t n = strlen(arg);
    unsigned shift = 0;
    const char *u = n ? strchr(units, arg[n - 1]) : NULL;
    if (u && *u) {
        shift = 10 * (unsigned)(u - units + 1);
        n--;
    }
    uint64_t v;
    if (n == 0 || fw_str_to_id((fw_str){arg, n}, &v) != 0 || v > (max >> shift) || (v << shift) < min) {
        fw_cli_err("--%s takes a size from %lluM to %lluG (suffix K, M, G or T)", name,
                   (unsigned long long)(min >> 20), (unsigned long long)(max >> 30));
        return -1;
    }
    *out = v << shift;
    return 0;
}

void fw_cli_print_buf(fw_buf *b)
{
    fw_buf_putc(b, '\n');
    fwrite(b->data, 1, b->len, stdout);
    fw_buf_free(b);
}

const char *fw_cli_profile_check(fw_user *u, fw_buf *ent)
{
    if (u->name.len > 200 || !fw_utf8_valid(u->name.p, u->name.len))
        return "name must be valid UTF-8 of at most 50 characters";
    if (!fw_utf8_valid(u->description.p, u->description.len) || !fw_utf8_valid(u->location.p, u->location.len) ||
        !fw_utf8_valid(u->url.p, u->url.len))
        return "description, location and url must be valid UTF-8";
    if (u->description.len > 1280 || u->location.len > 120 || u->url.len > 400 || u->profile_image_url.len > 400)
        return "profile text too long (description 160 characters, location 30, url 100)";
    if (fw_text_user_entities_json(u->description, u->url, ent) != 0)
        return "description and url must be valid UTF-8";
    u->entities_json = (fw_str){ent->data ? ent->data : "", ent->len};
    return NULL;
}

int fw_cli_db_only(int argc, char **argv, const char *usage, const char **db)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'}, {0, 0, 0, 0}};
    int c;
    *db = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'd') {
            fputs(usage, stderr);
            return 2;
        }
        *db = optarg;
    }
    return 0;
}
