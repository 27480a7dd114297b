/* followd user add|set|show|list|delete (passwd is in cli/passwd.c). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "text/entities.h"

static const char user_usage[] =
    "usage: followd user add --db DIR --username U --name N [--id N] [profile options]\n"
    "       followd user set --db DIR ID|@USERNAME [profile options]\n"
    "       followd user show --db DIR ID|@USERNAME\n"
    "       followd user list --db DIR [--after ID] [--limit N]\n"
    "       followd user delete --db DIR ID|@USERNAME\n"
    "       followd user passwd --db DIR ID|@USERNAME [--password P]  (else read from stdin)\n"
    "profile options:\n"
    "  --username U  --name N  --description D  --url URL  --location L\n"
    "  --profile-image-url URL  --pinned-tweet ID (0 clears)  --withheld CC,CC ('' clears)\n"
    "  --protected | --public   --verified | --unverified   --verified-type blue|business|government|none\n"
    "  --suspended | --unsuspended   --tweet-count N  --listed-count N  --like-count N\n"
    "  --created-at MS (milliseconds since the epoch)\n"
    "add prints the new user's id (--id N chooses it: 1..9223372036854775807, not taken yet);\n"
    "show prints the user as JSON.\n";

enum { O_DB = 1000, O_USERNAME, O_NAME, O_DESC, O_URL, O_LOC, O_IMG, O_PIN, O_WITHHELD, O_PROT, O_PUB, O_VER, O_UNVER,
       O_VTYPE, O_SUSP, O_UNSUSP, O_TWEETS, O_LISTED, O_LIKES, O_CREATED, O_AFTER, O_LIMIT, O_ID };

static const struct option user_opts[] = {
    {"db", required_argument, 0, O_DB},
    {"username", required_argument, 0, O_USERNAME},
    {"name", required_argument, 0, O_NAME},
    {"description", required_argument, 0, O_DESC},
    {"url", required_argument, 0, O_URL},
    {"location", required_argument, 0, O_LOC},
    {"profile-image-url", required_argument, 0, O_IMG},
    {"pinned-tweet", required_argument, 0, O_PIN},
    {"withheld", required_argument, 0, O_WITHHELD},
    {"protected", no_argument, 0, O_PROT},
    {"public", no_argument, 0, O_PUB},
    {"verified", no_argument, 0, O_VER},
    {"unverified", no_argument, 0, O_UNVER},
    {"verified-type", required_argument, 0, O_VTYPE},
    {"suspended", no_argument, 0, O_SUSP},
    {"unsuspended", no_argument, 0, O_UNSUSP},
    {"tweet-count", required_argument, 0, O_TWEETS},
    {"listed-count", required_argument, 0, O_LISTED},
    {"like-count", required_argument, 0, O_LIKES},
    {"created-at", required_argument, 0, O_CREATED},
    {"after", required_argument, 0, O_AFTER},
    {"limit", required_argument, 0, O_LIMIT},
    {"id", required_argument, 0, O_ID},
    {0, 0, 0, 0},
};

static int parse_u64(const char *s, uint64_t *out)
{
    return fw_str_to_id(fw_str_c(s), out);
}

static int verified_type(const char *s, uint8_t *out)
{
    static const char *names[] = {"none", "blue", "business", "government"};
    for (uint8_t i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
    return -1;
}

/* Applies one profile option to the record; returns 0, or 2 on a bad value. */
static int apply_opt(fw_user_rec *r, int c, const char *arg, bool *text_changed)
{
    uint64_t v;
    switch (c) {
    case O_USERNAME: fw_user_rec_set(r, FW_UF_USERNAME, fw_str_c(arg)); break;
    case O_NAME:
        if (strlen(arg) > 200 || !fw_utf8_valid(arg, strlen(arg))) {
            fw_cli_err("--name must be valid UTF-8 of at most 50 characters");
            return 2;
        }
        fw_user_rec_set(r, FW_UF_NAME, fw_str_c(arg));
        break;
    case O_DESC: fw_user_rec_set(r, FW_UF_DESCRIPTION, fw_str_c(arg)); *text_changed = true; break;
    case O_URL: fw_user_rec_set(r, FW_UF_URL, fw_str_c(arg)); *text_changed = true; break;
    case O_LOC: fw_user_rec_set(r, FW_UF_LOCATION, fw_str_c(arg)); break;
    case O_IMG: fw_user_rec_set(r, FW_UF_PROFILE_IMAGE_URL, fw_str_c(arg)); break;
    case O_WITHHELD: fw_user_rec_set(r, FW_UF_WITHHELD, fw_str_c(arg)); break;
    case O_PIN:
        if (parse_u64(arg, &v) != 0) {
            fw_cli_err("--pinned-tweet takes a tweet id");
            return 2;
        }
        r->u.pinned_tweet_id = v;
        break;
    case O_PROT: r->u.flags |= FW_USER_PROTECTED; break;
    case O_PUB: r->u.flags &= ~FW_USER_PROTECTED; break;
    case O_VER: r->u.flags |= FW_USER_VERIFIED; break;
    case O_UNVER: r->u.flags &= ~FW_USER_VERIFIED; break;
    case O_SUSP: r->u.flags |= FW_USER_SUSPENDED; break;
    case O_UNSUSP: r->u.flags &= ~FW_USER_SUSPENDED; break;
    case O_VTYPE:
        if (verified_type(arg, &r->u.verified_type) != 0) {
            fw_cli_err("--verified-type takes blue, business, government or none");
            return 2;
        }
        break;
    case O_TWEETS:
    case O_LISTED:
    case O_LIKES:
    case O_CREATED:
        if (parse_u64(arg, &v) != 0) {
            fw_cli_err("expected a non-negative number, got '%s'", arg);
            return 2;
        }
        if (c == O_TWEETS) r->u.tweet_count = v;
        else if (c == O_LISTED) r->u.listed_count = v;
        else if (c == O_LIKES) r->u.like_count = v;
        else r->u.created_at_ms = (int64_t)v;
        break;
    default: return 2;
    }
    return 0;
}

/* Validates the profile text fields and recomputes the stored entities. */
static int finish_profile(fw_user_rec *r)
{
    fw_buf ent = FW_BUF_INIT;
    const char *why = fw_cli_profile_check(&r->u, &ent);
    if (why) {
        fw_buf_free(&ent);
        fw_cli_err("%s", why);
        return 2;
    }
    fw_user_rec_set(r, FW_UF_ENTITIES, (fw_str){ent.data ? ent.data : "", ent.len});
    fw_buf_free(&ent);
    return 0;
}

static void print_user_json(const fw_user *u)
{
    fw_buf b = FW_BUF_INIT;
    fw_jw w;
    fw_jw_init(&w, &b, true);
    char ts[32];
    fw_iso8601(u->created_at_ms, ts);
    fw_jw_obj_begin(&w);
    fw_jw_key(&w, "id"); fw_jw_id(&w, u->id);
    fw_jw_key(&w, "username"); fw_jw_strn(&w, u->username.p, u->username.len);
    fw_jw_key(&w, "name"); fw_jw_strn(&w, u->name.p, u->name.len);
    fw_jw_key(&w, "created_at"); fw_jw_str(&w, ts);
    fw_jw_key(&w, "description"); fw_jw_strn(&w, u->description.p, u->description.len);
    fw_jw_key(&w, "location"); fw_jw_strn(&w, u->location.p, u->location.len);
    fw_jw_key(&w, "url"); fw_jw_strn(&w, u->url.p, u->url.len);
    fw_jw_key(&w, "profile_image_url"); fw_jw_strn(&w, u->profile_image_url.p, u->profile_image_url.len);
    fw_jw_key(&w, "protected"); fw_jw_bool(&w, u->flags & FW_USER_PROTECTED);
    fw_jw_key(&w, "verified"); fw_jw_bool(&w, u->flags & FW_USER_VERIFIED);
    fw_jw_key(&w, "suspended"); fw_jw_bool(&w, u->flags & FW_USER_SUSPENDED);
    fw_jw_key(&w, "pinned_tweet_id"); fw_jw_id(&w, u->pinned_tweet_id);
    fw_jw_key(&w, "most_recent_tweet_id"); fw_jw_id(&w, u->most_recent_tweet_id);
    fw_jw_key(&w, "withheld"); fw_jw_strn(&w, u->withheld_countries.p, u->withheld_countries.len);
    fw_jw_key(&w, "followers_count"); fw_jw_int(&w, (int64_t)u->followers_count);
    fw_jw_key(&w, "following_count"); fw_jw_int(&w, (int64_t)u->following_count);
    fw_jw_key(&w, "tweet_count"); fw_jw_int(&w, (int64_t)u->tweet_count);
    fw_jw_key(&w, "listed_count"); fw_jw_int(&w, (int64_t)u->listed_count);
    if (u->entities_json.len) {
        fw_jw_key(&w, "entities");
        fw_jw_raw(&w, u->entities_json.p, u->entities_json.len);
    }
    fw_jw_obj_end(&w);
    fw_cli_print_buf(&b);
}

static int list_one(void *ctx, const fw_user *u)
{
    (void)ctx;
    printf("%llu\t%.*s\t%.*s\tfollowers=%llu\tfollowing=%llu%s%s\n", (unsigned long long)u->id, (int)u->username.len,
           u->username.p, (int)u->name.len, u->name.p, (unsigned long long)u->followers_count,
           (unsigned long long)u->following_count, (u->flags & FW_USER_PROTECTED) ? "\tprotected" : "",
           (u->flags & FW_USER_SUSPENDED) ? "\tsuspended" : "");
    return 0;
}

static const char *rc_message(int rc)
{
    switch (rc) {
    case FW_EEXISTS: return "that username (or id) is already taken";
    case FW_EINVAL: return "invalid user: username must match ^[A-Za-z0-9_]{1,15}$ and name is required";
    case FW_ENOTFOUND: return "no such user";
    default: return fw_strerror(rc);
    }
}

int fw_cli_user(int argc, char **argv)
{
    int usage = fw_cli_usage(argc, argv, user_usage);
    if (usage >= 0)
        return usage;
    const char *sub = argv[1];
    if (!strcmp(sub, "passwd"))
        return fw_cli_user_passwd(argc - 1, argv + 1);
    const char *db = NULL, *target = NULL, *want_id = NULL;
    uint64_t after = 0, limit = 1000;
    fw_user_rec rec = {0};
    rec.u.created_at_ms = fw_now_ms();
    bool text_changed = false;
    /* Options are applied after the existing record is read (set), so collect them. */
    int codes[64];
    const char *args[64];
    int nopt = 0;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", user_opts, NULL)) != -1) {
        if (c == O_DB)
            db = optarg;
        else if (c == O_ID)
            want_id = optarg;
        else if (c == O_AFTER || c == O_LIMIT) {
            if (parse_u64(optarg, c == O_AFTER ? &after : &limit) != 0) {
                fw_cli_err("--after/--limit take numbers");
                return 2;
            }
        } else if (c == '?' || nopt >= 64) {
            fputs(user_usage, stderr);
            return 2;
        } else {
            codes[nopt] = c;
            args[nopt++] = optarg;
        }
    }
    if (optind < argc)
        target = argv[optind++];
    if (fw_cli_extra_args(argc, argv))
        return 2;
    bool is_add = !strcmp(sub, "add"), is_set = !strcmp(sub, "set"), is_show = !strcmp(sub, "show"),
         is_list = !strcmp(sub, "list"), is_del = !strcmp(sub, "delete");
    if (!is_add && !is_set && !is_show && !is_list && !is_del) {
        fw_cli_err("unknown user command '%s' (add, set, show, list, delete)", sub);
        return 2;
    }
    if ((is_set || is_show || is_del) && !target) {
        fw_cli_err("user %s needs a user id or @username", sub);
        return 2;
    }
    if ((is_add || is_list) && target) {
        fw_cli_err("unexpected argument '%s'", target);
        return 2;
    }
    if (want_id && !is_add) {
        fw_cli_err("--id is only for user add (a user's id never changes)");
        return 2;
    }
    /* X ids are positive 64-bit signed integers (JSON strings of them). */
    if (want_id && (parse_u64(want_id, &rec.u.id) != 0 || rec.u.id == 0 || rec.u.id > (uint64_t)INT64_MAX)) {
        fw_cli_err("--id takes a user id from 1 to 9223372036854775807, got '%s'", want_id);
        return 2;
    }
    if ((is_show || is_list || is_del) && nopt) {
        fw_cli_err("user %s takes no profile options", sub);
        return 2;
    }
    uint64_t id = 0;
    fw_store *s = fw_cli_open_user(db, target, &id);
    if (!s)
        return 1;
    int ret = 0;
    if (is_list) {
        int rc = fw_store_user_scan(s, after, (size_t)limit, list_one, NULL);
        if (rc != FW_OK) {
            fw_cli_err("%s", rc_message(rc));
            ret = 1;
        }
        goto out;
    }
    if (is_del) {
        int rc = fw_store_user_delete(s, id);
        if (rc != FW_OK) {
            fw_cli_err("%s", rc_message(rc));
            ret = 1;
        }
        goto out;
    }
    if (is_set || is_show) {
        int rc = fw_store_user_get(s, id, &rec);
        if (rc != FW_OK) {
            fw_cli_err("%s", rc_message(rc));
            ret = 1;
            goto out;
        }
    }
    if (is_show) {
        print_user_json(&rec.u);
        goto out;
    }
    for (int i = 0; i < nopt; i++)
        if ((ret = apply_opt(&rec, codes[i], args[i], &text_changed)) != 0)
            goto out;
    if (is_add && (!rec.u.username.len || !rec.u.name.len)) {
        fw_cli_err("user add needs --username and --name");
        ret = 2;
        goto out;
    }
    if ((is_add || text_changed) && (ret = finish_profile(&rec)) != 0)
        goto out;
    int rc = is_add ? fw_store_user_create(s, &rec.u, &id) : fw_store_user_update(s, &rec.u);
    if (rc == FW_EEXISTS && rec.u.id) {
        /* Say which of the two is taken. */
        fw_user_rec old = {0};
        bool id_taken = fw_store_user_get(s, rec.u.id, &old) == FW_OK;
        fw_user_rec_free(&old);
        if (id_taken) {
            fw_cli_err("user id %llu already exists", (unsigned long long)rec.u.id);
            ret = 1;
            goto out;
        }
    }
    if (rc != FW_OK) {
        fw_cli_err("%s", rc_message(rc));
        ret = 1;
        goto out;
    }
    if (is_add)
        printf("%llu\n", (unsigned long long)id);
out:
    fw_user_rec_free(&rec);
    fw_store_close(s);
    return ret;
}
