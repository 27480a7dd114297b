/* followd user passwd: sets a user's sign-in password (scrypt record in the
 * store) for the OAuth consent pages. The password comes from --password or,
 * so it stays out of the process list, from the first line of stdin. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "cli/cli.h"

static const char usage[] = "usage: followd user passwd --db DIR ID|@USERNAME [--password P]\n"
                            "without --password the first line of standard input is the password.\n";

/* Reads one line (without its newline) into buf; returns its length or -1. */
static long read_line(char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, stdin))
        return -1;
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[--n] = 0;
    else if (n == cap - 1 && !feof(stdin))
        return -1; /* longer than the limit */
    if (n && buf[n - 1] == '\r')
        buf[--n] = 0;
    return (long)n;
}

int fw_cli_user_passwd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},
        {"password", required_argument, 0, 'p'},
        {0, 0, 0, 0},
    };
    const char *db = NULL, *pw = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'p')
            pw = optarg;
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (!db || optind != argc - 1) {
        fputs(usage, stderr);
        return 2;
    }
    const char *target = argv[optind];
    char line[FW_PASSWORD_MAX + 2];
    size_t len = 0;
    int ret = 0;
    if (pw) {
        len = strlen(pw);
    } else {
        long n = read_line(line, sizeof line);
        if (n < 0) {
            fw_cli_err("could not read a password of at most %d bytes from stdin", FW_PASSWORD_MAX);
            ret = 2;
            goto out;
        }
        pw = line;
        len = (size_t)n;
    }
    if (len < 8 || len > FW_PASSWORD_MAX) {
        fw_cli_err("a password needs 8 to %d bytes", FW_PASSWORD_MAX);
        ret = 2;
        goto out;
    }
    uint64_t id = 0;
    fw_store *s = fw_cli_open_user(db, target, &id);
    if (!s) {
        ret = 1;
        goto out;
    }
    uint8_t rec[FW_PASSWORD_HASH_LEN];
    if (fw_password_hash(pw, len, rec) != FW_OK) {
        fw_cli_err("could not hash the password");
        ret = 1;
    } else {
        int rc = fw_store_user_set_password(s, id, rec, sizeof rec);
        if (rc != FW_OK) {
            fw_cli_err("cannot set the password: %s", fw_strerror(rc));
            ret = 1;
        }
    }
    fw_store_close(s);
out:
    /* explicit_bzero: a plain memset of a dying buffer may be optimised away. */
    explicit_bzero(line, sizeof line);
    return ret;
}
