/* libFuzzer target: import's hand-written parser for users' JSON lines
 * (cli/userjson.h), differentially against jansson.
 *
 * The input is one line. Whenever fw_uj_parse_fast accepts it, jansson must
 * accept it too (with import's JSON_REJECT_DUPLICATES), as an object with the
 * same members, and both must validate to the same verdict and the same user.
 * A line the fast parser declines is jansson's alone, so nothing is checked
 * then. Build and run with scripts/fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/userjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool str_same(fw_str a, fw_str b)
{
    return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fw_arena a = FW_ARENA_INIT;
    fw_uj_user fast, slow;
    if (fw_uj_parse_fast((const char *)data, size, &fast, &a)) {
        fw_arena_free(&a);
        return 0;
    }
    json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!o || !json_is_object(o) || fw_uj_from_json(o, &slow, &a) || !fw_uj_same(&fast, &slow))
        abort();
    fw_buf e1 = FW_BUF_INIT, e2 = FW_BUF_INIT;
    fw_user u1, u2;
    const char *w1 = fw_uj_user_fields(&fast, &u1, &e1), *w2 = fw_uj_user_fields(&slow, &u2, &e2);
    if (w1 != w2)
        abort();
    if (!w1 && (u1.id != u2.id || u1.flags != u2.flags || u1.verified_type != u2.verified_type ||
                u1.pinned_tweet_id != u2.pinned_tweet_id || u1.listed_count != u2.listed_count ||
                u1.like_count != u2.like_count || !str_same(u1.username, u2.username) ||
                !str_same(u1.name, u2.name) || !str_same(u1.description, u2.description) ||
                !str_same(u1.withheld_countries, u2.withheld_countries) ||
                !str_same(u1.entities_json, u2.entities_json)))
        abort();
    fw_buf_free(&e1);
    fw_buf_free(&e2);
    json_decref(o);
    fw_arena_free(&a);
    return 0;
}
