/* The followd command line: one function per subcommand. Each returns the
 * process exit status (0 success, 1 runtime error, 2 usage error) and prints
 * errors as one line on stderr. */
#ifndef FW_CLI_CLI_H
#define FW_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

int fw_cli_serve(int argc, char **argv);
int fw_cli_user(int argc, char **argv);
int fw_cli_tweet(int argc, char **argv);
int fw_cli_app(int argc, char **argv);
int fw_cli_token(int argc, char **argv);
int fw_cli_demo(int argc, char **argv);
int fw_cli_check(int argc, char **argv);
/* followd user passwd (cli/passwd.c); argv[0] is "passwd". */
int fw_cli_user_passwd(int argc, char **argv);

/* Shared helpers (cli/common.c). */
void fw_cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Opens the store at path; prints an error and returns NULL on failure. */
fw_store *fw_cli_open(const char *path);
/* Parses a numeric id or @username (resolved in the store) into *id. */
int fw_cli_resolve_user(fw_store *s, const char *arg, uint64_t *id);
/* True if argv contains -h or --help. */
bool fw_cli_wants_help(int argc, char **argv);
/* Prints a JSON string value (escaped, quoted) to stdout. */
void fw_cli_print_json_str(const char *s);

#endif
