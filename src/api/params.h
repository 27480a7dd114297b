/* Request parameter validation for the X API v2 user endpoints.
 *
 * Parses the query string against the parameter list of one operation and
 * records every problem the way X reports it (400 invalid-request, one entry
 * per bad parameter, X's message texts). Nothing is allocated on the success
 * path: values are decoded into fixed storage inside fw_params. */
#ifndef FW_API_PARAMS_H
#define FW_API_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

/* user.fields, in the classic spec's (alphabetical) order; the bit of a field is 1 << its index. */
enum {
    FW_UFLD_AFFILIATION, FW_UFLD_CONFIRMED_EMAIL, FW_UFLD_CONNECTION_STATUS, FW_UFLD_CREATED_AT,
    FW_UFLD_DESCRIPTION, FW_UFLD_ENTITIES, FW_UFLD_ID, FW_UFLD_IS_IDENTITY_VERIFIED, FW_UFLD_LOCATION,
    FW_UFLD_MOST_RECENT_TWEET_ID, FW_UFLD_NAME, FW_UFLD_PARODY, FW_UFLD_PINNED_TWEET_ID,
    FW_UFLD_PROFILE_BANNER_URL, FW_UFLD_PROFILE_IMAGE_URL, FW_UFLD_PROTECTED, FW_UFLD_PUBLIC_METRICS,
    FW_UFLD_RECEIVES_YOUR_DM, FW_UFLD_SUBSCRIPTION, FW_UFLD_SUBSCRIPTION_TYPE, FW_UFLD_URL, FW_UFLD_USERNAME,
    FW_UFLD_VERIFIED, FW_UFLD_VERIFIED_FOLLOWERS_COUNT, FW_UFLD_VERIFIED_TYPE, FW_UFLD_WITHHELD, FW_UFLD__COUNT
};
/* tweet.fields, classic order. */
enum {
    FW_TFLD_ARTICLE, FW_TFLD_ATTACHMENTS, FW_TFLD_AUTHOR_ID, FW_TFLD_CARD_URI, FW_TFLD_COMMUNITY_ID,
    FW_TFLD_CONTEXT_ANNOTATIONS, FW_TFLD_CONVERSATION_ID, FW_TFLD_CREATED_AT, FW_TFLD_DISPLAY_TEXT_RANGE,
    FW_TFLD_EDIT_CONTROLS, FW_TFLD_EDIT_HISTORY_TWEET_IDS, FW_TFLD_ENTITIES, FW_TFLD_GEO, FW_TFLD_ID,
    FW_TFLD_IN_REPLY_TO_USER_ID, FW_TFLD_LANG, FW_TFLD_MATCHED_MEDIA_NOTES, FW_TFLD_MEDIA_METADATA,
    FW_TFLD_NON_PUBLIC_METRICS, FW_TFLD_NOTE_REQUEST_SUGGESTIONS, FW_TFLD_NOTE_TWEET, FW_TFLD_ORGANIC_METRICS,
    FW_TFLD_PAID_PARTNERSHIP, FW_TFLD_POSSIBLY_SENSITIVE, FW_TFLD_PROMOTED_METRICS, FW_TFLD_PUBLIC_METRICS,
    FW_TFLD_REFERENCED_TWEETS, FW_TFLD_REPLY_SETTINGS, FW_TFLD_SCOPES, FW_TFLD_SOURCE,
    FW_TFLD_SUGGESTED_SOURCE_LINKS, FW_TFLD_SUGGESTED_SOURCE_LINKS_WITH_COUNTS, FW_TFLD_TEXT, FW_TFLD_WITHHELD,
    FW_TFLD__COUNT
};
enum { FW_EXP_AFFILIATION_USER_ID, FW_EXP_MOST_RECENT_TWEET_ID, FW_EXP_PINNED_TWEET_ID, FW_EXP__COUNT };

/* Which parameters an operation takes (path ones included: X reports a query
 * parameter named like a path parameter as a duplicate). */
enum {
    FW_P_ID = 1u << 0, FW_P_USERNAME = 1u << 1, FW_P_SOURCE_USER_ID = 1u << 2, FW_P_TARGET_USER_ID = 1u << 3,
    FW_P_REQUESTER_ID = 1u << 4, FW_P_MAX_RESULTS = 1u << 5, FW_P_PAGINATION_TOKEN = 1u << 6,
    FW_P_USER_FIELDS = 1u << 7, FW_P_EXPANSIONS = 1u << 8, FW_P_TWEET_FIELDS = 1u << 9,
    FW_P_IDS = 1u << 10, FW_P_USERNAMES = 1u << 11,
};
#define FW_P_FIELDS (FW_P_USER_FIELDS | FW_P_EXPANSIONS | FW_P_TWEET_FIELDS)

#define FW_PARAM_TOKEN_MAX 128
#define FW_PARAM_LIST_MAX 100  /* ids / usernames per lookup */
/* Work and output cap for hostile query strings (issue 11, defect 6): the
 * first FW_PARAM_ERRORS_MAX problems get an entry each; the next problem gets
 * one last entry saying that more were found, and checking stops there (only
 * a real 17th problem writes it, so 16 problems followed by valid parameters
 * are listed as 16). That also caps the parameters read per request: an
 * operation takes at most 12 distinct ones and any other pair (an unknown
 * name, a repeat) is a problem, so no request gets past 12 + 17 pairs or 17
 * bad list items, and a 400 body is bounded by the query's own size
 * (docs/api.md). */
#define FW_PARAM_ERRORS_MAX 16

typedef struct fw_params {
    uint32_t user_fields;  /* bit i = user field i requested */
    uint64_t tweet_fields;
    uint32_t expansions;
    uint32_t max_results;  /* 0 = not given */
    bool has_token;
    char token[FW_PARAM_TOKEN_MAX + 1];
    size_t token_len;
    /* ids= / usernames= of the multi-user lookups, validated and split. */
    size_t nlist;
    uint64_t ids[FW_PARAM_LIST_MAX];
    fw_str names[FW_PARAM_LIST_MAX]; /* into list_buf */
    char list_buf[FW_PARAM_LIST_MAX * 16];
    unsigned nerrors;      /* problems found so far; entries written: min(nerrors, FW_PARAM_ERRORS_MAX + 1) */
} fw_params;

/* For operations that require ids= or usernames= (required_list is FW_P_IDS
 * or FW_P_USERNAMES), reports it missing when absent. Call after
 * fw_params_parse. */
void fw_params_require_list(fw_params *p, fw_buf *errs, uint32_t required_list);

/* Parses query against the operation's allowed set (FW_P_* bits; path
 * parameters present in the path are passed in path_given so duplicates are
 * caught). errs receives problem entries; returns the number of problems. */
unsigned fw_params_parse(fw_str query, uint32_t allowed, uint32_t path_given, fw_params *p, fw_buf *errs);

/* Records a path parameter problem: "The `name` query parameter value [v] does not match ^[0-9]{1,19}$". */
void fw_params_bad_pattern(fw_params *p, fw_buf *errs, const char *name, fw_str value, const char *pattern);
/* Records any invalid-request entry with parameters {name:[value]} and a
 * message; past FW_PARAM_ERRORS_MAX only counts it (the entry after the last
 * one written says that more were found). */
void fw_params_add_error(fw_params *p, fw_buf *errs, const char *name, fw_str value, const char *message);
/* Whether the summary entry is written (checking further is wasted work). */
bool fw_params_full(const fw_params *p);

#endif
