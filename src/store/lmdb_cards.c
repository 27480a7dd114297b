/* User cards: what a default-fields list page shows of a user (id, flags,
 * name, username and the pre-rendered default_json), copied out of the users
 * B-tree into an array indexed by ordinal and shared by every thread of the
 * process.
 *
 * Why: on a large graph a page's users are random leaves of the users
 * table; each costs a descent of some twelve cache misses (the profile in
 * docs/benchmarks.md), a card one or two.
 *
 * Why a card stays right: its fields change only through writes the change
 * log records as wildcards. Graph writes, the only precise entries
 * (lmdb_changes.c), rewrite counters and lists, never a card's fields. So a
 * set of cards filled from any snapshot in [from, valid] holds what every
 * snapshot in that range holds; a reader at a newer snapshot first checks the
 * log between `valid` and its own snapshot, inside its own transaction: no
 * wildcard extends `valid`, a wildcard (or a gap the log no longer covers)
 * starts an empty set. Sets are reference counted; an old one is freed when
 * its last reader leaves.
 *
 * Memory: the budget covers the slot array (4 bytes per ordinal, sized from
 * next_ord when a set starts, with room for growth) and the cards (about 80
 * bytes each). Both are reserved address space, touched as cards are added;
 * once the budget is spent no more are added.
 *
 * Prefill: on request (serve) a thread at the lowest priority reads the
 * users table in ordinal order into the set that is current when it starts,
 * a few thousand users per read transaction, so that pages find cards from
 * the first minute instead of after millions of misses. It stops at the end
 * of the table, when the budget is spent, when that set is retired (a
 * profile change: demand filling takes over rather than re-reading the table
 * after every edit) and at close. */
#include "store/lmdb_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CARD_ALIGN 8u
#define SLOT_SPARE 4096u /* ordinals beyond next_ord a new set has slots for (plus a quarter) */
#define FILL_CHUNK 4096u /* users the prefill reads per read transaction: short ones, pinning no old pages */

typedef struct card {
    uint64_t id;
    uint32_t flags;
    uint16_t dj_len, name_off, name_len, un_off, un_len;
    char dj[]; /* default_json; name and username lie inside it */
} card;

struct fw_lmdb_cardset {
    struct fw_lmdb_cardset *next_old; /* retired sets still read */
    unsigned refs;                    /* readers inside, + 1 while current (under fw_lmdb_cards.mu) */
    uint64_t from, valid;             /* the snapshots the cards hold for */
    uint32_t nslots;
    _Atomic uint32_t *slots;          /* card offset / CARD_ALIGN, 0 = none */
    char *heap;                       /* the cards */
    size_t cap;                       /* bytes of heap */
    atomic_size_t used;
    size_t map_len;                   /* slots and heap, one mapping */
};

struct fw_lmdb_cards {
    pthread_mutex_t mu;
    size_t budget;
    fw_lmdb_cardset *cur;  /* NULL: none yet (made by the first reader) */
    fw_lmdb_cardset *old;  /* retired, refs > 0 */
    pthread_t filler;      /* the prefill thread, when `filling` */
    bool filling;
    atomic_bool stop;      /* close: the prefill ends at its next chunk */
    atomic_size_t filled;  /* cards the prefill added (tests) */
    atomic_bool fill_done; /* the prefill has ended */
};

int fw_lmdb_cards_new(fw_store *s, size_t budget)
{
    s->cards = NULL;
    if (budget < ((size_t)1 << 20) || (s->absent & (1u << DB_CHANGES)))
        return FW_OK; /* off: too small to be worth it, or no change log to keep it right */
    struct fw_lmdb_cards *c = calloc(1, sizeof(*c));
    if (!c)
        return FW_ENOMEM;
    pthread_mutex_init(&c->mu, NULL);
    c->budget = budget;
    s->cards = c;
    return FW_OK;
}

static void set_free(fw_lmdb_cardset *cs)
{
    munmap(cs->slots, cs->map_len);
    free(cs);
}

void fw_lmdb_cards_free(fw_store *s)
{
    struct fw_lmdb_cards *c = s->cards;
    if (!c)
        return;
    if (c->filling) {
        atomic_store(&c->stop, true);
        pthread_join(c->filler, NULL);
    }
    if (c->cur)
        set_free(c->cur);
    while (c->old) { /* no reader is left at close */
        fw_lmdb_cardset *n = c->old->next_old;
        set_free(c->old);
        c->old = n;
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
    s->cards = NULL;
}

static uint32_t next_ord(fw_store *s, MDB_txn *txn)
{
    MDB_val k = {8, "next_ord"}, v;
    return mdb_get(txn, s->dbi[DB_META], &k, &v) == 0 && v.mv_size == 4 ? le32_get(v.mv_data) : 0;
}

/* An empty set for snapshot ver, or NULL when the budget cannot hold its slots. */
static fw_lmdb_cardset *set_new(struct fw_lmdb_cards *c, fw_store *s, MDB_txn *txn, uint64_t ver)
{
    uint64_t n = (uint64_t)next_ord(s, txn);
    n += n / 4 + SLOT_SPARE;
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    size_t slot_bytes = ((size_t)n * sizeof(uint32_t) + 4095) & ~(size_t)4095;
    if (slot_bytes >= c->budget)
        return NULL;
    size_t heap = c->budget - slot_bytes;
    if (heap / CARD_ALIGN > UINT32_MAX)
        heap = (size_t)UINT32_MAX * CARD_ALIGN;
    fw_lmdb_cardset *cs = calloc(1, sizeof(*cs));
    if (!cs)
        return NULL;
    void *m = mmap(NULL, slot_bytes + heap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        free(cs);
        return NULL;
    }
    /* Cards are read at random: with 4 KB pages every read of a 1 GB arena
     * is a TLB miss too, and measured the two loads a card costs were ~22% of
     * the server's time; 2 MB pages (where THP is "madvise") leave mostly the
     * cache misses. Only a hint: no huge pages, the same cards. */
    (void)madvise(m, slot_bytes + heap, MADV_HUGEPAGE);
    cs->map_len = slot_bytes + heap;
    cs->slots = m;
    cs->nslots = (uint32_t)n;
    cs->heap = (char *)m + slot_bytes;
    cs->cap = heap;
    atomic_init(&cs->used, CARD_ALIGN); /* offset 0 means "no card" */
    cs->from = cs->valid = ver;
    cs->refs = 1;
    return cs;
}

/* Drops one reference (under c->mu); frees a retired set nobody reads. */
static void set_unref(struct fw_lmdb_cards *c, fw_lmdb_cardset *cs)
{
    if (--cs->refs)
        return;
    for (fw_lmdb_cardset **p = &c->old; *p; p = &(*p)->next_old)
        if (*p == cs) {
            *p = cs->next_old;
            break;
        }
    set_free(cs);
}

static void no_fn(void *ctx, uint64_t id, uint64_t ver) { (void)ctx, (void)id, (void)ver; }

fw_lmdb_cardset *fw_lmdb_cards_enter(fw_store *s, MDB_txn *txn)
{
    struct fw_lmdb_cards *c = s->cards;
    if (!c)
        return NULL;
    uint64_t ver = (uint64_t)mdb_txn_id(txn);
    pthread_mutex_lock(&c->mu);
    fw_lmdb_cardset *cs = c->cur;
    if (cs && ver > cs->valid) {
        /* Only graph writes since: the cards still hold. Anything else, or a
         * log that no longer reaches back: start over at this snapshot. */
        if (fw_lmdb_changes_in(s, txn, cs->valid, no_fn, NULL) == FW_OK) {
            cs->valid = ver;
        } else {
            cs->next_old = c->old;
            c->old = cs;
            c->cur = cs = NULL;
            set_unref(c, c->old);
        }
    }
    if (!cs)
        cs = c->cur = set_new(c, s, txn, ver);
    if (cs && ver < cs->from)
        cs = NULL; /* a snapshot older than the set's: it may predate a change */
    if (cs)
        cs->refs++;
    pthread_mutex_unlock(&c->mu);
    return cs;
}

void fw_lmdb_cards_leave(fw_store *s, fw_lmdb_cardset *cs)
{
    if (!cs)
        return;
    struct fw_lmdb_cards *c = s->cards;
    pthread_mutex_lock(&c->mu);
    set_unref(c, cs);
    pthread_mutex_unlock(&c->mu);
}

bool fw_lmdb_card_get(fw_lmdb_cardset *cs, uint32_t ord, fw_user *u)
{
    if (ord >= cs->nslots)
        return false;
    uint32_t off = atomic_load_explicit(&cs->slots[ord], memory_order_acquire);
    if (!off)
        return false;
    const card *k = (const card *)(cs->heap + (size_t)off * CARD_ALIGN);
    *u = (fw_user){.id = k->id, .flags = k->flags};
    u->default_json = (fw_str){k->dj, k->dj_len};
    u->name = (fw_str){k->dj + k->name_off, k->name_len};
    u->username = (fw_str){k->dj + k->un_off, k->un_len};
    return true;
}

void fw_lmdb_cards_prefetch(fw_lmdb_cardset *cs, const uint32_t *ords, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ords[i] < cs->nslots)
            __builtin_prefetch(&cs->slots[ords[i]]);
    for (size_t i = 0; i < n; i++) {
        uint32_t off = ords[i] < cs->nslots ? atomic_load_explicit(&cs->slots[ords[i]], memory_order_relaxed) : 0;
        if (off) {
            const char *k = cs->heap + (size_t)off * CARD_ALIGN;
            __builtin_prefetch(k);
            __builtin_prefetch(k + 64);
        }
    }
}

/* Where s (len n) lies in dj at or after from, preceded by the key's opening
 * quote and followed by a closing one; 0 if it is not there verbatim. */
static size_t find_raw(fw_str dj, size_t from, const char *key, fw_str s)
{
    size_t kl = strlen(key);
    for (size_t i = from; i + kl + s.len + 1 <= dj.len; i++)
        if (!memcmp(dj.p + i, key, kl) && !memcmp(dj.p + i + kl, s.p, s.len) && dj.p[i + kl + s.len] == '"')
            return i + kl;
    return 0;
}

typedef enum { PUT_ADDED, PUT_SKIPPED, PUT_SPENT } put_res;

static put_res put_card(fw_lmdb_cardset *cs, uint32_t ord, const fw_user *u)
{
    if (ord >= cs->nslots || !u->default_json.len || u->default_json.len > UINT16_MAX)
        return PUT_SKIPPED;
    /* Names that JSON escapes have no verbatim copy in default_json: such
     * users are read from the table every time. */
    size_t noff = find_raw(u->default_json, 0, "\"name\":\"", u->name);
    size_t uoff = noff ? find_raw(u->default_json, noff + u->name.len, "\"username\":\"", u->username) : 0;
    if (!uoff)
        return PUT_SKIPPED;
    size_t need = (sizeof(card) + u->default_json.len + CARD_ALIGN - 1) & ~(size_t)(CARD_ALIGN - 1);
    if (atomic_load_explicit(&cs->used, memory_order_relaxed) + need > cs->cap)
        return PUT_SPENT; /* no write to the shared counter on every miss */
    size_t at = atomic_fetch_add_explicit(&cs->used, need, memory_order_relaxed);
    if (at + need > cs->cap) {
        atomic_store_explicit(&cs->used, cs->cap, memory_order_relaxed); /* full: stays full */
        return PUT_SPENT;
    }
    card *k = (card *)(cs->heap + at);
    k->id = u->id;
    k->flags = u->flags;
    k->dj_len = (uint16_t)u->default_json.len;
    k->name_off = (uint16_t)noff;
    k->name_len = (uint16_t)u->name.len;
    k->un_off = (uint16_t)uoff;
    k->un_len = (uint16_t)u->username.len;
    memcpy(k->dj, u->default_json.p, u->default_json.len);
    atomic_store_explicit(&cs->slots[ord], (uint32_t)(at / CARD_ALIGN), memory_order_release);
    return PUT_ADDED;
}

void fw_lmdb_card_put(fw_lmdb_cardset *cs, uint32_t ord, const fw_user *u) { (void)put_card(cs, ord, u); }

/* Adds the cards of up to FILL_CHUNK users from *ord on; false at the end of
 * the table, on a read error or once the budget is spent. */
static bool fill_chunk(fw_store *s, MDB_txn *txn, fw_lmdb_cardset *cs, uint32_t *ord, size_t *added)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_USERS], &cur))
        return false;
    MDB_val k = fw_lmdb_ord_key(ord), v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    unsigned n = 0;
    put_res r = PUT_SKIPPED;
    for (; rc == 0 && n < FILL_CHUNK && r != PUT_SPENT && k.mv_size == sizeof(uint32_t);
         n++, rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint32_t o;
        memcpy(&o, k.mv_data, sizeof o);
        *ord = o + 1;
        fw_user u;
        if (o >= cs->nslots || atomic_load_explicit(&cs->slots[o], memory_order_acquire))
            continue; /* beyond the set's slots, or a reader put it first */
        if (fw_lmdb_user_unpack(v.mv_data, v.mv_size, &u) < 0)
            break;
        r = put_card(cs, o, &u);
        *added += r == PUT_ADDED;
    }
    mdb_cursor_close(cur);
    return rc == 0 && n == FILL_CHUNK && r != PUT_SPENT && *ord != 0;
}

static void *fill_main(void *arg)
{
    fw_store *s = arg;
    struct fw_lmdb_cards *c = s->cards;
    /* Serving comes first: this thread only uses what the loops leave idle. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    uint32_t ord = 0;
    uint64_t from = 0;
    bool begun = false, more = true;
    while (more && !atomic_load(&c->stop)) {
        MDB_txn *txn;
        if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))
            break;
        fw_lmdb_cardset *cs = fw_lmdb_cards_enter(s, txn);
        if (cs && (!begun || cs->from == from)) {
            from = cs->from;
            begun = true;
            size_t added = 0;
            more = fill_chunk(s, txn, cs, &ord, &added);
            atomic_fetch_add(&c->filled, added);
        } else {
            more = false; /* no set, or the one we began with was retired */
        }
        fw_lmdb_cards_leave(s, cs);
        mdb_txn_abort(txn);
    }
    atomic_store(&c->fill_done, true);
    return NULL;
}

int fw_lmdb_cards_prefill(fw_store *s)
{
    struct fw_lmdb_cards *c = s->cards;
    if (!c || c->filling)
        return FW_OK;
    if (pthread_create(&c->filler, NULL, fill_main, s))
        return FW_ENOMEM;
    c->filling = true;
    return FW_OK;
}

bool fw_lmdb_cards_prefill_state(fw_store *s, size_t *filled)
{
    struct fw_lmdb_cards *c = s->cards;
    *filled = c ? atomic_load(&c->filled) : 0;
    return !c || !c->filling || atomic_load(&c->fill_done);
}
