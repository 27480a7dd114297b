/* Verbatim copies for moving a database between stores (store.h "Moving a
 * database between stores"), LMDB backend: projects, apps with their keys,
 * credentials by their stored key, the store secret, and wiping a database. */
#include "store/lmdb_internal.h"

#include <stdlib.h>

#include "core/codec.h"

typedef struct project_scan {
    fw_project_fn fn;
    void *ctx;
} project_scan;

static int project_row(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v)
{
    (void)txn, (void)s;
    project_scan *ps = ctx;
    if (k->mv_size != 8 || v->mv_size < 1)
        return FW_EIO;
    const uint8_t *b = v->mv_data;
    return ps->fn(ps->ctx, be64_get(k->mv_data), (fw_str){(const char *)b + 1, v->mv_size - 1}, b[0]) != 0;
}

int fw_lmdb_project_scan(fw_store *s, fw_project_fn fn, void *ctx)
{
    project_scan ps = {fn, ctx};
    return fw_lmdb_scan(s, DB_PROJECTS, 0, 0, project_row, &ps);
}

static int put_new(fw_lmdb_wtx *w, int db, const void *k, size_t kn, const void *d, size_t dn)
{
    MDB_val key = {kn, (void *)k}, v = {dn, (void *)d};
    return fw_lmdb_err(mdb_put(w->txn, w->s->dbi[db], &key, &v, MDB_NOOVERWRITE));
}

int fw_lmdb_project_put(fw_store *s, uint64_t id, fw_str name, uint8_t access_level)
{
    if (!id || access_level > FW_ACCESS_ENTERPRISE || name.len > FW_FIELD_MAX || (name.len && !name.p))
        return FW_EINVAL;
    size_t len;
    uint8_t *b = fw_lmdb_project_pack(name, access_level, &len);
    if (!b)
        return FW_ENOMEM;
    uint8_t k[8];
    be64_put(k, id);
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (!rc) {
        rc = put_new(&w, DB_PROJECTS, k, 8, b, len);
        if (!rc)
            rc = fw_lmdb_raise_last_id(w.txn, s, id);
        rc = fw_lmdb_wtx_finish(&w, rc);
    }
    free(b);
    return rc;
}

int fw_lmdb_app_put(fw_store *s, const fw_app *a)
{
    const fw_str strs[] = {a->name, a->consumer_key, a->consumer_secret, a->client_id, a->client_secret,
                           a->redirect_uris};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strs[i].len > FW_FIELD_MAX || (strs[i].len && !strs[i].p))
            return FW_EINVAL;
    if (!a->id || a->client_type > FW_CLIENT_PUBLIC || !a->consumer_key.len || a->consumer_key.len > FW_TOKEN_MAX ||
        !a->client_id.len || a->client_id.len > FW_TOKEN_MAX)
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val pv;
    uint8_t idb[8];
    be64_put(idb, a->id);
    if (a->project_id && (rc = fw_lmdb_get_id(w.txn, s, DB_PROJECTS, a->project_id, &pv)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (!(rc = fw_lmdb_put_rec(&w, DB_APPS, a->id, a, MDB_NOOVERWRITE)) &&
        !(rc = put_new(&w, DB_APP_CK, a->consumer_key.p, a->consumer_key.len, idb, 8)) &&
        !(rc = put_new(&w, DB_APP_CID, a->client_id.p, a->client_id.len, idb, 8)))
        rc = fw_lmdb_raise_last_id(w.txn, s, a->id);
    return fw_lmdb_wtx_finish(&w, rc);
}

int fw_lmdb_cred_scan(fw_store *s, fw_cred_fn fn, void *ctx)
{
    MDB_txn *txn;
    if (fw_lmdb_rtxn_get(s, &txn))
        return FW_EIO;
    MDB_cursor *cur = NULL;
    int rc = fw_lmdb_err(mdb_cursor_open(txn, s->dbi[DB_CREDS], &cur));
    MDB_val k, v;
    for (int op = MDB_FIRST; !rc; op = MDB_NEXT) {
        int mrc = mdb_cursor_get(cur, &k, &v, op);
        if (mrc == MDB_NOTFOUND)
            break;
        fw_cred c;
        if (mrc || k.mv_size < 2 || fw_lmdb_cred_unpack(v.mv_data, v.mv_size, &c) < 0) {
            rc = FW_EIO;
            break;
        }
        const uint8_t *kb = k.mv_data;
        bool oauth1 = kb[0] == 'O';
        if ((!oauth1 && (kb[0] != 'H' || k.mv_size != 33)) || oauth1 != (c.kind == FW_CRED_OAUTH1_USER)) {
            rc = FW_EIO;
            break;
        }
        if (c.grant_id && !c.revoked && !s->no_grants_db) {
            uint8_t gk[8];
            be64_put(gk, c.grant_id);
            MDB_val gkey = {sizeof gk, gk}, gv;
            int g = mdb_get(txn, s->dbi[DB_GRANTS_REVOKED], &gkey, &gv);
            if (g == 0)
                c.revoked = true;
            else if (g != MDB_NOTFOUND) {
                rc = FW_EIO;
                break;
            }
        }
        fw_str tok = oauth1 ? (fw_str){(const char *)kb + 1, k.mv_size - 1} : FW_STR_NULL;
        int r = fn(ctx, oauth1 ? NULL : kb + 1, tok, &c);
        if (r) {
            rc = r < 0 ? r : FW_OK; /* a negative fw_err from fn ends the scan with it */
            break;
        }
    }
    if (cur)
        mdb_cursor_close(cur);
    fw_lmdb_rtxn_put(s, txn);
    return rc;
}

int fw_lmdb_secret_set(fw_store *s, const uint8_t secret[32])
{
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val k = {6, "secret"}, v = {32, (void *)secret};
    rc = fw_lmdb_wtx_finish(&w, fw_lmdb_err(mdb_put(w.txn, s->dbi[DB_META], &k, &v, 0)));
    if (!rc)
        memcpy(s->secret, secret, 32);
    return rc;
}

int fw_lmdb_wipe(fw_store *s)
{
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    for (int db = 0; !rc && db < DB_COUNT; db++)
        if (db != DB_META && !(db == DB_GRANTS_REVOKED && s->no_grants_db))
            rc = fw_lmdb_err(mdb_drop(w.txn, s->dbi[db], 0));
    if (!rc) {
        MDB_val k = {8, "edge_seq"};
        int d = mdb_del(w.txn, s->dbi[DB_META], &k, NULL);
        rc = d == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(d);
    }
    return fw_lmdb_wtx_finish(&w, rc);
}

typedef struct password_scan {
    fw_password_fn fn;
    void *ctx;
} password_scan;

static int password_row(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v)
{
    (void)txn, (void)s;
    password_scan *ps = ctx;
    if (k->mv_size != 8 || !v->mv_size || v->mv_size > FW_PASSWORD_REC_MAX)
        return FW_EIO;
    return ps->fn(ps->ctx, be64_get(k->mv_data), v->mv_data, v->mv_size) != 0;
}

int fw_lmdb_password_scan(fw_store *s, fw_password_fn fn, void *ctx)
{
    password_scan ps = {fn, ctx};
    return fw_lmdb_scan(s, DB_PASSWORDS, 0, 0, password_row, &ps);
}
