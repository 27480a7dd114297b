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

#include "pg_fixture.h"
#include "store/store.h"

typedef struct fx {
    char dir[512]; /* the database's URI (named dir so the shared tests need no change) */
    char name[64];
    fw_store *s;
} fx;

static void open_store(fx *f)
{
    fw_store_opts o = {.path = f->dir, .pool = 2};
    assert_int_equal(fw_store_open(&o, &f->s), FW_OK);
    assert_string_equal(fw_store_backend(f->s), "postgresql");
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f || !pg_fixture_create(f->dir, sizeof f->dir, f->name))
        return -1;
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
    pg_fixture_drop(f->name);
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
    pg_admin_sql(f->dir, sql);
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
