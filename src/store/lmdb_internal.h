/* Private to the LMDB backend of the store (src/store/lmdb_*.c): the store
 * object, the named databases, record encodings and the graph primitives
 * shared by the request path, the admin functions and the checker.
 *
 * Key layout (schema 3; integers in keys and in sorted duplicates are
 * big-endian so byte order is numeric order, except the users table's; values
 * are decoded with memcpy because LMDB only guarantees 2-byte alignment):
 *   meta       "schema" u32, "secret" 32 bytes, "edge_seq" u64, "last_id" u64,
 *              "next_ord" u32 (the next user ordinal; ordinals are never reused)
 *   urec       ordinal -> packed user, id included (lmdb_codec.c); every user
 *              has a dense 4-byte ordinal and the adjacency tables name users
 *              by it, so a list entry reaches its user in one descent. The key
 *              is a native-endian u32 (MDB_INTEGERKEY): LMDB compares it as an
 *              integer instead of calling memcmp at every node of the descent
 *   uid        id -> ordinal be32 (lookups by id, and id order for scans)
 *   unames     lower-cased username -> ordinal be32
 *   tweets     id -> packed tweet
 * The adjacency tables are DUPSORT|DUPFIXED with 10-byte duplicates under the
 * owner's 4-byte ordinal (docs/benchmarks.md "Storage" says why this size):
 *   list entry  be48(LIST_BIT | (SEQ_MAX - seq)), be32(other ordinal): newest first
 *   index entry be32(dst ordinal), be48(PENDING_BIT | seq)   (ordinal < 2^31: top bit 0)
 *   fol_in     owner -> list entries of its followers
 *   fol_out    src -> list entries of whom it follows, and one index entry per
 *              relation src -> dst (FOLLOWING or PENDING), found with
 *              MDB_GET_BOTH_RANGE; index entries sort before list entries, so
 *              sharing the key halves the per-owner overhead
 *   rq_in      owner -> list entries of pending requests to owner
 *   rq_out     owner -> list entries of its pending requests
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

#include "store/backend.h"

enum {
    DB_META, DB_USERS, DB_UNAMES, DB_TWEETS, DB_FOLLOWERS, DB_FOLLOWING, DB_REQ_IN, DB_REQ_OUT, DB_UID,
    DB_PROJECTS, DB_APPS, DB_APP_CK, DB_APP_CID, DB_CREDS, DB_PASSWORDS, DB_GRANTS_REVOKED,
    DB_DEVS, DB_PROJ_INFO, DB_APP_SET, /* developer portal (lmdb_portal.c) */
    DB_CHANGES,                        /* the change log (lmdb_changes.c) */
    DB_COUNT
};

#define FW_SCHEMA_VERSION 3u

struct fw_lmdb_writer;
struct fw_lmdb_txn_pool;

struct fw_store {
    fw_store_hdr hdr; /* first: store.c dispatches through hdr.ops */
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    bool read_only;
    bool bulk; /* MDB_NOSYNC while bulk loading; one forced sync at close */
    bool meta_async; /* MDB_NOMETASYNC (every other writable open): see fw_lmdb_wtx.meta_later */
    bool no_grants_db; /* read-only open of a database from before DB_GRANTS_REVOKED: none revoked */
    uint32_t absent;   /* bit per DB_*: a table added later, missing in a read-only open (reads find nothing) */
    uint8_t secret[32];
    struct fw_lmdb_writer *writer;   /* NULL when read-only */
    struct fw_lmdb_txn_pool *rpool;  /* idle reset read txns */
    struct fw_lmdb_cards *cards;     /* user cards (lmdb_cards.c); NULL when off */
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

/* ---- adjacency entries (schema 2, see the key layout above) ---- */
#define ADJ_ENT 10                           /* bytes per duplicate */
#define ADJ_SEQ_MAX ((UINT64_C(1) << 47) - 1) /* writes beyond it are refused (FW_EFULL) */
#define ADJ_ORD_MAX UINT32_C(0x7FFFFFFE)     /* likewise for new users */
#define ADJ_HI_BIT (UINT64_C(1) << 47)       /* list entry marker / index PENDING bit */
static inline void be48_put(uint8_t *p, uint64_t v)
{
    for (int i = 5; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint64_t be48_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = (v << 8) | p[i];
    return v;
}
static inline void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}
static inline uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline bool adj_is_list(const uint8_t *d) { return (d[0] & 0x80) != 0; }
/* seq <= ADJ_SEQ_MAX, ord <= ADJ_ORD_MAX (callers check) */
static inline void adj_list_enc(uint8_t d[ADJ_ENT], uint64_t seq, uint32_t ord)
{
    be48_put(d, ADJ_HI_BIT | (ADJ_SEQ_MAX - seq));
    be32_put(d + 6, ord);
}
static inline void adj_list_dec(const uint8_t *d, uint64_t *seq, uint32_t *ord)
{
    *seq = ADJ_SEQ_MAX - (be48_get(d) & ADJ_SEQ_MAX);
    *ord = be32_get(d + 6);
}
static inline void adj_idx_enc(uint8_t d[ADJ_ENT], uint32_t ord, bool pending, uint64_t seq)
{
    be32_put(d, ord);
    be48_put(d + 4, (pending ? ADJ_HI_BIT : 0) | seq);
}
static inline void adj_idx_dec(const uint8_t *d, uint32_t *ord, bool *pending, uint64_t *seq)
{
    *ord = be32_get(d);
    uint64_t v = be48_get(d + 4);
    *pending = (v & ADJ_HI_BIT) != 0;
    *seq = v & ADJ_SEQ_MAX;
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
size_t fw_lmdb_user_size(const fw_user *u);
void fw_lmdb_user_pack(const fw_user *u, uint8_t *out);
FW_MUSTCHECK int fw_lmdb_user_unpack(const void *p, size_t n, fw_user *u);
/* Schema 2's user record, for the upgrade. */
FW_MUSTCHECK int fw_lmdb_user_unpack_v2(const void *p, size_t n, fw_user *u);
/* The id of a packed user, without decoding the rest. */
FW_MUSTCHECK int fw_lmdb_user_id_of(const void *p, size_t n, uint64_t *id);
/* The counters the store maintains, which a follow or a tweet rewrites. */
typedef struct fw_lmdb_counts {
    uint64_t most_recent, followers, following, tweets;
} fw_lmdb_counts;
#define USER_RECOUNT_GROW 40 /* what fw_lmdb_user_recount can add: four varints' worth */
FW_MUSTCHECK int fw_lmdb_user_counts(const void *p, size_t n, fw_lmdb_counts *c);
/* Copies packed user p (n bytes) into out (n + USER_RECOUNT_GROW bytes) with
 * counters c; returns the new size, 0 if p does not decode. */
size_t fw_lmdb_user_recount(const void *p, size_t n, const fw_lmdb_counts *c, uint8_t *out);
size_t fw_lmdb_tweet_size(const fw_tweet *t);
void fw_lmdb_tweet_pack(const fw_tweet *t, uint8_t *out);
FW_MUSTCHECK int fw_lmdb_tweet_unpack(const void *p, size_t n, fw_tweet *t);
size_t fw_lmdb_app_size(const fw_app *a);
void fw_lmdb_app_pack(const fw_app *a, uint8_t *out);
FW_MUSTCHECK int fw_lmdb_app_unpack(const void *p, size_t n, fw_app *a); /* access_level left 0 */
#define CRED_OFF_REVOKED 2
#define CRED_OFF_FLAGS 3 /* bit 0: an 8-byte grant id follows the string table */
size_t fw_lmdb_cred_size(const fw_cred *c);
void fw_lmdb_cred_pack(const fw_cred *c, uint8_t *out);
FW_MUSTCHECK int fw_lmdb_cred_unpack(const void *p, size_t n, fw_cred *c);
/* The packed form of the record each id-keyed table holds, for
 * fw_lmdb_put_rec: fw_lmdb_codec_of(DB_TWEETS) packs an fw_tweet, DB_APPS an
 * fw_app; NULL for any other table (users are keyed by ordinal: fw_lmdb_user_put). */
typedef struct fw_lmdb_codec {
    size_t (*size)(const void *rec);
    void (*pack)(const void *rec, uint8_t *out);
} fw_lmdb_codec;
const fw_lmdb_codec *fw_lmdb_codec_of(int db);

/* ---- lmdb_graph.c: primitives inside a write txn ---- */
typedef struct fw_lmdb_wtx {
    fw_store *s;
    MDB_txn *txn;
    uint64_t seq;       /* last edge sequence number handed out */
    bool seq_loaded, seq_dirty;
    /* What the commit changes, for the change log (lmdb_changes.c): with
     * precise set, exactly the users in touched[] (nothing visible if none);
     * otherwise anything (a wildcard entry). Only the graph writer knows its
     * effects precisely; every other write path logs a wildcard. */
    bool precise, overflow;
    uint32_t ntouched, cap;
    uint64_t *touched; /* owned; freed by commit and abort */
    /* Under MDB_NOMETASYNC a commit flushes its data pages but not the meta
     * page naming them; commit flushes that too unless meta_later is set by a
     * caller that flushes before acknowledging (the group-commit writer). */
    bool meta_later;
} fw_lmdb_wtx;

FW_MUSTCHECK int fw_lmdb_wtx_begin(fw_store *s, fw_lmdb_wtx *w);
/* Begins a write txn and loads user id into *u (borrowed from the txn) and
 * its ordinal into *ord (when not NULL); on
 * failure the txn is already aborted. fw_err, FW_ENOTFOUND for no such user. */
FW_MUSTCHECK int fw_lmdb_wtx_begin_user(fw_store *s, fw_lmdb_wtx *w, uint64_t id, fw_user *u, uint32_t *ord);
/* Stores the sequence counter and commits; aborts on any failure. Returns FW_*. */
FW_MUSTCHECK int fw_lmdb_wtx_commit(fw_lmdb_wtx *w);
void fw_lmdb_wtx_abort(fw_lmdb_wtx *w);
/* Commits if rc is FW_OK, aborts otherwise (rc is an fw_err, never an LMDB
 * code). Returns the fw_err result. */
FW_MUSTCHECK int fw_lmdb_wtx_finish(fw_lmdb_wtx *w, int rc);
/* Packs rec (the fw_tweet or fw_app that db holds: DB_TWEETS, DB_APPS) and puts it under the 8-byte big-endian key id; fw_err.
 * rec's strings may point into the map: it is packed into a copy first. */
FW_MUSTCHECK int fw_lmdb_put_rec(fw_lmdb_wtx *w, int db, uint64_t id, const void *rec, unsigned flags);

/* Looks up the 8-byte big-endian key id in db: FW_OK with *v borrowed from
 * the map, FW_ENOTFOUND, or another fw_err. Works in read and write txns. */
FW_MUSTCHECK int fw_lmdb_get_id(MDB_txn *txn, fw_store *s, int db, uint64_t id, MDB_val *v);
/* Rewrites the counters of the user with ordinal ord through patch; fw_err,
 * FW_ENOTFOUND if there is no such user. */
FW_MUSTCHECK
int fw_lmdb_user_patch(fw_lmdb_wtx *w, uint32_t ord, void (*patch)(fw_lmdb_counts *c, const void *arg),
                       const void *arg);
/* Packs u and puts it under ordinal ord (flags: mdb_put's); fw_err. u's
 * strings may point into the map: it is packed into a copy first. */
FW_MUSTCHECK int fw_lmdb_user_put(MDB_txn *txn, fw_store *s, uint32_t ord, const fw_user *u, unsigned flags);
/* Fetches a user by id, and its ordinal when ord is not NULL; FW_OK,
 * FW_ENOTFOUND, FW_EIO (also for an id whose ordinal has no record). */
FW_MUSTCHECK int fw_lmdb_user_get(MDB_txn *txn, fw_store *s, uint64_t id, fw_user *u, uint32_t *ord);
/* Fetches the user with ordinal ord; FW_OK, FW_ENOTFOUND, FW_EIO. */
FW_MUSTCHECK int fw_lmdb_user_get_ord(MDB_txn *txn, fw_store *s, uint32_t ord, fw_user *u);
/* The users table's key for ordinal ord (native-endian, MDB_INTEGERKEY). */
static inline MDB_val fw_lmdb_ord_key(const uint32_t *ord) { return (MDB_val){sizeof(*ord), (void *)ord}; }
/* Relationship src -> dst: FW_REL_* and its edge sequence (0 if none); FW_OK
 * or FW_EIO (also for a malformed record). */
FW_MUSTCHECK int fw_lmdb_rel_get(MDB_txn *txn, fw_store *s, uint64_t src, uint64_t dst, uint8_t *state, uint64_t *seq);
/* A user's ordinal (DB_UID) and back (the id in its record): FW_OK, FW_ENOTFOUND, FW_EIO. */
FW_MUSTCHECK int fw_lmdb_user_ord(MDB_txn *txn, fw_store *s, uint64_t id, uint32_t *ord);
FW_MUSTCHECK int fw_lmdb_ord_id(MDB_txn *txn, fw_store *s, uint32_t ord, uint64_t *id);
/* Gives new user id the next ordinal (FW_EFULL past ADJ_ORD_MAX) / removes
 * its ordinal (never reused) and its record; fw_err. */
FW_MUSTCHECK int fw_lmdb_ord_assign(fw_lmdb_wtx *w, uint64_t id, uint32_t *ord);
FW_MUSTCHECK int fw_lmdb_ord_drop(fw_lmdb_wtx *w, uint64_t id);
/* fw_lmdb_rel_get by ordinals. */
FW_MUSTCHECK int fw_lmdb_rel_get_ord(MDB_txn *txn, fw_store *s, uint32_t src, uint32_t dst, uint8_t *state,
                                     uint64_t *seq);
/* Raw adjacency writes (the graph code, the v1 conversion, tests): puts or
 * deletes the list entry (seq, other) under owner in db / sets (state
 * FW_REL_FOLLOWING or FW_REL_PENDING) or deletes (FW_REL_NONE) the index
 * entry src -> dst. fw_err; deleting a missing entry is FW_OK. */
FW_MUSTCHECK int fw_lmdb_list_op(MDB_txn *txn, fw_store *s, int db, uint32_t owner, uint64_t seq, uint32_t other,
                                 bool put);
FW_MUSTCHECK int fw_lmdb_idx_set(MDB_txn *txn, fw_store *s, uint32_t src, uint32_t dst, uint8_t state, uint64_t seq);
/* Converts a schema-1 or schema-2 database (from) to this layout inside txn
 * (lmdb_upgrade.c); progress lines go to stderr when it is a terminal. fw_err. */
FW_MUSTCHECK int fw_lmdb_upgrade(fw_store *s, MDB_txn *txn, uint32_t from);
/* Applies one follow-graph write (FW_W_*) with the semantics of store.h.
 * Validation happens before the first change, so a non-OK res->rc leaves the
 * txn untouched; a non-OK return is a storage failure (fw_err; the txn must be aborted). */
FW_MUSTCHECK int fw_lmdb_apply_write(fw_lmdb_wtx *w, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res);
/* Removes every edge and request touching id, fixing the other side's counters; fw_err. */
FW_MUSTCHECK int fw_lmdb_unlink_user(fw_lmdb_wtx *w, uint64_t id);
/* Turns every pending request to owner into a follow, oldest request first; fw_err. */
FW_MUSTCHECK int fw_lmdb_accept_all(fw_lmdb_wtx *w, uint64_t owner);

/* ---- lmdb_changes.c: the change log (see fw_store_changes) ---- */
/* Records that the txn changes what reads of user id return (counters, lists,
 * relationships). Too many ids turn the entry into a wildcard. */
void fw_lmdb_touch(fw_lmdb_wtx *w, uint64_t id);
/* Appends this txn's change-log entry (ids, or a wildcard) and prunes old
 * entries; called by fw_lmdb_wtx_commit and by the bulk importer (which passes
 * wildcard = true). fw_err; the txn must be aborted on failure. */
FW_MUSTCHECK int fw_lmdb_log_changes(fw_store *s, MDB_txn *txn, const fw_lmdb_wtx *w);
int fw_lmdb_changes(fw_store *s, uint64_t since, uint64_t *now, fw_change_fn fn, void *ctx);
/* The same inside txn: calls fn for the entries after since up to txn's own
 * snapshot. FW_OK; FW_ENOTFOUND for a wildcard entry or a log that no longer
 * reaches back to since (fn may have been called for part of it); FW_EIO. */
FW_MUSTCHECK int fw_lmdb_changes_in(fw_store *s, MDB_txn *txn, uint64_t since, fw_change_fn fn, void *ctx);

/* ---- lmdb_cards.c: user cards for default-fields list pages ---- */
/* A set of cards valid for one reader (opaque); see lmdb_cards.c. */
typedef struct fw_lmdb_cardset fw_lmdb_cardset;
/* Sets s->cards up with a budget in bytes (none below 1 MiB, or without a
 * change log); FW_OK or FW_ENOMEM. fw_lmdb_cards_free releases it at close. */
FW_MUSTCHECK int fw_lmdb_cards_new(fw_store *s, size_t budget);
void fw_lmdb_cards_free(fw_store *s);
/* The cards a reader in txn may use, NULL if none; every non-NULL result goes
 * back through fw_lmdb_cards_leave once the reader is done with the users it
 * filled from them (their strings point into the set). */
fw_lmdb_cardset *fw_lmdb_cards_enter(fw_store *s, MDB_txn *txn);
void fw_lmdb_cards_leave(fw_store *s, fw_lmdb_cardset *cs);
/* Fills u's id, flags, name, username and default_json from ordinal ord's
 * card (everything else zero); false if it has none. */
bool fw_lmdb_card_get(fw_lmdb_cardset *cs, uint32_t ord, fw_user *u);
/* Adds ordinal ord's card from u, a user just read in the reader's txn (quietly
 * nothing when the budget is spent or the name has no verbatim copy). */
void fw_lmdb_card_put(fw_lmdb_cardset *cs, uint32_t ord, const fw_user *u);
/* Starts the memory loads of the slots, then the cards, of n ordinals a page
 * is about to read, so that their cache misses overlap instead of following
 * one another. Only a hint. */
void fw_lmdb_cards_prefetch(fw_lmdb_cardset *cs, const uint32_t *ords, size_t n);
/* Starts the prefill thread (see lmdb_cards.c) if the cards are on; FW_OK or
 * FW_ENOMEM. fw_lmdb_cards_free stops and joins it. */
FW_MUSTCHECK int fw_lmdb_cards_prefill(fw_store *s);
/* True once the prefill has ended (or never ran); *filled: cards it added. */
bool fw_lmdb_cards_prefill_state(fw_store *s, size_t *filled);

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
/* A random credential string into out: n alphanumerics (alnum) or the
 * base64url form of n random bytes, retried while db (>= 0) already holds it
 * as a key; FW_OK or fw_err. */
FW_MUSTCHECK int fw_lmdb_gen_unique(fw_lmdb_wtx *w, int db, char *out, bool alnum, size_t n);

/* ---- lmdb_portal.c ---- */
/* The app's permission from its settings record (FW_APP_PERM_READ_WRITE
 * when it has none); FW_OK or FW_EIO. */
FW_MUSTCHECK int fw_lmdb_app_permission(MDB_txn *txn, fw_store *s, uint64_t app_id, uint8_t *perm);
/* The portal's entries of fw_lmdb_ops (store.h, "Developer portal"). */
int fw_lmdb_dev_create(fw_store *s, uint64_t user_id, uint8_t status, int64_t now_ms);
int fw_lmdb_dev_get(fw_store *s, uint64_t user_id, fw_dev *out);
int fw_lmdb_dev_set_status(fw_store *s, uint64_t user_id, uint8_t status);
int fw_lmdb_project_create_owned(fw_store *s, uint64_t owner_id, fw_str name, fw_str use_case, uint8_t environment,
                                 uint8_t access_level, int64_t now_ms, uint64_t *id_out);
int fw_lmdb_project_get(fw_store *s, uint64_t id, fw_project_rec *out);
int fw_lmdb_project_update(fw_store *s, uint64_t id, fw_str name, fw_str use_case, uint8_t environment);
int fw_lmdb_project_delete(fw_store *s, uint64_t id, bool with_apps);
int fw_lmdb_project_scan_owner(fw_store *s, uint64_t owner_id, int (*fn)(void *ctx, const fw_project *p), void *ctx);
int fw_lmdb_app_settings_get(fw_store *s, uint64_t app_id, fw_app_settings_rec *out);
int fw_lmdb_app_update(fw_store *s, uint64_t app_id, fw_str name, uint8_t client_type, fw_str redirect_uris,
                       uint8_t permission, fw_str website_url);
int fw_lmdb_app_set_dev_token(fw_store *s, uint64_t app_id, fw_str token);
int fw_lmdb_app_delete(fw_store *s, uint64_t app_id);
int fw_lmdb_app_regenerate(fw_store *s, uint64_t app_id, unsigned what, fw_app_rec *out);
int fw_lmdb_project_info_put(fw_store *s, const fw_project *p);
int fw_lmdb_app_settings_put(fw_store *s, uint64_t app_id, const fw_app_settings *st);
int fw_lmdb_dev_scan(fw_store *s, fw_dev_fn fn, void *ctx);
int fw_lmdb_password_scan(fw_store *s, fw_password_fn fn, void *ctx);

/* ---- lmdb_store.c: ids ---- */
/* Next snowflake-style id (ms since 2010-11-04 << 22 | sequence), persisted in meta; fw_err. */
FW_MUSTCHECK int fw_lmdb_next_id(fw_lmdb_wtx *w, uint64_t *out);
/* Moves the id counter up to id (never down), so later ids are larger; fw_err. */
FW_MUSTCHECK int fw_lmdb_raise_last_id(MDB_txn *txn, fw_store *s, uint64_t id);

/* ---- the ops table entries (store/backend.h), defined across lmdb_*.c ---- */
/* lmdb_apps.c: a project's record (access level byte, then the name), malloc'd; NULL when out of memory. */
uint8_t *fw_lmdb_project_pack(fw_str name, uint8_t access_level, size_t *len);
/* lmdb_migrate.c */
int fw_lmdb_project_scan(fw_store *s, fw_project_fn fn, void *ctx);
int fw_lmdb_project_put(fw_store *s, uint64_t id, fw_str name, uint8_t access_level);
int fw_lmdb_app_put(fw_store *s, const fw_app *a);
int fw_lmdb_cred_scan(fw_store *s, fw_cred_fn fn, void *ctx);
int fw_lmdb_secret_set(fw_store *s, const uint8_t secret[32]);
int fw_lmdb_wipe(fw_store *s);
int fw_lmdb_project_create(fw_store *s, fw_str name, uint8_t access_level, uint64_t *id_out);
int fw_lmdb_project_set_level(fw_store *s, uint64_t project_id, uint8_t access_level);
int fw_lmdb_app_create(fw_store *s, fw_str name, uint64_t project_id, uint8_t client_type, fw_str redirect_uris, fw_app_rec *out);
int fw_lmdb_app_get_rec(fw_store *s, uint64_t id, fw_app_rec *out);
int fw_lmdb_app_scan(fw_store *s, int (*fn)(void *ctx, const fw_app *a), void *ctx);
int fw_lmdb_app_set_bearer_gen(fw_store *s, uint64_t app_id, uint32_t gen);
int fw_lmdb_cred_put(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c);
int fw_lmdb_cred_revoke(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, bool *was_live);
int fw_lmdb_check(fw_store *s, void (*report)(void *ctx, const char *line), void *ctx);
/* fw_lmdb_check with budget bytes for one range of fol_in/rq_in entries
 * (fw_lmdb_check: FW_LMDB_CHECK_BUDGET; lmdb_check.c says what else it holds);
 * *ranges (when not NULL) gets the number of ranges that needed a walk of
 * fol_in and rq_in, so tests can force several with a small budget. */
#define FW_LMDB_CHECK_BUDGET ((size_t)256 << 20)
int fw_lmdb_check_budget(fw_store *s, size_t budget, unsigned *ranges, void (*report)(void *ctx, const char *line),
                         void *ctx);
int fw_lmdb_user_set_password(fw_store *s, uint64_t user_id, const uint8_t *rec, size_t len);
int fw_lmdb_user_get_password(fw_store *s, uint64_t user_id, uint8_t *out, size_t cap, size_t *len);
uint64_t fw_lmdb_version(fw_store *s);
void fw_lmdb_users(fw_store *s, fw_exec *exec, const fw_users_q *q, fw_users_cb cb, void *ctx);
void fw_lmdb_list(fw_store *s, fw_exec *exec, const fw_list_q *q, fw_list_cb cb, void *ctx);
void fw_lmdb_auth(fw_store *s, fw_exec *exec, const fw_auth_q *q, fw_auth_cb cb, void *ctx);
void fw_lmdb_close(fw_store *s);
const uint8_t *fw_lmdb_secret(fw_store *s);
int fw_lmdb_user_create(fw_store *s, const fw_user *u, uint64_t *id_out);
int fw_lmdb_user_update(fw_store *s, const fw_user *u);
int fw_lmdb_user_delete(fw_store *s, uint64_t id);
int fw_lmdb_user_get_rec(fw_store *s, uint64_t id, fw_user_rec *out);
int fw_lmdb_user_get_by_name(fw_store *s, fw_str username, fw_user_rec *out);
int fw_lmdb_user_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_user *u), void *ctx);
int fw_lmdb_tweet_add(fw_store *s, const fw_tweet *t, uint64_t *id_out);
int fw_lmdb_follow_bulk(fw_store *s, const uint64_t *pairs, size_t n);
int fw_lmdb_write_sync(fw_store *s, uint8_t kind, uint64_t src, uint64_t dst, fw_write_res *res);
void fw_lmdb_write(fw_store *s, fw_exec *exec, uint8_t kind, uint64_t src, uint64_t dst, fw_write_cb cb, void *ctx);
extern const fw_store_ops fw_lmdb_ops;

FW_MUSTCHECK int fw_lmdb_grant_revoke(fw_store *s, uint64_t grant_id);

/* ---- lmdb_import.c, lmdb_export.c (store.h "Bulk import") ---- */
FW_MUSTCHECK int fw_lmdb_import_begin(fw_store *s, fw_import **out);
FW_MUSTCHECK
int fw_lmdb_tweet_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_tweet *t), void *ctx);
FW_MUSTCHECK int fw_lmdb_edge_scan(fw_store *s, int (*fn)(void *ctx, uint8_t rel, uint64_t src, uint64_t dst,
                                                          uint64_t seq),
                                   void *ctx);

#endif