/* followd developer approve|show: developer accounts of the portal
 * (portal/portal.h). Sign-up makes them; with serve --portal-approval manual
 * they wait for `developer approve`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] = "usage: followd developer approve --db DIR ID|@USERNAME\n"
                            "       followd developer show --db DIR ID|@USERNAME\n"
                            "approve lets a developer account that signed up (serve --portal-approval manual) use\n"
                            "the developer portal; show prints its status as JSON.\n";

int fw_cli_developer(int argc, char **argv)
{
    int u = fw_cli_usage(argc, argv, usage);
    if (u >= 0)
        return u;
    const char *sub = argv[1];
    bool approve = !strcmp(sub, "approve");
    if (!approve && strcmp(sub, "show")) {
        fprintf(stderr, "followd developer: unknown subcommand '%s'\n%s", sub, usage);
        return 2;
    }
    const char *db;
    if (fw_cli_db_only(argc - 1, argv + 1, usage, &db))
        return 2;
    if (!db || optind != argc - 2) {
        fputs(usage, stderr);
        return 2;
    }
    uint64_t id = 0;
    fw_store *s = fw_cli_open_user(db, argv[1 + optind], &id);
    if (!s)
        return 1;
    fw_dev d;
    int rc = fw_store_dev_get(s, id, &d);
    if (rc == FW_OK && approve && d.status != FW_DEV_APPROVED) {
        rc = fw_store_dev_set_status(s, id, FW_DEV_APPROVED);
        d.status = FW_DEV_APPROVED;
    }
    int ret = 0;
    if (rc == FW_ENOTFOUND) {
        fw_cli_err("%s has no developer account (it signs up at /portal/signup)", argv[1 + optind]);
        ret = 1;
    } else if (rc) {
        fw_cli_err("cannot %s the developer: %s", sub, fw_strerror(rc));
        ret = 1;
    } else {
        printf("{\"user_id\":\"%llu\",\"status\":\"%s\",\"created_at_ms\":%lld}\n", (unsigned long long)id,
               d.status == FW_DEV_APPROVED ? "approved" : "pending", (long long)d.created_at_ms);
    }
    fw_store_close(s);
    return ret;
}
