/* Prepared statements per pooled connection (src/store/pg_prep.c): a text is
 * prepared once per connection and executed by name afterwards, again after a
 * reconnect or a session that lost its statements, and never when the store
 * says not to (serve --db-no-prepare). Needs FOLLOWD_PG_URL (pg_fixture.h). */
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
#include "store/pg_internal.h"
#include "store/store.h"

typedef struct {
    char uri[512], name[64];
    fw_store *st;
    fw_pgc c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_true(pg_fixture_create(f->uri, sizeof f->uri, f->name));
    fw_store_opts o = {.path = f->uri};
    assert_int_equal(fw_store_open(&o, &f->st), FW_OK);
    f->c = (fw_pgc){.s = fw_pg_of(f->st)};
    assert_int_equal(fw_pgc_connect(&f->c, NULL, 0), FW_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fw_pgc_close(&f->c);
    fw_store_close(f->st);
    pg_fixture_drop(f->name);
    free(f);
    return 0;
}

/* Statements prepared in c's session, as the server sees them. */
static long prepared_count(fw_pgc *c)
{
    PGresult *r = PQexec(c->conn, "SELECT count(*) FROM pg_prepared_statements");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

/* Runs "SELECT $1::bigint + k" through fw_pgc_run and checks the answer. */
static void add(fw_pgc *c, int k, uint64_t v)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT $1::bigint + %d", k);
    fw_pgp p = {0};
    fw_pgp_u64(&p, v);
    PGresult *r;
    assert_int_equal(fw_pgc_run(c, sql, &p, &r), FW_OK);
    fw_pgp_free(&p);
    assert_int_equal(fw_pg_u64(r, 0, 0), v + (uint64_t)k);
    PQclear(r);
}

static void test_prepared_once_per_connection(void **state)
{
    fixture *f = *state;
    assert_int_equal(prepared_count(&f->c), 0);
    add(&f->c, 1, 41);
    assert_int_equal(prepared_count(&f->c), 1);
    add(&f->c, 1, 99); /* same text: executed by name, not prepared again */
    assert_int_equal(prepared_count(&f->c), 1);
    add(&f->c, 2, 5);
    assert_int_equal(prepared_count(&f->c), 2);
}

static void test_prepared_again_after_reconnect_or_discard(void **state)
{
    fixture *f = *state;
    add(&f->c, 1, 1);
    PGresult *r = PQexec(f->c.conn, "DISCARD ALL"); /* the session forgets, the table does not */
    PQclear(r);
    assert_int_equal(prepared_count(&f->c), 0);
    add(&f->c, 1, 2);
    assert_int_equal(prepared_count(&f->c), 1);
    assert_int_equal(fw_pgc_connect(&f->c, NULL, 0), FW_OK);
    assert_int_equal(prepared_count(&f->c), 0);
    add(&f->c, 1, 3);
    assert_int_equal(prepared_count(&f->c), 1);
}

static void test_no_prepare(void **state)
{
    fixture *f = *state;
    fw_pg_of(f->st)->no_prepare = true;
    add(&f->c, 1, 7);
    add(&f->c, 1, 8);
    assert_int_equal(prepared_count(&f->c), 0);
}

static void test_bad_parameter_refused(void **state)
{
    fixture *f = *state;
    fw_pgp p = {0};
    fw_pgp_str(&p, (fw_str){"a\0b", 3});
    PGresult *r = (PGresult *)1;
    assert_int_equal(fw_pgc_run(&f->c, "SELECT $1::text", &p, &r), FW_EINVAL);
    assert_null(r);
    fw_pgp_free(&p);
    /* a statement the server refuses is an error, and nothing stays prepared */
    fw_pgp q = {0};
    assert_int_not_equal(fw_pgc_run(&f->c, "SELECT no_such_column", &q, &r), FW_OK);
    assert_int_equal(prepared_count(&f->c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prepared_once_per_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_again_after_reconnect_or_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_prepare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_parameter_refused, setup, teardown),
    };
    const char *url = getenv("FOLLOWD_PG_URL");
    if (!url || !*url) {
        size_t n = sizeof(tests) / sizeof(tests[0]);
        printf("1..%zu\n", n);
        for (size_t i = 0; i < n; i++)
            printf("ok %zu - %s # SKIP FOLLOWD_PG_URL is not set (scripts/run-tests.sh sets it)\n", i + 1,
                   tests[i].name);
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
