/* Sharded, set-associative nonce replay cache; see nonce.h. */
#include "auth/nonce.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/secret.h"

#define NSHARDS 16
#define KEY_LEN 16
/* Keeps the slot arrays well inside size_t and sane memory (~8 GiB). */
#define MAX_ENTRIES ((size_t)1 << 28)

typedef struct slot {
    uint8_t key[KEY_LEN];
    bool used;
    int64_t expires; /* the last second at which a replay could still pass */
} slot;

typedef struct shard {
    pthread_mutex_t mu;
    slot *slots; /* nsets * FW_NONCE_WAYS */
} shard;

struct fw_nonce_cache {
    uint8_t secret[32];
    size_t nsets; /* per shard */
    shard shards[NSHARDS];
};

int fw_nonce_cache_new(size_t max_entries, fw_nonce_cache **out)
{
    *out = NULL;
    if (max_entries == 0 || max_entries > MAX_ENTRIES)
        return -1;
    fw_nonce_cache *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    if (fw_random_bytes(c->secret, sizeof c->secret) != 0) {
        free(c);
        return -1;
    }
    size_t per_set_group = (size_t)NSHARDS * FW_NONCE_WAYS;
    c->nsets = (max_entries + per_set_group - 1) / per_set_group;
    for (int i = 0; i < NSHARDS; i++) {
        c->shards[i].slots = calloc(c->nsets * FW_NONCE_WAYS, sizeof(slot));
        if (!c->shards[i].slots || pthread_mutex_init(&c->shards[i].mu, NULL) != 0) {
            free(c->shards[i].slots);
            c->shards[i].slots = NULL;
            for (int j = 0; j < i; j++) {
                pthread_mutex_destroy(&c->shards[j].mu);
                free(c->shards[j].slots);
            }
            free(c);
            return -1;
        }
    }
    *out = c;
    return 0;
}

void fw_nonce_cache_free(fw_nonce_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_destroy(&c->shards[i].mu);
        free(c->shards[i].slots);
    }
    free(c);
}

size_t fw_nonce_cache_capacity(const fw_nonce_cache *c)
{
    return c->nsets * FW_NONCE_WAYS * NSHARDS;
}

static bool valid_nonce(fw_str n)
{
    if (n.len == 0 || n.len > FW_NONCE_MAX_LEN)
        return false;
    for (size_t i = 0; i < n.len; i++)
        if ((unsigned char)n.p[i] < 0x21 || (unsigned char)n.p[i] > 0x7e)
            return false;
    return true;
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int fw_nonce_validate(fw_str consumer_key, fw_str nonce, int64_t ts_s, int64_t now_s)
{
    if (!valid_nonce(nonce) || consumer_key.len == 0 || consumer_key.len > FW_NONCE_MAX_KEY_LEN)
        return -2;
    if (now_s > INT64_MAX / 2 || now_s < INT64_MIN / 2)
        return -2;
    if (ts_s > now_s + FW_NONCE_WINDOW_S || ts_s < now_s - FW_NONCE_WINDOW_S)
        return -2;
    return 0;
}

int fw_nonce_check_and_add(fw_nonce_cache *c, fw_str consumer_key, fw_str nonce, int64_t ts_s, int64_t now_s)
{
    if (fw_nonce_validate(consumer_key, nonce, ts_s, now_s) != 0)
        return -2;

    /* Length-prefixing the key keeps ("ab","c") and ("a","bc") apart. A keyed
     * MAC (not a plain hash) decides the bucket, so clients cannot aim at one. */
    uint8_t msg[2 + FW_NONCE_MAX_KEY_LEN + FW_NONCE_MAX_LEN];
    msg[0] = (uint8_t)(consumer_key.len >> 8);
    msg[1] = (uint8_t)consumer_key.len;
    memcpy(msg + 2, consumer_key.p, consumer_key.len);
    memcpy(msg + 2 + consumer_key.len, nonce.p, nonce.len);
    uint8_t mac[32];
    fw_hmac_sha256(c->secret, sizeof c->secret, msg, 2 + consumer_key.len + nonce.len, mac);

    shard *sh = &c->shards[mac[KEY_LEN] % NSHARDS];
    slot *set = sh->slots + (load64(mac + 24) % c->nsets) * FW_NONCE_WAYS;
    int64_t expires = ts_s + FW_NONCE_WINDOW_S;
    int rc = 0;

    pthread_mutex_lock(&sh->mu);
    slot *victim = NULL;
    int64_t victim_rank = 0;
    for (int i = 0; i < FW_NONCE_WAYS; i++) {
        slot *s = &set[i];
        bool live = s->used && s->expires >= now_s;
        if (live && memcmp(s->key, mac, KEY_LEN) == 0) {
            rc = -1;
            break;
        }
        /* Reuse a free or expired slot first, else evict the live entry
         * that would expire first (the oldest). */
        int64_t rank = live ? s->expires : INT64_MIN;
        if (!victim || rank < victim_rank) {
            victim = s;
            victim_rank = rank;
        }
    }
    if (rc == 0) {
        memcpy(victim->key, mac, KEY_LEN);
        victim->expires = expires;
        victim->used = true;
    }
    pthread_mutex_unlock(&sh->mu);
    return rc;
}
