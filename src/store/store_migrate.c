/* Whole-database copies (store.h fw_store_migrate_commit): reads everything
 * but the graph from the source through the public scans, the same for every
 * backend, and hands each record to a sink, which a backend points at its own
 * open transaction (pg_import.c) or at the public writes of the target store
 * (fw_migrate_store_sink, used by LMDB after its graph transaction). */
#include "store/backend.h"
#include "store/import_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct copy {
    fw_store *from;
    const fw_migrate_sink *sink;
    void *w;
    fw_migrate_stats *st;
    fw_migrate_progress progress;
    void *ctx;
    int rc;            /* first failure (fw_err) */
    uint64_t *apps;    /* ids of the apps copied, ascending (the scan's order) */
    size_t napps, capps;
} copy;

/* Records the failure and stops the scan (the scan returns FW_OK on stop). */
static int fail(copy *c, int rc, const char *what, uint64_t id)
{
    c->rc = rc;
    c->st->what = what;
    c->st->what_id = id;
    return 1;
}

static void report(copy *c, const char *phase, uint64_t done)
{
    if (c->progress)
        c->progress(c->ctx, phase, done, 0);
}

static int project_row(void *ctx, uint64_t id, fw_str name, uint8_t level)
{
    (void)name, (void)level;
    copy *c = ctx;
    fw_project_rec r;
    int rc = fw_store_project_get(c->from, id, &r);
    if (!rc) {
        rc = c->sink->project(c->w, &r.p);
        fw_project_rec_free(&r);
    }
    if (rc)
        return fail(c, rc, "project", id);
    c->st->projects++;
    return 0;
}

static int app_row(void *ctx, const fw_app *a)
{
    copy *c = ctx;
    fw_app_settings_rec r;
    int rc = fw_store_app_settings_get(c->from, a->id, &r);
    if (!rc) {
        rc = c->sink->app(c->w, a, &r.s);
        fw_app_settings_rec_free(&r);
    }
    if (!rc && c->napps == c->capps) {
        size_t cap = c->capps ? c->capps * 2 : 64;
        uint64_t *g = realloc(c->apps, cap * sizeof *g);
        if (g)
            c->apps = g, c->capps = cap;
        else
            rc = FW_ENOMEM;
    }
    if (rc)
        return fail(c, rc, "app", a->id);
    c->apps[c->napps++] = a->id;
    c->st->apps++;
    return 0;
}

static bool app_copied(const copy *c, uint64_t id)
{
    size_t lo = 0, hi = c->napps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->apps[mid] == id)
            return true;
        if (c->apps[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int cred_row(void *ctx, const uint8_t *hash, fw_str oauth1_token, const fw_cred *cr)
{
    copy *c = ctx;
    /* A deleted app's credentials stay behind but never authenticate again
     * (store.h fw_store_app_delete): nothing to carry. */
    if (!app_copied(c, cr->app_id))
        return 0;
    int rc = c->sink->cred(c->w, hash, oauth1_token, cr);
    if (rc)
        return fail(c, rc, "credential of app", cr->app_id);
    if ((++c->st->creds & 0xFFF) == 0)
        report(c, "credentials", c->st->creds);
    return 0;
}

static int dev_row(void *ctx, const fw_dev *d)
{
    copy *c = ctx;
    int rc = c->sink->dev(c->w, d);
    if (rc)
        return fail(c, rc, "developer account of user", d->user_id);
    c->st->devs++;
    return 0;
}

static int password_row(void *ctx, uint64_t user_id, const uint8_t *rec, size_t len)
{
    copy *c = ctx;
    int rc = c->sink->password(c->w, user_id, rec, len);
    if (rc)
        return fail(c, rc, "password of user", user_id);
    if ((++c->st->passwords & 0xFFF) == 0)
        report(c, "passwords", c->st->passwords);
    return 0;
}

/* rc of a scan: the sink's failure first, else the source's. */
static int scanned(copy *c, int rc)
{
    if (c->rc)
        return c->rc;
    if (rc) {
        c->st->what = "reading the source";
        c->st->what_id = 0;
    }
    return rc;
}

static int copy_rest(copy *c)
{
    fw_store *from = c->from;
    fw_migrate_stats *st = c->st;
    int rc;
    report(c, "projects", 0);
    if ((rc = scanned(c, fw_store_project_scan(from, project_row, c))))
        return rc;
    report(c, "apps", 0);
    if ((rc = scanned(c, fw_store_app_scan(from, app_row, c))))
        return rc;
    report(c, "credentials", 0);
    if ((rc = scanned(c, fw_store_cred_scan(from, cred_row, c))))
        return rc;
    report(c, "developers", 0);
    if ((rc = scanned(c, fw_store_dev_scan(from, dev_row, c))))
        return rc;
    report(c, "passwords", 0);
    if ((rc = scanned(c, fw_store_password_scan(from, password_row, c))))
        return rc;
    if ((rc = c->sink->secret(c->w, fw_store_secret(from)))) {
        st->what = "the store secret";
        st->what_id = 0;
    }
    return rc;
}

int fw_migrate_copy(fw_store *from, const fw_migrate_sink *sink, void *w, fw_migrate_stats *st,
                    fw_migrate_progress progress, void *ctx)
{
    copy c = {from, sink, w, st, progress, ctx, FW_OK, NULL, 0, 0};
    int rc = copy_rest(&c);
    free(c.apps);
    return rc;
}

/* ---- the sink of public writes on the target store ---- */

static int store_project(void *w, const fw_project *p)
{
    int rc = fw_store_project_put(w, p->id, p->name, p->access_level);
    return rc ? rc : fw_store_project_info_put(w, p);
}

static int store_app(void *w, const fw_app *a, const fw_app_settings *st)
{
    int rc = fw_store_app_put(w, a);
    return rc ? rc : fw_store_app_settings_put(w, a->id, st);
}

static int store_cred(void *w, const uint8_t *hash, fw_str oauth1_token, const fw_cred *c)
{
    return fw_store_cred_put(w, hash, oauth1_token, c);
}

static int store_dev(void *w, const fw_dev *d) { return fw_store_dev_create(w, d->user_id, d->status, d->created_at_ms); }

static int store_password(void *w, uint64_t user_id, const uint8_t *rec, size_t len)
{
    return fw_store_user_set_password(w, user_id, rec, len);
}

static int store_secret(void *w, const uint8_t secret[32]) { return fw_store_secret_set(w, secret); }

const fw_migrate_sink fw_migrate_store_sink = {store_project, store_app,     store_cred,
                                               store_dev,     store_password, store_secret};

int fw_migrate_begin_plain(fw_store *s, bool overwrite, fw_import **out)
{
    *out = NULL;
    int rc = overwrite ? fw_store_wipe(s) : FW_OK;
    return rc ? rc : fw_store_import_begin(s, out);
}

int fw_migrate_commit_plain(fw_import *im, fw_store *from, fw_migrate_progress progress, void *ctx, uint64_t *dup,
                            fw_migrate_stats *st)
{
    fw_store *to = fw_import_store(im);
    int rc = fw_store_import_commit(im, progress, ctx, dup);
    if (rc) {
        st->what = *dup == UINT64_MAX ? NULL : "a duplicate edge";
        return rc;
    }
    return fw_migrate_copy(from, &fw_migrate_store_sink, to, st, progress, ctx);
}
