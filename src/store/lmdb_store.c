/* Lifecycle of the LMDB store: the environment, its named databases, the meta
 * records (schema version, store secret, id generator) and the one
 * translation of LMDB / errno codes into fw_err (fw_lmdb_err).
 *
 * MDB_NOTLS lets a read transaction be used from any thread and lets many be
 * open on one thread, which the request path needs (reads run on event-loop
 * threads, nested reads happen inside callbacks). Commits stay durable: a
 * writable open sets MDB_NOMETASYNC once the schema is in place (before any
 * other thread exists, as mdb_env_set_flags is not thread-safe), and every
 * commit's meta page is flushed before it is acknowledged, by the commit itself
 * or by the group-commit writer's syncer (lmdb_writer.c). A bulk load runs with
 * MDB_NOSYNC instead and syncs at close. */
#include "store/lmdb_internal.h"

#include <string.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/fsdir.h"
#include "core/secret.h"

#define DEFAULT_MAP_SIZE ((size_t)16 << 30)
#define DEFAULT_READERS 512u

static const struct {
    const char *name;
    unsigned flags;
} DBS[DB_COUNT] = {
    [DB_META] = {"meta", 0},
    [DB_USERS] = {"urec", MDB_INTEGERKEY}, /* schema 3; schema 2's id-keyed users and uord: lmdb_upgrade.c */
    [DB_UNAMES] = {"unames", 0},
    [DB_TWEETS] = {"tweets", 0},
    /* schema 2 adjacency (lmdb_internal.h); schema 1's followers, following,
     * req_in, req_out and rel are converted and dropped by lmdb_upgrade.c */
    [DB_FOLLOWERS] = {"fol_in", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_FOLLOWING] = {"fol_out", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_REQ_IN] = {"rq_in", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_REQ_OUT] = {"rq_out", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_UID] = {"uid", 0},
    [DB_PROJECTS] = {"projects", 0},
    [DB_APPS] = {"apps", 0},
    [DB_APP_CK] = {"app_ck", 0},
    [DB_APP_CID] = {"app_cid", 0},
    [DB_CREDS] = {"creds", 0},
    [DB_PASSWORDS] = {"passwords", 0},
    [DB_GRANTS_REVOKED] = {"grants_revoked", 0}, /* grant id (8 bytes BE) -> revoked at (ms, 8 bytes LE) */
    [DB_CHANGES] = {"changes", 0}, /* txn id (8 bytes BE) -> user ids changed (8 bytes LE each); empty = any */
    [DB_DEVS] = {"devs", 0},
    [DB_PROJ_INFO] = {"proj_info", 0},
    [DB_APP_SET] = {"app_set", 0},
};

int fw_lmdb_err(int rc)
{
    switch (rc) {
    case 0: return FW_OK;
    case MDB_NOTFOUND: return FW_ENOTFOUND;
    case ENOENT: return FW_ENOTFOUND; /* mdb_env_open of a missing directory (read-only open) */
    case MDB_KEYEXIST: return FW_EEXISTS;
    /* Out of room, in the map or on the disk (a commit's page writes fail
     * with the errno): the write had no effect and may succeed later. */
    case MDB_MAP_FULL: return FW_EFULL;
    case ENOSPC: return FW_EFULL;
    case EDQUOT: return FW_EFULL;
    case ENOMEM: return FW_ENOMEM;
    default: return FW_EIO;
    }
}

/* The schema version in meta: 0 for a new database. */
static int read_schema(MDB_txn *txn, MDB_dbi meta, uint32_t *ver)
{
    MDB_val k = {6, "schema"}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    *ver = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (!rc && v.mv_size != 4)
        return MDB_INCOMPATIBLE;
    if (!rc)
        *ver = le32_get(v.mv_data);
    return rc;
}

/* Opens every dbi and creates the meta records on first open. A schema-1 or
 * schema-2 database is converted in this transaction by a writable open; a
 * read-only open refuses it with what to run. */
static int init_dbs(fw_store *s, const fw_store_opts *opts)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn);
    if (rc)
        return fw_lmdb_err(rc);
    uint32_t ver = 0;
    rc = mdb_dbi_open(txn, DBS[DB_META].name, s->read_only ? 0 : MDB_CREATE, &s->dbi[DB_META]);
    if (!rc)
        rc = read_schema(txn, s->dbi[DB_META], &ver);
    if (!rc && ver == 0 && s->read_only)
        rc = MDB_NOTFOUND; /* nothing was ever written */
    else if (!rc && (ver > FW_SCHEMA_VERSION || (ver && ver < FW_SCHEMA_VERSION && s->read_only))) {
        if (ver < FW_SCHEMA_VERSION)
            fw_store_open_err(opts, "%s: schema %u (%s) must be converted first: run "
                              "followd db migrate --db %s (any writable open converts it)", opts->path, ver,
                              ver == 1 ? "the old adjacency layout" : "users keyed by id", opts->path);
        else
            fw_store_open_err(opts, "%s: schema %u, this build knows %u", opts->path, ver, FW_SCHEMA_VERSION);
        rc = MDB_INCOMPATIBLE;
    }
    for (int i = 1; i < DB_COUNT && !rc; i++) {
        rc = mdb_dbi_open(txn, DBS[i].name, DBS[i].flags | (s->read_only ? 0 : MDB_CREATE), &s->dbi[i]);
        /* a table added later (grants_revoked, the portal's, the change log) is created by the first
         * writable open; until then nothing is in it */
        if (rc == MDB_NOTFOUND && s->read_only && i >= DB_GRANTS_REVOKED) {
            s->no_grants_db |= i == DB_GRANTS_REVOKED;
            s->absent |= 1u << i;
            rc = 0;
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return fw_lmdb_err(rc);
    }
    MDB_dbi meta = s->dbi[DB_META];
    MDB_val k = {6, "schema"}, v;
    uint8_t b[32];
    if (ver && ver < FW_SCHEMA_VERSION && (rc = fw_lmdb_upgrade(s, txn, ver))) {
        mdb_txn_abort(txn);
        fw_store_open_err(opts, "%s: converting schema %u failed (nothing was changed): %s", opts->path, ver,
                          fw_strerror(rc));
        return rc;
    }
    if (ver != FW_SCHEMA_VERSION && !s->read_only) {
        le32_put(b, FW_SCHEMA_VERSION);
        v = (MDB_val){4, b};
        rc = mdb_put(txn, meta, &k, &v, 0);
    }
    k = (MDB_val){6, "secret"};
    if (!rc)
        rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND && !s->read_only) {
        if (fw_random_bytes(s->secret, 32) < 0) {
            mdb_txn_abort(txn);
            return FW_EIO;
        }
        v = (MDB_val){32, s->secret};
        rc = mdb_put(txn, meta, &k, &v, 0);
    } else if (!rc) {
        if (v.mv_size == 32)
            memcpy(s->secret, v.mv_data, 32);
        else
            rc = MDB_CORRUPTED;
    }
    if (rc) {
        mdb_txn_abort(txn);
        return fw_lmdb_err(rc);
    }
    return fw_lmdb_err(mdb_txn_commit(txn));
}

/* mkdir -p (0700); fw_err, with errno translated as for any other failure. */
static int make_dirs(const char *path)
{
    int rc = fw_mkdirs(path, 0700);
    return rc == FW_EIO ? fw_lmdb_err(errno) : rc;
}

int fw_lmdb_open(const fw_store_opts *opts, fw_store **out)
{
    *out = NULL;
    if (!opts || !opts->path || !*opts->path)
        return FW_EINVAL;
    int rc = opts->read_only ? FW_OK : make_dirs(opts->path);
    if (rc)
        return rc;
    fw_store *s = calloc(1, sizeof(*s));
    if (!s)
        return FW_EIO;
    s->hdr.ops = &fw_lmdb_ops;
    s->read_only = opts->read_only;
    s->bulk = opts->bulk && !opts->read_only;
    rc = mdb_env_create(&s->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(s->env, DB_COUNT + 7); /* + the old tables while converting (lmdb_upgrade.c) */
    if (!rc)
        rc = mdb_env_set_mapsize(s->env, opts->map_size ? opts->map_size : DEFAULT_MAP_SIZE);
    if (!rc)
        rc = mdb_env_set_maxreaders(s->env, opts->max_readers ? opts->max_readers : DEFAULT_READERS);
    if (!rc)
        rc = mdb_env_open(s->env, opts->path,
                           MDB_NOTLS | (s->read_only ? MDB_RDONLY : 0) | (s->bulk ? MDB_NOSYNC : 0), 0600);
    /* A process killed with a read transaction open leaves its reader slot
     * behind, which would pin old pages forever; clear slots of dead pids. */
    if (!rc) {
        int dead = 0;
        mdb_reader_check(s->env, &dead);
    }
    int frc = rc ? fw_lmdb_err(rc) : init_dbs(s, opts);
    if (rc)
        fw_store_open_err(opts, "%s: %s", opts->path, mdb_strerror(rc));
    if (!frc && !s->read_only && !s->bulk)
        s->meta_async = !mdb_env_set_flags(s->env, MDB_NOMETASYNC, 1);
    if (!frc)
        frc = fw_lmdb_rpool_new(s);
    if (!frc)
        frc = fw_lmdb_cards_new(s, opts->user_cache);
    if (!frc && opts->user_cache_prefill)
        frc = fw_lmdb_cards_prefill(s);
    if (!frc && !s->read_only)
        frc = fw_lmdb_writer_start(s);
    if (frc) {
        fw_lmdb_cards_free(s);
        fw_lmdb_rpool_free(s);
        if (s->env)
            mdb_env_close(s->env);
        free(s);
        return frc;
    }
    *out = s;
    return FW_OK;
}

void fw_lmdb_close(fw_store *s)
{
    if (!s)
        return;
    fw_lmdb_cards_free(s); /* first: it stops the prefill, a reader */
    fw_lmdb_writer_stop(s);
    fw_lmdb_rpool_free(s);
    /* A bulk load skipped every fsync; make all of it durable before returning. */
    if (s->bulk)
        mdb_env_sync(s->env, 1);
    mdb_env_close(s->env);
    free(s);
}

const uint8_t *fw_lmdb_secret(fw_store *s) { return s->secret; }

int fw_lmdb_next_id(fw_lmdb_wtx *w, uint64_t *out)
{
    MDB_val k = {7, "last_id"}, v;
    uint64_t last = 0;
    int rc = mdb_get(w->txn, w->s->dbi[DB_META], &k, &v);
    if (rc && rc != MDB_NOTFOUND)
        return fw_lmdb_err(rc);
    if (!rc) {
        if (v.mv_size != 8)
            return FW_EIO;
        last = le64_get(v.mv_data);
    }
    int64_t ms = fw_now_ms() - FW_SNOWFLAKE_EPOCH_MS;
    uint64_t id = ms > 0 ? (uint64_t)ms << 22 : 0;
    if (id <= last)
        id = last + 1; /* same millisecond (or a clock step back): next sequence */
    uint8_t b[8];
    le64_put(b, id);
    v = (MDB_val){8, b};
    if ((rc = mdb_put(w->txn, w->s->dbi[DB_META], &k, &v, 0)))
        return fw_lmdb_err(rc);
    *out = id;
    return 0;
}

int fw_lmdb_raise_last_id(MDB_txn *txn, fw_store *s, uint64_t id)
{
    MDB_val k = {7, "last_id"}, v;
    int rc = mdb_get(txn, s->dbi[DB_META], &k, &v);
    if (rc && rc != MDB_NOTFOUND)
        return fw_lmdb_err(rc);
    if (!rc && v.mv_size != 8)
        return FW_EIO;
    if (!rc && le64_get(v.mv_data) >= id)
        return FW_OK;
    uint8_t b[8];
    le64_put(b, id);
    v = (MDB_val){8, b};
    return fw_lmdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}

/* Opening checked the schema, and the database is a file this process maps:
 * it is ready whenever it is open. */
static int lmdb_schema(fw_store *s, unsigned *current, unsigned *known)
{
    *current = *known = FW_SCHEMA_VERSION;
    return FW_OK;
}

static void lmdb_ready(fw_store *s, fw_exec *exec, fw_ready_cb cb, void *ctx) { cb(ctx, FW_OK); }

/* One process: OAuth state and nonces stay in the callers' memory (store.h). */
static void lmdb_ephem(fw_store *s, fw_exec *exec, const fw_ephem_q *q, fw_ephem_cb cb, void *ctx)
{
    (void)s, (void)exec, (void)q;
    fw_ephem_res res = {.rc = FW_ENOTSUP};
    cb(ctx, &res);
}

static void lmdb_nonce(fw_store *s, fw_exec *exec, fw_str consumer_key, fw_str nonce, int64_t expires_s,
                       int64_t now_s, fw_nonce_cb cb, void *ctx)
{
    (void)s, (void)exec, (void)consumer_key, (void)nonce, (void)expires_s, (void)now_s;
    cb(ctx, FW_ENOTSUP);
}

static int lmdb_lease(fw_store *s, const fw_lease_q *q, fw_lease_res *res)
{
    (void)s, (void)q, (void)res;
    return FW_ENOTSUP;
}

const fw_store_ops fw_lmdb_ops = {
    .name = "lmdb",
    .shares_state = false,
    .ephem = lmdb_ephem,
    .nonce = lmdb_nonce,
    .lease = lmdb_lease,
    .close = fw_lmdb_close,
    .version = fw_lmdb_version,
    .changes = fw_lmdb_changes,
    .secret = fw_lmdb_secret,
    .ready = lmdb_ready,
    .schema = lmdb_schema,
    .users = fw_lmdb_users,
    .list = fw_lmdb_list,
    .auth = fw_lmdb_auth,
    .write = fw_lmdb_write,
    .user_create = fw_lmdb_user_create,
    .user_update = fw_lmdb_user_update,
    .user_delete = fw_lmdb_user_delete,
    .user_get = fw_lmdb_user_get_rec,
    .user_get_by_name = fw_lmdb_user_get_by_name,
    .user_scan = fw_lmdb_user_scan,
    .tweet_add = fw_lmdb_tweet_add,
    .grant_revoke = fw_lmdb_grant_revoke,
    .import_begin = fw_lmdb_import_begin,
    .tweet_scan = fw_lmdb_tweet_scan,
    .edge_scan = fw_lmdb_edge_scan,
    .write_sync = fw_lmdb_write_sync,
    .follow_bulk = fw_lmdb_follow_bulk,
    .project_create = fw_lmdb_project_create,
    .project_set_level = fw_lmdb_project_set_level,
    .app_create = fw_lmdb_app_create,
    .app_get = fw_lmdb_app_get_rec,
    .app_scan = fw_lmdb_app_scan,
    .app_set_bearer_gen = fw_lmdb_app_set_bearer_gen,
    .cred_put = fw_lmdb_cred_put,
    .cred_revoke = fw_lmdb_cred_revoke,
    .check = fw_lmdb_check,
    .user_set_password = fw_lmdb_user_set_password,
    .user_get_password = fw_lmdb_user_get_password,
    .project_scan = fw_lmdb_project_scan,
    .project_put = fw_lmdb_project_put,
    .app_put = fw_lmdb_app_put,
    .cred_scan = fw_lmdb_cred_scan,
    .secret_set = fw_lmdb_secret_set,
    .wipe = fw_lmdb_wipe,
    .dev_create = fw_lmdb_dev_create,
    .dev_get = fw_lmdb_dev_get,
    .dev_set_status = fw_lmdb_dev_set_status,
    .project_create_owned = fw_lmdb_project_create_owned,
    .project_get = fw_lmdb_project_get,
    .project_update = fw_lmdb_project_update,
    .project_delete = fw_lmdb_project_delete,
    .project_scan_owner = fw_lmdb_project_scan_owner,
    .app_settings_get = fw_lmdb_app_settings_get,
    .app_update = fw_lmdb_app_update,
    .app_set_dev_token = fw_lmdb_app_set_dev_token,
    .app_delete = fw_lmdb_app_delete,
    .app_regenerate = fw_lmdb_app_regenerate,
    .project_info_put = fw_lmdb_project_info_put,
    .app_settings_put = fw_lmdb_app_settings_put,
    .dev_scan = fw_lmdb_dev_scan,
    .password_scan = fw_lmdb_password_scan,
    .migrate_begin = fw_migrate_begin_plain,
    .migrate_commit = fw_migrate_commit_plain,
};
