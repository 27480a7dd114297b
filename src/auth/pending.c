/* Bounded TTL table of pending authorization state; see pending.h.
 *
 * Every entry sits in three lists: its hash chain (lookups), its kind's list
 * and its (kind, owner) group's list, the last two in insertion order so the
 * oldest entry of a kind or of an owner is always at the head: making room is
 * O(1) per dropped entry, however large the table, even while it is flooded. */
#include "auth/pending.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"

typedef struct group group;

typedef struct node {
    struct node *hnext;         /* hash chain */
    struct node *kprev, *knext; /* its kind's entries, oldest first */
    struct node *gprev, *gnext; /* its group's entries, oldest first */
    group *grp;
    uint8_t id[32]; /* HMAC(kind || key) */
    uint8_t kind;
    int64_t expires_ms;
    size_t len;
    uint8_t val[];
} node;

/* The entries of one kind with one owner; exists while it has any. */
struct group {
    group *next; /* hash chain */
    uint64_t owner;
    uint8_t kind;
    size_t count;
    node *head, *tail;
};

typedef struct kindq {
    fw_pending_limit lim;
    size_t count;
    node *head, *tail;
} kindq;

struct fw_pending {
    pthread_mutex_t mu;
    uint8_t key[32];
    node **buckets;
    size_t nbuckets; /* power of two */
    group **gbuckets;
    size_t ngbuckets; /* power of two */
    size_t count, max;
    kindq kinds[FW_PENDING_KINDS];
};

static size_t pow2_at_least(size_t n)
{
    size_t b = 16;
    while (b < n)
        b <<= 1;
    return b;
}

int fw_pending_new(size_t max_entries, fw_pending **out)
{
    if (max_entries == 0 || max_entries > 1000000)
        return -1;
    fw_pending *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->max = max_entries;
    p->nbuckets = pow2_at_least(max_entries);
    p->ngbuckets = pow2_at_least(max_entries / 4);
    p->buckets = calloc(p->nbuckets, sizeof *p->buckets);
    p->gbuckets = calloc(p->ngbuckets, sizeof *p->gbuckets);
    if (!p->buckets || !p->gbuckets || fw_random_bytes(p->key, sizeof p->key) != 0 ||
        pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p->buckets);
        free(p->gbuckets);
        free(p);
        return -1;
    }
    for (size_t i = 0; i < FW_PENDING_KINDS; i++)
        p->kinds[i].lim.evict = true;
    *out = p;
    return 0;
}

void fw_pending_free(fw_pending *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nbuckets; i++)
        for (node *n = p->buckets[i], *next; n; n = next) {
            next = n->hnext;
            free(n);
        }
    for (size_t i = 0; i < p->ngbuckets; i++)
        for (group *g = p->gbuckets[i], *next; g; g = next) {
            next = g->next;
            free(g);
        }
    free(p->buckets);
    free(p->gbuckets);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int fw_pending_set_limit(fw_pending *p, uint8_t kind, fw_pending_limit lim)
{
    if (kind >= FW_PENDING_KINDS)
        return FW_EINVAL;
    pthread_mutex_lock(&p->mu);
    p->kinds[kind].lim = lim;
    pthread_mutex_unlock(&p->mu);
    return FW_OK;
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

/* Finds the link pointing at the entry with id (or at the NULL ending the chain). */
static node **find(fw_pending *p, const uint8_t id[32])
{
    uint64_t h;
    memcpy(&h, id, sizeof h);
    node **link = &p->buckets[h & (p->nbuckets - 1)];
    while (*link && memcmp((*link)->id, id, 32) != 0)
        link = &(*link)->hnext;
    return link;
}

/* Owners are app ids (chosen by the admin, not by clients); the mix is
 * seeded anyway so bucket placement is not predictable. */
static group **group_link(fw_pending *p, uint8_t kind, uint64_t owner)
{
    uint64_t seed, h;
    memcpy(&seed, p->key + 8, sizeof seed);
    h = (owner ^ seed) + 0x9E3779B97F4A7C15ULL * (uint64_t)(kind + 1);
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
    h ^= h >> 31;
    group **link = &p->gbuckets[h & (p->ngbuckets - 1)];
    while (*link && !((*link)->kind == kind && (*link)->owner == owner))
        link = &(*link)->next;
    return link;
}

/* Unlinks n from its three lists and frees it (and its group, if now empty). */
static void drop(fw_pending *p, node *n)
{
    node **link = find(p, n->id);
    *link = n->hnext;
    kindq *k = &p->kinds[n->kind];
    if (n->kprev)
        n->kprev->knext = n->knext;
    else
        k->head = n->knext;
    if (n->knext)
        n->knext->kprev = n->kprev;
    else
        k->tail = n->kprev;
    k->count--;
    group *g = n->grp;
    if (n->gprev)
        n->gprev->gnext = n->gnext;
    else
        g->head = n->gnext;
    if (n->gnext)
        n->gnext->gprev = n->gprev;
    else
        g->tail = n->gprev;
    if (--g->count == 0) {
        group **gl = group_link(p, g->kind, g->owner);
        *gl = g->next;
        free(g);
    }
    p->count--;
    free(n);
}

/* Appends n (id, kind, expiry set; absent from the table) as the youngest
 * entry of its kind and of group g. */
static void link_in(fw_pending *p, node *n, group *g)
{
    node **bucket = find(p, n->id);
    n->hnext = NULL;
    *bucket = n;
    kindq *k = &p->kinds[n->kind];
    n->kprev = k->tail;
    n->knext = NULL;
    if (k->tail)
        k->tail->knext = n;
    else
        k->head = n;
    k->tail = n;
    k->count++;
    n->grp = g;
    n->gprev = g->tail;
    n->gnext = NULL;
    if (g->tail)
        g->tail->gnext = n;
    else
        g->head = n;
    g->tail = n;
    g->count++;
    p->count++;
}

/* Puts n where old was in all three lists (same kind, group, age, expiry). */
static void splice(fw_pending *p, node **link, node *old, node *n)
{
    n->hnext = old->hnext;
    *link = n;
    kindq *k = &p->kinds[old->kind];
    n->kprev = old->kprev;
    n->knext = old->knext;
    if (n->kprev)
        n->kprev->knext = n;
    else
        k->head = n;
    if (n->knext)
        n->knext->kprev = n;
    else
        k->tail = n;
    group *g = old->grp;
    n->grp = g;
    n->gprev = old->gprev;
    n->gnext = old->gnext;
    if (n->gprev)
        n->gprev->gnext = n;
    else
        g->head = n;
    if (n->gnext)
        n->gnext->gprev = n;
    else
        g->tail = n;
    n->expires_ms = old->expires_ms;
    free(old);
}

/* Drops the head while over a cap: an expired head always goes, a live one
 * only if the kind evicts. */
static bool over_cap_drop(fw_pending *p, node *head, const kindq *k, int64_t now_ms)
{
    if (head->expires_ms > now_ms && !k->lim.evict)
        return false;
    drop(p, head);
    return true;
}

/* Makes room for one entry of (kind, owner), taking it only from that owner,
 * that kind, or expired entries of any kind. */
static int make_room(fw_pending *p, uint8_t kind, uint64_t owner, int64_t now_ms)
{
    kindq *k = &p->kinds[kind];
    group *g;
    if (k->lim.per_owner)
        while ((g = *group_link(p, kind, owner)) && g->count >= k->lim.per_owner)
            if (!over_cap_drop(p, g->head, k, now_ms))
                return FW_EFULL;
    if (k->lim.max)
        while (k->count >= k->lim.max)
            if (!over_cap_drop(p, k->head, k, now_ms))
                return FW_EFULL;
    if (p->count >= p->max) {
        for (size_t i = 0; i < FW_PENDING_KINDS; i++)
            while (p->kinds[i].head && p->kinds[i].head->expires_ms <= now_ms)
                drop(p, p->kinds[i].head);
        while (p->count >= p->max)
            if (!k->head || !over_cap_drop(p, k->head, k, now_ms))
                return FW_EFULL;
    }
    return FW_OK;
}

enum { MODE_PUT, MODE_ADD, MODE_UPDATE };

static int store(fw_pending *p, int mode, uint8_t kind, uint64_t owner, fw_str key, const void *val, size_t len,
                 int64_t ttl_ms, int64_t now_ms)
{
    if (kind >= FW_PENDING_KINDS || !key_ok(key) || len > FW_PENDING_MAX_VALUE ||
        (mode != MODE_UPDATE && ttl_ms <= 0) || (len && !val))
        return FW_EINVAL;
    node *n = malloc(sizeof *n + len);
    group *spare = malloc(sizeof *spare); /* allocated outside the lock, in case the group is new */
    if (!n || !spare) {
        free(n);
        free(spare);
        return FW_ENOMEM;
    }
    entry_id(p, kind, key, n->id);
    n->kind = kind;
    n->len = len;
    if (len)
        memcpy(n->val, val, len);
    pthread_mutex_lock(&p->mu);
    node **link = find(p, n->id);
    node *old = *link;
    bool live = old && old->expires_ms > now_ms;
    int rc = FW_OK;
    if (mode == MODE_ADD && live) {
        rc = FW_EEXISTS;
    } else if (mode == MODE_UPDATE && !live) {
        rc = FW_ENOTFOUND;
    } else if (mode == MODE_UPDATE) {
        splice(p, link, old, n);
        n = NULL;
    } else {
        if (old)
            drop(p, old);
        rc = make_room(p, kind, owner, now_ms);
        if (rc == FW_OK) {
            group **gl = group_link(p, kind, owner);
            if (!*gl) {
                *spare = (group){.owner = owner, .kind = kind};
                *gl = spare;
                spare = NULL;
            }
            n->expires_ms = now_ms + ttl_ms;
            link_in(p, n, *gl);
            n = NULL;
        }
    }
    pthread_mutex_unlock(&p->mu);
    free(n);
    free(spare);
    return rc;
}

int fw_pending_put(fw_pending *p, uint8_t kind, uint64_t owner, fw_str key, const void *val, size_t len,
                   int64_t ttl_ms, int64_t now_ms)
{
    return store(p, MODE_PUT, kind, owner, key, val, len, ttl_ms, now_ms);
}

int fw_pending_add(fw_pending *p, uint8_t kind, uint64_t owner, fw_str key, const void *val, size_t len,
                   int64_t ttl_ms, int64_t now_ms)
{
    return store(p, MODE_ADD, kind, owner, key, val, len, ttl_ms, now_ms);
}

int fw_pending_update(fw_pending *p, uint8_t kind, fw_str key, const void *val, size_t len, int64_t now_ms)
{
    return store(p, MODE_UPDATE, kind, 0, key, val, len, 0, now_ms);
}

static int fetch(fw_pending *p, bool take, uint8_t kind, fw_str key, void *out, size_t cap, size_t *len,
                 int64_t now_ms)
{
    if (kind >= FW_PENDING_KINDS || !key_ok(key))
        return FW_ENOTFOUND;
    uint8_t id[32];
    entry_id(p, kind, key, id);
    pthread_mutex_lock(&p->mu);
    node *n = *find(p, id);
    int rc = FW_ENOTFOUND;
    if (n && n->expires_ms > now_ms) {
        rc = FW_OK;
        if (n->len > cap) {
            rc = FW_ESPACE;
        } else {
            if (n->len)
                memcpy(out, n->val, n->len);
            if (len)
                *len = n->len;
        }
    }
    if (n && (take || n->expires_ms <= now_ms))
        drop(p, n);
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

size_t fw_pending_count(fw_pending *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->count;
    pthread_mutex_unlock(&p->mu);
    return n;
}

size_t fw_pending_count_kind(fw_pending *p, uint8_t kind)
{
    if (kind >= FW_PENDING_KINDS)
        return 0;
    pthread_mutex_lock(&p->mu);
    size_t n = p->kinds[kind].count;
    pthread_mutex_unlock(&p->mu);
    return n;
}

size_t fw_pending_count_owner(fw_pending *p, uint8_t kind, uint64_t owner)
{
    if (kind >= FW_PENDING_KINDS)
        return 0;
    pthread_mutex_lock(&p->mu);
    group *g = *group_link(p, kind, owner);
    size_t n = g ? g->count : 0;
    pthread_mutex_unlock(&p->mu);
    return n;
}
