/* cli/edgesort: edges come back by sequence number whether they fit in one
 * run (memory only) or spill into many runs (the merge), each edge once with
 * its own endpoints and kind; the callback's stop value is returned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/edgesort.h"

typedef struct seen {
    uint64_t n, last_src;
    bool ok;
    uint64_t stop_at; /* 0: never */
} seen;

/* Edge i (seq i + 1) is (i * 7 + 1, i * 13 + 2), pending when i % 5 == 0: each
 * callback checks that it got the edge of the next sequence number. */
static int check_edge(void *ctx, uint8_t rel, uint64_t src, uint64_t dst)
{
    seen *s = ctx;
    uint64_t i = s->n++;
    if (src != i * 7 + 1 || dst != i * 13 + 2 || rel != (i % 5 == 0 ? 2 : 1))
        s->ok = false;
    return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

/* Adds n edges in a scrambled order (a permutation of the sequence numbers). */
static fw_edgesort *sorted_of(size_t n, size_t run_max)
{
    char dir[] = "/tmp/fw-edgesort-XXXXXX";
    assert_non_null(mkdtemp(dir));
    fw_edgesort *e = fw_edgesort_new(dir, run_max);
    assert_non_null(e);
    for (uint64_t k = 0; k < n; k++) {
        uint64_t i = (k * 7919) % n; /* 7919 is prime and does not divide n */
        assert_int_equal(fw_edgesort_add(e, i + 1, i % 5 == 0 ? 2 : 1, i * 7 + 1, i * 13 + 2), FW_OK);
    }
    assert_int_equal(rmdir(dir), 0); /* the run file was unlinked at once: the directory is empty */
    assert_int_equal(fw_edgesort_count(e), n);
    return e;
}

static void check(size_t n, size_t run_max)
{
    fw_edgesort *e = sorted_of(n, run_max);
    seen s = {.ok = true};
    assert_int_equal(fw_edgesort_each(e, check_edge, &s), FW_OK);
    assert_true(s.ok);
    assert_int_equal(s.n, n);
    fw_edgesort_free(e);
}

static void one_run_in_memory(void **state) { check(10000, 0); }
static void many_runs_merged(void **state) { check(10000, 64); }
static void runs_of_one_edge(void **state) { check(300, 1); }
static void a_last_partial_run(void **state) { check(1001, 100); }
static void nothing(void **state) { check(0, 4); }

static void stops_when_the_callback_says_so(void **state)
{
    for (size_t run_max = 0; run_max <= 64; run_max += 64) {
        fw_edgesort *e = sorted_of(1000, run_max);
        seen s = {.ok = true, .stop_at = 500};
        assert_int_equal(fw_edgesort_each(e, check_edge, &s), 42);
        assert_true(s.ok);
        assert_int_equal(s.n, 500);
        fw_edgesort_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_run_in_memory),   cmocka_unit_test(many_runs_merged),
        cmocka_unit_test(runs_of_one_edge),    cmocka_unit_test(a_last_partial_run),
        cmocka_unit_test(nothing),             cmocka_unit_test(stops_when_the_callback_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
