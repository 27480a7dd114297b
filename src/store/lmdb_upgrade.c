/* Conversion of an older database to schema 3 (lmdb_internal.h), inside the
 * opening write transaction, so it is all or nothing.
 *   schema 2 -> 3: the users table "users" (id -> 80-byte-header record) and
 *     "uord" (ordinal -> id) become "urec" (ordinal -> compact record with
 *     the id); unames values become ordinals.
 *   schema 1 -> 3: as 2 -> 3, but users first get ordinals in id order (as an
 *     import gives them), and the adjacency (8-byte ids in every entry:
 *     followers / following / req_in / req_out owner -> (~seq, other), rel
 *     (src, dst) -> state + seq) is rewritten by ordinal.
 * An entry naming a user that does not exist (a damaged database: check
 * reported it) is dropped and counted. */
#include "store/lmdb_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

typedef struct up {
    fw_store *s;
    MDB_txn *txn;
    uint32_t from;
    bool tty;
    uint64_t dropped;
} up;

static void progress(up *u, const char *phase, uint64_t done, uint64_t total)
{
    if (u->tty)
        fprintf(stderr, "\rconverting schema %u -> %u: %s %" PRIu64 "/%" PRIu64 "%s", u->from, FW_SCHEMA_VERSION,
                phase, done, total, done == total ? "\n" : "");
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

/* Schema 1 gives ordinals in id order (uid, meta next_ord); schema 2 has them in uid. */
static int user_ord(up *u, MDB_cursor *ic, const MDB_val *k, uint32_t *ord)
{
    if (u->from != 1)
        return fw_lmdb_user_ord(u->txn, u->s, be64_get(k->mv_data), ord);
    if (*ord > ADJ_ORD_MAX)
        return FW_EFULL;
    uint8_t o[4];
    be32_put(o, *ord);
    MDB_val ov = {4, o};
    return fw_lmdb_err(mdb_cursor_put(ic, (MDB_val *)k, &ov, MDB_APPEND));
}

/* Every user of the old id-keyed table, re-encoded under its ordinal. */
static int convert_users(up *u, MDB_dbi old)
{
    MDB_cursor *c, *ic;
    int rc = mdb_cursor_open(u->txn, old, &c);
    if (rc)
        return fw_lmdb_err(rc);
    if ((rc = mdb_cursor_open(u->txn, u->s->dbi[DB_UID], &ic))) {
        mdb_cursor_close(c);
        return fw_lmdb_err(rc);
    }
    uint64_t total = entries(u, old), done = 0;
    uint32_t next = 0; /* schema 1: the next ordinal */
    MDB_val k, v;
    int frc = FW_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && !frc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        fw_user usr;
        uint32_t ord = next;
        if (k.mv_size != 8 || fw_lmdb_user_unpack_v2(v.mv_data, v.mv_size, &usr))
            frc = FW_EIO;
        else if (!(frc = user_ord(u, ic, &k, &ord)))
            frc = fw_lmdb_user_put(u->txn, u->s, ord, &usr, u->from == 1 ? MDB_APPEND : MDB_NOOVERWRITE);
        else if (frc == FW_ENOTFOUND) {
            u->dropped++; /* schema 2: a user without an ordinal (check reported it) */
            frc = FW_OK;
        }
        next = ord + 1;
        if ((++done & 0xFFFF) == 0)
            progress(u, "users", done, total);
    }
    mdb_cursor_close(ic);
    mdb_cursor_close(c);
    if (frc)
        return frc;
    if (rc != MDB_NOTFOUND)
        return fw_lmdb_err(rc);
    progress(u, "users", done, total);
    if (u->from != 1)
        return FW_OK;
    uint8_t n[4];
    le32_put(n, next);
    MDB_val key = {8, "next_ord"}, nv = {4, n};
    return fw_lmdb_err(mdb_put(u->txn, u->s->dbi[DB_META], &key, &nv, 0));
}

/* unames: id -> ordinal. */
static int convert_unames(up *u)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(u->txn, u->s->dbi[DB_UNAMES], &c);
    if (rc)
        return fw_lmdb_err(rc);
    MDB_val k, v;
    int frc = FW_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && !frc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        uint32_t ord;
        uint8_t o[4], kb[512];
        if (v.mv_size != 8 || k.mv_size > sizeof kb) {
            frc = FW_EIO;
        } else if ((frc = fw_lmdb_user_ord(u->txn, u->s, be64_get(v.mv_data), &ord)) == FW_ENOTFOUND) {
            u->dropped++;
            frc = fw_lmdb_err(mdb_cursor_del(c, 0));
        } else if (!frc) {
            /* a shorter value is a delete and an insert: the key must not point into the page */
            memcpy(kb, k.mv_data, k.mv_size);
            be32_put(o, ord);
            MDB_val kc = {k.mv_size, kb}, ov = {4, o};
            frc = fw_lmdb_err(mdb_cursor_put(c, &kc, &ov, MDB_CURRENT));
        }
    }
    mdb_cursor_close(c);
    return frc ? frc : rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

/* The old users table and uord, converted and dropped. */
static int upgrade_users(up *u)
{
    MDB_dbi dbi;
    bool present;
    int rc = open_old(u, "users", 0, &dbi, &present);
    if (!rc && present && !(rc = convert_users(u, dbi)))
        rc = fw_lmdb_err(mdb_drop(u->txn, dbi, 1));
    if (!rc)
        rc = open_old(u, "uord", 0, &dbi, &present);
    if (!rc && present)
        rc = fw_lmdb_err(mdb_drop(u->txn, dbi, 1));
    return rc ? rc : convert_unames(u);
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

/* Schema 1's adjacency tables, rewritten by ordinal into schema 2's and dropped. */
static int upgrade_adjacency(up *u)
{
    static const struct {
        const char *name;
        int db; /* -1: the rel table */
    } OLD[] = {{"rel", -1},
               {"following", DB_FOLLOWING},
               {"followers", DB_FOLLOWERS},
               {"req_in", DB_REQ_IN},
               {"req_out", DB_REQ_OUT}};
    int rc = FW_OK;
    for (size_t i = 0; !rc && i < sizeof(OLD) / sizeof(OLD[0]); i++) {
        MDB_dbi dbi;
        bool present;
        rc = open_old(u, OLD[i].name, OLD[i].db < 0 ? 0 : MDB_DUPSORT | MDB_DUPFIXED, &dbi, &present);
        if (rc || !present)
            continue;
        rc = OLD[i].db < 0 ? convert_rel(u, dbi) : convert_list(u, dbi, OLD[i].db, OLD[i].name);
        if (!rc)
            rc = fw_lmdb_err(mdb_drop(u->txn, dbi, 1));
    }
    return rc;
}

int fw_lmdb_upgrade(fw_store *s, MDB_txn *txn, uint32_t from)
{
    up u = {s, txn, from, isatty(2) == 1, 0};
    int rc = upgrade_users(&u);
    if (!rc && from == 1)
        rc = upgrade_adjacency(&u);
    if (!rc && u.dropped)
        fprintf(stderr, "converting schema %u -> %u: dropped %" PRIu64 " entries naming users that do not exist\n",
                from, FW_SCHEMA_VERSION, u.dropped);
    return rc;
}
