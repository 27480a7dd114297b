/* Bounded TTL table of pending authorization state; see pending.h. */
#include "auth/pending.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"

typedef struct node {
    struct node *next;
    uint8_t id[32]; /* HMAC(kind || key) */
    int64_t expires_ms;
    size_t len;
    uint8_t val[];
} node;

struct fw_pending {
    pthread_mutex_t mu;
    uint8_t key[32];
    node **buckets;
    size_t nbuckets; /* power of two */
    size_t count, max;
};

int fw_pending_new(size_t max_entries, fw_pending **out)
{
    if (max_entries == 0 || max_entries > 1000000)
        return -1;
    fw_pending *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->max = max_entries;
    p->nbuckets = 16;
    while (p->nbuckets < max_entries)
        p->nbuckets <<= 1;
    p->buckets = calloc(p->nbuckets, sizeof *p->buckets);
    if (!p->buckets || fw_random_bytes(p->key, sizeof p->key) != 0 || pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p->buckets);
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void fw_pending_free(fw_pending *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nbuckets; i++)
        for (node *n = p->buckets[i], *next; n; n = next) {
            next = n->next;
            free(n);
        }
    free(p->buckets);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static bool key_ok(fw_str key)
{
    return key.len > 0 && key.len <= FW_PENDING_MAX_KEY && key.p;
}

static void entry_id(const fw_pending *p, uint8_t kind, fw_str key, uint8_t id[32])
{
    uint8_t buf[1 + FW_PENDING_MAX_KEY];
    buf[0] = kind;
    memcpy(buf + 1, key.p, key.len);
    fw_hmac_sha256(p->key, sizeof p->key, buf, 1 + key.len, id);
}

static size_t bucket_of(const fw_pending *p, const uint8_t id[32])
{
    uint64_t h;
    memcpy(&h, id, sizeof h);
    return (size_t)(h & (p->nbuckets - 1));
}

/* Finds the link pointing at the entry with id (or at the NULL ending the chain). */
static node **find(fw_pending *p, const uint8_t id[32])
{
    node **link = &p->buckets[bucket_of(p, id)];
    while (*link && memcmp((*link)->id, id, 32) != 0)
        link = &(*link)->next;
    return link;
}

static void unlink_free(fw_pending *p, node **link)
{
    node *n = *link;
    *link = n->next;
    free(n);
    p->count--;
}

/* Makes room for one entry: purge expired ones, else evict the soonest to expire. */
static void make_room(fw_pending *p, int64_t now_ms)
{
    node **victim = NULL;
    for (size_t i = 0; i < p->nbuckets; i++) {
        node **link = &p->buckets[i];
        while (*link) {
            if ((*link)->expires_ms <= now_ms) {
                unlink_free(p, link);
                continue;
            }
            if (!victim || (*link)->expires_ms < (*victim)->expires_ms)
                victim = link;
            link = &(*link)->next;
        }
    }
    /* victim may have moved if a later purge touched its chain: find it again. */
    if (p->count >= p->max && victim) {
        uint8_t id[32];
        memcpy(id, (*victim)->id, 32);
        unlink_free(p, find(p, id));
    }
}

enum { MODE_PUT, MODE_ADD, MODE_UPDATE };

static int store(fw_pending *p, int mode, uint8_t kind, fw_str key, const void *val, size_t len, int64_t ttl_ms,
                 int64_t now_ms)
{
    if (!key_ok(key) || len > FW_PENDING_MAX_VALUE || (mode != MODE_UPDATE && ttl_ms <= 0) || (len && !val))
        return FW_PENDING_EINVAL;
    uint8_t id[32];
    entry_id(p, kind, key, id);
    node *n = malloc(sizeof *n + len);
    if (!n)
        return FW_PENDING_ENOMEM;
    memcpy(n->id, id, 32);
    n->len = len;
    if (len)
        memcpy(n->val, val, len);
    pthread_mutex_lock(&p->mu);
    node **link = find(p, id);
    bool live = *link && (*link)->expires_ms > now_ms;
    int rc = FW_PENDING_OK;
    if ((mode == MODE_ADD && live) || (mode == MODE_UPDATE && !live)) {
        rc = mode == MODE_ADD ? FW_PENDING_EEXISTS : FW_PENDING_ENOTFOUND;
        free(n);
    } else {
        n->expires_ms = mode == MODE_UPDATE ? (*link)->expires_ms : now_ms + ttl_ms;
        if (*link) {
            unlink_free(p, link);
        } else if (p->count >= p->max) {
            make_room(p, now_ms);
        }
        link = find(p, id);
        n->next = NULL;
        *link = n;
        p->count++;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int fw_pending_put(fw_pending *p, uint8_t kind, fw_str key, const void *val, size_t len, int64_t ttl_ms,
                   int64_t now_ms)
{
    return store(p, MODE_PUT, kind, key, val, len, ttl_ms, now_ms);
}

int fw_pending_add(fw_pending *p, uint8_t kind, fw_str key, const void *val, size_t len, int64_t ttl_ms,
                   int64_t now_ms)
{
    return store(p, MODE_ADD, kind, key, val, len, ttl_ms, now_ms);
}

int fw_pending_update(fw_pending *p, uint8_t kind, fw_str key, const void *val, size_t len, int64_t now_ms)
{
    return store(p, MODE_UPDATE, kind, key, val, len, 0, now_ms);
}

static int fetch(fw_pending *p, bool take, uint8_t kind, fw_str key, void *out, size_t cap, size_t *len,
                 int64_t now_ms)
{
    if (!key_ok(key))
        return FW_PENDING_ENOTFOUND;
    uint8_t id[32];
    entry_id(p, kind, key, id);
    pthread_mutex_lock(&p->mu);
    node **link = find(p, id);
    int rc = FW_PENDING_ENOTFOUND;
    if (*link && (*link)->expires_ms > now_ms) {
        rc = FW_PENDING_OK;
        if ((*link)->len > cap) {
            rc = FW_PENDING_ESPACE;
        } else {
            if ((*link)->len)
                memcpy(out, (*link)->val, (*link)->len);
            if (len)
                *len = (*link)->len;
        }
    }
    if (*link && (take || (*link)->expires_ms <= now_ms))
        unlink_free(p, link);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int fw_pending_get(fw_pending *p, uint8_t kind, fw_str key, void *out, size_t cap, size_t *len, int64_t now_ms)
{
    return fetch(p, false, kind, key, out, cap, len, now_ms);
}

int fw_pending_take(fw_pending *p, uint8_t kind, fw_str key, void *out, size_t cap, size_t *len, int64_t now_ms)
{
    return fetch(p, true, kind, key, out, cap, len, now_ms);
}

void fw_pending_remove(fw_pending *p, uint8_t kind, fw_str key)
{
    if (!key_ok(key))
        return;
    uint8_t id[32];
    entry_id(p, kind, key, id);
    pthread_mutex_lock(&p->mu);
    node **link = find(p, id);
    if (*link)
        unlink_free(p, link);
    pthread_mutex_unlock(&p->mu);
}

size_t fw_pending_count(fw_pending *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->count;
    pthread_mutex_unlock(&p->mu);
    return n;
}
