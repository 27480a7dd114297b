/* followd check: verifies the database. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

static void report_line(void *ctx, const char *line)
{
    int *n = ctx;
    (*n)++;
    printf("%s\n", line);
}

int fw_cli_check(int argc, char **argv)
{
    static const char usage[] = "usage: followd check --db DIR|URI\n"
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
