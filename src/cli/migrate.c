/* followd migrate: copies a whole database from one store to another (LMDB
 * directory or PostgreSQL URI, either direction): the graph through the bulk
 * import (one transaction on the target, lists keep their order because each
 * edge's sequence number orders the load), then projects, apps with their keys,
 * credentials as the hashes they are stored as, sign-in passwords and the
 * store secret (derived app-only bearer tokens and pagination tokens stay
 * valid). The target must be empty unless --overwrite, which wipes it first. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define BATCH 1000

static const char usage[] =
    "usage: followd migrate --from DIR|URI --to DIR|URI [--overwrite]\n"
    "copies users, tweets, follows, follow requests, projects, apps, credentials, passwords and the store\n"
    "secret from one database to another (LMDB directory or postgresql:// URI, any direction); tokens and\n"
    "app keys keep working. The target must be empty.\n"
    "  --overwrite   delete everything the target holds first\n";

/* Tweets per author, counted before the users are added: the import adds one
 * to tweet_count per tweet it loads, on top of what the user record says. */
typedef struct count_map {
    uint64_t *keys, *vals;
    size_t cap, n;
} count_map;

static size_t slot(const count_map *m, uint64_t k)
{
    size_t i = (size_t)(k * 0x9E3779B97F4A7C15ull >> 17) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int count_add(count_map *m, uint64_t k)
{
    if ((m->n + 1) * 2 > m->cap) {
        count_map g = {calloc(m->cap ? m->cap * 2 : 1024, 8), calloc(m->cap ? m->cap * 2 : 1024, 8),
                       m->cap ? m->cap * 2 : 1024, 0};
        if (!g.keys || !g.vals) {
            free(g.keys), free(g.vals);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = slot(&g, m->keys[i]);
                g.keys[j] = m->keys[i], g.vals[j] = m->vals[i], g.n++;
            }
        free(m->keys), free(m->vals);
        *m = g;
    }
    size_t i = slot(m, k);
    if (!m->keys[i])
        m->keys[i] = k, m->n++;
    m->vals[i]++;
    return 0;
}

static uint64_t count_get(const count_map *m, uint64_t k) { return m->cap ? m->vals[slot(m, k)] : 0; }

typedef struct mig {
    fw_store *src, *dst;
    fw_import *im;
    fw_cli_progress prog;
    count_map tweets_of;
    uint64_t last, users, tweets, follows, requests, projects, apps, creds, passwords, seen;
    int rc;
    const char *what; /* names the item rc is about */
    uint64_t what_id;
    bool committed; /* the graph is in the target */
} mig;

static int fail(mig *m, int rc, const char *what, uint64_t id)
{
    m->rc = rc;
    m->what = what;
    m->what_id = id;
    return 1;
}

static int count_tweet(void *ctx, const fw_tweet *t)
{
    mig *m = ctx;
    m->last = t->id;
    m->seen++;
    return count_add(&m->tweets_of, t->author_id) ? fail(m, FW_ENOMEM, "tweet", t->id) : 0;
}

static int add_user(void *ctx, const fw_user *u)
{
    mig *m = ctx;
    m->last = u->id;
    fw_user c = *u;
    uint64_t own = count_get(&m->tweets_of, u->id);
    c.tweet_count = c.tweet_count > own ? c.tweet_count - own : 0;
    int rc = fw_store_import_user(m->im, &c);
    if (rc)
        return fail(m, rc, "user", u->id);
    m->users++;
    return 0;
}

static int add_tweet(void *ctx, const fw_tweet *t)
{
    mig *m = ctx;
    m->last = t->id;
    int rc = fw_store_import_tweet(m->im, t);
    if (rc)
        return fail(m, rc, "tweet", t->id);
    m->tweets++;
    return 0;
}

static int add_edge(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq)
{
    mig *m = ctx;
    /* The sequence number stands in for created_at: the load orders by it. */
    int rc = seq > (uint64_t)INT64_MAX ? FW_EINVAL : fw_store_import_edge(m->im, rel, src, dst, (int64_t)seq);
    if (rc)
        return fail(m, rc, rel == FW_REL_PENDING ? "request from user" : "follow from user", src);
    rel == FW_REL_PENDING ? m->requests++ : m->follows++;
    if (((m->follows + m->requests) & 0xFFFF) == 0)
        fw_cli_progress_update(&m->prog, "reading edges", m->follows + m->requests, 0, "edges");
    return 0;
}

/* One keyset step of a scan of the source from m->last: the typed scan with its callback. */
typedef int (*step_fn)(mig *m);
static int step_count_tweets(mig *m) { return fw_store_tweet_scan(m->src, m->last, BATCH, count_tweet, m); }
static int step_users(mig *m) { return fw_store_user_scan(m->src, m->last, BATCH, add_user, m); }
static int step_tweets(mig *m) { return fw_store_tweet_scan(m->src, m->last, BATCH, add_tweet, m); }
static int step_passwords(mig *m);

/* Runs step from id 0 until a batch comes back short; fw_err (m->rc set). */
static int batches(mig *m, step_fn step, const char *phase, const uint64_t *count)
{
    m->last = 0;
    for (;;) {
        uint64_t before = *count, from = m->last;
        int rc = step(m);
        if (m->rc)
            return m->rc;
        if (rc)
            return fail(m, rc, "reading the source", 0), rc;
        fw_cli_progress_update(&m->prog, phase, *count, 0, "items");
        if (*count - before < BATCH || m->last == from)
            return FW_OK;
    }
}

static void commit_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
    fw_cli_progress_update(&((mig *)ctx)->prog, phase, done, total, "items");
}

static int put_project(void *ctx, uint64_t id, fw_str name, uint8_t level)
{
    mig *m = ctx;
    int rc = fw_store_project_put(m->dst, id, name, level);
    if (rc)
        return fail(m, rc, "project", id);
    m->projects++;
    return 0;
}

static int put_app(void *ctx, const fw_app *a)
{
    mig *m = ctx;
    int rc = fw_store_app_put(m->dst, a);
    if (rc)
        return fail(m, rc, "app", a->id);
    m->apps++;
    return 0;
}

static int put_cred(void *ctx, const uint8_t *hash, fw_str oauth1_token, const fw_cred *c)
{
    mig *m = ctx;
    int rc = fw_store_cred_put(m->dst, hash, oauth1_token, c);
    if (rc)
        return fail(m, rc, "credential of app", c->app_id);
    if ((++m->creds & 0xFFF) == 0)
        fw_cli_progress_update(&m->prog, "credentials", m->creds, 0, "items");
    return 0;
}

static int copy_password(void *ctx, const fw_user *u)
{
    mig *m = ctx;
    m->last = u->id;
    m->seen++;
    uint8_t rec[FW_PASSWORD_REC_MAX];
    size_t len;
    int rc = fw_store_user_get_password(m->src, u->id, rec, sizeof rec, &len);
    if (rc == FW_ENOTFOUND)
        return 0;
    if (!rc)
        rc = fw_store_user_set_password(m->dst, u->id, rec, len);
    if (rc)
        return fail(m, rc, "password of user", u->id);
    m->passwords++;
    return 0;
}

static int step_passwords(mig *m) { return fw_store_user_scan(m->src, m->last, BATCH, copy_password, m); }

/* Nothing in the target: no graph (import_begin says so) and no project or app. */
static int any_project(void *ctx, uint64_t id, fw_str name, uint8_t level)
{
    (void)id, (void)name, (void)level;
    *(bool *)ctx = true;
    return 1;
}

static int any_app(void *ctx, const fw_app *a)
{
    (void)a;
    *(bool *)ctx = true;
    return 1;
}

static int target_state(fw_store *dst, bool *used)
{
    bool any = false;
    int rc = fw_store_project_scan(dst, any_project, &any);
    if (!rc && !any)
        rc = fw_store_app_scan(dst, any_app, &any);
    *used = any;
    return rc;
}

static int run(mig *m, bool overwrite)
{
    bool used = false;
    int rc = target_state(m->dst, &used);
    if (!rc && !used) {
        rc = fw_store_import_begin(m->dst, &m->im);
        used = rc == FW_EEXISTS;
        if (used)
            rc = FW_OK;
    }
    if (rc)
        return fail(m, rc, "the target", 0), rc;
    if (used && !overwrite) {
        fw_store_import_abort(m->im);
        m->im = NULL;
        fw_cli_err("the target database is not empty (--overwrite deletes what it holds first)");
        return FW_EEXISTS;
    }
    if (used) {
        fw_store_import_abort(m->im);
        m->im = NULL;
        fw_cli_progress_update(&m->prog, "wiping the target", 0, 1, "steps");
        if ((rc = fw_store_wipe(m->dst)) || (rc = fw_store_import_begin(m->dst, &m->im)))
            return fail(m, rc, "the target", 0), rc;
    }
    uint64_t dup = 0;
    if ((rc = batches(m, step_count_tweets, "counting tweets", &m->seen)) ||
        (rc = batches(m, step_users, "reading users", &m->users)) ||
        (rc = batches(m, step_tweets, "reading tweets", &m->tweets)))
        goto abort;
    if ((rc = fw_store_edge_scan(m->src, add_edge, m)) || (rc = m->rc)) {
        if (!m->rc)
            fail(m, rc, "reading the source", 0);
        goto abort;
    }
    rc = fw_store_import_commit(m->im, commit_progress, m, &dup);
    m->im = NULL;
    if (rc)
        return fail(m, rc, dup == UINT64_MAX ? "the target" : "a duplicate edge", 0), rc;
    m->committed = true;
    /* From here on the graph is committed: a failure leaves a partial copy. */
    if ((rc = fw_store_project_scan(m->src, put_project, m)) || m->rc ||
        (rc = fw_store_app_scan(m->src, put_app, m)) || m->rc || (rc = fw_store_cred_scan(m->src, put_cred, m)) ||
        m->rc)
        return m->rc ? m->rc : (fail(m, rc, "reading the source", 0), rc);
    m->seen = 0;
    if ((rc = batches(m, step_passwords, "passwords", &m->seen)))
        return rc;
    if ((rc = fw_store_secret_set(m->dst, fw_store_secret(m->src))))
        return fail(m, rc, "the store secret", 0), rc;
    return FW_OK;
abort:
    fw_store_import_abort(m->im);
    m->im = NULL;
    return m->rc ? m->rc : rc;
}

int fw_cli_migrate(int argc, char **argv)
{
    if (fw_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    static const struct option opts[] = {{"from", required_argument, 0, 'f'},
                                         {"to", required_argument, 0, 't'},
                                         {"overwrite", no_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    const char *from = NULL, *to = NULL;
    bool overwrite = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'f')
            from = optarg;
        else if (c == 't')
            to = optarg;
        else if (c == 'o')
            overwrite = true;
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    if (!from || !to) {
        fw_cli_err("migrate needs --from and --to");
        return 2;
    }
    if (!strcmp(from, to)) {
        fw_cli_err("--from and --to name the same database");
        return 2;
    }
    fw_store_opts so = {.path = from, .read_only = !fw_store_is_uri(from)};
    fw_store_opts to_opts = {.path = to, .bulk = true};
    mig m = {0};
    if (!(m.src = fw_cli_open_opts(&so)))
        return 1;
    if (!(m.dst = fw_cli_open_opts(&to_opts))) {
        fw_store_close(m.src);
        return 1;
    }
    fw_cli_progress_init(&m.prog, "migrate");
    int rc = run(&m, overwrite);
    free(m.tweets_of.keys);
    free(m.tweets_of.vals);
    int ret = 0;
    if (rc == FW_EEXISTS && !m.what) {
        ret = 1; /* reported: the target is not empty */
    } else if (rc) {
        if (m.what_id)
            fw_cli_err("migrate failed at %s %llu: %s", m.what, (unsigned long long)m.what_id, fw_strerror(rc));
        else
            fw_cli_err("migrate failed at %s: %s", m.what ? m.what : "the target", fw_strerror(rc));
        if (m.committed)
            fw_cli_err("the target holds a partial copy: run again with --overwrite");
        ret = 1;
    } else {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "migrated %llu users, %llu tweets, %llu follows, %llu requests, %llu projects, %llu apps, "
                 "%llu credentials, %llu passwords",
                 (unsigned long long)m.users, (unsigned long long)m.tweets, (unsigned long long)m.follows,
                 (unsigned long long)m.requests, (unsigned long long)m.projects, (unsigned long long)m.apps,
                 (unsigned long long)m.creds, (unsigned long long)m.passwords);
        fw_cli_progress_done(&m.prog, msg);
    }
    fw_store_close(m.dst);
    fw_store_close(m.src);
    return ret;
}
