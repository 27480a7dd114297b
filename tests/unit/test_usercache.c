/* The user cache (src/store/lmdb_cards.c): a lean list page (default fields)
 * reads users from memory, and must still return exactly what the users
 * table holds: after a rename, a suspension, a delete, a profile edit by
 * another handle on the same database (another process's view), and with a
 * budget too small for every user. Each page is compared with a page of the
 * same list read with lean off (always from the table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/lmdb_internal.h"
#include "lmdb_fixture.h"

#define MAXN 64

typedef struct shown {
    int rc;
    uint32_t owner_flags;
    size_t n;
    uint64_t ids[MAXN];
    uint32_t flags[MAXN];
    char dj[MAXN][320];
    char name[MAXN][192];
    char username[MAXN][32];
} shown;

static void copy_str(char *dst, size_t cap, fw_str s)
{
    assert_true(s.len < cap);
    memcpy(dst, s.p, s.len);
    dst[s.len] = 0;
}

static void shown_cb(void *ctx, const fw_list_res *res)
{
    shown *p = ctx;
    p->rc = res->rc;
    p->owner_flags = res->rc ? 0 : res->owner->flags;
    p->n = res->rc ? 0 : res->n;
    assert_true(p->n <= MAXN);
    for (size_t i = 0; i < p->n; i++) {
        const fw_user *u = &res->users[i];
        p->ids[i] = u->id;
        p->flags[i] = u->flags;
        copy_str(p->dj[i], sizeof p->dj[i], u->default_json);
        copy_str(p->name[i], sizeof p->name[i], u->name);
        copy_str(p->username[i], sizeof p->username[i], u->username);
    }
}

static shown followers(fw_store *s, uint64_t owner, bool lean)
{
    shown p;
    memset(&p, 0, sizeof p);
    fw_list_q q = {.owner_id = owner, .kind = FW_LIST_FOLLOWERS, .dir = FW_PAGE_FIRST, .limit = MAXN};
    q.opts.lean = lean;
    fw_store_list(s, NULL, &q, shown_cb, &p);
    assert_int_equal(p.rc, FW_OK);
    return p;
}

/* The lean page, read twice (the second from the cards the first added),
 * equals the page read from the table. */
static void assert_same(fw_store *s, uint64_t owner, size_t want_n)
{
    shown full = followers(s, owner, false);
    assert_int_equal(full.n, want_n);
    for (int round = 0; round < 2; round++) {
        shown lean = followers(s, owner, true);
        assert_int_equal(lean.owner_flags, full.owner_flags);
        assert_int_equal(lean.n, full.n);
        for (size_t i = 0; i < full.n; i++) {
            assert_int_equal(lean.ids[i], full.ids[i]);
            assert_int_equal(lean.flags[i], full.flags[i]);
            assert_string_equal(lean.dj[i], full.dj[i]);
            assert_string_equal(lean.name[i], full.name[i]);
            assert_string_equal(lean.username[i], full.username[i]);
        }
    }
}

typedef lmdb_fx fx;

static fw_store *open_with(const char *dir, size_t cache, bool bulk, bool prefill)
{
    fw_store_opts o = {.path = dir, .map_size = 64u << 20, .user_cache = cache, .bulk = bulk,
                       .user_cache_prefill = prefill};
    fw_store *s = NULL;
    assert_int_equal(fw_store_open(&o, &s), FW_OK);
    return s;
}

static fw_store *open_at(const char *dir, size_t cache, bool bulk) { return open_with(dir, cache, bulk, false); }

static int setup(void **state)
{
    fx *f = lmdb_fx_new("fw_ucache");
    if (!f)
        return -1;
    f->s = open_at(f->dir, 8u << 20, false);
    *state = f;
    return 0;
}

#define teardown lmdb_fx_teardown

static uint64_t mk_user(fw_store *s, const char *username, const char *name)
{
    fw_user u = {.username = fw_str_c(username), .name = fw_str_c(name)};
    uint64_t id = 0;
    assert_int_equal(fw_store_user_create(s, &u, &id), FW_OK);
    return id;
}

static void follow(fw_store *s, uint64_t src, uint64_t dst)
{
    fw_write_res r;
    assert_int_equal(fw_store_write_sync(s, FW_W_FOLLOW, src, dst, &r), FW_OK);
}

/* Applies edit to user id's record and stores it. */
static void edit(fw_store *s, uint64_t id, void (*fn)(fw_user *u))
{
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(s, id, &r), FW_OK);
    fn(&r.u);
    assert_int_equal(fw_store_user_update(s, &r.u), FW_OK);
    fw_user_rec_free(&r);
}

static void rename_it(fw_user *u) { u->name = fw_str_c("Renamed Now"); }
static void new_username(fw_user *u) { u->username = fw_str_c("fresh_handle"); }
static void suspend(fw_user *u) { u->flags |= FW_USER_SUSPENDED; }
static void protect(fw_user *u) { u->flags |= FW_USER_PROTECTED; }
static void quoted(fw_user *u) { u->name = fw_str_c("say \"hi\" \\ \xc3\xa9"); }

static void test_changes_show_through_the_cache(void **state)
{
    fx *f = *state;
    fw_store *s = f->s;
    uint64_t owner = mk_user(s, "owner", "Owner");
    uint64_t fol[6];
    char un[16];
    for (int i = 0; i < 6; i++) {
        snprintf(un, sizeof un, "fol%d", i);
        fol[i] = mk_user(s, un, "Follower \xe2\x98\x83"); /* a non-ASCII name has a verbatim copy */
        follow(s, fol[i], owner);
    }
    assert_same(s, owner, 6);
    follow(s, owner, fol[0]); /* graph writes keep the cards; the page still matches */
    assert_same(s, owner, 6);
    edit(s, fol[1], rename_it);
    assert_same(s, owner, 6);
    assert_string_equal(followers(s, owner, true).name[4], "Renamed Now"); /* newest first: fol[1] is 5th */
    edit(s, fol[2], new_username);
    assert_same(s, owner, 6);
    edit(s, fol[3], protect);
    assert_same(s, owner, 6);
    edit(s, fol[4], quoted); /* escaped in default_json: read from the table each time */
    assert_same(s, owner, 6);
    edit(s, fol[5], suspend);
    assert_same(s, owner, 5);
    edit(s, owner, protect); /* the owner's card, read by every lean page, too */
    assert_same(s, owner, 5);
    assert_true(followers(s, owner, true).owner_flags & FW_USER_PROTECTED);
    assert_int_equal(fw_store_user_delete(s, fol[0]), FW_OK);
    assert_same(s, owner, 4);
}

/* Another handle on the same database stands for another process (the admin
 * CLI): its writes reach this handle's cards through the change log. */
static void test_another_handles_edit_shows(void **state)
{
    fx *f = *state;
    uint64_t owner = mk_user(f->s, "owner2", "Owner");
    uint64_t a = mk_user(f->s, "alpha", "Alpha");
    follow(f->s, a, owner);
    assert_same(f->s, owner, 1);
    fw_store *other = open_at(f->dir, 0, false);
    edit(other, a, rename_it);
    uint64_t b = mk_user(other, "beta", "Beta");
    follow(other, b, owner);
    fw_store_close(other);
    assert_same(f->s, owner, 2);
    assert_string_equal(followers(f->s, owner, true).name[1], "Renamed Now");
}

/* A 1 MiB budget holds only part of 8000 users' cards (about 200 bytes
 * each): the rest are read from the table, and every page is still right. */
static void test_a_spent_budget_falls_back(void **state)
{
    fx *f = *state;
    fw_store_close(f->s);
    f->s = open_at(f->dir, 1u << 20, true); /* bulk: no fsync per write while filling */
    char un[16], nm[160];
    uint64_t owners[125];
    for (int i = 0; i < 125; i++) {
        snprintf(un, sizeof un, "own%d", i);
        owners[i] = mk_user(f->s, un, "Owner");
    }
    for (int i = 0; i < 8000; i++) {
        snprintf(un, sizeof un, "u%d", i);
        int k = snprintf(nm, sizeof nm, "%d ", i);
        while (k + 3 < (int)sizeof nm - 10)
            k += snprintf(nm + k, sizeof nm - (size_t)k, "\xe2\x98\x83"); /* U+2603, three bytes */
        follow(f->s, mk_user(f->s, un, nm), owners[i % 125]);
    }
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 125; i++)
            assert_same(f->s, owners[i], 64);
}

typedef struct ids_page {
    int rc;
    size_t n;
    uint64_t ids[128], last_seq;
    bool more_older;
} ids_page;

static void ids_cb(void *ctx, const fw_list_res *res)
{
    ids_page *p = ctx;
    p->rc = res->rc;
    p->n = res->rc ? 0 : res->n;
    assert_true(p->n <= 128);
    for (size_t i = 0; i < p->n; i++)
        p->ids[i] = res->users[i].id;
    p->last_seq = p->n ? res->seqs[p->n - 1] : 0;
    p->more_older = res->more_older;
}

/* Pages of 100 (more than the 64 entries a read takes at a time, their cards
 * prefetched together) over a list with every seventh follower suspended
 * hold exactly the visible followers, newest first, in both modes. */
static void test_long_pages_skip_the_suspended(void **state)
{
    fx *f = *state;
    enum { N = 300 };
    char un[16];
    uint64_t owner = mk_user(f->s, "owner", "Owner"), ids[N], want[N];
    size_t nwant = 0;
    for (int i = 0; i < N; i++) {
        snprintf(un, sizeof un, "f%d", i);
        ids[i] = mk_user(f->s, un, "Follower");
        follow(f->s, ids[i], owner);
    }
    for (int i = N - 1; i >= 0; i--) {
        if (i % 7 == 3)
            edit(f->s, ids[i], suspend);
        else
            want[nwant++] = ids[i]; /* newest first */
    }
    for (int lean = 0; lean < 2; lean++) {
        for (int round = 0; round < 2; round++) { /* the second from the cards the first added */
            size_t at = 0;
            ids_page p = {0};
            fw_list_q q = {.owner_id = owner, .kind = FW_LIST_FOLLOWERS, .dir = FW_PAGE_FIRST, .limit = 100};
            q.opts.lean = lean;
            do {
                memset(&p, 0, sizeof p);
                fw_store_list(f->s, NULL, &q, ids_cb, &p);
                assert_int_equal(p.rc, FW_OK);
                assert_int_equal(p.n, nwant - at < 100 ? nwant - at : 100);
                for (size_t i = 0; i < p.n; i++)
                    assert_int_equal(p.ids[i], want[at + i]);
                at += p.n;
                q.dir = FW_PAGE_AFTER;
                q.cursor = p.last_seq;
            } while (p.more_older);
            assert_int_equal(at, nwant);
        }
    }
}

/* Waits for the prefill to end (at most ~60 s); the cards it added. */
static size_t prefilled(fw_store *s)
{
    size_t n = 0;
    for (int i = 0; i < 6000 && !fw_lmdb_cards_prefill_state(s, &n); i++)
        usleep(10000);
    assert_true(fw_lmdb_cards_prefill_state(s, &n));
    return n;
}

/* The prefill reads every user (several chunks' worth) into the cards before
 * any page asks; the pages it serves from them equal the table's; a rename
 * afterwards still shows; a spent budget ends it early; a close while it runs
 * stops it. */
static void test_prefill(void **state)
{
    fx *f = *state;
    fw_store_close(f->s);
    f->s = open_at(f->dir, 0, true);
    enum { N = 10000 };
    char un[16], nm[160];
    uint64_t owner = mk_user(f->s, "owner", "Owner"), ids[N];
    for (int i = 0; i < N; i++) {
        snprintf(un, sizeof un, "u%d", i);
        int k = snprintf(nm, sizeof nm, "User %d ", i);
        for (int j = 0; j < 30; j++) /* ~200 bytes a card: 10,000 do not fit in 1 MiB */
            k += snprintf(nm + k, sizeof nm - (size_t)k, "\xe2\x98\x83");
        ids[i] = mk_user(f->s, un, nm);
        if (i % 200 == 0)
            follow(f->s, ids[i], owner);
    }
    fw_store_close(f->s);

    f->s = open_with(f->dir, 8u << 20, false, true);
    assert_int_equal(prefilled(f->s), N + 1);
    assert_same(f->s, owner, N / 200);
    edit(f->s, ids[N - 200], rename_it);
    assert_same(f->s, owner, N / 200);
    assert_string_equal(followers(f->s, owner, true).name[0], "Renamed Now");
    fw_store_close(f->s);

    f->s = open_with(f->dir, 1u << 20, false, true); /* 56 KB of slots, then ~200 B a card */
    size_t n = prefilled(f->s);
    assert_true(n > 1000 && n < N);
    assert_same(f->s, owner, N / 200);
    fw_store_close(f->s);

    f->s = open_with(f->dir, 8u << 20, false, true);
    fw_store_close(f->s); /* joins the prefill wherever it is */
    f->s = open_at(f->dir, 0, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_changes_show_through_the_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_handles_edit_shows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_spent_budget_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_pages_skip_the_suspended, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
