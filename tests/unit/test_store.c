/* LMDB store: users, the follow graph (follow, requests, accept/decline,
 * counters), keyset paging under concurrent inserts, suspended users, delete,
 * unprotect, the invariant checker (one raw-LMDB corruption per invariant),
 * group commit through a fake executor, apps/credentials and tweet hydration.
 * Each test uses its own temp dir. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "core/secret.h"
#include <string.h>

#ifndef FW_TEST_PG
#include "store/lmdb_internal.h" /* raw LMDB access to corrupt a counter on purpose */
#endif
#include "store/store.h"
#include "lmdb_fixture.h"

#ifndef FW_TEST_PG /* LMDB only: tests/unit/test_store_pg.c has the PostgreSQL equivalents */
/* ---- fixture ------------------------------------------------------------ */

typedef lmdb_fx fx;

static void open_store(fx *f)
{
    fw_store_opts o = {.path = f->dir, .map_size = 64u << 20};
    assert_int_equal(fw_store_open(&o, &f->s), FW_OK);
}

static int setup(void **state)
{
    fx *f = lmdb_fx_new("fw_store");
    if (!f)
        return -1;
    open_store(f);
    *state = f;
    return 0;
}

#define teardown lmdb_fx_teardown

#endif /* !FW_TEST_PG */
static uint64_t mk_user(fw_store *s, const char *name, uint32_t flags)
{
    fw_user u = {.username = fw_str_c(name), .name = fw_str_c("Name"), .flags = flags};
    uint64_t id = 0;
    assert_int_equal(fw_store_user_create(s, &u, &id), FW_OK);
    assert_true(id != 0);
    return id;
}

static fw_write_res wr(fw_store *s, uint8_t kind, uint64_t a, uint64_t b)
{
    fw_write_res r;
    int rc = fw_store_write_sync(s, kind, a, b, &r);
    assert_int_equal(rc, r.rc); /* the return value is the op's result */
    return r;
}

static void assert_counts(fw_store *s, uint64_t id, uint64_t followers, uint64_t following)
{
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(s, id, &r), FW_OK);
    assert_int_equal(r.u.followers_count, followers);
    assert_int_equal(r.u.following_count, following);
    fw_user_rec_free(&r);
}

static void report_line(void *ctx, const char *line)
{
    (void)line;
    (*(int *)ctx)++;
}

static void assert_clean(fw_store *s)
{
    int lines = 0;
    assert_int_equal(fw_store_check(s, report_line, &lines), 0);
    assert_int_equal(lines, 0);
}

static void set_flags(fw_store *s, uint64_t id, uint32_t flags)
{
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(s, id, &r), FW_OK);
    r.u.flags = flags;
    assert_int_equal(fw_store_user_update(s, &r.u), FW_OK);
    fw_user_rec_free(&r);
}

/* A captured list page (copied out of the callback). */
typedef struct page {
    int rc;
    size_t n;
    uint64_t ids[64], seqs[64];
    fw_rels rels[64];
    bool older, newer;
    uint64_t owner;
    size_t ntweets;
    uint64_t tweets[8];
} page;

static void page_cb(void *ctx, const fw_list_res *res)
{
    page *p = ctx;
    p->rc = res->rc;
    p->n = res->n;
    if (res->rc)
        return;
    assert_true(res->n <= 64);
    p->owner = res->owner->id;
    for (size_t i = 0; i < res->n; i++) {
        p->ids[i] = res->users[i].id;
        p->seqs[i] = res->seqs[i];
        if (res->rels)
            p->rels[i] = res->rels[i];
    }
    p->older = res->more_older;
    p->newer = res->more_newer;
    p->ntweets = res->ntweets;
    for (size_t i = 0; i < res->ntweets && i < 8; i++)
        p->tweets[i] = res->tweets[i].id;
}

static page list(fw_store *s, uint64_t owner, uint8_t kind, uint8_t dir, uint64_t cursor, uint32_t limit)
{
    page p;
    memset(&p, 0, sizeof p);
    fw_list_q q = {.owner_id = owner, .kind = kind, .dir = dir, .cursor = cursor, .limit = limit};
    fw_store_list(s, NULL, &q, page_cb, &p);
    return p;
}

/* ---- users ---------------------------------------------------------------- */

typedef struct users_cap {
    int rc;
    size_t n;
    uint64_t ids[8];
    fw_rels rels[8];
    size_t ntweets;
    uint64_t tweets[8];
} users_cap;

static void users_cb(void *ctx, const fw_users_res *res)
{
    users_cap *c = ctx;
    c->rc = res->rc;
    c->n = res->n;
    for (size_t i = 0; i < res->n && i < 8; i++) {
        c->ids[i] = res->users[i] ? res->users[i]->id : 0;
        if (res->rels)
            c->rels[i] = res->rels[i];
    }
    c->ntweets = res->ntweets;
    for (size_t i = 0; i < res->ntweets && i < 8; i++)
        c->tweets[i] = res->tweets[i].id;
}

static int scan_count(void *ctx, const fw_user *u)
{
    uint64_t *last = ctx;
    assert_true(u->id > last[0]);
    last[0] = u->id;
    last[1]++;
    return 0;
}

static void test_users(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t a = mk_user(s, "Alice", 0), b = mk_user(s, "bob_1", FW_USER_VERIFIED);
    assert_true(b > a);
    fw_user dup = {.username = fw_str_c("ALICE")};
    assert_int_equal(fw_store_user_create(s, &dup, NULL), FW_EEXISTS);
    fw_user dupid = {.id = a, .username = fw_str_c("other")};
    assert_int_equal(fw_store_user_create(s, &dupid, NULL), FW_EEXISTS);
    const char *bad[] = {"", "sixteen_chars_xx", "no-dash", "sp ace", "é"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fw_user u = {.username = fw_str_c(bad[i])};
        assert_int_equal(fw_store_user_create(s, &u, NULL), FW_EINVAL);
    }
    fw_user_rec r;
    assert_int_equal(fw_store_user_get_by_name(s, fw_str_c("aLiCe"), &r), FW_OK);
    assert_int_equal(r.u.id, a);
    assert_true(fw_str_eq(r.u.username, "Alice"));
    assert_true(r.u.created_at_ms > 0);
    /* rename keeps the index unique and case-insensitive */
    fw_user_rec_set(&r, FW_UF_USERNAME, fw_str_c("bob_1"));
    assert_int_equal(fw_store_user_update(s, &r.u), FW_EEXISTS);
    fw_user_rec_set(&r, FW_UF_USERNAME, fw_str_c("Alicia"));
    fw_user_rec_set(&r, FW_UF_DESCRIPTION, fw_str_c("hello"));
    r.u.followers_count = 99; /* never taken from the caller */
    assert_int_equal(fw_store_user_update(s, &r.u), FW_OK);
    fw_user_rec_free(&r);
    assert_int_equal(fw_store_user_get_by_name(s, fw_str_c("alice"), &r), FW_ENOTFOUND);
    assert_int_equal(fw_store_user_get_by_name(s, fw_str_c("ALICIA"), &r), FW_OK);
    assert_true(fw_str_eq(r.u.description, "hello"));
    assert_int_equal(r.u.followers_count, 0);
    fw_user_rec_free(&r);
    assert_int_equal(fw_store_user_get(s, 12345, &r), FW_ENOTFOUND);

    users_cap c;
    uint64_t ids[] = {b, 777, a};
    fw_users_q q = {.n = 3, .ids = ids};
    fw_store_users(s, NULL, &q, users_cb, &c);
    assert_int_equal(c.rc, FW_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.ids[0], b);
    assert_int_equal(c.ids[1], 0);
    assert_int_equal(c.ids[2], a);
    fw_str names[] = {fw_str_c("BOB_1"), fw_str_c("nobody"), fw_str_c("bad-name")};
    fw_users_q qn = {.n = 3, .usernames = names};
    fw_store_users(s, NULL, &qn, users_cb, &c);
    assert_int_equal(c.ids[0], b);
    assert_int_equal(c.ids[1], 0);
    assert_int_equal(c.ids[2], 0);
    fw_users_q q0 = {.n = 0, .ids = ids};
    fw_store_users(s, NULL, &q0, users_cb, &c);
    assert_int_equal(c.rc, FW_EINVAL);

    uint64_t sc[2] = {0, 0};
    assert_int_equal(fw_store_user_scan(s, 0, 0, scan_count, sc), FW_OK);
    assert_int_equal(sc[1], 2);
    sc[0] = a, sc[1] = 0;
    assert_int_equal(fw_store_user_scan(s, a, 10, scan_count, sc), FW_OK);
    assert_int_equal(sc[1], 1);
    assert_clean(s);
}

/* ---- follow graph ----------------------------------------------------------- */

static void test_follow_unfollow(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t a = mk_user(s, "a", 0), b = mk_user(s, "b", 0), x = mk_user(s, "x", FW_USER_SUSPENDED);
    fw_write_res r = wr(s, FW_W_FOLLOW, a, b);
    assert_int_equal(r.rc, FW_OK);
    assert_int_equal(r.rel, FW_REL_FOLLOWING);
    assert_true(r.changed);
    r = wr(s, FW_W_FOLLOW, a, b);
    assert_int_equal(r.rc, FW_OK);
    assert_int_equal(r.rel, FW_REL_FOLLOWING);
    assert_false(r.changed);
    assert_int_equal(wr(s, FW_W_FOLLOW, a, a).rc, FW_EINVAL);
    assert_int_equal(wr(s, FW_W_FOLLOW, 999, b).rc, FW_ENOTFOUND);
    assert_int_equal(wr(s, FW_W_FOLLOW, a, 999).rc, FW_ETARGET);
    assert_int_equal(wr(s, FW_W_FOLLOW, a, x).rc, FW_ESUSPENDED);
    assert_counts(s, a, 0, 1);
    assert_counts(s, b, 1, 0);
    assert_int_equal(wr(s, FW_W_FOLLOW, b, a).rel, FW_REL_FOLLOWING);
    assert_counts(s, a, 1, 1);

    /* rels as seen by viewer a */
    users_cap c;
    uint64_t ids[] = {b, a};
    fw_users_q q = {.opts = {.viewer_id = a, .want_rels = true}, .n = 2, .ids = ids};
    fw_store_users(s, NULL, &q, users_cb, &c);
    assert_int_equal(c.rels[0].out, FW_REL_FOLLOWING);
    assert_int_equal(c.rels[0].in, FW_REL_FOLLOWING);
    assert_int_equal(c.rels[1].out, FW_REL_NONE); /* self */

    r = wr(s, FW_W_UNFOLLOW, a, b);
    assert_true(r.changed);
    assert_int_equal(r.rel, FW_REL_NONE);
    r = wr(s, FW_W_UNFOLLOW, a, b);
    assert_int_equal(r.rc, FW_OK);
    assert_false(r.changed);
    assert_counts(s, a, 1, 0);
    assert_counts(s, b, 0, 1);
    page p = list(s, b, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(p.n, 0);
    p = list(s, a, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.ids[0], b);
    assert_int_equal(list(s, 4242, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10).rc, FW_ENOTFOUND);
    assert_int_equal(list(s, a, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 0).rc, FW_EINVAL);
    assert_clean(s);
}

static void test_requests(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t p = mk_user(s, "priv", FW_USER_PROTECTED), a = mk_user(s, "a", 0), b = mk_user(s, "b", 0),
             c = mk_user(s, "c", 0);
    fw_write_res r = wr(s, FW_W_FOLLOW, a, p);
    assert_int_equal(r.rel, FW_REL_PENDING);
    assert_true(r.changed);
    r = wr(s, FW_W_FOLLOW, a, p);
    assert_int_equal(r.rel, FW_REL_PENDING);
    assert_false(r.changed);
    assert_int_equal(wr(s, FW_W_FOLLOW, b, p).rel, FW_REL_PENDING);
    assert_int_equal(wr(s, FW_W_FOLLOW, c, p).rel, FW_REL_PENDING);
    assert_counts(s, p, 0, 0);
    page pg = list(s, p, FW_LIST_INCOMING, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(pg.n, 3);
    assert_int_equal(pg.ids[0], c); /* newest first */
    assert_int_equal(pg.ids[2], a);
    pg = list(s, a, FW_LIST_OUTGOING, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(pg.n, 1);
    assert_int_equal(pg.ids[0], p);

    /* withdraw */
    r = wr(s, FW_W_UNFOLLOW, c, p);
    assert_true(r.changed);
    assert_int_equal(r.rel, FW_REL_NONE);
    /* accept */
    r = wr(s, FW_W_ACCEPT, p, a);
    assert_int_equal(r.rc, FW_OK);
    assert_true(r.changed);
    assert_int_equal(r.rel, FW_REL_FOLLOWING);
    assert_counts(s, p, 1, 0);
    assert_counts(s, a, 0, 1);
    /* accepting again: no request, reports the current relationship */
    r = wr(s, FW_W_ACCEPT, p, a);
    assert_int_equal(r.rc, FW_OK);
    assert_false(r.changed);
    assert_int_equal(r.rel, FW_REL_FOLLOWING);
    r = wr(s, FW_W_ACCEPT, p, c);
    assert_int_equal(r.rc, FW_OK);
    assert_false(r.changed);
    assert_int_equal(r.rel, FW_REL_NONE);
    /* decline */
    r = wr(s, FW_W_DECLINE, p, b);
    assert_true(r.changed);
    assert_int_equal(r.rel, FW_REL_NONE);
    assert_false(wr(s, FW_W_DECLINE, p, b).changed);
    assert_int_equal(list(s, p, FW_LIST_INCOMING, FW_PAGE_FIRST, 0, 10).n, 0);
    assert_int_equal(list(s, b, FW_LIST_OUTGOING, FW_PAGE_FIRST, 0, 10).n, 0);
    pg = list(s, p, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(pg.n, 1);
    assert_int_equal(pg.ids[0], a);
    assert_clean(s);
}

/* ---- paging ------------------------------------------------------------------ */

static void test_paging_concurrent_inserts(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t owner = mk_user(s, "owner", 0), f[40];
    char name[16];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "f%d", i);
        f[i] = mk_user(s, name, 0);
    }
    for (int i = 0; i < 25; i++)
        assert_true(wr(s, FW_W_FOLLOW, f[i], owner).changed);
    /* walk older in pages of 10 while new followers arrive between pages */
    uint64_t seen[40];
    size_t nseen = 0;
    page p = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_false(p.newer);
    for (int extra = 25;; extra++) {
        for (size_t i = 0; i < p.n; i++)
            seen[nseen++] = p.ids[i];
        if (!p.older)
            break;
        assert_true(wr(s, FW_W_FOLLOW, f[extra], owner).changed);
        p = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_AFTER, p.seqs[p.n - 1], 10);
        assert_true(p.newer);
    }
    assert_int_equal(nseen, 25);
    for (int i = 0; i < 25; i++)
        assert_int_equal(seen[i], f[24 - i]);

    /* walk newer with BEFORE: pages come back newest first */
    p = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 40);
    size_t total = p.n; /* 25 + the followers added during the walk */
    assert_int_equal(total, 27);
    uint64_t oldest_seq = p.seqs[total - 1];
    page b = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_BEFORE, oldest_seq, 5);
    assert_int_equal(b.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(b.ids[i], p.ids[total - 6 + i]);
    assert_true(b.older);
    assert_true(b.newer);
    b = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_BEFORE, p.seqs[3], 5);
    assert_int_equal(b.n, 3);
    assert_int_equal(b.ids[0], p.ids[0]);
    assert_false(b.newer);
    assert_true(b.older);
    /* exact flags at both ends */
    page last = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_AFTER, p.seqs[total - 3], 2);
    assert_int_equal(last.n, 2);
    assert_false(last.older);
    assert_true(last.newer);
    page none = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_AFTER, p.seqs[total - 1], 2);
    assert_int_equal(none.n, 0);
    assert_false(none.older);
    assert_true(none.newer);
    /* following list of a follower, and the reverse kind */
    page fl = list(s, f[3], FW_LIST_FOLLOWING, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(fl.n, 1);
    assert_int_equal(fl.ids[0], owner);
    assert_clean(s);
}

static void test_suspended_skipped(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t owner = mk_user(s, "owner", 0), f[6];
    char name[16];
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "f%d", i);
        f[i] = mk_user(s, name, 0);
        wr(s, FW_W_FOLLOW, f[i], owner);
    }
    /* list newest first: f5 f4 f3 f2 f1 f0; suspend f4, f1 and f0 */
    set_flags(s, f[4], FW_USER_SUSPENDED);
    set_flags(s, f[1], FW_USER_SUSPENDED);
    set_flags(s, f[0], FW_USER_SUSPENDED);
    page p = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 2);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.ids[0], f[5]);
    assert_int_equal(p.ids[1], f[3]);
    assert_true(p.older); /* f2 */
    p = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_AFTER, p.seqs[1], 2);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.ids[0], f[2]);
    assert_false(p.older); /* only suspended users remain */
    assert_true(p.newer);
    p = list(s, owner, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 3);
    assert_int_equal(p.n, 3);
    assert_false(p.older);
    /* counts are the stored graph, suspended or not */
    assert_counts(s, owner, 6, 0);
    /* users lookup still returns suspended users */
    users_cap c;
    fw_users_q q = {.n = 1, .ids = &f[4]};
    fw_store_users(s, NULL, &q, users_cb, &c);
    assert_int_equal(c.ids[0], f[4]);
    assert_clean(s);
}

/* ---- delete, unprotect, check ------------------------------------------------- */

static void test_delete_user(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t d = mk_user(s, "doomed", 0), a = mk_user(s, "a", 0), b = mk_user(s, "b", 0),
             p = mk_user(s, "p", FW_USER_PROTECTED);
    wr(s, FW_W_FOLLOW, a, d);
    wr(s, FW_W_FOLLOW, b, d);
    wr(s, FW_W_FOLLOW, d, a);
    wr(s, FW_W_FOLLOW, d, p); /* pending */
    set_flags(s, d, FW_USER_PROTECTED);
    wr(s, FW_W_FOLLOW, p, d); /* pending, incoming to d */
    wr(s, FW_W_FOLLOW, a, b);
    assert_counts(s, a, 1, 2);
    assert_clean(s);
    assert_int_equal(fw_store_user_delete(s, d), FW_OK);
    assert_int_equal(fw_store_user_delete(s, d), FW_ENOTFOUND);
    assert_counts(s, a, 0, 1);
    assert_counts(s, b, 1, 0);
    assert_int_equal(list(s, p, FW_LIST_INCOMING, FW_PAGE_FIRST, 0, 10).n, 0);
    assert_int_equal(list(s, p, FW_LIST_OUTGOING, FW_PAGE_FIRST, 0, 10).n, 0);
    fw_user_rec r;
    assert_int_equal(fw_store_user_get_by_name(s, fw_str_c("doomed"), &r), FW_ENOTFOUND);
    assert_clean(s);
    /* the name is free again */
    mk_user(s, "Doomed", 0);
}

static void test_unprotect_accepts_pending(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t p = mk_user(s, "p", FW_USER_PROTECTED), a = mk_user(s, "a", 0), b = mk_user(s, "b", 0);
    wr(s, FW_W_FOLLOW, a, p);
    wr(s, FW_W_FOLLOW, b, p);
    set_flags(s, p, 0);
    assert_counts(s, p, 2, 0);
    assert_counts(s, a, 0, 1);
    page pg = list(s, p, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(pg.n, 2);
    assert_int_equal(pg.ids[0], b); /* request order kept: newest request is newest follower */
    assert_int_equal(list(s, p, FW_LIST_INCOMING, FW_PAGE_FIRST, 0, 10).n, 0);
    assert_int_equal(list(s, a, FW_LIST_OUTGOING, FW_PAGE_FIRST, 0, 10).n, 0);
    assert_clean(s);
}

#ifndef FW_TEST_PG /* LMDB only: tests/unit/test_store_pg.c has the PostgreSQL equivalents */
static void test_check_detects_bad_counter(void **state)
{
    fx *f = *state;
    uint64_t a = mk_user(f->s, "a", 0), b = mk_user(f->s, "b", 0);
    wr(f->s, FW_W_FOLLOW, a, b);
    assert_clean(f->s);
    fw_store_close(f->s);
    f->s = NULL;

    /* Corrupt b's followers_count with raw LMDB. */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, 64u << 20);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "uid", 0, &dbi), 0);
    uint8_t k[8];
    be64_put(k, b);
    MDB_val key = {8, k}, v;
    assert_int_equal(mdb_get(txn, dbi, &key, &v), 0);
    uint32_t ord = be32_get(v.mv_data);
    assert_int_equal(mdb_dbi_open(txn, "urec", MDB_INTEGERKEY, &dbi), 0);
    key = fw_lmdb_ord_key(&ord);
    assert_int_equal(mdb_get(txn, dbi, &key, &v), 0);
    fw_lmdb_counts c;
    assert_int_equal(fw_lmdb_user_counts(v.mv_data, v.mv_size, &c), FW_OK);
    c.followers = 5;
    uint8_t *copy = malloc(v.mv_size + USER_RECOUNT_GROW);
    MDB_val nv = {fw_lmdb_user_recount(v.mv_data, v.mv_size, &c, copy), copy};
    assert_true(nv.mv_size > 0);
    assert_int_equal(mdb_put(txn, dbi, &key, &nv, 0), 0);
    free(copy);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    open_store(f);
    int lines = 0;
    assert_int_equal(fw_store_check(f->s, report_line, &lines), 1);
    assert_int_equal(lines, 1);
}

#endif /* !FW_TEST_PG */
/* ---- group commit ------------------------------------------------------------- */

/* A fake event loop: post() queues the task, one loop thread runs them. */
typedef struct fake_loop {
    fw_exec exec;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fw_task *head, *tail;
    bool stop;
    pthread_t thread;
    size_t done, ok, changed;
    bool wrong_thread;
} fake_loop;

static void fake_post(fw_exec *e, fw_task *t)
{
    fake_loop *l = (fake_loop *)e;
    pthread_mutex_lock(&l->mu);
    t->next = NULL;
    if (l->tail)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void *loop_main(void *arg)
{
    fake_loop *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stop || l->head) {
        if (!l->head) {
            pthread_cond_wait(&l->cv, &l->mu);
            continue;
        }
        fw_task *t = l->head;
        l->head = t->next;
        if (!l->head)
            l->tail = NULL;
        pthread_mutex_unlock(&l->mu);
        t->run(t);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static void gc_cb(void *ctx, const fw_write_res *res)
{
    fake_loop *l = ctx;
    if (!pthread_equal(pthread_self(), l->thread))
        l->wrong_thread = true;
    pthread_mutex_lock(&l->mu);
    l->done++;
    l->ok += res->rc == FW_OK;
    l->changed += res->changed;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

#define GC_THREADS 4
#define GC_USERS 60

typedef struct submitter {
    fw_store *s;
    fake_loop *loop;
    const uint64_t *ids;
    int t;
} submitter;

static void *submit_main(void *arg)
{
    submitter *sb = arg;
    /* thread t makes every user follow the users j with j % GC_THREADS == t */
    for (int i = 0; i < GC_USERS; i++)
        for (int j = sb->t; j < GC_USERS; j += GC_THREADS)
            if (i != j)
                fw_store_write(sb->s, &sb->loop->exec, FW_W_FOLLOW, sb->ids[i], sb->ids[j], gc_cb, sb->loop);
    return NULL;
}

static void loop_wait(fake_loop *l, size_t n)
{
    pthread_mutex_lock(&l->mu);
    while (l->done < n)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
}

static void loop_start(fake_loop *l)
{
    memset(l, 0, sizeof *l);
    l->exec.post = fake_post;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    assert_int_equal(pthread_create(&l->thread, NULL, loop_main, l), 0);
}

static void loop_stop(fake_loop *l)
{
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
}

static void test_group_commit(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t ids[GC_USERS];
    char name[16];
    for (int i = 0; i < GC_USERS; i++) {
        snprintf(name, sizeof name, "u%d", i);
        ids[i] = mk_user(s, name, 0);
    }
    fake_loop l;
    loop_start(&l);
    pthread_t th[GC_THREADS];
    submitter sb[GC_THREADS];
    for (int t = 0; t < GC_THREADS; t++) {
        sb[t] = (submitter){s, &l, ids, t};
        assert_int_equal(pthread_create(&th[t], NULL, submit_main, &sb[t]), 0);
    }
    for (int t = 0; t < GC_THREADS; t++)
        pthread_join(th[t], NULL);
    size_t want = GC_USERS * (GC_USERS - 1);
    loop_wait(&l, want);
    /* a second round is all no-ops */
    for (int t = 0; t < GC_THREADS; t++)
        submit_main(&sb[t]);
    loop_wait(&l, 2 * want);
    loop_stop(&l);
    assert_false(l.wrong_thread);
    assert_int_equal(l.ok, 2 * want);
    assert_int_equal(l.changed, want);
    for (int i = 0; i < GC_USERS; i++)
        assert_counts(s, ids[i], GC_USERS - 1, GC_USERS - 1);
    assert_clean(s);
}

/* Closing finishes queued writes and their completions still run afterwards. */
static void test_close_drains_queue(void **state)
{
    fx *f = *state;
    uint64_t a = mk_user(f->s, "a", 0), b = mk_user(f->s, "b", 0);
    fake_loop l;
    loop_start(&l);
    fw_store_write(f->s, &l.exec, FW_W_FOLLOW, a, b, gc_cb, &l);
    fw_store_write(f->s, &l.exec, FW_W_FOLLOW, b, a, gc_cb, &l);
    fw_store_close(f->s);
    loop_wait(&l, 2);
    loop_stop(&l);
    assert_int_equal(l.changed, 2);
    open_store(f);
    assert_counts(f->s, a, 1, 1);
}

#ifndef FW_TEST_PG /* LMDB only: tests/unit/test_store_pg.c has the PostgreSQL equivalents */
/* A failing commit fails every op of its batch and applies none of them:
 * fill a tiny map with follows until commits hit MDB_MAP_FULL. */
static void full_cb(void *ctx, const fw_write_res *res)
{
    fake_loop *l = ctx;
    pthread_mutex_lock(&l->mu);
    l->done++;
    if (res->rc == FW_OK)
        l->ok++;
    else if (res->rc == FW_EFULL && !res->changed)
        l->changed++; /* counts clean failures */
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void test_map_full(void **state)
{
    fx *f = *state;
    fw_store_close(f->s);
    lmdb_rm_dir(f->dir);
    fw_store_opts o = {.path = f->dir, .map_size = 512u << 10};
    assert_int_equal(fw_store_open(&o, &f->s), FW_OK);
    enum { N = 200 };
    uint64_t ids[N];
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "u%d", i);
        ids[i] = mk_user(f->s, name, 0);
    }
    fake_loop l;
    loop_start(&l);
    size_t sent = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            if (i != j) {
                fw_store_write(f->s, &l.exec, FW_W_FOLLOW, ids[i], ids[j], full_cb, &l);
                sent++;
            }
    loop_wait(&l, sent);
    loop_stop(&l);
    assert_int_equal(l.ok + l.changed, sent);
    assert_true(l.changed > 0);
    assert_true(l.ok > 0);
    assert_clean(f->s);
    /* admin writes report the same condition */
    char big[60000];
    memset(big, 'x', sizeof big);
    int rc = FW_OK;
    for (int i = 0; i < 20 && rc == FW_OK; i++) {
        snprintf(name, sizeof name, "big%d", i);
        fw_user u = {.username = fw_str_c(name), .description = {big, sizeof big}};
        rc = fw_store_user_create(f->s, &u, NULL);
    }
    assert_int_equal(rc, FW_EFULL);
    assert_clean(f->s);
}

#endif /* !FW_TEST_PG */
/* ---- apps, credentials ------------------------------------------------------- */

typedef struct auth_cap {
    int rc;
    uint64_t app_id, user_id;
    uint8_t level;
    bool has_cred, revoked;
    char secret[32];
} auth_cap;

static void auth_cb(void *ctx, const fw_auth_res *res)
{
    auth_cap *c = ctx;
    memset(c, 0, sizeof *c);
    c->rc = res->rc;
    if (res->rc)
        return;
    c->app_id = res->app->id;
    c->level = res->app->access_level;
    c->user_id = res->user ? res->user->id : 0;
    c->has_cred = res->cred != NULL;
    if (res->cred) {
        c->revoked = res->cred->revoked;
        snprintf(c->secret, sizeof c->secret, "%.*s", (int)res->cred->secret.len, res->cred->secret.p);
    }
}

static int app_count(void *ctx, const fw_app *a)
{
    (*(int *)ctx)++;
    return a->id == 0;
}

static void test_apps_and_auth(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t u = mk_user(s, "u", 0), proj;
    assert_int_equal(fw_store_project_create(s, fw_str_c("proj"), FW_ACCESS_BASIC, &proj), FW_OK);
    fw_app_rec app, app2;
    assert_int_equal(fw_store_app_create(s, fw_str_c("app"), proj, FW_CLIENT_CONFIDENTIAL,
                                         fw_str_c("http://localhost/cb"), &app), FW_OK);
    assert_int_equal(app.a.consumer_key.len, 25);
    assert_int_equal(app.a.consumer_secret.len, 50);
    assert_int_equal(app.a.client_id.len, 34);
    assert_int_equal(app.a.client_secret.len, 50);
    assert_int_equal(app.a.access_level, FW_ACCESS_BASIC);
    assert_int_equal(fw_store_app_create(s, fw_str_c("solo"), 0, FW_CLIENT_PUBLIC, FW_STR_NULL, &app2), FW_OK);
    assert_int_equal(app2.a.access_level, FW_ACCESS_NONE);
    assert_int_equal(app2.a.client_secret.len, 0);
    fw_app_rec bad;
    assert_int_equal(fw_store_app_create(s, fw_str_c("x"), 424242, 0, FW_STR_NULL, &bad), FW_ENOTFOUND);

    uint8_t h[32];
    fw_sha256("token", 5, h);
    fw_cred bearer = {.kind = FW_CRED_OAUTH2_USER, .app_id = app.a.id, .user_id = u, .scopes = 7};
    assert_int_equal(fw_store_cred_put(s, h, FW_STR_NULL, &bearer), FW_OK);
    fw_cred o1 = {.kind = FW_CRED_OAUTH1_USER, .app_id = app.a.id, .user_id = u, .secret = fw_str_c("tsecret")};
    assert_int_equal(fw_store_cred_put(s, NULL, fw_str_c("123-tok"), &o1), FW_OK);
    fw_cred orphan = {.kind = FW_CRED_APP_BEARER, .app_id = 99};
    assert_int_equal(fw_store_cred_put(s, h, FW_STR_NULL, &orphan), FW_ENOTFOUND);

    auth_cap c;
    fw_auth_q q = {.by = FW_AUTH_BY_HASH};
    memcpy(q.hash, h, 32);
    fw_store_auth(s, NULL, &q, auth_cb, &c);
    assert_int_equal(c.rc, FW_OK);
    assert_int_equal(c.app_id, app.a.id);
    assert_int_equal(c.user_id, u);
    assert_int_equal(c.level, FW_ACCESS_BASIC);
    q.hash[0] ^= 1;
    fw_store_auth(s, NULL, &q, auth_cb, &c);
    assert_int_equal(c.rc, FW_ENOTFOUND);

    fw_auth_q q1 = {.by = FW_AUTH_BY_OAUTH1, .token = fw_str_c("123-tok"), .consumer_key = app.a.consumer_key};
    fw_store_auth(s, NULL, &q1, auth_cb, &c);
    assert_int_equal(c.rc, FW_OK);
    assert_string_equal(c.secret, "tsecret");
    q1.consumer_key = app2.a.consumer_key;
    fw_store_auth(s, NULL, &q1, auth_cb, &c);
    assert_int_equal(c.rc, FW_ENOTFOUND);

    fw_auth_q qk = {.by = FW_AUTH_BY_CONSUMER_KEY, .consumer_key = app2.a.consumer_key};
    fw_store_auth(s, NULL, &qk, auth_cb, &c);
    assert_int_equal(c.rc, FW_OK);
    assert_int_equal(c.app_id, app2.a.id);
    assert_false(c.has_cred);
    fw_auth_q qc = {.by = FW_AUTH_BY_CLIENT_ID, .consumer_key = app.a.client_id};
    fw_store_auth(s, NULL, &qc, auth_cb, &c);
    assert_int_equal(c.app_id, app.a.id);

    bool was_live = false;
    assert_int_equal(fw_store_cred_revoke(s, h, FW_STR_NULL, &was_live), FW_OK);
    assert_true(was_live);
    /* A second revoke finds it revoked already: only the first one "wins". */
    assert_int_equal(fw_store_cred_revoke(s, h, FW_STR_NULL, &was_live), FW_OK);
    assert_false(was_live);
    fw_store_auth(s, NULL, &q, auth_cb, &c); /* q.hash still altered */
    assert_int_equal(c.rc, FW_ENOTFOUND);
    memcpy(q.hash, h, 32);
    fw_store_auth(s, NULL, &q, auth_cb, &c);
    assert_true(c.revoked);

    assert_int_equal(fw_store_project_set_level(s, proj, FW_ACCESS_PRO), FW_OK);
    assert_int_equal(fw_store_app_set_bearer_gen(s, app.a.id, 3), FW_OK);
    fw_app_rec got;
    assert_int_equal(fw_store_app_get(s, app.a.id, &got), FW_OK);
    assert_int_equal(got.a.bearer_gen, 3);
    assert_int_equal(got.a.access_level, FW_ACCESS_PRO);
    assert_true(fw_str_eq(got.a.redirect_uris, "http://localhost/cb"));
    assert_true(got.a.consumer_secret.len == 50 && memcmp(got.a.consumer_secret.p, app.a.consumer_secret.p, 50) == 0);
    int n = 0;
    assert_int_equal(fw_store_app_scan(s, app_count, &n), FW_OK);
    assert_int_equal(n, 2);
    /* a deleted user's tokens stop working */
    assert_int_equal(fw_store_user_delete(s, u), FW_OK);
    fw_store_auth(s, NULL, &q, auth_cb, &c);
    assert_int_equal(c.rc, FW_ENOTFOUND);
    fw_app_rec_free(&got);
    fw_app_rec_free(&app);
    fw_app_rec_free(&app2);
}

/* ---- tweets, bulk, secret ------------------------------------------------------ */

static void test_tweets_hydration(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t a = mk_user(s, "a", 0), b = mk_user(s, "b", 0), t1, t2, t3;
    fw_tweet t = {.author_id = a, .text = fw_str_c("one")};
    assert_int_equal(fw_store_tweet_add(s, &t, &t1), FW_OK);
    t.text = fw_str_c("two");
    assert_int_equal(fw_store_tweet_add(s, &t, &t2), FW_OK);
    t.author_id = b;
    assert_int_equal(fw_store_tweet_add(s, &t, &t3), FW_OK);
    t.author_id = 5;
    assert_int_equal(fw_store_tweet_add(s, &t, NULL), FW_ENOTFOUND);
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(s, a, &r), FW_OK);
    assert_int_equal(r.u.most_recent_tweet_id, t2);
    assert_int_equal(r.u.tweet_count, 2);
    r.u.pinned_tweet_id = t1;
    assert_int_equal(fw_store_user_update(s, &r.u), FW_OK);
    fw_user_rec_free(&r);
    assert_int_equal(fw_store_user_get(s, b, &r), FW_OK);
    r.u.pinned_tweet_id = t3; /* same as its most recent: deduplicated */
    assert_int_equal(fw_store_user_update(s, &r.u), FW_OK);
    fw_user_rec_free(&r);

    users_cap c;
    uint64_t ids[] = {b, a, b};
    fw_users_q q = {.opts = {.tweets = FW_TW_PINNED | FW_TW_MOST_RECENT}, .n = 3, .ids = ids};
    fw_store_users(s, NULL, &q, users_cb, &c);
    assert_int_equal(c.ntweets, 3);
    assert_int_equal(c.tweets[0], t3);
    assert_int_equal(c.tweets[1], t1);
    assert_int_equal(c.tweets[2], t2);
    q.opts.tweets = FW_TW_PINNED;
    fw_store_users(s, NULL, &q, users_cb, &c);
    assert_int_equal(c.ntweets, 2);
    wr(s, FW_W_FOLLOW, a, b);
    fw_list_q lq = {.opts = {.tweets = FW_TW_MOST_RECENT, .viewer_id = b, .want_rels = true}, .owner_id = b,
                    .kind = FW_LIST_FOLLOWERS, .limit = 5};
    page p;
    fw_store_list(s, NULL, &lq, page_cb, &p);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.ntweets, 1);
    assert_int_equal(p.tweets[0], t2);
    assert_int_equal(p.rels[0].in, FW_REL_FOLLOWING);
    assert_int_equal(p.rels[0].out, FW_REL_NONE);
}

static void test_follow_bulk_and_secret(void **state)
{
    fx *f = *state;
    fw_store *s = f->s;
    uint64_t ids[50];
    char name[16];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "u%d", i);
        ids[i] = mk_user(s, name, i == 7 ? FW_USER_PROTECTED : 0);
    }
    uint64_t pairs[2 * 49 * 2];
    size_t n = 0;
    for (int i = 1; i < 50; i++) {
        pairs[2 * n] = ids[i], pairs[2 * n + 1] = ids[0], n++;
        pairs[2 * n] = ids[0], pairs[2 * n + 1] = ids[i], n++;
    }
    assert_int_equal(fw_store_follow_bulk(s, pairs, n), FW_OK);
    assert_counts(s, ids[0], 49, 48); /* u7 is protected: a pending request */
    page p = list(s, ids[0], FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 3);
    assert_int_equal(p.ids[0], ids[49]); /* array order = edge order */
    assert_int_equal(list(s, ids[7], FW_LIST_INCOMING, FW_PAGE_FIRST, 0, 3).n, 1);
    uint64_t self[2] = {ids[1], ids[1]};
    assert_int_equal(fw_store_follow_bulk(s, self, 1), FW_EINVAL);
    assert_clean(s);

    uint8_t sec[32];
    memcpy(sec, fw_store_secret(s), 32);
    fw_store_close(f->s);
    open_store(f);
    assert_memory_equal(sec, fw_store_secret(f->s), 32);
    /* read-only open shares the database */
    fw_store *ro;
    fw_store_opts o = {.path = f->dir, .map_size = 64u << 20, .read_only = true};
    fw_store_close(f->s);
    f->s = NULL;
    assert_int_equal(fw_store_open(&o, &ro), FW_OK);
    assert_memory_equal(sec, fw_store_secret(ro), 32);
    assert_int_equal(wr(ro, FW_W_FOLLOW, ids[3], ids[4]).rc, FW_EIO);
    assert_int_equal(list(ro, ids[0], FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 100).n, 49);
    fw_store_close(ro);
    open_store(f);
}

#ifndef FW_TEST_PG /* LMDB only: tests/unit/test_store_pg.c has the PostgreSQL equivalents */
/* ---- check: one raw corruption per invariant ------------------------------------
 * Each test builds a healthy graph, breaks exactly one thing with raw LMDB through
 * the store's own environment, and asserts that check names that problem. */

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

/* check reports problems, one line each, and one of them contains needle. */
static void expect_problem(fw_store *s, const char *needle)
{
    lines l = {0};
    int rc = fw_store_check(s, collect_line, &l);
    assert_true(rc > 0);
    assert_int_equal(rc, l.n);
    if (!strstr(l.buf, needle))
        fail_msg("check did not report '%s'; it reported:\n%s", needle, l.buf);
}

static MDB_txn *raw_begin(fw_store *s)
{
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
    return txn;
}

static void raw_commit(MDB_txn *txn) { assert_int_equal(mdb_txn_commit(txn), 0); }

static uint32_t raw_ord(MDB_txn *txn, fw_store *s, uint64_t id)
{
    uint32_t o = 0;
    assert_int_equal(fw_lmdb_user_ord(txn, s, id, &o), FW_OK);
    return o;
}

/* Puts or deletes one list entry (owner -> (seq, other)) in db. */
static void raw_edge(MDB_txn *txn, fw_store *s, int db, uint64_t owner, uint64_t seq, uint64_t other, bool put)
{
    uint8_t k[4], d[ADJ_ENT];
    be32_put(k, raw_ord(txn, s, owner));
    adj_list_enc(d, seq, raw_ord(txn, s, other));
    MDB_val key = {4, k}, val = {ADJ_ENT, d};
    assert_int_equal(put ? mdb_put(txn, s->dbi[db], &key, &val, 0) : mdb_del(txn, s->dbi[db], &key, &val), 0);
}

/* Sets the index entry src -> dst to state/seq; state 0 deletes it. */
static void raw_rel(MDB_txn *txn, fw_store *s, uint64_t src, uint64_t dst, uint8_t state, uint64_t seq)
{
    assert_int_equal(fw_lmdb_idx_set(txn, s, raw_ord(txn, s, src), raw_ord(txn, s, dst), state, seq), FW_OK);
}

/* Puts the index entry src -> dst raw (seq 0 is malformed). */
static void raw_idx(MDB_txn *txn, fw_store *s, uint64_t src, uint64_t dst, uint64_t seq)
{
    assert_int_equal(fw_lmdb_idx_set(txn, s, raw_ord(txn, s, src), raw_ord(txn, s, dst), FW_REL_NONE, 0), FW_OK);
    uint8_t k[4], d[ADJ_ENT];
    be32_put(k, raw_ord(txn, s, src));
    adj_idx_enc(d, raw_ord(txn, s, dst), false, seq);
    MDB_val key = {4, k}, val = {ADJ_ENT, d};
    assert_int_equal(mdb_put(txn, s->dbi[DB_FOLLOWING], &key, &val, 0), 0);
}

/* Overwrites a user's followers (followers true) or following counter. */
static void raw_user_count(MDB_txn *txn, fw_store *s, uint64_t id, bool followers, uint64_t v)
{
    uint32_t ord = raw_ord(txn, s, id);
    MDB_val key = fw_lmdb_ord_key(&ord), val;
    assert_int_equal(mdb_get(txn, s->dbi[DB_USERS], &key, &val), 0);
    fw_lmdb_counts c;
    assert_int_equal(fw_lmdb_user_counts(val.mv_data, val.mv_size, &c), FW_OK);
    *(followers ? &c.followers : &c.following) = v;
    uint8_t *copy = malloc(val.mv_size + USER_RECOUNT_GROW);
    MDB_val nv = {fw_lmdb_user_recount(val.mv_data, val.mv_size, &c, copy), copy};
    assert_true(nv.mv_size > 0);
    assert_int_equal(mdb_put(txn, s->dbi[DB_USERS], &key, &nv, 0), 0);
    free(copy);
}

/* Sets lname -> ordinal ord in the username index; ord < 0 deletes the name. */
static void raw_uname(MDB_txn *txn, fw_store *s, const char *lname, int64_t ord)
{
    uint8_t d[4];
    be32_put(d, (uint32_t)ord);
    MDB_val key = {strlen(lname), (void *)lname}, val = {4, d};
    assert_int_equal(ord >= 0 ? mdb_put(txn, s->dbi[DB_UNAMES], &key, &val, 0)
                              : mdb_del(txn, s->dbi[DB_UNAMES], &key, NULL),
                     0);
}

static void raw_edge_seq(MDB_txn *txn, fw_store *s, uint64_t seq)
{
    uint8_t d[8];
    le64_put(d, seq);
    MDB_val key = {8, "edge_seq"}, val = {8, d};
    assert_int_equal(mdb_put(txn, s->dbi[DB_META], &key, &val, 0), 0);
}

static uint64_t rel_seq(fw_store *s, uint64_t src, uint64_t dst)
{
    MDB_txn *txn;
    uint8_t st;
    uint64_t seq;
    assert_int_equal(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(fw_lmdb_rel_get(txn, s, src, dst, &st, &seq), 0);
    mdb_txn_abort(txn);
    assert_true(st != FW_REL_NONE);
    return seq;
}

/* a follows b, both healthy. */
typedef struct g2 {
    uint64_t a, b, seq;
    char an[24], bn[24];
} g2;

static g2 follow_pair(fw_store *s)
{
    g2 g;
    g.a = mk_user(s, "a", 0);
    g.b = mk_user(s, "b", 0);
    assert_true(wr(s, FW_W_FOLLOW, g.a, g.b).changed);
    g.seq = rel_seq(s, g.a, g.b);
    snprintf(g.an, sizeof g.an, "%" PRIu64, g.a);
    snprintf(g.bn, sizeof g.bn, "%" PRIu64, g.b);
    assert_clean(s);
    return g;
}

static void test_check_followers_count(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_user_count(t, s, g.b, true, 2);
    raw_commit(t);
    expect_problem(s, "followers_count 2 but 1 followers");
}

static void test_check_following_count(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_user_count(t, s, g.a, false, 0);
    raw_commit(t);
    expect_problem(s, "following_count 0 but follows 1");
}

static void test_check_follower_without_following(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_edge(t, s, DB_FOLLOWING, g.a, g.seq, g.b, false);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "followers of %s: %s (seq %" PRIu64 ") has no mirror in following", g.bn, g.an, g.seq);
    expect_problem(s, want);
}

static void test_check_following_without_follower(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_edge(t, s, DB_FOLLOWERS, g.b, g.seq, g.a, false);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "following of %s: %s (seq %" PRIu64 ") has no mirror in followers", g.an, g.bn, g.seq);
    expect_problem(s, want);
}

static void test_check_rel_without_lists(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_rel(t, s, g.b, g.a, FW_REL_FOLLOWING, g.seq);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "rel %s->%s: follow without its list entry", g.bn, g.an);
    expect_problem(s, want);
}

static void test_check_lists_without_rel(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_rel(t, s, g.a, g.b, 0, 0);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "relation %s->%s is state 0 seq 0, expected 1 seq %" PRIu64, g.an, g.bn, g.seq);
    expect_problem(s, want);
}

static void test_check_bad_rel_state(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_idx(t, s, g.a, g.b, 0);
    raw_commit(t);
    expect_problem(s, "sequence 0");
}

static void test_check_seq_mismatch(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    uint64_t c = mk_user(s, "c", 0);
    assert_true(wr(s, FW_W_FOLLOW, c, g.b).changed);
    uint64_t cseq = rel_seq(s, c, g.b);
    MDB_txn *t = raw_begin(s);
    raw_rel(t, s, g.a, g.b, FW_REL_FOLLOWING, cseq); /* a real sequence number, just not this edge's */
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "relation %s->%s is state 1 seq %" PRIu64 ", expected 1 seq %" PRIu64, g.an, g.bn,
             cseq, g.seq);
    expect_problem(s, want);
}

/* a has a pending request to the protected p. */
static g2 request_pair(fw_store *s)
{
    g2 g;
    g.a = mk_user(s, "a", 0);
    g.b = mk_user(s, "p", FW_USER_PROTECTED);
    assert_int_equal(wr(s, FW_W_FOLLOW, g.a, g.b).rel, FW_REL_PENDING);
    g.seq = rel_seq(s, g.a, g.b);
    snprintf(g.an, sizeof g.an, "%" PRIu64, g.a);
    snprintf(g.bn, sizeof g.bn, "%" PRIu64, g.b);
    assert_clean(s);
    return g;
}

static void test_check_req_in_without_req_out(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = request_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_edge(t, s, DB_REQ_OUT, g.a, g.seq, g.b, false);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "req_in of %s: %s (seq %" PRIu64 ") has no mirror in req_out", g.bn, g.an, g.seq);
    expect_problem(s, want);
}

static void test_check_req_out_without_req_in(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = request_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_edge(t, s, DB_REQ_IN, g.b, g.seq, g.a, false);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "req_out of %s: %s (seq %" PRIu64 ") has no mirror in req_in", g.an, g.bn, g.seq);
    expect_problem(s, want);
}

/* A complete, counted follow next to the pending request of the same pair:
 * everything but the disjointness of pending and following holds. */
static void test_check_pending_and_following(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = request_pair(s);
    uint64_t seq = g.seq + 1;
    MDB_txn *t = raw_begin(s);
    raw_edge(t, s, DB_FOLLOWING, g.a, seq, g.b, true);
    raw_edge(t, s, DB_FOLLOWERS, g.b, seq, g.a, true);
    raw_user_count(t, s, g.a, false, 1);
    raw_user_count(t, s, g.b, true, 1);
    raw_edge_seq(t, s, seq);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "following of %s: relation %s->%s is state 2", g.an, g.an, g.bn);
    expect_problem(s, want);
}

static void test_check_edge_to_missing_user(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    uint32_t ord = raw_ord(t, s, g.b);
    MDB_val key = fw_lmdb_ord_key(&ord);
    assert_int_equal(mdb_del(t, s->dbi[DB_USERS], &key, NULL), 0);
    raw_commit(t);
    char want[128]; /* the id was in the record: only the ordinal is left */
    snprintf(want, sizeof want, "following of %s: entry 0 does not exist (ordinal %" PRIu32 ")", g.an, ord);
    expect_problem(s, want);
    snprintf(want, sizeof want, "followers of 0: owner does not exist (ordinal %" PRIu32 ")", ord);
    expect_problem(s, want);
}

static void test_check_uname_wrong_id(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_uname(t, s, "a", raw_ord(t, s, g.b));
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "username 'a': user %s is named otherwise", g.bn);
    expect_problem(s, want);
}

static void test_check_uname_missing_id(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_uname(t, s, "ghost", 424242); /* an ordinal no user has */
    raw_commit(t);
    expect_problem(s, "username 'ghost': points to a missing user");
}

static void test_check_user_without_uname(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_uname(t, s, "a", -1);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "user %s: username 'a' not indexed to it", g.an);
    expect_problem(s, want);
}

/* A complete, counted self-follow: only "not self" is broken. */
static void test_check_self_edge(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    uint64_t seq = g.seq + 1;
    MDB_txn *t = raw_begin(s);
    raw_edge(t, s, DB_FOLLOWING, g.a, seq, g.a, true);
    raw_edge(t, s, DB_FOLLOWERS, g.a, seq, g.a, true);
    raw_rel(t, s, g.a, g.a, FW_REL_FOLLOWING, seq);
    raw_user_count(t, s, g.a, false, 2);
    raw_user_count(t, s, g.a, true, 1);
    raw_edge_seq(t, s, seq);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "following of %s: self-edge", g.an);
    expect_problem(s, want);
}

/* Clearing the protected flag behind the store's back leaves a request that
 * can never be answered (the store accepts them all when it does this). */
static void test_check_request_to_public(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = request_pair(s);
    MDB_txn *t = raw_begin(s);
    uint32_t ord;
    fw_user u;
    assert_int_equal(fw_lmdb_user_get(t, s, g.b, &u, &ord), FW_OK);
    u.flags &= ~FW_USER_PROTECTED;
    assert_int_equal(fw_lmdb_user_put(t, s, ord, &u, 0), FW_OK);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "req_in of %s: request %s to a public account", g.bn, g.an);
    expect_problem(s, want);
}

static void test_check_edge_seq_behind(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    raw_edge_seq(t, s, g.seq - 1);
    raw_commit(t);
    char want[128];
    snprintf(want, sizeof want, "edge_seq %" PRIu64 " is behind edge seq %" PRIu64, g.seq - 1, g.seq);
    expect_problem(s, want);
}

/* A budget of one entry cuts the sources into one range each: the graph
 * checks clean in every range, and a missing mirror of a follow and of a
 * request whose sources are in late ranges are still found. */
static void test_check_ranges(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    enum { N = 6 };
    uint64_t u[N];
    char name[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(name[i], sizeof name[i], "r%d", i);
        u[i] = mk_user(s, name[i], i == N - 1 ? FW_USER_PROTECTED : 0);
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            if (i != j)
                wr(s, FW_W_FOLLOW, u[i], u[j]); /* to u[N - 1]: a request */
    lines l = {0};
    unsigned ranges = 0;
    assert_int_equal(fw_lmdb_check_budget(s, 1, &ranges, collect_line, &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(ranges, N); /* every user is the source of some fol_in or rq_in entry */
    assert_int_equal(fw_lmdb_check_budget(s, FW_LMDB_CHECK_BUDGET, &ranges, collect_line, &l), 0);
    assert_int_equal(ranges, 1);

    uint64_t fseq = rel_seq(s, u[4], u[0]), rseq = rel_seq(s, u[3], u[N - 1]);
    MDB_txn *t = raw_begin(s);
    raw_edge(t, s, DB_FOLLOWING, u[4], fseq, u[0], false);
    raw_user_count(t, s, u[4], false, N - 3); /* the counter is not the problem */
    raw_edge(t, s, DB_REQ_OUT, u[3], rseq, u[N - 1], false);
    raw_commit(t);
    assert_int_equal(fw_lmdb_check_budget(s, 1, &ranges, collect_line, &l), 4);
    assert_int_equal(l.n, 4);
    assert_int_equal(ranges, N);
    char want[128];
    snprintf(want, sizeof want, "followers of %" PRIu64 ": %" PRIu64 " (seq %" PRIu64 ") has no mirror in following",
             u[0], u[4], fseq);
    assert_non_null(strstr(l.buf, want));
    snprintf(want, sizeof want, "rel %" PRIu64 "->%" PRIu64 ": follow without its list entry", u[4], u[0]);
    assert_non_null(strstr(l.buf, want));
    snprintf(want, sizeof want, "rel %" PRIu64 "->%" PRIu64 ": request without its list entry", u[3], u[N - 1]);
    assert_non_null(strstr(l.buf, want));
    snprintf(want, sizeof want, "req_in of %" PRIu64 ": %" PRIu64 " (seq %" PRIu64 ") has no mirror in req_out",
             u[N - 1], u[3], rseq);
    assert_non_null(strstr(l.buf, want));
    expect_problem(s, want); /* the same with the default budget */
}

/* A record under an ordinal at or past meta next_ord has no slot in check's
 * arrays: its user and its (complete) follow are checked by lookups, which
 * find only what is wrong with the record's ordinal. */
static void test_check_user_past_next_ord(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    MDB_val k = {8, "next_ord"}, v;
    assert_int_equal(mdb_get(t, s->dbi[DB_META], &k, &v), 0);
    uint32_t far = le32_get(v.mv_data) + 3, b = raw_ord(t, s, g.b);
    fw_user u;
    assert_int_equal(fw_lmdb_user_get(t, s, g.a, &u, NULL), FW_OK);
    assert_int_equal(fw_lmdb_user_put(t, s, far, &u, 0), FW_OK); /* a's record again: following_count 1 */
    uint64_t seq = g.seq + 1;
    assert_int_equal(fw_lmdb_list_op(t, s, DB_FOLLOWING, far, seq, b, true), FW_OK);
    assert_int_equal(fw_lmdb_list_op(t, s, DB_FOLLOWERS, b, seq, far, true), FW_OK);
    assert_int_equal(fw_lmdb_idx_set(t, s, far, b, FW_REL_FOLLOWING, seq), FW_OK);
    raw_user_count(t, s, g.b, true, 2);
    raw_edge_seq(t, s, seq);
    raw_commit(t);
    lines l = {0};
    assert_int_equal(fw_store_check(s, collect_line, &l), 3);
    char want[128];
    snprintf(want, sizeof want, "user %s: ordinal %" PRIu32 " not below meta next_ord %" PRIu32 "\n", g.an, far,
             far - 3);
    assert_non_null(strstr(l.buf, want));
    snprintf(want, sizeof want, "user %s: ordinal %" PRIu32 " does not map back to it\n", g.an, far);
    assert_non_null(strstr(l.buf, want));
    snprintf(want, sizeof want, "user %s: username 'a' not indexed to it\n", g.an);
    assert_non_null(strstr(l.buf, want));
}

/* Adjacency keys that are not 4 bytes sort among the ordinals' keys (before
 * the first, between two, after the last): each entry is reported once as
 * malformed, and nothing else is. */
static void test_check_malformed_keys(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    MDB_txn *t = raw_begin(s);
    uint8_t d[ADJ_ENT], k5[5] = {0, 0, 0, 0, 7};
    be32_put(k5, raw_ord(t, s, g.a));
    adj_list_enc(d, g.seq, raw_ord(t, s, g.b));
    MDB_val k3 = {3, "\0\0\0"}, kk = {5, k5}, kl = {8, "\xff\xff\xff\xff\xff\xff\xff\xff"}, v = {ADJ_ENT, d};
    assert_int_equal(mdb_put(t, s->dbi[DB_FOLLOWING], &k3, &v, 0), 0);
    assert_int_equal(mdb_put(t, s->dbi[DB_FOLLOWING], &kk, &v, 0), 0);
    assert_int_equal(mdb_put(t, s->dbi[DB_FOLLOWING], &kl, &v, 0), 0);
    assert_int_equal(mdb_put(t, s->dbi[DB_REQ_OUT], &kk, &v, 0), 0);
    assert_int_equal(mdb_put(t, s->dbi[DB_FOLLOWERS], &k3, &v, 0), 0);
    raw_commit(t);
    lines l = {0};
    assert_int_equal(fw_store_check(s, collect_line, &l), 5);
    static const char *const want[] = {"following: malformed entry", "req_out: malformed entry",
                                       "followers: malformed entry"};
    int n[4] = {0}; /* lines per want[], then any other */
    for (char *line = strtok(l.buf, "\n"); line; line = strtok(NULL, "\n")) {
        int i = 0;
        while (i < 3 && strcmp(line, want[i]))
            i++;
        n[i]++;
    }
    assert_int_equal(n[0], 3);
    assert_int_equal(n[1], 1);
    assert_int_equal(n[2], 1);
    assert_int_equal(n[3], 0);
}

/* ---- write-side regressions -------------------------------------------------------- */

typedef struct op_cap {
    fake_loop *l;
    fw_write_res res;
} op_cap;

static void op_cap_cb(void *ctx, const fw_write_res *res)
{
    op_cap *c = ctx;
    pthread_mutex_lock(&c->l->mu);
    c->res = *res;
    c->l->done++;
    pthread_cond_broadcast(&c->l->cv);
    pthread_mutex_unlock(&c->l->mu);
}

static size_t last_txnid(fw_store *s)
{
    MDB_envinfo info;
    assert_int_equal(mdb_env_info(s->env, &info), 0);
    return info.me_last_txnid;
}

/* A malformed rel record fails the op that reads it, not every op that
 * shares its group-commit batch. The test holds LMDB's write lock while the
 * three ops are queued: the writer begins its transaction before it takes its
 * batch, so it takes all three at once when the lock is released. */
static void test_corrupt_rel_fails_only_its_op(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    g2 g = follow_pair(s);
    uint64_t c = mk_user(s, "c", 0), d = mk_user(s, "d", 0), e = mk_user(s, "e", 0);
    fw_write_res first = wr(s, FW_W_FOLLOW, e, c);
    assert_int_equal(first.rc, FW_OK);
    MDB_txn *t = raw_begin(s);
    raw_idx(t, s, g.a, g.b, 0); /* malformed: an index entry without a sequence */
    raw_commit(t);

    fake_loop l;
    loop_start(&l);
    op_cap caps[3] = {{.l = &l}, {.l = &l}, {.l = &l}};
    size_t txn0 = last_txnid(s);
    MDB_txn *hold = raw_begin(s);
    fw_store_write(s, &l.exec, FW_W_FOLLOW, c, d, op_cap_cb, &caps[0]);
    fw_store_write(s, &l.exec, FW_W_UNFOLLOW, g.a, g.b, op_cap_cb, &caps[1]);
    fw_store_write(s, &l.exec, FW_W_FOLLOW, d, c, op_cap_cb, &caps[2]);
    mdb_txn_abort(hold);
    loop_wait(&l, 3);
    loop_stop(&l);
    assert_int_equal(last_txnid(s), txn0 + 1); /* the three ops in one commit */
    assert_int_equal(caps[1].res.rc, FW_EIO);
    assert_false(caps[1].res.changed);
    assert_int_equal(caps[0].res.rc, FW_OK);
    assert_true(caps[0].res.changed);
    assert_int_equal(caps[2].res.rc, FW_OK);
    assert_true(caps[2].res.changed);
    assert_counts(s, c, 2, 1); /* d and e follow c; c follows d */
    assert_counts(s, d, 1, 1);
    /* it stays that way, never reported as a relation */
    t = raw_begin(s);
    raw_idx(t, s, g.a, g.b, 0);
    raw_commit(t);
    fw_write_res r = wr(s, FW_W_FOLLOW, g.a, g.b);
    assert_int_equal(r.rc, FW_EIO);
    assert_int_equal(r.rel, FW_REL_NONE);
}

#endif /* !FW_TEST_PG */
/* A tweet committed between an admin's read and its update (another process
 * could do this) must survive the update. */
static void test_update_keeps_most_recent_tweet(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t a = mk_user(s, "a", 0), tid;
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(s, a, &r), FW_OK);
    fw_tweet tw = {.author_id = a, .text = fw_str_c("hi"), .lang = fw_str_c("en")};
    assert_int_equal(fw_store_tweet_add(s, &tw, &tid), FW_OK);
    fw_user_rec_set(&r, FW_UF_NAME, fw_str_c("Renamed"));
    assert_int_equal(fw_store_user_update(s, &r.u), FW_OK);
    fw_user_rec_free(&r);
    assert_int_equal(fw_store_user_get(s, a, &r), FW_OK);
    assert_int_equal(r.u.most_recent_tweet_id, tid);
    assert_true(fw_str_eq(r.u.name, "Renamed"));
    fw_user_rec_free(&r);
}

/* Deleting a user removes its password and credentials: a user later created
 * with the same explicit id inherits neither. */
static void test_delete_drops_secrets(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t u = mk_user(s, "gone", 0), keep = mk_user(s, "keep", 0);
    fw_app_rec app;
    assert_int_equal(fw_store_app_create(s, fw_str_c("app"), 0, FW_CLIENT_PUBLIC, FW_STR_NULL, &app), FW_OK);
    uint8_t pw[4] = {1, 2, 3, 4}, got[16], h[32], hk[32];
    size_t len;
    assert_int_equal(fw_store_user_set_password(s, u, pw, sizeof pw), FW_OK);
    assert_int_equal(fw_store_user_set_password(s, keep, pw, sizeof pw), FW_OK);
    fw_sha256("gone-token", 10, h);
    fw_sha256("keep-token", 10, hk);
    fw_cred c = {.kind = FW_CRED_OAUTH2_USER, .app_id = app.a.id, .user_id = u};
    assert_int_equal(fw_store_cred_put(s, h, FW_STR_NULL, &c), FW_OK);
    fw_cred o1 = {.kind = FW_CRED_OAUTH1_USER, .app_id = app.a.id, .user_id = u, .secret = fw_str_c("sec")};
    assert_int_equal(fw_store_cred_put(s, NULL, fw_str_c("1-gone"), &o1), FW_OK);
    c.user_id = keep;
    assert_int_equal(fw_store_cred_put(s, hk, FW_STR_NULL, &c), FW_OK);

    assert_int_equal(fw_store_user_delete(s, u), FW_OK);
    fw_user again = {.id = u, .username = fw_str_c("again")};
    assert_int_equal(fw_store_user_create(s, &again, NULL), FW_OK);
    assert_int_equal(fw_store_user_get_password(s, u, got, sizeof got, &len), FW_ENOTFOUND);
    auth_cap ac;
    fw_auth_q q = {.by = FW_AUTH_BY_HASH};
    memcpy(q.hash, h, 32);
    fw_store_auth(s, NULL, &q, auth_cb, &ac);
    assert_int_equal(ac.rc, FW_ENOTFOUND);
    fw_auth_q q1 = {.by = FW_AUTH_BY_OAUTH1, .token = fw_str_c("1-gone"), .consumer_key = app.a.consumer_key};
    fw_store_auth(s, NULL, &q1, auth_cb, &ac);
    assert_int_equal(ac.rc, FW_ENOTFOUND);
    /* other users keep theirs */
    assert_int_equal(fw_store_user_get_password(s, keep, got, sizeof got, &len), FW_OK);
    memcpy(q.hash, hk, 32);
    fw_store_auth(s, NULL, &q, auth_cb, &ac);
    assert_int_equal(ac.rc, FW_OK);
    assert_int_equal(ac.user_id, keep);
    fw_app_rec_free(&app);
    assert_clean(s);
}

#ifndef FW_TEST_PG /* raw LMDB index entry */
/* Renaming never removes an index entry that belongs to someone else (here a
 * stale entry left by corruption points the old name at another user). */
static void test_rename_keeps_foreign_index_entry(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t a = mk_user(s, "a", 0), b = mk_user(s, "b", 0);
    MDB_txn *t = raw_begin(s);
    raw_uname(t, s, "a", raw_ord(t, s, b));
    raw_commit(t);
    fw_user_rec r;
    assert_int_equal(fw_store_user_get(s, a, &r), FW_OK);
    fw_user_rec_set(&r, FW_UF_USERNAME, fw_str_c("a2"));
    assert_int_equal(fw_store_user_update(s, &r.u), FW_OK);
    fw_user_rec_free(&r);
    assert_int_equal(fw_store_user_get_by_name(s, fw_str_c("a"), &r), FW_OK);
    assert_int_equal(r.u.id, b);
    fw_user_rec_free(&r);
}
#endif

#ifndef FW_TEST_PG /* LMDB only: tests/unit/test_store_pg.c has the PostgreSQL equivalents */
/* LMDB is one process: the "shared" calls answer FW_ENOTSUP and callers keep
 * that state in memory (store.h). */
static void lmdb_ephem_cb(void *ctx, const fw_ephem_res *res) { *(int *)ctx = res->rc; }
static void lmdb_nonce_cb(void *ctx, int rc) { *(int *)ctx = rc; }

static void test_shared_state_not_served(void **state)
{
    fx *f = *state;
    assert_false(fw_store_shares_state(f->s));
    int rc = 99;
    fw_ephem_q q = {.op = FW_EPH_GET, .kind = 1, .key = FW_STR_LIT("k"), .now_ms = 1};
    fw_store_ephem(f->s, NULL, &q, lmdb_ephem_cb, &rc);
    assert_int_equal(rc, FW_ENOTSUP);
    rc = 99;
    fw_store_nonce(f->s, NULL, FW_STR_LIT("ck"), FW_STR_LIT("n"), 10, 1, lmdb_nonce_cb, &rc);
    assert_int_equal(rc, FW_ENOTSUP);
    fw_lease_q lq = {.kind = 1, .limit = 1, .window_ms = 1, .now_ms = 1, .ttl_ms = 1, .want = 1};
    fw_lease_res lr;
    assert_int_equal(fw_store_lease(f->s, &lq, &lr), FW_ENOTSUP);
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
        cmocka_unit_test_setup_teardown(test_check_detects_bad_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_drains_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apps_and_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_state_not_served, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tweets_hydration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_bulk_and_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_followers_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_following_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_follower_without_following, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_following_without_follower, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_rel_without_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_lists_without_rel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_bad_rel_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_seq_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_req_in_without_req_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_req_out_without_req_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_pending_and_following, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_edge_to_missing_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_uname_wrong_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_uname_missing_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_user_without_uname, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_self_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_request_to_public, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_edge_seq_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_user_past_next_ord, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_malformed_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_rel_fails_only_its_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_keeps_most_recent_tweet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_drops_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_keeps_foreign_index_entry, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* !FW_TEST_PG */
