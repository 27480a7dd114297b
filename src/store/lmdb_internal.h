/* Private to the LMDB backend of the store (src/store/lmdb_*.c): the store
 * object, the named databases, record encodings and the graph primitives
 * shared by the request path, the admin functions and the checker.
 *
 * Key layout (all integers in keys are 8-byte big-endian so byte order is
 * numeric order; values are decoded with memcpy because LMDB only guarantees
 * 2-byte alignment):
 *   meta       "schema" u32, "secret" 32 bytes, "edge_seq" u64, "last_id" u64
 *   users      id -> packed user (lmdb_codec.c)
 *   unames     lower-cased username -> id
 *   tweets     id -> packed tweet
 *   followers  owner -> dup (~seq, follower)   DUPSORT|DUPFIXED, newest first
 *   following  owner -> dup (~seq, followee)   likewise
 *   req_in     owner -> dup (~seq, requester)  pending requests to owner
 *   req_out    owner -> dup (~seq, target)     pending requests by owner
 *   rel        (src, dst) -> state u8 + seq u64 (FOLLOWING or PENDING)
 *   projects   id -> access_level u8 + name
 *   apps       id -> packed app;  app_ck consumer_key -> id;  app_cid client_id -> id
 *   creds      'H' + sha256 | 'O' + oauth1 token -> packed credential
 *   passwords  user id -> scrypt record (auth/password.h)
 *   devs       user id -> developer record (lmdb_portal.c)
 *   proj_info  project id -> owner, environment, created, use case (lmdb_portal.c)
 *   app_set    app id -> permission, website, owner's token (lmdb_portal.c)
 * Ownership: everything returned by a decode borrows the LMDB value it was
 * decoded from and is valid only while that transaction lives. */
#ifndef FW_STORE_LMDB_INTERNAL_H
#define FW_STORE_LMDB_INTERNAL_H

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>

#include "store/store.h"

enum {
    DB_META, DB_USERS, DB_UNAMES, DB_TWEETS, DB_FOLLOWERS, DB_FOLLOWING, DB_REQ_IN, DB_REQ_OUT, DB_REL,
    DB_PROJECTS, DB_APPS, DB_APP_CK, DB_APP_CID, DB_CREDS, DB_PASSWORDS,
    DB_DEVS, DB_PROJ_INFO, DB_APP_SET, /* developer portal (lmdb_portal.c) */
    DB_COUNT
};

#define FW_SCHEMA_VERSION 1u
#define FW_USERNAME_MAX 15
#define FW_FIELD_MAX 65535u /* any stored string field */
#define FW_TOKEN_MAX 256u   /* OAuth 1.0a token string used as a key */

struct fw_lmdb_writer;
struct fw_lmdb_txn_pool;

struct fw_store {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    bool read_only;
    bool bulk; /* MDB_NOSYNC while bulk loading; one forced sync at close */
    uint8_t secret[32];
    struct fw_lmdb_writer *writer;   /* NULL when read-only */
    struct fw_lmdb_txn_pool *rpool;  /* idle reset read txns */
};

/* ---- byte order helpers (keys big-endian, values little-endian) ---- */
static inline void be64_put(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint64_t be64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}
static inline void le64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint64_t le64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline void le32_put(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint32_t le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The one place LMDB and errno codes become fw_err (core/err.h): 0 -> FW_OK,
 * MDB_NOTFOUND and ENOENT -> FW_ENOTFOUND, MDB_KEYEXIST -> FW_EEXISTS, MDB_MAP_FULL ->
 * FW_EFULL, ENOMEM -> FW_ENOMEM, anything else -> FW_EIO. Call it on the
 * result of an mdb_* call (or a static helper that returns one); never on a
 * value that is already an fw_err. */
FW_MUSTCHECK int fw_lmdb_err(int mdb_or_errno);

/* ---- lmdb_codec.c: record encodings ---- */
/* The unpack functions return FW_OK, or FW_EIO for a record that does not
 * decode (a corrupt database). */
/* Offsets of the counters inside a packed user (rewritten in place by the graph code). */
#define USER_OFF_MOST_RECENT 32
#define USER_OFF_FOLLOWERS 40
#define USER_OFF_FOLLOWING 48
#define USER_OFF_TWEETS 56
size_t fw_lmdb_user_size(const fw_user *u);
void fw_lmdb_user_pack(const fw_user *u, uint8_t *out);
FW_MUSTCHECK int fw_lmdb_user_unpack(const void *p, size_t n, fw_user *u);
size_t fw_lmdb_tweet_size(const fw_tweet *t);
void fw_lmdb_tweet_pack(const fw_tweet *t, uint8_t *out);
FW_MUSTCHECK int fw_lmdb_tweet_unpack(const void *p, size_t n, fw_tweet *t);
size_t fw_lmdb_app_size(const fw_app *a);
void fw_lmdb_app_pack(const fw_app *a, uint8_t *out);
FW_MUSTCHECK int fw_lmdb_app_unpack(const void *p, size_t n, fw_app *a); /* access_level left 0 */
#define CRED_OFF_REVOKED 2
size_t fw_lmdb_cred_size(const fw_cred *c);
void fw_lmdb_cred_pack(const fw_cred *c, uint8_t *out);
FW_MUSTCHECK int fw_lmdb_cred_unpack(const void *p, size_t n, fw_cred *c);
/* The packed form of the record each id-keyed table holds, for
 * fw_lmdb_put_rec: fw_lmdb_codec_of(DB_USERS) packs an fw_user, DB_TWEETS an
 * fw_tweet, DB_APPS an fw_app; NULL for any other table. */
typedef struct fw_lmdb_codec {
    size_t (*size)(const void *rec);
    void (*pack)(const void *rec, uint8_t *out);
} fw_lmdb_codec;
const fw_lmdb_codec *fw_lmdb_codec_of(int db);
/* Checks ^[A-Za-z0-9_]{1,15}$ and writes the lower-cased form to out (16 bytes). */
bool fw_lmdb_username_key(fw_str name, char out[FW_USERNAME_MAX + 1]);
/* Every string field of u within FW_FIELD_MAX and a valid username. */
bool fw_lmdb_user_valid(const fw_user *u);

/* ---- lmdb_graph.c: primitives inside a write txn ---- */
typedef struct fw_lmdb_wtx {
    fw_store *s;
    MDB_txn *txn;
    uint64_t seq;       /* last edge sequence number handed out */
    bool seq_loaded, seq_dirty;
} fw_lmdb_wtx;

FW_MUSTCHECK int fw_lmdb_wtx_begin(fw_store *s, fw_lmdb_wtx *w);
/* Begins a write txn and loads user id into *u (borrowed from the txn); on
 * failure the txn is already aborted. fw_err, FW_ENOTFOUND for no such user. */
FW_MUSTCHECK int fw_lmdb_wtx_begin_user(fw_store *s, fw_lmdb_wtx *w, uint64_t id, fw_user *u);
/* Stores the sequence counter and commits; aborts on any failure. Returns FW_*. */
FW_MUSTCHECK int fw_lmdb_wtx_commit(fw_lmdb_wtx *w);
void fw_lmdb_wtx_abort(fw_lmdb_wtx *w);
/* Commits if rc is FW_OK, aborts otherwise (rc is an fw_err, never an LMDB
 * code). Returns the fw_err result. */
FW_MUSTCHECK int fw_lmdb_wtx_finish(fw_lmdb_wtx *w, int rc);
/* Packs rec (the fw_user, fw_tweet or fw_app that db holds: DB_USERS,
 * DB_TWEETS, DB_APPS) and puts it under the 8-byte big-endian key id; fw_err.
 * rec's strings may point into the map: it is packed into a copy first. */
FW_MUSTCHECK int fw_lmdb_put_rec(fw_lmdb_wtx *w, int db, uint64_t id, const void *rec, unsigned flags);

/* Looks up the 8-byte big-endian key id in db: FW_OK with *v borrowed from
 * the map, FW_ENOTFOUND, or another fw_err. Works in read and write txns. */
FW_MUSTCHECK int fw_lmdb_get_id(MDB_txn *txn, fw_store *s, int db, uint64_t id, MDB_val *v);
/* Rewrites user id's packed record through patch, which may change only the
 * fixed-offset counters (USER_OFF_*) of the copy it gets; min is the size the
 * record must have. fw_err; FW_ENOTFOUND if there is no such user. */
FW_MUSTCHECK
int fw_lmdb_user_patch(fw_lmdb_wtx *w, uint64_t id, size_t min, void (*patch)(uint8_t *rec, const void *arg),
                       const void *arg);
/* Fetches a user; FW_OK, FW_ENOTFOUND, FW_EIO. */
FW_MUSTCHECK int fw_lmdb_user_get(MDB_txn *txn, fw_store *s, uint64_t id, fw_user *u);
/* Relationship src -> dst: FW_REL_* and its edge sequence (0 if none); FW_OK
 * or FW_EIO (also for a malformed record). */
FW_MUSTCHECK int fw_lmdb_rel_get(MDB_txn *txn, fw_store *s, uint64_t src, uint64_t dst, uint8_t *state, uint64_t *seq);
/* Applies one follow-graph write (FW_W_*) with the semantics of store.h.
 * Validation happens before the first change, so a non-OK res->rc leaves the
 * txn untouched; a non-OK return is a storage failure (fw_err; the txn must be aborted). */
FW_MUSTCHECK int fw_lmdb_apply_write(fw_lmdb_wtx *w, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res);
/* Removes every edge and request touching id, fixing the other side's counters; fw_err. */
FW_MUSTCHECK int fw_lmdb_unlink_user(fw_lmdb_wtx *w, uint64_t id);
/* Turns every pending request to owner into a follow, oldest request first; fw_err. */
FW_MUSTCHECK int fw_lmdb_accept_all(fw_lmdb_wtx *w, uint64_t owner);

/* ---- lmdb_writer.c: the group-commit writer thread ---- */
FW_MUSTCHECK int fw_lmdb_writer_start(fw_store *s);
void fw_lmdb_writer_stop(fw_store *s); /* drains the queue first */

/* ---- lmdb_read.c: pooled read transactions ---- */
FW_MUSTCHECK int fw_lmdb_rtxn_get(fw_store *s, MDB_txn **out);
void fw_lmdb_rtxn_put(fw_store *s, MDB_txn *txn);
/* Calls row for the entries of the id-keyed db from the first key >= from, in
 * key order, at most limit of them (0 = all), in one pooled read txn. row
 * returns FW_OK to go on, 1 to stop, or an fw_err that ends the scan with it;
 * k and v are borrowed for the call. Returns fw_err. */
typedef int (*fw_lmdb_row_fn)(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v);
FW_MUSTCHECK int fw_lmdb_scan(fw_store *s, int db, uint64_t from, size_t limit, fw_lmdb_row_fn row, void *ctx);
FW_MUSTCHECK int fw_lmdb_rpool_new(fw_store *s);
void fw_lmdb_rpool_free(fw_store *s);

/* Loads an app with its project's access level; FW_OK, FW_ENOTFOUND, FW_EIO. */
FW_MUSTCHECK int fw_lmdb_app_get(fw_store *s, MDB_txn *txn, uint64_t id, fw_app *app);

/* ---- lmdb_apps.c: app credentials ---- */
#define CONSUMER_KEY_LEN 25
#define CONSUMER_SECRET_LEN 50
#define CLIENT_ID_BYTES 25     /* 34 base64url characters */
#define CLIENT_SECRET_BYTES 37 /* 50 base64url characters */
/* A random credential string into out: n alphanumerics (alnum) or the
 * base64url form of n random bytes, retried while db (>= 0) already holds it
 * as a key; FW_OK or fw_err. */
FW_MUSTCHECK int fw_lmdb_gen_unique(fw_lmdb_wtx *w, int db, char *out, bool alnum, size_t n);
/* Fills r with owned copies of a's strings (fw_app_rec_free frees them). */
void fw_lmdb_app_rec_fill(fw_app_rec *r, const fw_app *a);

/* ---- lmdb_portal.c ---- */
/* The app's permission from its settings record (FW_APP_PERM_READ_WRITE
 * when it has none); FW_OK or FW_EIO. */
FW_MUSTCHECK int fw_lmdb_app_permission(MDB_txn *txn, fw_store *s, uint64_t app_id, uint8_t *perm);

/* ---- lmdb_store.c: ids ---- */
/* Next snowflake-style id (ms since 2010-11-04 << 22 | sequence), persisted in meta; fw_err. */
FW_MUSTCHECK int fw_lmdb_next_id(fw_lmdb_wtx *w, uint64_t *out);

#endif
