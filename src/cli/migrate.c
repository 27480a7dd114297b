/* followd migrate: copies a whole database from one store to another (LMDB
 * directory or PostgreSQL URI, either direction), all or nothing: the graph
 * through the bulk import (lists keep their order because each edge's sequence
 * number orders the load), then projects with their portal fields, apps with
 * their keys and settings, credentials as the hashes they are stored as,
 * developer accounts, sign-in passwords and the store secret (derived app-only
 * bearer tokens and pagination tokens stay valid), by fw_store_migrate_commit.
 * A PostgreSQL target gets it all in one transaction; an LMDB target is built
 * in a fresh directory beside it (DST.migrating) and swapped into place with
 * one rename when complete, so a failure or a kill leaves DST as it was. The
 * target must be empty unless --overwrite. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define BATCH 1000

static const char usage[] =
    "usage: followd migrate --from DIR|URI --to DIR|URI [--overwrite]\n"
    "copies users, tweets, follows, follow requests, projects, apps and their settings, credentials,\n"
    "developer accounts, passwords and the store secret from one database to another (LMDB directory or\n"
    "postgresql:// URI, any direction), all or nothing; tokens, app keys and portal sign-ins keep working.\n"
    "The target must be empty.\n"
    "  --overwrite   replace everything the target holds (only once the copy is complete)\n";

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
    uint64_t last, users, tweets, follows, requests, seen;
    fw_migrate_stats st; /* what the commit copied beside the graph */
    int rc;
    const char *what; /* names the item rc is about */
    uint64_t what_id;
    char *staged; /* an LMDB target's fresh directory (DST.migrating), swapped in when complete */
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
    if (!rc && !any) {
        fw_import *im = NULL;
        rc = fw_store_import_begin(dst, &im); /* FW_EEXISTS: it holds a graph */
        fw_store_import_abort(im);
        any = rc == FW_EEXISTS;
        if (any)
            rc = FW_OK;
    }
    *used = any;
    return rc;
}

/* Copies src into dst (checked empty, or to be replaced when overwrite). */
static int run(mig *m, bool overwrite)
{
    int rc = fw_store_migrate_begin(m->dst, overwrite, &m->im);
    if (rc)
        return fail(m, rc, "the target", 0), rc;
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
    rc = fw_store_migrate_commit(m->im, m->src, commit_progress, m, &dup, &m->st);
    m->im = NULL;
    if (rc)
        return fail(m, rc, m->st.what ? m->st.what : "the target", m->st.what_id), rc;
    return FW_OK;
abort:
    fw_store_import_abort(m->im);
    m->im = NULL;
    return m->rc ? m->rc : rc;
}

/* ---- an LMDB target: built beside it, then swapped into place ---- */

/* Removes an LMDB directory (flat: data.mdb, lock.mdb); absent is fine. -1
 * with errno (ENOTEMPTY for a subdirectory, which no database has). */
static int remove_db_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            rc = unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    return rc ? rc : rmdir(path);
}

/* 1 if path is a directory holding anything but an LMDB database, 0 if it is
 * absent, empty or a database, -1 (errno) if it cannot be read. */
static int foreign_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int foreign = 0;
    struct dirent *e;
    while (!foreign && (e = readdir(d)))
        foreign = strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "data.mdb") &&
                  strcmp(e->d_name, "lock.mdb");
    closedir(d);
    return foreign;
}

/* Puts the complete copy at `to` in one rename (exchanging it with what was
 * there); -1 with errno if that rename failed, which leaves `to` as it was.
 * Removing the old database and syncing the directory after it only warn:
 * the copy is in place by then. */
static int swap_into_place(const char *staged, const char *to)
{
    struct stat sb;
    bool existed = stat(to, &sb) == 0;
    if (existed ? renameat2(AT_FDCWD, staged, AT_FDCWD, to, RENAME_EXCHANGE) : rename(staged, to))
        return -1;
    if (existed && remove_db_dir(staged))
        fw_cli_err("migrate: the old database stays in %s: %s", staged, strerror(errno));
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", to);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(parent, sizeof parent, ".");
    int fd = open(parent, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd))
        fw_cli_err("migrate: cannot sync %s: %s", parent, strerror(errno));
    if (fd >= 0)
        close(fd);
    return 0;
}

/* Whether the database at `to` may be replaced: 0, or the exit status after
 * saying why not. */
static int check_target(fw_store *dst, bool overwrite)
{
    bool used = false;
    int rc = target_state(dst, &used);
    if (rc) {
        fw_cli_err("migrate: cannot read the target: %s", fw_strerror(rc));
        return 1;
    }
    if (used && !overwrite) {
        fw_cli_err("the target database is not empty (--overwrite deletes what it holds first)");
        return 1;
    }
    return 0;
}

/* Opens m->dst: the PostgreSQL database itself, or for an LMDB directory a
 * fresh one beside it (m->staged, owned) once `to` is known to be replaceable. */
static int open_target(mig *m, const char *to, bool overwrite)
{
    fw_store_opts o = {.path = to, .bulk = true};
    if (fw_store_is_uri(to)) {
        if (!(m->dst = fw_cli_open_opts(&o)))
            return 1;
        int ret = check_target(m->dst, overwrite);
        if (ret)
            fw_store_close(m->dst), m->dst = NULL;
        return ret;
    }
    int foreign = foreign_dir(to);
    if (foreign) {
        fw_cli_err(foreign < 0 ? "migrate: cannot read %s: %s" : "migrate: %s holds files that are not a database%s",
                   to, foreign < 0 ? strerror(errno) : "");
        return 1;
    }
    struct stat sb;
    char data[4096 + 16];
    snprintf(data, sizeof data, "%s/data.mdb", to);
    if (stat(data, &sb) == 0) {
        fw_store_opts ro = {.path = to, .read_only = true};
        fw_store *old = fw_cli_open_opts(&ro);
        if (!old)
            return 1;
        int ret = check_target(old, overwrite);
        fw_store_close(old);
        if (ret)
            return ret;
    }
    size_t n = strlen(to) + sizeof ".migrating";
    if (!(m->staged = malloc(n)))
        return 1;
    snprintf(m->staged, n, "%s.migrating", to);
    /* what a killed migrate left is only ever a partial copy */
    if (remove_db_dir(m->staged)) {
        fw_cli_err("migrate: cannot remove %s: %s", m->staged, strerror(errno));
        free(m->staged), m->staged = NULL;
        return 1;
    }
    o.path = m->staged;
    if (!(m->dst = fw_cli_open_opts(&o))) {
        free(m->staged), m->staged = NULL;
        return 1;
    }
    return 0;
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
    /* "dir/" names dir: DST.migrating must be its sibling, not inside it */
    char to_buf[4096];
    if (!fw_store_is_uri(to) && strlen(to) < sizeof to_buf) {
        size_t n = strlen(to);
        while (n > 1 && to[n - 1] == '/')
            n--;
        memcpy(to_buf, to, n);
        to_buf[n] = 0;
        to = to_buf;
    }
    if (!strcmp(from, to)) {
        fw_cli_err("--from and --to name the same database");
        return 2;
    }
    fw_store_opts so = {.path = from, .read_only = !fw_store_is_uri(from)};
    mig m = {0};
    if (!(m.src = fw_cli_open_opts(&so)))
        return 1;
    int ret = open_target(&m, to, overwrite);
    if (ret) {
        fw_store_close(m.src);
        return ret;
    }
    fw_cli_progress_init(&m.prog, "migrate");
    int rc = run(&m, overwrite && !m.staged);
    free(m.tweets_of.keys);
    free(m.tweets_of.vals);
    fw_store_close(m.dst); /* an LMDB bulk target syncs here */
    fw_store_close(m.src);
    if (m.staged) {
        if (!rc && swap_into_place(m.staged, to)) {
            fw_cli_err("migrate: cannot move %s into place: %s", m.staged, strerror(errno));
            rc = FW_EIO, m.what = NULL;
        } else if (rc && remove_db_dir(m.staged)) {
            fw_cli_err("migrate: cannot remove %s: %s", m.staged, strerror(errno));
        }
        free(m.staged);
    }
    if (rc) {
        if (!m.what)
            ; /* reported */
        else if (m.what_id)
            fw_cli_err("migrate failed at %s %llu: %s", m.what, (unsigned long long)m.what_id, fw_strerror(rc));
        else
            fw_cli_err("migrate failed at %s: %s", m.what, fw_strerror(rc));
        fw_cli_err("the target is unchanged");
        return 1;
    }
    char msg[320];
    snprintf(msg, sizeof msg,
             "migrated %llu users, %llu tweets, %llu follows, %llu requests, %llu projects, %llu apps, "
             "%llu credentials, %llu developers, %llu passwords",
             (unsigned long long)m.users, (unsigned long long)m.tweets, (unsigned long long)m.follows,
             (unsigned long long)m.requests, (unsigned long long)m.st.projects, (unsigned long long)m.st.apps,
             (unsigned long long)m.st.creds, (unsigned long long)m.st.devs, (unsigned long long)m.st.passwords);
    fw_cli_progress_done(&m.prog, msg);
    return 0;
}
