/* Private to the PostgreSQL backend of the store (src/store/pg_*.c).
 *
 * Threads and connections: request-path calls never touch a connection on
 * the caller's thread. They become jobs on a queue served by a small pool of
 * threads, each with its own connection (fw_store_opts.pool); a job's result
 * is built on the pool thread, owned by the job, and handed to the caller's
 * loop through its fw_exec, where the callback runs and the job is freed.
 * Admin (*_sync) calls and request-path calls without an executor use one
 * more connection, under a mutex, on the calling thread.
 *
 * Every connection reconnects by itself: a call on a broken connection
 * reconnects first (bounded by the connect timeout) and fails with FW_EIO when
 * the server is still away. Statements run in their own transaction unless a
 * multi-statement string says otherwise; FW_EIO, FW_EEXISTS, FW_EINVAL and
 * FW_EFULL come from SQLSTATE classes (fw_pg_err). Serialization failures and
 * deadlocks are retried inside the store (pg_conn.c) and never reach callers.
 *
 * Schema: pg_schema.c (versioned migrations; table fw_schema_migrations). */
#ifndef FW_STORE_PG_INTERNAL_H
#define FW_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>

#include "store/backend.h"

#define FW_PG_SCHEMA_VERSION 4u
#define FW_PG_DEFAULT_POOL 4u
#define FW_PG_MAX_POOL 64u
#define FW_PG_DEFAULT_TIMEOUT_MS 5000u
#define FW_PG_DEFAULT_QUEUE 4096u

/* One connection and what it needs to come back after a failure. */
typedef struct fw_pgc {
    PGconn *conn;
    struct fw_pg *s;
    const char *conninfo;     /* where to connect: NULL = the primary (s->conninfo), else a replica */
    struct fw_pg_pool *pool;  /* the pool whose thread owns this connection (NULL: admin, lease) */
    bool retry; /* the last fw_pgc_q failed in a way worth retrying its transaction for */
    struct fw_pg_prep *prep; /* statements prepared on conn (pg_prep.c; owned, freed when it closes) */
    bool prepare; /* fw_pgc_run may prepare here: pool connections, unless fw_pg.no_prepare */
} fw_pgc;

/* Parameters of one statement, NUL-terminated copies the builder owns. */
#define FW_PGP_MAX 24
typedef struct fw_pgp {
    int n;
    bool bad; /* a text value held a NUL byte: the statement must not run (FW_EINVAL) */
    const char *v[FW_PGP_MAX];
    int len[FW_PGP_MAX];
    int bin[FW_PGP_MAX];
    char *own[FW_PGP_MAX];
} fw_pgp;
void fw_pgp_str(fw_pgp *p, fw_str v);
void fw_pgp_u64(fw_pgp *p, uint64_t v); /* as bigint: (int64_t)v */
void fw_pgp_bytes(fw_pgp *p, const void *b, size_t n); /* bytea */
void fw_pgp_free(fw_pgp *p);

/* A credential's row as the ten parameters of FW_PG_CRED_INSERT (appended to
 * p); FW_EINVAL for an invalid credential, when p is left untouched. */
FW_MUSTCHECK int fw_pg_cred_params(const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c, fw_pgp *p);
/* Inserts those parameters, only if the app (and the user, when not 0) exists;
 * callers append their ON CONFLICT / RETURNING clauses. */
#define FW_PG_CRED_INSERT                                                                                    \
    "INSERT INTO fw_creds (key, kind, revoked, app_id, user_id, scopes, issued_at_ms, expires_at_ms, secret, " \
    "grant_id) SELECT $1::bytea, $2::smallint, $3::int::boolean, $4::bigint, $5::bigint, $6::bigint, "         \
    "$7::bigint, $8::bigint, $9::text, $10::bigint WHERE EXISTS (SELECT 1 FROM fw_apps WHERE id = $4) "         \
    "AND ($5 = 0 OR EXISTS (SELECT 1 FROM fw_users WHERE id = $5))"
/* One statement inside a transaction the caller runs (fw_pg_tx): no retry;
 * sets c->retry when the transaction is worth running again. fw_err; *out
 * (may be NULL) receives the successful result. */
FW_MUSTCHECK int fw_pgc_q(fw_pgc *c, const char *sql, const fw_pgp *p, PGresult **out);
/* BEGIN; body(c, arg); COMMIT on the admin connection, rolled back when body
 * returns non-OK; run again (up to a bound) after a serialization failure,
 * a deadlock or a connection lost before COMMIT answered. fw_err of body or
 * of the commit. */
FW_MUSTCHECK int fw_pg_tx(struct fw_pg *s, int (*body)(fw_pgc *c, void *arg), void *arg);
/* One statement in its own transaction on the admin connection (fw_pgc_exec). */
FW_MUSTCHECK int fw_pg_exec1(struct fw_pg *s, const char *sql, const fw_pgp *p, PGresult **out);
/* Keyset scan for the admin functions: runs sql with $1 = after and $2 = limit
 * (0 = all) and calls row for each result row until it returns non-zero; the
 * row borrows the result for the call. FW_OK or the query's fw_err. */
FW_MUSTCHECK int fw_pg_scan(fw_store *st, const char *sql, uint64_t after, size_t limit,
                            int (*row)(void *ctx, const PGresult *r, int i), void *ctx);
/* Decodes a bytea in text format ("\\x...") into out; fw_err (FW_EINVAL when cap is too small). */
FW_MUSTCHECK int fw_pg_unhex(const char *hex, uint8_t *out, size_t cap, size_t *len);

struct fw_pg_pool;

#define FW_PG_MAX_REPLICAS 8

typedef struct fw_pg {
    fw_store_hdr hdr; /* first: store.c dispatches through it */
    char *conninfo;
    unsigned timeout_ms;
    bool bulk;
    bool read_only; /* every connection refuses writes (default_transaction_read_only) */
    uint8_t secret[32];
    unsigned schema;  /* version found (== FW_PG_SCHEMA_VERSION after open) */
    pthread_mutex_t admin_mu;
    fw_pgc admin;
    pthread_mutex_t lease_mu; /* the rate-limit lease thread's own connection (pg_shared.c), */
    fw_pgc lease;             /* connected on first use: leases never queue behind admin work */
    struct fw_pg_pool *pool;
    /* serve --db-replica: pools on hot standbys for reads that may lag (see fw_pg_submit_read) */
    struct fw_pg_pool *rpools[FW_PG_MAX_REPLICAS];
    unsigned nreplicas;
    unsigned rnext; /* round robin over rpools (relaxed: any spread will do) */
    /* the whole-database copy the import being committed carries (pg_import.c), NULL for a plain import */
    struct fw_pg_mig *mig;
    bool import_wipe; /* the import begun by fw_pg_migrate_begin(overwrite) first empties the database */
    bool no_prepare; /* fw_store_opts.no_prepare: fw_pgc_run never prepares (pgbouncer, transaction mode) */
} fw_pg;

static inline fw_pg *fw_pg_of(fw_store *s) { return (fw_pg *)(void *)s; }

/* ---- pg_conn.c ---- */
/* Connects c (closing what it had); fw_err; *why (may be NULL) gets libpq's message. */
FW_MUSTCHECK int fw_pgc_connect(fw_pgc *c, char *why, size_t whylen);
void fw_pgc_close(fw_pgc *c);
/* The fw_err for a failed result (NULL = the connection failed). */
int fw_pg_err(const PGresult *r);
/* True for SQLSTATEs a transaction is retried for (40001, 40P01). */
bool fw_pg_retryable(const PGresult *r);
/* Runs one statement with text parameters (NULL vals[i] = SQL NULL; lens may be
 * NULL, binary[i] marks a bytea parameter given as raw bytes) and returns its
 * result in *out (PGRES_TUPLES_OK or PGRES_COMMAND_OK; the caller PQclears).
 * Reconnects a broken connection first; retries on a retryable SQLSTATE and
 * once on a connection lost while the statement ran (each statement here is
 * its own transaction and idempotent to retry, or refused by a unique key).
 * fw_err. */
FW_MUSTCHECK int fw_pgc_exec(fw_pgc *c, const char *sql, int n, const char *const *vals, const int *lens,
                             const int *binary, PGresult **out);
/* Runs a multi-statement string (simple query protocol, no parameters) and
 * collects up to max results into res[] (*nres set; every result is kept,
 * including failed ones: the caller PQclears them all). Returns FW_OK when
 * every statement succeeded, else the fw_err of the first failure; retried
 * like fw_pgc_exec when the string is one transaction (BEGIN ... COMMIT). */
/* fw_pgc_exec for a request-path statement with p's parameters: prepared
 * once per connection (pg_prep.c) unless the store says not to, then executed
 * by name. Same reconnect and retry; FW_EINVAL when p is bad. fw_err. */
FW_MUSTCHECK int fw_pgc_run(fw_pgc *c, const char *sql, const fw_pgp *p, PGresult **out);
FW_MUSTCHECK int fw_pgc_multi(fw_pgc *c, const char *sql, PGresult **res, int max, int *nres);
void fw_pg_clear_all(PGresult **res, int n);

/* Locks the admin connection and connects it when needed; fw_err. */
FW_MUSTCHECK int fw_pg_admin_get(fw_pg *s, fw_pgc **out);
void fw_pg_admin_put(fw_pg *s);

/* ---- pg_prep.c: the prepared statements of one connection ---- */
#define FW_PGC_NAME_MAX 16
/* The name sql is prepared under on c (preparing it now if needed), or "" to
 * run it unprepared (turned off, or the table is full); fw_err of PREPARE. */
FW_MUSTCHECK int fw_pgc_prepared(fw_pgc *c, const char *sql, int nparams, char name[FW_PGC_NAME_MAX]);
void fw_pgc_prep_forget(fw_pgc *c); /* the connection is gone or its statements are */

/* ---- decoding of text-format results ---- */
uint64_t fw_pg_u64(const PGresult *r, int row, int col);
fw_str fw_pg_str(const PGresult *r, int row, int col);
/* The column lists every user / tweet / app query selects (with alias u / t / a, p). */
#define FW_PG_USER_COLS                                                                                              \
    "u.id, u.created_at_ms, u.pinned_tweet_id, u.most_recent_tweet_id, u.followers_count, u.following_count, "    \
    "u.tweet_count, u.listed_count, u.like_count, u.flags, u.verified_type, u.username, u.name, u.description, " \
    "u.location, u.url, u.profile_image_url, u.withheld_countries, u.entities_json, u.default_json"
#define FW_PG_USER_NCOLS 20
#define FW_PG_TWEET_COLS                                                                                        \
    "t.id, t.author_id, t.conversation_id, t.created_at_ms, t.retweet_count, t.reply_count, t.like_count, "   \
    "t.quote_count, t.bookmark_count, t.impression_count, t.possibly_sensitive, t.text, t.lang, t.source, " \
    "t.reply_settings, t.entities_json"
#define FW_PG_TWEET_NCOLS 16
#define FW_PG_APP_COLS                                                                                    \
    "a.id, a.project_id, coalesce(p.access_level, 0), a.client_type, a.bearer_gen, a.name, a.consumer_key, " \
    "a.consumer_secret, a.client_id, a.client_secret, a.redirect_uris, a.permission"
#define FW_PG_APP_NCOLS 12
#define FW_PG_APP_FROM "fw_apps a LEFT JOIN fw_projects p ON p.id = a.project_id"
/* Decode one row from column col0 on; strings borrow the result. */
void fw_pg_user_row(const PGresult *r, int row, int col0, fw_user *u);
void fw_pg_tweet_row(const PGresult *r, int row, int col0, fw_tweet *t);
void fw_pg_app_row(const PGresult *r, int row, int col0, fw_app *a);

/* ---- pg_schema.c ---- */
/* Creates or upgrades the schema on c, loads the secret into s; fw_err with
 * the reason in why. */
FW_MUSTCHECK int fw_pg_migrate(fw_pg *s, fw_pgc *c, char *why, size_t whylen);

/* ---- pg_pool.c ---- */
/* queue_max: jobs (and, separately, writes) waiting at most; more fail with FW_EBUSY.
 * replicas: libpq connection strings of hot standbys (nreplicas <= FW_PG_MAX_REPLICAS),
 * each getting a pool of `threads` connections for fw_pg_submit_read. */
FW_MUSTCHECK int fw_pg_pool_start(fw_pg *s, unsigned threads, unsigned queue_max, const char *const *replicas,
                                  unsigned nreplicas);
void fw_pg_pool_stop(fw_pg *s); /* runs every queued job first */

/* A request-path job: work runs on a pool thread (or inline) with a
 * connection and fills the job; done runs on the caller's thread, calls the
 * callback and frees the job. */
typedef struct fw_pg_job {
    fw_task task;
    struct fw_pg_job *next;
    fw_exec *exec;
    void (*work)(struct fw_pg_job *j, fw_pgc *c);
    void (*done)(struct fw_pg_job *j);
    void (*fail)(struct fw_pg_job *j, int rc); /* fills the job's result with an error, without a connection */
    /* Coalescing (optional, both or neither): same(q, j) says whether j may
     * share queued job q's answer, adopt(j, q) copies q's finished answer into
     * j. A job only joins one that is still queued, so the one statement runs
     * after every joined request arrived and sees all that committed before. */
    bool (*same)(const struct fw_pg_job *q, const struct fw_pg_job *j);
    void (*adopt)(struct fw_pg_job *j, const struct fw_pg_job *q);
    struct fw_pg_job *joined; /* jobs that share this one's answer (pool-owned until posted) */
} fw_pg_job;
/* Runs j: queued for the pool when exec is set, else inline on the admin
 * connection. */
void fw_pg_submit(fw_pg *s, fw_pg_job *j);
/* A read-only lookup: to a replica when there is one and the read cannot be
 * one of its caller's own writes (viewer_id 0: app-only, which never writes),
 * else to the primary like fw_pg_submit. Read-your-writes therefore holds on
 * every node without tracking anything: a user-context read always sees the
 * primary, and an app-only read may lag by the replica's replay delay. */
void fw_pg_submit_read(fw_pg *s, fw_pg_job *j, uint64_t viewer_id);

/* Graph writes are batched: each pool pass takes every queued write into one
 * transaction (pg_write.c). */
typedef struct fw_pg_wop {
    fw_task task;
    struct fw_pg_wop *next;
    fw_exec *exec;
    uint8_t kind;
    uint64_t src, dst;
    fw_write_cb cb;
    void *ctx;
    fw_write_res res;
} fw_pg_wop;
void fw_pg_submit_write(fw_pg *s, fw_pg_wop *o);
/* Applies the ops (linked by next) in one transaction on c, filling each res. */
void fw_pg_apply_batch(fw_pg *s, fw_pgc *c, fw_pg_wop *batch);

/* ---- the ops table entries ---- */
void fw_pg_users(fw_store *s, fw_exec *exec, const fw_users_q *q, fw_users_cb cb, void *ctx);
void fw_pg_list(fw_store *s, fw_exec *exec, const fw_list_q *q, fw_list_cb cb, void *ctx);
void fw_pg_auth(fw_store *s, fw_exec *exec, const fw_auth_q *q, fw_auth_cb cb, void *ctx);
void fw_pg_ready(fw_store *s, fw_exec *exec, fw_ready_cb cb, void *ctx);
void fw_pg_write(fw_store *s, fw_exec *exec, uint8_t kind, uint64_t src, uint64_t dst, fw_write_cb cb, void *ctx);
int fw_pg_write_sync(fw_store *s, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res);
int fw_pg_follow_bulk(fw_store *s, const uint64_t *pairs, size_t n);
int fw_pg_user_create(fw_store *s, const fw_user *u, uint64_t *id_out);
int fw_pg_user_update(fw_store *s, const fw_user *u);
int fw_pg_user_delete(fw_store *s, uint64_t id);
int fw_pg_user_get(fw_store *s, uint64_t id, fw_user_rec *out);
int fw_pg_user_get_by_name(fw_store *s, fw_str username, fw_user_rec *out);
int fw_pg_user_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_user *u), void *ctx);
int fw_pg_tweet_add(fw_store *s, const fw_tweet *t, uint64_t *id_out);
int fw_pg_project_create(fw_store *s, fw_str name, uint8_t access_level, uint64_t *id_out);
int fw_pg_project_set_level(fw_store *s, uint64_t project_id, uint8_t access_level);
int fw_pg_app_create(fw_store *s, fw_str name, uint64_t project_id, uint8_t client_type, fw_str redirect_uris,
                     fw_app_rec *out);
int fw_pg_app_get(fw_store *s, uint64_t id, fw_app_rec *out);
int fw_pg_app_scan(fw_store *s, int (*fn)(void *ctx, const fw_app *a), void *ctx);
int fw_pg_app_set_bearer_gen(fw_store *s, uint64_t app_id, uint32_t gen);
int fw_pg_cred_put(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c);
int fw_pg_cred_revoke(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, bool *was_live);
int fw_pg_check(fw_store *s, void (*report)(void *ctx, const char *line), void *ctx);
int fw_pg_user_set_password(fw_store *s, uint64_t user_id, const uint8_t *rec, size_t len);
int fw_pg_user_get_password(fw_store *s, uint64_t user_id, uint8_t *out, size_t cap, size_t *len);

/* pg_shared.c: OAuth state and nonces shared by every node (store.h). */
void fw_pg_ephem(fw_store *s, fw_exec *exec, const fw_ephem_q *q, fw_ephem_cb cb, void *ctx);
void fw_pg_nonce(fw_store *s, fw_exec *exec, fw_str consumer_key, fw_str nonce, int64_t expires_s, int64_t now_s,
                 fw_nonce_cb cb, void *ctx);
int fw_pg_lease(fw_store *s, const fw_lease_q *q, fw_lease_res *res);

/* pg_migrate.c */
int fw_pg_project_scan(fw_store *s, fw_project_fn fn, void *ctx);
int fw_pg_project_put(fw_store *s, uint64_t id, fw_str name, uint8_t access_level);
int fw_pg_app_put(fw_store *s, const fw_app *a);
int fw_pg_cred_scan(fw_store *s, fw_cred_fn fn, void *ctx);
int fw_pg_secret_set(fw_store *s, const uint8_t secret[32]);
int fw_pg_wipe(fw_store *s);
/* Everything a database holds but its schema and secret (fw_store_wipe). */
#define FW_PG_WIPE_SQL                                                                                           \
    "TRUNCATE fw_users, fw_tweets, fw_rel, fw_projects, fw_apps, fw_creds, fw_passwords, fw_grants_revoked, "    \
    "fw_ephem, fw_nonces, fw_limit_windows, fw_limit_leases, fw_devs"
int fw_pg_project_info_put(fw_store *s, const fw_project *p);
int fw_pg_app_settings_put(fw_store *s, uint64_t app_id, const fw_app_settings *st);
int fw_pg_dev_scan(fw_store *s, fw_dev_fn fn, void *ctx);
int fw_pg_password_scan(fw_store *s, fw_password_fn fn, void *ctx);
/* Writes the non-graph records of a migrate on the transaction's connection (w = fw_pgc *). */
extern const fw_migrate_sink fw_pg_tx_sink;
/* pg_import.c: store.h fw_store_migrate_begin / _commit, all in the import's transaction. */
typedef struct fw_pg_mig {
    fw_store *from;
    fw_migrate_stats *st;
} fw_pg_mig;
int fw_pg_migrate_begin(fw_store *s, bool overwrite, fw_import **out);
int fw_pg_migrate_commit(fw_import *im, fw_store *from, fw_migrate_progress progress, void *ctx, uint64_t *dup,
                         fw_migrate_stats *st);
/* pg_portal.c: the developer portal's records (store.h, "Developer portal"). */
int fw_pg_dev_create(fw_store *s, uint64_t user_id, uint8_t status, int64_t now_ms);
int fw_pg_dev_get(fw_store *s, uint64_t user_id, fw_dev *out);
int fw_pg_dev_set_status(fw_store *s, uint64_t user_id, uint8_t status);
int fw_pg_project_create_owned(fw_store *s, uint64_t owner_id, fw_str name, fw_str use_case, uint8_t environment,
                               uint8_t access_level, int64_t now_ms, uint64_t *id_out);
int fw_pg_project_get(fw_store *s, uint64_t id, fw_project_rec *out);
int fw_pg_project_update(fw_store *s, uint64_t id, fw_str name, fw_str use_case, uint8_t environment);
int fw_pg_project_delete(fw_store *s, uint64_t id, bool with_apps);
int fw_pg_project_scan_owner(fw_store *s, uint64_t owner_id, int (*fn)(void *ctx, const fw_project *p), void *ctx);
int fw_pg_app_settings_get(fw_store *s, uint64_t app_id, fw_app_settings_rec *out);
int fw_pg_app_update(fw_store *s, uint64_t app_id, fw_str name, uint8_t client_type, fw_str redirect_uris,
                     uint8_t permission, fw_str website_url);
int fw_pg_app_set_dev_token(fw_store *s, uint64_t app_id, fw_str token);
int fw_pg_app_delete(fw_store *s, uint64_t app_id);
int fw_pg_app_regenerate(fw_store *s, uint64_t app_id, unsigned what, fw_app_rec *out);

extern const fw_store_ops fw_pg_ops;

/* pg_admin.c: one row in fw_grants_revoked (schema v2). */
FW_MUSTCHECK int fw_pg_grant_revoke(fw_store *st, uint64_t grant_id);
/* The SQL of a credential's effective revoked flag (its own, or its grant's), alias c. */
#define FW_PG_CRED_REVOKED                                                                                     \
    "(c.revoked OR (c.grant_id <> 0 AND EXISTS (SELECT 1 FROM fw_grants_revoked g WHERE g.grant_id = c.grant_id)))"
/* pg_import.c: bulk import through COPY (import_internal.h). */
FW_MUSTCHECK int fw_pg_import_begin(fw_store *st, fw_import **out);
/* pg_export.c: export scans. */
FW_MUSTCHECK
int fw_pg_tweet_scan(fw_store *st, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_tweet *t), void *ctx);
FW_MUSTCHECK int fw_pg_edge_scan(fw_store *st, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst,
                                                         uint64_t seq),
                                 void *ctx);

#endif
