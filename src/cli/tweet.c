/* followd tweet add. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "text/entities.h"

static const char tweet_usage[] =
    "usage: followd tweet add --db DIR --author ID|@USERNAME --text TEXT [--lang xx] [--pin]\n"
    "                         [--created-at MS] [--source S] [--likes N --retweets N --replies N --quotes N]\n"
    "prints the new tweet's id; --pin also makes it the author's pinned tweet.\n";

int fw_cli_tweet(int argc, char **argv)
{
    int usage = fw_cli_usage(argc, argv, tweet_usage);
    if (usage >= 0)
        return usage;
    if (strcmp(argv[1], "add")) {
        fw_cli_err("unknown tweet command '%s' (add)", argv[1]);
        return 2;
    }
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"author", required_argument, 0, 'a'},
        {"text", required_argument, 0, 't'},   {"lang", required_argument, 0, 'l'},
        {"pin", no_argument, 0, 'p'},          {"created-at", required_argument, 0, 'c'},
        {"source", required_argument, 0, 's'}, {"likes", required_argument, 0, 'L'},
        {"retweets", required_argument, 0, 'R'}, {"replies", required_argument, 0, 'P'},
        {"quotes", required_argument, 0, 'Q'}, {0, 0, 0, 0},
    };
    const char *db = NULL, *author = NULL;
    fw_tweet t = {0};
    t.created_at_ms = fw_now_ms();
    t.lang = FW_STR_LIT("en");
    t.reply_settings = FW_STR_LIT("everyone");
    bool pin = false;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        uint64_t v = 0;
        if (strchr("cLRPQ", c) && fw_str_to_id(fw_str_c(optarg), &v) != 0) {
            fw_cli_err("expected a number, got '%s'", optarg);
            return 2;
        }
        switch (c) {
        case 'd': db = optarg; break;
        case 'a': author = optarg; break;
        case 't': t.text = fw_str_c(optarg); break;
        case 'l': t.lang = fw_str_c(optarg); break;
        case 'p': pin = true; break;
        case 's': t.source = fw_str_c(optarg); break;
        case 'c': t.created_at_ms = (int64_t)v; break;
        case 'L': t.like_count = v; break;
        case 'R': t.retweet_count = v; break;
        case 'P': t.reply_count = v; break;
        case 'Q': t.quote_count = v; break;
        default: fputs(tweet_usage, stderr); return 2;
        }
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    if (!author || !t.text.len) {
        fw_cli_err("tweet add needs --author and --text");
        return 2;
    }
    if (!fw_utf8_valid(t.text.p, t.text.len) || t.text.len > 4000) {
        fw_cli_err("--text must be valid UTF-8 of at most 280 characters");
        return 2;
    }
    fw_store *s = fw_cli_open_user(db, author, &t.author_id);
    if (!s)
        return 1;
    int ret = 0;
    fw_user_rec rec = {0};
    uint64_t id = 0;
    int rc = fw_store_tweet_add(s, &t, &id);
    if (rc == FW_OK && pin && (rc = fw_store_user_get(s, t.author_id, &rec)) == FW_OK) {
        rec.u.pinned_tweet_id = id;
        rc = fw_store_user_update(s, &rec.u);
    }
    if (rc != FW_OK) {
        fw_cli_err("%s", fw_strerror(rc));
        ret = 1;
        goto out;
    }
    printf("%llu\n", (unsigned long long)id);
out:
    fw_user_rec_free(&rec);
    fw_store_close(s);
    return ret;
}
