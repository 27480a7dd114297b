/* The change log (fw_store_changes) and the response cache that trusts it:
 * a follow stales exactly the cached bodies that show one of its two users;
 * anything the log cannot describe precisely (a profile edit, a bulk import)
 * stales every body; a stale body is never served. LMDB only (the PostgreSQL
 * backend keeps no version, so it caches nothing). Each test has its own dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/rcache.h"
#include "store/store.h"
#include "lmdb_fixture.h"

typedef struct fx {
    char dir[64];
    fw_store *s;
    uint64_t a, b, c, d; /* four users */
} fx;

static uint64_t mk_user(fw_store *s, const char *name)
{
    fw_user u = {.username = fw_str_c(name), .name = fw_str_c("Name")};
    uint64_t id = 0;
    assert_int_equal(fw_store_user_create(s, &u, &id), FW_OK);
    return id;
}

static void follow(fw_store *s, uint8_t kind, uint64_t src, uint64_t dst)
{
    fw_write_res r;
    assert_int_equal(fw_store_write_sync(s, kind, src, dst, &r), FW_OK);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/fw_rcache_XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    fw_store_opts o = {.path = f->dir, .map_size = 64u << 20};
    if (fw_store_open(&o, &f->s) != FW_OK)
        return -1;
    f->a = mk_user(f->s, "alice");
    f->b = mk_user(f->s, "bob");
    f->c = mk_user(f->s, "carol");
    f->d = mk_user(f->s, "dave");
    fw_rcache_clear();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    fw_rcache_clear();
    fw_store_close(f->s);
    lmdb_rm_dir(f->dir);
    free(f);
    return 0;
}

typedef struct seen {
    uint64_t ids[16], vers[16];
    int n;
} seen;

static void on_change(void *ctx, uint64_t id, uint64_t version)
{
    seen *s = ctx;
    assert_true(s->n < 16);
    s->ids[s->n] = id;
    s->vers[s->n++] = version;
}

static bool saw(const seen *s, uint64_t id)
{
    for (int i = 0; i < s->n; i++)
        if (s->ids[i] == id)
            return true;
    return false;
}

static void test_a_follow_logs_exactly_its_two_users(void **state)
{
    fx *f = *state;
    uint64_t v0 = fw_store_version(f->s), now = 0;
    follow(f->s, FW_W_FOLLOW, f->a, f->b);
    uint64_t v1 = fw_store_version(f->s);
    assert_true(v1 > v0);
    seen s = {0};
    assert_int_equal(fw_store_changes(f->s, v0, &now, on_change, &s), FW_OK);
    assert_int_equal(now, v1);
    assert_int_equal(s.n, 2);
    assert_true(saw(&s, f->a) && saw(&s, f->b));
    assert_int_equal(s.vers[0], v1);
    /* nothing after v1 yet; a repeated follow changes nothing and commits nothing */
    seen none = {0};
    assert_int_equal(fw_store_changes(f->s, v1, &now, on_change, &none), FW_OK);
    assert_int_equal(none.n, 0);
    follow(f->s, FW_W_FOLLOW, f->a, f->b);
    assert_int_equal(fw_store_version(f->s), v1);
    /* unfollow: the same two */
    follow(f->s, FW_W_UNFOLLOW, f->a, f->b);
    seen u = {0};
    assert_int_equal(fw_store_changes(f->s, v1, &now, on_change, &u), FW_OK);
    assert_int_equal(u.n, 2);
    assert_true(saw(&u, f->a) && saw(&u, f->b) && !saw(&u, f->c));
}

static void test_a_profile_edit_is_a_wildcard(void **state)
{
    fx *f = *state;
    uint64_t v0 = fw_store_version(f->s), now = 0;
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(f->s, f->c, &r), FW_OK);
    r.u.name = fw_str_c("Carol Renamed");
    assert_int_equal(fw_store_user_update(f->s, &r.u), FW_OK);
    fw_user_rec_free(&r);
    seen s = {0};
    assert_int_equal(fw_store_changes(f->s, v0, &now, on_change, &s), FW_ENOTFOUND);
    assert_int_equal(now, fw_store_version(f->s));
    /* ... and the log is precise again after it */
    uint64_t v1 = now;
    follow(f->s, FW_W_FOLLOW, f->c, f->d);
    seen t = {0};
    assert_int_equal(fw_store_changes(f->s, v1, &now, on_change, &t), FW_OK);
    assert_int_equal(t.n, 2);
}

static void key_for(fw_rcache_key *k, const char *path)
{
    assert_true(fw_rcache_key_make(k, 1, 2, 0, fw_str_c(path), fw_str_c("max_results=10")));
}

static bool get(fx *f, const fw_rcache_key *k, const char *want)
{
    fw_buf out = FW_BUF_INIT;
    bool hit = fw_rcache_get(k, f->s, fw_store_version(f->s), &out);
    if (hit)
        assert_string_equal(out.data, want);
    fw_buf_free(&out);
    return hit;
}

static void put(fx *f, const fw_rcache_key *k, const char *body, uint64_t owner, const fw_user *users, size_t n)
{
    fw_rcache_deps d = {.ids = {0, owner}, .users = users, .nusers = n};
    fw_rcache_put(k, f->s, fw_store_version(f->s), body, strlen(body), &d);
}

static void test_a_follow_stales_only_pages_showing_its_users(void **state)
{
    fx *f = *state;
    follow(f->s, FW_W_FOLLOW, f->b, f->a);
    /* a's followers page shows b; c's (empty) page shows nobody */
    fw_user shown = {.id = f->b};
    fw_rcache_key ka, kc;
    key_for(&ka, "/2/users/a/followers");
    key_for(&kc, "/2/users/c/followers");
    put(f, &ka, "page-a", f->a, &shown, 1);
    put(f, &kc, "page-c", f->c, NULL, 0);
    assert_true(get(f, &ka, "page-a") && get(f, &kc, "page-c"));
    /* d follows c: c's page is stale, a's is not (neither a nor b changed) */
    follow(f->s, FW_W_FOLLOW, f->d, f->c);
    assert_true(get(f, &ka, "page-a"));
    assert_false(get(f, &kc, "page-c"));
    assert_false(get(f, &kc, "page-c")); /* dropped, not resurrected */
    /* b (shown on a's page) follows d: b's counters changed, so a's page is stale */
    follow(f->s, FW_W_FOLLOW, f->b, f->d);
    assert_false(get(f, &ka, "page-a"));
}

/* A page that shows no counters depends on its viewer and its path's user
 * only: a follow by a user it merely lists changes nothing it shows, while a
 * follow of the owner, one by the viewer and any wildcard still stale it. */
static void test_a_page_without_counts_keeps_a_listed_users_follow(void **state)
{
    fx *f = *state;
    follow(f->s, FW_W_FOLLOW, f->b, f->a);
    fw_user shown = {.id = f->b};
    fw_rcache_key k;
    key_for(&k, "/2/users/a/followers");
    fw_rcache_deps d = {.no_counts = true, .ids = {f->c, f->a}, .users = &shown, .nusers = 1};
    fw_rcache_put(&k, f->s, fw_store_version(f->s), "page", 4, &d);
    follow(f->s, FW_W_FOLLOW, f->b, f->d); /* b is listed, neither viewer nor owner */
    assert_true(get(f, &k, "page"));
    follow(f->s, FW_W_FOLLOW, f->c, f->b); /* the viewer's relationships show on the page */
    assert_false(get(f, &k, "page"));
    fw_rcache_put(&k, f->s, fw_store_version(f->s), "page", 4, &d);
    follow(f->s, FW_W_FOLLOW, f->d, f->a); /* the owner's list */
    assert_false(get(f, &k, "page"));
    fw_rcache_put(&k, f->s, fw_store_version(f->s), "page", 4, &d);
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(f->s, f->b, &r), FW_OK);
    r.u.name = fw_str_c("Bob Renamed"); /* a profile edit is a wildcard */
    assert_int_equal(fw_store_user_update(f->s, &r.u), FW_OK);
    fw_user_rec_free(&r);
    assert_false(get(f, &k, "page"));
}

static void test_a_wildcard_stales_every_page(void **state)
{
    fx *f = *state;
    fw_rcache_key ka;
    key_for(&ka, "/2/users/a/followers");
    put(f, &ka, "page-a", f->a, NULL, 0);
    assert_true(get(f, &ka, "page-a"));
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(f->s, f->d, &r), FW_OK);
    r.u.description = fw_str_c("new bio");
    assert_int_equal(fw_store_user_update(f->s, &r.u), FW_OK);
    fw_user_rec_free(&r);
    assert_false(get(f, &ka, "page-a"));
    /* a page cached after the wildcard is served, and survives an unrelated follow */
    put(f, &ka, "page-a2", f->a, NULL, 0);
    follow(f->s, FW_W_FOLLOW, f->c, f->d);
    assert_true(get(f, &ka, "page-a2"));
}

static void test_many_writes_between_reads(void **state)
{
    fx *f = *state;
    enum { N = 40 };
    uint64_t ids[N];
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "u%d", i);
        ids[i] = mk_user(f->s, name);
    }
    fw_rcache_key ka;
    key_for(&ka, "/2/users/a/following");
    put(f, &ka, "page-a", f->a, NULL, 0);
    for (int i = 1; i < N; i++)
        follow(f->s, FW_W_FOLLOW, ids[i], ids[i - 1]); /* none touches a */
    assert_true(get(f, &ka, "page-a"));
    for (int i = 1; i < N; i++)
        follow(f->s, FW_W_FOLLOW, ids[i], ids[0]);
    follow(f->s, FW_W_FOLLOW, f->a, ids[N - 1]); /* then one that does */
    for (int i = 2; i < N; i++)
        follow(f->s, FW_W_UNFOLLOW, ids[i], ids[0]);
    assert_false(get(f, &ka, "page-a"));
}

/* A table is sized by its budget, in 4-way sets: five keys of one set hold four
 * entries, and the fifth replaces the least recently used one (not the oldest
 * put, not a random one); a body beyond the budget is not kept. */
static void test_sets_replace_the_least_recently_used(void **state)
{
    fx *f = *state;
    const size_t budget = FW_RCACHE_MIN_BYTES;
    size_t nsets = 1;
    while (nsets * 4 * FW_RCACHE_SLOT_BYTES < budget)
        nsets *= 2;
    fw_rcache_configure(budget);
    fw_rcache_clear(); /* the next use makes a table of this size */
    fw_rcache_key k[5];
    char path[64];
    int n = 0;
    uint64_t set = 0;
    for (int i = 0; n < 5 && i < 100000; i++) {
        snprintf(path, sizeof path, "/2/users/%d/followers", i);
        key_for(&k[n], path);
        if (n == 0)
            set = k[0].hash & (nsets - 1);
        if ((k[n].hash & (nsets - 1)) == set)
            n++;
    }
    assert_int_equal(n, 5);
    char body[5][16];
    for (int i = 0; i < 4; i++) {
        snprintf(body[i], sizeof body[i], "b%d", i);
        put(f, &k[i], body[i], f->a, NULL, 0);
    }
    for (int i = 0; i < 4; i++)
        assert_true(get(f, &k[i], body[i])); /* one set holds four */
    assert_true(get(f, &k[0], body[0]));     /* 1 is now the least recently used */
    snprintf(body[4], sizeof body[4], "b4");
    put(f, &k[4], body[4], f->a, NULL, 0);
    assert_false(get(f, &k[1], body[1]));
    assert_true(get(f, &k[0], body[0]) && get(f, &k[2], body[2]) && get(f, &k[3], body[3]) &&
                get(f, &k[4], body[4]));
    /* the budget bounds what is kept */
    char *big = malloc(budget + 1);
    memset(big, 'x', budget);
    big[budget] = 0;
    fw_rcache_key kb;
    key_for(&kb, "/2/users/big/followers");
    put(f, &kb, big, f->a, NULL, 0);
    assert_false(get(f, &kb, big));
    free(big);
    fw_rcache_configure(FW_RCACHE_BYTES);
    fw_rcache_clear();
}

/* The default budget: 256 MB per thread on a big machine, all threads
 * together within 1/16 of a small one's memory, never below the minimum. */
static void test_default_budget_follows_the_memory(void **state)
{
    (void)state;
    const uint64_t G = (uint64_t)1 << 30;
    assert_int_equal(fw_rcache_default_bytes(24 * G, 2), FW_RCACHE_BYTES);
    assert_int_equal(fw_rcache_default_bytes(64 * G, 16), FW_RCACHE_BYTES);
    assert_int_equal(fw_rcache_default_bytes(4 * G, 2), (size_t)128 << 20);
    assert_int_equal(fw_rcache_default_bytes(1 * G, 4), (size_t)16 << 20);
    assert_int_equal(fw_rcache_default_bytes(64 << 20, 8), FW_RCACHE_MIN_BYTES);
    assert_int_equal(fw_rcache_default_bytes(0, 0), FW_RCACHE_MIN_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_follow_logs_exactly_its_two_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_profile_edit_is_a_wildcard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_follow_stales_only_pages_showing_its_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_page_without_counts_keeps_a_listed_users_follow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_wildcard_stales_every_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_writes_between_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sets_replace_the_least_recently_used, setup, teardown),
        cmocka_unit_test(test_default_budget_follows_the_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
