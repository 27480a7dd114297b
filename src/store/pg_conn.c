/* PostgreSQL connections: connect with timeouts, run statements with
 * reconnect and retry, and the one translation of SQLSTATEs into fw_err.
 *
 * Timeouts (fw_store_opts.timeout_ms): connect_timeout for a connection
 * attempt, statement_timeout for each statement on the server, and
 * tcp_user_timeout plus keepalives so a server that vanished without closing
 * the connection is noticed instead of waited for forever. Values given in the
 * connection string win over these defaults. */
#include "store/pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MAX 20 /* serialization failures / deadlocks before giving up */

/* Server notices ("relation already exists, skipping") are not for the operator. */
static void quiet(void *arg, const char *msg) {}

int fw_pgc_connect(fw_pgc *c, char *why, size_t whylen)
{
    fw_pgc_close(c);
    fw_pg *s = c->s;
    char cto[16], tcp[16], opt[64];
    unsigned t = s->timeout_ms;
    snprintf(cto, sizeof cto, "%u", t < 2000 ? 2 : (t + 999) / 1000);
    snprintf(tcp, sizeof tcp, "%u", t);
    snprintf(opt, sizeof opt, "-c statement_timeout=%u", t);
    /* Defaults first: the expanded dbname (the caller's string) overrides them. */
    const char *keys[] = {"connect_timeout", "tcp_user_timeout", "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "options", "application_name", "dbname", NULL};
    const char *vals[] = {cto, tcp, "10", "5", "3", opt, "followd", c->conninfo ? c->conninfo : s->conninfo, NULL};
    c->conn = PQconnectdbParams(keys, vals, 1);
    if (!c->conn)
        return FW_ENOMEM;
    PQsetNoticeProcessor(c->conn, quiet, NULL);
    if (PQstatus(c->conn) != CONNECTION_OK) {
        if (why)
            snprintf(why, whylen, "%s", PQerrorMessage(c->conn));
        fw_pgc_close(c);
        return FW_EIO;
    }
    if (s->read_only || c->conninfo) { /* a replica is read-only anyway; say so, as for --read-only */
        PGresult *r = PQexec(c->conn, "SET default_transaction_read_only = on");
        PQclear(r);
    }
    /* Pooled connections prepare their statements (pg_prep.c), and PostgreSQL
     * then plans them generically, for an average owner: a bitmap scan of the
     * whole list plus a sort looks cheap for the average list of a few
     * entries, and is O(list) for an account with millions of followers. Every
     * request-path statement is a key lookup or an index range scan, so bitmap
     * scans are off there, which leaves the generic plan the ordered range scan
     * (tests/integration/test_pg.py checks it). */
    if (c->prepare) {
        PGresult *r = PQexec(c->conn, "SET enable_bitmapscan = off");
        PQclear(r);
    }
    /* Bulk loading (demo) does not wait for each commit's WAL flush; close
     * makes all of it durable with one synchronous commit. */
    if (s->bulk) {
        /* ... and its one big bulk follow may take longer than a request statement may */
        PGresult *r = PQexec(c->conn, "SET synchronous_commit = off; SET statement_timeout = 0");
        PQclear(r);
    }
    return FW_OK;
}

void fw_pgc_close(fw_pgc *c)
{
    fw_pgc_prep_forget(c);
    if (c->conn)
        PQfinish(c->conn);
    c->conn = NULL;
}

static const char *sqlstate(const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st ? st : "";
}

int fw_pg_err(const PGresult *r)
{
    if (!r)
        return FW_EIO;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return FW_OK;
    const char *code = sqlstate(r);
    if (!strcmp(code, "23505"))
        return FW_EEXISTS; /* unique_violation */
    if (!strncmp(code, "22", 2))
        return FW_EINVAL; /* data exception: e.g. a NUL byte or invalid UTF-8 in a text field */
    if (!strcmp(code, "53100") || !strcmp(code, "54000"))
        return FW_EFULL; /* disk_full, program_limit_exceeded */
    if (!strcmp(code, "53200"))
        return FW_ENOMEM;
    return FW_EIO;
}

bool fw_pg_retryable(const PGresult *r)
{
    const char *code = sqlstate(r);
    return !strcmp(code, "40001") || !strcmp(code, "40P01");
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Connects c if it has no healthy connection; fw_err. */
static int ensure(fw_pgc *c)
{
    if (c->conn && PQstatus(c->conn) == CONNECTION_OK)
        return FW_OK;
    return fw_pgc_connect(c, NULL, 0);
}

/* After a failed statement: was the connection lost (worth one retry on a new one)? */
static bool lost(fw_pgc *c) { return !c->conn || PQstatus(c->conn) != CONNECTION_OK; }

/* fw_pgc_exec and fw_pgc_run: prep says whether the statement may be prepared. */
static int run(fw_pgc *c, const char *sql, int n, const char *const *vals, const int *lens, const int *binary,
               bool prep, PGresult **out)
{
    *out = NULL;
    bool reconnected = false, reprepared = false;
    for (int attempt = 0; attempt < RETRY_MAX; attempt++) {
        int rc = ensure(c);
        if (rc)
            return rc;
        char name[FW_PGC_NAME_MAX] = "";
        PGresult *r = NULL;
        if (prep && (rc = fw_pgc_prepared(c, sql, n, name)) != FW_OK && !lost(c))
            return rc;
        if (rc == FW_OK)
            r = name[0] ? PQexecPrepared(c->conn, name, n, vals, lens, binary, 0)
                        : PQexecParams(c->conn, sql, n, NULL, vals, lens, binary, 0);
        rc = fw_pg_err(r);
        if (rc == FW_OK) {
            *out = r;
            return FW_OK;
        }
        bool retry = fw_pg_retryable(r);
        /* 26000: the session lost its statements (DISCARD ALL): prepare them again, once */
        if (name[0] && !reprepared && r && !strcmp(sqlstate(r), "26000")) {
            PQclear(r);
            reprepared = true;
            fw_pgc_prep_forget(c);
            continue;
        }
        PQclear(r);
        if (!retry && lost(c) && !reconnected) {
            reconnected = true;
            fw_pgc_close(c);
            continue;
        }
        if (!retry)
            return rc;
    }
    return FW_EIO;
}

int fw_pgc_exec(fw_pgc *c, const char *sql, int n, const char *const *vals, const int *lens, const int *binary,
                PGresult **out)
{
    return run(c, sql, n, vals, lens, binary, false, out);
}

int fw_pgc_run(fw_pgc *c, const char *sql, const fw_pgp *p, PGresult **out)
{
    *out = NULL;
    if (p->bad)
        return FW_EINVAL;
    return run(c, sql, p->n, p->v, p->len, p->bin, true, out);
}

void fw_pg_clear_all(PGresult **res, int n)
{
    for (int i = 0; i < n; i++)
        PQclear(res[i]);
}

int fw_pgc_multi(fw_pgc *c, const char *sql, PGresult **res, int max, int *nres)
{
    *nres = 0;
    bool reconnected = false;
    for (int attempt = 0; attempt < RETRY_MAX; attempt++) {
        int rc = ensure(c);
        if (rc)
            return rc;
        int n = 0, first = FW_OK;
        bool retry = false;
        if (!PQsendQuery(c->conn, sql)) {
            first = FW_EIO;
        } else {
            PGresult *r;
            while ((r = PQgetResult(c->conn))) {
                int e = fw_pg_err(r);
                if (e && first == FW_OK) {
                    first = e;
                    retry = fw_pg_retryable(r);
                }
                if (n < max)
                    res[n++] = r;
                else
                    PQclear(r);
            }
        }
        if (first == FW_OK) {
            *nres = n;
            return FW_OK;
        }
        fw_pg_clear_all(res, n);
        /* A failed statement skips the rest of the string but leaves its
         * BEGIN open (aborted): end it, or the connection refuses all else. */
        if (c->conn && PQtransactionStatus(c->conn) == PQTRANS_INERROR) {
            PGresult *rb = PQexec(c->conn, "ROLLBACK");
            PQclear(rb);
        }
        if (!retry && lost(c) && !reconnected) {
            reconnected = true;
            fw_pgc_close(c);
            continue;
        }
        if (!retry)
            return first;
    }
    return FW_EIO;
}

int fw_pg_admin_get(fw_pg *s, fw_pgc **out)
{
    pthread_mutex_lock(&s->admin_mu);
    int rc = ensure(&s->admin);
    if (rc) {
        pthread_mutex_unlock(&s->admin_mu);
        return rc;
    }
    *out = &s->admin;
    return FW_OK;
}

void fw_pg_admin_put(fw_pg *s) { pthread_mutex_unlock(&s->admin_mu); }

/* ---- decoding ---- */

uint64_t fw_pg_u64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const char *v = PQgetvalue(r, row, col);
    if (v[0] == 't')
        return 1; /* boolean */
    if (v[0] == 'f')
        return 0;
    return (uint64_t)strtoll(v, NULL, 10);
}

fw_str fw_pg_str(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return (fw_str){"", 0};
    return (fw_str){PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col)};
}

void fw_pg_user_row(const PGresult *r, int row, int c, fw_user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = fw_pg_u64(r, row, c + 0);
    u->created_at_ms = (int64_t)fw_pg_u64(r, row, c + 1);
    u->pinned_tweet_id = fw_pg_u64(r, row, c + 2);
    u->most_recent_tweet_id = fw_pg_u64(r, row, c + 3);
    u->followers_count = fw_pg_u64(r, row, c + 4);
    u->following_count = fw_pg_u64(r, row, c + 5);
    u->tweet_count = fw_pg_u64(r, row, c + 6);
    u->listed_count = fw_pg_u64(r, row, c + 7);
    u->like_count = fw_pg_u64(r, row, c + 8);
    u->flags = (uint32_t)fw_pg_u64(r, row, c + 9);
    u->verified_type = (uint8_t)fw_pg_u64(r, row, c + 10);
    fw_str *f[] = {&u->username, &u->name,  &u->description,        &u->location,      &u->url,
                   &u->profile_image_url, &u->withheld_countries, &u->entities_json, &u->default_json};
    for (int i = 0; i < 9; i++)
        *f[i] = fw_pg_str(r, row, c + 11 + i);
}

void fw_pg_tweet_row(const PGresult *r, int row, int c, fw_tweet *t)
{
    memset(t, 0, sizeof(*t));
    t->id = fw_pg_u64(r, row, c + 0);
    t->author_id = fw_pg_u64(r, row, c + 1);
    t->conversation_id = fw_pg_u64(r, row, c + 2);
    t->created_at_ms = (int64_t)fw_pg_u64(r, row, c + 3);
    t->retweet_count = fw_pg_u64(r, row, c + 4);
    t->reply_count = fw_pg_u64(r, row, c + 5);
    t->like_count = fw_pg_u64(r, row, c + 6);
    t->quote_count = fw_pg_u64(r, row, c + 7);
    t->bookmark_count = fw_pg_u64(r, row, c + 8);
    t->impression_count = fw_pg_u64(r, row, c + 9);
    t->possibly_sensitive = fw_pg_u64(r, row, c + 10) != 0;
    t->text = fw_pg_str(r, row, c + 11);
    t->lang = fw_pg_str(r, row, c + 12);
    t->source = fw_pg_str(r, row, c + 13);
    t->reply_settings = fw_pg_str(r, row, c + 14);
    t->entities_json = fw_pg_str(r, row, c + 15);
}

void fw_pg_app_row(const PGresult *r, int row, int c, fw_app *a)
{
    memset(a, 0, sizeof(*a));
    a->id = fw_pg_u64(r, row, c + 0);
    a->project_id = fw_pg_u64(r, row, c + 1);
    a->access_level = (uint8_t)fw_pg_u64(r, row, c + 2);
    a->client_type = (uint8_t)fw_pg_u64(r, row, c + 3);
    a->bearer_gen = (uint32_t)fw_pg_u64(r, row, c + 4);
    a->name = fw_pg_str(r, row, c + 5);
    a->consumer_key = fw_pg_str(r, row, c + 6);
    a->consumer_secret = fw_pg_str(r, row, c + 7);
    a->client_id = fw_pg_str(r, row, c + 8);
    a->client_secret = fw_pg_str(r, row, c + 9);
    a->redirect_uris = fw_pg_str(r, row, c + 10);
    a->permission = (uint8_t)fw_pg_u64(r, row, c + 11);
}

/* ---- parameters, transactions ---- */

static void pgp_add(fw_pgp *p, char *own, const char *v, int len, int bin)
{
    if (p->n >= FW_PGP_MAX) {
        free(own);
        p->bad = true;
        return;
    }
    p->own[p->n] = own;
    p->v[p->n] = v;
    p->len[p->n] = len;
    p->bin[p->n] = bin;
    p->n++;
}

void fw_pgp_str(fw_pgp *p, fw_str v)
{
    if (v.len && memchr(v.p, 0, v.len))
        p->bad = true;
    char *c = malloc(v.len + 1);
    if (!c)
        abort();
    if (v.len)
        memcpy(c, v.p, v.len);
    c[v.len] = 0;
    pgp_add(p, c, c, (int)v.len, 0);
}

void fw_pgp_u64(fw_pgp *p, uint64_t v)
{
    char *c = malloc(24);
    if (!c)
        abort();
    snprintf(c, 24, "%lld", (long long)(int64_t)v);
    pgp_add(p, c, c, (int)strlen(c), 0);
}

void fw_pgp_bytes(fw_pgp *p, const void *b, size_t n)
{
    char *c = malloc(n ? n : 1);
    if (!c)
        abort();
    if (n)
        memcpy(c, b, n);
    pgp_add(p, c, c, (int)n, 1);
}

void fw_pgp_free(fw_pgp *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->own[i]);
    p->n = 0;
}

int fw_pgc_q(fw_pgc *c, const char *sql, const fw_pgp *p, PGresult **out)
{
    if (out)
        *out = NULL;
    c->retry = false;
    if (p && p->bad)
        return FW_EINVAL;
    PGresult *r = PQexecParams(c->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, p ? p->len : NULL,
                               p ? p->bin : NULL, 0);
    int rc = fw_pg_err(r);
    if (rc) {
        c->retry = fw_pg_retryable(r) || lost(c);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return FW_OK;
}

int fw_pg_exec1(fw_pg *s, const char *sql, const fw_pgp *p, PGresult **out)
{
    *out = NULL;
    if (p && p->bad)
        return FW_EINVAL;
    fw_pgc *c;
    int rc = fw_pg_admin_get(s, &c);
    if (rc)
        return rc;
    rc = fw_pgc_exec(c, sql, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL, p ? p->bin : NULL, out);
    fw_pg_admin_put(s);
    return rc;
}

int fw_pg_tx(fw_pg *s, int (*body)(fw_pgc *c, void *arg), void *arg)
{
    fw_pgc *c;
    int rc = fw_pg_admin_get(s, &c);
    if (rc)
        return rc;
    for (int attempt = 0; attempt < RETRY_MAX; attempt++) {
        if ((rc = ensure(c)))
            break;
        if ((rc = fw_pgc_q(c, "BEGIN", NULL, NULL)) == FW_OK && (rc = body(c, arg)) == FW_OK)
            rc = fw_pgc_q(c, "COMMIT", NULL, NULL);
        if (rc == FW_OK)
            break;
        bool again = c->retry;
        if (c->conn && PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
            PGresult *r = PQexec(c->conn, "ROLLBACK");
            PQclear(r);
        }
        if (!again)
            break;
        if (lost(c))
            fw_pgc_close(c);
    }
    fw_pg_admin_put(s);
    return rc;
}

int fw_pg_unhex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(hex);
    if (n < 2 || hex[0] != '\\' || hex[1] != 'x' || n % 2)
        return FW_EIO;
    size_t bytes = (n - 2) / 2;
    if (bytes > cap)
        return FW_EINVAL;
    for (size_t i = 0; i < bytes; i++) {
        int hi = hexval(hex[2 + 2 * i]), lo = hexval(hex[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return FW_EIO;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = bytes;
    return FW_OK;
}
