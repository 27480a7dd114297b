/* PKCE (RFC 7636 appendix B vectors, plain, malformed verifiers) and the
 * pending table that holds authorization codes (expiry, single use, bounds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/pending.h"
#include "auth/pkce.h"

/* RFC 7636 appendix B. */
static const char rfc_verifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char rfc_challenge[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

static void test_s256_vector(void **state)
{
    (void)state;
    char out[44];
    fw_pkce_s256(FW_STR_LIT(rfc_verifier), out);
    assert_string_equal(out, rfc_challenge);
    assert_true(fw_pkce_verify(FW_PKCE_S256, FW_STR_LIT(rfc_challenge), FW_STR_LIT(rfc_verifier)));
    /* One character off, or the challenge used as a plain verifier, fails. */
    assert_false(fw_pkce_verify(FW_PKCE_S256, FW_STR_LIT(rfc_challenge),
                                FW_STR_LIT("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj")));
    assert_false(fw_pkce_verify(FW_PKCE_PLAIN, FW_STR_LIT(rfc_challenge), FW_STR_LIT(rfc_verifier)));
}

static void test_plain(void **state)
{
    (void)state;
    assert_true(fw_pkce_verify(FW_PKCE_PLAIN, FW_STR_LIT(rfc_verifier), FW_STR_LIT(rfc_verifier)));
    assert_false(fw_pkce_verify(FW_PKCE_PLAIN, FW_STR_LIT(rfc_challenge), FW_STR_LIT(rfc_verifier)));
    assert_false(fw_pkce_verify(0, FW_STR_LIT(rfc_verifier), FW_STR_LIT(rfc_verifier)));
}

static void test_methods(void **state)
{
    (void)state;
    assert_int_equal(fw_pkce_method_parse(FW_STR_LIT("S256")), FW_PKCE_S256);
    assert_int_equal(fw_pkce_method_parse(FW_STR_LIT("s256")), FW_PKCE_S256); /* the node SDKs */
    assert_int_equal(fw_pkce_method_parse(FW_STR_LIT("plain")), FW_PKCE_PLAIN);
    assert_int_equal(fw_pkce_method_parse(FW_STR_LIT("PLAIN")), FW_PKCE_PLAIN);
    assert_int_equal(fw_pkce_method_parse(FW_STR_LIT("S512")), 0);
    assert_int_equal(fw_pkce_method_parse(FW_STR_LIT("")), 0);
}

static void test_verifier_grammar(void **state)
{
    (void)state;
    char v[260];
    memset(v, 'a', sizeof v);
    assert_false(fw_pkce_valid((fw_str){v, 42}));
    assert_true(fw_pkce_valid((fw_str){v, 43}));
    assert_true(fw_pkce_valid((fw_str){v, 171})); /* tweepy's length */
    assert_true(fw_pkce_valid((fw_str){v, 256}));
    assert_false(fw_pkce_valid((fw_str){v, 257}));
    v[10] = '+';
    assert_false(fw_pkce_valid((fw_str){v, 60}));
    v[10] = '~';
    assert_true(fw_pkce_valid((fw_str){v, 60}));
    /* A short verifier never matches, even against itself in plain mode. */
    assert_false(fw_pkce_verify(FW_PKCE_PLAIN, FW_STR_LIT("short"), FW_STR_LIT("short")));
}

/* ---- pending table ------------------------------------------------------- */

static void test_pending_single_use(void **state)
{
    (void)state;
    fw_pending *p;
    assert_int_equal(fw_pending_new(16, &p), 0);
    int64_t now = 1000000;
    assert_int_equal(fw_pending_put(p, 1, 0, FW_STR_LIT("code"), "abc", 3, 30000, now), FW_OK);
    char out[16];
    size_t len = 0;
    /* Another kind with the same key is another entry. */
    assert_int_equal(fw_pending_get(p, 2, FW_STR_LIT("code"), out, sizeof out, &len, now), FW_ENOTFOUND);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("code"), out, sizeof out, &len, now), FW_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(out, "abc", 3);
    assert_int_equal(fw_pending_take(p, 1, FW_STR_LIT("code"), out, sizeof out, &len, now), FW_OK);
    assert_int_equal(fw_pending_take(p, 1, FW_STR_LIT("code"), out, sizeof out, &len, now), FW_ENOTFOUND);
    assert_int_equal(fw_pending_count(p), 0);
    fw_pending_free(p);
}

static void test_pending_expiry(void **state)
{
    (void)state;
    fw_pending *p;
    assert_int_equal(fw_pending_new(16, &p), 0);
    int64_t now = 5000;
    char out[8];
    size_t len;
    assert_int_equal(fw_pending_put(p, 1, 0, FW_STR_LIT("k"), "v", 1, 30000, now), FW_OK);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("k"), out, sizeof out, &len, now + 29999), FW_OK);
    assert_int_equal(fw_pending_take(p, 1, FW_STR_LIT("k"), out, sizeof out, &len, now + 30000),
                     FW_ENOTFOUND);
    /* update keeps the expiry; add refuses a live key but not an expired one. */
    assert_int_equal(fw_pending_put(p, 1, 0, FW_STR_LIT("k"), "v", 1, 1000, now), FW_OK);
    assert_int_equal(fw_pending_update(p, 1, FW_STR_LIT("k"), "w", 1, now + 500), FW_OK);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("k"), out, sizeof out, &len, now + 999), FW_OK);
    assert_int_equal(out[0], 'w');
    assert_int_equal(fw_pending_add(p, 1, 0, FW_STR_LIT("k"), "x", 1, 1000, now + 999), FW_EEXISTS);
    assert_int_equal(fw_pending_update(p, 1, FW_STR_LIT("k"), "y", 1, now + 1000), FW_ENOTFOUND);
    assert_int_equal(fw_pending_add(p, 1, 0, FW_STR_LIT("k"), "x", 1, 1000, now + 1000), FW_OK);
    fw_pending_free(p);
}

static void test_pending_bounds(void **state)
{
    (void)state;
    fw_pending *p;
    assert_int_equal(fw_pending_new(4, &p), 0);
    char key[16], out[8];
    size_t len;
    /* Full of live entries: the one closest to expiry makes room. */
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(fw_pending_put(p, 1, 0, fw_str_c(key), "v", 1, 1000 + i, 0), FW_OK);
        assert_true(fw_pending_count(p) <= 4);
    }
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("k0"), out, sizeof out, &len, 1), FW_ENOTFOUND);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("k1"), out, sizeof out, &len, 1), FW_ENOTFOUND);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("k5"), out, sizeof out, &len, 1), FW_OK);
    /* Expired entries go first. */
    assert_int_equal(fw_pending_put(p, 1, 0, FW_STR_LIT("late"), "v", 1, 100000, 1004), FW_OK);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("k5"), out, sizeof out, &len, 1004), FW_OK);
    /* Limits. */
    char big[FW_PENDING_MAX_VALUE + 1];
    memset(big, 'x', sizeof big);
    assert_int_equal(fw_pending_put(p, 1, 0, FW_STR_LIT("b"), big, sizeof big, 10, 0), FW_EINVAL);
    assert_int_equal(fw_pending_put(p, 1, 0, FW_STR_LIT(""), "v", 1, 10, 0), FW_EINVAL);
    assert_int_equal(fw_pending_put(p, 1, 0, FW_STR_LIT("z"), "v", 1, 0, 0), FW_EINVAL);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("k5"), out, 0, &len, 1), FW_ESPACE);
    assert_int_equal(fw_pending_new(0, &p) == 0, 0);
    fw_pending_free(p);
}

/* A flood of one kind (sign-in sessions anyone can open) never evicts
 * another kind (authorization codes), even when that kind expires sooner. */
static void test_pending_flood_spares_other_kinds(void **state)
{
    (void)state;
    fw_pending *p;
    assert_int_equal(fw_pending_new(8, &p), 0);
    assert_int_equal(fw_pending_set_limit(p, 1, (fw_pending_limit){4, 0, true}), FW_OK);
    assert_int_equal(fw_pending_set_limit(p, 2, (fw_pending_limit){4, 0, false}), FW_OK);
    assert_int_equal(fw_pending_set_limit(p, FW_PENDING_KINDS, (fw_pending_limit){1, 0, true}), FW_EINVAL);
    char key[16], out[8];
    size_t len;
    assert_int_equal(fw_pending_put(p, 2, 7, FW_STR_LIT("code"), "c", 1, 30000, 0), FW_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "s%d", i);
        assert_int_equal(fw_pending_put(p, 1, 7, fw_str_c(key), "s", 1, 600000, i), FW_OK);
        assert_true(fw_pending_count_kind(p, 1) <= 4);
    }
    assert_int_equal(fw_pending_get(p, 2, FW_STR_LIT("code"), out, sizeof out, &len, 100), FW_OK);
    /* The flood evicted its own oldest entries only. */
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("s95"), out, sizeof out, &len, 100), FW_ENOTFOUND);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("s96"), out, sizeof out, &len, 100), FW_OK);
    assert_int_equal(fw_pending_count(p), 5);
    fw_pending_free(p);

    /* Without shares, a full table still never gives up another kind's entry:
     * the insert fails instead. */
    assert_int_equal(fw_pending_new(3, &p), 0);
    assert_int_equal(fw_pending_put(p, 2, 0, FW_STR_LIT("code"), "c", 1, 10, 0), FW_OK);
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "s%d", i);
        assert_int_equal(fw_pending_put(p, 1, 0, fw_str_c(key), "s", 1, 1000, 0), FW_OK);
    }
    assert_int_equal(fw_pending_count_kind(p, 1), 2);
    assert_int_equal(fw_pending_put(p, 3, 0, FW_STR_LIT("x"), "x", 1, 1000, 0), FW_EFULL);
    assert_int_equal(fw_pending_get(p, 2, FW_STR_LIT("code"), out, sizeof out, &len, 5), FW_OK);
    /* Once the code expired, any kind may use its place. */
    assert_int_equal(fw_pending_put(p, 3, 0, FW_STR_LIT("x"), "x", 1, 1000, 10), FW_OK);
    assert_int_equal(fw_pending_count_kind(p, 2), 0);
    fw_pending_free(p);
}

/* A per-owner cap keeps a flood through one app away from another app's entries. */
static void test_pending_per_owner_cap(void **state)
{
    (void)state;
    fw_pending *p;
    assert_int_equal(fw_pending_new(64, &p), 0);
    assert_int_equal(fw_pending_set_limit(p, 1, (fw_pending_limit){8, 2, true}), FW_OK);
    char key[16], out[8];
    size_t len;
    assert_int_equal(fw_pending_put(p, 1, 1, FW_STR_LIT("a-old"), "a", 1, 1000, 0), FW_OK);
    assert_int_equal(fw_pending_put(p, 1, 2, FW_STR_LIT("b"), "b", 1, 1000, 0), FW_OK);
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "a%d", i);
        assert_int_equal(fw_pending_put(p, 1, 1, fw_str_c(key), "a", 1, 1000, 1), FW_OK);
        assert_true(fw_pending_count_owner(p, 1, 1) <= 2);
    }
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("b"), out, sizeof out, &len, 2), FW_OK);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("a-old"), out, sizeof out, &len, 2), FW_ENOTFOUND);
    assert_int_equal(fw_pending_get(p, 1, FW_STR_LIT("a49"), out, sizeof out, &len, 2), FW_OK);
    assert_int_equal(fw_pending_count_owner(p, 1, 2), 1);
    assert_int_equal(fw_pending_count_kind(p, 1), 3);
    /* Groups go away with their last entry. */
    assert_int_equal(fw_pending_take(p, 1, FW_STR_LIT("b"), out, sizeof out, &len, 2), FW_OK);
    assert_int_equal(fw_pending_count_owner(p, 1, 2), 0);
    assert_int_equal(fw_pending_put(p, 1, 2, FW_STR_LIT("b2"), "b", 1, 1000, 3), FW_OK);
    assert_int_equal(fw_pending_count_owner(p, 1, 2), 1);
    fw_pending_free(p);
}

/* A kind that does not evict refuses new entries at its cap and keeps the
 * ones it has (a user's code stays redeemable); expired ones still make room. */
static void test_pending_no_evict(void **state)
{
    (void)state;
    fw_pending *p;
    assert_int_equal(fw_pending_new(64, &p), 0);
    assert_int_equal(fw_pending_set_limit(p, 3, (fw_pending_limit){3, 2, false}), FW_OK);
    char out[8];
    size_t len;
    assert_int_equal(fw_pending_put(p, 3, 1, FW_STR_LIT("c1"), "1", 1, 100, 0), FW_OK);
    assert_int_equal(fw_pending_put(p, 3, 1, FW_STR_LIT("c2"), "2", 1, 100, 10), FW_OK);
    assert_int_equal(fw_pending_put(p, 3, 1, FW_STR_LIT("c3"), "3", 1, 100, 20), FW_EFULL);
    assert_int_equal(fw_pending_put(p, 3, 2, FW_STR_LIT("d1"), "4", 1, 100, 20), FW_OK);
    assert_int_equal(fw_pending_put(p, 3, 3, FW_STR_LIT("e1"), "5", 1, 100, 20), FW_EFULL);
    assert_int_equal(fw_pending_get(p, 3, FW_STR_LIT("c1"), out, sizeof out, &len, 20), FW_OK);
    /* c1 expired at 100: it makes room for owner 1 and for the kind. */
    assert_int_equal(fw_pending_put(p, 3, 1, FW_STR_LIT("c3"), "3", 1, 100, 100), FW_OK);
    assert_int_equal(fw_pending_get(p, 3, FW_STR_LIT("c1"), out, sizeof out, &len, 100), FW_ENOTFOUND);
    assert_int_equal(fw_pending_get(p, 3, FW_STR_LIT("c2"), out, sizeof out, &len, 100), FW_OK);
    /* update keeps an entry's age: c2 is still the oldest and goes first. */
    assert_int_equal(fw_pending_update(p, 3, FW_STR_LIT("c2"), "22", 2, 105), FW_OK);
    assert_int_equal(fw_pending_put(p, 3, 1, FW_STR_LIT("c4"), "4", 1, 100, 110), FW_OK);
    assert_int_equal(fw_pending_get(p, 3, FW_STR_LIT("c2"), out, sizeof out, &len, 110), FW_ENOTFOUND);
    assert_int_equal(fw_pending_count_kind(p, 3), 3);
    assert_int_equal(fw_pending_count(p), 3);
    fw_pending_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s256_vector),       cmocka_unit_test(test_plain),
        cmocka_unit_test(test_methods),           cmocka_unit_test(test_verifier_grammar),
        cmocka_unit_test(test_pending_single_use), cmocka_unit_test(test_pending_expiry),
        cmocka_unit_test(test_pending_bounds),    cmocka_unit_test(test_pending_flood_spares_other_kinds),
        cmocka_unit_test(test_pending_per_owner_cap), cmocka_unit_test(test_pending_no_evict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
