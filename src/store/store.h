/* The followd store: users, tweets, the follow graph, apps and credentials.
 *
 * This header is the only thing the rest of followd knows about storage. It is
 * written so that a networked backend (PostgreSQL) can answer asynchronously on
 * the caller's event loop without any change to the callers:
 *
 *   - Every request-path operation completes through a callback. A backend may
 *     call it inline, before the submitting function returns (LMDB reads do), or
 *     later on the submitting thread through the caller's fw_exec (LMDB writes,
 *     which go through a group-commit writer thread, and every PostgreSQL call).
 *   - Operations are coarse: one API request is one or two store calls, each a
 *     single round trip for a networked backend.
 *   - Queries are read during the submitting call only (a backend copies what
 *     it needs), so callers may keep them on the stack.
 *   - Results are borrowed: every pointer in a result (users, tweets, strings) is
 *     valid only until the callback returns. Callers serialise or copy inside it.
 *
 * Admin operations (the CLI) use the *_sync functions, which run in the calling
 * thread and need no event loop. Admin commands and a running server may share
 * one database; a committed change is visible to the next request.
 *
 * Error convention: functions and results carry an int, FW_OK (0) or a negative
 * FW_E* code. */
#ifndef FW_STORE_STORE_H
#define FW_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/exec.h"
#include "core/str.h"

/* Results are FW_* codes from core/err.h (fw_strerror describes them). */

typedef struct fw_store fw_store; /* opaque */

/* ------------------------------------------------------------------------
 * Records, as borrowed views. */

enum fw_verified_type { FW_VT_NONE = 0, FW_VT_BLUE, FW_VT_BUSINESS, FW_VT_GOVERNMENT };

#define FW_USER_PROTECTED 0x1u
#define FW_USER_VERIFIED 0x2u
#define FW_USER_SUSPENDED 0x4u

typedef struct fw_user {
    uint64_t id;
    int64_t created_at_ms;
    uint64_t pinned_tweet_id;      /* 0 = none */
    uint64_t most_recent_tweet_id; /* 0 = none; maintained by tweet add */
    uint64_t followers_count;      /* maintained by the store, in the edge txn */
    uint64_t following_count;      /* likewise */
    uint64_t tweet_count;          /* maintained by tweet add (+ the value set on the user) */
    uint64_t listed_count;
    uint64_t like_count;
    uint32_t flags;                /* FW_USER_* */
    uint8_t verified_type;         /* enum fw_verified_type */
    fw_str username;
    fw_str name;
    fw_str description;
    fw_str location;
    fw_str url;
    fw_str profile_image_url;
    fw_str withheld_countries;     /* upper-case ISO codes joined by ',' ; empty = not withheld */
    fw_str entities_json;          /* precomputed JSON object for user.fields=entities; may be empty */
    fw_str default_json;           /* read-only, derived by the store on every write: the default fields
                                      as X renders them, {"id":..,"name":..,"username":.. without the
                                      closing brace; empty in records a caller builds */
} fw_user;

typedef struct fw_tweet {
    uint64_t id;
    uint64_t author_id;
    uint64_t conversation_id; /* 0 = same as id */
    int64_t created_at_ms;
    uint64_t retweet_count, reply_count, like_count, quote_count, bookmark_count, impression_count;
    bool possibly_sensitive;
    fw_str text;
    fw_str lang;
    fw_str source;
    fw_str reply_settings;    /* "everyone" | "mentionedUsers" | "following" */
    fw_str entities_json;     /* may be empty */
} fw_tweet;

/* Relationship of one user to another, one direction. */
enum fw_rel { FW_REL_NONE = 0, FW_REL_FOLLOWING = 1, FW_REL_PENDING = 2 };

typedef struct fw_rels {
    uint8_t out; /* viewer -> user (enum fw_rel) */
    uint8_t in;  /* user -> viewer */
} fw_rels;

/* ------------------------------------------------------------------------
 * Request-path reads. */

#define FW_TW_PINNED 0x1u      /* hydrate users' pinned tweets into tweets[] */
#define FW_TW_MOST_RECENT 0x2u /* hydrate users' most recent tweets into tweets[] */

typedef struct fw_read_opts {
    uint64_t viewer_id;  /* authenticated user, 0 for app-only */
    bool want_rels;      /* fill rels[] for each returned user (needs viewer_id) */
    bool lean;           /* lists: the caller shows only users' default fields (id, name, username
                            through default_json) and uses their flags; the store may fill only those
                            (everything else zero) from memory */
    uint32_t tweets;     /* FW_TW_* */
} fw_read_opts;

/* Users by id or by username (case-insensitive). */
typedef struct fw_users_q {
    fw_read_opts opts;
    size_t n;                 /* 1..100 */
    const uint64_t *ids;      /* either ids ... */
    const fw_str *usernames;  /* ... or usernames */
} fw_users_q;

typedef struct fw_users_res {
    int rc;                      /* FW_OK or FW_EIO; missing users are NULL entries */
    size_t n;
    const fw_user *const *users; /* n entries, NULL when not found (suspended users are returned) */
    const fw_rels *rels;         /* n entries when opts.want_rels, else NULL */
    size_t ntweets;
    const fw_tweet *tweets;      /* hydrated tweets, deduplicated, in first-reference order */
    uint64_t version;            /* the snapshot read (see fw_store_version); 0 = unknown */
} fw_users_res;

typedef void (*fw_users_cb)(void *ctx, const fw_users_res *res);
void fw_store_users(fw_store *s, fw_exec *exec, const fw_users_q *q, fw_users_cb cb, void *ctx);

/* One page of a user's followers / following / follow-request list, newest first.
 * Lists are ordered by an edge sequence number assigned when the edge was made
 * (larger = newer). Paging is by keyset on that number, never by offset. */
enum fw_list_kind { FW_LIST_FOLLOWERS = 0, FW_LIST_FOLLOWING, FW_LIST_INCOMING, FW_LIST_OUTGOING };
enum fw_page_dir { FW_PAGE_FIRST = 0, FW_PAGE_AFTER, FW_PAGE_BEFORE };

typedef struct fw_list_q {
    fw_read_opts opts;
    uint64_t owner_id;
    uint8_t kind;      /* enum fw_list_kind */
    uint8_t dir;       /* enum fw_page_dir */
    uint64_t cursor;   /* AFTER: entries older than this seq; BEFORE: newer than it */
    uint32_t limit;    /* 1..1000 */
} fw_list_q;

typedef struct fw_list_res {
    int rc;                 /* FW_OK, FW_ENOTFOUND (owner), FW_EIO */
    const fw_user *owner;   /* set when rc == FW_OK (may be suspended/protected) */
    fw_rels owner_rels;     /* viewer vs owner when opts.viewer_id != 0 */
    size_t n;
    const fw_user *users;   /* n users, newest edge first; suspended users are skipped */
    const uint64_t *seqs;   /* n edge sequence numbers, matching users[] */
    const fw_rels *rels;    /* n entries when opts.want_rels */
    bool more_older;        /* entries exist after users[n-1] */
    bool more_newer;        /* entries exist before users[0] */
    size_t ntweets;
    const fw_tweet *tweets;
    uint64_t version;       /* the snapshot read (see fw_store_version); 0 = unknown */
} fw_list_res;

typedef void (*fw_list_cb)(void *ctx, const fw_list_res *res);
void fw_store_list(fw_store *s, fw_exec *exec, const fw_list_q *q, fw_list_cb cb, void *ctx);

/* ------------------------------------------------------------------------
 * Apps, projects and credentials. */

enum fw_access_level { FW_ACCESS_NONE = 0 /* standalone app */, FW_ACCESS_FREE, FW_ACCESS_BASIC, FW_ACCESS_PRO, FW_ACCESS_ENTERPRISE };
enum fw_client_type { FW_CLIENT_CONFIDENTIAL = 0, FW_CLIENT_PUBLIC = 1 };

typedef struct fw_app {
    uint64_t id;
    uint64_t project_id;    /* 0 = standalone app */
    uint8_t access_level;   /* of its project (enum fw_access_level) */
    uint8_t client_type;    /* enum fw_client_type */
    uint32_t bearer_gen;    /* generation of the app-only bearer token */
    fw_str name;
    fw_str consumer_key;
    fw_str consumer_secret; /* needed in clear for OAuth 1.0a HMAC */
    fw_str client_id;
    fw_str client_secret;   /* OAuth 2.0 confidential clients (app secrets are kept; bearer tokens are not) */
    fw_str redirect_uris;   /* registered callback URLs joined by '\n' */
    uint8_t permission;     /* FW_APP_PERM_* (portal settings; read by every app load, default read+write) */
} fw_app;

enum fw_cred_kind {
    FW_CRED_APP_BEARER = 1,  /* OAuth 2.0 app-only bearer token */
    FW_CRED_OAUTH2_USER = 2, /* OAuth 2.0 user access token */
    FW_CRED_OAUTH2_REFRESH = 3,
    FW_CRED_OAUTH1_USER = 4, /* OAuth 1.0a access token (public part is the key, secret kept) */
};

typedef struct fw_cred {
    uint8_t kind;          /* enum fw_cred_kind */
    bool revoked;
    uint64_t app_id;
    uint64_t user_id;      /* 0 for app-only */
    uint32_t scopes;       /* bit set defined in auth/scopes.h */
    int64_t issued_at_ms;
    int64_t expires_at_ms; /* 0 = never */
    fw_str secret;         /* OAuth 1.0a token secret; empty for bearer kinds */
    /* The OAuth 2.0 authorization the token belongs to: the access and refresh
     * tokens of one code exchange and of every refresh descended from it share
     * it. 0 = none (tokens from the command line, app-only, OAuth 1.0a).
     * fw_store_auth reports a credential of a revoked grant as revoked. */
    uint64_t grant_id;
} fw_cred;

/* Credential lookup for one request. Bearer-style tokens are looked up by the
 * SHA-256 of the token (the store never sees or keeps them in clear); OAuth
 * 1.0a tokens by the public token string together with the consumer key. */
typedef struct fw_auth_q {
    uint8_t by;            /* FW_AUTH_BY_* */
    uint8_t hash[32];      /* FW_AUTH_BY_HASH */
    fw_str token;          /* FW_AUTH_BY_OAUTH1: oauth_token */
    fw_str consumer_key;   /* FW_AUTH_BY_OAUTH1 / FW_AUTH_BY_CONSUMER_KEY */
} fw_auth_q;
enum { FW_AUTH_BY_HASH = 1, FW_AUTH_BY_OAUTH1 = 2, FW_AUTH_BY_CONSUMER_KEY = 3, FW_AUTH_BY_CLIENT_ID = 4 };

typedef struct fw_auth_res {
    int rc;                /* FW_OK or FW_ENOTFOUND (unknown token / key) or FW_EIO */
    const fw_cred *cred;   /* NULL for BY_CONSUMER_KEY / BY_CLIENT_ID */
    const fw_app *app;     /* the credential's app */
    const fw_user *user;   /* the credential's user, NULL for app-only */
} fw_auth_res;

typedef void (*fw_auth_cb)(void *ctx, const fw_auth_res *res);
void fw_store_auth(fw_store *s, fw_exec *exec, const fw_auth_q *q, fw_auth_cb cb, void *ctx);

/* ------------------------------------------------------------------------
 * Request-path writes: follow graph changes. Each is atomic: edges in both
 * directions and both counters change in one transaction, or nothing does.
 * The callback runs only after the change is durable (committed to disk). */

enum fw_write_kind {
    FW_W_FOLLOW = 1,   /* src follows dst, or requests to if dst is protected */
    FW_W_UNFOLLOW,     /* src stops following dst, or withdraws a pending request */
    FW_W_ACCEPT,       /* owner (src) accepts requester (dst)'s pending request */
    FW_W_DECLINE,      /* owner (src) declines requester (dst)'s pending request */
};

typedef struct fw_write_res {
    int rc;             /* FW_OK; FW_ENOTFOUND (src), FW_ETARGET, FW_ESUSPENDED, FW_EINVAL (self), FW_EIO, FW_EFULL */
    uint8_t rel;        /* relationship src -> dst after the write (enum fw_rel);
                           ACCEPT/DECLINE: requester -> owner after the write */
    bool changed;       /* false when the write was a no-op (already following, not found, ...) */
} fw_write_res;

typedef void (*fw_write_cb)(void *ctx, const fw_write_res *res);
void fw_store_write(fw_store *s, fw_exec *exec, uint8_t kind, uint64_t src, uint64_t dst, fw_write_cb cb, void *ctx);

/* ------------------------------------------------------------------------
 * State shared by every node of one database: short-lived OAuth state and
 * OAuth 1.0a nonces. Request-path calls like the others (the callback runs
 * inline or through exec; nothing in a result outlives the callback).
 *
 * Only the PostgreSQL backend shares them (fw_store_shares_state true). LMDB
 * is one process: there both calls answer FW_ENOTSUP inline and callers keep
 * this state in memory (auth/pending.h, auth/nonce.h), as they did before.
 *
 * Keys are never stored in clear: the store keeps HMAC-SHA256 digests under
 * keys derived from fw_store_secret (which lives in the database, so every
 * node computes the same digest). Expiry is judged in the query itself (an
 * expired entry is never returned) against the caller's clock (now_ms,
 * fw_now_ms, so tests can move it; nodes are expected to keep their clocks
 * in sync, NTP, and a skew between nodes shifts a lifetime by that much), and
 * expired entries are swept by inserts. */
#define FW_EPHEM_MAX_KEY 512    /* bytes of a key (as auth/pending.h) */
#define FW_EPHEM_MAX_VALUE 8192 /* bytes of a value */
enum fw_ephem_op {
    FW_EPH_PUT = 1, /* insert or replace (the entry becomes the youngest) */
    FW_EPH_ADD,     /* insert only if no live entry has (kind, key): else FW_EEXISTS */
    FW_EPH_GET,     /* a live entry's value */
    FW_EPH_TAKE,    /* a live entry's value, removed in the same statement (single use:
                       of concurrent takes on any nodes exactly one gets it) */
};
typedef struct fw_ephem_q {
    uint8_t op;          /* enum fw_ephem_op */
    uint8_t kind;        /* 0..15, the caller's namespace */
    uint64_t owner;      /* PUT/ADD: the owner tag (an app id) */
    fw_str key;          /* 1..FW_EPHEM_MAX_KEY bytes */
    const void *val;     /* PUT/ADD: 0..FW_EPHEM_MAX_VALUE bytes, copied */
    size_t len;
    int64_t ttl_ms;      /* PUT/ADD: lifetime, 1 ms .. 1 day */
    int64_t now_ms;      /* the caller's clock (ms since the epoch, >= 0) */
    /* PUT/ADD: the kind's bounds, the same semantics as fw_pending_limit: at
     * most max live entries of the kind and per_owner of one owner (0 = no
     * cap); at a cap evict the kind's (owner's) oldest, or with evict false
     * refuse with FW_EFULL. Enforced under a per-kind lock across all nodes. */
    uint32_t max, per_owner;
    bool evict;
} fw_ephem_q;
typedef struct fw_ephem_res {
    int rc;              /* FW_OK, FW_ENOTFOUND (GET/TAKE: none live), FW_EEXISTS (ADD), FW_EFULL,
                            FW_EINVAL (bad query), FW_EIO, FW_ENOTSUP (not shared) */
    const void *val;     /* GET/TAKE: the value, borrowed for the callback */
    size_t len;
} fw_ephem_res;
typedef void (*fw_ephem_cb)(void *ctx, const fw_ephem_res *res);
void fw_store_ephem(fw_store *s, fw_exec *exec, const fw_ephem_q *q, fw_ephem_cb cb, void *ctx);

/* Records an OAuth 1.0a nonce of consumer_key (both validated by the caller,
 * auth/nonce.h's rules) until expires_s (epoch seconds; a remembered pair
 * whose expires_s is before now_s counts as gone). rc FW_OK: fresh;
 * FW_ENONCE: the pair is remembered (a replay, on any node); FW_EINVAL,
 * FW_EIO, FW_ENOTSUP. A statement lost with its connection is retried once,
 * so a request whose first try committed is refused as a replay: the
 * failure errs on the side of refusing. */
typedef void (*fw_nonce_cb)(void *ctx, int rc);
void fw_store_nonce(fw_store *s, fw_exec *exec, fw_str consumer_key, fw_str nonce, int64_t expires_s, int64_t now_s,
                    fw_nonce_cb cb, void *ctx);
/* Rate-limit budget leased by nodes (limits/shared.h), one counter per
 * (kind, a, b) key and fixed window. In one statement and one transaction:
 *   1. report: `spent` units of this node's lease of window `spent_window`
 *      were used (may be negative after refunds; ignored when that window is
 *      no longer the key's current one or the lease is gone: a lease that
 *      expired unreported was counted as spent whole), and this node's lease
 *      ends: its unspent units are back in the pool;
 *   2. a window that ended by now_ms is closed; with want > 0 a new one opens
 *      (window_ms long: X's "first request + 15 minutes");
 *   3. leases of other nodes that expired unreported (a node killed with -9)
 *      count as spent: they may have been, and the limit must hold;
 *   4. grants min(want, limit - spent - leased by others) units to this node,
 *      valid until now_ms + ttl_ms.
 * The counter never lets spent + leased exceed limit, whatever the number of
 * nodes. Synchronous (it blocks the calling thread: call it off the event
 * loop; PostgreSQL runs it on a connection kept for it, one call at a time). FW_OK, FW_EINVAL, FW_EIO, FW_ENOTSUP (LMDB: limits stay in memory). */
typedef struct fw_lease_q {
    uint32_t kind;
    uint64_t a, b;
    uint32_t limit;
    int64_t window_ms, now_ms, ttl_ms;
    uint64_t node;        /* the calling node's id (random per process) */
    int32_t spent;        /* step 1 */
    int64_t spent_window; /* the window (its end, ms) the spent units belong to; 0 = none */
    uint32_t want;        /* step 4; 0 = only report and return */
} fw_lease_q;
typedef struct fw_lease_res {
    uint32_t granted;     /* units now leased to this node */
    int64_t window_end_ms;/* the key's current window (0: none open) */
    uint32_t rest;        /* units neither spent nor leased by anyone after the grant */
    uint32_t others;      /* units leased by other nodes (live leases) */
    uint32_t nodes;       /* nodes holding a lease of the key, this one included */
} fw_lease_res;
FW_MUSTCHECK int fw_store_lease(fw_store *s, const fw_lease_q *q, fw_lease_res *res);

/* True when fw_store_ephem, fw_store_nonce and fw_store_lease are served (the state is then
 * shared by every process using the database). */
bool fw_store_shares_state(fw_store *s);

/* ------------------------------------------------------------------------
 * Lifecycle. */

typedef struct fw_store_opts {
    const char *path;          /* LMDB: database directory, created if missing. PostgreSQL: a libpq
                                  connection string, postgresql://... / postgres://... or
                                  "host=... dbname=..." keywords (see fw_store_open) */
    size_t map_size;           /* the database's maximum size in bytes; 0 = default (16 GiB). The map is
                                  reserved address space: the file grows on disk only as pages are used. */
    unsigned max_readers;      /* 0 = default (512) */
    bool read_only;
    bool bulk;                 /* bulk loading (demo): commits skip fsync; close syncs once */
    size_t user_cache;         /* LMDB: bytes of memory for the users that default-fields list pages
                                  show, indexed by ordinal and shared by all threads; 0 = none */
    bool user_cache_prefill;   /* LMDB: fill that cache from the users table in the background at open
                                  (lowest priority) instead of only as pages show users */
    /* PostgreSQL only (LMDB ignores them): */
    unsigned pool;             /* connections serving request-path calls; 0 = default (4) */
    unsigned timeout_ms;       /* connect and per-statement timeout; 0 = default (5000) */
    unsigned queue_max;        /* request-path calls waiting for a pool connection at most (reads and
                                  writes each); beyond it a call fails at once with FW_EBUSY (503)
                                  instead of growing the queue without bound; 0 = default (4096) */
    const char *const *replicas; /* hot standbys (libpq strings) for reads that may lag: app-only
                                    lookups go there, user-context reads and every write to the
                                    primary (read-your-writes on every node); at most 8 */
    size_t nreplicas;
    bool no_prepare;           /* never use named prepared statements (behind pgbouncer in transaction
                                  mode, where they do not survive; default: prepared once per connection) */
    /* Both: where fw_store_open writes a one-line reason when it fails (may be NULL). */
    char *err;
    size_t err_len;
} fw_store_opts;

/* Opens (creating if needed) the store. The PostgreSQL backend is chosen for
 * a postgresql:// or postgres:// URI or a libpq keyword string (one holding
 * "dbname=" or "host="), the LMDB backend for anything else (a directory).
 * PostgreSQL: the schema is created or upgraded here (fw_store_schema); a
 * database whose schema is newer than this followd knows is refused
 * (FW_EINVAL, with the reason in opts->err). On success *out owns the store;
 * close with fw_store_close. */
FW_MUSTCHECK int fw_store_open(const fw_store_opts *opts, fw_store **out);
/* True when fw_store_open would take path as a PostgreSQL connection string. */
bool fw_store_is_uri(const char *path);
/* Finishes queued writes (their callbacks are posted), then closes. */
void fw_store_close(fw_store *s);
/* A number that changes whenever a committed write (from any process) may
 * change a read result: LMDB's last committed transaction id. A result whose
 * version equals the current one is still exactly what a new read would
 * return, which lets callers cache rendered responses safely. 0 means the
 * backend cannot tell (callers must not cache). */
uint64_t fw_store_version(fw_store *s);
/* The change log: which users' read results the commits after version
 * `since` may have changed. Calls fn(ctx, id, version) for every user id a
 * commit in (since, *now] touched (a user may come more than once; version is
 * the commit's), where *now is the version read. Returns FW_OK when that is
 * the complete list; FW_ENOTFOUND when the log does not reach back to since or
 * a commit in the range may have changed anything (an import, a profile or
 * app change: callers must then treat everything as changed); FW_ENOTSUP when
 * the backend keeps no log (its version is 0); another fw_err on failure.
 * Follows, unfollows and answered requests touch exactly their two users (both
 * lists, counters and relationship); every other write is a wildcard. The log
 * is written in the same transaction as the change, so it holds across
 * processes too. */
typedef void (*fw_change_fn)(void *ctx, uint64_t user_id, uint64_t version);
FW_MUSTCHECK int fw_store_changes(fw_store *s, uint64_t since, uint64_t *now, fw_change_fn fn, void *ctx);
/* 32 random bytes created with the database: key for pagination-token MACs
 * and derived bearer tokens. Valid until fw_store_close. */
const uint8_t *fw_store_secret(fw_store *s);
/* "lmdb" or "postgresql". */
const char *fw_store_backend(fw_store *s);
/* The schema version the database has (*current) and the one this build
 * knows (*known); after a successful open they are equal. FW_OK or FW_EIO. */
FW_MUSTCHECK int fw_store_schema(fw_store *s, unsigned *current, unsigned *known);
/* Readiness for load balancers (GET /readyz): rc FW_OK when the store answers
 * a round trip and its schema is the one this build knows; FW_EIO otherwise.
 * Completes like the other request-path calls (inline for LMDB). */
typedef void (*fw_ready_cb)(void *ctx, int rc);
void fw_store_ready(fw_store *s, fw_exec *exec, fw_ready_cb cb, void *ctx);

/* ------------------------------------------------------------------------
 * Admin (synchronous). Functions taking an out-struct fill it with copies the
 * caller owns: free with the matching *_free. */

/* Owned user record for admin reads and writes: every string is malloc'd. */
typedef struct fw_user_rec {
    fw_user u;     /* strings point into the owned copies below */
    char *strs[8]; /* owned storage */
} fw_user_rec;
void fw_user_rec_free(fw_user_rec *r);
/* Sets field i (0 username,1 name,2 description,3 location,4 url,5 profile_image_url,
 * 6 withheld_countries,7 entities_json) to a copy of v. */
void fw_user_rec_set(fw_user_rec *r, int field, fw_str v);
enum { FW_UF_USERNAME, FW_UF_NAME, FW_UF_DESCRIPTION, FW_UF_LOCATION, FW_UF_URL, FW_UF_PROFILE_IMAGE_URL, FW_UF_WITHHELD, FW_UF_ENTITIES };

/* Creates a user. If u->id is 0 a new snowflake-style id is assigned. The
 * counters followers_count/following_count are set to 0 (the graph is empty).
 * FW_EEXISTS if the username (case-insensitive) or id is taken. */
FW_MUSTCHECK int fw_store_user_create(fw_store *s, const fw_user *u, uint64_t *id_out);
/* Replaces a user's profile fields from u (matched by u->id). followers_count and
 * following_count are never taken from u. Renames keep usernames unique.
 * Protected -> public accepts every pending request in the same transaction.
 * FW_ENOTFOUND, FW_EEXISTS. */
FW_MUSTCHECK int fw_store_user_update(fw_store *s, const fw_user *u);
/* Deletes a user, every edge and request that touches it (fixing every
 * affected counter), its password and its credentials, in one transaction. */
FW_MUSTCHECK int fw_store_user_delete(fw_store *s, uint64_t id);
FW_MUSTCHECK int fw_store_user_get(fw_store *s, uint64_t id, fw_user_rec *out);
FW_MUSTCHECK int fw_store_user_get_by_name(fw_store *s, fw_str username, fw_user_rec *out);
/* Calls fn for users in id order starting after `after` (0 = first), at most
 * limit; fn returns non-zero to stop. The fw_user is borrowed for the call. */
FW_MUSTCHECK
int fw_store_user_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_user *u), void *ctx);

/* Adds a tweet; updates the author's most_recent_tweet_id and tweet_count.
 * id 0 = assign. FW_ENOTFOUND if the author does not exist. */
FW_MUSTCHECK int fw_store_tweet_add(fw_store *s, const fw_tweet *t, uint64_t *id_out);

/* Follow-graph writes without an event loop (same semantics as fw_store_write). */
FW_MUSTCHECK int fw_store_write_sync(fw_store *s, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res);
/* Bulk load for the demo generator: many follows in one transaction,
 * created_seq ordering by array order. Same invariants as FW_W_FOLLOW; protected
 * targets get pending requests. pairs holds n (src,dst) pairs. */
FW_MUSTCHECK int fw_store_follow_bulk(fw_store *s, const uint64_t *pairs, size_t n);

/* Projects and apps. */
FW_MUSTCHECK int fw_store_project_create(fw_store *s, fw_str name, uint8_t access_level, uint64_t *id_out);
FW_MUSTCHECK int fw_store_project_set_level(fw_store *s, uint64_t project_id, uint8_t access_level);
/* Creates an app; id, consumer key/secret and client id/secret are generated
 * here; the returned record is owned by the caller (fw_app_rec_free). */
typedef struct fw_app_rec {
    fw_app a;
    char *strs[7];
} fw_app_rec;
void fw_app_rec_free(fw_app_rec *r);
FW_MUSTCHECK
int fw_store_app_create(fw_store *s, fw_str name, uint64_t project_id, uint8_t client_type, fw_str redirect_uris,
                        fw_app_rec *out);
FW_MUSTCHECK int fw_store_app_get(fw_store *s, uint64_t id, fw_app_rec *out);
FW_MUSTCHECK int fw_store_app_scan(fw_store *s, int (*fn)(void *ctx, const fw_app *a), void *ctx);
/* Raises the app's bearer generation to gen (never lowers it; a lower or equal
 * gen is a no-op). The app-only bearer token is derived from the current
 * generation, so raising it invalidates every earlier token at once. */
FW_MUSTCHECK int fw_store_app_set_bearer_gen(fw_store *s, uint64_t app_id, uint32_t gen);

/* Credentials. put: key is hash (bearer kinds) or the OAuth 1.0a token string. */
FW_MUSTCHECK int fw_store_cred_put(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c);
/* revoke: marks the credential revoked (FW_ENOTFOUND if there is none).
 * *was_live (may be NULL) tells whether this call revoked it (true) or it
 * already was (false): the check and the write are one transaction, so of
 * concurrent revokes of one credential exactly one sees true (refresh-token
 * rotation relies on it). */
FW_MUSTCHECK int fw_store_cred_revoke(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, bool *was_live);
/* Revokes every credential of grant_id (fw_cred.grant_id) at once, those
 * issued later under it included: RFC 7009 section 2.1, revoking a refresh
 * token invalidates the access tokens of the same grant. Idempotent;
 * FW_EINVAL for grant 0. */
FW_MUSTCHECK int fw_store_grant_revoke(fw_store *s, uint64_t grant_id);

/* ------------------------------------------------------------------------
 * Bulk import into an empty database, and the scans export needs
 * (src/store/lmdb_import.c, lmdb_export.c; cli/import.c, cli/export.c).
 *
 * An import is one all-or-nothing load: begin, add every user, then tweets and
 * edges (in any mix), then commit, which writes everything in one transaction,
 * or abort, which changes nothing. Items are validated as they are added, so an
 * error names the item that caused it; what is passed in is copied. List order:
 * by created_ms when edges have one (edges without one count as oldest; ties in
 * the order added), else the order added. Counters (followers, following,
 * tweet_count, most_recent_tweet_id) are computed, never taken from the input.
 * Memory: about 16 bytes per edge, 32 during commit, plus the packed records. */
typedef struct fw_import fw_import; /* opaque; owned by the caller until commit or abort */
/* FW_EEXISTS if the database already holds users, tweets or edges. */
FW_MUSTCHECK int fw_store_import_begin(fw_store *s, fw_import **out);
/* u->id must be set. FW_EINVAL (invalid record, id 0, or called after a tweet or
 * edge), FW_EEXISTS (the id or the username, case-insensitively, was added before). */
FW_MUSTCHECK int fw_store_import_user(fw_import *im, const fw_user *u);
/* t->id and t->author_id must be set. FW_EINVAL, FW_ENOTFOUND (no such author
 * among the users added), FW_EEXISTS (the id was added before). */
FW_MUSTCHECK int fw_store_import_tweet(fw_import *im, const fw_tweet *t);
/* rel: FW_REL_FOLLOWING (src follows dst) or FW_REL_PENDING (src asked to
 * follow dst, which must be protected). created_ms 0 = none. FW_ENOTFOUND (src
 * not added), FW_ETARGET (dst not added), FW_EINVAL (self, a request to a public
 * account, a bad rel). Duplicate pairs are found at commit. */
FW_MUSTCHECK int fw_store_import_edge(fw_import *im, uint8_t rel, uint64_t src, uint64_t dst, int64_t created_ms);
/* Edges in bulk, with their ids resolved to users on the caller's threads.
 * After fw_store_import_close_users (no user can be added any more),
 * fw_store_import_refs may run on several threads at once, also while edges
 * are added: it turns n user ids into refs (FW_IMPORT_NOREF: not added).
 * fw_store_import_edges adds n edges (ids and refs: source, target pairs;
 * refs may be NULL, created_ms too) as n calls of fw_store_import_edge would,
 * stopping at the first refused: its result, *added the edges added before it. */
#define FW_IMPORT_NOREF UINT32_MAX
void fw_store_import_close_users(fw_import *im);
void fw_store_import_refs(const fw_import *im, const uint64_t *ids, uint32_t *refs, size_t n);
FW_MUSTCHECK int fw_store_import_edges(fw_import *im, uint8_t rel, const uint64_t *ids, const uint32_t *refs,
                                       const int64_t *created_ms, size_t n, size_t *added);
/* Writes everything and frees im (also on failure). FW_EEXISTS: two edges for
 * one (src, dst) pair (follow or request); *dup is then the 0-based index, in the
 * order added, of the later one. FW_EEXISTS with *dup = UINT64_MAX: the database
 * is no longer empty. progress (may be NULL) is called with a phase name and a
 * count done out of a total, often enough for a progress bar. */
FW_MUSTCHECK int fw_store_import_commit(fw_import *im, void (*progress)(void *ctx, const char *phase, uint64_t done,
                                                                        uint64_t total),
                                        void *ctx, uint64_t *dup);
void fw_store_import_abort(fw_import *im);

/* ------------------------------------------------------------------------
 * Moving a database between stores (cli/migrate.c): what fw_store_import_*
 * does not carry, read and written verbatim, so a migrated app keeps its keys
 * and every credential (stored only as a hash) still authenticates. */
typedef int (*fw_project_fn)(void *ctx, uint64_t id, fw_str name, uint8_t access_level);
/* Every project in id order; fn returns non-zero to stop. */
FW_MUSTCHECK int fw_store_project_scan(fw_store *s, fw_project_fn fn, void *ctx);
/* A project with the given id (FW_EEXISTS if taken); ids handed out later are larger. */
FW_MUSTCHECK int fw_store_project_put(fw_store *s, uint64_t id, fw_str name, uint8_t access_level);
/* An app exactly as a (id, keys, secrets, bearer generation; access_level is
 * its project's). FW_EEXISTS (id, consumer key or client id taken),
 * FW_ENOTFOUND (project). Ids handed out later are larger. */
FW_MUSTCHECK int fw_store_app_put(fw_store *s, const fw_app *a);
/* Every credential with the arguments fw_store_cred_put takes: hash (bearer
 * kinds; NULL for OAuth 1.0a) or the OAuth 1.0a token. A credential whose
 * grant was revoked is reported revoked. Borrowed for the call. */
typedef int (*fw_cred_fn)(void *ctx, const uint8_t *hash, fw_str oauth1_token, const fw_cred *c);
FW_MUSTCHECK int fw_store_cred_scan(fw_store *s, fw_cred_fn fn, void *ctx);
/* Replaces the store secret (fw_store_secret): pagination tokens and derived
 * app-only bearer tokens of the database it came from stay valid. */
FW_MUSTCHECK int fw_store_secret_set(fw_store *s, const uint8_t secret[32]);
/* Deletes every user, tweet, edge, project, app, credential and password in
 * one transaction (migrate --overwrite); the schema and secret stay. */
FW_MUSTCHECK int fw_store_wipe(fw_store *s);

/* Calls fn for tweets in id order starting after `after`, at most limit (0 =
 * all); fn returns non-zero to stop. The tweet is borrowed for the call. */
FW_MUSTCHECK
int fw_store_tweet_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_tweet *t), void *ctx);
/* Calls fn for every follow and pending request, in (src, dst) order, with its
 * state (FW_REL_*) and edge sequence number (larger = newer), in one read
 * snapshot; fn returns non-zero to stop. */
FW_MUSTCHECK int fw_store_edge_scan(fw_store *s, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst,
                                                           uint64_t seq),
                                    void *ctx);

/* Invariant check: both edge directions agree with each other and with the
 * rel index (state and sequence number), every counter equals its list length,
 * no edge touches a missing user or the user itself, pending and following are
 * disjoint, no request is pending to a public account, the edge sequence
 * counter is ahead of every edge, and the username index matches users. Prints each problem to `report` (one line each)
 * and returns the number of problems (0 = healthy), or a negative FW_E*. */
FW_MUSTCHECK int fw_store_check(fw_store *s, void (*report)(void *ctx, const char *line), void *ctx);


/* ------------------------------------------------------------------------
 * Sign-in passwords (OAuth consent pages; src/store/lmdb_passwords.c).
 * Records are opaque to the store (auth/password.h makes and checks them);
 * at most FW_PASSWORD_REC_MAX bytes. set: FW_ENOTFOUND if the user does not
 * exist. get: FW_ENOTFOUND if the user has no password; FW_EINVAL if cap is
 * too small. Synchronous (admin and sign-in page use). */
#define FW_PASSWORD_REC_MAX 256
FW_MUSTCHECK int fw_store_user_set_password(fw_store *s, uint64_t user_id, const uint8_t *rec, size_t len);
FW_MUSTCHECK int fw_store_user_get_password(fw_store *s, uint64_t user_id, uint8_t *out, size_t cap, size_t *len);


/* ------------------------------------------------------------------------
 * Developer portal (src/portal/; LMDB: src/store/lmdb_portal.c). Added by
 * issue 14: developer accounts, project ownership and fields, app settings,
 * rename, delete and key regeneration. All synchronous (the portal runs its
 * requests on a work queue). Records are copies the caller owns. */

enum fw_dev_status { FW_DEV_PENDING = 1, FW_DEV_APPROVED = 2 };

/* A developer account: a followd user (its @account and sign-in password)
 * with an approval status. */
typedef struct fw_dev {
    uint64_t user_id;
    uint8_t status; /* enum fw_dev_status */
    int64_t created_at_ms;
} fw_dev;

/* Makes user_id a developer. FW_ENOTFOUND: no such user; FW_EEXISTS: it
 * already is one; FW_EINVAL: bad status. */
FW_MUSTCHECK int fw_store_dev_create(fw_store *s, uint64_t user_id, uint8_t status, int64_t now_ms);
/* FW_ENOTFOUND: not a developer. */
FW_MUSTCHECK int fw_store_dev_get(fw_store *s, uint64_t user_id, fw_dev *out);
/* FW_ENOTFOUND: not a developer; FW_EINVAL: bad status. */
FW_MUSTCHECK int fw_store_dev_set_status(fw_store *s, uint64_t user_id, uint8_t status);

enum fw_environment { FW_ENV_DEVELOPMENT = 0, FW_ENV_STAGING = 1, FW_ENV_PRODUCTION = 2 };
#define FW_PROJECT_NAME_MAX 64
#define FW_USE_CASE_MAX 1000

/* A project with its portal fields. Projects made by fw_store_project_create
 * (CLI, demo) have owner_id 0, no use case and environment development. */
typedef struct fw_project {
    uint64_t id;
    uint64_t owner_id;     /* developer (user id); 0 = none (admin-made) */
    uint8_t access_level;  /* enum fw_access_level */
    uint8_t environment;   /* enum fw_environment */
    int64_t created_at_ms; /* 0 when unknown (admin-made) */
    fw_str name;
    fw_str use_case;
} fw_project;
typedef struct fw_project_rec {
    fw_project p;
    char *strs[2];
} fw_project_rec;
void fw_project_rec_free(fw_project_rec *r);

/* Creates a project owned by owner_id (a developer) in one transaction.
 * FW_EINVAL: name empty or over FW_PROJECT_NAME_MAX, use case over
 * FW_USE_CASE_MAX, bad environment or level; FW_ENOTFOUND: owner not a developer. */
FW_MUSTCHECK int fw_store_project_create_owned(fw_store *s, uint64_t owner_id, fw_str name, fw_str use_case,
                                               uint8_t environment, uint8_t access_level, int64_t now_ms,
                                               uint64_t *id_out);
/* FW_ENOTFOUND: no such project. */
FW_MUSTCHECK int fw_store_project_get(fw_store *s, uint64_t id, fw_project_rec *out);
/* Renames and sets use case and environment (owner and level unchanged).
 * Same limits as create. */
FW_MUSTCHECK int fw_store_project_update(fw_store *s, uint64_t id, fw_str name, fw_str use_case, uint8_t environment);
/* Deletes a project. FW_EBUSY when it has apps and !with_apps; with_apps
 * deletes them too (as fw_store_app_delete), all in one transaction. */
FW_MUSTCHECK int fw_store_project_delete(fw_store *s, uint64_t id, bool with_apps);
/* Calls fn for every project owned by owner_id, in id (creation) order; fn
 * returns non-zero to stop. Borrowed for the call. (LMDB: scans the project
 * table: fine for thousands of projects; a networked backend indexes owner.) */
FW_MUSTCHECK int fw_store_project_scan_owner(fw_store *s, uint64_t owner_id,
                                             int (*fn)(void *ctx, const fw_project *p), void *ctx);

/* App permission (User authentication settings): what user tokens may do. */
enum { FW_APP_PERM_READ_WRITE = 0, FW_APP_PERM_READ = 1 };
#define FW_WEBSITE_MAX 1024

/* Portal-only app settings beside the app record. */
typedef struct fw_app_settings {
    uint8_t permission;   /* FW_APP_PERM_* (also in fw_app.permission) */
    fw_str website_url;   /* may be empty */
    fw_str dev_token;     /* the owner's own OAuth 1.0a access token (public part), empty = none */
} fw_app_settings;
typedef struct fw_app_settings_rec {
    fw_app_settings s;
    char *strs[2];
} fw_app_settings_rec;
void fw_app_settings_rec_free(fw_app_settings_rec *r);
/* Defaults (read+write, empty strings) when the app has none; FW_ENOTFOUND: no app. */
FW_MUSTCHECK int fw_store_app_settings_get(fw_store *s, uint64_t app_id, fw_app_settings_rec *out);
/* Sets name, client type, callback URIs ('\n'-joined), permission and website
 * in one transaction. Turning confidential -> public drops the client secret;
 * public -> confidential generates one. FW_EINVAL: empty name, a field over
 * its limit, bad type or permission; FW_ENOTFOUND: no app. */
FW_MUSTCHECK int fw_store_app_update(fw_store *s, uint64_t app_id, fw_str name, uint8_t client_type,
                                     fw_str redirect_uris, uint8_t permission, fw_str website_url);
/* Records the owner's own OAuth 1.0a access token (empty = none). */
FW_MUSTCHECK int fw_store_app_set_dev_token(fw_store *s, uint64_t app_id, fw_str token);
/* Deletes an app, its key indexes and settings. Its credentials stay in the
 * table but no longer authenticate (every lookup loads the app). */
FW_MUSTCHECK int fw_store_app_delete(fw_store *s, uint64_t app_id);
#define FW_REGEN_CONSUMER 1u      /* new API key and secret (OAuth 1.0a tokens signed with the old key stop) */
#define FW_REGEN_CLIENT_SECRET 2u /* new OAuth 2.0 client secret (confidential clients only) */
/* Regenerates what (FW_REGEN_* bits) and returns the updated app (owned).
 * FW_EINVAL: nothing to regenerate (e.g. a client secret of a public client). */
FW_MUSTCHECK int fw_store_app_regenerate(fw_store *s, uint64_t app_id, unsigned what, fw_app_rec *out);

/* ------------------------------------------------------------------------
 * Whole-database copies (cli/migrate.c, store_migrate.c): added by issue 9. */
/* The portal fields of project p->id (owner, environment, created, use case)
 * set verbatim, name and level unchanged. FW_ENOTFOUND: no such project;
 * FW_EINVAL: a field over its limit. */
FW_MUSTCHECK int fw_store_project_info_put(fw_store *s, const fw_project *p);
/* An app's portal settings (permission, website, the owner's token) set
 * verbatim. FW_ENOTFOUND: no such app; FW_EINVAL: a field over its limit. */
FW_MUSTCHECK int fw_store_app_settings_put(fw_store *s, uint64_t app_id, const fw_app_settings *st);

/* A whole-database copy (cli/migrate.c) is an import plus everything else the
 * source holds: fw_store_migrate_begin is fw_store_import_begin, except that
 * with overwrite a non-empty target is accepted and emptied by the commit;
 * fw_store_migrate_commit commits the graph and copies from `from` its
 * projects with their portal fields, apps with their settings, credentials,
 * developer accounts, sign-in passwords and the store secret. PostgreSQL: all
 * of it (and the overwrite's delete) in the import's one transaction, so any
 * failure leaves the target as it was. LMDB: the graph's transaction, then one
 * per record, so cli/migrate.c builds an LMDB target in a fresh directory and
 * renames it into place. On failure *st names the record (what, what_id).
 * Counters count what was written. */
typedef struct fw_migrate_stats {
    uint64_t projects, apps, creds, devs, passwords;
    const char *what; /* static string, NULL = the target itself */
    uint64_t what_id;
} fw_migrate_stats;
/* Every developer account / sign-in password record in user id order (what
 * the commit copies: one scan each, not one lookup per user); fn returns
 * non-zero to stop; records are borrowed for the call. */
typedef int (*fw_dev_fn)(void *ctx, const fw_dev *d);
FW_MUSTCHECK int fw_store_dev_scan(fw_store *s, fw_dev_fn fn, void *ctx);
typedef int (*fw_password_fn)(void *ctx, uint64_t user_id, const uint8_t *rec, size_t len);
FW_MUSTCHECK int fw_store_password_scan(fw_store *s, fw_password_fn fn, void *ctx);
FW_MUSTCHECK int fw_store_migrate_begin(fw_store *s, bool overwrite, fw_import **out);
FW_MUSTCHECK int fw_store_migrate_commit(fw_import *im, fw_store *from,
                                         void (*progress)(void *ctx, const char *phase, uint64_t done, uint64_t total),
                                         void *ctx, uint64_t *dup, fw_migrate_stats *st);

#endif
