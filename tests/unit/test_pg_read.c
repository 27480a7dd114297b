/* The PostgreSQL read path's machinery. Prepared statements per pooled
 * connection (src/store/pg_prep.c): a text is prepared once per connection and
 * executed by name afterwards, again after a reconnect or a session that lost
 * its statements, and never when the store says not to (serve
 * --db-no-prepare). Coalesced credential lookups (pg_pool.c): lookups of one
 * key queued together are answered by one statement, which sees what was
 * committed before they were submitted. Needs FOLLOWD_PG_URL (pg_fixture.h). */
#include <libpq-fe.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/exec.h"
#include "core/secret.h"
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
    f->c = (fw_pgc){.s = fw_pg_of(f->st), .prepare = true}; /* as a pool connection */
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
    f->c.prepare = false; /* the admin connection, or a pool's under no_prepare (pg_pool.c) */
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

/* An executor whose post() holds the (single) pool thread until opened, then
 * runs the task right there. */
typedef struct gate {
    fw_exec exec;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
} gate;

static void gate_post(fw_exec *e, fw_task *t)
{
    gate *g = (gate *)e;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    t->run(t);
}

static void direct_post(fw_exec *e, fw_task *t) { t->run(t); }

typedef struct {
    int rc;
    bool revoked;
    uint64_t user_id;
} auth_seen;

static void auth_cb(void *ctx, const fw_auth_res *res)
{
    auth_seen *a = ctx;
    a->rc = res->rc;
    a->revoked = res->rc == FW_OK && res->cred->revoked;
    a->user_id = res->rc == FW_OK && res->user ? res->user->id : 0;
}

/* Index scans of fw_creds so far, as the server counts them (flushed by backends when they exit). */
static long cred_scans(const char *uri)
{
    PGconn *c = PQconnectdb(uri);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "SELECT coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'fw_creds'");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return n;
}

static void test_queued_lookups_of_one_key_share_one_statement(void **state)
{
    fixture *f = *state;
    fw_store *st = f->st;
    uint64_t uid, other;
    fw_user u = {.username = fw_str_c("coal"), .name = fw_str_c("Coal")};
    assert_int_equal(fw_store_user_create(st, &u, &uid), FW_OK);
    u.username = fw_str_c("coal2");
    assert_int_equal(fw_store_user_create(st, &u, &other), FW_OK);
    fw_app_rec app;
    assert_int_equal(fw_store_app_create(st, fw_str_c("coal"), 0, FW_CLIENT_CONFIDENTIAL, FW_STR_NULL, &app), FW_OK);
    uint8_t h1[32], h2[32];
    fw_sha256("tok-one", 7, h1);
    fw_sha256("tok-two", 7, h2);
    fw_cred c1 = {.kind = FW_CRED_OAUTH2_USER, .app_id = app.a.id, .user_id = uid, .scopes = 7};
    fw_cred c2 = {.kind = FW_CRED_OAUTH2_USER, .app_id = app.a.id, .user_id = other, .scopes = 7};
    assert_int_equal(fw_store_cred_put(st, h1, FW_STR_NULL, &c1), FW_OK);
    assert_int_equal(fw_store_cred_put(st, h2, FW_STR_NULL, &c2), FW_OK);
    fw_app_rec_free(&app);

    fw_store_opts o = {.path = f->uri, .pool = 1};
    fw_store *node;
    assert_int_equal(fw_store_open(&o, &node), FW_OK);
    long before = cred_scans(f->uri);
    gate g = {.exec = {gate_post}};
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    fw_exec direct = {direct_post};
    fw_auth_q q1 = {.by = FW_AUTH_BY_HASH}, q2 = {.by = FW_AUTH_BY_HASH};
    memcpy(q1.hash, h1, 32);
    memcpy(q2.hash, h2, 32);
    auth_seen first = {0}, same[5] = {{0}}, two = {0};
    fw_store_auth(node, &g.exec, &q1, auth_cb, &first);
    pthread_mutex_lock(&g.mu);
    while (!g.entered) /* the pool's one thread answered `first` and is held in its post */
        pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    /* revoked after `first` ran, before the others are submitted: all of them must see it */
    bool was_live;
    assert_int_equal(fw_store_cred_revoke(st, h1, FW_STR_NULL, &was_live), FW_OK);
    assert_true(was_live);
    for (int i = 0; i < 5; i++)
        fw_store_auth(node, &direct, &q1, auth_cb, &same[i]);
    fw_store_auth(node, &direct, &q2, auth_cb, &two);
    pthread_mutex_lock(&g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    fw_store_close(node); /* runs every queued job; its backend exits and flushes its counts */
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
    assert_int_equal(first.rc, FW_OK);
    assert_false(first.revoked);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(same[i].rc, FW_OK);
        assert_true(same[i].revoked);
        assert_int_equal(same[i].user_id, uid);
    }
    assert_int_equal(two.rc, FW_OK);
    assert_false(two.revoked);
    assert_int_equal(two.user_id, other);
    /* first, the five as one, the other key: three lookups (seven without coalescing) */
    long after = before;
    for (int i = 0; i < 100 && after - before < 3; i++) {
        usleep(50000);
        after = cred_scans(f->uri);
    }
    usleep(300000);
    assert_int_equal(cred_scans(f->uri) - before, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prepared_once_per_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_again_after_reconnect_or_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_prepare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_parameter_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queued_lookups_of_one_key_share_one_statement, setup, teardown),
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
