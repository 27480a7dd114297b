/* Private to src/store/: the table of operations every store backend
 * implements, and the header every backend's store object begins with.
 *
 * store.c implements the public fw_store_* functions of store.h by one
 * indirect call through the object's ops table; fw_store_open picks the
 * backend from the --db string (backend_of in store.c). A backend's object is
 * its own struct whose first member is an fw_store_hdr, so a pointer to it is
 * also a pointer to the header (C11 6.7.2.1p15); only the backend itself
 * converts the fw_store handle back to its struct.
 *
 * Every entry has exactly the semantics store.h documents for the function
 * of the same name; a backend must fill every entry (no NULLs). Adding a
 * function to store.h means adding an entry here and to each backend's table
 * (lmdb_store.c: fw_lmdb_ops, pg_store.c: fw_pg_ops). */
#ifndef FW_STORE_BACKEND_H
#define FW_STORE_BACKEND_H

#include "core/buf.h"
#include "store/store.h"

typedef struct fw_store_ops {
    const char *name; /* "lmdb", "postgresql" */
    bool shares_state; /* serves ephem and nonce (store.h: fw_store_shares_state) */
    /* lifecycle */
    void (*close)(fw_store *s);
    uint64_t (*version)(fw_store *s);
    int (*changes)(fw_store *s, uint64_t since, uint64_t *now, fw_change_fn fn, void *ctx);
    const uint8_t *(*secret)(fw_store *s);
    void (*ready)(fw_store *s, fw_exec *exec, fw_ready_cb cb, void *ctx);
    int (*schema)(fw_store *s, unsigned *current, unsigned *known);
    /* request path */
    void (*users)(fw_store *s, fw_exec *exec, const fw_users_q *q, fw_users_cb cb, void *ctx);
    void (*list)(fw_store *s, fw_exec *exec, const fw_list_q *q, fw_list_cb cb, void *ctx);
    void (*auth)(fw_store *s, fw_exec *exec, const fw_auth_q *q, fw_auth_cb cb, void *ctx);
    void (*write)(fw_store *s, fw_exec *exec, uint8_t kind, uint64_t src, uint64_t dst, fw_write_cb cb, void *ctx);
    void (*ephem)(fw_store *s, fw_exec *exec, const fw_ephem_q *q, fw_ephem_cb cb, void *ctx);
    void (*nonce)(fw_store *s, fw_exec *exec, fw_str consumer_key, fw_str nonce, int64_t expires_s, int64_t now_s,
                  fw_nonce_cb cb, void *ctx);
    int (*lease)(fw_store *s, const fw_lease_q *q, fw_lease_res *res);
    /* admin */
    int (*user_create)(fw_store *s, const fw_user *u, uint64_t *id_out);
    int (*user_update)(fw_store *s, const fw_user *u);
    int (*user_delete)(fw_store *s, uint64_t id);
    int (*user_get)(fw_store *s, uint64_t id, fw_user_rec *out);
    int (*user_get_by_name)(fw_store *s, fw_str username, fw_user_rec *out);
    int (*user_scan)(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_user *u), void *ctx);
    int (*tweet_add)(fw_store *s, const fw_tweet *t, uint64_t *id_out);
    int (*write_sync)(fw_store *s, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res);
    int (*follow_bulk)(fw_store *s, const uint64_t *pairs, size_t n);
    int (*project_create)(fw_store *s, fw_str name, uint8_t access_level, uint64_t *id_out);
    int (*project_set_level)(fw_store *s, uint64_t project_id, uint8_t access_level);
    int (*app_create)(fw_store *s, fw_str name, uint64_t project_id, uint8_t client_type, fw_str redirect_uris,
                      fw_app_rec *out);
    int (*app_get)(fw_store *s, uint64_t id, fw_app_rec *out);
    int (*app_scan)(fw_store *s, int (*fn)(void *ctx, const fw_app *a), void *ctx);
    int (*app_set_bearer_gen)(fw_store *s, uint64_t app_id, uint32_t gen);
    int (*cred_put)(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c);
    int (*cred_revoke)(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, bool *was_live);
    int (*check)(fw_store *s, void (*report)(void *ctx, const char *line), void *ctx);
    int (*user_set_password)(fw_store *s, uint64_t user_id, const uint8_t *rec, size_t len);
    int (*user_get_password)(fw_store *s, uint64_t user_id, uint8_t *out, size_t cap, size_t *len);
    int (*grant_revoke)(fw_store *s, uint64_t grant_id);
    /* bulk import and export scans */
    int (*import_begin)(fw_store *s, fw_import **out);
    int (*tweet_scan)(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_tweet *t), void *ctx);
    int (*edge_scan)(fw_store *s, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq),
                     void *ctx);
    /* moving between stores (migrate) */
    int (*project_scan)(fw_store *s, fw_project_fn fn, void *ctx);
    int (*project_put)(fw_store *s, uint64_t id, fw_str name, uint8_t access_level);
    int (*app_put)(fw_store *s, const fw_app *a);
    int (*cred_scan)(fw_store *s, fw_cred_fn fn, void *ctx);
    int (*secret_set)(fw_store *s, const uint8_t secret[32]);
    int (*wipe)(fw_store *s);
    /* developer portal */
    int (*dev_create)(fw_store *s, uint64_t user_id, uint8_t status, int64_t now_ms);
    int (*dev_get)(fw_store *s, uint64_t user_id, fw_dev *out);
    int (*dev_set_status)(fw_store *s, uint64_t user_id, uint8_t status);
    int (*project_create_owned)(fw_store *s, uint64_t owner_id, fw_str name, fw_str use_case, uint8_t environment,
                                uint8_t access_level, int64_t now_ms, uint64_t *id_out);
    int (*project_get)(fw_store *s, uint64_t id, fw_project_rec *out);
    int (*project_update)(fw_store *s, uint64_t id, fw_str name, fw_str use_case, uint8_t environment);
    int (*project_delete)(fw_store *s, uint64_t id, bool with_apps);
    int (*project_scan_owner)(fw_store *s, uint64_t owner_id, int (*fn)(void *ctx, const fw_project *p), void *ctx);
    int (*app_settings_get)(fw_store *s, uint64_t app_id, fw_app_settings_rec *out);
    int (*app_update)(fw_store *s, uint64_t app_id, fw_str name, uint8_t client_type, fw_str redirect_uris,
                      uint8_t permission, fw_str website_url);
    int (*app_set_dev_token)(fw_store *s, uint64_t app_id, fw_str token);
    int (*app_delete)(fw_store *s, uint64_t app_id);
    int (*app_regenerate)(fw_store *s, uint64_t app_id, unsigned what, fw_app_rec *out);
    /* whole-database copies (migrate, store_migrate.c) */
    int (*project_info_put)(fw_store *s, const fw_project *p);
    int (*app_settings_put)(fw_store *s, uint64_t app_id, const fw_app_settings *st);
    int (*dev_scan)(fw_store *s, fw_dev_fn fn, void *ctx);
    int (*password_scan)(fw_store *s, fw_password_fn fn, void *ctx);
    int (*migrate_begin)(fw_store *s, bool overwrite, fw_import **out);
    int (*migrate_commit)(fw_import *im, fw_store *from, void (*progress)(void *ctx, const char *phase, uint64_t done,
                                                                          uint64_t total),
                          void *ctx, uint64_t *dup, fw_migrate_stats *st);
} fw_store_ops;

/* The first member of every backend's store object. */
typedef struct fw_store_hdr {
    const fw_store_ops *ops;
} fw_store_hdr;

/* Backend constructors: open as fw_store_open documents (opts->path is the
 * directory or the connection string); on success *out's header is set. */
FW_MUSTCHECK int fw_lmdb_open(const fw_store_opts *opts, fw_store **out);
FW_MUSTCHECK int fw_pg_open(const fw_store_opts *opts, fw_store **out);

/* Writes a one-line reason to opts->err (if set); printf-style. */
void fw_store_open_err(const fw_store_opts *opts, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- shared record rules (store_records.c), the same for every backend ---- */
#define FW_USERNAME_MAX 15
#define FW_FIELD_MAX 65535u /* any stored string field */
#define FW_TOKEN_MAX 256u   /* OAuth 1.0a token string used as a key */
/* App credentials every backend generates alike. */
#define CONSUMER_KEY_LEN 25
#define CONSUMER_SECRET_LEN 50
#define CLIENT_ID_BYTES 25     /* 34 base64url characters */
#define CLIENT_SECRET_BYTES 37 /* 50 base64url characters */
/* Checks ^[A-Za-z0-9_]{1,15}$ and writes the lower-cased form to out (16 bytes). */
bool fw_rec_username_key(fw_str name, char out[FW_USERNAME_MAX + 1]);
/* Every string field of u within FW_FIELD_MAX and a valid username. */
bool fw_rec_user_valid(const fw_user *u);
/* Every string field of t within FW_FIELD_MAX. */
bool fw_rec_tweet_valid(const fw_tweet *t);
/* A credential record's kind and secret length are ones the store keeps. */
bool fw_rec_cred_valid(const fw_cred *c);
/* A credential's key, the same in every backend: 'O' + the OAuth 1.0a token
 * (oauth1), or 'H' + the SHA-256 of a bearer-style token; kb holds at least
 * 1 + FW_TOKEN_MAX bytes. False for a missing or over-long key. */
bool fw_rec_cred_key(bool oauth1, const uint8_t hash[32], fw_str token, uint8_t *kb, size_t *kn);
/* Fills r with owned copies of a's strings (fw_app_rec_free frees them). */
void fw_rec_app_fill(fw_app_rec *r, const fw_app *a);
/* A new OAuth 2.0 client secret (base64url of CLIENT_SECRET_BYTES random
 * bytes, NUL-terminated) into out (64 bytes); FW_OK or FW_ECRYPTO. */
FW_MUSTCHECK int fw_rec_client_secret(char out[64]);
/* The portal's limits on a project's fields (store.h, fw_store_project_create_owned). */
bool fw_rec_project_valid(fw_str name, fw_str use_case, uint8_t environment);
/* The limits of fw_store_app_update's fields. */
bool fw_rec_app_update_valid(fw_str name, uint8_t client_type, fw_str redirect_uris, uint8_t permission,
                             fw_str website_url);
/* A developer account status fw_store_dev_create / _set_status accept. */
bool fw_rec_dev_status_valid(uint8_t status);
/* The user's default fields as X renders them, `{"id":"..","name":"..","username":".."`
 * without the closing brace, appended to out (fw_user.default_json). */
void fw_rec_user_head(const fw_user *u, fw_buf *out);

/* ---- whole-database copies (store_migrate.c) ---- */
/* Where fw_migrate_copy writes: a backend's writes into its own open
 * transaction (PostgreSQL), or fw_migrate_store_sink (the public functions on
 * a store). Each returns fw_err; w is the sink's own context. */
typedef struct fw_migrate_sink {
    int (*project)(void *w, const fw_project *p);
    int (*app)(void *w, const fw_app *a, const fw_app_settings *st);
    int (*cred)(void *w, const uint8_t *hash, fw_str oauth1_token, const fw_cred *c);
    int (*dev)(void *w, const fw_dev *d);
    int (*password)(void *w, uint64_t user_id, const uint8_t *rec, size_t len);
    int (*secret)(void *w, const uint8_t secret[32]);
} fw_migrate_sink;
extern const fw_migrate_sink fw_migrate_store_sink; /* w is the target fw_store */
typedef void (*fw_migrate_progress)(void *ctx, const char *phase, uint64_t done, uint64_t total);
/* Reads from `from` everything but the graph (store.h fw_store_migrate_commit)
 * and writes it through sink; fw_err, *st counting and naming the failure. */
FW_MUSTCHECK int fw_migrate_copy(fw_store *from, const fw_migrate_sink *sink, void *w, fw_migrate_stats *st,
                                 fw_migrate_progress progress, void *ctx);
/* The entries of a backend without one transaction for it all (LMDB): the
 * import's begin (wiping first with overwrite), then its commit, then
 * fw_migrate_copy into the store itself. */
FW_MUSTCHECK int fw_migrate_begin_plain(fw_store *s, bool overwrite, fw_import **out);
FW_MUSTCHECK int fw_migrate_commit_plain(fw_import *im, fw_store *from, fw_migrate_progress progress, void *ctx,
                                         uint64_t *dup, fw_migrate_stats *st);

#endif
