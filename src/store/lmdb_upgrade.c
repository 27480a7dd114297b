/* Conversion of a schema-1 database (8-byte ids in every adjacency entry:
 * followers / following / req_in / req_out owner -> (~seq, other), rel
 * (src, dst) -> state + seq) to schema 2 (lmdb_internal.h), inside the
 * opening write transaction, so it is all or nothing. Users get ordinals in
 * id order (as an import gives them). An entry naming a user that does not
 * exist (a damaged database: v1's check reported it) is dropped and counted. */
#include "store/lmdb_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

typedef struct up {
    fw_store *s;
    MDB_txn *txn;
    bool tty;
    uint64_t dropped;
} up;

static void progress(up *u, const char *phase, uint64_t done, uint64_t total)
{
    if (u->tty)
        fprintf(stderr, "\rconverting schema 1 -> 2: %s %" PRIu64 "/%" PRIu64 "%s", phase, done, total,
                done == total ? "\n" : "");
}

static int open_old(up *u, const char *name, unsigned flags, MDB_dbi *dbi, bool *present)
{
    int rc = mdb_dbi_open(u->txn, name, flags, dbi);
    *present = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : fw_lmdb_err(rc);
}

static uint64_t entries(up *u, MDB_dbi dbi)
{
    MDB_stat st;
    return mdb_stat(u->txn, dbi, &st) ? 0 : st.ms_entries;
}

/* Ordinals for every user, in id order. */
static int give_ords(up *u)
{
    MDB_cursor *c, *ic, *oc;
    int rc = mdb_cursor_open(u->txn, u->s->dbi[DB_USERS], &c);
    if (rc)
        return fw_lmdb_err(rc);
    if ((rc = mdb_cursor_open(u->txn, u->s->dbi[DB_UID], &ic))) {
        mdb_cursor_close(c);
        return fw_lmdb_err(rc);
    }
    if ((rc = mdb_cursor_open(u->txn, u->s->dbi[DB_UORD], &oc))) {
        mdb_cursor_close(ic);
        mdb_cursor_close(c);
        return fw_lmdb_err(rc);
    }
    uint64_t total = entries(u, u->s->dbi[DB_USERS]);
    uint32_t ord = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (ord > ADJ_ORD_MAX) {
            rc = MDB_MAP_FULL;
            break;
        }
        uint8_t o[4];
        be32_put(o, ord);
        MDB_val ov = {4, o}, iv = {8, k.mv_data};
        if ((rc = mdb_cursor_put(ic, &k, &ov, MDB_APPEND)) || (rc = mdb_cursor_put(oc, &ov, &iv, MDB_APPEND)))
            break;
        if ((++ord & 0xFFFF) == 0)
            progress(u, "users", ord, total);
    }
    mdb_cursor_close(oc);
    mdb_cursor_close(ic);
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND)
        return fw_lmdb_err(rc);
    progress(u, "users", ord, total);
    uint8_t n[4];
    le32_put(n, ord);
    MDB_val key = {8, "next_ord"}, nv = {4, n};
    return fw_lmdb_err(mdb_put(u->txn, u->s->dbi[DB_META], &key, &nv, 0));
}

/* Both users' ordinals: FW_OK, 1 if either user is missing (drop), or fw_err. */
static int two_ords(up *u, uint64_t a, uint64_t b, uint32_t *oa, uint32_t *ob)
{
    int rc = fw_lmdb_user_ord(u->txn, u->s, a, oa);
    if (!rc)
        rc = fw_lmdb_user_ord(u->txn, u->s, b, ob);
    if (rc == FW_ENOTFOUND) {
        u->dropped++;
        return 1;
    }
    return rc;
}

static int convert_rel(up *u, MDB_dbi rel)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(u->txn, rel, &c);
    if (rc)
        return fw_lmdb_err(rc);
    uint64_t total = entries(u, rel), done = 0;
    MDB_val k, v;
    int frc = FW_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && !frc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const uint8_t *p = v.mv_data;
        if (k.mv_size != 16 || v.mv_size != 9 || (p[0] != FW_REL_FOLLOWING && p[0] != FW_REL_PENDING)) {
            frc = FW_EIO;
            break;
        }
        uint32_t so, dor;
        uint64_t seq = le64_get(p + 1);
        frc = two_ords(u, be64_get(k.mv_data), be64_get((const uint8_t *)k.mv_data + 8), &so, &dor);
        if (frc == 1)
            frc = FW_OK;
        else if (!frc)
            frc = seq > ADJ_SEQ_MAX ? FW_EFULL : fw_lmdb_idx_set(u->txn, u->s, so, dor, p[0], seq);
        if ((++done & 0xFFFF) == 0)
            progress(u, "relationships", done, total);
    }
    mdb_cursor_close(c);
    if (frc)
        return frc;
    progress(u, "relationships", done, total);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

static int convert_list(up *u, MDB_dbi old, int db, const char *phase)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(u->txn, old, &c);
    if (rc)
        return fw_lmdb_err(rc);
    uint64_t total = entries(u, old), done = 0;
    MDB_val k, v;
    int frc = FW_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && !frc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || v.mv_size != 16) {
            frc = FW_EIO;
            break;
        }
        uint64_t seq = ~be64_get(v.mv_data);
        uint32_t oo, ot;
        frc = two_ords(u, be64_get(k.mv_data), be64_get((const uint8_t *)v.mv_data + 8), &oo, &ot);
        if (frc == 1)
            frc = FW_OK;
        else if (!frc)
            frc = seq > ADJ_SEQ_MAX ? FW_EFULL : fw_lmdb_list_op(u->txn, u->s, db, oo, seq, ot, true);
        if ((++done & 0xFFFF) == 0)
            progress(u, phase, done, total);
    }
    mdb_cursor_close(c);
    if (frc)
        return frc;
    progress(u, phase, done, total);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

int fw_lmdb_upgrade_v1(fw_store *s, MDB_txn *txn)
{
    static const struct {
        const char *name;
        int db; /* -1: the rel table */
    } OLD[] = {{"rel", -1},
               {"following", DB_FOLLOWING},
               {"followers", DB_FOLLOWERS},
               {"req_in", DB_REQ_IN},
               {"req_out", DB_REQ_OUT}};
    up u = {s, txn, isatty(2) == 1, 0};
    int rc = give_ords(&u);
    for (size_t i = 0; !rc && i < sizeof(OLD) / sizeof(OLD[0]); i++) {
        MDB_dbi dbi;
        bool present;
        rc = open_old(&u, OLD[i].name, OLD[i].db < 0 ? 0 : MDB_DUPSORT | MDB_DUPFIXED, &dbi, &present);
        if (rc || !present)
            continue;
        rc = OLD[i].db < 0 ? convert_rel(&u, dbi) : convert_list(&u, dbi, OLD[i].db, OLD[i].name);
        if (!rc)
            rc = fw_lmdb_err(mdb_drop(txn, dbi, 1));
    }
    if (!rc && u.dropped)
        fprintf(stderr, "converting schema 1 -> 2: dropped %" PRIu64 " entries naming users that do not exist\n",
                u.dropped);
    return rc;
}
