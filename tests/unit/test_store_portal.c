/* The store's developer-portal functions (store.h "Developer portal"),
 * each result code the header promises: developers, owned projects (create,
 * get, update, delete with and without apps, scan by owner), app settings
 * (defaults, update with client-type changes, owner token), app delete and
 * key regeneration with the consumer-key index following the key. Every
 * case runs on LMDB and on PostgreSQL (when FOLLOWD_PG_URL names a server;
 * otherwise the PostgreSQL runs report themselves skipped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <lmdb.h>

#include "pg_fixture.h"
#include "store/store.h"
#include "lmdb_fixture.h"

typedef struct fx {
    char dir[512]; /* LMDB directory or PostgreSQL URI */
    char name[64]; /* PostgreSQL: the database's name; empty on LMDB */
    fw_store *s;
    uint64_t dev, other;
} fx;

/* Opens f->dir and makes the two users every case starts with. */
static int open_fixture(fx *f, void **state)
{
    fw_store_opts o = {.path = f->dir, .map_size = 32u << 20, .pool = 2};
    if (fw_store_open(&o, &f->s) != FW_OK)
        return -1;
    fw_user a = {.username = fw_str_c("dev"), .name = fw_str_c("Dev")};
    fw_user b = {.username = fw_str_c("other"), .name = fw_str_c("Other")};
    if (fw_store_user_create(f->s, &a, &f->dev) || fw_store_user_create(f->s, &b, &f->other))
        return -1;
    *state = f;
    return 0;
}

static int setup_lmdb(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/fw_portal_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    return open_fixture(f, state);
}

/* No server: *state stays NULL and the case skips itself (fixture()). */
static int setup_pg(void **state)
{
    *state = NULL;
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!pg_fixture_create(f->dir, sizeof f->dir, f->name)) {
        free(f);
        return 0;
    }
    return open_fixture(f, state);
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    fw_store_close(f->s);
    if (f->name[0]) {
        pg_fixture_drop(f->name);
    } else {
        lmdb_rm_dir(f->dir);
    }
    free(f);
    return 0;
}

static fx *fixture(void **state)
{
    if (!*state)
        skip(); /* PostgreSQL without FOLLOWD_PG_URL */
    return *state;
}

static void test_developers(void **state)
{
    fx *f = fixture(state);
    fw_dev d;
    assert_int_equal(fw_store_dev_get(f->s, f->dev, &d), FW_ENOTFOUND);
    assert_int_equal(fw_store_dev_create(f->s, f->dev, 9, 1), FW_EINVAL);
    assert_int_equal(fw_store_dev_create(f->s, 424242, FW_DEV_PENDING, 1), FW_ENOTFOUND);
    assert_int_equal(fw_store_dev_create(f->s, f->dev, FW_DEV_PENDING, 1234), FW_OK);
    assert_int_equal(fw_store_dev_create(f->s, f->dev, FW_DEV_APPROVED, 1), FW_EEXISTS);
    assert_int_equal(fw_store_dev_get(f->s, f->dev, &d), FW_OK);
    assert_int_equal(d.status, FW_DEV_PENDING);
    assert_int_equal(d.created_at_ms, 1234);
    assert_int_equal(fw_store_dev_set_status(f->s, f->dev, FW_DEV_APPROVED), FW_OK);
    assert_int_equal(fw_store_dev_get(f->s, f->dev, &d), FW_OK);
    assert_int_equal(d.status, FW_DEV_APPROVED);
    assert_int_equal(d.created_at_ms, 1234);
    assert_int_equal(fw_store_dev_set_status(f->s, f->other, FW_DEV_APPROVED), FW_ENOTFOUND);
}

typedef struct seen {
    size_t n;
    uint64_t ids[8];
} seen;

static int collect(void *ctx, const fw_project *p)
{
    seen *s = ctx;
    if (s->n < 8)
        s->ids[s->n] = p->id;
    s->n++;
    return 0;
}

static void test_projects(void **state)
{
    fx *f = fixture(state);
    uint64_t id = 0, id2 = 0, admin = 0;
    fw_str name = fw_str_c("Proj"), uc = fw_str_c("use");
    /* only developers own projects */
    assert_int_equal(fw_store_project_create_owned(f->s, f->dev, name, uc, 0, FW_ACCESS_BASIC, 5, &id), FW_ENOTFOUND);
    assert_int_equal(fw_store_dev_create(f->s, f->dev, FW_DEV_APPROVED, 1), FW_OK);
    assert_int_equal(fw_store_dev_create(f->s, f->other, FW_DEV_APPROVED, 1), FW_OK);
    assert_int_equal(fw_store_project_create_owned(f->s, f->dev, FW_STR_NULL, uc, 0, 1, 5, &id), FW_EINVAL);
    assert_int_equal(fw_store_project_create_owned(f->s, f->dev, name, uc, 3, 1, 5, &id), FW_EINVAL);
    char big[FW_USE_CASE_MAX + 1];
    memset(big, 'x', sizeof big);
    assert_int_equal(fw_store_project_create_owned(f->s, f->dev, name, (fw_str){big, sizeof big}, 0, 1, 5, &id),
                     FW_EINVAL);
    assert_int_equal(fw_store_project_create_owned(f->s, f->dev, name, uc, FW_ENV_STAGING, FW_ACCESS_PRO, 5, &id),
                     FW_OK);
    assert_int_equal(fw_store_project_create_owned(f->s, f->other, fw_str_c("B"), FW_STR_NULL, 0, 1, 6, &id2), FW_OK);
    assert_int_equal(fw_store_project_create(f->s, fw_str_c("cli"), FW_ACCESS_FREE, &admin), FW_OK);
    fw_project_rec r;
    assert_int_equal(fw_store_project_get(f->s, id, &r), FW_OK);
    assert_true(fw_str_eq(r.p.name, "Proj") && fw_str_eq(r.p.use_case, "use"));
    assert_int_equal(r.p.owner_id, f->dev);
    assert_int_equal(r.p.environment, FW_ENV_STAGING);
    assert_int_equal(r.p.access_level, FW_ACCESS_PRO);
    assert_int_equal(r.p.created_at_ms, 5);
    fw_project_rec_free(&r);
    /* an admin-made project has no owner */
    assert_int_equal(fw_store_project_get(f->s, admin, &r), FW_OK);
    assert_int_equal(r.p.owner_id, 0);
    assert_true(fw_str_eq(r.p.name, "cli"));
    fw_project_rec_free(&r);
    assert_int_equal(fw_store_project_get(f->s, 99, &r), FW_ENOTFOUND);
    /* update keeps owner and level; set_level keeps the portal fields */
    assert_int_equal(fw_store_project_update(f->s, id, fw_str_c("Renamed"), FW_STR_NULL, FW_ENV_PRODUCTION), FW_OK);
    assert_int_equal(fw_store_project_set_level(f->s, id, FW_ACCESS_ENTERPRISE), FW_OK);
    assert_int_equal(fw_store_project_get(f->s, id, &r), FW_OK);
    assert_true(fw_str_eq(r.p.name, "Renamed") && r.p.use_case.len == 0);
    assert_int_equal(r.p.owner_id, f->dev);
    assert_int_equal(r.p.environment, FW_ENV_PRODUCTION);
    assert_int_equal(r.p.access_level, FW_ACCESS_ENTERPRISE);
    fw_project_rec_free(&r);
    assert_int_equal(fw_store_project_update(f->s, 99, name, uc, 0), FW_ENOTFOUND);
    /* scan by owner */
    seen s = {0};
    assert_int_equal(fw_store_project_scan_owner(f->s, f->dev, collect, &s), FW_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ids[0], id);
    /* delete: refused with apps unless asked, then the apps go too */
    fw_app_rec a;
    assert_int_equal(fw_store_app_create(f->s, fw_str_c("app"), id, FW_CLIENT_CONFIDENTIAL, FW_STR_NULL, &a), FW_OK);
    uint64_t aid = a.a.id;
    assert_int_equal(fw_store_project_delete(f->s, id, false), FW_EBUSY);
    fw_app_rec still;
    assert_int_equal(fw_store_app_get(f->s, aid, &still), FW_OK);
    fw_app_rec_free(&still);
    assert_int_equal(fw_store_project_delete(f->s, id, true), FW_OK);
    assert_int_equal(fw_store_project_get(f->s, id, &r), FW_ENOTFOUND);
    fw_app_rec gone;
    assert_int_equal(fw_store_app_get(f->s, aid, &gone), FW_ENOTFOUND);
    fw_app_rec_free(&a);
    assert_int_equal(fw_store_project_delete(f->s, id2, false), FW_OK);
    assert_int_equal(fw_store_project_delete(f->s, id2, false), FW_ENOTFOUND);
    s = (seen){0};
    assert_int_equal(fw_store_project_scan_owner(f->s, f->other, collect, &s), FW_OK);
    assert_int_equal(s.n, 0);
}

typedef struct by_key {
    int rc;
    uint64_t app;
} by_key;

static void on_auth(void *ctx, const fw_auth_res *res)
{
    by_key *b = ctx;
    b->rc = res->rc;
    b->app = res->rc == FW_OK ? res->app->id : 0;
}

static int lookup_ck(fw_store *s, const char *ck, uint64_t *app)
{
    fw_auth_q q = {.by = FW_AUTH_BY_CONSUMER_KEY, .consumer_key = fw_str_c(ck)};
    by_key b = {0};
    fw_store_auth(s, NULL, &q, on_auth, &b);
    *app = b.app;
    return b.rc;
}

static void report(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "check: %s\n", line);
}

static void test_app_settings_and_keys(void **state)
{
    fx *f = fixture(state);
    uint64_t pid;
    assert_int_equal(fw_store_project_create(f->s, fw_str_c("p"), FW_ACCESS_BASIC, &pid), FW_OK);
    fw_app_rec a;
    assert_int_equal(fw_store_app_create(f->s, fw_str_c("app"), pid, FW_CLIENT_CONFIDENTIAL, FW_STR_NULL, &a), FW_OK);
    uint64_t id = a.a.id;
    assert_int_equal(a.a.permission, FW_APP_PERM_READ_WRITE);
    fw_app_settings_rec st;
    assert_int_equal(fw_store_app_settings_get(f->s, id, &st), FW_OK);
    assert_int_equal(st.s.permission, FW_APP_PERM_READ_WRITE);
    assert_int_equal(st.s.website_url.len + st.s.dev_token.len, 0);
    fw_app_settings_rec_free(&st);
    assert_int_equal(fw_store_app_settings_get(f->s, 99, &st), FW_ENOTFOUND);
    /* update: name, public client (secret dropped), callbacks, Read, website */
    assert_int_equal(fw_store_app_update(f->s, id, FW_STR_NULL, 0, FW_STR_NULL, 0, FW_STR_NULL), FW_EINVAL);
    assert_int_equal(fw_store_app_update(f->s, id, fw_str_c("n"), 0, FW_STR_NULL, 7, FW_STR_NULL), FW_EINVAL);
    assert_int_equal(fw_store_app_update(f->s, 99, fw_str_c("n"), 0, FW_STR_NULL, 0, FW_STR_NULL), FW_ENOTFOUND);
    assert_int_equal(fw_store_app_set_dev_token(f->s, id, fw_str_c("tok-1")), FW_OK);
    assert_int_equal(fw_store_app_update(f->s, id, fw_str_c("renamed"), FW_CLIENT_PUBLIC, fw_str_c("https://a/cb\nhttps://b/cb"),
                                         FW_APP_PERM_READ, fw_str_c("https://site/")),
                     FW_OK);
    fw_app_rec b;
    assert_int_equal(fw_store_app_get(f->s, id, &b), FW_OK);
    assert_true(fw_str_eq(b.a.name, "renamed") && fw_str_eq(b.a.redirect_uris, "https://a/cb\nhttps://b/cb"));
    assert_int_equal(b.a.client_type, FW_CLIENT_PUBLIC);
    assert_int_equal(b.a.client_secret.len, 0);
    assert_int_equal(b.a.permission, FW_APP_PERM_READ);
    assert_true(fw_str_eq(b.a.consumer_key, a.strs[1]) && b.a.bearer_gen == a.a.bearer_gen);
    fw_app_rec_free(&b);
    assert_int_equal(fw_store_app_settings_get(f->s, id, &st), FW_OK);
    assert_true(fw_str_eq(st.s.website_url, "https://site/") && fw_str_eq(st.s.dev_token, "tok-1"));
    fw_app_settings_rec_free(&st);
    /* a client secret of a public client cannot be regenerated; confidential again gets a new one */
    fw_app_rec n;
    assert_int_equal(fw_store_app_regenerate(f->s, id, FW_REGEN_CLIENT_SECRET, &n), FW_EINVAL);
    assert_int_equal(fw_store_app_regenerate(f->s, id, 0, &n), FW_EINVAL);
    assert_int_equal(fw_store_app_update(f->s, id, fw_str_c("renamed"), FW_CLIENT_CONFIDENTIAL, FW_STR_NULL,
                                         FW_APP_PERM_READ, FW_STR_NULL),
                     FW_OK);
    assert_int_equal(fw_store_app_get(f->s, id, &b), FW_OK);
    assert_true(b.a.client_secret.len >= 40 && !fw_str_eq(b.a.client_secret, a.strs[4]));
    assert_int_equal(fw_store_app_regenerate(f->s, id, FW_REGEN_CLIENT_SECRET, &n), FW_OK);
    assert_true(!fw_str_eq(n.a.client_secret, b.strs[4]) && fw_str_eq(n.a.consumer_key, a.strs[1]));
    fw_app_rec_free(&n);
    fw_app_rec_free(&b);
    /* a new consumer key: the index follows it */
    uint64_t found;
    assert_int_equal(lookup_ck(f->s, a.strs[1], &found), FW_OK);
    assert_int_equal(found, id);
    assert_int_equal(fw_store_app_regenerate(f->s, id, FW_REGEN_CONSUMER, &n), FW_OK);
    assert_int_equal(n.a.consumer_key.len, 25);
    assert_int_equal(n.a.consumer_secret.len, 50);
    assert_false(fw_str_eq(n.a.consumer_key, a.strs[1]));
    assert_int_equal(lookup_ck(f->s, a.strs[1], &found), FW_ENOTFOUND);
    assert_int_equal(lookup_ck(f->s, n.strs[1], &found), FW_OK);
    assert_int_equal(found, id);
    /* delete: record, indexes and settings */
    assert_int_equal(fw_store_app_delete(f->s, id), FW_OK);
    assert_int_equal(lookup_ck(f->s, n.strs[1], &found), FW_ENOTFOUND);
    assert_int_equal(fw_store_app_get(f->s, id, &b), FW_ENOTFOUND);
    assert_int_equal(fw_store_app_settings_get(f->s, id, &st), FW_ENOTFOUND);
    assert_int_equal(fw_store_app_delete(f->s, id), FW_ENOTFOUND);
    fw_app_rec_free(&n);
    fw_app_rec_free(&a);
    int cnt = fw_store_check(f->s, report, NULL);
    assert_int_equal(cnt, 0);
}

/* LMDB: a database from before the portal (no devs, proj_info, app_set
 * tables) opened read-only reads as one without portal records; the first
 * writable open adds the tables. */
static void test_lmdb_read_only_before_portal(void **state)
{
    fx *f = fixture(state);
    uint64_t pid;
    assert_int_equal(fw_store_project_create(f->s, fw_str_c("p"), FW_ACCESS_BASIC, &pid), FW_OK);
    fw_app_rec a;
    assert_int_equal(fw_store_app_create(f->s, fw_str_c("app"), pid, FW_CLIENT_CONFIDENTIAL, FW_STR_NULL, &a), FW_OK);
    fw_store_close(f->s);
    f->s = NULL;
    MDB_env *env;
    MDB_txn *txn;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 64), 0);
    assert_int_equal(mdb_env_set_mapsize(env, 32u << 20), 0);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    static const char *const tables[] = {"devs", "proj_info", "app_set"};
    for (int i = 0; i < 3; i++) {
        MDB_dbi d;
        assert_int_equal(mdb_dbi_open(txn, tables[i], 0, &d), 0);
        assert_int_equal(mdb_drop(txn, d, 1), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    fw_store_opts o = {.path = f->dir, .map_size = 32u << 20, .read_only = true};
    fw_store *ro;
    assert_int_equal(fw_store_open(&o, &ro), FW_OK);
    fw_app_rec b;
    assert_int_equal(fw_store_app_get(ro, a.a.id, &b), FW_OK);
    assert_int_equal(b.a.permission, FW_APP_PERM_READ_WRITE);
    fw_app_rec_free(&b);
    uint64_t found;
    assert_int_equal(lookup_ck(ro, a.strs[1], &found), FW_OK);
    assert_int_equal(found, a.a.id);
    fw_project_rec r;
    assert_int_equal(fw_store_project_get(ro, pid, &r), FW_OK);
    assert_int_equal(r.p.owner_id, 0);
    fw_project_rec_free(&r);
    fw_dev d;
    assert_int_equal(fw_store_dev_get(ro, f->dev, &d), FW_ENOTFOUND);
    seen sn = {0};
    assert_int_equal(fw_store_project_scan_owner(ro, f->dev, collect, &sn), FW_OK);
    assert_int_equal(sn.n, 0);
    fw_app_settings_rec st;
    assert_int_equal(fw_store_app_settings_get(ro, a.a.id, &st), FW_OK);
    assert_int_equal(st.s.permission, FW_APP_PERM_READ_WRITE);
    fw_app_settings_rec_free(&st);
    fw_store_close(ro);
    o.read_only = false;
    assert_int_equal(fw_store_open(&o, &f->s), FW_OK);
    assert_int_equal(fw_store_dev_create(f->s, f->dev, FW_DEV_APPROVED, 1), FW_OK);
    fw_app_rec_free(&a);
}

/* migrate's verbatim writes and scans (store.h "Whole-database copies"). */
static int count_dev(void *ctx, const fw_dev *d)
{
    fw_dev *last = ctx;
    *last = *d;
    return 0;
}

static int count_password(void *ctx, uint64_t user_id, const uint8_t *rec, size_t len)
{
    uint64_t *got = ctx;
    got[0]++;
    got[1] = user_id;
    got[2] = len == 3 && !memcmp(rec, "abc", 3);
    return 0;
}

static void test_migrate_verbatim(void **state)
{
    fx *f = fixture(state);
    uint64_t pid;
    assert_int_equal(fw_store_project_create(f->s, fw_str_c("Admin made"), FW_ACCESS_PRO, &pid), FW_OK);
    fw_project p = {.id = pid, .owner_id = f->dev, .environment = FW_ENV_STAGING, .created_at_ms = 777,
                    .use_case = fw_str_c("copied")};
    assert_int_equal(fw_store_project_info_put(f->s, &p), FW_OK);
    fw_project_rec r;
    assert_int_equal(fw_store_project_get(f->s, pid, &r), FW_OK);
    assert_int_equal(r.p.owner_id, f->dev);
    assert_int_equal(r.p.environment, FW_ENV_STAGING);
    assert_int_equal(r.p.created_at_ms, 777);
    assert_int_equal(r.p.access_level, FW_ACCESS_PRO);
    assert_true(fw_str_eq(r.p.use_case, "copied") && fw_str_eq(r.p.name, "Admin made"));
    fw_project_rec_free(&r);
    p.id = 424242;
    assert_int_equal(fw_store_project_info_put(f->s, &p), FW_ENOTFOUND);
    p.id = pid, p.environment = 9;
    assert_int_equal(fw_store_project_info_put(f->s, &p), FW_EINVAL);

    fw_app_rec a;
    assert_int_equal(fw_store_app_create(f->s, fw_str_c("app"), pid, FW_CLIENT_CONFIDENTIAL, FW_STR_NULL, &a), FW_OK);
    fw_app_settings st = {FW_APP_PERM_READ, fw_str_c("https://site.example/"), fw_str_c("123-tok")};
    assert_int_equal(fw_store_app_settings_put(f->s, a.a.id, &st), FW_OK);
    fw_app_settings_rec sr;
    assert_int_equal(fw_store_app_settings_get(f->s, a.a.id, &sr), FW_OK);
    assert_int_equal(sr.s.permission, FW_APP_PERM_READ);
    assert_true(fw_str_eq(sr.s.website_url, "https://site.example/") && fw_str_eq(sr.s.dev_token, "123-tok"));
    fw_app_settings_rec_free(&sr);
    assert_int_equal(fw_store_app_settings_put(f->s, 424242, &st), FW_ENOTFOUND);
    st.permission = 7;
    assert_int_equal(fw_store_app_settings_put(f->s, a.a.id, &st), FW_EINVAL);
    fw_app_rec_free(&a);

    fw_dev d = {0};
    assert_int_equal(fw_store_dev_scan(f->s, count_dev, &d), FW_OK);
    assert_int_equal(d.user_id, 0); /* none yet */
    assert_int_equal(fw_store_dev_create(f->s, f->other, FW_DEV_APPROVED, 4321), FW_OK);
    assert_int_equal(fw_store_dev_scan(f->s, count_dev, &d), FW_OK);
    assert_int_equal(d.user_id, f->other);
    assert_int_equal(d.status, FW_DEV_APPROVED);
    assert_int_equal(d.created_at_ms, 4321);
    uint64_t got[3] = {0};
    assert_int_equal(fw_store_user_set_password(f->s, f->dev, (const uint8_t *)"abc", 3), FW_OK);
    assert_int_equal(fw_store_password_scan(f->s, count_password, got), FW_OK);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], f->dev);
    assert_int_equal(got[2], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_developers, setup_lmdb, teardown),
        cmocka_unit_test_setup_teardown(test_projects, setup_lmdb, teardown),
        cmocka_unit_test_setup_teardown(test_app_settings_and_keys, setup_lmdb, teardown),
        cmocka_unit_test_setup_teardown(test_lmdb_read_only_before_portal, setup_lmdb, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_verbatim, setup_lmdb, teardown),
        {"test_developers (postgresql)", test_developers, setup_pg, teardown, NULL},
        {"test_projects (postgresql)", test_projects, setup_pg, teardown, NULL},
        {"test_app_settings_and_keys (postgresql)", test_app_settings_and_keys, setup_pg, teardown, NULL},
        {"test_migrate_verbatim (postgresql)", test_migrate_verbatim, setup_pg, teardown, NULL},
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
