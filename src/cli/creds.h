/* Issuing credentials from the command line (app create, token, demo):
 * mint the token, store its hash (or the OAuth 1.0a pair), print it once. */
#ifndef FW_CLI_CREDS_H
#define FW_CLI_CREDS_H

#include <stdint.h>

#include "auth/tokens.h"
#include "store/store.h"

/* Derives the app's current bearer token and (re)stores its hash. */
int fw_cli_issue_app_bearer(fw_store *s, const fw_app *app, char out[FW_TOKEN_MAX]);
/* OAuth 2.0 user access token with the scope mask; expires_ms 0 = never.
 * label != NULL derives a stable token from the store secret (demo) instead of a random one. */
int fw_cli_issue_user_token(fw_store *s, uint64_t app_id, uint64_t user_id, uint32_t scopes, int64_t expires_ms,
                            const char *label, char out[FW_TOKEN_MAX]);
/* OAuth 1.0a access token and secret; label as above. */
int fw_cli_issue_oauth1(fw_store *s, uint64_t app_id, uint64_t user_id, const char *label, char tok[FW_TOKEN_MAX],
                        char sec[FW_TOKEN_MAX]);
/* Prints the app's credentials as one JSON object. */
void fw_cli_print_app_json(const fw_app *a, const char *bearer);

#endif
