/* scrypt password records; see password.h. */
#include "auth/password.h"

#include <openssl/evp.h>
#include <string.h>

#include "core/secret.h"

#define VERSION 1
#define LOG_N 15 /* N = 32768, r = 8: 32 MiB and ~0.1 s per hash */
#define R 8
#define P 1
#define SALT_LEN 16
#define KEY_LEN 32
#define MAX_MEM (256u * 1024 * 1024)

static int derive(const char *pw, size_t len, const uint8_t *salt, unsigned log_n, unsigned r, unsigned p,
                  uint8_t key[KEY_LEN])
{
    uint64_t n = (uint64_t)1 << log_n;
    return EVP_PBE_scrypt(pw, len, salt, SALT_LEN, n, r, p, MAX_MEM, key, KEY_LEN) == 1 ? 0 : FW_ECRYPTO;
}

int fw_password_hash(const char *pw, size_t len, uint8_t out[FW_PASSWORD_HASH_LEN])
{
    if (!pw || len == 0 || len > FW_PASSWORD_MAX)
        return FW_EINVAL;
    out[0] = VERSION;
    out[1] = LOG_N;
    out[2] = R;
    out[3] = P;
    if (fw_random_bytes(out + 4, SALT_LEN) != 0)
        return FW_ECRYPTO;
    return derive(pw, len, out + 4, LOG_N, R, P, out + 4 + SALT_LEN);
}

int fw_password_verify(const char *pw, size_t len, const uint8_t *rec, size_t rec_len, bool *match)
{
    *match = false;
    if (!pw || len == 0 || len > FW_PASSWORD_MAX)
        return FW_EINVAL;
    /* Bounds keep a corrupt record from asking for gigabytes or minutes. */
    if (!rec || rec_len != FW_PASSWORD_HASH_LEN || rec[0] != VERSION || rec[1] < 10 || rec[1] > 20 || rec[2] < 1 ||
        rec[2] > 16 || rec[3] < 1 || rec[3] > 4)
        return FW_EINVAL;
    uint8_t key[KEY_LEN];
    int rc = derive(pw, len, rec + 4, rec[1], rec[2], rec[3], key);
    if (rc != 0)
        return rc;
    *match = fw_ct_equal(key, KEY_LEN, rec + 4 + SALT_LEN, KEY_LEN);
    return FW_OK;
}

void fw_password_burn(const char *pw, size_t len)
{
    static const uint8_t salt[SALT_LEN] = {0};
    uint8_t key[KEY_LEN];
    if (pw && len > 0 && len <= FW_PASSWORD_MAX)
        (void)derive(pw, len, salt, LOG_N, R, P, key);
}

int fw_password_sign_in(fw_store *st, fw_str username, fw_str password, uint64_t *uid, char name[16])
{
    if (!password.len || password.len > FW_PASSWORD_MAX)
        return 1;
    fw_user_rec u = {0};
    int rc = username.len >= 1 && username.len <= 15 ? fw_store_user_get_by_name(st, username, &u) : FW_ENOTFOUND;
    uint8_t rec[FW_PASSWORD_REC_MAX];
    size_t len = 0;
    if (rc == FW_OK)
        rc = fw_store_user_get_password(st, u.u.id, rec, sizeof rec, &len);
    if (rc != FW_OK) {
        fw_user_rec_free(&u);
        if (rc == FW_EIO)
            return -1;
        fw_password_burn(password.p, password.len);
        return 1;
    }
    bool match;
    int out = fw_password_verify(password.p, password.len, rec, len, &match) == FW_OK && match ? 0 : 1;
    if (out == 0 && (u.u.flags & FW_USER_SUSPENDED))
        out = 2;
    if (out == 0) {
        *uid = u.u.id;
        memcpy(name, u.u.username.p, u.u.username.len < 16 ? u.u.username.len : 15);
        name[u.u.username.len < 16 ? u.u.username.len : 15] = 0;
    }
    fw_user_rec_free(&u);
    return out;
}

