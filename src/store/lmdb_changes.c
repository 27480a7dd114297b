/* The change log behind fw_store_changes.
 *
 * Every write transaction appends one entry, keyed by its own transaction id
 * (the version readers see once it commits), listing the users whose reads it
 * changes, or nothing at all for "anything may have changed". Because the
 * entry is part of the transaction, a reader in any process sees the log and
 * the data agree. Each commit also deletes a few of the oldest entries, so the
 * log keeps about LOG_SPAN transactions: a reader further behind than that
 * gets FW_ENOTFOUND and treats everything as changed. */
#include "store/lmdb_internal.h"

#include <stdlib.h>

#define LOG_SPAN 65536u   /* transactions the log reaches back */
#define PRUNE_PER_COMMIT 4 /* > 1, so the log shrinks back after a burst of entries */
#define TOUCH_MAX 1024u    /* ids in one entry; more make it a wildcard */

void fw_lmdb_touch(fw_lmdb_wtx *w, uint64_t id)
{
    if (w->overflow)
        return;
    for (uint32_t i = 0; i < w->ntouched; i++)
        if (w->touched[i] == id)
            return;
    if (w->ntouched == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 16;
        uint64_t *t = cap <= TOUCH_MAX ? realloc(w->touched, cap * sizeof *t) : NULL;
        if (!t) {
            w->overflow = true; /* a wildcard is always correct */
            return;
        }
        w->touched = t;
        w->cap = cap;
    }
    w->touched[w->ntouched++] = id;
}

static int prune(fw_store *s, MDB_txn *txn, uint64_t id)
{
    if (id <= LOG_SPAN)
        return FW_OK;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[DB_CHANGES], &cur);
    if (rc)
        return fw_lmdb_err(rc);
    MDB_val k, v;
    for (int n = 0; n < PRUNE_PER_COMMIT; n++) {
        rc = mdb_cursor_get(cur, &k, &v, n ? MDB_NEXT : MDB_FIRST);
        if (rc || k.mv_size != 8 || be64_get(k.mv_data) + LOG_SPAN >= id)
            break;
        if ((rc = mdb_cursor_del(cur, 0)))
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

int fw_lmdb_log_changes(fw_store *s, MDB_txn *txn, const fw_lmdb_wtx *w)
{
    bool precise = w && w->precise && !w->overflow;
    if (precise && w->ntouched == 0)
        return FW_OK; /* nothing a read shows changed */
    uint64_t id = (uint64_t)mdb_txn_id(txn);
    uint8_t key[8];
    be64_put(key, id);
    size_t n = precise ? w->ntouched : 0;
    MDB_val k = {8, key}, v = {n * 8, (void *)""};
    int rc = mdb_put(txn, s->dbi[DB_CHANGES], &k, &v, n ? MDB_RESERVE : 0);
    if (rc)
        return fw_lmdb_err(rc);
    for (size_t i = 0; i < n; i++)
        le64_put((uint8_t *)v.mv_data + 8 * i, w->touched[i]);
    return prune(s, txn, id);
}

int fw_lmdb_changes_in(fw_store *s, MDB_txn *txn, uint64_t since, fw_change_fn fn, void *ctx)
{
    if (s->absent & (1u << DB_CHANGES))
        return FW_ENOTFOUND;
    uint64_t head = (uint64_t)mdb_txn_id(txn);
    if (since >= head)
        return FW_OK;
    if (head - since > LOG_SPAN)
        return FW_ENOTFOUND; /* entries after since may be pruned already */
    MDB_cursor *cur;
    int rc = fw_lmdb_err(mdb_cursor_open(txn, s->dbi[DB_CHANGES], &cur));
    if (rc)
        return rc;
    uint8_t key[8];
    be64_put(key, since + 1);
    MDB_val k = {8, key}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; !mrc; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || v.mv_size % 8) {
            mrc = MDB_CORRUPTED;
            break;
        }
        uint64_t ver = be64_get(k.mv_data);
        if (ver > head)
            break;
        if (v.mv_size == 0) {
            rc = FW_ENOTFOUND; /* a wildcard entry */
            break;
        }
        for (size_t i = 0; i < v.mv_size / 8; i++)
            fn(ctx, le64_get((const uint8_t *)v.mv_data + 8 * i), ver);
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = fw_lmdb_err(mrc);
    return rc;
}

int fw_lmdb_changes(fw_store *s, uint64_t since, uint64_t *now, fw_change_fn fn, void *ctx)
{
    *now = 0;
    if (s->absent & (1u << DB_CHANGES))
        return FW_ENOTFOUND;
    MDB_txn *txn;
    int rc = fw_lmdb_rtxn_get(s, &txn);
    if (rc)
        return rc;
    *now = (uint64_t)mdb_txn_id(txn);
    rc = fw_lmdb_changes_in(s, txn, since, fn, ctx);
    fw_lmdb_rtxn_put(s, txn);
    return rc;
}
