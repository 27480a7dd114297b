/* Unit tests for src/limits/ratelimit.c: exact fixed windows, all-or-none
 * multi-key takes, refunds, concurrency and bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>

#include "limits/ratelimit.h"

#define T0 1700000000000LL /* an arbitrary epoch-ms start */
#define WIN 900000LL       /* 15 minutes */

/* fw_rl_take / fw_rl_peek with the verdict folded into the result: FW_OK
 * (allowed), FW_RL_LIMITED or the negative error, as the tests compare. */
static int rl_take(fw_rl *rl, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n,
                   int64_t now_ms, fw_rl_state *out)
{
    int verdict = -1;
    int rc = fw_rl_take(rl, keys, limits, window_ms, n, now_ms, out, &verdict);
    return rc != FW_OK ? rc : verdict == FW_RL_LIMITED ? FW_RL_LIMITED : FW_OK;
}

static int rl_peek(fw_rl *rl, const fw_rl_key *keys, const uint32_t *limits, const int64_t *window_ms, size_t n,
                   int64_t now_ms, fw_rl_state *out)
{
    int verdict = -1;
    int rc = fw_rl_peek(rl, keys, limits, window_ms, n, now_ms, out, &verdict);
    return rc != FW_OK ? rc : verdict == FW_RL_LIMITED ? FW_RL_LIMITED : FW_OK;
}

static fw_rl *mk(size_t max)
{
    fw_rl *rl = NULL;
    assert_int_equal(fw_rl_new(max, &rl), FW_OK);
    assert_non_null(rl);
    return rl;
}

static int take1(fw_rl *rl, fw_rl_key k, uint32_t limit, int64_t win, int64_t now, fw_rl_state *st)
{
    return rl_take(rl, &k, &limit, &win, 1, now, st);
}

static void test_window_exact(void **state)
{
    (void)state;
    fw_rl *rl = mk(1024);
    fw_rl_key k = {7, 42, 1};
    fw_rl_state st;
    for (uint32_t i = 0; i < 15; i++) {
        assert_int_equal(take1(rl, k, 15, WIN, T0 + i * 1000, &st), FW_OK);
        assert_true(st.allowed);
        assert_int_equal(st.limit, 15);
        assert_int_equal(st.remaining, 14 - i);
        /* The window is anchored at the first take, not at later ones. */
        assert_int_equal(st.reset_ms, T0 + WIN);
        assert_int_equal(st.reset_s, (T0 + WIN) / 1000);
    }
    assert_int_equal(take1(rl, k, 15, WIN, T0 + 20000, &st), FW_RL_LIMITED);
    assert_false(st.allowed);
    assert_int_equal(st.remaining, 0);
    assert_int_equal(st.reset_ms, T0 + WIN);
    /* Another key is independent. */
    fw_rl_key k2 = {7, 43, 1};
    assert_int_equal(take1(rl, k2, 15, WIN, T0 + 20000, &st), FW_OK);
    assert_int_equal(st.remaining, 14);
    fw_rl_free(rl);
}

static void test_reset_seconds_round_up(void **state)
{
    (void)state;
    fw_rl *rl = mk(64);
    fw_rl_state st;
    assert_int_equal(take1(rl, (fw_rl_key){1, 1, 1}, 5, 1500, 1001, &st), FW_OK);
    assert_int_equal(st.reset_ms, 2501);
    assert_int_equal(st.reset_s, 3); /* never earlier than the real reset */
    fw_rl_free(rl);
}

static void test_window_reset(void **state)
{
    (void)state;
    fw_rl *rl = mk(1024);
    fw_rl_key k = {1, 2, 3};
    fw_rl_state st;
    for (int i = 0; i < 3; i++)
        assert_int_equal(take1(rl, k, 3, WIN, T0, &st), FW_OK);
    assert_int_equal(take1(rl, k, 3, WIN, T0 + WIN - 1, &st), FW_RL_LIMITED);
    /* At the reset instant a new window opens, anchored at this take. */
    assert_int_equal(take1(rl, k, 3, WIN, T0 + WIN, &st), FW_OK);
    assert_int_equal(st.remaining, 2);
    assert_int_equal(st.reset_ms, T0 + 2 * WIN);
    assert_int_equal(take1(rl, k, 3, WIN, T0 + WIN + 5, &st), FW_OK);
    assert_int_equal(st.remaining, 1);
    fw_rl_free(rl);
}

static void test_zero_limit_and_peek(void **state)
{
    (void)state;
    fw_rl *rl = mk(1024);
    fw_rl_key k = {1, 0, 9};
    fw_rl_state st;
    assert_int_equal(take1(rl, k, 0, WIN, T0, &st), FW_RL_LIMITED);
    assert_int_equal(fw_rl_count(rl), 0); /* refused takes create nothing */
    uint32_t lim = 4;
    int64_t win = WIN;
    assert_int_equal(rl_peek(rl, &k, &lim, &win, 1, T0, &st), FW_OK);
    assert_int_equal(st.remaining, 4);
    assert_int_equal(st.reset_ms, T0 + WIN);
    assert_int_equal(fw_rl_count(rl), 0); /* peeks create nothing */
    assert_int_equal(take1(rl, k, 4, WIN, T0, &st), FW_OK);
    assert_int_equal(rl_peek(rl, &k, &lim, &win, 1, T0 + 1, &st), FW_OK);
    assert_int_equal(st.remaining, 3);
    /* A lowered limit reports 0 remaining, never wraps. */
    lim = 1;
    assert_int_equal(take1(rl, k, 4, WIN, T0, &st), FW_OK);
    assert_int_equal(rl_peek(rl, &k, &lim, &win, 1, T0 + 1, &st), FW_RL_LIMITED);
    assert_int_equal(st.remaining, 0);
    fw_rl_free(rl);
}

static void test_all_or_none(void **state)
{
    (void)state;
    fw_rl *rl = mk(1024);
    fw_rl_key keys[2] = {{1, 5, 1}, {1, 0, 2}};
    uint32_t limits[2] = {2, 5};
    int64_t wins[2] = {WIN, 86400000};
    fw_rl_state st[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(rl_take(rl, keys, limits, wins, 2, T0, st), FW_OK);
    assert_int_equal(st[1].remaining, 3);
    assert_int_equal(rl_take(rl, keys, limits, wins, 2, T0, st), FW_RL_LIMITED);
    assert_false(st[0].allowed);
    assert_true(st[1].allowed);
    assert_int_equal(st[1].remaining, 3);
    /* The refused call took nothing from the second key. */
    assert_int_equal(rl_peek(rl, &keys[1], &limits[1], &wins[1], 1, T0, st), FW_OK);
    assert_int_equal(st[0].remaining, 3);
    /* Now exhaust the second key alone; the pair refuses on it. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(rl_take(rl, &keys[1], &limits[1], &wins[1], 1, T0, st), FW_OK);
    assert_int_equal(rl_take(rl, keys, limits, wins, 2, T0 + WIN, st), FW_RL_LIMITED);
    assert_true(st[0].allowed); /* the first key's window had reset */
    assert_int_equal(st[0].remaining, 2);
    assert_false(st[1].allowed);
    /* A key refused in the same call is not created: nothing new exists. */
    fw_rl_key k3[2] = {{9, 9, 9}, {1, 0, 2}};
    assert_int_equal(fw_rl_count(rl), 2);
    assert_int_equal(rl_take(rl, k3, limits, wins, 2, T0, st), FW_RL_LIMITED);
    assert_int_equal(fw_rl_count(rl), 2);
    fw_rl_free(rl);
}

static void test_refund(void **state)
{
    (void)state;
    fw_rl *rl = mk(1024);
    fw_rl_key keys[2] = {{3, 4, 1}, {3, 0, 2}};
    uint32_t limits[2] = {10, 10};
    int64_t wins[2] = {WIN, WIN};
    fw_rl_state st[2], st2[2];
    assert_int_equal(rl_take(rl, keys, limits, wins, 2, T0, st), FW_OK);
    assert_int_equal(rl_take(rl, keys, limits, wins, 2, T0, st2), FW_OK);
    assert_int_equal(st2[0].remaining, 8);
    assert_int_equal(fw_rl_refund(rl, keys, st2, 2), 2);
    assert_int_equal(st2[0].remaining, 9);
    assert_int_equal(st2[1].remaining, 9);
    assert_int_equal(rl_peek(rl, keys, limits, wins, 2, T0, st2), FW_OK);
    assert_int_equal(st2[0].remaining, 9);
    /* A refund for a window that has since been replaced gives nothing back. */
    assert_int_equal(rl_take(rl, keys, limits, wins, 2, T0 + WIN, st2), FW_OK);
    assert_int_equal(st2[0].remaining, 9);
    assert_int_equal(fw_rl_refund(rl, keys, st, 2), 0);
    assert_int_equal(rl_peek(rl, keys, limits, wins, 2, T0 + WIN, st2), FW_OK);
    assert_int_equal(st2[0].remaining, 9);
    /* A refund never pushes used below zero. */
    assert_int_equal(fw_rl_refund(rl, keys, st2, 2), 2);
    assert_int_equal(fw_rl_refund(rl, keys, st2, 2), 0);
    /* Unknown keys are simply skipped. */
    fw_rl_key unknown = {99, 99, 99};
    assert_int_equal(fw_rl_refund(rl, &unknown, st2, 1), 0);
    fw_rl_free(rl);
}

static void test_invalid_args(void **state)
{
    (void)state;
    fw_rl *rl = mk(64);
    fw_rl_key keys[FW_RL_MAX_KEYS + 1];
    uint32_t limits[FW_RL_MAX_KEYS + 1];
    int64_t wins[FW_RL_MAX_KEYS + 1];
    fw_rl_state st[FW_RL_MAX_KEYS + 1];
    for (int i = 0; i <= FW_RL_MAX_KEYS; i++) {
        keys[i] = (fw_rl_key){1, (uint64_t)i, 1};
        limits[i] = 5;
        wins[i] = WIN;
    }
    assert_int_equal(rl_take(rl, keys, limits, wins, 0, T0, st), FW_EINVAL);
    assert_int_equal(rl_take(rl, keys, limits, wins, FW_RL_MAX_KEYS + 1, T0, st), FW_EINVAL);
    assert_int_equal(rl_take(rl, keys, limits, wins, FW_RL_MAX_KEYS, T0, st), FW_OK);
    assert_int_equal(rl_take(rl, keys, limits, wins, 1, -1, st), FW_EINVAL);
    wins[0] = 0;
    assert_int_equal(rl_take(rl, keys, limits, wins, 1, T0, st), FW_EINVAL);
    wins[0] = FW_RL_MAX_WINDOW_MS + 1;
    assert_int_equal(rl_peek(rl, keys, limits, wins, 1, T0, st), FW_EINVAL);
    wins[0] = WIN;
    keys[1] = keys[0];
    assert_int_equal(rl_take(rl, keys, limits, wins, 2, T0, st), FW_EINVAL);
    assert_int_equal(fw_rl_refund(rl, keys, st, 2), FW_EINVAL);
    fw_rl_free(rl);
    fw_rl *bad = (fw_rl *)1;
    assert_int_equal(fw_rl_new(0, &bad), FW_EINVAL);
    assert_null(bad);
}

/* ------------------------------------------------------------------------
 * Concurrency. */

#define NTHREADS 8
#define TRIES 100000     /* per thread; enough to expose any lost update */
#define ONE_LIMIT 300000 /* single shared bucket */
#define APP_LIMIT 200000 /* shared key of the multi-key run */
#define USER_LIMIT 50000 /* each thread's own key: 8 x 50000 > APP_LIMIT */

typedef struct hammer {
    fw_rl *rl;
    int id;
    bool multi; /* own user key + the shared app key */
    pthread_barrier_t *start;
    int ok;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    fw_rl_key keys[2] = {{1, 0, 7}, {1, (uint64_t)h->id + 1, 8}};
    uint32_t limits[2] = {h->multi ? APP_LIMIT : ONE_LIMIT, USER_LIMIT};
    int64_t wins[2] = {WIN, WIN};
    fw_rl_state st[2];
    pthread_barrier_wait(h->start);
    for (int i = 0; i < TRIES; i++) {
        int rc = rl_take(h->rl, keys, limits, wins, h->multi ? 2 : 1, T0 + i, st);
        if (rc == FW_OK)
            h->ok++;
        else if (rc != FW_RL_LIMITED)
            h->ok = -1000000; /* any error fails the test */
    }
    return NULL;
}

static int run_hammer(fw_rl *rl, bool multi, hammer *hs)
{
    pthread_t th[NTHREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++) {
        hs[i] = (hammer){.rl = rl, .id = i, .multi = multi, .start = &start};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &hs[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        total += hs[i].ok;
    }
    pthread_barrier_destroy(&start);
    return total;
}

static void test_threads_one_bucket(void **state)
{
    (void)state;
    fw_rl *rl = mk(1024);
    hammer hs[NTHREADS];
    /* 8 x 100000 attempts on a 300000-unit bucket: exactly 300000 succeed. */
    assert_int_equal(run_hammer(rl, false, hs), ONE_LIMIT);
    fw_rl_free(rl);
}

static void test_threads_all_or_none(void **state)
{
    (void)state;
    fw_rl *rl = mk(1024);
    hammer hs[NTHREADS];
    /* Each thread may take USER_LIMIT of its own key; all share APP_LIMIT. */
    assert_int_equal(run_hammer(rl, true, hs), APP_LIMIT);
    fw_rl_key app = {1, 0, 7};
    uint32_t lim = APP_LIMIT;
    int64_t win = WIN;
    fw_rl_state st;
    assert_int_equal(rl_peek(rl, &app, &lim, &win, 1, T0 + TRIES, &st), FW_RL_LIMITED);
    assert_int_equal(st.remaining, 0);
    int users_used = 0;
    for (int i = 0; i < NTHREADS; i++) {
        fw_rl_key uk = {1, (uint64_t)i + 1, 8};
        uint32_t ul = USER_LIMIT;
        assert_true(hs[i].ok <= USER_LIMIT);
        (void)rl_peek(rl, &uk, &ul, &win, 1, T0 + TRIES, &st);
        assert_int_equal(USER_LIMIT - st.remaining, hs[i].ok); /* both sides moved together */
        users_used += (int)(USER_LIMIT - st.remaining);
    }
    assert_int_equal(users_used, APP_LIMIT);
    fw_rl_free(rl);
}

/* ------------------------------------------------------------------------
 * Bounded memory. */

static int fill_distinct(fw_rl *rl, uint64_t base, int n, int64_t now, int64_t win)
{
    int ok = 0;
    fw_rl_state st;
    for (int i = 0; i < n; i++) {
        int rc = take1(rl, (fw_rl_key){base + (uint64_t)i, 0, 1}, 10, win, now, &st);
        if (rc == FW_OK)
            ok++;
        else
            assert_int_equal(rc, FW_EFULL);
    }
    return ok;
}

static void test_eviction_bounded(void **state)
{
    (void)state;
    fw_rl *rl = mk(64); /* one bucket per shard */
    assert_int_equal(fw_rl_capacity(rl), 64);
    /* 1000 keys over 64 shards fill every shard; the rest are refused. */
    assert_int_equal(fill_distinct(rl, 1, 1000, T0, 1000), 64);
    assert_int_equal(fw_rl_count(rl), 64);
    /* Live buckets keep working while the table is full. */
    fw_rl_state st;
    int live_ok = 0;
    for (uint64_t i = 1; i <= 1000 && live_ok < 64; i++)
        live_ok += take1(rl, (fw_rl_key){i, 0, 1}, 10, 1000, T0 + 1, &st) == FW_OK;
    assert_int_equal(live_ok, 64);
    /* Once their windows are over, the expired buckets make room. */
    assert_int_equal(fill_distinct(rl, 100000, 1000, T0 + 1000, 1000), 64);
    assert_int_equal(fw_rl_count(rl), 64);
    assert_int_equal(fw_rl_sweep(rl, T0 + 1999), 0);
    assert_int_equal(fw_rl_sweep(rl, T0 + 2000), 64);
    assert_int_equal(fw_rl_count(rl), 0);
    fw_rl_free(rl);
}

static void test_eviction_many_windows(void **state)
{
    (void)state;
    fw_rl *rl = mk(4096);
    size_t cap = fw_rl_capacity(rl);
    assert_int_equal(cap, 4096);
    /* 40 rounds of 2000 new keys, each round one window later: memory stays
     * bounded and every round's keys fit because the previous ones expired. */
    for (int r = 0; r < 40; r++) {
        assert_int_equal(fill_distinct(rl, (uint64_t)r * 1000000, 2000, T0 + r * 1000, 1000), 2000);
        assert_true(fw_rl_count(rl) <= cap);
    }
    fw_rl_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_exact),
        cmocka_unit_test(test_reset_seconds_round_up),
        cmocka_unit_test(test_window_reset),
        cmocka_unit_test(test_zero_limit_and_peek),
        cmocka_unit_test(test_all_or_none),
        cmocka_unit_test(test_refund),
        cmocka_unit_test(test_invalid_args),
        cmocka_unit_test(test_threads_one_bucket),
        cmocka_unit_test(test_threads_all_or_none),
        cmocka_unit_test(test_eviction_bounded),
        cmocka_unit_test(test_eviction_many_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
