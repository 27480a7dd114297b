/* Which hydrated posts (includes.tweets) a viewer may see.
 *
 * A protected account's posts are visible only to the account itself and its
 * accepted followers; everyone else (other users, app-only callers) gets the
 * user object without the post, plus X's not-authorized-for-resource item in
 * "errors" for each post left out. A handler adds every user it renders,
 * then renders includes and errors through the set. */
#ifndef FW_API_PRIVACY_H
#define FW_API_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/render.h"
#include "core/jsonw.h"
#include "store/store.h"

/* Authors whose posts the viewer may not see (borrowed user records). */
typedef struct fw_withheld {
    const fw_user **hidden; /* sorted by id once fw_withheld_seal ran */
    size_t n, cap;
    bool oom;               /* an allocation failed: every post is withheld */
} fw_withheld;

#define FW_WITHHELD_INIT {0}

/* Whether viewer_id (0 = app-only) may see u's posts; rels is the viewer's
 * relation to u, NULL when not read. */
bool fw_posts_visible(const fw_user *u, const fw_rels *rels, uint64_t viewer_id);
/* Notes u (borrowed until fw_withheld_free) if the viewer may not see its posts. */
void fw_withheld_add(fw_withheld *s, const fw_user *u, const fw_rels *rels, uint64_t viewer_id);
/* Call after the last add, before the queries below. */
void fw_withheld_seal(fw_withheld *s);
/* Whether t is withheld (its author was added as hidden). */
bool fw_withheld_hides(const fw_withheld *s, const fw_tweet *t);
/* Writes "includes":{"tweets":[...]} with the visible tweets, if any. */
void fw_withheld_includes(fw_jw *w, const fw_withheld *s, const fw_tweet *tweets, size_t n,
                          const fw_render_opts *o);
/* Writes one not-authorized-for-resource item per withheld tweet (inside an
 * open "errors" array); returns how many. */
size_t fw_withheld_errors(fw_jw *w, const fw_withheld *s, const fw_tweet *tweets, size_t n,
                          const fw_render_opts *o);
/* How many of tweets are withheld. */
size_t fw_withheld_count(const fw_withheld *s, const fw_tweet *tweets, size_t n);
void fw_withheld_free(fw_withheld *s);

#endif
