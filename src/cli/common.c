/* Helpers shared by the subcommands; see cli.h. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"

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
    if (!path || !*path) {
        fw_cli_err("--db DIR is required");
        return NULL;
    }
    fw_store_opts o = {0};
    o.path = path;
    fw_store *s = NULL;
    int rc = fw_store_open(&o, &s);
    if (rc != FW_OK) {
        fw_cli_err("cannot open database %s: %s", path, fw_store_strerror(rc));
        return NULL;
    }
    return s;
}

int fw_cli_resolve_user(fw_store *s, const char *arg, uint64_t *id)
{
    if (!arg || !*arg)
        return -1;
    if (arg[0] == '@') {
        fw_user_rec r = {0};
        if (fw_store_user_get_by_name(s, fw_str_c(arg + 1), &r) != FW_OK)
            return -1;
        *id = r.u.id;
        fw_user_rec_free(&r);
        return 0;
    }
    if (fw_str_to_id(fw_str_c(arg), id) == 0)
        return 0;
    fw_user_rec r = {0};
    if (fw_store_user_get_by_name(s, fw_str_c(arg), &r) != FW_OK)
        return -1;
    *id = r.u.id;
    fw_user_rec_free(&r);
    return 0;
}

bool fw_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    return false;
}

void fw_cli_print_json_str(const char *s)
{
    fw_buf b = FW_BUF_INIT;
    fw_buf_putc(&b, '"');
    fw_json_escape(&b, s, strlen(s));
    fw_buf_putc(&b, '"');
    fwrite(b.data, 1, b.len, stdout);
    fw_buf_free(&b);
}
