/* OAuth 2.0 scope names <-> bits; see scopes.h. */
#include "auth/scopes.h"

static const struct {
    const char *name;
    uint32_t bit;
} scope_names[] = {
    {"tweet.read", FW_SCOPE_TWEET_READ},       {"tweet.write", FW_SCOPE_TWEET_WRITE},
    {"tweet.moderate.write", FW_SCOPE_TWEET_MODERATE_WRITE},
    {"users.read", FW_SCOPE_USERS_READ},       {"users.email", FW_SCOPE_USERS_EMAIL},
    {"follows.read", FW_SCOPE_FOLLOWS_READ},   {"follows.write", FW_SCOPE_FOLLOWS_WRITE},
    {"offline.access", FW_SCOPE_OFFLINE_ACCESS}, {"space.read", FW_SCOPE_SPACE_READ},
    {"mute.read", FW_SCOPE_MUTE_READ},         {"mute.write", FW_SCOPE_MUTE_WRITE},
    {"like.read", FW_SCOPE_LIKE_READ},         {"like.write", FW_SCOPE_LIKE_WRITE},
    {"list.read", FW_SCOPE_LIST_READ},         {"list.write", FW_SCOPE_LIST_WRITE},
    {"block.read", FW_SCOPE_BLOCK_READ},       {"block.write", FW_SCOPE_BLOCK_WRITE},
    {"bookmark.read", FW_SCOPE_BOOKMARK_READ}, {"bookmark.write", FW_SCOPE_BOOKMARK_WRITE},
    {"dm.read", FW_SCOPE_DM_READ},             {"dm.write", FW_SCOPE_DM_WRITE},
    {"media.write", FW_SCOPE_MEDIA_WRITE},     {"timeline.read", FW_SCOPE_TIMELINE_READ},
};

int fw_scopes_parse(fw_str s, uint32_t *out, fw_str *bad)
{
    uint32_t mask = 0;
    size_t i = 0;
    while (i < s.len) {
        while (i < s.len && (s.p[i] == ' ' || s.p[i] == '+' || s.p[i] == ','))
            i++;
        size_t start = i;
        while (i < s.len && s.p[i] != ' ' && s.p[i] != '+' && s.p[i] != ',')
            i++;
        if (i == start)
            break;
        fw_str name = {s.p + start, i - start};
        uint32_t bit = 0;
        for (size_t k = 0; k < sizeof scope_names / sizeof scope_names[0]; k++)
            if (fw_str_eq(name, scope_names[k].name))
                bit = scope_names[k].bit;
        if (!bit) {
            if (bad)
                *bad = name;
            return -1;
        }
        mask |= bit;
    }
    *out = mask;
    return 0;
}

void fw_scopes_format(uint32_t mask, fw_buf *out)
{
    int first = 1;
    for (size_t k = 0; k < sizeof scope_names / sizeof scope_names[0]; k++) {
        if (!(mask & scope_names[k].bit))
            continue;
        if (!first)
            fw_buf_putc(out, ' ');
        fw_buf_puts(out, scope_names[k].name);
        first = 0;
    }
}
