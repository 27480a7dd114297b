/* Unit tests for src/limits/policy.c: X's endpoint table, --limits parsing,
 * access levels, daily caps (the seed's worked example), refunds, and a
 * two-thread measurement of fw_limits_check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "limits/policy.h"
#include "store/store.h"

#define T0 1700000000000LL
#define MIN15 900000LL
#define DAY 86400000LL
#define APP 77

static fw_limits *mk(const char *spec)
{
    fw_limits_config c;
    fw_limits_defaults(&c);
    char err[128];
    if (spec)
        assert_int_equal(fw_limits_parse(&c, spec, err, sizeof err), 0);
    fw_limits *l = NULL;
    assert_int_equal(fw_limits_new(&c, &l), 0);
    return l;
}

static int check(fw_limits *l, int ep, uint64_t user, int level, bool daily, int64_t now, fw_limit_decision *d)
{
    assert_int_equal(fw_limits_check(l, ep, APP, user, level, daily, now, d), 0);
    return d->verdict;
}

/* ------------------------------------------------------------------------
 * Configuration. */

static void test_defaults(void **state)
{
    (void)state;
    fw_limits_config c;
    fw_limits_defaults(&c);
    assert_true(c.enabled);
    assert_int_equal(c.day_s, 86400);
    assert_int_equal(c.ep[FW_EP_FOLLOWERS].app_window, 15);
    assert_int_equal(c.ep[FW_EP_FOLLOWING].user_window, 15);
    assert_int_equal(c.ep[FW_EP_FOLLOWERS].level, FW_ACCESS_ENTERPRISE);
    assert_int_equal(c.ep[FW_EP_FOLLOW].user_window, 50);
    assert_int_equal(c.ep[FW_EP_FOLLOW].user_day, 400);
    assert_int_equal(c.ep[FW_EP_FOLLOW].app_day, 1000);
    assert_int_equal(c.ep[FW_EP_UNFOLLOW].user_window, 50);
    assert_int_equal(c.ep[FW_EP_UNFOLLOW].user_day, 0);
    assert_int_equal(c.ep[FW_EP_UNFOLLOW].app_day, 500);
    assert_int_equal(c.ep[FW_EP_USER_BY_ID].app_window, 300);
    assert_int_equal(c.ep[FW_EP_USER_BY_USERNAME].user_window, 900);
    assert_int_equal(c.ep[FW_EP_ME].user_window, 75);
    for (int e = 0; e < FW_EP__COUNT; e++)
        assert_int_equal(c.ep[e].window_s, 900);
    assert_int_equal(c.ep[FW_EP_FOLLOW].level, FW_ACCESS_FREE);
    assert_int_equal(c.ep[FW_EP_ME].level, FW_ACCESS_FREE);
}

static void test_parse_ok(void **state)
{
    (void)state;
    fw_limits_config c, d;
    fw_limits_defaults(&c);
    char err[128];
    assert_int_equal(fw_limits_parse(&c, "follow.user_15min=60,follow.user_day=300,lookup.level=basic", err, sizeof err),
                     0);
    assert_int_equal(c.ep[FW_EP_FOLLOW].user_window, 60);
    assert_int_equal(c.ep[FW_EP_FOLLOW].user_day, 300);
    assert_int_equal(c.ep[FW_EP_FOLLOWERS].level, FW_ACCESS_BASIC);
    assert_int_equal(c.ep[FW_EP_FOLLOWING].level, FW_ACCESS_BASIC);
    assert_int_equal(c.ep[FW_EP_FOLLOW].level, FW_ACCESS_FREE);
    assert_int_equal(fw_limits_parse(&c, " users.app_15min = 10 ,me.window_s=60, day_s=3600,enabled=off ", err,
                                     sizeof err),
                     0);
    assert_int_equal(c.ep[FW_EP_USER_BY_ID].app_window, 10);
    assert_int_equal(c.ep[FW_EP_USER_BY_USERNAME].app_window, 10);
    assert_int_equal(c.ep[FW_EP_ME].window_s, 60);
    assert_int_equal(c.day_s, 3600);
    assert_false(c.enabled);
    assert_int_equal(fw_limits_parse(&c, "all.level=pro,unfollow.app_day=0,max_buckets=1000,enabled=1", err,
                                     sizeof err),
                     0);
    for (int e = 0; e < FW_EP__COUNT; e++)
        assert_int_equal(c.ep[e].level, FW_ACCESS_PRO);
    assert_int_equal(c.ep[FW_EP_UNFOLLOW].app_day, 0);
    assert_int_equal(c.max_buckets, 1000);
    assert_true(c.enabled);
    d = c;
    assert_int_equal(fw_limits_parse(&c, "", err, sizeof err), 0);
    assert_memory_equal(&c, &d, sizeof c);
    assert_int_equal(fw_limits_parse(&c, "follow.user_day=4294967295", err, sizeof err), 0);
    assert_int_equal(c.ep[FW_EP_FOLLOW].user_day, 4294967295u);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "nope=1",                   /* unknown global key */
        "follow",                   /* no '=' */
        "follow.user_15min",        /* no '=' */
        "follow.user_15min=",       /* empty value */
        "bogus.user_15min=5",       /* unknown endpoint */
        "follow.user_week=5",       /* unknown field */
        "follow.user_15min=abc",    /* not a number */
        "follow.user_15min=-1",     /* sign */
        "follow.user_15min=1 0",    /* space inside */
        "follow.user_15min=4294967296", /* > UINT32_MAX */
        "follow.user_15min=99999999999999999999999", /* u64 overflow */
        "follow.window_s=0",
        "follow.window_s=31622401",
        "day_s=0",
        "max_buckets=0",
        "lookup.level=none",        /* standalone is never a level to require */
        "lookup.level=gold",
        "enabled=maybe",
        "follow.user_day=5,,me.user_15min=1", /* empty item */
        "follow.user_day=5,",       /* trailing comma */
        " ",
        "=5",
        ".level=free",
    };
    char err[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fw_limits_config c, before;
        fw_limits_defaults(&c);
        before = c;
        err[0] = '\0';
        /* Valid items before the bad one must not leak into c. */
        char spec[256];
        snprintf(spec, sizeof spec, "follow.user_15min=7,%s", bad[i]);
        if (fw_limits_parse(&c, spec, err, sizeof err) != -1)
            fail_msg("accepted bad spec: %s", spec);
        assert_memory_equal(&c, &before, sizeof c);
        assert_true(strncmp(err, "limits: ", 8) == 0);
    }
    /* Over-long specs are refused whole. */
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fw_limits_config c;
    fw_limits_defaults(&c);
    assert_int_equal(fw_limits_parse(&c, big, err, sizeof err), -1);
    /* A tiny error buffer is still NUL-terminated. */
    char tiny[4];
    assert_int_equal(fw_limits_parse(&c, "x=1", tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), 3);
}

static void test_new_rejects_bad_config(void **state)
{
    (void)state;
    fw_limits_config c;
    fw_limits *l = NULL;
    fw_limits_defaults(&c);
    c.ep[FW_EP_ME].window_s = 0;
    assert_int_equal(fw_limits_new(&c, &l), FW_EINVAL);
    fw_limits_defaults(&c);
    c.ep[FW_EP_ME].level = FW_ACCESS_NONE;
    assert_int_equal(fw_limits_new(&c, &l), FW_EINVAL);
    fw_limits_defaults(&c);
    c.day_s = 0;
    assert_int_equal(fw_limits_new(&c, &l), FW_EINVAL);
    fw_limits_defaults(&c);
    c.max_buckets = 0;
    assert_int_equal(fw_limits_new(&c, &l), FW_EINVAL);
    assert_null(l);
    l = mk(NULL);
    fw_limit_decision d;
    assert_int_equal(fw_limits_check(l, FW_EP__COUNT, APP, 1, FW_ACCESS_FREE, false, T0, &d), FW_EINVAL);
    assert_int_equal(fw_limits_check(l, -1, APP, 1, FW_ACCESS_FREE, false, T0, &d), FW_EINVAL);
    assert_int_equal(fw_limits_check(l, FW_EP_ME, APP, 1, 9, false, T0, &d), FW_EINVAL);
    assert_int_equal(fw_limits_check(l, FW_EP_ME, APP, 1, FW_ACCESS_FREE, false, -5, &d), FW_EINVAL);
    fw_limits_free(l);
}

/* ------------------------------------------------------------------------
 * Access levels. */

static void test_access_levels(void **state)
{
    (void)state;
    fw_limits *l = mk(NULL);
    fw_limit_decision d;
    /* Standalone apps are refused everywhere, and nothing is counted. */
    for (int e = 0; e < FW_EP__COUNT; e++) {
        assert_int_equal(check(l, e, 5, FW_ACCESS_NONE, true, T0, &d), FW_LIMIT_STANDALONE);
        assert_int_equal(fw_limit_http_status(d.verdict), 403);
        assert_string_equal(d.required_enrollment, "Appropriate Level of API Access");
        assert_int_equal(d.window.remaining, d.window.limit);
        assert_false(d.daily_taken);
        assert_int_equal(check(l, e, 0, FW_ACCESS_NONE, false, T0, &d), FW_LIMIT_STANDALONE);
    }
    /* Follows lookup needs Enterprise by default. */
    for (int lvl = FW_ACCESS_FREE; lvl < FW_ACCESS_ENTERPRISE; lvl++) {
        assert_int_equal(check(l, FW_EP_FOLLOWERS, 5, lvl, false, T0, &d), FW_LIMIT_LEVEL);
        assert_int_equal(fw_limit_http_status(d.verdict), 403);
        assert_int_equal(d.window.remaining, 15); /* refused requests are not counted */
        assert_int_equal(check(l, FW_EP_FOLLOWING, 0, lvl, false, T0, &d), FW_LIMIT_LEVEL);
    }
    assert_int_equal(check(l, FW_EP_FOLLOWERS, 5, FW_ACCESS_ENTERPRISE, false, T0, &d), FW_LIMIT_OK);
    assert_null(d.required_enrollment);
    assert_int_equal(d.window.remaining, 14);
    assert_int_equal(fw_limit_http_status(d.verdict), 0);
    /* Manage follows and users lookup: Free and above. */
    int free_eps[] = {FW_EP_FOLLOW, FW_EP_UNFOLLOW, FW_EP_USER_BY_ID, FW_EP_USER_BY_USERNAME, FW_EP_ME};
    for (size_t i = 0; i < sizeof free_eps / sizeof free_eps[0]; i++)
        for (int lvl = FW_ACCESS_FREE; lvl <= FW_ACCESS_ENTERPRISE; lvl++)
            assert_int_equal(check(l, free_eps[i], 10 + (uint64_t)lvl, lvl, false, T0, &d), FW_LIMIT_OK);
    fw_limits_free(l);
    /* The requirement is configuration. */
    l = mk("lookup.level=basic");
    assert_int_equal(check(l, FW_EP_FOLLOWING, 5, FW_ACCESS_FREE, false, T0, &d), FW_LIMIT_LEVEL);
    assert_int_equal(check(l, FW_EP_FOLLOWING, 5, FW_ACCESS_BASIC, false, T0, &d), FW_LIMIT_OK);
    fw_limits_free(l);
}

static void test_access_header(void **state)
{
    (void)state;
    assert_string_equal(fw_limits_access_header(FW_CRED_APP_BEARER), "read");
    assert_string_equal(fw_limits_access_header(FW_CRED_OAUTH2_USER), "read-write");
    assert_string_equal(fw_limits_access_header(FW_CRED_OAUTH1_USER), "read-write-directmessages");
    assert_null(fw_limits_access_header(FW_CRED_OAUTH2_REFRESH));
    fw_limits *l = mk(NULL);
    assert_int_equal(fw_limit_http_status(FW_LIMIT_WINDOW), 429);
    assert_int_equal(fw_limit_http_status(FW_LIMIT_DAILY), 429);
    assert_int_equal(fw_limit_http_status(FW_LIMIT_FULL), 429);
    fw_limits_free(l);
}

/* ------------------------------------------------------------------------
 * Windows. */

static void test_windows(void **state)
{
    (void)state;
    fw_limits *l = mk(NULL);
    fw_limit_decision d;
    /* /2/users/me: 75 per user per 15 minutes. */
    for (int i = 0; i < 75; i++) {
        assert_int_equal(check(l, FW_EP_ME, 1, FW_ACCESS_FREE, false, T0 + i, &d), FW_LIMIT_OK);
        assert_int_equal(d.window.limit, 75);
        assert_int_equal(d.window.remaining, 74 - i);
        assert_int_equal(d.window.reset_s, (T0 + MIN15) / 1000);
        assert_false(d.has_user_day);
        assert_false(d.has_app_day);
    }
    assert_int_equal(check(l, FW_EP_ME, 1, FW_ACCESS_FREE, false, T0 + 100, &d), FW_LIMIT_WINDOW);
    assert_int_equal(fw_limit_http_status(d.verdict), 429);
    assert_int_equal(d.window.remaining, 0);
    /* Other users, other endpoints and the same user through another app are separate. */
    assert_int_equal(check(l, FW_EP_ME, 2, FW_ACCESS_FREE, false, T0, &d), FW_LIMIT_OK);
    assert_int_equal(check(l, FW_EP_USER_BY_ID, 1, FW_ACCESS_FREE, false, T0, &d), FW_LIMIT_OK);
    assert_int_equal(d.window.limit, 900);
    assert_int_equal(fw_limits_check(l, FW_EP_ME, APP + 1, 1, FW_ACCESS_FREE, false, T0, &d), 0);
    assert_int_equal(d.verdict, FW_LIMIT_OK);
    /* The window reopens after 15 minutes. */
    assert_int_equal(check(l, FW_EP_ME, 1, FW_ACCESS_FREE, false, T0 + MIN15, &d), FW_LIMIT_OK);
    assert_int_equal(d.window.remaining, 74);
    /* App-only callers share the per-app window. */
    for (int i = 0; i < 300; i++)
        assert_int_equal(check(l, FW_EP_USER_BY_USERNAME, 0, FW_ACCESS_BASIC, false, T0, &d), FW_LIMIT_OK);
    assert_int_equal(check(l, FW_EP_USER_BY_USERNAME, 0, FW_ACCESS_BASIC, false, T0, &d), FW_LIMIT_WINDOW);
    assert_int_equal(d.window.limit, 300);
    /* ... while user-context callers of the same app are counted per user. */
    assert_int_equal(check(l, FW_EP_USER_BY_USERNAME, 9, FW_ACCESS_BASIC, false, T0, &d), FW_LIMIT_OK);
    /* An endpoint with app limit 0 refuses app-only callers (the API rejects them first). */
    assert_int_equal(check(l, FW_EP_FOLLOW, 0, FW_ACCESS_FREE, false, T0, &d), FW_LIMIT_WINDOW);
    fw_limits_free(l);
}

/* ------------------------------------------------------------------------
 * Daily caps. */

/* One follow by user; waits out the 15-minute window like a patient client. */
static int follow(fw_limits *l, uint64_t user, int64_t *now, fw_limit_decision *d)
{
    for (;;) {
        int v = check(l, FW_EP_FOLLOW, user, FW_ACCESS_FREE, true, *now, d);
        if (v != FW_LIMIT_WINDOW)
            return v;
        *now += MIN15;
    }
}

static void test_daily_worked_example(void **state)
{
    (void)state;
    fw_limits *l = mk(NULL);
    fw_limit_decision d;
    int64_t now = T0;
    /* Users 1 and 2 follow 400 each. */
    for (uint64_t u = 1; u <= 2; u++) {
        int64_t first = now;
        for (int i = 0; i < 400; i++) {
            assert_int_equal(follow(l, u, &now, &d), FW_LIMIT_OK);
            /* Rolling from the user's first follow; the app's from the app's first. */
            assert_int_equal(d.user_day.reset_ms, first + DAY);
            assert_int_equal(d.app_day.reset_ms, T0 + DAY);
            assert_true(d.has_user_day && d.has_app_day);
            assert_int_equal(d.user_day.limit, 400);
            assert_int_equal(d.user_day.remaining, 399 - i);
            assert_int_equal(d.app_day.limit, 1000);
        }
        assert_int_equal(follow(l, u, &now, &d), FW_LIMIT_DAILY);
        assert_int_equal(fw_limit_http_status(d.verdict), 429);
        assert_int_equal(d.user_day.remaining, 0);
        assert_false(d.daily_taken);
    }
    assert_int_equal(d.app_day.remaining, 200);
    assert_true(now < T0 + DAY);
    /* Users 3..5 share the remaining 200, round robin until refused. */
    int got[6] = {0};
    int total = 0;
    for (bool progress = true; progress;) {
        progress = false;
        for (uint64_t u = 3; u <= 5; u++) {
            int v = follow(l, u, &now, &d);
            if (v == FW_LIMIT_OK) {
                got[u]++, total++;
                progress = true;
            } else {
                assert_int_equal(v, FW_LIMIT_DAILY);
                assert_int_equal(d.app_day.remaining, 0);
                assert_true(d.user_day.remaining > 0); /* the app cap refused, not theirs */
            }
        }
    }
    assert_int_equal(total, 200);
    assert_int_equal(got[3] + got[4] + got[5], 200);
    assert_true(got[3] >= 66 && got[4] >= 66 && got[5] >= 66);
    /* All or none: the refused follows took nothing from the users' caps. */
    for (uint64_t u = 3; u <= 5; u++) {
        assert_int_equal(follow(l, u, &now, &d), FW_LIMIT_DAILY);
        assert_int_equal(d.user_day.remaining, 400 - got[u]);
    }
    assert_true(now < T0 + DAY);
    /* Rolling 24 h from the first action: everything is available again. */
    now = T0 + DAY;
    assert_int_equal(follow(l, 1, &now, &d), FW_LIMIT_OK);
    assert_int_equal(d.user_day.remaining, 399);
    assert_int_equal(d.app_day.remaining, 999);
    fw_limits_free(l);
}

static void test_daily_user_cap_spares_app(void **state)
{
    (void)state;
    fw_limits *l = mk("follow.user_day=3,follow.app_day=10");
    fw_limit_decision d;
    for (int i = 0; i < 3; i++)
        assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, true, T0, &d), FW_LIMIT_OK);
    assert_int_equal(d.app_day.remaining, 7);
    assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, true, T0, &d), FW_LIMIT_DAILY);
    assert_int_equal(d.user_day.remaining, 0);
    assert_int_equal(d.app_day.remaining, 7); /* the app unit was not taken */
    assert_int_equal(d.window.remaining, 47); /* nor the window unit */
    /* The user cap is per user across apps (X's account limit). */
    assert_int_equal(fw_limits_check(l, FW_EP_FOLLOW, APP + 1, 1, FW_ACCESS_FREE, true, T0, &d), 0);
    assert_int_equal(d.verdict, FW_LIMIT_DAILY);
    assert_int_equal(d.app_day.remaining, 10);
    /* A request that does not count daily still reports the caps, and passes. */
    assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, false, T0, &d), FW_LIMIT_OK);
    assert_true(d.has_user_day && d.has_app_day);
    assert_int_equal(d.user_day.remaining, 0);
    assert_int_equal(d.app_day.remaining, 7);
    assert_false(d.daily_taken);
    assert_int_equal(d.window.remaining, 46);
    fw_limits_free(l);
}

static void test_unfollow_cap(void **state)
{
    (void)state;
    fw_limits *l = mk("unfollow.user_15min=1000");
    fw_limit_decision d;
    for (int i = 0; i < 500; i++) {
        assert_int_equal(check(l, FW_EP_UNFOLLOW, 1 + (uint64_t)(i % 7), FW_ACCESS_FREE, true, T0, &d),
                         FW_LIMIT_OK);
        assert_false(d.has_user_day);
        assert_true(d.has_app_day);
        assert_int_equal(d.app_day.remaining, 499 - i);
    }
    assert_int_equal(check(l, FW_EP_UNFOLLOW, 8, FW_ACCESS_FREE, true, T0, &d), FW_LIMIT_DAILY);
    /* Follows have their own caps. */
    assert_int_equal(check(l, FW_EP_FOLLOW, 8, FW_ACCESS_FREE, true, T0, &d), FW_LIMIT_OK);
    assert_int_equal(d.app_day.remaining, 999);
    fw_limits_free(l);
}

static void test_refund(void **state)
{
    (void)state;
    fw_limits *l = mk(NULL);
    fw_limit_decision d, d2;
    assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, true, T0, &d), FW_LIMIT_OK);
    assert_true(d.daily_taken);
    assert_int_equal(d.user_day.remaining, 399);
    assert_int_equal(d.app_day.remaining, 999);
    /* The follow was a no-op: both daily units come back, the window unit does not. */
    assert_int_equal(fw_limits_refund(l, &d), 2);
    assert_false(d.daily_taken);
    assert_int_equal(d.user_day.remaining, 400);
    assert_int_equal(d.app_day.remaining, 1000);
    assert_int_equal(fw_limits_refund(l, &d), 0); /* idempotent */
    assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, true, T0 + 1, &d2), FW_LIMIT_OK);
    assert_int_equal(d2.user_day.remaining, 399);
    assert_int_equal(d2.app_day.remaining, 999);
    assert_int_equal(d2.window.remaining, 48);
    /* Refused or non-counting decisions have nothing to refund. */
    assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, false, T0 + 2, &d), FW_LIMIT_OK);
    assert_int_equal(fw_limits_refund(l, &d), 0);
    assert_int_equal(check(l, FW_EP_FOLLOW, 2, FW_ACCESS_NONE, true, T0 + 2, &d), FW_LIMIT_STANDALONE);
    assert_int_equal(fw_limits_refund(l, &d), 0);
    /* A refund after the cap period reset gives nothing to the new period. */
    assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, true, T0 + DAY, &d), FW_LIMIT_OK);
    assert_int_equal(fw_limits_refund(l, &d2), 0);
    assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, false, T0 + DAY, &d), FW_LIMIT_OK);
    assert_int_equal(d.user_day.remaining, 399);
    fw_limits_free(l);
}

static void test_disabled(void **state)
{
    (void)state;
    fw_limits *l = mk("enabled=0");
    fw_limit_decision d;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(check(l, FW_EP_ME, 1, FW_ACCESS_FREE, true, T0, &d), FW_LIMIT_OK);
        assert_int_equal(d.window.limit, 75);
        assert_int_equal(d.window.remaining, 75);
    }
    assert_int_equal(check(l, FW_EP_FOLLOW, 1, FW_ACCESS_FREE, true, T0, &d), FW_LIMIT_OK);
    assert_false(d.daily_taken);
    /* Access levels still apply. */
    assert_int_equal(check(l, FW_EP_ME, 1, FW_ACCESS_NONE, false, T0, &d), FW_LIMIT_STANDALONE);
    assert_int_equal(check(l, FW_EP_FOLLOWERS, 1, FW_ACCESS_PRO, false, T0, &d), FW_LIMIT_LEVEL);
    fw_limits_free(l);
}

static void test_table_full(void **state)
{
    (void)state;
    fw_limits *l = mk("max_buckets=64");
    fw_limit_decision d;
    int ok = 0, full = 0;
    for (uint64_t u = 1; u <= 1000; u++) {
        int v = check(l, FW_EP_ME, u, FW_ACCESS_FREE, false, T0, &d);
        if (v == FW_LIMIT_OK) {
            ok++;
        } else {
            assert_int_equal(v, FW_LIMIT_FULL);
            assert_int_equal(fw_limit_http_status(v), 429);
            assert_int_equal(d.window.remaining, 0);
            assert_true(d.window.reset_ms > T0);
            full++;
        }
    }
    assert_int_equal(ok, 64);
    assert_int_equal(full, 936);
    /* After the window, the expired buckets make room again. */
    assert_int_equal(check(l, FW_EP_ME, 5000, FW_ACCESS_FREE, false, T0 + MIN15, &d), FW_LIMIT_OK);
    fw_limits_free(l);
}

/* ------------------------------------------------------------------------
 * Two threads: exactness under contention, and the cost of a check. */

#define BENCH_N 200000

typedef struct bench {
    fw_limits *l;
    int ep;
    uint64_t user_base; /* 0: app-only, all threads on one bucket */
    int ok;
    pthread_barrier_t *start;
} bench;

static void *bench_run(void *arg)
{
    bench *b = arg;
    fw_limit_decision d;
    pthread_barrier_wait(b->start);
    for (int i = 0; i < BENCH_N; i++) {
        uint64_t user = b->user_base ? b->user_base + (uint64_t)(i & 1023) : 0;
        if (fw_limits_check(b->l, b->ep, APP, user, FW_ACCESS_ENTERPRISE, true, T0 + i / 1000, &d) == 0 &&
            d.verdict == FW_LIMIT_OK)
            b->ok++;
    }
    return NULL;
}

static double run_pair(fw_limits *l, int ep, bool shared, int *ok)
{
    pthread_t th[2];
    bench b[2];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 3);
    for (int i = 0; i < 2; i++) {
        b[i] = (bench){.l = l, .ep = ep, .user_base = shared ? 0 : 1 + (uint64_t)i * 100000, .start = &start};
        assert_int_equal(pthread_create(&th[i], NULL, bench_run, &b[i]), 0);
    }
    struct timespec t0, t1;
    pthread_barrier_wait(&start);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_barrier_destroy(&start);
    *ok = b[0].ok + b[1].ok;
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    return ns / BENCH_N; /* wall time per check per thread */
}

static void test_two_threads(void **state)
{
    (void)state;
    int ok;
    /* Distinct users (the common case): every check passes. */
    fw_limits *l = mk("users.user_15min=4000000000");
    double ns = run_pair(l, FW_EP_USER_BY_ID, false, &ok);
    assert_int_equal(ok, 2 * BENCH_N);
    print_message("# fw_limits_check, 2 threads, distinct users: %.0f ns/check\n", ns);
    fw_limits_free(l);
    /* One app-only bucket shared by both threads: exactly the limit passes. */
    l = mk("users.app_15min=123457");
    ns = run_pair(l, FW_EP_USER_BY_ID, true, &ok);
    assert_int_equal(ok, 123457);
    print_message("# fw_limits_check, 2 threads, one shared bucket: %.0f ns/check\n", ns);
    fw_limits_free(l);
    /* Follows with both daily caps (three buckets per check). */
    l = mk("follow.user_15min=4000000000,follow.user_day=4000000000,follow.app_day=4000000000");
    ns = run_pair(l, FW_EP_FOLLOW, false, &ok);
    assert_int_equal(ok, 2 * BENCH_N);
    print_message("# fw_limits_check, 2 threads, follow (window + 2 daily caps): %.0f ns/check\n", ns);
    fw_limits_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_new_rejects_bad_config),
        cmocka_unit_test(test_access_levels),
        cmocka_unit_test(test_access_header),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_daily_worked_example),
        cmocka_unit_test(test_daily_user_cap_spares_app),
        cmocka_unit_test(test_unfollow_cap),
        cmocka_unit_test(test_refund),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
