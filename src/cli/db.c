/* followd db migrate: creates or upgrades a PostgreSQL database's schema.
 * Opening a store already migrates (every command does it); this command
 * does only that and reports the version, for deployments that upgrade the
 * schema as a separate step before starting new nodes. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char db_usage[] = "usage: followd db migrate --db DIR|URI\n"
                               "creates or upgrades the database schema and prints its version;\n"
                               "refuses a database whose schema is newer than this followd.\n";

int fw_cli_db(int argc, char **argv)
{
    int u = fw_cli_usage(argc, argv, db_usage);
    if (u >= 0)
        return u;
    if (strcmp(argv[1], "migrate") != 0) {
        fw_cli_err("unknown db command '%s' (migrate)", argv[1]);
        return 2;
    }
    const char *db;
    if (fw_cli_db_only(argc - 1, argv + 1, db_usage, &db))
        return 2;
    if (fw_cli_extra_args(argc - 1, argv + 1))
        return 2;
    fw_store *s = fw_cli_open(db);
    if (!s)
        return 1;
    unsigned cur = 0, known = 0;
    int rc = fw_store_schema(s, &cur, &known);
    if (rc == FW_OK)
        printf("%s schema version %u (current)\n", fw_store_backend(s), cur);
    else
        fw_cli_err("cannot read the schema version: %s", fw_strerror(rc));
    fw_store_close(s);
    return rc == FW_OK ? 0 : 1;
}
