/* scrypt password records: hash/verify round trip, per-record salt, wrong
 * passwords, malformed and hostile records, and the store round trip; and
 * the credentials a sign-in ends with (auth/issue.h), as the store keeps them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/issue.h"
#include "auth/password.h"
#include "auth/scopes.h"

/* fw_password_verify with the match folded in: FW_OK (it matches), 1 (it does
 * not), or the error. */
#define FW_PW_MISMATCH 1
static int pw_verify(const char *pw, size_t len, const uint8_t *rec, size_t rec_len)
{
    bool match = true;
    int rc = fw_password_verify(pw, len, rec, rec_len, &match);
    if (rc != FW_OK)
        return match ? -100 : rc; /* an error must leave *match false */
    return match ? FW_OK : FW_PW_MISMATCH;
}
#include "core/clock.h"
#include "core/secret.h"
#include "store/store.h"

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t a[FW_PASSWORD_HASH_LEN], b[FW_PASSWORD_HASH_LEN];
    assert_int_equal(fw_password_hash("correct horse", 13, a), FW_OK);
    assert_int_equal(fw_password_hash("correct horse", 13, b), FW_OK);
    /* Fresh salt each time: equal passwords give different records. */
    assert_memory_not_equal(a + 4, b + 4, FW_PASSWORD_HASH_LEN - 4);
    assert_int_equal(pw_verify("correct horse", 13, a, sizeof a), FW_OK);
    assert_int_equal(pw_verify("correct horse", 13, b, sizeof b), FW_OK);
    assert_int_equal(pw_verify("correct hors", 12, a, sizeof a), FW_PW_MISMATCH);
    assert_int_equal(pw_verify("Correct horse", 13, a, sizeof a), FW_PW_MISMATCH);
    /* Any flipped bit of the stored key fails. */
    a[FW_PASSWORD_HASH_LEN - 1] ^= 1;
    assert_int_equal(pw_verify("correct horse", 13, a, sizeof a), FW_PW_MISMATCH);
}

static void test_bad_input(void **state)
{
    (void)state;
    uint8_t r[FW_PASSWORD_HASH_LEN];
    assert_int_equal(fw_password_hash("", 0, r), FW_EINVAL);
    char *big = malloc(FW_PASSWORD_MAX + 1);
    memset(big, 'a', FW_PASSWORD_MAX + 1);
    assert_int_equal(fw_password_hash(big, FW_PASSWORD_MAX + 1, r), FW_EINVAL);
    assert_int_equal(fw_password_hash("secret-pw", 9, r), FW_OK);
    assert_int_equal(pw_verify(big, FW_PASSWORD_MAX + 1, r, sizeof r), FW_EINVAL);
    free(big);
    assert_int_equal(pw_verify("secret-pw", 9, r, sizeof r - 1), FW_EINVAL);
    uint8_t bad[FW_PASSWORD_HASH_LEN];
    memcpy(bad, r, sizeof bad);
    bad[0] = 9; /* unknown version */
    assert_int_equal(pw_verify("secret-pw", 9, bad, sizeof bad), FW_EINVAL);
    memcpy(bad, r, sizeof bad);
    bad[1] = 40; /* N = 2^40 would need terabytes: refused, not attempted */
    assert_int_equal(pw_verify("secret-pw", 9, bad, sizeof bad), FW_EINVAL);
    memcpy(bad, r, sizeof bad);
    bad[2] = 0;
    assert_int_equal(pw_verify("secret-pw", 9, bad, sizeof bad), FW_EINVAL);
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
    assert_int_equal(fw_password_hash("pa55word!", 9, rec), FW_OK);
    assert_int_equal(fw_store_user_set_password(s, id + 1, rec, sizeof rec), FW_ENOTFOUND);
    assert_int_equal(fw_store_user_set_password(s, id, rec, sizeof rec), FW_OK);
    assert_int_equal(fw_store_user_get_password(s, id, out, 10, &len), FW_EINVAL);
    assert_int_equal(fw_store_user_get_password(s, id, out, sizeof out, &len), FW_OK);
    assert_int_equal(len, sizeof rec);
    assert_int_equal(pw_verify("pa55word!", 9, out, len), FW_OK);
    fw_store_close(s);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

typedef struct seen {
    int rc;
    fw_cred c;
    char secret[FW_TOKEN_MAX];
} seen;

static void on_auth(void *ctx, const fw_auth_res *res)
{
    seen *w = ctx;
    w->rc = res->rc;
    if (res->rc == FW_OK && res->cred) {
        w->c = *res->cred;
        snprintf(w->secret, sizeof w->secret, "%.*s", (int)res->cred->secret.len, res->cred->secret.p);
    }
}

static seen by_token(fw_store *s, const char *tok)
{
    fw_auth_q q = {0};
    q.by = FW_AUTH_BY_HASH;
    fw_sha256(tok, strlen(tok), q.hash);
    seen w = {0};
    fw_store_auth(s, NULL, &q, on_auth, &w);
    return w;
}

static void test_issue_credentials(void **state)
{
    (void)state;
    char dir[] = "/tmp/fw-issue-XXXXXX";
    assert_non_null(mkdtemp(dir));
    fw_store_opts o = {0};
    o.path = dir;
    fw_store *s;
    assert_int_equal(fw_store_open(&o, &s), FW_OK);
    fw_user u = {0};
    u.username = FW_STR_LIT("bob");
    u.name = FW_STR_LIT("Bob");
    uint64_t uid;
    assert_int_equal(fw_store_user_create(s, &u, &uid), FW_OK);
    fw_app_rec app = {0};
    assert_int_equal(fw_store_app_create(s, FW_STR_LIT("a"), 0, FW_CLIENT_CONFIDENTIAL, FW_STR_LIT(""), &app), FW_OK);
    uint64_t aid = app.a.id;
    fw_app_rec_free(&app);

    char at[FW_TOKEN_MAX], rt[FW_TOKEN_MAX], again[FW_TOKEN_MAX], sec[FW_TOKEN_MAX];
    int64_t before = fw_now_ms();
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid, 5, 7200 * 1000LL, 0, NULL, at), FW_OK);
    seen w = by_token(s, at);
    assert_int_equal(w.rc, FW_OK);
    assert_int_equal(w.c.kind, FW_CRED_OAUTH2_USER);
    assert_true(w.c.app_id == aid && w.c.user_id == uid && w.c.scopes == 5);
    assert_true(w.c.issued_at_ms >= before && w.c.expires_at_ms == w.c.issued_at_ms + 7200 * 1000LL);
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_REFRESH, aid, uid, 5, 0, 0, NULL, rt), FW_OK);
    w = by_token(s, rt);
    assert_true(w.rc == FW_OK && w.c.kind == FW_CRED_OAUTH2_REFRESH && w.c.expires_at_ms == 0);
    assert_string_not_equal(at, rt);
    assert_int_equal(fw_issue_user_token(s, FW_CRED_APP_BEARER, aid, uid, 5, 0, 0, NULL, rt), FW_EINVAL);
    /* A label derives the same token every time (the demo's stable credentials). */
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid, 1, 0, 0, "t:x", at), FW_OK);
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid, 1, 0, 0, "t:x", again), FW_OK);
    assert_string_equal(at, again);
    assert_int_equal(by_token(s, at).c.expires_at_ms, 0);
    /* App-only: one token per generation, unscoped. */
    assert_int_equal(fw_issue_app_bearer(s, aid, 0, at), FW_OK);
    assert_int_equal(fw_issue_app_bearer(s, aid, 1, again), FW_OK);
    assert_string_not_equal(at, again);
    w = by_token(s, at);
    assert_true(w.rc == FW_OK && w.c.kind == FW_CRED_APP_BEARER && w.c.user_id == 0 && w.c.scopes == UINT32_MAX);
    /* OAuth 1.0a: looked up by token and consumer key, secret kept. */
    assert_int_equal(fw_issue_oauth1(s, aid, uid, FW_SCOPES_OAUTH1_WRITE, NULL, at, sec), FW_OK);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%llu-", (unsigned long long)uid);
    assert_int_equal(strncmp(at, prefix, strlen(prefix)), 0);
    fw_app_rec_free(&app);
    assert_int_equal(fw_store_app_get(s, aid, &app), FW_OK);
    fw_auth_q q = {0};
    q.by = FW_AUTH_BY_OAUTH1;
    q.token = fw_str_c(at);
    q.consumer_key = app.a.consumer_key;
    w = (seen){0};
    fw_store_auth(s, NULL, &q, on_auth, &w);
    fw_app_rec_free(&app);
    assert_true(w.rc == FW_OK && w.c.kind == FW_CRED_OAUTH1_USER && w.c.user_id == uid);
    assert_string_equal(w.secret, sec);
    /* An unknown user: nothing is issued. */
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid + 1, 1, 0, 0, NULL, at), FW_ENOTFOUND);
    fw_store_close(s);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Grants (issue 11, defect 10): tokens carry their grant id through the
 * store; revoking the grant revokes all of them, later ones included, and
 * nothing of another grant or without one. */
static void test_grant_revoke(void **state)
{
    (void)state;
    char dir[] = "/tmp/fw-grant-XXXXXX";
    assert_non_null(mkdtemp(dir));
    fw_store_opts o = {0};
    o.path = dir;
    fw_store *s;
    assert_int_equal(fw_store_open(&o, &s), FW_OK);
    fw_user u = {0};
    u.username = FW_STR_LIT("gina");
    u.name = FW_STR_LIT("Gina");
    uint64_t uid;
    assert_int_equal(fw_store_user_create(s, &u, &uid), FW_OK);
    fw_app_rec app = {0};
    assert_int_equal(fw_store_app_create(s, FW_STR_LIT("a"), 0, FW_CLIENT_CONFIDENTIAL, FW_STR_LIT(""), &app), FW_OK);
    uint64_t aid = app.a.id;
    fw_app_rec_free(&app);

    uint64_t g1, g2;
    assert_int_equal(fw_issue_grant_id(&g1), FW_OK);
    assert_int_equal(fw_issue_grant_id(&g2), FW_OK);
    assert_true(g1 != 0 && g2 != 0 && g1 != g2);
    char at1[FW_TOKEN_MAX], rt1[FW_TOKEN_MAX], at2[FW_TOKEN_MAX], other[FW_TOKEN_MAX], plain[FW_TOKEN_MAX],
        late[FW_TOKEN_MAX], sec[FW_TOKEN_MAX];
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid, 5, 7200 * 1000LL, g1, NULL, at1), FW_OK);
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_REFRESH, aid, uid, 5, 0, g1, NULL, rt1), FW_OK);
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid, 5, 7200 * 1000LL, g1, NULL, at2), FW_OK);
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid, 5, 0, g2, NULL, other), FW_OK);
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid, 5, 0, 0, NULL, plain), FW_OK);
    assert_int_equal(fw_issue_oauth1(s, aid, uid, FW_SCOPES_OAUTH1_WRITE, NULL, late, sec), FW_OK);
    seen w = by_token(s, at1);
    assert_true(w.rc == FW_OK && w.c.grant_id == g1 && !w.c.revoked && w.c.scopes == 5);
    assert_true(by_token(s, plain).c.grant_id == 0);

    assert_int_equal(fw_store_grant_revoke(s, g1), FW_OK);
    assert_int_equal(fw_store_grant_revoke(s, g1), FW_OK); /* idempotent */
    assert_int_equal(fw_store_grant_revoke(s, 0), FW_EINVAL);
    assert_true(by_token(s, at1).rc == FW_OK && by_token(s, at1).c.revoked);
    assert_true(by_token(s, rt1).c.revoked && by_token(s, at2).c.revoked);
    assert_false(by_token(s, other).c.revoked);
    assert_false(by_token(s, plain).c.revoked);
    /* a token issued under the grant after its revocation (a racing refresh) is born revoked */
    assert_int_equal(fw_issue_user_token(s, FW_CRED_OAUTH2_USER, aid, uid, 5, 0, g1, NULL, late), FW_OK);
    assert_true(by_token(s, late).c.revoked);
    /* the revoked flag of one token still works on its own, grant or not */
    bool live = false;
    assert_int_equal(fw_store_cred_revoke(s, NULL, FW_STR_NULL, &live), FW_EINVAL);
    uint8_t h[32];
    fw_sha256(other, strlen(other), h);
    assert_int_equal(fw_store_cred_revoke(s, h, FW_STR_NULL, &live), FW_OK);
    assert_true(live && by_token(s, other).c.revoked && by_token(s, other).c.grant_id == g2);
    fw_store_close(s);

    /* the revocation is durable, and a read-only open sees it */
    o.read_only = true;
    assert_int_equal(fw_store_open(&o, &s), FW_OK);
    assert_true(by_token(s, at2).c.revoked && !by_token(s, plain).c.revoked);
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
        cmocka_unit_test(test_issue_credentials),
        cmocka_unit_test(test_grant_revoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
