/* The command line import and export share: --db and the four graph files
 * (import also takes --db-max-size); see cli.h. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

int fw_cli_graph_args(int argc, char **argv, const char *cmd, const char *usage, bool max_size,
                      fw_cli_graph_files *f)
{
    *f = (fw_cli_graph_files){0};
    if (fw_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},      {"users", required_argument, 0, 'u'},
        {"tweets", required_argument, 0, 't'},  {"follows", required_argument, 0, 'f'},
        {"requests", required_argument, 0, 'r'}, {"db-max-size", required_argument, 0, 'm'},
        {0, 0, 0, 0},
    };
    const char **dest[128] = {['d'] = &f->db, ['u'] = &f->users, ['t'] = &f->tweets, ['f'] = &f->follows,
                              ['r'] = &f->requests};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'm' && max_size) {
            if (fw_cli_size("--db-max-size", optarg, 1 << 20, UINT64_C(1) << 44, &f->max_size))
                return 2;
        } else if (c > 0 && c < 128 && dest[c]) {
            *dest[c] = optarg;
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    if (!f->db || (!f->users && !f->tweets && !f->follows && !f->requests)) {
        fw_cli_err("%s needs --db and at least one of --users, --tweets, --follows, --requests", cmd);
        return 2;
    }
    return -1;
}
