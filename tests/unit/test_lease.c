/* Unit tests for src/limits/lease.c: one node's lease arithmetic (spending,
 * refunds, what is reported, chunk sizes, when a lease goes back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "limits/lease.h"

#define T0 1700000000000LL
#define WIN 900000LL
#define USE 1000

/* A grant of `granted` units in the window ending at end. */
static fw_lease_res grant(uint32_t granted, int64_t end, uint32_t rest, uint32_t others, uint32_t nodes)
{
    return (fw_lease_res){.granted = granted, .window_end_ms = end, .rest = rest, .others = others, .nodes = nodes};
}

/* A report and renewal as the lease thread makes it. */
static void renew(fw_lease *l, const fw_lease_res *r, int64_t now)
{
    int32_t spent;
    fw_lease_begin(l, &spent);
    fw_lease_granted(l, r, spent, now, USE);
}

static void test_fresh_lease_wants_a_quarter(void **state)
{
    (void)state;
    fw_lease l = {0};
    assert_false(fw_lease_usable(&l, T0));
    assert_int_equal(fw_lease_want(&l, 50), 12);
    assert_int_equal(fw_lease_want(&l, 3), 1); /* never 0 */
    assert_int_equal(fw_lease_want(&l, 1), 1);
    assert_false(fw_lease_due(&l, T0, 100)); /* nothing held, nothing to report */
}

static void test_spend_refund_and_remaining(void **state)
{
    (void)state;
    fw_lease l = {0};
    int32_t spent;
    fw_lease_begin(&l, &spent);
    assert_int_equal(spent, 0);
    fw_lease_res r = grant(12, T0 + WIN, 38, 0, 1);
    fw_lease_granted(&l, &r, spent, T0, USE);
    assert_true(fw_lease_usable(&l, T0));
    assert_int_equal(fw_lease_remaining(&l), 50);
    for (int i = 0; i < 12; i++)
        fw_lease_spend(&l, T0 + i);
    assert_false(fw_lease_usable(&l, T0 + 12)); /* spent out */
    assert_int_equal(l.spent, 12);
    assert_int_equal(fw_lease_remaining(&l), 38);
    /* A refund to the same window gives the unit back; another window's is ignored. */
    assert_true(fw_lease_refund(&l, T0 + WIN));
    assert_false(fw_lease_refund(&l, T0 + WIN + 1));
    assert_int_equal(l.units, 1);
    assert_int_equal(l.spent, 11);
    assert_true(fw_lease_usable(&l, T0 + 20));
}

static void test_deadline_and_window_end(void **state)
{
    (void)state;
    fw_lease l = {0};
    fw_lease_res r = grant(5, T0 + 500, 0, 0, 1);
    fw_lease_granted(&l, &r, 0, T0, USE);
    assert_true(fw_lease_usable(&l, T0 + 499));
    assert_false(fw_lease_usable(&l, T0 + 500)); /* the window ended before the deadline */
    r = grant(5, T0 + WIN, 0, 0, 1);
    l = (fw_lease){0};
    fw_lease_granted(&l, &r, 0, T0, USE);
    assert_true(fw_lease_usable(&l, T0 + USE - 1));
    assert_false(fw_lease_usable(&l, T0 + USE)); /* the local deadline */
}

static void test_report_keeps_what_happened_during_the_call(void **state)
{
    (void)state;
    fw_lease l = {0};
    fw_lease_res r = grant(10, T0 + WIN, 30, 0, 1);
    fw_lease_granted(&l, &r, 0, T0, USE);
    for (int i = 0; i < 4; i++)
        fw_lease_spend(&l, T0 + 1);
    int32_t spent;
    fw_lease_begin(&l, &spent);
    assert_int_equal(spent, 4);
    assert_int_equal(l.units, 0); /* handed back: nothing is spent from them any more */
    assert_false(fw_lease_usable(&l, T0 + 2));
    /* While the report runs, a follow that was a no-op refunds its unit. */
    assert_true(fw_lease_refund(&l, T0 + WIN));
    r = grant(7, T0 + WIN, 20, 0, 1);
    fw_lease_granted(&l, &r, spent, T0 + 3, USE);
    assert_int_equal(l.units, 8);  /* the grant plus the refunded unit */
    assert_int_equal(l.spent, -1); /* the refund of a reported unit goes out with the next report */
    assert_int_equal(fw_lease_remaining(&l), 28);
    /* A new window: old units and spends are gone. */
    fw_lease_begin(&l, &spent);
    r = grant(3, T0 + 2 * WIN, 40, 0, 1);
    fw_lease_granted(&l, &r, spent, T0 + WIN, USE);
    assert_int_equal(l.units, 3);
    assert_int_equal(l.spent, 0);
    /* The window closed with nothing granted (a report-only call after the end). */
    fw_lease_begin(&l, &spent);
    r = grant(0, 0, 0, 0, 0);
    fw_lease_granted(&l, &r, spent, T0 + 3 * WIN, USE);
    assert_int_equal(l.units, 0);
    assert_int_equal(l.spent, 0);
    assert_int_equal(l.nodes, 1);
}

static void test_chunks_shrink_with_the_budget_and_the_nodes(void **state)
{
    (void)state;
    fw_lease l = {0};
    fw_lease_res r = grant(100, T0 + WIN, 800, 100, 2);
    renew(&l, &r, T0);
    assert_int_equal(fw_lease_want(&l, 1000), 900 / 8); /* (rest + held) / (4 x nodes) */
    r = grant(1, T0 + WIN, 6, 0, 2);
    renew(&l, &r, T0);
    assert_int_equal(fw_lease_want(&l, 1000), 1); /* the last few units go one at a time */
    r = grant(0, T0 + WIN, 0, 3, 1);
    renew(&l, &r, T0);
    assert_int_equal(fw_lease_want(&l, 1000), 1);
    assert_int_equal(l.others, 3);
    /* never more than the limit */
    r = grant(0, T0 + WIN, 100000, 0, 1);
    renew(&l, &r, T0);
    assert_int_equal(fw_lease_want(&l, 50), 50);
}

static void test_due(void **state)
{
    (void)state;
    fw_lease l = {0};
    fw_lease_res r = grant(10, T0 + WIN, 0, 0, 1);
    fw_lease_granted(&l, &r, 0, T0, USE);
    assert_false(fw_lease_due(&l, T0 + 50, 100));
    fw_lease_spend(&l, T0 + 90);
    assert_false(fw_lease_due(&l, T0 + 150, 100)); /* used 60 ms ago */
    assert_true(fw_lease_due(&l, T0 + 190, 100));  /* idle for 100 ms */
    fw_lease_spend(&l, T0 + USE - 1);
    assert_true(fw_lease_due(&l, T0 + USE, 100)); /* the deadline, however busy */
    int32_t spent;
    fw_lease_begin(&l, &spent);
    r = grant(0, T0 + WIN, 0, 0, 1);
    fw_lease_granted(&l, &r, spent, T0 + USE, USE);
    assert_false(fw_lease_due(&l, T0 + 5 * USE, 100)); /* nothing held, all reported */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_lease_wants_a_quarter),
        cmocka_unit_test(test_spend_refund_and_remaining),
        cmocka_unit_test(test_deadline_and_window_end),
        cmocka_unit_test(test_report_keeps_what_happened_during_the_call),
        cmocka_unit_test(test_chunks_shrink_with_the_budget_and_the_nodes),
        cmocka_unit_test(test_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
