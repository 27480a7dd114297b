/* Bulk import into an empty PostgreSQL database (store.h "Bulk import").
 *
 * The collector (lmdb_import.c, import_internal.h) validates every item as it
 * is added and prepares the commit; this writer then loads users, tweets and
 * relationships with COPY FROM STDIN in text format, streamed in chunks, all in
 * one transaction (fw_pg_tx): an error anywhere rolls everything back. The
 * relationship table's secondary indexes (one per list direction) are dropped
 * for the load and built again afterwards from their own definitions
 * (pg_indexes), in the same transaction: one sort per index instead of a
 * million inserts at random positions, and whatever a later migration makes
 * of those indexes is kept. The tables are locked first and checked empty again inside the transaction, so
 * a write that slipped in since begin makes the commit fail with FW_EEXISTS
 * instead of mixing two graphs. The edge sequence and the id counter are moved
 * past what was loaded, so later follows are newer and new ids never collide. */
#include "store/import_internal.h"
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (1u << 20) /* bytes handed to PQputCopyData at a time */

static int pg_import_write(fw_import *im, fw_import_progress progress, void *ctx);

/* Whether the graph tables hold anything: one boolean row. */
#define GRAPH_USED_SQL                                                                                         \
    "SELECT EXISTS (SELECT 1 FROM fw_users) OR EXISTS (SELECT 1 FROM fw_tweets) OR EXISTS (SELECT 1 FROM fw_rel)"

/* Runs GRAPH_USED_SQL on the admin connection (c NULL) or on c: FW_EEXISTS when used. */
static int graph_empty(fw_pg *s, fw_pgc *c)
{
    PGresult *r;
    int rc = c ? fw_pgc_q(c, GRAPH_USED_SQL, NULL, &r) : fw_pg_exec1(s, GRAPH_USED_SQL, NULL, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 'f' ? FW_OK : FW_EEXISTS;
    PQclear(r);
    return rc;
}

int fw_pg_import_begin(fw_store *st, fw_import **out)
{
    *out = NULL;
    fw_pg *s = fw_pg_of(st);
    if (s->read_only)
        return FW_EIO;
    int rc = graph_empty(s, NULL);
    s->import_wipe = false;
    return rc ? rc : fw_import_new(st, pg_import_write, out);
}

int fw_pg_migrate_begin(fw_store *st, bool overwrite, fw_import **out)
{
    if (!overwrite)
        return fw_pg_import_begin(st, out);
    *out = NULL;
    fw_pg *s = fw_pg_of(st);
    if (s->read_only)
        return FW_EIO;
    s->import_wipe = true;
    return fw_import_new(st, pg_import_write, out);
}

int fw_pg_migrate_commit(fw_import *im, fw_store *from, fw_migrate_progress progress, void *ctx, uint64_t *dup,
                         fw_migrate_stats *st)
{
    fw_pg *s = fw_pg_of(fw_import_store(im));
    fw_pg_mig m = {from, st};
    s->mig = &m;
    int rc = fw_store_import_commit(im, progress, ctx, dup); /* frees im */
    s->mig = NULL;
    s->import_wipe = false;
    if (!rc)
        memcpy(s->secret, fw_store_secret(from), sizeof s->secret);
    else if (!st->what && *dup != UINT64_MAX)
        st->what = "a duplicate edge";
    return rc;
}

/* One COPY in progress: rows are appended to buf and sent a chunk at a time. */
typedef struct copier {
    fw_pgc *c;
    fw_buf buf;
    fw_buf scratch; /* a row's derived text (the user's default_json) */
    int rc;
} copier;

static void flush(copier *cp)
{
    if (cp->rc == FW_OK && cp->buf.len && PQputCopyData(cp->c->conn, cp->buf.data, (int)cp->buf.len) != 1) {
        cp->rc = FW_EIO;
        cp->c->retry = true; /* the connection broke: the transaction may run again */
    }
    fw_buf_reset(&cp->buf);
}

static void end_row(copier *cp)
{
    cp->buf.data[cp->buf.len - 1] = '\n'; /* the last column's tab */
    if (cp->buf.len >= CHUNK)
        flush(cp);
}

static void col_i64(copier *cp, int64_t v)
{
    fw_buf_put_i64(&cp->buf, v);
    fw_buf_putc(&cp->buf, '\t');
}

static void col_u64(copier *cp, uint64_t v) { col_i64(cp, (int64_t)v); } /* bigint, as fw_pgp_u64 */

/* A text column, escaped for COPY's text format; a NUL byte cannot be stored
 * in a PostgreSQL text value. */
static void col_str(copier *cp, fw_str v)
{
    for (size_t i = 0; i < v.len; i++) {
        char ch = v.p[i];
        switch (ch) {
        case '\\': fw_buf_append(&cp->buf, "\\\\", 2); break;
        case '\t': fw_buf_append(&cp->buf, "\\t", 2); break;
        case '\n': fw_buf_append(&cp->buf, "\\n", 2); break;
        case '\r': fw_buf_append(&cp->buf, "\\r", 2); break;
        case '\0': cp->rc = cp->rc ? cp->rc : FW_EINVAL; break;
        default: fw_buf_putc(&cp->buf, ch);
        }
    }
    fw_buf_putc(&cp->buf, '\t');
}

/* Starts COPY sql FROM STDIN on c; fw_err. */
static int copy_begin(copier *cp, fw_pgc *c, const char *sql)
{
    *cp = (copier){.c = c, .buf = FW_BUF_INIT, .scratch = FW_BUF_INIT};
    PGresult *r = PQexec(c->conn, sql);
    int rc = PQresultStatus(r) == PGRES_COPY_IN ? FW_OK : fw_pg_err(r);
    if (rc == FW_OK && PQresultStatus(r) != PGRES_COPY_IN)
        rc = FW_EIO;
    if (rc)
        c->retry = fw_pg_retryable(r) || PQstatus(c->conn) != CONNECTION_OK;
    PQclear(r);
    return rc;
}

/* Ends the COPY (aborted when a row failed) and collects its result; fw_err. */
static int copy_end(copier *cp)
{
    flush(cp);
    fw_buf_free(&cp->buf);
    fw_buf_free(&cp->scratch);
    PGconn *conn = cp->c->conn;
    if (PQputCopyEnd(conn, cp->rc ? "followd: import aborted" : NULL) != 1 && !cp->rc) {
        cp->rc = FW_EIO;
        cp->c->retry = true;
    }
    PGresult *r;
    while ((r = PQgetResult(conn))) {
        int rc = fw_pg_err(r);
        if (rc && !cp->rc) {
            cp->rc = rc;
            cp->c->retry = fw_pg_retryable(r);
        }
        PQclear(r);
    }
    if (PQstatus(conn) != CONNECTION_OK && cp->rc)
        cp->c->retry = true;
    return cp->rc;
}

typedef struct load {
    fw_import *im;
    fw_import_progress progress;
    void *ctx;
} load;

static void report(const load *l, const char *phase, uint64_t done, uint64_t total)
{
    if (l->progress)
        l->progress(l->ctx, phase, done, total);
}

/* One row of a table's COPY: item i of the import. */
typedef void (*row_fn)(copier *cp, const load *l, size_t i);

static void user_row(copier *cp, const load *l, size_t r)
{
    fw_user u;
    fw_import_user_at(l->im, r, &u);
    char lname[FW_USERNAME_MAX + 1];
    if (u.id > (uint64_t)INT64_MAX || !fw_rec_username_key(u.username, lname)) {
        cp->rc = FW_EINVAL;
        return;
    }
    fw_buf_reset(&cp->scratch);
    fw_rec_user_head(&u, &cp->scratch);
    col_u64(cp, u.id);
    col_str(cp, fw_str_c(lname));
    const uint64_t nums[] = {(uint64_t)u.created_at_ms, u.pinned_tweet_id, u.most_recent_tweet_id, u.followers_count,
                             u.following_count, u.tweet_count, u.listed_count, u.like_count, u.flags,
                             u.verified_type};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        col_u64(cp, nums[i]);
    const fw_str strs[] = {u.username, u.name, u.description, u.location, u.url, u.profile_image_url,
                           u.withheld_countries, u.entities_json,
                           {cp->scratch.data ? cp->scratch.data : "", cp->scratch.len}};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        col_str(cp, strs[i]);
}

static void tweet_row(copier *cp, const load *l, size_t i)
{
    fw_tweet t;
    fw_import_tweet_at(l->im, i, &t);
    if (t.id > (uint64_t)INT64_MAX) {
        cp->rc = FW_EINVAL;
        return;
    }
    const uint64_t nums[] = {t.id, t.author_id, t.conversation_id, (uint64_t)t.created_at_ms, t.retweet_count,
                             t.reply_count, t.like_count, t.quote_count, t.bookmark_count, t.impression_count};
    for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++)
        col_u64(cp, nums[k]);
    fw_buf_puts(&cp->buf, t.possibly_sensitive ? "t\t" : "f\t");
    const fw_str strs[] = {t.text, t.lang, t.source, t.reply_settings, t.entities_json};
    for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
        col_str(cp, strs[k]);
}

static void rel_row(copier *cp, const load *l, size_t i)
{
    uint8_t rel;
    uint64_t src, dst, seq;
    fw_import_edge_at(l->im, i, &rel, &src, &dst, &seq);
    const uint64_t cols[] = {src, dst, rel, seq};
    for (size_t k = 0; k < 4; k++)
        col_u64(cp, cols[k]);
}

/* COPY sql FROM STDIN with row(i) for i < n; fw_err. */
static int copy_table(fw_pgc *c, const load *l, const char *sql, size_t n, const char *phase, row_fn row)
{
    if (!n)
        return FW_OK;
    copier cp;
    int rc = copy_begin(&cp, c, sql);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !cp.rc; i++) {
        row(&cp, l, i);
        if (cp.rc)
            break;
        end_row(&cp);
        if ((i & 0xFFFF) == 0)
            report(l, phase, i, n);
    }
    report(l, phase, n, n);
    return copy_end(&cp);
}

/* The sequence and id counters past everything loaded. */
static int counters(fw_pgc *c, const load *l)
{
    fw_pgp p = {0};
    fw_pgp_u64(&p, fw_import_nedges(l->im));
    int rc = fw_pgc_q(c, "SELECT setval('fw_edge_seq', GREATEST($1::bigint, 1), $1::bigint > 0)", &p, NULL);
    fw_pgp_free(&p);
    if (!rc)
        rc = fw_pgc_q(c,
                      "UPDATE fw_meta SET n = GREATEST(n, (SELECT coalesce(max(id), 0) FROM fw_users), "
                      "(SELECT coalesce(max(id), 0) FROM fw_tweets)) WHERE k = 'last_id'",
                      NULL, NULL);
    return rc;
}

/* The definitions of fw_rel's indexes other than its primary key, then drops
 * them; *defs (caller frees with PQclear) holds one CREATE INDEX per row. */
static int drop_rel_indexes(fw_pgc *c, PGresult **defs)
{
    int rc = fw_pgc_q(c,
                      "SELECT indexdef, quote_ident(indexname) FROM pg_indexes WHERE schemaname = current_schema() "
                      "AND tablename = 'fw_rel' AND indexname <> 'fw_rel_pkey' ORDER BY indexname",
                      NULL, defs);
    for (int i = 0; !rc && i < PQntuples(*defs); i++) {
        fw_buf b = FW_BUF_INIT;
        fw_buf_printf(&b, "DROP INDEX %s", PQgetvalue(*defs, i, 1));
        rc = fw_pgc_q(c, b.data, NULL, NULL);
        fw_buf_free(&b);
    }
    return rc;
}

static int create_rel_indexes(fw_pgc *c, const load *l, const PGresult *defs)
{
    int rc = FW_OK;
    for (int i = 0; !rc && i < PQntuples(defs); i++) {
        report(l, "indexing relationships", (uint64_t)i, (uint64_t)PQntuples(defs));
        rc = fw_pgc_q(c, PQgetvalue(defs, i, 0), NULL, NULL);
    }
    return rc;
}

static int load_body(fw_pgc *c, void *arg)
{
    const load *l = arg;
    /* fw_rel exclusively from the start: its indexes are dropped below (no lock upgrade to wait in). */
    fw_pg *s = fw_pg_of(fw_import_store(l->im));
    /* migrate --overwrite: the old contents go in this transaction, so a failure keeps them */
    int rc = s->import_wipe ? fw_pgc_q(c, FW_PG_WIPE_SQL, NULL, NULL) : FW_OK;
    if (!rc)
        rc = fw_pgc_q(c, "LOCK TABLE fw_rel IN ACCESS EXCLUSIVE MODE", NULL, NULL);
    if (!rc)
        rc = fw_pgc_q(c, "LOCK TABLE fw_users, fw_tweets IN SHARE ROW EXCLUSIVE MODE", NULL, NULL);
    if (!rc)
        rc = graph_empty(NULL, c); /* FW_EEXISTS: someone wrote since begin */
    if (rc)
        return rc;
    PGresult *defs = NULL;
    if ((rc = drop_rel_indexes(c, &defs))) {
        PQclear(defs);
        return rc;
    }
    if (!(rc = copy_table(c, l,
                          "COPY fw_users (id, uname, created_at_ms, pinned_tweet_id, most_recent_tweet_id, "
                          "followers_count, following_count, tweet_count, listed_count, like_count, flags, "
                          "verified_type, username, name, description, location, url, profile_image_url, "
                          "withheld_countries, entities_json, default_json) FROM STDIN",
                          fw_import_nusers(l->im), "writing users", user_row)) &&
        !(rc = copy_table(c, l, "COPY fw_tweets FROM STDIN", fw_import_ntweets(l->im), "writing tweets",
                          tweet_row)) &&
        !(rc = copy_table(c, l, "COPY fw_rel (src, dst, state, seq) FROM STDIN", fw_import_nedges(l->im),
                          "writing relationships", rel_row)) &&
        !(rc = create_rel_indexes(c, l, defs)))
        rc = counters(c, l);
    PQclear(defs);
    if (!rc && s->mig) {
        /* a migrate: everything else the source holds, in this same transaction */
        fw_migrate_stats *st = s->mig->st;
        *st = (fw_migrate_stats){0}; /* a retried transaction counts again from nothing */
        rc = fw_migrate_copy(s->mig->from, &fw_pg_tx_sink, c, st, l->progress, l->ctx);
    }
    if (!rc) {
        report(l, "analyzing", 0, 1);
        rc = fw_pgc_q(c, "ANALYZE fw_users, fw_tweets, fw_rel", NULL, NULL);
    }
    if (!rc)
        report(l, "committing", 0, 1);
    return rc;
}

static int pg_import_write(fw_import *im, fw_import_progress progress, void *ctx)
{
    load l = {im, progress, ctx};
    int rc = fw_pg_tx(fw_pg_of(fw_import_store(im)), load_body, &l);
    if (!rc)
        report(&l, "committing", 1, 1);
    return rc;
}
