/* Sign-in password records (LMDB backend): user id -> opaque record. */
#include "store/lmdb_internal.h"

int fw_lmdb_user_set_password(fw_store *s, uint64_t user_id, const uint8_t *rec, size_t len)
{
    if (!rec || len == 0 || len > FW_PASSWORD_REC_MAX)
        return FW_EINVAL;
    fw_lmdb_wtx w;
    fw_user u;
    int rc = fw_lmdb_wtx_begin_user(s, &w, user_id, &u, NULL);
    if (rc)
        return rc;
    uint8_t k[8];
    be64_put(k, user_id);
    MDB_val key = {8, k}, v = {len, (void *)rec};
    if ((rc = mdb_put(w.txn, s->dbi[DB_PASSWORDS], &key, &v, 0))) {
        fw_lmdb_wtx_abort(&w);
        return fw_lmdb_err(rc);
    }
    return fw_lmdb_wtx_commit(&w);
}

int fw_lmdb_user_get_password(fw_store *s, uint64_t user_id, uint8_t *out, size_t cap, size_t *len)
{
    MDB_txn *txn;
    if (fw_lmdb_rtxn_get(s, &txn))
        return FW_EIO;
    MDB_val v;
    int rc = fw_lmdb_get_id(txn, s, DB_PASSWORDS, user_id, &v); /* FW_ENOTFOUND: no password */
    if (rc == FW_OK && v.mv_size > cap) {
        rc = FW_EINVAL;
    } else if (rc == FW_OK) {
        memcpy(out, v.mv_data, v.mv_size);
        *len = v.mv_size;
    }
    fw_lmdb_rtxn_put(s, txn);
    return rc;
}
