/* Withholding a protected account's posts from includes; see privacy.h. */
#include "api/privacy.h"

#include <stdlib.h>

#include "api/params.h"
#include "api/problem.h"
#include "core/buf.h"

bool fw_posts_visible(const fw_user *u, const fw_rels *rels, uint64_t viewer_id)
{
    if (!(u->flags & FW_USER_PROTECTED))
        return true;
    if (viewer_id == 0)
        return false;
    return viewer_id == u->id || (rels && rels->out == FW_REL_FOLLOWING);
}

void fw_withheld_add(fw_withheld *s, const fw_user *u, const fw_rels *rels, uint64_t viewer_id)
{
    if (!u || fw_posts_visible(u, rels, viewer_id))
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const fw_user **p = realloc(s->hidden, cap * sizeof *p);
        if (!p) {
            s->oom = true; /* fail closed */
            return;
        }
        s->hidden = p;
        s->cap = cap;
    }
    s->hidden[s->n++] = u;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = (*(const fw_user *const *)a)->id, y = (*(const fw_user *const *)b)->id;
    return x < y ? -1 : x > y;
}

void fw_withheld_seal(fw_withheld *s)
{
    if (s->n > 1)
        qsort(s->hidden, s->n, sizeof *s->hidden, by_id);
}

static const fw_user *hidden_author(const fw_withheld *s, uint64_t author)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t id = s->hidden[mid]->id;
        if (id == author)
            return s->hidden[mid];
        if (id < author)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool fw_withheld_hides(const fw_withheld *s, const fw_tweet *t)
{
    return s->oom || hidden_author(s, t->author_id) != NULL;
}

size_t fw_withheld_count(const fw_withheld *s, const fw_tweet *tweets, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += fw_withheld_hides(s, &tweets[i]);
    return k;
}

void fw_withheld_includes(fw_jw *w, const fw_withheld *s, const fw_tweet *tweets, size_t n,
                          const fw_render_opts *o)
{
    if (fw_withheld_count(s, tweets, n) == n)
        return;
    fw_jw_key(w, "includes");
    fw_jw_obj_begin(w);
    fw_jw_key(w, "tweets");
    fw_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        if (!fw_withheld_hides(s, &tweets[i]))
            fw_render_tweet(w, &tweets[i], o);
    fw_jw_arr_end(w);
    fw_jw_obj_end(w);
}

/* The expansion that brought t in: its author's pinned post if that was
 * asked for, else the most recent one. */
static const char *expansion_of(const fw_withheld *s, const fw_tweet *t, const fw_render_opts *o)
{
    const fw_user *u = hidden_author(s, t->author_id);
    bool pinned = o->expansions & (1u << FW_EXP_PINNED_TWEET_ID);
    bool recent = o->expansions & (1u << FW_EXP_MOST_RECENT_TWEET_ID);
    if (pinned && (!recent || !u || u->pinned_tweet_id == t->id))
        return "pinned_tweet_id";
    return "most_recent_tweet_id";
}

size_t fw_withheld_errors(fw_jw *w, const fw_withheld *s, const fw_tweet *tweets, size_t n,
                          const fw_render_opts *o)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!fw_withheld_hides(s, &tweets[i]))
            continue;
        char idbuf[24];
        fw_str v = {idbuf, fw_u64_to_dec(tweets[i].id, idbuf)};
        fw_problem_item_post_not_authorized(w, expansion_of(s, &tweets[i], o), v);
        k++;
    }
    return k;
}

void fw_withheld_free(fw_withheld *s)
{
    free(s->hidden);
    *s = (fw_withheld)FW_WITHHELD_INIT;
}
