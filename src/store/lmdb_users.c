/* Admin functions for users, tweets and the bulk follow loader. Each runs in
 * the calling thread in its own LMDB transaction, so a failed call changes
 * nothing. */
#include "store/lmdb_internal.h"

#include <stdlib.h>

#include "core/clock.h"

void fw_user_rec_free(fw_user_rec *r)
{
    for (int i = 0; i < 8; i++) {
        free(r->strs[i]);
        r->strs[i] = NULL;
    }
    memset(&r->u, 0, sizeof(r->u));
}

static fw_str *user_field(fw_user *u, int field)
{
    switch (field) {
    case FW_UF_USERNAME: return &u->username;
    case FW_UF_NAME: return &u->name;
    case FW_UF_DESCRIPTION: return &u->description;
    case FW_UF_LOCATION: return &u->location;
    case FW_UF_URL: return &u->url;
    case FW_UF_PROFILE_IMAGE_URL: return &u->profile_image_url;
    case FW_UF_WITHHELD: return &u->withheld_countries;
    case FW_UF_ENTITIES: return &u->entities_json;
    default: return NULL;
    }
}

void fw_user_rec_set(fw_user_rec *r, int field, fw_str v)
{
    fw_str *f = user_field(&r->u, field);
    if (!f)
        return;
    char *copy = fw_str_dup(v);
    free(r->strs[field]);
    r->strs[field] = copy;
    *f = (fw_str){copy, v.len};
}

/* Fills an owned record from a borrowed user. */
static void rec_fill(fw_user_rec *r, const fw_user *u)
{
    memset(r, 0, sizeof(*r));
    r->u = *u;
    r->u.default_json = FW_STR_NULL; /* derived and borrowed from the map: never carried */
    for (int i = 0; i < 8; i++)
        fw_user_rec_set(r, i, *user_field((fw_user *)u, i));
}

static int put_uname(fw_lmdb_wtx *w, const char *lname, uint32_t ord)
{
    uint8_t d[4];
    be32_put(d, ord);
    MDB_val key = {strlen(lname), (void *)lname}, v = {4, d};
    return fw_lmdb_err(mdb_put(w->txn, w->s->dbi[DB_UNAMES], &key, &v, 0));
}

/* The ordinal owning a lower-cased username, UINT32_MAX if none; fw_err. */
static int uname_owner(MDB_txn *txn, fw_store *s, const char *lname, uint32_t *ord)
{
    MDB_val key = {strlen(lname), (void *)lname}, v;
    int rc = mdb_get(txn, s->dbi[DB_UNAMES], &key, &v);
    *ord = UINT32_MAX;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return fw_lmdb_err(rc);
    if (v.mv_size != 4)
        return FW_EIO;
    *ord = be32_get(v.mv_data);
    return 0;
}

static bool key_exists(MDB_txn *txn, fw_store *s, int db, uint64_t id)
{
    MDB_val v;
    return fw_lmdb_get_id(txn, s, db, id, &v) == FW_OK;
}

/* A fresh id not used in db. */
static int fresh_id(fw_lmdb_wtx *w, int db, uint64_t *id)
{
    int rc;
    do {
        if ((rc = fw_lmdb_next_id(w, id)))
            return rc;
    } while (key_exists(w->txn, w->s, db, *id));
    return 0;
}


int fw_lmdb_user_create(fw_store *s, const fw_user *u, uint64_t *id_out)
{
    char lname[FW_USERNAME_MAX + 1];
    if (!fw_rec_user_valid(u) || !fw_rec_username_key(u->username, lname))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    fw_user nu = *u;
    uint32_t owner, ord;
    if ((rc = uname_owner(w.txn, s, lname, &owner)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (owner != UINT32_MAX || (nu.id && key_exists(w.txn, s, DB_UID, nu.id)))
        return fw_lmdb_wtx_finish(&w, FW_EEXISTS);
    if (!nu.id && (rc = fresh_id(&w, DB_UID, &nu.id)))
        return fw_lmdb_wtx_finish(&w, rc);
    nu.followers_count = nu.following_count = 0;
    if (!nu.created_at_ms)
        nu.created_at_ms = fw_now_ms();
    if (!(rc = fw_lmdb_ord_assign(&w, nu.id, &ord)) && !(rc = fw_lmdb_user_put(w.txn, s, ord, &nu, MDB_NOOVERWRITE)))
        rc = put_uname(&w, lname, ord);
    rc = fw_lmdb_wtx_finish(&w, rc);
    if (!rc && id_out)
        *id_out = nu.id;
    return rc;
}

int fw_lmdb_user_update(fw_store *s, const fw_user *u)
{
    char lname[FW_USERNAME_MAX + 1], oldname[FW_USERNAME_MAX + 1];
    if (!fw_rec_user_valid(u) || !fw_rec_username_key(u->username, lname))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    fw_user old;
    uint32_t ord;
    int rc = fw_lmdb_wtx_begin_user(s, &w, u->id, &old, &ord);
    if (rc)
        return rc;
    if (!fw_rec_username_key(old.username, oldname))
        return fw_lmdb_wtx_finish(&w, FW_EIO);
    bool unprotect = (old.flags & FW_USER_PROTECTED) && !(u->flags & FW_USER_PROTECTED);
    uint32_t owner;
    if ((rc = uname_owner(w.txn, s, lname, &owner)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (owner != UINT32_MAX && owner != ord)
        return fw_lmdb_wtx_finish(&w, FW_EEXISTS);
    bool renamed = strcmp(lname, oldname) != 0;
    uint32_t old_owner = UINT32_MAX;
    if (renamed && (rc = uname_owner(w.txn, s, oldname, &old_owner)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (renamed && old_owner == ord) { /* never drop another user's entry */
        MDB_val key = {strlen(oldname), oldname};
        if ((rc = fw_lmdb_err(mdb_del(w.txn, s->dbi[DB_UNAMES], &key, NULL))))
            return fw_lmdb_wtx_finish(&w, rc);
    }
    if ((rc = put_uname(&w, lname, ord)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (unprotect && (rc = fw_lmdb_accept_all(&w, u->id)))
        return fw_lmdb_wtx_finish(&w, rc);
    /* Store-maintained fields as they stand in this transaction, never as the
     * caller read them earlier: accepting requests added followers, and a
     * follow or tweet committed by another process since the caller's read
     * must not be undone. */
    if ((rc = fw_lmdb_user_get_ord(w.txn, s, ord, &old)))
        return fw_lmdb_wtx_finish(&w, rc);
    fw_user nu = *u;
    nu.followers_count = old.followers_count;
    nu.following_count = old.following_count;
    nu.most_recent_tweet_id = old.most_recent_tweet_id;
    return fw_lmdb_wtx_finish(&w, fw_lmdb_user_put(w.txn, s, ord, &nu, 0));
}

/* Removes the sign-in password and every credential issued to id, so no
 * secret of a deleted user can ever sign in again (not even as a user later
 * created with the same explicit id). Credentials are keyed by token hash, so
 * this is one scan of the credential table; deleting a user is rare. */
static int drop_secrets(fw_lmdb_wtx *w, uint64_t id)
{
    uint8_t k[8];
    be64_put(k, id);
    MDB_val key = {8, k}, v;
    int rc = mdb_del(w->txn, w->s->dbi[DB_PASSWORDS], &key, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return fw_lmdb_err(rc);
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(w->txn, w->s->dbi[DB_CREDS], &c)))
        return fw_lmdb_err(rc);
    for (rc = mdb_cursor_get(c, &key, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
        fw_cred cred;
        if (fw_lmdb_cred_unpack(v.mv_data, v.mv_size, &cred) == 0 && cred.user_id == id &&
            (rc = mdb_cursor_del(c, 0)))
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

int fw_lmdb_user_delete(fw_store *s, uint64_t id)
{
    fw_lmdb_wtx w;
    fw_user old;
    uint32_t ord;
    int rc = fw_lmdb_wtx_begin_user(s, &w, id, &old, &ord);
    if (rc)
        return rc;
    char lname[FW_USERNAME_MAX + 1];
    bool named = fw_rec_username_key(old.username, lname); /* copy before the record goes away */
    if ((rc = fw_lmdb_unlink_user(&w, id)) || (rc = fw_lmdb_ord_drop(&w, id)) || (rc = drop_secrets(&w, id)))
        return fw_lmdb_wtx_finish(&w, rc);
    uint32_t owner = UINT32_MAX;
    if (named && (rc = uname_owner(w.txn, s, lname, &owner)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (named && owner == ord) {
        MDB_val key = {strlen(lname), lname};
        rc = fw_lmdb_err(mdb_del(w.txn, s->dbi[DB_UNAMES], &key, NULL));
    }
    return fw_lmdb_wtx_finish(&w, rc);
}

static int user_get_by(fw_store *s, uint64_t id, fw_str name, fw_user_rec *out)
{
    memset(out, 0, sizeof(*out));
    MDB_txn *txn;
    if (fw_lmdb_rtxn_get(s, &txn))
        return FW_EIO;
    int rc;
    fw_user u;
    if (id) {
        rc = fw_lmdb_user_get(txn, s, id, &u, NULL);
    } else {
        char lname[FW_USERNAME_MAX + 1];
        uint32_t ord = UINT32_MAX;
        rc = fw_rec_username_key(name, lname) ? uname_owner(txn, s, lname, &ord) : FW_OK;
        if (!rc)
            rc = ord == UINT32_MAX ? FW_ENOTFOUND : fw_lmdb_user_get_ord(txn, s, ord, &u);
    }
    if (!rc)
        rec_fill(out, &u);
    fw_lmdb_rtxn_put(s, txn);
    return rc;
}

int fw_lmdb_user_get_rec(fw_store *s, uint64_t id, fw_user_rec *out)
{
    if (!id) {
        memset(out, 0, sizeof(*out));
        return FW_ENOTFOUND;
    }
    return user_get_by(s, id, FW_STR_NULL, out);
}

int fw_lmdb_user_get_by_name(fw_store *s, fw_str username, fw_user_rec *out)
{
    return user_get_by(s, 0, username, out);
}

typedef struct user_scan {
    int (*fn)(void *ctx, const fw_user *u);
    void *ctx;
} user_scan;

/* A row of uid: the user its ordinal names (so a scan goes in id order). */
static int user_row(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v)
{
    user_scan *us = ctx;
    fw_user u;
    if (v->mv_size != 4 || fw_lmdb_user_get_ord(txn, s, be32_get(v->mv_data), &u))
        return FW_EIO;
    return us->fn(us->ctx, &u) != 0;
}

int fw_lmdb_user_scan(fw_store *s, uint64_t after, size_t limit, int (*fn)(void *ctx, const fw_user *u), void *ctx)
{
    if (after == UINT64_MAX)
        return FW_OK;
    user_scan us = {fn, ctx};
    return fw_lmdb_scan(s, DB_UID, after + 1, limit, user_row, &us);
}

/* Author bookkeeping: newest tweet id and tweet count. */
static void add_tweet(fw_lmdb_counts *c, const void *arg)
{
    uint64_t tweet_id = *(const uint64_t *)arg;
    if (c->most_recent < tweet_id)
        c->most_recent = tweet_id;
    c->tweets++;
}

int fw_lmdb_tweet_add(fw_store *s, const fw_tweet *t, uint64_t *id_out)
{
    if (!fw_rec_tweet_valid(t))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    fw_user author;
    uint32_t ord;
    int rc = fw_lmdb_wtx_begin_user(s, &w, t->author_id, &author, &ord);
    if (rc)
        return rc;
    fw_tweet nt = *t;
    if (nt.id && key_exists(w.txn, s, DB_TWEETS, nt.id))
        return fw_lmdb_wtx_finish(&w, FW_EEXISTS);
    if (!nt.id && (rc = fresh_id(&w, DB_TWEETS, &nt.id)))
        return fw_lmdb_wtx_finish(&w, rc);
    if (!nt.created_at_ms)
        nt.created_at_ms = fw_now_ms();
    rc = fw_lmdb_put_rec(&w, DB_TWEETS, nt.id, &nt, MDB_NOOVERWRITE);
    if (!rc)
        rc = fw_lmdb_user_patch(&w, ord, add_tweet, &nt.id);
    rc = fw_lmdb_wtx_finish(&w, rc);
    if (!rc && id_out)
        *id_out = nt.id;
    return rc;
}

int fw_lmdb_follow_bulk(fw_store *s, const uint64_t *pairs, size_t n)
{
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        fw_write_res res;
        if ((rc = fw_lmdb_apply_write(&w, FW_W_FOLLOW, pairs[2 * i], pairs[2 * i + 1], &res)))
            return fw_lmdb_wtx_finish(&w, rc);
        if (res.rc)
            return fw_lmdb_wtx_finish(&w, res.rc);
    }
    return fw_lmdb_wtx_finish(&w, 0);
}
