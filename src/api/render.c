/* User and tweet objects as X API v2 returns them; see render.h.
 *
 * Field order: id, name, username first (X's default fields), then requested
 * fields in the classic spec's alphabetical order. Fields followd has no honest
 * data for (affiliation, subscription, receives_your_dm, ...) are omitted, as
 * X omits fields that do not apply to a user. */
#include "api/render.h"

#include "api/params.h"
#include "core/clock.h"

#define UF(f) (o->user_fields & (1u << (f)))
#define TF(f) (o->tweet_fields & ((uint64_t)1 << (f)))

static const char default_profile_image[] =
    "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png";

static void put_time(fw_jw *w, const char *key, int64_t ms)
{
    char ts[32];
    fw_iso8601(ms, ts);
    fw_jw_key(w, key);
    fw_jw_str(w, ts);
}

static void put_withheld(fw_jw *w, fw_str codes)
{
    fw_jw_key(w, "withheld");
    fw_jw_obj_begin(w);
    fw_jw_key(w, "country_codes");
    fw_jw_arr_begin(w);
    size_t i = 0;
    while (i < codes.len) {
        size_t s = i;
        while (i < codes.len && codes.p[i] != ',')
            i++;
        if (i > s)
            fw_jw_strn(w, codes.p + s, i - s);
        i++;
    }
    fw_jw_arr_end(w);
    fw_jw_key(w, "scope");
    fw_jw_str(w, "user");
    fw_jw_obj_end(w);
}

/* "key":{"name":n,...} for a metrics object. */
static void put_counts(fw_jw *w, const char *key, const char *const *names, const uint64_t *v, int n)
{
    fw_jw_key(w, key);
    fw_jw_obj_begin(w);
    for (int i = 0; i < n; i++) {
        fw_jw_key(w, names[i]);
        fw_jw_int(w, (int64_t)v[i]);
    }
    fw_jw_obj_end(w);
}

static void put_connection_status(fw_jw *w, const fw_rels *r)
{
    fw_jw_key(w, "connection_status");
    fw_jw_arr_begin(w);
    if (r->in == FW_REL_PENDING)
        fw_jw_str(w, "follow_request_received");
    if (r->out == FW_REL_PENDING)
        fw_jw_str(w, "follow_request_sent");
    if (r->in == FW_REL_FOLLOWING)
        fw_jw_str(w, "followed_by");
    if (r->out == FW_REL_FOLLOWING)
        fw_jw_str(w, "following");
    fw_jw_arr_end(w);
}

static const char *verified_type_name(uint8_t t)
{
    switch (t) {
    case FW_VT_BLUE: return "blue";
    case FW_VT_BUSINESS: return "business";
    case FW_VT_GOVERNMENT: return "government";
    default: return "none";
    }
}

void fw_render_user(fw_jw *w, const fw_user *u, const fw_rels *rels, const fw_render_opts *o)
{
    if (u->default_json.len && !w->pretty) {
        /* The store keeps the default fields pre-rendered: one copy per user. */
        fw_jw_obj_begin_raw(w, u->default_json.p, u->default_json.len);
    } else {
        fw_jw_obj_begin(w);
        fw_jw_key(w, "id");
        fw_jw_id(w, u->id);
        fw_jw_key(w, "name");
        fw_jw_strn(w, u->name.p, u->name.len);
        fw_jw_key(w, "username");
        fw_jw_strn(w, u->username.p, u->username.len);
    }
    if (UF(FW_UFLD_CONNECTION_STATUS) && rels && o->user_context)
        put_connection_status(w, rels);
    if (UF(FW_UFLD_CREATED_AT))
        put_time(w, "created_at", u->created_at_ms);
    if (UF(FW_UFLD_DESCRIPTION)) {
        fw_jw_key(w, "description");
        fw_jw_strn(w, u->description.p, u->description.len);
    }
    if (UF(FW_UFLD_ENTITIES) && u->entities_json.len) {
        fw_jw_key(w, "entities");
        fw_jw_raw(w, u->entities_json.p, u->entities_json.len);
    }
    if (UF(FW_UFLD_LOCATION) && u->location.len) {
        fw_jw_key(w, "location");
        fw_jw_strn(w, u->location.p, u->location.len);
    }
    if ((UF(FW_UFLD_MOST_RECENT_TWEET_ID) || (o->expansions & (1u << FW_EXP_MOST_RECENT_TWEET_ID))) &&
        u->most_recent_tweet_id) {
        fw_jw_key(w, "most_recent_tweet_id");
        fw_jw_id(w, u->most_recent_tweet_id);
    }
    /* X adds pinned_tweet_id whenever the expansion is asked for. */
    if ((UF(FW_UFLD_PINNED_TWEET_ID) || (o->expansions & (1u << FW_EXP_PINNED_TWEET_ID))) && u->pinned_tweet_id) {
        fw_jw_key(w, "pinned_tweet_id");
        fw_jw_id(w, u->pinned_tweet_id);
    }
    if (UF(FW_UFLD_PROFILE_IMAGE_URL)) {
        fw_jw_key(w, "profile_image_url");
        if (u->profile_image_url.len)
            fw_jw_strn(w, u->profile_image_url.p, u->profile_image_url.len);
        else
            fw_jw_str(w, default_profile_image);
    }
    if (UF(FW_UFLD_PROTECTED)) {
        fw_jw_key(w, "protected");
        fw_jw_bool(w, u->flags & FW_USER_PROTECTED);
    }
    if (UF(FW_UFLD_PUBLIC_METRICS)) {
        static const char *const names[] = {"followers_count", "following_count", "tweet_count", "listed_count",
                                            "like_count"};
        const uint64_t v[] = {u->followers_count, u->following_count, u->tweet_count, u->listed_count,
                              u->like_count};
        put_counts(w, "public_metrics", names, v, 5);
    }
    if (UF(FW_UFLD_URL)) {
        fw_jw_key(w, "url");
        fw_jw_strn(w, u->url.p, u->url.len);
    }
    if (UF(FW_UFLD_VERIFIED)) {
        fw_jw_key(w, "verified");
        fw_jw_bool(w, u->flags & FW_USER_VERIFIED);
    }
    if (UF(FW_UFLD_VERIFIED_TYPE)) {
        fw_jw_key(w, "verified_type");
        fw_jw_str(w, verified_type_name(u->verified_type));
    }
    if (UF(FW_UFLD_WITHHELD) && u->withheld_countries.len)
        put_withheld(w, u->withheld_countries);
    fw_jw_obj_end(w);
}

/* Length of s in Unicode code points (display_text_range counts them). */
static int64_t codepoints(fw_str s)
{
    int64_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        if (((unsigned char)s.p[i] & 0xC0) != 0x80)
            n++;
    return n;
}

void fw_render_tweet(fw_jw *w, const fw_tweet *t, const fw_render_opts *o)
{
    fw_jw_obj_begin(w);
    fw_jw_key(w, "id");
    fw_jw_id(w, t->id);
    fw_jw_key(w, "text");
    fw_jw_strn(w, t->text.p, t->text.len);
    fw_jw_key(w, "edit_history_tweet_ids");
    fw_jw_arr_begin(w);
    fw_jw_id(w, t->id);
    fw_jw_arr_end(w);
    if (TF(FW_TFLD_AUTHOR_ID)) {
        fw_jw_key(w, "author_id");
        fw_jw_id(w, t->author_id);
    }
    if (TF(FW_TFLD_CONVERSATION_ID)) {
        fw_jw_key(w, "conversation_id");
        fw_jw_id(w, t->conversation_id ? t->conversation_id : t->id);
    }
    if (TF(FW_TFLD_CREATED_AT))
        put_time(w, "created_at", t->created_at_ms);
    if (TF(FW_TFLD_DISPLAY_TEXT_RANGE)) {
        fw_jw_key(w, "display_text_range");
        fw_jw_arr_begin(w);
        fw_jw_int(w, 0);
        fw_jw_int(w, codepoints(t->text));
        fw_jw_arr_end(w);
    }
    if (TF(FW_TFLD_EDIT_CONTROLS)) {
        /* X allows edits for one hour after posting. */
        int64_t until = t->created_at_ms + 3600 * 1000;
        fw_jw_key(w, "edit_controls");
        fw_jw_obj_begin(w);
        fw_jw_key(w, "edits_remaining");
        fw_jw_int(w, 5);
        fw_jw_key(w, "is_edit_eligible");
        fw_jw_bool(w, true);
        put_time(w, "editable_until", until);
        fw_jw_obj_end(w);
    }
    if (TF(FW_TFLD_ENTITIES) && t->entities_json.len) {
        fw_jw_key(w, "entities");
        fw_jw_raw(w, t->entities_json.p, t->entities_json.len);
    }
    if (TF(FW_TFLD_LANG) && t->lang.len) {
        fw_jw_key(w, "lang");
        fw_jw_strn(w, t->lang.p, t->lang.len);
    }
    if (TF(FW_TFLD_POSSIBLY_SENSITIVE)) {
        fw_jw_key(w, "possibly_sensitive");
        fw_jw_bool(w, t->possibly_sensitive);
    }
    if (TF(FW_TFLD_PUBLIC_METRICS)) {
        static const char *const names[] = {"retweet_count", "reply_count",    "like_count",
                                            "quote_count",   "bookmark_count", "impression_count"};
        const uint64_t v[] = {t->retweet_count, t->reply_count,    t->like_count,
                              t->quote_count,   t->bookmark_count, t->impression_count};
        put_counts(w, "public_metrics", names, v, 6);
    }
    if (TF(FW_TFLD_REPLY_SETTINGS)) {
        fw_jw_key(w, "reply_settings");
        if (t->reply_settings.len)
            fw_jw_strn(w, t->reply_settings.p, t->reply_settings.len);
        else
            fw_jw_str(w, "everyone");
    }
    if (TF(FW_TFLD_SOURCE) && t->source.len) {
        fw_jw_key(w, "source");
        fw_jw_strn(w, t->source.p, t->source.len);
    }
    fw_jw_obj_end(w);
}

uint32_t fw_render_tweet_needs(uint32_t expansions)
{
    uint32_t need = 0;
    if (expansions & (1u << FW_EXP_PINNED_TWEET_ID))
        need |= FW_TW_PINNED;
    if (expansions & (1u << FW_EXP_MOST_RECENT_TWEET_ID))
        need |= FW_TW_MOST_RECENT;
    return need;
}
