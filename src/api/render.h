/* Serialising users and tweets as X API v2 objects, shaped by the requested
 * fields. Pure functions over borrowed store records. */
#ifndef FW_API_RENDER_H
#define FW_API_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/jsonw.h"
#include "store/store.h"

typedef struct fw_render_opts {
    uint32_t user_fields;   /* FW_UFLD_* bits */
    uint64_t tweet_fields;  /* FW_TFLD_* bits */
    uint32_t expansions;    /* FW_EXP_* bits */
    bool user_context;      /* connection_status is only meaningful for a user viewer */
} fw_render_opts;

/* Writes one user object. rels may be NULL (no connection_status). */
void fw_render_user(fw_jw *w, const fw_user *u, const fw_rels *rels, const fw_render_opts *o);
/* Writes one tweet object. */
void fw_render_tweet(fw_jw *w, const fw_tweet *t, const fw_render_opts *o);
/* Which store hydrations the requested expansions need (FW_TW_*). */
uint32_t fw_render_tweet_needs(uint32_t expansions);

#endif
