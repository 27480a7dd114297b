/* LMDB schema 2/3 layout (lmdb_internal.h): the 10-byte entry encodings and
 * their limits, a long list's deepest pages, unfollowing the oldest entry, the
 * sequence and ordinal limits (refused cleanly, nothing half-applied), and the
 * conversion of schema-1 and schema-2 databases written here with raw LMDB in
 * the old layouts. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/lmdb_internal.h"
#include "store/store.h"
#include "lmdb_fixture.h"

typedef lmdb_fx fx;

static void open_store(fx *f)
{
    fw_store_opts o = {.path = f->dir, .map_size = 64u << 20};
    assert_int_equal(fw_store_open(&o, &f->s), FW_OK);
}

static int setup(void **state)
{
    fx *f = lmdb_fx_new("fw_layout");
    if (!f)
        return -1;
    open_store(f);
    *state = f;
    return 0;
}

#define teardown lmdb_fx_teardown

static uint64_t mk_user(fw_store *s, const char *name, uint32_t flags)
{
    fw_user u = {.username = fw_str_c(name), .name = fw_str_c("Name"), .flags = flags};
    uint64_t id = 0;
    assert_int_equal(fw_store_user_create(s, &u, &id), FW_OK);
    return id;
}

static fw_write_res wr(fw_store *s, uint8_t kind, uint64_t a, uint64_t b)
{
    fw_write_res r;
    int rc = fw_store_write_sync(s, kind, a, b, &r);
    assert_int_equal(rc, r.rc);
    return r;
}

static void count_line(void *ctx, const char *line)
{
    fprintf(stderr, "check: %s\n", line);
    (*(int *)ctx)++;
}

static void assert_clean(fw_store *s)
{
    int lines = 0;
    assert_int_equal(fw_store_check(s, count_line, &lines), 0);
    assert_int_equal(lines, 0);
}

#define PAGE_MAX 1000
typedef struct page {
    int rc;
    size_t n;
    uint64_t ids[PAGE_MAX], seqs[PAGE_MAX];
    bool older, newer;
} page;

static void page_cb(void *ctx, const fw_list_res *res)
{
    page *p = ctx;
    p->rc = res->rc;
    p->n = res->rc ? 0 : res->n;
    for (size_t i = 0; i < p->n; i++)
        p->ids[i] = res->users[i].id, p->seqs[i] = res->seqs[i];
    p->older = !res->rc && res->more_older;
    p->newer = !res->rc && res->more_newer;
}

static page *list(fw_store *s, uint64_t owner, uint8_t kind, uint8_t dir, uint64_t cursor, uint32_t limit)
{
    static page p;
    memset(&p, 0, sizeof p);
    fw_list_q q = {.owner_id = owner, .kind = kind, .dir = dir, .cursor = cursor, .limit = limit};
    fw_store_list(s, NULL, &q, page_cb, &p);
    return &p;
}

/* Every page of a list walked older with pages of lim, then newer back from
 * the end: the ids newest first (n of them, into out). */
static size_t walk_all(fw_store *s, uint64_t owner, uint8_t kind, uint32_t lim, uint64_t *out, size_t cap)
{
    size_t n = 0;
    page *p = list(s, owner, kind, FW_PAGE_FIRST, 0, lim);
    assert_int_equal(p->rc, FW_OK);
    assert_false(p->newer);
    for (;;) {
        for (size_t i = 0; i < p->n; i++) {
            assert_true(n < cap);
            if (n)
                assert_true(p->seqs[i] < UINT64_MAX);
            out[n++] = p->ids[i];
        }
        if (!p->older)
            break;
        p = list(s, owner, kind, FW_PAGE_AFTER, p->seqs[p->n - 1], lim);
        assert_int_equal(p->rc, FW_OK);
        assert_true(p->n > 0);
        assert_true(p->newer);
    }
    /* and back: BEFORE the oldest entry's seq reads the newer pages */
    page *q = list(s, owner, kind, FW_PAGE_AFTER, 1, lim); /* below seq 1: nothing */
    assert_int_equal(q->n, 0);
    p = list(s, owner, kind, FW_PAGE_FIRST, 0, PAGE_MAX);
    assert_int_equal(p->n, n);
    size_t idx = n ? n - 1 : 0; /* out[idx] is the cursor's entry */
    uint64_t cur = n ? p->seqs[n - 1] : 0;
    while (idx > 0) {
        p = list(s, owner, kind, FW_PAGE_BEFORE, cur, lim);
        assert_int_equal(p->rc, FW_OK);
        assert_true(p->n > 0 && p->n <= idx);
        assert_true(p->older);
        for (size_t i = 0; i < p->n; i++)
            assert_int_equal(p->ids[i], out[idx - p->n + i]);
        idx -= p->n;
        cur = p->seqs[0];
        assert_true(p->newer == (idx > 0));
    }
    return n;
}

/* ---- encodings ---- */

static void test_entry_encoding(void **state)
{
    (void)state;
    static const uint64_t seqs[] = {0, 1, 2, 255, 256, UINT32_MAX, (uint64_t)UINT32_MAX + 1, ADJ_SEQ_MAX - 1,
                                    ADJ_SEQ_MAX};
    static const uint32_t ords[] = {0, 1, 0xFFFF, 0x10000, ADJ_ORD_MAX};
    uint8_t prev[ADJ_ENT];
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
        for (size_t j = 0; j < sizeof ords / sizeof ords[0]; j++) {
            uint8_t d[ADJ_ENT];
            uint64_t seq;
            uint32_t ord;
            bool pending;
            adj_list_enc(d, seqs[i], ords[j]);
            assert_true(adj_is_list(d));
            adj_list_dec(d, &seq, &ord);
            assert_true(seq == seqs[i] && ord == ords[j]);
            if (i && j == 0)
                assert_true(memcmp(d, prev, ADJ_ENT) < 0); /* a newer entry sorts first */
            if (j == 0)
                memcpy(prev, d, ADJ_ENT);
            for (int p = 0; p < 2; p++) {
                uint8_t x[ADJ_ENT];
                adj_idx_enc(x, ords[j], p, seqs[i]);
                assert_false(adj_is_list(x));
                assert_true(memcmp(x, d, ADJ_ENT) < 0); /* index entries sort before every list entry */
                adj_idx_dec(x, &ord, &pending, &seq);
                assert_true(ord == ords[j] && pending == (p == 1) && seq == seqs[i]);
            }
        }
}

/* ---- a long list ---- */

static void test_deep_pages_and_oldest_unfollow(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    enum { N = 230 };
    uint64_t star = mk_user(s, "star", 0), fans[N], got[N + 1];
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "fan%d", i);
        fans[i] = mk_user(s, name, 0);
        assert_true(wr(s, FW_W_FOLLOW, fans[i], star).changed);
        assert_true(wr(s, FW_W_FOLLOW, star, fans[i]).changed); /* index and list entries under one key */
    }
    assert_clean(s);
    for (uint32_t lim = 1; lim <= 101; lim += 50) {
        size_t n = walk_all(s, star, FW_LIST_FOLLOWERS, lim, got, N + 1);
        assert_int_equal(n, N);
        for (int i = 0; i < N; i++)
            assert_int_equal(got[i], fans[N - 1 - i]);
        n = walk_all(s, star, FW_LIST_FOLLOWING, lim, got, N + 1);
        assert_int_equal(n, N);
        for (int i = 0; i < N; i++)
            assert_int_equal(got[i], fans[N - 1 - i]);
    }
    /* the deepest page: after the second-oldest entry comes only the oldest */
    page *p = list(s, star, FW_LIST_FOLLOWING, FW_PAGE_FIRST, 0, PAGE_MAX);
    assert_int_equal(p->n, N);
    uint64_t second = p->seqs[N - 2];
    p = list(s, star, FW_LIST_FOLLOWING, FW_PAGE_AFTER, second, 10);
    assert_int_equal(p->n, 1);
    assert_int_equal(p->ids[0], fans[0]);
    assert_false(p->older);
    assert_true(p->newer);
    /* unfollow the oldest: the deepest page is now empty and flags say so */
    assert_true(wr(s, FW_W_UNFOLLOW, star, fans[0]).changed);
    assert_true(wr(s, FW_W_UNFOLLOW, fans[0], star).changed);
    p = list(s, star, FW_LIST_FOLLOWING, FW_PAGE_AFTER, second, 10);
    assert_int_equal(p->n, 0);
    assert_true(p->newer);
    p = list(s, star, FW_LIST_FOLLOWING, FW_PAGE_FIRST, 0, PAGE_MAX);
    assert_int_equal(p->n, N - 1);
    assert_int_equal(p->ids[N - 2], fans[1]);
    assert_false(p->older);
    p = list(s, star, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, PAGE_MAX);
    assert_int_equal(p->n, N - 1);
    /* tokens beyond the sequence space: everything is older, nothing newer */
    p = list(s, star, FW_LIST_FOLLOWERS, FW_PAGE_AFTER, UINT64_MAX, 5);
    assert_int_equal(p->n, 5);
    assert_int_equal(p->ids[0], fans[N - 1]);
    p = list(s, star, FW_LIST_FOLLOWERS, FW_PAGE_BEFORE, UINT64_MAX, 5);
    assert_int_equal(p->n, 0);
    assert_true(p->older);
    assert_clean(s);
}

/* ---- limits ---- */

static void put_meta(fw_store *s, const char *k, const void *v, size_t n)
{
    MDB_txn *t;
    assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &t), 0);
    MDB_val key = {strlen(k), (void *)k}, val = {n, (void *)v};
    assert_int_equal(mdb_put(t, s->dbi[DB_META], &key, &val, 0), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
}

static void test_seq_limit(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t a = mk_user(s, "a", 0), b = mk_user(s, "b", 0), c = mk_user(s, "c", 0);
    uint8_t v[8];
    le64_put(v, ADJ_SEQ_MAX - 1);
    put_meta(s, "edge_seq", v, 8);
    assert_true(wr(s, FW_W_FOLLOW, a, b).changed); /* takes the last sequence number */
    page *p = list(s, b, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(p->n, 1);
    assert_true(p->seqs[0] == ADJ_SEQ_MAX);
    fw_write_res r;
    assert_int_not_equal(fw_store_write_sync(s, FW_W_FOLLOW, a, c, &r), FW_OK); /* refused, */
    p = list(s, a, FW_LIST_FOLLOWING, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(p->n, 1); /* nothing half-applied */
    p = list(s, c, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(p->n, 0);
    assert_true(wr(s, FW_W_UNFOLLOW, a, b).changed); /* unfollow needs no new number */
    assert_clean(s);
}

static void test_ordinal_limit(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t a = mk_user(s, "a", 0);
    uint8_t v[4];
    le32_put(v, ADJ_ORD_MAX);
    put_meta(s, "next_ord", v, 4);
    uint64_t last = mk_user(s, "last", 0); /* the largest ordinal */
    assert_true(wr(s, FW_W_FOLLOW, a, last).changed);
    assert_true(wr(s, FW_W_FOLLOW, last, a).changed);
    page *p = list(s, last, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(p->n, 1);
    assert_int_equal(p->ids[0], a);
    p = list(s, a, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(p->n, 1);
    assert_int_equal(p->ids[0], last);
    fw_user u = {.username = fw_str_c("over"), .name = fw_str_c("Over")};
    uint64_t id = 0;
    assert_int_equal(fw_store_user_create(s, &u, &id), FW_EFULL); /* refused, */
    fw_user_rec rec;
    assert_int_equal(fw_store_user_get_by_name(s, fw_str_c("over"), &rec), FW_ENOTFOUND); /* not half-made */
    assert_clean(s);
}

/* ---- schemas 1 and 2 ---- */

/* Schema 2's user record (what a v2 binary wrote): an 80-byte header, then
 * the 9 strings' 4-byte lengths and bytes. Returns its size. */
static size_t pack_v2(const fw_user *u, uint8_t *out, size_t cap)
{
    fw_buf head = FW_BUF_INIT;
    fw_rec_user_head(u, &head);
    const fw_str v[9] = {u->username, u->name, u->description, u->location, u->url, u->profile_image_url,
                         u->withheld_countries, u->entities_json, {head.data, head.len}};
    memset(out, 0, 80 + 36);
    out[0] = 2;
    out[1] = u->verified_type;
    le32_put(out + 4, u->flags);
    const uint64_t nums[] = {u->id, (uint64_t)u->created_at_ms, u->pinned_tweet_id, u->most_recent_tweet_id,
                             u->followers_count, u->following_count, u->tweet_count, u->listed_count, u->like_count};
    for (size_t i = 0; i < 9; i++)
        le64_put(out + 8 + 8 * i, nums[i]);
    size_t n = 80 + 36;
    for (size_t i = 0; i < 9; i++) {
        le32_put(out + 80 + 4 * i, (uint32_t)v[i].len);
        assert_true(n + v[i].len <= cap);
        memcpy(out + n, v[i].p, v[i].len);
        n += v[i].len;
    }
    fw_buf_free(&head);
    return n;
}

/* Rewrites the users of the open database into schema 2's tables: users
 * (id -> v2 record), uord (ordinal -> id), unames naming ids; drops urec. */
static void downgrade_users(fw_store *s, MDB_txn *t)
{
    MDB_dbi users, uord;
    assert_int_equal(mdb_dbi_open(t, "users", MDB_CREATE, &users), 0);
    assert_int_equal(mdb_dbi_open(t, "uord", MDB_CREATE, &uord), 0);
    MDB_cursor *c;
    assert_int_equal(mdb_cursor_open(t, s->dbi[DB_USERS], &c), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        fw_user u;
        uint32_t ord;
        memcpy(&ord, k.mv_data, 4);
        assert_int_equal(fw_lmdb_user_unpack(v.mv_data, v.mv_size, &u), FW_OK);
        static uint8_t rec[4096];
        uint8_t id[8], o[4];
        be64_put(id, u.id);
        be32_put(o, ord);
        MDB_val ik = {8, id}, ok = {4, o}, rv = {pack_v2(&u, rec, sizeof rec), rec};
        char lname[FW_USERNAME_MAX + 1];
        assert_true(fw_rec_username_key(u.username, lname));
        MDB_val nk = {strlen(lname), lname};
        assert_int_equal(mdb_put(t, users, &ik, &rv, 0), 0);
        assert_int_equal(mdb_put(t, uord, &ok, &ik, 0), 0);
        assert_int_equal(mdb_put(t, s->dbi[DB_UNAMES], &nk, &ik, 0), 0);
    }
    mdb_cursor_close(c);
    assert_int_equal(mdb_drop(t, s->dbi[DB_USERS], 1), 0);
}

static void set_schema(fw_store *s, MDB_txn *t, uint32_t ver)
{
    uint8_t b[4];
    le32_put(b, ver);
    MDB_val sk = {6, "schema"}, sv = {4, b};
    assert_int_equal(mdb_put(t, s->dbi[DB_META], &sk, &sv, 0), 0);
}

/* Rewrites the open database's users into schema 2's tables (what a v2
 * binary wrote), leaving the store closed. */
static void downgrade_v2(fx *f)
{
    MDB_txn *t;
    assert_int_equal(mdb_txn_begin(f->s->env, NULL, 0, &t), 0);
    downgrade_users(f->s, t);
    set_schema(f->s, t, 2);
    assert_int_equal(mdb_txn_commit(t), 0);
    fw_store_close(f->s);
    f->s = NULL;
}

/* Rewrites the open database's adjacency into schema 1's tables (what a v1
 * binary wrote) and its users as schema 2's (which schema 1 shared), drops
 * the ordinals, leaving the store closed. */
static void downgrade(fx *f)
{
    fw_store *s = f->s;
    MDB_txn *t;
    assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &t), 0);
    static const struct {
        int db;
        const char *old;
    } L[] = {{DB_FOLLOWERS, "followers"}, {DB_FOLLOWING, "following"}, {DB_REQ_IN, "req_in"}, {DB_REQ_OUT, "req_out"}};
    MDB_dbi rel;
    assert_int_equal(mdb_dbi_open(t, "rel", MDB_CREATE, &rel), 0);
    for (size_t i = 0; i < 4; i++) {
        MDB_dbi old;
        assert_int_equal(mdb_dbi_open(t, L[i].old, MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &old), 0);
        MDB_cursor *c;
        assert_int_equal(mdb_cursor_open(t, s->dbi[L[i].db], &c), 0);
        MDB_val k, v;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            uint64_t owner, other, seq;
            assert_int_equal(fw_lmdb_ord_id(t, s, be32_get(k.mv_data), &owner), FW_OK);
            uint8_t ok[16], od[16];
            MDB_val okey, oval;
            if (adj_is_list(v.mv_data)) {
                uint32_t o;
                adj_list_dec(v.mv_data, &seq, &o);
                assert_int_equal(fw_lmdb_ord_id(t, s, o, &other), FW_OK);
                be64_put(ok, owner);
                be64_put(od, ~seq);
                be64_put(od + 8, other);
                okey = (MDB_val){8, ok}, oval = (MDB_val){16, od};
                assert_int_equal(mdb_put(t, old, &okey, &oval, 0), 0);
            } else {
                uint32_t o;
                bool pending;
                adj_idx_dec(v.mv_data, &o, &pending, &seq);
                assert_int_equal(fw_lmdb_ord_id(t, s, o, &other), FW_OK);
                be64_put(ok, owner);
                be64_put(ok + 8, other);
                od[0] = pending ? FW_REL_PENDING : FW_REL_FOLLOWING;
                le64_put(od + 1, seq);
                okey = (MDB_val){16, ok}, oval = (MDB_val){9, od};
                assert_int_equal(mdb_put(t, rel, &okey, &oval, 0), 0);
            }
        }
        mdb_cursor_close(c);
        assert_int_equal(mdb_drop(t, s->dbi[L[i].db], 1), 0);
    }
    downgrade_users(s, t);
    MDB_dbi uord;
    assert_int_equal(mdb_dbi_open(t, "uord", 0, &uord), 0);
    assert_int_equal(mdb_drop(t, uord, 1), 0);
    assert_int_equal(mdb_drop(t, s->dbi[DB_UID], 1), 0);
    MDB_val k = {8, "next_ord"};
    assert_int_equal(mdb_del(t, s->dbi[DB_META], &k, NULL), 0);
    set_schema(s, t, 1);
    assert_int_equal(mdb_txn_commit(t), 0);
    fw_store_close(f->s);
    f->s = NULL;
}

typedef struct snap {
    size_t n[4];
    uint64_t ids[4][64], seqs[4][64];
} snap;

static void take(fw_store *s, const uint64_t *users, size_t nu, snap *out)
{
    for (size_t u = 0; u < nu; u++)
        for (uint8_t k = 0; k < 4; k++) {
            page *p = list(s, users[u], k, FW_PAGE_FIRST, 0, 64);
            assert_int_equal(p->rc, FW_OK);
            out[u].n[k] = p->n;
            memcpy(out[u].ids[k], p->ids, p->n * 8);
            memcpy(out[u].seqs[k], p->seqs, p->n * 8);
        }
}

/* A graph with follows, requests, an accept and an unfollow, checked clean; its lists into before. */
static void mk_graph(fw_store *s, uint64_t u[5], snap before[5])
{
    u[0] = mk_user(s, "u0", 0);
    u[1] = mk_user(s, "u1", FW_USER_PROTECTED);
    u[2] = mk_user(s, "u2", 0);
    u[3] = mk_user(s, "u3", 0);
    u[4] = mk_user(s, "u4", FW_USER_PROTECTED);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            if (i != j && (i + j) % 3)
                wr(s, FW_W_FOLLOW, u[i], u[j]);
    wr(s, FW_W_ACCEPT, u[1], u[2]);
    wr(s, FW_W_UNFOLLOW, u[0], u[2]);
    assert_clean(s);
    take(s, u, 5, before);
}

/* The database in f->dir is of schema ver: a read-only open refuses it with
 * what to do; a writable one converts it to what before holds, and the store
 * goes on working. */
static void expect_converted(fx *f, uint32_t ver, const uint64_t u[5], const snap before[5])
{
    char err[512] = "", want[16];
    fw_store_opts ro = {.path = f->dir, .map_size = 64u << 20, .read_only = true, .err = err, .err_len = sizeof err};
    fw_store *rs = NULL;
    assert_int_not_equal(fw_store_open(&ro, &rs), FW_OK);
    snprintf(want, sizeof want, "schema %u", ver);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "followd db migrate"));

    open_store(f); /* writable: converted */
    fw_store *s = f->s;
    assert_clean(s);
    static snap after[5];
    take(s, u, 5, after);
    assert_memory_equal(before, after, sizeof after);
    /* and it goes on working: ordinals continue after the converted ones */
    uint64_t nu = mk_user(s, "new", 0);
    assert_true(wr(s, FW_W_FOLLOW, nu, u[0]).changed);
    page *p = list(s, u[0], FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 1);
    assert_int_equal(p->ids[0], nu);
    fw_user_rec r;
    assert_int_equal(fw_store_user_get_by_name(s, fw_str_c("U1"), &r), FW_OK);
    assert_int_equal(r.u.id, u[1]);
    assert_true(r.u.flags & FW_USER_PROTECTED);
    fw_user_rec_free(&r);
    assert_clean(s);
}

/* A graph written in schema ver's layout is converted to the same graph. */
static void convert_from(void **state, uint32_t ver)
{
    fx *f = *state;
    uint64_t u[5];
    static snap before[5];
    mk_graph(f->s, u, before);
    if (ver == 1)
        downgrade(f);
    else
        downgrade_v2(f);
    expect_converted(f, ver, u, before);
}

static void test_convert_v1(void **state) { convert_from(state, 1); }
static void test_convert_v2(void **state) { convert_from(state, 2); }

/* An import after a wipe gives ordinals after every ordinal given before, so
 * an ordinal never names two users over the database's life. */
static void test_import_after_wipe_new_ordinals(void **state)
{
    fw_store *s = ((fx *)*state)->s;
    uint64_t a = mk_user(s, "a", 0), b = mk_user(s, "b", 0);
    assert_true(wr(s, FW_W_FOLLOW, a, b).changed);
    page *p = list(s, b, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10); /* ords 0, 1 */
    assert_int_equal(p->ids[0], a);
    assert_int_equal(fw_store_wipe(s), FW_OK);
    fw_import *im;
    assert_int_equal(fw_store_import_begin(s, &im), FW_OK);
    fw_user x = {.id = 5000, .username = fw_str_c("x"), .name = fw_str_c("X")};
    fw_user y = {.id = 6000, .username = fw_str_c("y"), .name = fw_str_c("Y")};
    assert_int_equal(fw_store_import_user(im, &x), FW_OK);
    assert_int_equal(fw_store_import_user(im, &y), FW_OK);
    assert_int_equal(fw_store_import_edge(im, FW_REL_FOLLOWING, 6000, 5000, 0), FW_OK);
    uint64_t dup;
    assert_int_equal(fw_store_import_commit(im, NULL, NULL, &dup), FW_OK);
    MDB_txn *t;
    uint32_t ox, oy;
    assert_int_equal(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t), 0);
    assert_int_equal(fw_lmdb_user_ord(t, s, 5000, &ox), FW_OK);
    assert_int_equal(fw_lmdb_user_ord(t, s, 6000, &oy), FW_OK);
    mdb_txn_abort(t);
    assert_int_equal(ox, 2);
    assert_int_equal(oy, 3);
    p = list(s, 5000, FW_LIST_FOLLOWERS, FW_PAGE_FIRST, 0, 10);
    assert_int_equal(p->n, 1);
    assert_int_equal(p->ids[0], 6000);
    assert_clean(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_encoding),
        cmocka_unit_test_setup_teardown(test_deep_pages_and_oldest_unfollow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ordinal_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_after_wipe_new_ordinals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
