/* OAuth 2.0 scopes as a bit set (the names X uses). */
#ifndef FW_AUTH_SCOPES_H
#define FW_AUTH_SCOPES_H

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

enum {
    FW_SCOPE_TWEET_READ = 1u << 0,
    FW_SCOPE_USERS_READ = 1u << 1,
    FW_SCOPE_FOLLOWS_READ = 1u << 2,
    FW_SCOPE_FOLLOWS_WRITE = 1u << 3,
    FW_SCOPE_OFFLINE_ACCESS = 1u << 4,
    FW_SCOPE_USERS_EMAIL = 1u << 5,
    FW_SCOPE_TWEET_WRITE = 1u << 6,
    FW_SCOPE_LIKE_READ = 1u << 7,
    FW_SCOPE_LIKE_WRITE = 1u << 8,
    FW_SCOPE_LIST_READ = 1u << 9,
    FW_SCOPE_LIST_WRITE = 1u << 10,
    FW_SCOPE_BLOCK_READ = 1u << 11,
    FW_SCOPE_BLOCK_WRITE = 1u << 12,
    FW_SCOPE_MUTE_READ = 1u << 13,
    FW_SCOPE_MUTE_WRITE = 1u << 14,
    FW_SCOPE_BOOKMARK_READ = 1u << 15,
    FW_SCOPE_BOOKMARK_WRITE = 1u << 16,
    FW_SCOPE_DM_READ = 1u << 17,
    FW_SCOPE_DM_WRITE = 1u << 18,
    FW_SCOPE_SPACE_READ = 1u << 19,
    FW_SCOPE_TWEET_MODERATE_WRITE = 1u << 20,
    FW_SCOPE_MEDIA_WRITE = 1u << 21,
    FW_SCOPE_TIMELINE_READ = 1u << 22,
};

#define FW_SCOPES_FOLLOWS_ALL \
    (FW_SCOPE_TWEET_READ | FW_SCOPE_USERS_READ | FW_SCOPE_FOLLOWS_READ | FW_SCOPE_FOLLOWS_WRITE | FW_SCOPE_OFFLINE_ACCESS)

/* Every *.write scope (and dm.read, which X's "read" app permission excludes
 * too): what an OAuth 1.0a token with read access (x_auth_access_type=read)
 * lacks, and what the user tokens of an app whose permission is Read
 * (fw_app.permission, the portal's app permissions) never carry. OAuth 1.0a
 * tokens carry UINT32_MAX (X's "read-write-directmessages") or
 * FW_SCOPES_OAUTH1_READ. */
#define FW_SCOPES_WRITE_OR_DM                                                                                         \
    (FW_SCOPE_FOLLOWS_WRITE | FW_SCOPE_TWEET_WRITE | FW_SCOPE_LIKE_WRITE | FW_SCOPE_LIST_WRITE | FW_SCOPE_BLOCK_WRITE | \
     FW_SCOPE_MUTE_WRITE | FW_SCOPE_BOOKMARK_WRITE | FW_SCOPE_DM_READ | FW_SCOPE_DM_WRITE |                          \
     FW_SCOPE_TWEET_MODERATE_WRITE | FW_SCOPE_MEDIA_WRITE)
#define FW_SCOPES_OAUTH1_WRITE UINT32_MAX
#define FW_SCOPES_OAUTH1_READ (UINT32_MAX & ~(uint32_t)FW_SCOPES_WRITE_OR_DM)

/* Parses a list of scope names separated by spaces, '+' or commas. Returns 0
 * and the bit set, or -1 naming the first unknown scope in *bad. */
FW_MUSTCHECK int fw_scopes_parse(fw_str s, uint32_t *out, fw_str *bad);
/* Appends the scope names of mask, space separated, to out. */
void fw_scopes_format(uint32_t mask, fw_buf *out);

#endif
