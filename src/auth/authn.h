/* Request authentication: who is calling, on behalf of whom, with what rights.
 *
 * Resolves an Authorization header (Bearer app-only, Bearer OAuth 2.0 user
 * token, or OAuth 1.0a signed header) to a principal through one store
 * lookup. The callback may run inline or later on the caller's loop. */
#ifndef FW_AUTH_AUTHN_H
#define FW_AUTH_AUTHN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "store/store.h"

enum fw_principal_kind { FW_PRIN_APP = 1, FW_PRIN_OAUTH2_USER = 2, FW_PRIN_OAUTH1_USER = 3 };

typedef struct fw_principal {
    uint8_t kind;          /* enum fw_principal_kind */
    uint8_t access_level;  /* the app's project level (store.h) */
    bool user_suspended;
    uint64_t app_id;
    uint64_t user_id;      /* 0 for app-only */
    uint32_t scopes;       /* OAuth 2.0 user tokens' scopes; OAuth 1.0a: every scope, or FW_SCOPES_OAUTH1_READ
                            * for a read-only token (auth/scopes.h); both less FW_SCOPES_WRITE_OR_DM for
                            * user tokens of an app whose permission is Read; app-only: every scope */
} fw_principal;

/* What authentication needs from the request (all borrowed for the call). */
typedef struct fw_authn_in {
    fw_str authorization;
    fw_str method, path, query, content_type, body, host;
    bool tls;
} fw_authn_in;

typedef struct fw_authn fw_authn; /* opaque: OAuth 1.0a nonce cache, base URLs */

/* public_base_urls: comma-separated extra base URLs for OAuth 1.0a signature
 * checks (may be NULL). */
FW_MUSTCHECK int fw_authn_new(fw_store *store, const char *public_base_urls, fw_authn **out);
void fw_authn_free(fw_authn *a);

typedef void (*fw_authn_cb)(void *ctx, int rc, const fw_principal *who);

/* Per-request state of one authentication, owned by the caller (embed it in
 * the request) so that an asynchronous store can complete later. Fields are
 * private to authn.c. */
struct fw_oauth1_hdr;
typedef struct fw_authn_op {
    fw_authn *a;
    fw_authn_cb cb;
    void *ctx;
    fw_authn_in in;
    struct fw_oauth1_hdr *oa1; /* heap, only while an OAuth 1.0a check runs */
    fw_exec *exec;             /* the caller's, for the nonce's store call */
    fw_principal who;          /* OAuth 1.0a: the principal, while its nonce is recorded */
} fw_authn_op;

/* Authenticates in; calls cb exactly once (inline or later via exec). op and
 * everything in `in` must stay valid until then. */
void fw_authn_run(fw_authn *a, fw_exec *exec, fw_authn_op *op, const fw_authn_in *in, fw_authn_cb cb, void *ctx);

#endif
