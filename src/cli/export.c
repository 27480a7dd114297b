/* followd export: writes a database's users, tweets, follows and pending
 * requests in the formats `followd import` reads, so export | import copies a
 * graph (lists keep their order: edges are written oldest first, which import
 * reads back as file order). Edges carry no created_at: the store keeps their
 * order, not their time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/edgesort.h"
#include "core/clock.h"
#include "core/jsonw.h"

static const char export_usage[] =
    "usage: followd export --db DIR [--users users.jsonl] [--tweets tweets.jsonl]\n"
    "                      [--follows follows.csv] [--requests requests.csv]\n"
    "Writes the database in the formats 'followd import' reads (see 'followd import --help');\n"
    "follows and requests are written oldest first, so importing them keeps every list's order.\n";

static const char *verified_types[] = {"none", "blue", "business", "government"};

typedef struct out {
    FILE *f;
    const char *path;
    fw_buf line;
    uint64_t n;
    uint64_t last, seen; /* keyset position and records read (scan_all) */
    bool bad; /* a record did not serialise */
    fw_cli_progress *prog;
} out;

/* Write errors are caught once, by ferror at close_out. */
static void flush_line(out *o)
{
    fw_buf_putc(&o->line, '\n');
    fwrite(o->line.data, 1, o->line.len, o->f);
    fw_buf_reset(&o->line);
    o->n++;
}

static void jw_strf(fw_jw *w, const char *key, fw_str v)
{
    fw_jw_key(w, key);
    fw_jw_strn(w, v.p ? v.p : "", v.len);
}

/* "public_metrics": {names[i]: vals[i], ...} */
static void jw_metrics(fw_jw *w, const char *const *names, const uint64_t *vals, size_t n)
{
    fw_jw_key(w, "public_metrics");
    fw_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++) {
        fw_jw_key(w, names[i]);
        fw_jw_int(w, (int64_t)vals[i]);
    }
    fw_jw_obj_end(w);
}

/* Closes the record's object and writes it as one line; -1 (and the output
 * marked bad) if it did not serialise. */
static int end_line(out *o, fw_jw *w)
{
    fw_jw_obj_end(w);
    if (fw_jw_error(w)) {
        o->bad = true;
        return -1;
    }
    flush_line(o);
    return 0;
}

static int user_line(void *ctx, const fw_user *u)
{
    out *o = ctx;
    o->last = u->id, o->seen++;
    fw_jw w;
    fw_jw_init(&w, &o->line, false);
    char ts[32];
    fw_iso8601(u->created_at_ms, ts);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "id"); fw_jw_id(&w, u->id);
    jw_strf(&w, "username", u->username);
    jw_strf(&w, "name", u->name);
    fw_jw_key(&w, "created_at"); fw_jw_str(&w, ts);
    jw_strf(&w, "description", u->description);
    jw_strf(&w, "url", u->url);
    jw_strf(&w, "location", u->location);
    jw_strf(&w, "profile_image_url", u->profile_image_url);
    fw_jw_key(&w, "protected"); fw_jw_bool(&w, u->flags & FW_USER_PROTECTED);
    fw_jw_key(&w, "verified"); fw_jw_bool(&w, u->flags & FW_USER_VERIFIED);
    fw_jw_key(&w, "verified_type"); fw_jw_str(&w, verified_types[u->verified_type & 3]);
    if (u->flags & FW_USER_SUSPENDED) {
        fw_jw_key(&w, "suspended"); fw_jw_bool(&w, true);
    }
    if (u->pinned_tweet_id) {
        fw_jw_key(&w, "pinned_tweet_id"); fw_jw_id(&w, u->pinned_tweet_id);
    }
    if (u->withheld_countries.len) {
        fw_jw_key(&w, "withheld");
        fw_jw_obj_begin(&w);
        fw_jw_key(&w, "country_codes");
        fw_jw_arr_begin(&w);
        for (size_t i = 0; i + 2 <= u->withheld_countries.len; i += 3)
            fw_jw_strn(&w, u->withheld_countries.p + i, 2);
        fw_jw_arr_end(&w);
        fw_jw_obj_end(&w);
    }
    static const char *const names[] = {"followers_count", "following_count", "tweet_count", "listed_count",
                                        "like_count"};
    const uint64_t vals[] = {u->followers_count, u->following_count, u->tweet_count, u->listed_count, u->like_count};
    jw_metrics(&w, names, vals, 5);
    if (end_line(o, &w))
        return -1;
    if ((o->n & 0xFFFF) == 0)
        fw_cli_progress_update(o->prog, "users", o->n, 0, "users");
    return 0;
}

static int tweet_line(void *ctx, const fw_tweet *t)
{
    out *o = ctx;
    o->last = t->id, o->seen++;
    fw_jw w;
    fw_jw_init(&w, &o->line, false);
    char ts[32];
    fw_iso8601(t->created_at_ms, ts);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "id"); fw_jw_id(&w, t->id);
    fw_jw_key(&w, "author_id"); fw_jw_id(&w, t->author_id);
    jw_strf(&w, "text", t->text);
    fw_jw_key(&w, "created_at"); fw_jw_str(&w, ts);
    jw_strf(&w, "lang", t->lang);
    jw_strf(&w, "source", t->source);
    jw_strf(&w, "reply_settings", t->reply_settings);
    fw_jw_key(&w, "possibly_sensitive"); fw_jw_bool(&w, t->possibly_sensitive);
    if (t->conversation_id) {
        fw_jw_key(&w, "conversation_id"); fw_jw_id(&w, t->conversation_id);
    }
    static const char *const names[] = {"retweet_count", "reply_count", "like_count", "quote_count",
                                        "bookmark_count", "impression_count"};
    const uint64_t vals[] = {t->retweet_count, t->reply_count, t->like_count, t->quote_count, t->bookmark_count,
                             t->impression_count};
    jw_metrics(&w, names, vals, 6);
    return end_line(o, &w);
}

/* fw_store_edge_scan's rows into the sorter; the error is kept here, since a
 * scan stopped by its callback need not say why. */
typedef struct edge_in {
    fw_edgesort *e;
    int rc;
} edge_in;

static int edge_row(void *ctx, uint8_t rel, uint64_t src, uint64_t dst, uint64_t seq)
{
    edge_in *in = ctx;
    return (in->rc = fw_edgesort_add(in->e, seq, rel, src, dst)) != FW_OK;
}

typedef struct edge_out {
    out *fo, *ro;
    fw_cli_progress *prog;
    uint64_t i, n;
} edge_out;

static int edge_line(void *ctx, uint8_t rel, uint64_t src, uint64_t dst)
{
    edge_out *eo = ctx;
    out *o = rel == FW_REL_PENDING ? eo->ro : eo->fo;
    if ((eo->i++ & 0xFFFFF) == 0)
        fw_cli_progress_update(eo->prog, "edges", eo->i - 1, eo->n, "edges");
    if (!o->f)
        return 0;
    fw_buf_put_u64(&o->line, src);
    fw_buf_putc(&o->line, ',');
    fw_buf_put_u64(&o->line, dst);
    flush_line(o);
    return 0;
}

static int open_out(out *o, const char *path, fw_cli_progress *prog)
{
    memset(o, 0, sizeof(*o));
    o->path = path;
    o->prog = prog;
    if (!path)
        return 0;
    if (!(o->f = fopen(path, "w"))) {
        fw_cli_err("cannot create %s: %m", path);
        return -1;
    }
    return 0;
}

static int close_out(out *o)
{
    fw_buf_free(&o->line);
    if (!o->f)
        return 0;
    bool err = ferror(o->f) != 0 || o->bad;
    if (fclose(o->f) != 0 || err) {
        fw_cli_err("cannot write %s: %m", o->path);
        return -1;
    }
    return 0;
}

/* Users or tweets in keyset batches: a PostgreSQL source answers each with one
 * bounded query instead of one result holding the whole table. */
#define SCAN_BATCH 10000
static int scan_all(fw_store *s, bool tweets, out *o)
{
    for (;;) {
        uint64_t before = o->seen, from = o->last;
        int rc = tweets ? fw_store_tweet_scan(s, o->last, SCAN_BATCH, tweet_line, o)
                        : fw_store_user_scan(s, o->last, SCAN_BATCH, user_line, o);
        if (rc || o->seen - before < SCAN_BATCH || o->last == from)
            return rc;
    }
}

/* The directory of path ("." for a bare name): the sorter's runs go next to the output. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
}

/* Edges oldest first: scanned in the store's order into an external sort by
 * sequence number (cli/edgesort.h), so memory stays bounded for any graph. */
static int write_edges(fw_store *s, out *fo, out *ro, fw_cli_progress *prog)
{
    char *dir = dir_of(fo->path ? fo->path : ro->path);
    fw_edgesort *e = dir ? fw_edgesort_new(dir, 0) : NULL;
    free(dir);
    edge_in in = {e, FW_OK};
    int rc = e ? fw_store_edge_scan(s, edge_row, &in) : FW_ENOMEM;
    if (!rc)
        rc = in.rc;
    edge_out eo = {fo, ro, prog, 0, e ? fw_edgesort_count(e) : 0};
    if (!rc)
        rc = fw_edgesort_each(e, edge_line, &eo);
    fw_edgesort_free(e);
    if (rc)
        fw_cli_err("cannot read the graph: %s", fw_strerror(rc));
    return rc ? -1 : 0;
}

int fw_cli_export(int argc, char **argv)
{
    fw_cli_graph_files g;
    int st = fw_cli_graph_args(argc, argv, "export", export_usage, false, &g);
    if (st >= 0)
        return st;
    const char *db = g.db, *users = g.users, *tweets = g.tweets, *follows = g.follows, *requests = g.requests;
    fw_store *s = fw_cli_open(db);
    if (!s)
        return 1;
    fw_cli_progress prog;
    fw_cli_progress_init(&prog, "export");
    out uo, to, fo, ro;
    int ret = open_out(&uo, users, &prog) | open_out(&to, tweets, &prog) | open_out(&fo, follows, &prog) |
              open_out(&ro, requests, &prog);
    int rc = FW_OK;
    if (!ret && users && (rc = scan_all(s, false, &uo)))
        fw_cli_err("cannot read users: %s", fw_strerror(rc));
    if (!ret && !rc && tweets && (rc = scan_all(s, true, &to)))
        fw_cli_err("cannot read tweets: %s", fw_strerror(rc));
    if (!ret && !rc && (follows || requests) && write_edges(s, &fo, &ro, &prog))
        ret = 1;
    ret |= rc ? 1 : 0;
    ret |= close_out(&uo) | close_out(&to) | close_out(&fo) | close_out(&ro);
    fw_store_close(s);
    if (ret)
        return 1;
    char msg[160];
    snprintf(msg, sizeof(msg), "%llu users, %llu tweets, %llu follows, %llu requests",
             (unsigned long long)uo.n, (unsigned long long)to.n, (unsigned long long)fo.n,
             (unsigned long long)ro.n);
    fw_cli_progress_done(&prog, msg);
    return 0;
}
