/* Admin functions for projects, apps and credentials (LMDB backend).
 * App secrets are generated here from the system RNG; bearer tokens are never
 * stored, only the SHA-256 the caller hands in. */
#include "store/lmdb_internal.h"

#include <stdlib.h>

#include "core/clock.h"
#include "core/codec.h"
#include "core/secret.h"



static int put_bytes(fw_lmdb_wtx *w, int db, const void *k, size_t kn, const void *d, size_t dn, unsigned flags)
{
    MDB_val key = {kn, (void *)k}, v = {dn, (void *)d};
    return fw_lmdb_err(mdb_put(w->txn, w->s->dbi[db], &key, &v, flags));
}

/* ---- projects ---- */

uint8_t *fw_lmdb_project_pack(fw_str name, uint8_t access_level, size_t *len)
{
    uint8_t *b = malloc(1 + name.len);
    if (!b)
        return NULL;
    b[0] = access_level;
    if (name.len)
        memcpy(b + 1, name.p, name.len);
    *len = 1 + name.len;
    return b;
}

int fw_lmdb_project_create(fw_store *s, fw_str name, uint8_t access_level, uint64_t *id_out)
{
    if (access_level > FW_ACCESS_ENTERPRISE || name.len > FW_FIELD_MAX || (name.len && !name.p))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    uint64_t id;
    if ((rc = fw_lmdb_next_id(&w, &id)))
        return fw_lmdb_wtx_finish(&w, rc);
    size_t len;
    uint8_t *b = fw_lmdb_project_pack(name, access_level, &len);
    if (!b)
        return fw_lmdb_wtx_finish(&w, FW_EIO);
    uint8_t k[8];
    be64_put(k, id);
    rc = put_bytes(&w, DB_PROJECTS, k, 8, b, len, MDB_NOOVERWRITE);
    free(b);
    rc = fw_lmdb_wtx_finish(&w, rc);
    if (!rc && id_out)
        *id_out = id;
    return rc;
}

int fw_lmdb_project_set_level(fw_store *s, uint64_t project_id, uint8_t access_level)
{
    if (access_level > FW_ACCESS_ENTERPRISE)
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val v;
    if ((rc = fw_lmdb_get_id(w.txn, s, DB_PROJECTS, project_id, &v)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (v.mv_size < 1)
        return fw_lmdb_wtx_finish(&w, FW_EIO);
    uint8_t *b = malloc(v.mv_size);
    if (!b)
        return fw_lmdb_wtx_finish(&w, FW_EIO);
    memcpy(b, v.mv_data, v.mv_size);
    b[0] = access_level;
    uint8_t k[8];
    be64_put(k, project_id);
    rc = put_bytes(&w, DB_PROJECTS, k, 8, b, v.mv_size, 0);
    free(b);
    return fw_lmdb_wtx_finish(&w, rc);
}

/* ---- apps ---- */

/* Random credential strings, retried in the (astronomically unlikely) case
 * they collide with an existing app's index entry. */
int fw_lmdb_gen_unique(fw_lmdb_wtx *w, int db, char *out, bool alnum, size_t n)
{
    for (int tries = 0; tries < 8; tries++) {
        size_t len;
        if (alnum) {
            if (fw_random_alnum(out, n) < 0)
                return FW_EIO;
            len = n;
        } else {
            uint8_t raw[CLIENT_ID_BYTES];
            if (fw_random_bytes(raw, n) < 0)
                return FW_EIO;
            len = fw_b64url_encode(raw, n, out);
        }
        if (db < 0)
            return 0;
        MDB_val key = {len, out}, v;
        int rc = mdb_get(w->txn, w->s->dbi[db], &key, &v);
        if (rc == MDB_NOTFOUND)
            return 0;
        if (rc)
            return fw_lmdb_err(rc);
    }
    return FW_EIO;
}

int fw_lmdb_app_create(fw_store *s, fw_str name, uint64_t project_id, uint8_t client_type, fw_str redirect_uris,
                        fw_app_rec *out)
{
    memset(out, 0, sizeof(*out));
    if (name.len > FW_FIELD_MAX || redirect_uris.len > FW_FIELD_MAX || client_type > FW_CLIENT_PUBLIC ||
        (name.len && !name.p) || (redirect_uris.len && !redirect_uris.p))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    char ck[CONSUMER_KEY_LEN + 1], cs[CONSUMER_SECRET_LEN + 1], cid[48], csec[64] = "";
    uint8_t raw[CLIENT_SECRET_BYTES];
    fw_app a = {.project_id = project_id, .client_type = client_type, .name = name, .redirect_uris = redirect_uris};
    MDB_val pv;
    if (project_id && (rc = fw_lmdb_get_id(w.txn, s, DB_PROJECTS, project_id, &pv)))
        return fw_lmdb_wtx_finish(&w, rc);
    if ((rc = fw_lmdb_gen_unique(&w, DB_APP_CK, ck, true, CONSUMER_KEY_LEN)) ||
        (rc = fw_lmdb_gen_unique(&w, -1, cs, true, CONSUMER_SECRET_LEN)) ||
        (rc = fw_lmdb_gen_unique(&w, DB_APP_CID, cid, false, CLIENT_ID_BYTES)))
        return fw_lmdb_wtx_finish(&w, rc);
    /* Public OAuth 2.0 clients cannot keep a secret, so they get none. */
    if (client_type == FW_CLIENT_CONFIDENTIAL) {
        if (fw_random_bytes(raw, sizeof(raw)) < 0)
            return fw_lmdb_wtx_finish(&w, FW_EIO);
        fw_b64url_encode(raw, sizeof(raw), csec);
    }
    a.consumer_key = fw_str_c(ck);
    a.consumer_secret = fw_str_c(cs);
    a.client_id = fw_str_c(cid);
    a.client_secret = fw_str_c(csec);
    if ((rc = fw_lmdb_next_id(&w, &a.id)))
        return fw_lmdb_wtx_finish(&w, rc);
    uint8_t idb[8];
    be64_put(idb, a.id);
    if ((rc = fw_lmdb_put_rec(&w, DB_APPS, a.id, &a, MDB_NOOVERWRITE)) ||
        (rc = put_bytes(&w, DB_APP_CK, ck, a.consumer_key.len, idb, 8, MDB_NOOVERWRITE)) ||
        (rc = put_bytes(&w, DB_APP_CID, cid, a.client_id.len, idb, 8, MDB_NOOVERWRITE)))
        return fw_lmdb_wtx_finish(&w, rc);
    fw_app full;
    if ((rc = fw_lmdb_app_get(s, w.txn, a.id, &full)))
        return fw_lmdb_wtx_finish(&w, rc);
    fw_rec_app_fill(out, &full);
    rc = fw_lmdb_wtx_finish(&w, 0);
    if (rc)
        fw_app_rec_free(out);
    return rc;
}

int fw_lmdb_app_get_rec(fw_store *s, uint64_t id, fw_app_rec *out)
{
    memset(out, 0, sizeof(*out));
    MDB_txn *txn;
    if (fw_lmdb_rtxn_get(s, &txn))
        return FW_EIO;
    fw_app a;
    int rc = fw_lmdb_app_get(s, txn, id, &a);
    if (!rc)
        fw_rec_app_fill(out, &a);
    fw_lmdb_rtxn_put(s, txn);
    return rc;
}

typedef struct app_scan {
    int (*fn)(void *ctx, const fw_app *a);
    void *ctx;
} app_scan;

static int app_row(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v)
{
    app_scan *as = ctx;
    fw_app a;
    if (k->mv_size != 8)
        return FW_EIO;
    int rc = fw_lmdb_app_get(s, txn, be64_get(k->mv_data), &a);
    return rc ? rc : as->fn(as->ctx, &a) != 0;
}

int fw_lmdb_app_scan(fw_store *s, int (*fn)(void *ctx, const fw_app *a), void *ctx)
{
    app_scan as = {fn, ctx};
    return fw_lmdb_scan(s, DB_APPS, 0, 0, app_row, &as);
}

int fw_lmdb_app_set_bearer_gen(fw_store *s, uint64_t app_id, uint32_t gen)
{
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    fw_app a;
    if ((rc = fw_lmdb_app_get(s, w.txn, app_id, &a)))
        return fw_lmdb_wtx_finish(&w, rc);
    /* Generations only move forward: a caller acting on a stale read must not
     * bring back a token that was invalidated meanwhile. */
    if (gen <= a.bearer_gen)
        return fw_lmdb_wtx_finish(&w, 0);
    a.bearer_gen = gen;
    /* a's strings point into the map; fw_lmdb_put_rec packs a copy before writing */
    return fw_lmdb_wtx_finish(&w, fw_lmdb_put_rec(&w, DB_APPS, a.id, &a, 0));
}

/* ---- credentials ---- */

int fw_lmdb_cred_put(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, const fw_cred *c)
{
    uint8_t kb[1 + FW_TOKEN_MAX];
    size_t kn;
    if (!fw_rec_cred_valid(c) || !fw_rec_cred_key(c->kind == FW_CRED_OAUTH1_USER, hash, oauth1_token, kb, &kn))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    fw_app a;
    fw_user u;
    if ((rc = fw_lmdb_app_get(s, w.txn, c->app_id, &a)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (c->user_id && (rc = fw_lmdb_user_get(w.txn, s, c->user_id, &u, NULL)))
        return fw_lmdb_wtx_finish(&w, rc);
    size_t n = fw_lmdb_cred_size(c);
    uint8_t *b = malloc(n);
    if (!b)
        return fw_lmdb_wtx_finish(&w, FW_EIO);
    fw_lmdb_cred_pack(c, b);
    rc = put_bytes(&w, DB_CREDS, kb, kn, b, n, 0);
    free(b);
    return fw_lmdb_wtx_finish(&w, rc);
}

/* Read and write in one write transaction: LMDB runs one writer at a time,
 * so the revoked flag is test-and-set. */
int fw_lmdb_cred_revoke(fw_store *s, const uint8_t hash[32], fw_str oauth1_token, bool *was_live)
{
    uint8_t kb[1 + FW_TOKEN_MAX];
    size_t kn;
    if (was_live)
        *was_live = false;
    if (!fw_rec_cred_key(!hash, hash, oauth1_token, kb, &kn))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val key = {kn, kb}, v;
    if ((rc = mdb_get(w.txn, s->dbi[DB_CREDS], &key, &v)))
        return fw_lmdb_wtx_finish(&w, fw_lmdb_err(rc));
    if (v.mv_size <= CRED_OFF_REVOKED)
        return fw_lmdb_wtx_finish(&w, FW_EIO);
    if (((const uint8_t *)v.mv_data)[CRED_OFF_REVOKED]) {
        fw_lmdb_wtx_abort(&w); /* already revoked: nothing to write */
        return FW_OK;
    }
    uint8_t *b = malloc(v.mv_size);
    if (!b)
        return fw_lmdb_wtx_finish(&w, FW_EIO);
    memcpy(b, v.mv_data, v.mv_size);
    b[CRED_OFF_REVOKED] = 1;
    rc = put_bytes(&w, DB_CREDS, kb, kn, b, v.mv_size, 0);
    free(b);
    rc = fw_lmdb_wtx_finish(&w, rc);
    if (rc == FW_OK && was_live)
        *was_live = true;
    return rc;
}

/* A grant's revocation is one record, checked by fw_store_auth: a constant-time
 * write however many tokens the grant has minted, and tokens issued under it
 * afterwards (a refresh racing the revocation) are covered too. */
int fw_lmdb_grant_revoke(fw_store *s, uint64_t grant_id)
{
    if (grant_id == 0)
        return FW_EINVAL;
    uint8_t k[8], v[8];
    be64_put(k, grant_id);
    le64_put(v, (uint64_t)fw_now_ms());
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    rc = put_bytes(&w, DB_GRANTS_REVOKED, k, sizeof k, v, sizeof v, MDB_NOOVERWRITE);
    if (rc == FW_EEXISTS) {
        fw_lmdb_wtx_abort(&w); /* already revoked */
        return FW_OK;
    }
    return fw_lmdb_wtx_finish(&w, rc);
}
