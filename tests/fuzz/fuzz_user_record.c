/* libFuzzer target: the LMDB user record (lmdb_codec.c, schema 3).
 *
 * The input is a packed record as the map holds it. A record that unpacks
 * must have every string inside the input (unpacking is zero-copy and must
 * never point past the end), must pack back to a record that unpacks to the
 * same fields, and rewriting its counters (fw_lmdb_user_recount) must change
 * those and nothing else. Build and run with scripts/fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/lmdb_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(fw_str s, const uint8_t *data, size_t size)
{
    if (s.len && ((const uint8_t *)s.p < data || (const uint8_t *)s.p + s.len > data + size))
        abort();
}

static bool str_eq(fw_str a, fw_str b) { return a.len == b.len && (!a.len || memcmp(a.p, b.p, a.len) == 0); }

/* Same profile: every field a caller sets (the derived head is recomputed by pack). */
static bool same(const fw_user *a, const fw_user *b)
{
    return a->id == b->id && a->created_at_ms == b->created_at_ms && a->pinned_tweet_id == b->pinned_tweet_id &&
           a->most_recent_tweet_id == b->most_recent_tweet_id && a->followers_count == b->followers_count &&
           a->following_count == b->following_count && a->tweet_count == b->tweet_count &&
           a->listed_count == b->listed_count && a->like_count == b->like_count && a->flags == b->flags &&
           a->verified_type == b->verified_type && str_eq(a->username, b->username) && str_eq(a->name, b->name) &&
           str_eq(a->description, b->description) && str_eq(a->location, b->location) && str_eq(a->url, b->url) &&
           str_eq(a->profile_image_url, b->profile_image_url) &&
           str_eq(a->withheld_countries, b->withheld_countries) && str_eq(a->entities_json, b->entities_json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes, so ASan sees any read past the end */
    uint8_t *rec = malloc(size ? size : 1);
    if (!rec)
        return 0;
    memcpy(rec, data, size);
    fw_user u;
    if (fw_lmdb_user_unpack(rec, size, &u) == FW_OK) {
        const fw_str all[] = {u.username, u.name, u.description, u.location, u.url, u.profile_image_url,
                              u.withheld_countries, u.entities_json, u.default_json};
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
            inside(all[i], rec, size);
        uint64_t id;
        if (fw_lmdb_user_id_of(rec, size, &id) != FW_OK || id != u.id)
            abort();
        size_t n = fw_lmdb_user_size(&u);
        uint8_t *again = malloc(n);
        fw_user v;
        if (!again)
            abort();
        fw_lmdb_user_pack(&u, again);
        if (fw_lmdb_user_unpack(again, n, &v) != FW_OK || !same(&u, &v))
            abort();
        free(again);
        fw_lmdb_counts c = {u.tweet_count ^ 1, u.following_count + 300, u.followers_count >> 1, UINT64_MAX};
        uint8_t *rc = malloc(size + USER_RECOUNT_GROW);
        if (!rc)
            abort();
        size_t m = fw_lmdb_user_recount(rec, size, &c, rc);
        if (!m || m > size + USER_RECOUNT_GROW || fw_lmdb_user_unpack(rc, m, &v) != FW_OK)
            abort();
        u.most_recent_tweet_id = c.most_recent, u.followers_count = c.followers;
        u.following_count = c.following, u.tweet_count = c.tweets;
        if (!same(&u, &v) || !str_eq(u.default_json, v.default_json))
            abort();
        free(rc);
    }
    free(rec);
    return 0;
}
