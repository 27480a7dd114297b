/* Query parameter validation with X's messages; see params.h. */
#include "api/params.h"

#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/urlenc.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const user_fields[FW_UFLD__COUNT] = {
    "affiliation", "confirmed_email", "connection_status", "created_at", "description", "entities", "id",
    "is_identity_verified", "location", "most_recent_tweet_id", "name", "parody", "pinned_tweet_id",
    "profile_banner_url", "profile_image_url", "protected", "public_metrics", "receives_your_dm", "subscription",
    "subscription_type", "url", "username", "verified", "verified_followers_count", "verified_type", "withheld",
};
static const char *const tweet_fields[FW_TFLD__COUNT] = {
    "article", "attachments", "author_id", "card_uri", "community_id", "context_annotations", "conversation_id",
    "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id",
    "in_reply_to_user_id", "lang", "matched_media_notes", "media_metadata", "non_public_metrics",
    "note_request_suggestions", "note_tweet", "organic_metrics", "paid_partnership", "possibly_sensitive",
    "promoted_metrics", "public_metrics", "referenced_tweets", "reply_settings", "scopes", "source",
    "suggested_source_links", "suggested_source_links_with_counts", "text", "withheld",
};
static const char *const expansion_names[FW_EXP__COUNT] = {
    "affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id",
};


/* Parameter names in the order X lists them in "is not one of [...]". */
static const struct {
    uint32_t bit;
    const char *name;
} param_names[] = {
    {FW_P_IDS, "ids"},
    {FW_P_USERNAMES, "usernames"},
    {FW_P_ID, "id"},
    {FW_P_USERNAME, "username"},
    {FW_P_SOURCE_USER_ID, "source_user_id"},
    {FW_P_TARGET_USER_ID, "target_user_id"},
    {FW_P_REQUESTER_ID, "requester_id"},
    {FW_P_MAX_RESULTS, "max_results"},
    {FW_P_PAGINATION_TOKEN, "pagination_token"},
    {FW_P_USER_FIELDS, "user.fields"},
    {FW_P_EXPANSIONS, "expansions"},
    {FW_P_TWEET_FIELDS, "tweet.fields"},
};
#define NPARAMS (sizeof param_names / sizeof param_names[0])

bool fw_params_full(const fw_params *p)
{
    return p->nerrors > FW_PARAM_ERRORS_MAX;
}

void fw_params_add_error(fw_params *p, fw_buf *errs, const char *name, fw_str value, const char *message)
{
    if (p->nerrors > FW_PARAM_ERRORS_MAX) {
        p->nerrors++;
        return;
    }
    if (p->nerrors == FW_PARAM_ERRORS_MAX) {
        /* the one entry past the cap: no parameter, a message saying why the list ends */
        name = NULL;
        message = "More problems were found than the " STR(FW_PARAM_ERRORS_MAX)
                  " listed; the rest of the request was not checked";
    }
    if (p->nerrors++)
        fw_buf_putc(errs, ',');
    fw_jw w;
    fw_jw_init(&w, errs, false);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "parameters");
    fw_jw_obj_begin(&w);
    if (name) {
        fw_jw_key(&w, name);
        fw_jw_arr_begin(&w);
        if (value.p) /* a missing parameter has no value to show */
            fw_jw_strn(&w, value.p, value.len);
        fw_jw_arr_end(&w);
    }
    fw_jw_obj_end(&w);
    fw_jw_key(&w, "message");
    fw_jw_str(&w, message);
    fw_jw_obj_end(&w);
}

void fw_params_bad_pattern(fw_params *p, fw_buf *errs, const char *name, fw_str value, const char *pattern)
{
    fw_buf msg = FW_BUF_INIT;
    fw_buf_printf(&msg, "The `%s` query parameter value [%.*s] does not match %s", name, (int)value.len, value.p,
                  pattern);
    fw_params_add_error(p, errs, name, value, msg.data);
    fw_buf_free(&msg);
}

static void enum_error(fw_params *p, fw_buf *errs, const char *pname, fw_str value, const char *const *names, int n)
{
    fw_buf msg = FW_BUF_INIT;
    fw_buf_printf(&msg, "The `%s` query parameter value [%.*s] is not one of [", pname, (int)value.len, value.p);
    for (int i = 0; i < n; i++) {
        if (i)
            fw_buf_putc(&msg, ',');
        fw_buf_puts(&msg, names[i]);
    }
    fw_buf_putc(&msg, ']');
    fw_params_add_error(p, errs, pname, value, msg.data);
    fw_buf_free(&msg);
}

/* Parses a comma-separated enum list into a bit set; every bad item is reported. */
static uint64_t parse_list(fw_params *p, fw_buf *errs, const char *pname, fw_str v, const char *const *names, int n)
{
    uint64_t mask = 0;
    size_t i = 0;
    if (v.len == 0) {
        enum_error(p, errs, pname, v, names, n);
        return 0;
    }
    while (i <= v.len) {
        if (fw_params_full(p))
            break;
        size_t start = i;
        while (i < v.len && v.p[i] != ',')
            i++;
        fw_str item = {v.p + start, i - start};
        int found = -1;
        for (int k = 0; k < n; k++)
            if (fw_str_eq(item, names[k])) {
                found = k;
                break;
            }
        if (found < 0)
            enum_error(p, errs, pname, item, names, n);
        else
            mask |= (uint64_t)1 << found;
        i++;
    }
    return mask;
}

static void parse_max_results(fw_params *p, fw_buf *errs, fw_str v)
{
    uint64_t n = 0;
    bool ok = v.len > 0 && v.len <= 9;
    for (size_t i = 0; ok && i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            ok = false;
        else
            n = n * 10 + (uint64_t)(v.p[i] - '0');
    }
    if (!ok || n < 1 || n > 1000) {
        fw_buf msg = FW_BUF_INIT;
        fw_buf_printf(&msg, "The `max_results` query parameter value [%.*s] is not between 1 and 1000", (int)v.len,
                      v.p);
        fw_params_add_error(p, errs, "max_results", v, msg.data);
        fw_buf_free(&msg);
        return;
    }
    p->max_results = (uint32_t)n;
}

static bool is_username(fw_str v)
{
    if (v.len < 1 || v.len > 15)
        return false;
    for (size_t i = 0; i < v.len; i++) {
        char ch = v.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

/* ids=1,2,3 or usernames=a,b: each item checked against its pattern, 1..100 items. */
static void parse_id_list(fw_params *p, fw_buf *errs, const char *pname, bool names, fw_str v)
{
    size_t n = 0, i = 0, bad = 0;
    p->nlist = 0;
    if (v.len == 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "The `%s` query parameter can not be empty", pname);
        fw_params_add_error(p, errs, pname, v, msg);
        return;
    }
    while (i <= v.len) {
        if (fw_params_full(p))
            return;
        size_t start = i;
        while (i < v.len && v.p[i] != ',')
            i++;
        fw_str item = {v.p + start, i - start};
        i++;
        n++;
        uint64_t id = 0;
        bool ok = names ? is_username(item) : fw_str_to_id(item, &id) == 0;
        if (!ok) {
            fw_params_bad_pattern(p, errs, pname, item, names ? "^[A-Za-z0-9_]{1,15}$" : "^[0-9]{1,19}$");
            bad++;
            continue;
        }
        if (n > FW_PARAM_LIST_MAX)
            continue;
        if (names) {
            char *dst = p->list_buf + (n - 1) * 16;
            memcpy(dst, item.p, item.len);
            p->names[n - 1] = (fw_str){dst, item.len};
        } else {
            p->ids[n - 1] = id;
        }
    }
    if (n > FW_PARAM_LIST_MAX) {
        fw_buf msg = FW_BUF_INIT;
        fw_buf_printf(&msg, "The number of values in the `%s` query parameter list [%zu] is not between 1 and 100",
                      pname, n);
        fw_params_add_error(p, errs, pname, v, msg.data);
        fw_buf_free(&msg);
        return;
    }
    if (!bad)
        p->nlist = n;
}

void fw_params_require_list(fw_params *p, fw_buf *errs, uint32_t required_list)
{
    if (p->nlist || p->nerrors)
        return;
    const char *pname = required_list == FW_P_IDS ? "ids" : "usernames";
    char msg[96];
    snprintf(msg, sizeof msg, "The `%s` query parameter can not be empty", pname);
    fw_params_add_error(p, errs, pname, FW_STR_NULL, msg);
}

unsigned fw_params_parse(fw_str query, uint32_t allowed, uint32_t path_given, fw_params *p, fw_buf *errs)
{
    memset(p, 0, sizeof *p);
    uint32_t seen = path_given;
    fw_form_iter it = fw_form_begin(query);
    fw_str rk, rv;
    /* Decoded key and value live in one small buffer per pair. */
    char kbuf[128], vbuf[4096];
    while (fw_form_next(&it, &rk, &rv)) {
        if (fw_params_full(p))
            break;
        long kl = fw_url_decode_to(rk, true, kbuf, sizeof kbuf);
        long vl = fw_url_decode_to(rv, true, vbuf, sizeof vbuf);
        if (kl < 0 || vl < 0) {
            /* Report what we can show: the raw (still encoded) text, cut short. */
            fw_str raw = {rv.p, rv.len < 64 ? rv.len : 64};
            size_t n = rk.len < sizeof kbuf - 1 ? rk.len : sizeof kbuf - 1;
            memcpy(kbuf, rk.p, n);
            kbuf[n] = 0;
            fw_params_add_error(p, errs, kbuf, raw,
                                kl == -2 || vl == -2 ? "The query parameter value is too long"
                                                     : "The query string is not correctly percent-encoded");
            continue;
        }
        fw_str k = {kbuf, (size_t)kl}, v = {vbuf, (size_t)vl};
        uint32_t bit = 0;
        for (size_t i = 0; i < NPARAMS; i++)
            if (fw_str_eq(k, param_names[i].name) && (allowed & param_names[i].bit))
                bit = param_names[i].bit;
        if (!bit) {
            fw_buf msg = FW_BUF_INIT;
            fw_buf_printf(&msg, "The query parameter [%s] is not one of [", kbuf);
            int first = 1;
            for (size_t i = 0; i < NPARAMS; i++)
                if (allowed & param_names[i].bit) {
                    if (!first)
                        fw_buf_putc(&msg, ',');
                    fw_buf_puts(&msg, param_names[i].name);
                    first = 0;
                }
            fw_buf_putc(&msg, ']');
            fw_params_add_error(p, errs, kbuf, v, msg.data);
            fw_buf_free(&msg);
            continue;
        }
        if (seen & bit) {
            fw_buf msg = FW_BUF_INIT;
            fw_buf_printf(&msg, "Duplicate parameters are not allowed: the `%s` query parameter", kbuf);
            fw_params_add_error(p, errs, kbuf, v, msg.data);
            fw_buf_free(&msg);
            continue;
        }
        seen |= bit;
        switch (bit) {
        case FW_P_MAX_RESULTS:
            parse_max_results(p, errs, v);
            break;
        case FW_P_PAGINATION_TOKEN:
            p->token_len = v.len > FW_PARAM_TOKEN_MAX ? FW_PARAM_TOKEN_MAX : v.len;
            memcpy(p->token, vbuf, p->token_len);
            p->token[p->token_len] = 0;
            p->has_token = true;
            break;
        case FW_P_USER_FIELDS:
            p->user_fields = (uint32_t)parse_list(p, errs, "user.fields", v, user_fields, FW_UFLD__COUNT);
            break;
        case FW_P_TWEET_FIELDS:
            p->tweet_fields = parse_list(p, errs, "tweet.fields", v, tweet_fields, FW_TFLD__COUNT);
            break;
        case FW_P_EXPANSIONS:
            p->expansions = (uint32_t)parse_list(p, errs, "expansions", v, expansion_names, FW_EXP__COUNT);
            break;
        case FW_P_IDS:
        case FW_P_USERNAMES:
            parse_id_list(p, errs, bit == FW_P_IDS ? "ids" : "usernames", bit == FW_P_USERNAMES, v);
            break;
        default: /* a path parameter repeated in the query is caught as a duplicate above */
            break;
        }
    }
    return p->nerrors;
}
