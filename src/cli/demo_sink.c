/* The demo generator's output: bulk import into an empty database, admin
 * calls otherwise (demo_sink.h). */
#include "cli/demo_sink.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"

struct fw_demo_sink {
    fw_store *s;
    fw_import *im;         /* bulk mode: the open import; NULL = admin calls */
    uint64_t next_id;
    fw_user_rec *users;    /* bulk: every user, in the order given */
    size_t nusers, ucap;
    uint64_t *order;       /* bulk: (id, index) pairs sorted by id, built on first lookup */
    size_t norder;
    fw_tweet *tweets;
    size_t ntweets, tcap;
    uint64_t *pairs;
    size_t npairs, pcap;
};

int fw_demo_sink_open(fw_store *s, fw_demo_sink **out)
{
    fw_demo_sink *k = calloc(1, sizeof *k);
    *out = k;
    if (!k)
        return FW_ENOMEM;
    k->s = s;
    int rc = fw_store_import_begin(s, &k->im);
    if (rc == FW_EEXISTS || rc == FW_ENOTSUP)
        rc = FW_OK; /* users exist already: write item by item */
    /* Ids like the store's own (ms since X's epoch << 22), one apart. */
    k->next_id = (uint64_t)(fw_now_ms() - FW_SNOWFLAKE_EPOCH_MS) << 22;
    if (rc) {
        free(k);
        *out = NULL;
    }
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The collected user with this id, or NULL. */
static fw_user_rec *find(fw_demo_sink *k, uint64_t id)
{
    if (k->norder != k->nusers) { /* users were added since: sort again */
        uint64_t *o = realloc(k->order, (k->nusers ? k->nusers : 1) * 2 * sizeof *o);
        if (!o)
            return NULL;
        k->order = o;
        for (size_t i = 0; i < k->nusers; i++)
            o[2 * i] = k->users[i].u.id, o[2 * i + 1] = i;
        qsort(o, k->nusers, 2 * sizeof *o, cmp_u64);
        k->norder = k->nusers;
    }
    size_t lo = 0, hi = k->norder;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (k->order[2 * mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k->norder && k->order[2 * lo] == id ? &k->users[k->order[2 * lo + 1]] : NULL;
}

int fw_demo_sink_user(fw_demo_sink *k, const fw_user *u, uint64_t *id_out)
{
    if (!k->im)
        return fw_store_user_create(k->s, u, id_out);
    int rc = fw_array_grow((void **)&k->users, &k->ucap, k->nusers + 1, sizeof *k->users);
    if (rc)
        return rc;
    fw_user_rec *r = &k->users[k->nusers++];
    memset(r, 0, sizeof *r);
    r->u = *u;
    r->u.id = u->id ? u->id : k->next_id++;
    const fw_str f[] = {u->username, u->name, u->description, u->location, u->url, u->profile_image_url,
                        u->withheld_countries, u->entities_json};
    for (int i = 0; i < 8; i++)
        fw_user_rec_set(r, i, f[i]);
    *id_out = r->u.id;
    return FW_OK;
}

int fw_demo_sink_tweet(fw_demo_sink *k, const fw_tweet *t, uint64_t *id_out)
{
    if (!k->im)
        return fw_store_tweet_add(k->s, t, id_out);
    int rc = fw_array_grow((void **)&k->tweets, &k->tcap, k->ntweets + 1, sizeof *k->tweets);
    if (rc)
        return rc;
    k->tweets[k->ntweets] = *t;
    k->tweets[k->ntweets].id = *id_out = k->next_id++;
    k->ntweets++;
    return FW_OK;
}

int fw_demo_sink_pin(fw_demo_sink *k, uint64_t user, uint64_t tweet)
{
    if (k->im) {
        fw_user_rec *r = find(k, user);
        if (!r)
            return FW_ENOTFOUND;
        r->u.pinned_tweet_id = tweet;
        return FW_OK;
    }
    fw_user_rec rec = {0};
    int rc = fw_store_user_get(k->s, user, &rec);
    if (rc == FW_OK) {
        rec.u.pinned_tweet_id = tweet;
        rc = fw_store_user_update(k->s, &rec.u);
    }
    fw_user_rec_free(&rec);
    return rc;
}

int fw_demo_sink_follows(fw_demo_sink *k, const uint64_t *pairs, size_t n)
{
    if (!k->im)
        return fw_store_follow_bulk(k->s, pairs, n);
    int rc = fw_array_grow((void **)&k->pairs, &k->pcap, k->npairs + n, 2 * sizeof *k->pairs);
    if (!rc) {
        memcpy(k->pairs + 2 * k->npairs, pairs, n * 2 * sizeof *pairs);
        k->npairs += n;
    }
    return rc;
}

/* (src, dst, position) rows, lexicographic. */
static int cmp_edge(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* fw_store_follow_bulk's semantics for the import: the first of repeated
 * pairs counts, requests to protected accounts. Pairs sorted by (src, dst)
 * with their position find the repeats. */
static int load_edges(fw_demo_sink *k)
{
    size_t n = k->npairs;
    uint64_t (*e)[3] = malloc((n ? n : 1) * sizeof *e);
    if (!e)
        return FW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        e[i][0] = k->pairs[2 * i], e[i][1] = k->pairs[2 * i + 1], e[i][2] = i;
    qsort(e, n, sizeof *e, cmp_edge);
    bool *keep = calloc(n ? n : 1, sizeof *keep);
    int rc = keep ? FW_OK : FW_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++)
        if (i == 0 || e[i][0] != e[i - 1][0] || e[i][1] != e[i - 1][1])
            keep[e[i][2]] = true;
    free(e);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!keep[i])
            continue;
        const fw_user_rec *d = find(k, k->pairs[2 * i + 1]);
        if (!d) {
            rc = FW_ETARGET;
            break;
        }
        uint8_t rel = (d->u.flags & FW_USER_PROTECTED) ? FW_REL_PENDING : FW_REL_FOLLOWING;
        rc = fw_store_import_edge(k->im, rel, k->pairs[2 * i], k->pairs[2 * i + 1], 0);
    }
    free(keep);
    return rc;
}

int fw_demo_sink_close(fw_demo_sink *k)
{
    int rc = FW_OK;
    if (k->im) {
        for (size_t i = 0; !rc && i < k->nusers; i++)
            rc = fw_store_import_user(k->im, &k->users[i].u);
        for (size_t i = 0; !rc && i < k->ntweets; i++)
            rc = fw_store_import_tweet(k->im, &k->tweets[i]);
        if (!rc)
            rc = load_edges(k);
        uint64_t dup;
        if (!rc)
            rc = fw_store_import_commit(k->im, NULL, NULL, &dup);
        else
            fw_store_import_abort(k->im);
    }
    for (size_t i = 0; i < k->nusers; i++)
        fw_user_rec_free(&k->users[i]);
    free(k->users);
    free(k->order);
    free(k->tweets);
    free(k->pairs);
    free(k);
    return rc;
}
