/* followd: an X API v2 Follows server. This file only dispatches to the
 * subcommands in src/cli/. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: followd <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve    run the HTTP API server\n"
    "  user     add | set | show | list | delete | passwd users\n"
    "  tweet    add tweets (for pinned/most recent tweet expansions)\n"
    "  app      create | list developer apps and projects\n"
    "  token    user | oauth1 | app | revoke credentials of an app\n"
    "  demo     create (or reuse) the demo database and print its credentials\n"
    "  check    verify the database invariants (exit 1 on any problem)\n"
    "  developer approve | show developer-portal accounts\n"
    "  import   load users, tweets and a follow graph from files into an empty database\n"
    "  export   write the database's users, tweets and graph in import's formats\n"
    "  migrate  copy a whole database to another store (LMDB directory <-> PostgreSQL URI)\n"
    "  db       migrate: create or upgrade a database's schema\n"
    "  tls      init | trust: the local CA and certificate of serve --intercept / --proxy\n"
    "  hosts    add | remove the block in /etc/hosts that sends X's host names to followd\n"
    "\n"
    "Run 'followd <command> --help' for the options of a command; 'followd --version' prints the version.\n";

#define FW_VERSION "0.1.0"

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        puts("followd " FW_VERSION);
        return 0;
    }
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"serve", fw_cli_serve}, {"user", fw_cli_user},   {"tweet", fw_cli_tweet}, {"app", fw_cli_app},
        {"token", fw_cli_token}, {"demo", fw_cli_demo},   {"check", fw_cli_check}, {"import", fw_cli_import},
        {"export", fw_cli_export}, {"db", fw_cli_db},    {"tls", fw_cli_tls},     {"hosts", fw_cli_hosts},
        {"migrate", fw_cli_migrate},
        {"developer", fw_cli_developer},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "followd: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}
