/* Per-thread, snapshot-validated response cache; see rcache.h. */
#include "api/rcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64                  /* direct-mapped by key hash */
#define BODY_MAX (160 * 1024)     /* a 1000-user page with most fields fits */

typedef struct slot {
    uint64_t version; /* 0 = empty */
    fw_rcache_key key;
    fw_buf body;
} slot;

typedef struct table {
    slot s[SLOTS];
} table;

static pthread_key_t tkey;
static pthread_once_t tkey_once = PTHREAD_ONCE_INIT;

static void table_free(void *p)
{
    table *t = p;
    for (int i = 0; i < SLOTS; i++)
        fw_buf_free(&t->s[i].body);
    free(t);
}

static void tkey_init(void) { pthread_key_create(&tkey, table_free); }

/* The calling thread's table, created on first use and freed when the thread ends. */
static table *my_table(void)
{
    pthread_once(&tkey_once, tkey_init);
    table *t = pthread_getspecific(tkey);
    if (!t && (t = calloc(1, sizeof *t)) != NULL)
        pthread_setspecific(tkey, t);
    return t;
}

bool fw_rcache_key_make(fw_rcache_key *k, uint8_t route, uint8_t who_kind, uint64_t viewer, fw_str path,
                        fw_str query)
{
    size_t need = 10 + path.len + 1 + query.len;
    if (need > FW_RCACHE_KEY_MAX)
        return false;
    char *p = k->bytes;
    p[0] = (char)route;
    p[1] = (char)who_kind;
    memcpy(p + 2, &viewer, 8);
    memcpy(p + 10, path.p, path.len);
    p[10 + path.len] = '?';
    if (query.len)
        memcpy(p + 11 + path.len, query.p, query.len);
    k->len = need;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < need; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    k->hash = h;
    return true;
}

bool fw_rcache_get(const fw_rcache_key *k, uint64_t version, fw_buf *out)
{
    table *t = my_table();
    if (!t || version == 0)
        return false;
    slot *s = &t->s[k->hash % SLOTS];
    if (s->version != version || s->key.hash != k->hash || s->key.len != k->len ||
        memcmp(s->key.bytes, k->bytes, k->len) != 0)
        return false;
    fw_buf_reset(out);
    fw_buf_append(out, s->body.data, s->body.len);
    return true;
}

void fw_rcache_put(const fw_rcache_key *k, uint64_t version, const char *body, size_t len)
{
    table *t = my_table();
    if (!t || version == 0 || len > BODY_MAX)
        return;
    slot *s = &t->s[k->hash % SLOTS];
    s->version = version;
    s->key.hash = k->hash;
    s->key.len = k->len;
    memcpy(s->key.bytes, k->bytes, k->len);
    fw_buf_reset(&s->body);
    fw_buf_append(&s->body, body, len);
}
