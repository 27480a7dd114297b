/* Lifecycle of the LMDB store: the environment, its named databases, the meta
 * records (schema version, store secret, id generator) and the one
 * translation of LMDB / errno codes into fw_err (fw_lmdb_err).
 *
 * MDB_NOTLS lets a read transaction be used from any thread and lets many be
 * open on one thread, which the request path needs (reads run on event-loop
 * threads, nested reads happen inside callbacks). Commits stay fully durable:
 * no MDB_NOSYNC / MDB_NOMETASYNC (except an explicit bulk load, which syncs at
 * close). */
#include "store/lmdb_internal.h"

#include <string.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/secret.h"

#define DEFAULT_MAP_SIZE ((size_t)16 << 30)
#define DEFAULT_READERS 512u
#define SNOWFLAKE_EPOCH_MS 1288834974657LL

static const struct {
    const char *name;
    unsigned flags;
} DBS[DB_COUNT] = {
    [DB_META] = {"meta", 0},
    [DB_USERS] = {"users", 0},
    [DB_UNAMES] = {"unames", 0},
    [DB_TWEETS] = {"tweets", 0},
    [DB_FOLLOWERS] = {"followers", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_FOLLOWING] = {"following", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_REQ_IN] = {"req_in", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_REQ_OUT] = {"req_out", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_REL] = {"rel", 0},
    [DB_PROJECTS] = {"projects", 0},
    [DB_APPS] = {"apps", 0},
    [DB_APP_CK] = {"app_ck", 0},
    [DB_APP_CID] = {"app_cid", 0},
    [DB_CREDS] = {"creds", 0},
    [DB_PASSWORDS] = {"passwords", 0},
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

/* Opens every dbi and creates the meta records on first open. */
static int init_dbs(fw_store *s)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn);
    if (rc)
        return fw_lmdb_err(rc);
    for (int i = 0; i < DB_COUNT && !rc; i++)
        rc = mdb_dbi_open(txn, DBS[i].name, DBS[i].flags | (s->read_only ? 0 : MDB_CREATE), &s->dbi[i]);
    if (rc) {
        mdb_txn_abort(txn);
        return fw_lmdb_err(rc);
    }
    MDB_dbi meta = s->dbi[DB_META];
    MDB_val k = {6, "schema"}, v;
    uint8_t b[32];
    rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND && !s->read_only) {
        le32_put(b, FW_SCHEMA_VERSION);
        v = (MDB_val){4, b};
        rc = mdb_put(txn, meta, &k, &v, 0);
    } else if (!rc && (v.mv_size != 4 || le32_get(v.mv_data) != FW_SCHEMA_VERSION)) {
        rc = MDB_INCOMPATIBLE;
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

/* mkdir -p: creates path and any missing parents (0700); fw_err. */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return FW_EINVAL;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
            return fw_lmdb_err(errno);
        buf[i] = c;
    }
    return FW_OK;
}

int fw_store_open(const fw_store_opts *opts, fw_store **out)
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
    s->read_only = opts->read_only;
    s->bulk = opts->bulk && !opts->read_only;
    rc = mdb_env_create(&s->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(s->env, DB_COUNT);
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
    int frc = rc ? fw_lmdb_err(rc) : init_dbs(s);
    if (!frc)
        frc = fw_lmdb_rpool_new(s);
    if (!frc && !s->read_only)
        frc = fw_lmdb_writer_start(s);
    if (frc) {
        fw_lmdb_rpool_free(s);
        if (s->env)
            mdb_env_close(s->env);
        free(s);
        return frc;
    }
    *out = s;
    return FW_OK;
}

void fw_store_close(fw_store *s)
{
    if (!s)
        return;
    fw_lmdb_writer_stop(s);
    fw_lmdb_rpool_free(s);
    /* A bulk load skipped every fsync; make all of it durable before returning. */
    if (s->bulk)
        mdb_env_sync(s->env, 1);
    mdb_env_close(s->env);
    free(s);
}

const uint8_t *fw_store_secret(fw_store *s) { return s->secret; }

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
    int64_t ms = fw_now_ms() - SNOWFLAKE_EPOCH_MS;
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
