/* The followd command line: one function per subcommand. Each returns the
 * process exit status (0 success, 1 runtime error, 2 usage error) and prints
 * errors as one line on stderr. */
#ifndef FW_CLI_CLI_H
#define FW_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"

int fw_cli_serve(int argc, char **argv);
int fw_cli_user(int argc, char **argv);
int fw_cli_tweet(int argc, char **argv);
int fw_cli_app(int argc, char **argv);
int fw_cli_token(int argc, char **argv);
int fw_cli_demo(int argc, char **argv);
int fw_cli_check(int argc, char **argv);
int fw_cli_developer(int argc, char **argv);
int fw_cli_import(int argc, char **argv);
int fw_cli_export(int argc, char **argv);
int fw_cli_migrate(int argc, char **argv);
/* followd db migrate (cli/db.c). */
int fw_cli_db(int argc, char **argv);
int fw_cli_tls(int argc, char **argv);
int fw_cli_hosts(int argc, char **argv);
/* followd user passwd (cli/passwd.c); argv[0] is "passwd". */
int fw_cli_user_passwd(int argc, char **argv);

/* Shared helpers (cli/common.c). */
void fw_cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Opens the store at path; prints an error and returns NULL on failure. */
fw_store *fw_cli_open(const char *path);
/* fw_cli_open with the database's maximum size (bytes; 0 = the store's default). */
fw_store *fw_cli_open_max(const char *path, size_t max_size);
/* fw_cli_open with every store option (opts->err is the CLI's own). */
fw_store *fw_cli_open_opts(const fw_store_opts *opts);
/* Parses a numeric id or @username (resolved in the store) into *id; prints
 * "no such user" and returns -1 if there is none. */
int fw_cli_resolve_user(fw_store *s, const char *arg, uint64_t *id);
/* fw_cli_open, then (user != NULL) fw_cli_resolve_user into *id; on any
 * failure the store is closed again and NULL returned. */
fw_store *fw_cli_open_user(const char *path, const char *user, uint64_t *id);
/* True if argv contains -h or --help. */
bool fw_cli_wants_help(int argc, char **argv);
/* For commands with subcommands (argv[1]): prints usage to stdout for
 * --help (returns 0) or to stderr when the subcommand is missing (returns 2);
 * returns -1 when the command should go on. */
int fw_cli_usage(int argc, char **argv, const char *usage);
/* Parses the options of a subcommand (argv[0]) that takes only --db into
 * *db; prints usage to stderr and returns 2 on any other option, else 0
 * with optind on the first non-option argument (of argv). */
int fw_cli_db_only(int argc, char **argv, const char *usage, const char **db);
/* After getopt: true (and an error printed) if a non-option argument is left. */
bool fw_cli_extra_args(int argc, char **argv);
/* Parses the value of option --name as a decimal number in [min, max];
 * prints an error naming the option and returns -1 otherwise. */
int fw_cli_number(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out);
/* A size: a number with an optional K, M, G or T suffix (powers of 1024);
 * like fw_cli_number, reports and returns -1 outside [min, max] bytes. */
int fw_cli_size(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out);
/* Validates u's profile text (UTF-8; X's lengths for name, description,
 * location, url, profile image url) and computes its entities into ent (caller
 * owned; on success u->entities_json points into it). NULL, or why u is invalid. */
const char *fw_cli_profile_check(fw_user *u, fw_buf *ent);
/* A progress line for long commands (import, export): on a terminal rewritten
 * in place at most 5 times a second with the rate and, when total is known, the
 * ETA; otherwise one plain line per phase and every 10 s. Not thread-safe. */
typedef struct fw_cli_progress {
    const char *cmd;
    bool tty;
    char phase[32];
    int64_t start_ms, phase_ms, last_ms;
} fw_cli_progress;
void fw_cli_progress_init(fw_cli_progress *p, const char *cmd);
/* done of total units (total 0 = unknown) in phase; unit names what is counted. */
void fw_cli_progress_update(fw_cli_progress *p, const char *phase, uint64_t done, uint64_t total, const char *unit);
/* Ends a terminal line and prints "cmd: msg (N.N s)". */
void fw_cli_progress_done(fw_cli_progress *p, const char *msg);
/* import's and export's arguments (cli/graphfiles.c). */
typedef struct fw_cli_graph_files {
    const char *db, *users, *tweets, *follows, *requests; /* NULL when not given */
    uint64_t max_size;                                      /* --db-max-size (import only), 0 = default */
} fw_cli_graph_files;
/* Parses them (--db-max-size only when max_size); returns -1 to go on, or the
 * exit status (0 after --help, 2 for a usage error, already reported). */
int fw_cli_graph_args(int argc, char **argv, const char *cmd, const char *usage, bool max_size,
                      fw_cli_graph_files *f);
/* Appends a newline to b, writes it to stdout and frees it. */
void fw_cli_print_buf(fw_buf *b);

#endif
