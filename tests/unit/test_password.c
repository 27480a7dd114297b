/* scrypt password records: hash/verify round trip, per-record salt, wrong
 * passwords, malformed and hostile records, and the store round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/password.h"
#include "store/store.h"

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t a[FW_PASSWORD_HASH_LEN], b[FW_PASSWORD_HASH_LEN];
    assert_int_equal(fw_password_hash("correct horse", 13, a), FW_PW_OK);
    assert_int_equal(fw_password_hash("correct horse", 13, b), FW_PW_OK);
    /* Fresh salt each time: equal passwords give different records. */
    assert_memory_not_equal(a + 4, b + 4, FW_PASSWORD_HASH_LEN - 4);
    assert_int_equal(fw_password_verify("correct horse", 13, a, sizeof a), FW_PW_OK);
    assert_int_equal(fw_password_verify("correct horse", 13, b, sizeof b), FW_PW_OK);
    assert_int_equal(fw_password_verify("correct hors", 12, a, sizeof a), FW_PW_MISMATCH);
    assert_int_equal(fw_password_verify("Correct horse", 13, a, sizeof a), FW_PW_MISMATCH);
    /* Any flipped bit of the stored key fails. */
    a[FW_PASSWORD_HASH_LEN - 1] ^= 1;
    assert_int_equal(fw_password_verify("correct horse", 13, a, sizeof a), FW_PW_MISMATCH);
}

static void test_bad_input(void **state)
{
    (void)state;
    uint8_t r[FW_PASSWORD_HASH_LEN];
    assert_int_equal(fw_password_hash("", 0, r), FW_PW_EINVAL);
    char *big = malloc(FW_PASSWORD_MAX + 1);
    memset(big, 'a', FW_PASSWORD_MAX + 1);
    assert_int_equal(fw_password_hash(big, FW_PASSWORD_MAX + 1, r), FW_PW_EINVAL);
    assert_int_equal(fw_password_hash("secret-pw", 9, r), FW_PW_OK);
    assert_int_equal(fw_password_verify(big, FW_PASSWORD_MAX + 1, r, sizeof r), FW_PW_EINVAL);
    free(big);
    assert_int_equal(fw_password_verify("secret-pw", 9, r, sizeof r - 1), FW_PW_EINVAL);
    uint8_t bad[FW_PASSWORD_HASH_LEN];
    memcpy(bad, r, sizeof bad);
    bad[0] = 9; /* unknown version */
    assert_int_equal(fw_password_verify("secret-pw", 9, bad, sizeof bad), FW_PW_EINVAL);
    memcpy(bad, r, sizeof bad);
    bad[1] = 40; /* N = 2^40 would need terabytes: refused, not attempted */
    assert_int_equal(fw_password_verify("secret-pw", 9, bad, sizeof bad), FW_PW_EINVAL);
    memcpy(bad, r, sizeof bad);
    bad[2] = 0;
    assert_int_equal(fw_password_verify("secret-pw", 9, bad, sizeof bad), FW_PW_EINVAL);
    fw_password_burn("secret-pw", 9); /* returns, costs time, touches nothing */
}

static void test_store_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/fw-pw-XXXXXX";
    assert_non_null(mkdtemp(dir));
    fw_store_opts o = {0};
    o.path = dir;
    fw_store *s;
    assert_int_equal(fw_store_open(&o, &s), FW_OK);
    fw_user u = {0};
    u.username = FW_STR_LIT("alice");
    u.name = FW_STR_LIT("Alice");
    uint64_t id;
    assert_int_equal(fw_store_user_create(s, &u, &id), FW_OK);
    uint8_t rec[FW_PASSWORD_HASH_LEN], out[FW_PASSWORD_REC_MAX];
    size_t len = 0;
    assert_int_equal(fw_store_user_get_password(s, id, out, sizeof out, &len), FW_ENOTFOUND);
    assert_int_equal(fw_password_hash("pa55word!", 9, rec), FW_PW_OK);
    assert_int_equal(fw_store_user_set_password(s, id + 1, rec, sizeof rec), FW_ENOTFOUND);
    assert_int_equal(fw_store_user_set_password(s, id, rec, sizeof rec), FW_OK);
    assert_int_equal(fw_store_user_get_password(s, id, out, 10, &len), FW_EINVAL);
    assert_int_equal(fw_store_user_get_password(s, id, out, sizeof out, &len), FW_OK);
    assert_int_equal(len, sizeof rec);
    assert_int_equal(fw_password_verify("pa55word!", 9, out, len), FW_PW_OK);
    fw_store_close(s);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_store_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
