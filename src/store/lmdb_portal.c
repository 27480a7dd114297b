/* The developer portal's records (LMDB backend): developer accounts, the
 * portal fields of projects (owner, environment, use case) and of apps
 * (permission, website, the owner's own token), and the app edits the
 * portal makes (update, delete, key regeneration). See store.h, section
 * "Developer portal". Encodings (little-endian values, version byte first):
 *   devs       [1][status u8][pad 6][created i64]
 *   proj_info  [1][environment u8][pad 6][owner u64][created i64][use case]
 *   app_set    [1][permission u8][website len u16][website][token len u16][token] */
#include "store/lmdb_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/secret.h"

#define REC_V 1
#define DEV_SIZE 16
#define PINFO_HDR 24

static int put_id(fw_lmdb_wtx *w, int db, uint64_t id, const void *d, size_t n, unsigned flags)
{
    uint8_t k[8];
    be64_put(k, id);
    MDB_val key = {8, k}, v = {n, (void *)d};
    return fw_lmdb_err(mdb_put(w->txn, w->s->dbi[db], &key, &v, flags));
}

static int del_id(fw_lmdb_wtx *w, int db, uint64_t id)
{
    uint8_t k[8];
    be64_put(k, id);
    MDB_val key = {8, k};
    int rc = mdb_del(w->txn, w->s->dbi[db], &key, NULL);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

static int del_key(fw_lmdb_wtx *w, int db, fw_str k)
{
    if (!k.len)
        return FW_OK;
    MDB_val key = {k.len, (void *)k.p};
    int rc = mdb_del(w->txn, w->s->dbi[db], &key, NULL);
    return rc == MDB_NOTFOUND ? FW_OK : fw_lmdb_err(rc);
}

/* Points *a and *b at owned copies of themselves kept in strs[2]. */
static void own2(fw_str *a, fw_str *b, char *strs[2])
{
    strs[0] = fw_str_dup(*a);
    strs[1] = fw_str_dup(*b);
    a->p = strs[0];
    b->p = strs[1];
}

/* ---- developers ---- */

int fw_lmdb_dev_create(fw_store *s, uint64_t user_id, uint8_t status, int64_t now_ms)
{
    if (!fw_rec_dev_status_valid(status))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    fw_user u;
    int rc = fw_lmdb_wtx_begin_user(s, &w, user_id, &u, NULL);
    if (rc)
        return rc;
    uint8_t b[DEV_SIZE] = {REC_V, status};
    le64_put(b + 8, (uint64_t)now_ms);
    return fw_lmdb_wtx_finish(&w, put_id(&w, DB_DEVS, user_id, b, sizeof b, MDB_NOOVERWRITE));
}

static int dev_decode(const MDB_val *v, uint64_t id, fw_dev *out)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size != DEV_SIZE || p[0] != REC_V)
        return FW_EIO;
    *out = (fw_dev){id, p[1], (int64_t)le64_get(p + 8)};
    return FW_OK;
}

int fw_lmdb_dev_get(fw_store *s, uint64_t user_id, fw_dev *out)
{
    MDB_txn *txn;
    if (fw_lmdb_rtxn_get(s, &txn))
        return FW_EIO;
    MDB_val v;
    int rc = fw_lmdb_get_id(txn, s, DB_DEVS, user_id, &v);
    if (!rc)
        rc = dev_decode(&v, user_id, out);
    fw_lmdb_rtxn_put(s, txn);
    return rc;
}

int fw_lmdb_dev_set_status(fw_store *s, uint64_t user_id, uint8_t status)
{
    if (!fw_rec_dev_status_valid(status))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val v;
    fw_dev d;
    if ((rc = fw_lmdb_get_id(w.txn, s, DB_DEVS, user_id, &v)) || (rc = dev_decode(&v, user_id, &d)))
        return fw_lmdb_wtx_finish(&w, rc);
    uint8_t b[DEV_SIZE] = {REC_V, status};
    le64_put(b + 8, (uint64_t)d.created_at_ms);
    return fw_lmdb_wtx_finish(&w, put_id(&w, DB_DEVS, user_id, b, sizeof b, 0));
}

/* ---- projects ---- */

static int put_project(fw_lmdb_wtx *w, uint64_t id, uint8_t level, fw_str name, unsigned flags)
{
    uint8_t *b = malloc(1 + name.len);
    if (!b)
        return FW_ENOMEM;
    b[0] = level;
    if (name.len)
        memcpy(b + 1, name.p, name.len);
    int rc = put_id(w, DB_PROJECTS, id, b, 1 + name.len, flags);
    free(b);
    return rc;
}

static int put_pinfo(fw_lmdb_wtx *w, uint64_t id, uint64_t owner, uint8_t env, int64_t created, fw_str use_case)
{
    uint8_t *b = calloc(1, PINFO_HDR + use_case.len);
    if (!b)
        return FW_ENOMEM;
    b[0] = REC_V;
    b[1] = env;
    le64_put(b + 8, owner);
    le64_put(b + 16, (uint64_t)created);
    if (use_case.len)
        memcpy(b + PINFO_HDR, use_case.p, use_case.len);
    int rc = put_id(w, DB_PROJ_INFO, id, b, PINFO_HDR + use_case.len, 0);
    free(b);
    return rc;
}

int fw_lmdb_project_create_owned(fw_store *s, uint64_t owner_id, fw_str name, fw_str use_case, uint8_t environment,
                                  uint8_t access_level, int64_t now_ms, uint64_t *id_out)
{
    if (!fw_rec_project_valid(name, use_case, environment) || access_level > FW_ACCESS_ENTERPRISE)
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val v;
    uint64_t id = 0;
    if ((rc = fw_lmdb_get_id(w.txn, s, DB_DEVS, owner_id, &v)) || (rc = fw_lmdb_next_id(&w, &id)) ||
        (rc = put_project(&w, id, access_level, name, MDB_NOOVERWRITE)) ||
        (rc = put_pinfo(&w, id, owner_id, environment, now_ms, use_case)))
        return fw_lmdb_wtx_finish(&w, rc);
    rc = fw_lmdb_wtx_finish(&w, FW_OK);
    if (!rc && id_out)
        *id_out = id;
    return rc;
}

/* Decodes project id from its two records (info may be absent: v_info NULL). */
static int project_decode(uint64_t id, const MDB_val *vp, const MDB_val *vi, fw_project *p)
{
    memset(p, 0, sizeof *p);
    p->id = id;
    if (vp->mv_size < 1)
        return FW_EIO;
    p->access_level = *(const uint8_t *)vp->mv_data;
    p->name = (fw_str){(const char *)vp->mv_data + 1, vp->mv_size - 1};
    if (!vi)
        return FW_OK;
    const uint8_t *b = vi->mv_data;
    if (vi->mv_size < PINFO_HDR || b[0] != REC_V)
        return FW_EIO;
    p->environment = b[1];
    p->owner_id = le64_get(b + 8);
    p->created_at_ms = (int64_t)le64_get(b + 16);
    p->use_case = (fw_str){(const char *)b + PINFO_HDR, vi->mv_size - PINFO_HDR};
    return FW_OK;
}

/* Loads project id in txn: FW_OK, FW_ENOTFOUND, FW_EIO. */
static int project_load(MDB_txn *txn, fw_store *s, uint64_t id, fw_project *p)
{
    MDB_val vp, vi;
    int rc = fw_lmdb_get_id(txn, s, DB_PROJECTS, id, &vp);
    if (rc)
        return rc;
    rc = fw_lmdb_get_id(txn, s, DB_PROJ_INFO, id, &vi);
    if (rc && rc != FW_ENOTFOUND)
        return rc;
    return project_decode(id, &vp, rc ? NULL : &vi, p);
}

int fw_lmdb_project_get(fw_store *s, uint64_t id, fw_project_rec *out)
{
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    if (fw_lmdb_rtxn_get(s, &txn))
        return FW_EIO;
    int rc = project_load(txn, s, id, &out->p);
    if (!rc)
        own2(&out->p.name, &out->p.use_case, out->strs);
    fw_lmdb_rtxn_put(s, txn);
    return rc;
}

int fw_lmdb_project_update(fw_store *s, uint64_t id, fw_str name, fw_str use_case, uint8_t environment)
{
    if (!fw_rec_project_valid(name, use_case, environment))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    fw_project p;
    if ((rc = project_load(w.txn, s, id, &p)))
        return fw_lmdb_wtx_finish(&w, rc);
    uint64_t owner = p.owner_id;
    int64_t created = p.created_at_ms;
    uint8_t level = p.access_level;
    /* name and use_case may point into the map: put_* copy them before writing */
    rc = put_project(&w, id, level, name, 0);
    if (!rc)
        rc = put_pinfo(&w, id, owner, environment, created, use_case);
    return fw_lmdb_wtx_finish(&w, rc);
}

/* Deletes app id and what hangs on it, inside w. */
static int app_delete_in(fw_lmdb_wtx *w, uint64_t id)
{
    fw_app a;
    int rc = fw_lmdb_app_get(w->s, w->txn, id, &a);
    if (rc)
        return rc;
    /* the keys point into the map: delete the indexes before the record */
    char ck[CONSUMER_KEY_LEN + 1] = "", cid[64] = "";
    if (a.consumer_key.len < sizeof ck)
        memcpy(ck, a.consumer_key.p, a.consumer_key.len), ck[a.consumer_key.len] = 0;
    if (a.client_id.len < sizeof cid)
        memcpy(cid, a.client_id.p, a.client_id.len), cid[a.client_id.len] = 0;
    if ((rc = del_key(w, DB_APP_CK, fw_str_c(ck))) || (rc = del_key(w, DB_APP_CID, fw_str_c(cid))) ||
        (rc = del_id(w, DB_APP_SET, id)) || (rc = del_id(w, DB_APPS, id)))
        return rc;
    return FW_OK;
}

typedef struct app_ids {
    uint64_t project;
    uint64_t *ids;
    size_t n, cap;
    int rc;
} app_ids;

/* The ids of project's apps, read in txn. */
static int project_apps(MDB_txn *txn, fw_store *s, app_ids *ai)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->dbi[DB_APPS], &c);
    if (rc)
        return fw_lmdb_err(rc);
    MDB_val k, v;
    int out = FW_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        fw_app a;
        if (fw_lmdb_app_unpack(v.mv_data, v.mv_size, &a) < 0) {
            out = FW_EIO;
            break;
        }
        if (a.project_id != ai->project)
            continue;
        if (ai->n == ai->cap) {
            size_t cap = ai->cap ? ai->cap * 2 : 8;
            uint64_t *n = realloc(ai->ids, cap * sizeof *n);
            if (!n) {
                out = FW_ENOMEM;
                break;
            }
            ai->ids = n, ai->cap = cap;
        }
        ai->ids[ai->n++] = a.id;
    }
    if (out == FW_OK && rc && rc != MDB_NOTFOUND)
        out = fw_lmdb_err(rc);
    mdb_cursor_close(c);
    return out;
}

int fw_lmdb_project_delete(fw_store *s, uint64_t id, bool with_apps)
{
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val v;
    app_ids ai = {.project = id};
    if ((rc = fw_lmdb_get_id(w.txn, s, DB_PROJECTS, id, &v)) || (rc = project_apps(w.txn, s, &ai)))
        goto out;
    if (ai.n && !with_apps) {
        rc = FW_EBUSY;
        goto out;
    }
    for (size_t i = 0; i < ai.n && !rc; i++)
        rc = app_delete_in(&w, ai.ids[i]);
    if (!rc && !(rc = del_id(&w, DB_PROJ_INFO, id)))
        rc = del_id(&w, DB_PROJECTS, id);
out:
    free(ai.ids);
    return fw_lmdb_wtx_finish(&w, rc);
}

typedef struct owner_scan {
    uint64_t owner;
    int (*fn)(void *ctx, const fw_project *p);
    void *ctx;
} owner_scan;

static int owner_row(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v)
{
    owner_scan *os = ctx;
    if (k->mv_size != 8 || v->mv_size < PINFO_HDR)
        return FW_EIO;
    if (le64_get((const uint8_t *)v->mv_data + 8) != os->owner)
        return FW_OK;
    uint64_t id = be64_get(k->mv_data);
    MDB_val vp;
    int rc = fw_lmdb_get_id(txn, s, DB_PROJECTS, id, &vp);
    if (rc == FW_ENOTFOUND)
        return FW_OK;
    fw_project p;
    if (rc || (rc = project_decode(id, &vp, v, &p)))
        return rc;
    return os->fn(os->ctx, &p) != 0;
}

int fw_lmdb_project_scan_owner(fw_store *s, uint64_t owner_id, int (*fn)(void *ctx, const fw_project *p), void *ctx)
{
    owner_scan os = {owner_id, fn, ctx};
    return fw_lmdb_scan(s, DB_PROJ_INFO, 0, 0, owner_row, &os);
}

/* ---- app settings ---- */

/* Decodes a settings record; strings borrow v. */
static int set_decode(const MDB_val *v, fw_app_settings *st)
{
    const uint8_t *p = v->mv_data;
    size_t n = v->mv_size;
    if (n < 4 || p[0] != REC_V)
        return FW_EIO;
    st->permission = p[1];
    size_t wl = (size_t)p[2] | (size_t)p[3] << 8;
    if (4 + wl + 2 > n)
        return FW_EIO;
    st->website_url = (fw_str){(const char *)p + 4, wl};
    size_t tl = (size_t)p[4 + wl] | (size_t)p[5 + wl] << 8;
    if (6 + wl + tl != n)
        return FW_EIO;
    st->dev_token = (fw_str){(const char *)p + 6 + wl, tl};
    return FW_OK;
}

/* Settings of app id in txn (defaults when there are none); strings borrowed. */
static int set_load(MDB_txn *txn, fw_store *s, uint64_t id, fw_app_settings *st)
{
    memset(st, 0, sizeof *st);
    MDB_val v;
    int rc = fw_lmdb_get_id(txn, s, DB_APP_SET, id, &v);
    if (rc == FW_ENOTFOUND)
        return FW_OK;
    return rc ? rc : set_decode(&v, st);
}

static int set_put(fw_lmdb_wtx *w, uint64_t id, uint8_t perm, fw_str website, fw_str token)
{
    if (website.len > FW_WEBSITE_MAX || token.len > FW_TOKEN_MAX)
        return FW_EINVAL;
    size_t n = 6 + website.len + token.len;
    uint8_t *b = malloc(n);
    if (!b)
        return FW_ENOMEM;
    b[0] = REC_V;
    b[1] = perm;
    b[2] = (uint8_t)website.len, b[3] = (uint8_t)(website.len >> 8);
    if (website.len)
        memcpy(b + 4, website.p, website.len);
    b[4 + website.len] = (uint8_t)token.len, b[5 + website.len] = (uint8_t)(token.len >> 8);
    if (token.len)
        memcpy(b + 6 + website.len, token.p, token.len);
    int rc = put_id(w, DB_APP_SET, id, b, n, 0);
    free(b);
    return rc;
}

int fw_lmdb_app_permission(MDB_txn *txn, fw_store *s, uint64_t app_id, uint8_t *perm)
{
    fw_app_settings st;
    int rc = set_load(txn, s, app_id, &st);
    *perm = rc ? FW_APP_PERM_READ_WRITE : st.permission;
    return rc ? FW_EIO : FW_OK;
}

int fw_lmdb_app_settings_get(fw_store *s, uint64_t app_id, fw_app_settings_rec *out)
{
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    if (fw_lmdb_rtxn_get(s, &txn))
        return FW_EIO;
    MDB_val v;
    int rc = fw_lmdb_get_id(txn, s, DB_APPS, app_id, &v);
    if (!rc)
        rc = set_load(txn, s, app_id, &out->s);
    if (!rc)
        own2(&out->s.website_url, &out->s.dev_token, out->strs);
    fw_lmdb_rtxn_put(s, txn);
    return rc;
}

/* Copies of what a write transaction must keep while it rewrites records
 * the strings point into. */
typedef struct app_copy {
    fw_app a;
    fw_buf strs;
} app_copy;

static void app_copy_take(app_copy *c, const fw_app *a)
{
    c->a = *a;
    fw_str *f[6] = {&c->a.name, &c->a.consumer_key, &c->a.consumer_secret, &c->a.client_id, &c->a.client_secret,
                    &c->a.redirect_uris};
    size_t off[6];
    for (int i = 0; i < 6; i++) {
        off[i] = c->strs.len;
        fw_buf_append(&c->strs, f[i]->p ? f[i]->p : "", f[i]->len);
    }
    for (int i = 0; i < 6; i++)
        f[i]->p = c->strs.data ? c->strs.data + off[i] : "";
}

int fw_lmdb_app_update(fw_store *s, uint64_t app_id, fw_str name, uint8_t client_type, fw_str redirect_uris,
                        uint8_t permission, fw_str website_url)
{
    if (!fw_rec_app_update_valid(name, client_type, redirect_uris, permission, website_url))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    fw_app a;
    fw_app_settings st;
    app_copy c = {0};
    char token[FW_TOKEN_MAX + 1] = "";
    if ((rc = fw_lmdb_app_get(s, w.txn, app_id, &a)) || (rc = set_load(w.txn, s, app_id, &st)))
        goto out;
    if (st.dev_token.len)
        memcpy(token, st.dev_token.p, st.dev_token.len);
    token[st.dev_token.len] = 0;
    app_copy_take(&c, &a);
    c.a.name = name;
    c.a.redirect_uris = redirect_uris;
    char csec[64] = "";
    if (client_type == FW_CLIENT_PUBLIC) {
        c.a.client_secret = FW_STR_NULL; /* public clients cannot keep one */
    } else if (!c.a.client_secret.len) {
        if ((rc = fw_rec_client_secret(csec)))
            goto out;
        c.a.client_secret = fw_str_c(csec);
    }
    c.a.client_type = client_type;
    if (!(rc = fw_lmdb_put_rec(&w, DB_APPS, app_id, &c.a, 0)))
        rc = set_put(&w, app_id, permission, website_url, fw_str_c(token));
out:
    fw_buf_free(&c.strs);
    return fw_lmdb_wtx_finish(&w, rc);
}

int fw_lmdb_app_set_dev_token(fw_store *s, uint64_t app_id, fw_str token)
{
    if (token.len > FW_TOKEN_MAX || (token.len && !token.p))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    fw_app a;
    fw_app_settings st;
    fw_buf web = FW_BUF_INIT;
    if (!(rc = fw_lmdb_app_get(s, w.txn, app_id, &a)) && !(rc = set_load(w.txn, s, app_id, &st))) {
        fw_buf_append(&web, st.website_url.p ? st.website_url.p : "", st.website_url.len);
        rc = set_put(&w, app_id, st.permission, (fw_str){web.data ? web.data : "", web.len}, token);
    }
    fw_buf_free(&web);
    return fw_lmdb_wtx_finish(&w, rc);
}

int fw_lmdb_app_delete(fw_store *s, uint64_t app_id)
{
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    return fw_lmdb_wtx_finish(&w, app_delete_in(&w, app_id));
}

int fw_lmdb_app_regenerate(fw_store *s, uint64_t app_id, unsigned what, fw_app_rec *out)
{
    memset(out, 0, sizeof *out);
    if (!what || (what & ~(FW_REGEN_CONSUMER | FW_REGEN_CLIENT_SECRET)))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    fw_app a;
    app_copy c = {0};
    char ck[CONSUMER_KEY_LEN + 1], cs[CONSUMER_SECRET_LEN + 1], csec[64];
    if ((rc = fw_lmdb_app_get(s, w.txn, app_id, &a)))
        goto out;
    app_copy_take(&c, &a);
    if ((what & FW_REGEN_CLIENT_SECRET) && c.a.client_type == FW_CLIENT_PUBLIC) {
        rc = FW_EINVAL;
        goto out;
    }
    uint8_t idb[8];
    be64_put(idb, app_id);
    if (what & FW_REGEN_CONSUMER) {
        if ((rc = fw_lmdb_gen_unique(&w, DB_APP_CK, ck, true, CONSUMER_KEY_LEN)) ||
            (rc = fw_lmdb_gen_unique(&w, -1, cs, true, CONSUMER_SECRET_LEN)) ||
            (rc = del_key(&w, DB_APP_CK, c.a.consumer_key)))
            goto out;
        c.a.consumer_key = fw_str_c(ck);
        c.a.consumer_secret = fw_str_c(cs);
        MDB_val key = {CONSUMER_KEY_LEN, ck}, v = {8, idb};
        if ((rc = fw_lmdb_err(mdb_put(w.txn, s->dbi[DB_APP_CK], &key, &v, MDB_NOOVERWRITE))))
            goto out;
    }
    if (what & FW_REGEN_CLIENT_SECRET) {
        if ((rc = fw_rec_client_secret(csec)))
            goto out;
        c.a.client_secret = fw_str_c(csec);
    }
    if ((rc = fw_lmdb_put_rec(&w, DB_APPS, app_id, &c.a, 0)))
        goto out;
    fw_app full;
    if ((rc = fw_lmdb_app_get(s, w.txn, app_id, &full)))
        goto out;
    fw_rec_app_fill(out, &full); /* the caller's copy, like fw_store_app_get's */
out:
    fw_buf_free(&c.strs);
    rc = fw_lmdb_wtx_finish(&w, rc);
    if (rc)
        fw_app_rec_free(out);
    return rc;
}

/* ---- verbatim copies (migrate: store_migrate.c) ---- */

int fw_lmdb_project_info_put(fw_store *s, const fw_project *p)
{
    if (p->use_case.len > FW_USE_CASE_MAX || (p->use_case.len && !p->use_case.p) || p->environment > FW_ENV_PRODUCTION)
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val v;
    if ((rc = fw_lmdb_get_id(w.txn, s, DB_PROJECTS, p->id, &v)))
        return fw_lmdb_wtx_finish(&w, rc);
    /* An admin-made project has no info record: keep it that way. */
    if (p->owner_id || p->environment || p->created_at_ms || p->use_case.len)
        rc = put_pinfo(&w, p->id, p->owner_id, p->environment, p->created_at_ms, p->use_case);
    return fw_lmdb_wtx_finish(&w, rc);
}

int fw_lmdb_app_settings_put(fw_store *s, uint64_t app_id, const fw_app_settings *st)
{
    if (st->permission > FW_APP_PERM_READ || (st->website_url.len && !st->website_url.p) ||
        (st->dev_token.len && !st->dev_token.p))
        return FW_EINVAL;
    fw_lmdb_wtx w;
    int rc = fw_lmdb_wtx_begin(s, &w);
    if (rc)
        return rc;
    MDB_val v;
    if ((rc = fw_lmdb_get_id(w.txn, s, DB_APPS, app_id, &v)))
        return fw_lmdb_wtx_finish(&w, rc);
    /* The defaults are what an app without a settings record reads. */
    if (st->permission || st->website_url.len || st->dev_token.len)
        rc = set_put(&w, app_id, st->permission, st->website_url, st->dev_token);
    return fw_lmdb_wtx_finish(&w, rc);
}

typedef struct dev_scan {
    fw_dev_fn fn;
    void *ctx;
} dev_scan;

static int dev_row(void *ctx, MDB_txn *txn, fw_store *s, const MDB_val *k, const MDB_val *v)
{
    (void)txn, (void)s;
    dev_scan *ds = ctx;
    fw_dev d;
    if (k->mv_size != 8 || dev_decode(v, be64_get(k->mv_data), &d))
        return FW_EIO;
    return ds->fn(ds->ctx, &d) != 0;
}

int fw_lmdb_dev_scan(fw_store *s, fw_dev_fn fn, void *ctx)
{
    dev_scan ds = {fn, ctx};
    return fw_lmdb_scan(s, DB_DEVS, 0, 0, dev_row, &ds);
}
