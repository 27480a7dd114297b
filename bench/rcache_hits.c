/* How often the response cache answers a Zipf-skewed stream of followers-page
 * reads mixed with follows (a benchmark, not a test; CPU-independent figures).
 *
 * The store is a real LMDB database (a power-law graph bulk-imported into a
 * temp dir); reads go through fw_store_list and fw_rcache exactly as the
 * server's read path does (one thread). Two policies are counted side by side
 * on the same stream:
 *   - "snapshot": what followd did before the change log, a body valid only
 *     while no write at all has committed since it was read, with the 64 slots
 *     per thread it had and with 1024 (to separate the two changes);
 *   - "change log": src/api/rcache.c now, a body valid while no commit touched
 *     a user it shows, in 4-way sets of one slot per 4 KB of the budget
 *     (MB per thread, the 4th argument; default the server's default).
 * Every served body is also compared with a fresh read, so the figure can
 * never come from a stale answer.
 *
 *   cc -O2 -std=gnu11 -Isrc bench/rcache_hits.c build/release/libfollowd.a \
 *      $(pkg-config --libs lmdb libssl libcrypto jansson libpcre2-8 libpq) -lpthread -o build/rcache_hits
 *   build/rcache_hits [users] [edges] [reads] [MB] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/rcache.h"
#include "core/buf.h"
#include "store/store.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double next_unit(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }

static double *cdf;
static size_t nusers;
/* a user id 1..n with P(rank k) ~ 1/k */
static uint64_t zipf(void)
{
    double u = next_unit();
    size_t lo = 0, hi = nusers - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo + 1;
}

typedef struct page {
    fw_buf body;
    uint64_t ids[101];
    size_t n;
} page;

static void render(void *ctx, const fw_list_res *r)
{
    page *p = ctx;
    fw_buf_reset(&p->body);
    p->n = 0;
    char line[96];
    for (size_t i = 0; r->rc == FW_OK && i < r->n; i++) {
        /* padded to the ~70 bytes a user takes in a real page, so bodies weigh what they do in the server */
        int len = snprintf(line, sizeof line, "%-69llu:%llu:%llu;", (unsigned long long)r->users[i].id,
                           (unsigned long long)r->users[i].followers_count,
                           (unsigned long long)r->users[i].following_count);
        fw_buf_append(&p->body, line, (size_t)len);
        p->ids[p->n++] = r->users[i].id;
    }
    fw_buf_append(&p->body, "", 1);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void read_page(fw_store *s, uint64_t owner, page *p)
{
    fw_list_q q = {.owner_id = owner, .kind = FW_LIST_FOLLOWERS, .dir = FW_PAGE_FIRST, .limit = 100};
    fw_store_list(s, NULL, &q, render, p);
}

int main(int argc, char **argv)
{
    nusers = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    size_t nedges = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    size_t nreads = argc > 3 ? strtoul(argv[3], NULL, 10) : 200000;
    size_t mb = argc > 4 ? strtoul(argv[4], NULL, 10) : FW_RCACHE_BYTES >> 20;
    fw_rcache_configure(mb << 20);
    cdf = malloc(nusers * sizeof *cdf);
    double sum = 0;
    for (size_t k = 0; k < nusers; k++)
        cdf[k] = (sum += 1.0 / (double)(k + 1));
    for (size_t k = 0; k < nusers; k++)
        cdf[k] /= sum;

    char dir[] = "/tmp/fw-rcache-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    fw_store *s;
    fw_store_opts o = {.path = dir, .map_size = (size_t)8 << 30};
    fw_import *im;
    if (fw_store_open(&o, &s) || fw_store_import_begin(s, &im))
        return 1;
    char name[32];
    for (size_t i = 1; i <= nusers; i++) {
        snprintf(name, sizeof name, "u%zu", i);
        fw_user u = {.id = i, .username = fw_str_c(name), .name = fw_str_c(name)};
        if (fw_store_import_user(im, &u))
            return 1;
    }
    /* followers drawn by Zipf (a few accounts get most), sources uniform; duplicate pairs dropped */
    uint64_t *pairs = malloc(nedges * sizeof *pairs);
    size_t np = 0;
    for (size_t e = 0; e < nedges; e++) {
        uint64_t dst = zipf(), src = 1 + next_u64() % nusers;
        if (src != dst)
            pairs[np++] = src << 32 | dst;
    }
    qsort(pairs, np, sizeof *pairs, cmp_u64);
    size_t kept = 0;
    for (size_t i = 0; i < np; i++)
        if (!kept || pairs[kept - 1] != pairs[i])
            pairs[kept++] = pairs[i];
    for (size_t i = 0; i < kept; i++)
        if (fw_store_import_edge(im, FW_REL_FOLLOWING, pairs[i] >> 32, pairs[i] & 0xffffffffu, 0))
            return 1;
    free(pairs);
    nedges = kept;
    uint64_t dup;
    if (fw_store_import_commit(im, NULL, NULL, &dup))
        return 1;

    static const int shares[] = {0, 1, 10};
    printf("# %zu users, %zu edges (Zipf), %zu reads of followers pages of 100 per write share\n", nusers, nedges,
           nreads);
    char now[48];
    snprintf(now, sizeof now, "change log, %zu MB", mb);
    printf("%-8s %-20s %-22s %-20s %s\n", "writes", "snapshot, 64 slots", "snapshot, 1024 slots", now, "stale served");
    for (size_t w = 0; w < sizeof shares / sizeof *shares; w++) {
        fw_rcache_clear();
        static struct { uint64_t key, version; } old[64], big[1024];
        memset(old, 0, sizeof old);
        memset(big, 0, sizeof big);
        size_t hits_old = 0, hits_big = 0, hits_new = 0, reads = 0, stale = 0;
        page fresh = {FW_BUF_INIT};
        fw_buf out = FW_BUF_INIT;
        while (reads < nreads) {
            if ((int)(next_u64() % 100) < shares[w]) {
                uint64_t dst = zipf(), src = 1 + next_u64() % nusers;
                fw_write_res r;
                if (src != dst && fw_store_write_sync(s, FW_W_FOLLOW, src, dst, &r) == FW_OK && !r.changed &&
                    fw_store_write_sync(s, FW_W_UNFOLLOW, src, dst, &r)) {
                    return 1;
                }
                continue;
            }
            reads++;
            uint64_t owner = zipf(), v = fw_store_version(s);
            char path[64];
            snprintf(path, sizeof path, "/2/users/%llu/followers", (unsigned long long)owner);
            fw_rcache_key k;
            fw_rcache_key_make(&k, 5, 2, 0, fw_str_c(path), fw_str_c(""));
            if (old[k.hash % 64].key == k.hash && old[k.hash % 64].version == v)
                hits_old++;
            else
                old[k.hash % 64].key = k.hash, old[k.hash % 64].version = v;
            if (big[k.hash % 1024].key == k.hash && big[k.hash % 1024].version == v)
                hits_big++;
            else
                big[k.hash % 1024].key = k.hash, big[k.hash % 1024].version = v;
            read_page(s, owner, &fresh);
            if (fw_rcache_get(&k, s, v, &out)) {
                hits_new++;
                if (out.len != fresh.body.len || memcmp(out.data, fresh.body.data, out.len))
                    stale++;
            } else {
                fw_user us[101];
                for (size_t i = 0; i < fresh.n; i++)
                    us[i] = (fw_user){.id = fresh.ids[i]};
                fw_rcache_deps d = {.ids = {0, owner}, .users = us, .nusers = fresh.n};
                fw_rcache_put(&k, s, v, fresh.body.data, fresh.body.len, &d);
            }
        }
        printf("%-8s %-20.1f %-22.1f %-20.1f %zu\n", shares[w] == 0 ? "0%" : shares[w] == 1 ? "1%" : "10%",
               100.0 * hits_old / reads, 100.0 * hits_big / reads, 100.0 * hits_new / reads, stale);
        fw_buf_free(&fresh.body);
        fw_buf_free(&out);
    }
    fw_store_close(s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
