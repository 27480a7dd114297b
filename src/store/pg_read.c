/* Request-path reads on PostgreSQL: users lookup, list pages, credential
 * lookups and readiness, each one job on the connection pool (pg_pool.c).
 *
 * Every answer is one statement, so one round trip that sees one snapshot,
 * prepared once per pooled connection with its ids as parameters (fw_pgc_run,
 * pg_prep.c): a users lookup (users_sql: the users with the viewer's relations
 * and their tweets joined), a list page (list_sql: the owner's row and the
 * page in a UNION ALL, rows in the lookup's layout), a credential lookup,
 * where lookups of one key queued together share one statement (auth_same).
 * Only the shape of a statement is SQL text; ids, cursors, validated usernames
 * and anything a client sends (tokens, keys) are bound parameters. Results
 * are decoded on the pool thread into arrays the job owns, with strings
 * borrowed from the PGresult, which the job keeps until the callback on the
 * caller's loop has returned. */
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/secret.h"

#define USERS_MAX 100
#define LIST_MAX 1000

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p)
        abort(); /* see core/buf.h: allocation failure is fatal */
    return p;
}

static void put_id(fw_buf *b, uint64_t id) { fw_buf_put_i64(b, (int64_t)id); }

static const char *opt(const fw_buf *b) { return b->data ? b->data : ""; }

/* Hydrated tweets in first-reference order, deduplicated: the ids referenced
 * by users[0..n) (NULLs skipped) looked up among the candidates cand[0..ncand). */
static size_t hydrate(const fw_tweet *cand, size_t ncand, const fw_user *const *users, size_t n, uint32_t which,
                      fw_tweet *out)
{
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        if (!users[i])
            continue;
        uint64_t ref[2] = {which & FW_TW_PINNED ? users[i]->pinned_tweet_id : 0,
                           which & FW_TW_MOST_RECENT ? users[i]->most_recent_tweet_id : 0};
        for (int k = 0; k < 2; k++) {
            if (!ref[k])
                continue;
            bool seen = false;
            for (size_t j = 0; j < nt && !seen; j++)
                seen = out[j].id == ref[k];
            for (size_t c = 0; c < ncand && !seen; c++)
                if (cand[c].id == ref[k]) {
                    out[nt++] = cand[c];
                    seen = true;
                }
        }
    }
    return nt;
}

/* The viewer's relation to user u both ways (viewer = $v). */
static void rel_cols(fw_buf *b, int v)
{
    fw_buf_printf(b, ", (SELECT x.state FROM fw_rel x WHERE x.src = $%d AND x.dst = u.id)"
                     ", (SELECT x.state FROM fw_rel x WHERE x.src = u.id AND x.dst = $%d)", v, v);
}

/* The referenced tweets of user u, one joined row each (NULLs when there is none). */
static const struct {
    uint32_t bit;
    const char *cols, *join;
} TWEET_JOINS[] = {
    {FW_TW_PINNED, ", tp.*",
     " LEFT JOIN LATERAL (SELECT " FW_PG_TWEET_COLS " FROM fw_tweets t WHERE t.id = u.pinned_tweet_id) tp ON true"},
    {FW_TW_MOST_RECENT, ", tm.*",
     " LEFT JOIN LATERAL (SELECT " FW_PG_TWEET_COLS " FROM fw_tweets t WHERE t.id = u.most_recent_tweet_id) tm"
     " ON true"},
};

/* The select list and the joins of the tweets `which` asks for (appended;
 * data stays NULL when none: see opt). */
static void tweet_joins(uint32_t which, fw_buf *cols, fw_buf *joins)
{
    for (size_t i = 0; i < sizeof TWEET_JOINS / sizeof TWEET_JOINS[0]; i++)
        if (which & TWEET_JOINS[i].bit) {
            fw_buf_puts(cols, TWEET_JOINS[i].cols);
            fw_buf_puts(joins, TWEET_JOINS[i].join);
        }
}

/* One user row of a lookup or a page: the user from column uc, the viewer's
 * relations from column relc (< 0: not asked for; left 0 on the viewer's own
 * row), the joined tweets from column tc on appended to cand. */
static void user_row(const PGresult *r, int row, int uc, int relc, int tc, uint64_t viewer, fw_user *u,
                     fw_rels *rels, fw_tweet *cand, size_t *ncand)
{
    fw_pg_user_row(r, row, uc, u);
    if (relc >= 0 && u->id != viewer)
        *rels = (fw_rels){(uint8_t)fw_pg_u64(r, row, relc), (uint8_t)fw_pg_u64(r, row, relc + 1)};
    for (; tc < PQnfields(r); tc += FW_PG_TWEET_NCOLS)
        if (!PQgetisnull(r, row, tc))
            fw_pg_tweet_row(r, row, tc, &cand[(*ncand)++]);
}

/* ------------------------------------------------------------------------
 * Users by id or username. */

typedef struct users_job {
    fw_pg_job j;
    fw_users_cb cb;
    void *ctx;
    fw_read_opts opts;
    size_t n;
    uint64_t *ids;      /* or ... */
    char (*names)[FW_USERNAME_MAX + 1]; /* lower-cased; "" = invalid */
    PGresult *res;
    fw_users_res out;
    fw_user *users;
    const fw_user **uptr;
    fw_rels *rels;
    fw_tweet *tweets;
} users_job;

static void users_fail(fw_pg_job *jb, int rc)
{
    users_job *j = (users_job *)(void *)jb;
    j->out = (fw_users_res){.rc = rc};
}

/* A lookup as one statement (one snapshot): the users whose id or lower-cased
 * name is in the array $1, each row with the viewer's ($2) relations and its
 * referenced tweets, in the column layout of a page's rows (user_row). Only
 * the shape is text, so it is prepared once per connection (fw_pgc_run). */
static void users_sql(fw_buf *b, fw_pgp *p, const users_job *j, bool rels)
{
    fw_buf arr = FW_BUF_INIT, cols = FW_BUF_INIT, joins = FW_BUF_INIT;
    fw_buf_putc(&arr, '{');
    for (size_t i = 0; i < j->n; i++) {
        if (!j->ids && !j->names[i][0])
            continue;
        if (arr.len > 1)
            fw_buf_putc(&arr, ',');
        if (j->ids)
            put_id(&arr, j->ids[i]);
        else
            fw_buf_puts(&arr, j->names[i]); /* [a-z0-9_]: no quoting needed in an array literal */
    }
    fw_buf_putc(&arr, '}');
    fw_pgp_str(p, (fw_str){arr.data, arr.len}); /* $1 */
    if (rels)
        fw_pgp_u64(p, j->opts.viewer_id); /* $2 */
    tweet_joins(j->opts.tweets, &cols, &joins);
    fw_buf_puts(b, "SELECT " FW_PG_USER_COLS);
    if (rels)
        rel_cols(b, 2);
    fw_buf_printf(b, "%s FROM fw_users u%s WHERE %s", opt(&cols), opt(&joins),
                  j->ids ? "u.id = ANY($1::bigint[])" : "u.uname = ANY($1::text[])");
    fw_buf_free(&arr);
    fw_buf_free(&cols);
    fw_buf_free(&joins);
}

static void users_work(fw_pg_job *jb, fw_pgc *c)
{
    users_job *j = (users_job *)(void *)jb;
    bool rels = j->opts.want_rels && j->opts.viewer_id;
    fw_buf b = FW_BUF_INIT;
    fw_pgp p = {0};
    users_sql(&b, &p, j, rels);
    int rc = fw_pgc_run(c, b.data, &p, &j->res);
    fw_buf_free(&b);
    fw_pgp_free(&p);
    if (rc) {
        users_fail(jb, rc);
        return;
    }
    const PGresult *r = j->res;
    int rows = PQntuples(r);
    j->users = xcalloc((size_t)rows, sizeof(*j->users));
    fw_rels *row_rels = xcalloc((size_t)rows, sizeof(*row_rels));
    fw_tweet *cand = xcalloc(2 * (size_t)rows, sizeof(*cand));
    size_t ncand = 0;
    for (int row = 0; row < rows; row++)
        user_row(r, row, 0, rels ? FW_PG_USER_NCOLS : -1, FW_PG_USER_NCOLS + (rels ? 2 : 0), j->opts.viewer_id,
                 &j->users[row], &row_rels[row], cand, &ncand);
    j->uptr = xcalloc(j->n, sizeof(*j->uptr));
    j->rels = j->opts.want_rels ? xcalloc(j->n, sizeof(*j->rels)) : NULL;
    for (size_t i = 0; i < j->n; i++) {
        for (int row = 0; row < rows && !j->uptr[i]; row++) {
            const fw_user *u = &j->users[row];
            char key[FW_USERNAME_MAX + 1];
            if (j->ids ? u->id == j->ids[i]
                       : j->names[i][0] && fw_rec_username_key(u->username, key) && !strcmp(key, j->names[i])) {
                j->uptr[i] = u;
                if (j->rels)
                    j->rels[i] = row_rels[row];
            }
        }
    }
    j->tweets = xcalloc(2 * j->n, sizeof(*j->tweets));
    size_t nt = j->opts.tweets ? hydrate(cand, ncand, j->uptr, j->n, j->opts.tweets, j->tweets) : 0;
    free(row_rels);
    free(cand);
    j->out = (fw_users_res){.rc = FW_OK, .n = j->n, .users = j->uptr, .rels = j->rels, .ntweets = nt,
                            .tweets = j->tweets, .version = 0};
}

static void users_done(fw_pg_job *jb)
{
    users_job *j = (users_job *)(void *)jb;
    j->cb(j->ctx, &j->out);
    PQclear(j->res);
    free(j->ids);
    free(j->names);
    free(j->users);
    free(j->uptr);
    free(j->rels);
    free(j->tweets);
    free(j);
}

static void job_task(fw_task *t)
{
    fw_pg_job *j = (fw_pg_job *)(void *)t;
    j->done(j);
}

void fw_pg_users(fw_store *st, fw_exec *exec, const fw_users_q *q, fw_users_cb cb, void *ctx)
{
    if (q->n < 1 || q->n > USERS_MAX || !q->ids == !q->usernames) {
        fw_users_res res = {.rc = FW_EINVAL};
        cb(ctx, &res);
        return;
    }
    users_job *j = xcalloc(1, sizeof(*j));
    j->j = (fw_pg_job){.task = {.run = job_task}, .exec = exec, .work = users_work, .done = users_done,
                       .fail = users_fail};
    j->cb = cb;
    j->ctx = ctx;
    j->opts = q->opts;
    j->n = q->n;
    if (q->ids) {
        j->ids = xcalloc(q->n, sizeof(*j->ids));
        memcpy(j->ids, q->ids, q->n * sizeof(*j->ids));
    } else {
        j->names = xcalloc(q->n, sizeof(*j->names));
        for (size_t i = 0; i < q->n; i++)
            if (!fw_rec_username_key(q->usernames[i], j->names[i]))
                j->names[i][0] = 0;
    }
    fw_pg_submit_read(fw_pg_of(st), &j->j, q->opts.viewer_id);
}

/* ------------------------------------------------------------------------
 * List pages. */

static const struct {
    const char *owner, *other;
    int state;
} LISTS[] = {
    [FW_LIST_FOLLOWERS] = {"dst", "src", FW_REL_FOLLOWING},
    [FW_LIST_FOLLOWING] = {"src", "dst", FW_REL_FOLLOWING},
    [FW_LIST_INCOMING] = {"dst", "src", FW_REL_PENDING},
    [FW_LIST_OUTGOING] = {"src", "dst", FW_REL_PENDING},
};

typedef struct list_job {
    fw_pg_job j;
    fw_list_cb cb;
    void *ctx;
    fw_list_q q;
    PGresult *res;
    fw_list_res out;
    fw_user owner;
    fw_user *users;
    const fw_user **uptr;
    uint64_t *seqs;
    fw_rels *rels;
    fw_tweet *tweets;
} list_job;

static void list_fail(fw_pg_job *jb, int rc)
{
    list_job *j = (list_job *)(void *)jb;
    j->out = (fw_list_res){.rc = rc};
}

/* "FROM fw_rel r JOIN fw_users u <joins> WHERE <the visible entries of the list>" ($1: the owner) */
static void list_from(fw_buf *b, const fw_list_q *q, const char *joins)
{
    fw_buf_printf(b, "FROM fw_rel r JOIN fw_users u ON u.id = r.%s%s WHERE r.%s = $1", LISTS[q->kind].other, joins,
                  LISTS[q->kind].owner);
    fw_buf_printf(b, " AND r.state = %d AND (u.flags & %u) = 0", LISTS[q->kind].state, FW_USER_SUSPENDED);
}

/* A page as one statement, so that one snapshot covers it without BEGIN and
 * COMMIT: part 0 is the owner's row (with the viewer's relations and whether
 * visible entries lie beyond the cursor), part 1 the page joined to users, each
 * row with its referenced tweets. Ids and the cursor are parameters and only
 * the shape (list, direction, limit, columns) is text, so there are few
 * variants and each is prepared once per connection (fw_pgc_run). Columns:
 * part, seq, the user's, [2 relations if viewer], far, [16 per tweet kind]. */
static void list_sql(fw_buf *b, fw_pgp *p, const fw_list_q *q)
{
    uint64_t viewer = q->opts.viewer_id;
    bool rels = q->opts.want_rels && viewer;
    fw_pgp_u64(p, q->owner_id); /* $1 */
    int cur = 0, v = 0;
    if (q->dir != FW_PAGE_FIRST) {
        fw_pgp_u64(p, q->cursor > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : q->cursor);
        cur = p->n;
    }
    if (viewer) {
        fw_pgp_u64(p, viewer);
        v = p->n;
    }
    fw_buf cols = FW_BUF_INIT, joins = FW_BUF_INIT, from = FW_BUF_INIT;
    tweet_joins(q->opts.tweets, &cols, &joins);
    list_from(&from, q, "");
    fw_buf_puts(b, "SELECT 0, NULL::bigint, " FW_PG_USER_COLS);
    if (v)
        rel_cols(b, v);
    if (cur) /* the far end: entries beyond the cursor were all skipped (suspended) or there are visible ones */
        fw_buf_printf(b, ", EXISTS (SELECT 1 %s AND r.seq %s $%d)", from.data, q->dir == FW_PAGE_AFTER ? ">=" : "<=",
                      cur);
    else
        fw_buf_puts(b, ", false");
    fw_buf_printf(b, "%s FROM fw_users u%s WHERE u.id = $1", opt(&cols),
                  opt(&joins));
    fw_buf_puts(b, " UNION ALL (SELECT 1, r.seq, " FW_PG_USER_COLS);
    if (rels)
        rel_cols(b, v);
    else if (v)
        fw_buf_puts(b, ", NULL::smallint, NULL::smallint");
    fw_buf_printf(b, ", false%s ", opt(&cols));
    fw_buf_free(&from);
    list_from(&from, q, opt(&joins));
    fw_buf_puts(b, from.data);
    if (cur) /* keyset on the edge sequence: one index range scan */
        fw_buf_printf(b, " AND r.seq %s $%d", q->dir == FW_PAGE_AFTER ? "<" : ">", cur);
    const char *order = q->dir == FW_PAGE_BEFORE ? "ASC" : "DESC";
    fw_buf_printf(b, " ORDER BY r.seq %s LIMIT %u) ORDER BY 1, 2 %s", order, q->limit + 1, order);
    fw_buf_free(&cols);
    fw_buf_free(&joins);
    fw_buf_free(&from);
}

static void list_work(fw_pg_job *jb, fw_pgc *c)
{
    list_job *j = (list_job *)(void *)jb;
    const fw_list_q *q = &j->q;
    uint64_t viewer = q->opts.viewer_id;
    bool rels = q->opts.want_rels && viewer;
    fw_buf b = FW_BUF_INIT;
    fw_pgp p = {0};
    list_sql(&b, &p, q);
    int rc = fw_pgc_run(c, b.data, &p, &j->res);
    fw_buf_free(&b);
    fw_pgp_free(&p);
    if (rc) {
        list_fail(jb, rc);
        return;
    }
    const PGresult *r = j->res;
    const int uc = 2, rc0 = uc + FW_PG_USER_NCOLS, fc = rc0 + (viewer ? 2 : 0);
    int rows = PQntuples(r);
    if (rows < 1 || fw_pg_u64(r, 0, 0) != 0) {
        list_fail(jb, FW_ENOTFOUND);
        return;
    }
    fw_pg_user_row(r, 0, uc, &j->owner);
    j->out.owner = &j->owner;
    if (viewer && viewer != q->owner_id)
        j->out.owner_rels = (fw_rels){(uint8_t)fw_pg_u64(r, 0, rc0), (uint8_t)fw_pg_u64(r, 0, rc0 + 1)};
    rows--; /* page rows are 1..rows */
    size_t n = rows > (int)q->limit ? q->limit : (size_t)rows;
    bool more_near = rows > (int)q->limit, more_far = fw_pg_u64(r, 0, fc) != 0;
    j->users = xcalloc(n, sizeof(*j->users));
    j->uptr = xcalloc(n, sizeof(*j->uptr));
    j->seqs = xcalloc(n, sizeof(*j->seqs));
    j->rels = xcalloc(n, sizeof(*j->rels));
    j->tweets = xcalloc(2 * n, sizeof(*j->tweets));
    fw_tweet *cand = xcalloc(2 * n, sizeof(*cand));
    size_t ncand = 0;
    for (size_t i = 0; i < n; i++) {
        /* BEFORE read oldest first: present newest first */
        int row = 1 + (q->dir == FW_PAGE_BEFORE ? (int)(n - 1 - i) : (int)i);
        j->seqs[i] = fw_pg_u64(r, row, 1);
        user_row(r, row, uc, rels ? rc0 : -1, fc + 1, viewer, &j->users[i], &j->rels[i], cand, &ncand);
        j->uptr[i] = &j->users[i];
    }
    j->out.rc = FW_OK;
    j->out.n = n;
    j->out.users = j->users;
    j->out.seqs = j->seqs;
    j->out.rels = q->opts.want_rels ? j->rels : NULL;
    j->out.more_older = q->dir == FW_PAGE_BEFORE ? more_far : more_near;
    j->out.more_newer = q->dir == FW_PAGE_BEFORE ? more_near : more_far;
    j->out.ntweets = q->opts.tweets ? hydrate(cand, ncand, j->uptr, n, q->opts.tweets, j->tweets) : 0;
    j->out.tweets = j->tweets;
    j->out.version = 0;
    free(cand);
}

static void list_done(fw_pg_job *jb)
{
    list_job *j = (list_job *)(void *)jb;
    j->cb(j->ctx, &j->out);
    PQclear(j->res);
    free(j->users);
    free(j->uptr);
    free(j->seqs);
    free(j->rels);
    free(j->tweets);
    free(j);
}

void fw_pg_list(fw_store *st, fw_exec *exec, const fw_list_q *q, fw_list_cb cb, void *ctx)
{
    if (q->limit < 1 || q->limit > LIST_MAX || q->kind > FW_LIST_OUTGOING || q->dir > FW_PAGE_BEFORE) {
        fw_list_res res = {.rc = FW_EINVAL};
        cb(ctx, &res);
        return;
    }
    list_job *j = xcalloc(1, sizeof(*j));
    j->j = (fw_pg_job){.task = {.run = job_task}, .exec = exec, .work = list_work, .done = list_done,
                       .fail = list_fail};
    j->cb = cb;
    j->ctx = ctx;
    j->q = *q;
    fw_pg_submit_read(fw_pg_of(st), &j->j, q->opts.viewer_id);
}

/* ------------------------------------------------------------------------
 * Credentials and apps: one statement with bound parameters. */

typedef struct auth_job {
    fw_pg_job j;
    fw_auth_cb cb;
    void *ctx;
    uint8_t by;
    uint8_t key[1 + FW_TOKEN_MAX]; /* 'H' + hash, 'O' + token, or the app key */
    size_t keylen;
    char ck[FW_TOKEN_MAX + 1];     /* consumer key (OAuth 1.0a) */
    size_t cklen;
    PGresult *res;
    int rc; /* of the statement */
    fw_auth_res out;
    fw_cred cred;
    fw_app app;
    fw_user user;
} auth_job;

static void auth_fail(fw_pg_job *jb, int rc)
{
    auth_job *j = (auth_job *)(void *)jb;
    j->out = (fw_auth_res){.rc = rc};
}

/* Decodes j->res (the answer of the statement run for j or for a job it
 * joined, with its rc) into j->out. */
static void auth_decode(auth_job *j, int rc)
{
    if (rc == FW_OK && PQntuples(j->res) != 1)
        rc = FW_ENOTFOUND;
    if (rc) {
        auth_fail(&j->j, rc);
        return;
    }
    const PGresult *r = j->res;
    if (j->by == FW_AUTH_BY_CONSUMER_KEY || j->by == FW_AUTH_BY_CLIENT_ID) {
        fw_pg_app_row(r, 0, 0, &j->app);
        j->out = (fw_auth_res){.rc = FW_OK, .app = &j->app};
        return;
    }
    fw_cred *cr = &j->cred;
    cr->kind = (uint8_t)fw_pg_u64(r, 0, 0);
    cr->revoked = fw_pg_u64(r, 0, 1) != 0;
    cr->app_id = fw_pg_u64(r, 0, 2);
    cr->user_id = fw_pg_u64(r, 0, 3);
    cr->scopes = (uint32_t)fw_pg_u64(r, 0, 4);
    cr->issued_at_ms = (int64_t)fw_pg_u64(r, 0, 5);
    cr->expires_at_ms = (int64_t)fw_pg_u64(r, 0, 6);
    cr->secret = fw_pg_str(r, 0, 7);
    cr->grant_id = fw_pg_u64(r, 0, 10 + FW_PG_APP_NCOLS + FW_PG_USER_NCOLS);
    bool has_app = fw_pg_u64(r, 0, 8) != 0, has_user = fw_pg_u64(r, 0, 9) != 0;
    if ((j->by == FW_AUTH_BY_OAUTH1) != (cr->kind == FW_CRED_OAUTH1_USER) || !has_app ||
        (cr->user_id && !has_user)) {
        auth_fail(&j->j, FW_ENOTFOUND);
        return;
    }
    fw_pg_app_row(r, 0, 10, &j->app);
    if (j->by == FW_AUTH_BY_OAUTH1 && !fw_ct_equal(j->app.consumer_key.p, j->app.consumer_key.len, j->ck, j->cklen)) {
        auth_fail(&j->j, FW_ENOTFOUND);
        return;
    }
    if (cr->user_id)
        fw_pg_user_row(r, 0, 10 + FW_PG_APP_NCOLS, &j->user);
    j->out = (fw_auth_res){.rc = FW_OK, .cred = cr, .app = &j->app, .user = cr->user_id ? &j->user : NULL};
}

static void auth_work(fw_pg_job *jb, fw_pgc *c)
{
    auth_job *j = (auth_job *)(void *)jb;
    bool app_key = j->by == FW_AUTH_BY_CONSUMER_KEY || j->by == FW_AUTH_BY_CLIENT_ID;
    /* an app key is a text parameter (fw_pg_auth let only printable ASCII through), the others bytea */
    fw_pgp p = {.n = 1, .v = {(const char *)j->key}, .len = {(int)j->keylen}, .bin = {app_key ? 0 : 1}};
    const char *sql =
        j->by == FW_AUTH_BY_CONSUMER_KEY ? "SELECT " FW_PG_APP_COLS " FROM " FW_PG_APP_FROM " WHERE a.consumer_key = $1"
        : j->by == FW_AUTH_BY_CLIENT_ID  ? "SELECT " FW_PG_APP_COLS " FROM " FW_PG_APP_FROM " WHERE a.client_id = $1"
                                         : "SELECT c.kind, " FW_PG_CRED_REVOKED ", c.app_id, c.user_id, c.scopes, "
                                           "c.issued_at_ms, c.expires_at_ms, c.secret, a.id IS NOT NULL, "
                                           "u.id IS NOT NULL, " FW_PG_APP_COLS ", " FW_PG_USER_COLS ", c.grant_id"
                                           " FROM fw_creds c LEFT JOIN " FW_PG_APP_FROM " ON a.id = c.app_id"
                                           " LEFT JOIN fw_users u ON u.id = c.user_id WHERE c.key = $1";
    j->rc = fw_pgc_run(c, sql, &p, &j->res);
    auth_decode(j, j->rc);
}

/* Coalescing (fw_pg_job.same): the same kind of lookup of the same key (and consumer key). */
static bool auth_same(const fw_pg_job *qb, const fw_pg_job *jb)
{
    const auth_job *q = (const auth_job *)(const void *)qb, *j = (const auth_job *)(const void *)jb;
    return q->by == j->by && fw_ct_equal(q->key, q->keylen, j->key, j->keylen) &&
           fw_ct_equal(q->ck, q->cklen, j->ck, j->cklen);
}

static void auth_adopt(fw_pg_job *jb, const fw_pg_job *qb)
{
    auth_job *j = (auth_job *)(void *)jb;
    const auth_job *q = (const auth_job *)(const void *)qb;
    j->rc = q->rc;
    if (q->res && !(j->res = PQcopyResult(q->res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES)))
        j->rc = FW_ENOMEM;
    auth_decode(j, j->rc);
}

static void auth_done(fw_pg_job *jb)
{
    auth_job *j = (auth_job *)(void *)jb;
    j->cb(j->ctx, &j->out);
    PQclear(j->res);
    free(j);
}

void fw_pg_auth(fw_store *st, fw_exec *exec, const fw_auth_q *q, fw_auth_cb cb, void *ctx)
{
    fw_str k = FW_STR_NULL;
    int rc = FW_OK;
    switch (q->by) {
    case FW_AUTH_BY_CONSUMER_KEY: k = q->consumer_key; break;
    case FW_AUTH_BY_CLIENT_ID: k = q->consumer_key.len ? q->consumer_key : q->token; break;
    case FW_AUTH_BY_OAUTH1: k = q->token; break;
    case FW_AUTH_BY_HASH: break;
    default: rc = FW_ENOTFOUND;
    }
    if (q->by != FW_AUTH_BY_HASH && (k.len < 1 || k.len > FW_TOKEN_MAX || !k.p))
        rc = FW_ENOTFOUND;
    if (q->by == FW_AUTH_BY_OAUTH1 && q->consumer_key.len > FW_TOKEN_MAX)
        rc = FW_ENOTFOUND;
    /* App keys are generated ASCII: anything else names no app (and would not
     * be valid text for the server). */
    for (size_t i = 0; !rc && (q->by == FW_AUTH_BY_CONSUMER_KEY || q->by == FW_AUTH_BY_CLIENT_ID) && i < k.len; i++)
        if ((unsigned char)k.p[i] < 0x21 || (unsigned char)k.p[i] > 0x7e)
            rc = FW_ENOTFOUND;
    if (rc) {
        fw_auth_res res = {.rc = rc};
        cb(ctx, &res);
        return;
    }
    auth_job *j = xcalloc(1, sizeof(*j));
    j->j = (fw_pg_job){.task = {.run = job_task}, .exec = exec, .work = auth_work, .done = auth_done,
                       .fail = auth_fail, .same = auth_same, .adopt = auth_adopt};
    j->cb = cb;
    j->ctx = ctx;
    j->by = q->by;
    if (q->by == FW_AUTH_BY_HASH) {
        j->key[0] = 'H';
        memcpy(j->key + 1, q->hash, 32);
        j->keylen = 33;
    } else if (q->by == FW_AUTH_BY_OAUTH1) {
        j->key[0] = 'O';
        memcpy(j->key + 1, k.p, k.len);
        j->keylen = 1 + k.len;
        if (q->consumer_key.len)
            memcpy(j->ck, q->consumer_key.p, q->consumer_key.len);
        j->cklen = q->consumer_key.len;
    } else {
        memcpy(j->key, k.p, k.len); /* NUL-terminated: key has room for FW_TOKEN_MAX + 1 */
        j->keylen = k.len;
    }
    fw_pg_submit(fw_pg_of(st), &j->j);
}

/* ------------------------------------------------------------------------
 * Readiness: one round trip that also reads the schema version. */

typedef struct ready_job {
    fw_pg_job j;
    fw_ready_cb cb;
    void *ctx;
    int rc;
} ready_job;

static void ready_fail(fw_pg_job *jb, int rc) { ((ready_job *)(void *)jb)->rc = rc; }

static void ready_work(fw_pg_job *jb, fw_pgc *c)
{
    ready_job *j = (ready_job *)(void *)jb;
    PGresult *r;
    j->rc = fw_pgc_exec(c, "SELECT coalesce(max(version), 0) FROM fw_schema_migrations", 0, NULL, NULL, NULL, &r);
    if (j->rc == FW_OK) {
        if (fw_pg_u64(r, 0, 0) != FW_PG_SCHEMA_VERSION)
            j->rc = FW_EIO;
        PQclear(r);
    }
}

static void ready_done(fw_pg_job *jb)
{
    ready_job *j = (ready_job *)(void *)jb;
    j->cb(j->ctx, j->rc);
    free(j);
}

void fw_pg_ready(fw_store *st, fw_exec *exec, fw_ready_cb cb, void *ctx)
{
    ready_job *j = xcalloc(1, sizeof(*j));
    j->j = (fw_pg_job){.task = {.run = job_task}, .exec = exec, .work = ready_work, .done = ready_done,
                       .fail = ready_fail};
    j->cb = cb;
    j->ctx = ctx;
    fw_pg_submit(fw_pg_of(st), &j->j);
}
