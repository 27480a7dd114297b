/* The store tests of test_store.c that are about semantics, not LMDB files,
 * run against the PostgreSQL backend, plus PostgreSQL's own corruptions for
 * the checker. Each test gets a fresh database on the server FOLLOWD_PG_URL
 * names (scripts/run-tests.sh starts a throw-away cluster and sets it); without
 * it every test reports itself skipped: a test binary never assumes a server. */
#define FW_TEST_PG 1

#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/issue.h"
#include "core/secret.h"
#include "store/store.h"

typedef struct fx {
    char dir[512]; /* the database's URI (named dir so the shared tests need no change) */
    char name[64];
    fw_store *s;
} fx;

static int db_counter;

/* Runs sql on the server's maintenance database (url) or on the test's own. */
static void admin_sql(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

static void open_store(fx *f)
{
    fw_store_opts o = {.path = f->dir, .pool = 2};
    assert_int_equal(fw_store_open(&o, &f->s), FW_OK);
    assert_string_equal(fw_store_backend(f->s), "postgresql");
}

static int setup(void **state)
{
    const char *url = getenv("FOLLOWD_PG_URL");
    fx *f = calloc(1, sizeof *f);
    snprintf(f->name, sizeof f->name, "fw_unit_%d_%d", (int)getpid(), ++db_counter);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", f->name);
    admin_sql(url, sql);
    /* the URI with its database replaced */
    const char *q = strchr(url, '?');
    size_t base = q ? (size_t)(q - url) : strlen(url);
    const char *slash = url + base;
    while (slash > url && *slash != '/')
        slash--;
    if (slash - url < 12) /* no "/dbname" after scheme://host */
        slash = url + base;
    snprintf(f->dir, sizeof f->dir, "%.*s/%s%s", (int)(slash - url), url, f->name, q ? q : "");
    open_store(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    fw_store_close(f->s);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", f->name);
    admin_sql(getenv("FOLLOWD_PG_URL"), sql);
    free(f);
    return 0;
}

#include "test_store.c"

/* ---- check: PostgreSQL's corruptions -------------------------------------------
 * The graph is one row per edge seen through two indexes, so what can break is
 * what check verifies here: counters, dangling or self edges, states, requests
 * to public accounts, the sequence counter, the username index column. */

typedef struct lines {
    int n;
    char buf[4096];
} lines;

static void collect_line(void *ctx, const char *line)
{
    lines *l = ctx;
    size_t len = strlen(l->buf);
    snprintf(l->buf + len, sizeof l->buf - len, "%s\n", line);
    l->n++;
}

static void expect_problem(fw_store *s, const char *needle)
{
    lines l = {0};
    int rc = fw_store_check(s, collect_line, &l);
    assert_true(rc > 0);
    assert_int_equal(rc, l.n);
    if (!strstr(l.buf, needle))
        fail_msg("check did not report '%s'; it reported:\n%s", needle, l.buf);
}

static void corrupt(fx *f, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    admin_sql(f->dir, sql);
}

static void test_pg_check_finds_each_corruption(void **state)
{
    fx *f = *state;
    static const struct {
        const char *sql; /* %1$llu = a, %2$llu = b, %3$llu = c (protected) */
        const char *needle;
    } cases[] = {
        {"UPDATE fw_users SET followers_count = 7 WHERE id = %1$llu", "followers_count 7 but 1 followers"},
        {"UPDATE fw_users SET following_count = 9 WHERE id = %2$llu", "following_count 9 but follows 1"},
        {"INSERT INTO fw_rel VALUES (%1$llu, 12345, 1, 999)", "user 12345 does not exist"},
        {"INSERT INTO fw_rel VALUES (%1$llu, %1$llu, 2, 998)", "self-edge"},
        {"UPDATE fw_rel SET state = 5 WHERE src = %2$llu", "bad state 5"},
        {"UPDATE fw_users SET flags = 0 WHERE id = %3$llu", "to a public account"},
        {"SELECT setval('fw_edge_seq', 1)", "is behind edge seq"},
        {"UPDATE fw_users SET uname = 'zz' WHERE id = %2$llu", "not indexed to it"},
        {"UPDATE fw_rel SET seq = (SELECT max(seq) FROM fw_rel WHERE src <> %2$llu) WHERE src = %2$llu",
         "edges"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (i) { /* a fresh database per case */
            teardown(state);
            setup(state);
            f = *state;
        }
        fw_store *s = f->s;
        uint64_t a = mk_user(s, "a", 0), b = mk_user(s, "b", 0), c = mk_user(s, "c", FW_USER_PROTECTED);
        assert_int_equal(wr(s, FW_W_FOLLOW, b, a).rc, FW_OK);
        assert_int_equal(wr(s, FW_W_FOLLOW, a, b).rc, FW_OK);
        assert_int_equal(wr(s, FW_W_FOLLOW, a, c).rel, FW_REL_PENDING);
        assert_clean(s);
        corrupt(f, cases[i].sql, (unsigned long long)a, (unsigned long long)b, (unsigned long long)c);
        expect_problem(s, cases[i].needle);
    }
}

/* A newer schema than this build knows is refused with the reason. */
static void test_pg_newer_schema_refused(void **state)
{
    fx *f = *state;
    unsigned cur = 0, known = 0;
    assert_int_equal(fw_store_schema(f->s, &cur, &known), FW_OK);
    assert_int_equal(cur, known);
    fw_store_close(f->s);
    f->s = NULL;
    corrupt(f, "INSERT INTO fw_schema_migrations (version) VALUES (%u)", known + 1);
    char why[256] = "";
    fw_store_opts o = {.path = f->dir, .err = why, .err_len = sizeof why};
    fw_store *s = NULL;
    assert_int_equal(fw_store_open(&o, &s), FW_EINVAL);
    assert_null(s);
    assert_non_null(strstr(why, "newer than this followd"));
    corrupt(f, "DELETE FROM fw_schema_migrations WHERE version = %u", known + 1);
    open_store(f);
}

/* ---- grants (schema v2) ----------------------------------------------------------
 * A grant revoked through one node is refused at auth by another node at once
 * (no node caches credentials), with every token of the grant, later ones
 * included; other grants and grant-less tokens stay valid; the grant id
 * survives the store (random 64-bit ids, above bigint's positive range too). */

typedef struct grant_seen {
    int rc;
    bool revoked;
    uint64_t grant_id;
} grant_seen;

static void grant_cb(void *ctx, const fw_auth_res *res)
{
    grant_seen *g = ctx;
    *g = (grant_seen){.rc = res->rc};
    if (res->rc == FW_OK && res->cred)
        g->revoked = res->cred->revoked, g->grant_id = res->cred->grant_id;
}

static grant_seen grant_auth(fw_store *s, const char *tok)
{
    fw_auth_q q = {.by = FW_AUTH_BY_HASH};
    fw_sha256(tok, strlen(tok), q.hash);
    grant_seen g = {.rc = -1};
    fw_store_auth(s, NULL, &q, grant_cb, &g);
    return g;
}

static void test_pg_grant_revoke_across_nodes(void **state)
{
    fx *f = *state;
    fw_store *a = f->s, *b;
    fw_store_opts o = {.path = f->dir, .pool = 1};
    assert_int_equal(fw_store_open(&o, &b), FW_OK);
    fw_user u = {.username = fw_str_c("gina"), .name = fw_str_c("Gina")};
    uint64_t uid;
    assert_int_equal(fw_store_user_create(a, &u, &uid), FW_OK);
    fw_app_rec app;
    assert_int_equal(fw_store_app_create(a, fw_str_c("a"), 0, FW_CLIENT_CONFIDENTIAL, FW_STR_NULL, &app), FW_OK);
    uint64_t g1 = UINT64_C(0xF00DFACE12345678), g2; /* above INT64_MAX: stored as its bit pattern */
    assert_int_equal(fw_issue_grant_id(&g2), FW_OK);
    char at[FW_TOKEN_MAX], rt[FW_TOKEN_MAX], other[FW_TOKEN_MAX], plain[FW_TOKEN_MAX], late[FW_TOKEN_MAX];
    assert_int_equal(fw_issue_user_token(a, FW_CRED_OAUTH2_USER, app.a.id, uid, 5, 3600000, g1, NULL, at), FW_OK);
    assert_int_equal(fw_issue_user_token(a, FW_CRED_OAUTH2_REFRESH, app.a.id, uid, 5, 0, g1, NULL, rt), FW_OK);
    assert_int_equal(fw_issue_user_token(a, FW_CRED_OAUTH2_USER, app.a.id, uid, 5, 0, g2 == g1 ? 1 : g2, NULL, other),
                     FW_OK);
    assert_int_equal(fw_issue_user_token(a, FW_CRED_OAUTH2_USER, app.a.id, uid, 5, 0, 0, NULL, plain), FW_OK);
    grant_seen g = grant_auth(b, at);
    assert_true(g.rc == FW_OK && !g.revoked && g.grant_id == g1);
    assert_int_equal(fw_store_grant_revoke(b, g1), FW_OK); /* on node b */
    assert_int_equal(fw_store_grant_revoke(b, g1), FW_OK); /* idempotent */
    assert_int_equal(fw_store_grant_revoke(a, 0), FW_EINVAL);
    assert_true(grant_auth(a, at).revoked && grant_auth(a, rt).revoked); /* seen on node a at once */
    assert_false(grant_auth(a, other).revoked);
    assert_false(grant_auth(a, plain).revoked);
    /* a token issued under the grant after its revocation (a racing refresh) is born revoked */
    assert_int_equal(fw_issue_user_token(a, FW_CRED_OAUTH2_USER, app.a.id, uid, 5, 0, g1, NULL, late), FW_OK);
    assert_true(grant_auth(b, late).revoked);
    fw_app_rec_free(&app);
    fw_store_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_unfollow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_concurrent_inserts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suspended_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unprotect_accepts_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_drains_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apps_and_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tweets_hydration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_bulk_and_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_keeps_most_recent_tweet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_drops_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_check_finds_each_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_grant_revoke_across_nodes, setup, teardown),
    };
    const char *url = getenv("FOLLOWD_PG_URL");
    if (!url || !*url) { /* no server to test against: every test reports itself skipped */
        size_t n = sizeof(tests) / sizeof(tests[0]);
        printf("1..%zu\n", n);
        for (size_t i = 0; i < n; i++)
            printf("ok %zu - %s # SKIP FOLLOWD_PG_URL is not set (scripts/run-tests.sh sets it)\n", i + 1,
                   tests[i].name);
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
