/* followd demo: a realistic demo database and its credentials.
 *
 * Generates tens of thousands of users with a skewed follow graph (a few
 * celebrities with more than 10,000 followers, a long tail of small
 * accounts), protected accounts with pending requests, tweets and pinned
 * tweets, and descriptions full of #hashtags, @mentions, $cashtags and URLs.
 * The generator is seeded, so every demo database has the same shape. A
 * second run reuses the database and prints the same credentials: demo
 * tokens are derived from the store secret rather than kept in clear.
 *
 * The accounts X's documentation and samples hard-code keep their X ids, so
 * the seed's quick start ("the user ID for @XDevelopers is 2244994945") and
 * X's sample code find them: @XDevelopers 2244994945, @Twitter 783214,
 * @TwitterAPI 6253282. @TwitterDev is @XDevelopers's former name on X (the
 * same account, 2244994945); the samples still look it up by name, so it is a
 * separate account here with the next id, 2244994946 (docs/api.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/issue.h"
#include "auth/password.h"
#include "auth/scopes.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "text/entities.h"

#define DEMO_APP_NAME "followd demo app"
#define DEMO_REDIRECT "http://127.0.0.1:8080/callback\nhttp://localhost:8080/callback"
#define DEMO_CELEBS 6
#define DEMO_MAX_DEGREE (DEMO_CELEBS + 29) /* edges one generated user makes at most */
#define DEMO_AVG_DEGREE 24                 /* room per user; ~6 are made on average */
#define DEMO_EXTRA_EDGES (2 * 120 + DEMO_CELEBS + 60 + DEMO_X_EDGES)
#define DEMO_XDEV_ID 2244994945ULL /* @XDevelopers on X */
#define DEMO_NX 3                  /* X's other well-known accounts, below */
#define DEMO_X_EDGES (DEMO_NX * (DEMO_NX + 1) + 40) /* their own follows and @XDevelopers's */

static const char *const first_names[] = {
    "ada", "alan", "grace", "linus", "margaret", "dennis", "barbara", "ken", "radia", "edsger", "frances", "donald",
    "hedy", "tim", "katherine", "guido", "anita", "bjarne", "shafi", "john", "sophie", "vint", "joan", "niklaus",
    "lynn", "rob", "mary", "james", "adele", "bob", "karen", "larry", "jean", "leslie", "carol", "yukihiro",
    "elena", "omar", "priya", "chen", "amara", "lucas", "ines", "kofi", "mei", "tariq", "olga", "diego",
};
static const char *const last_names[] = {
    "lovelace", "turing", "hopper", "torvalds", "hamilton", "ritchie", "liskov", "thompson", "perlman", "dijkstra",
    "allen", "knuth", "lamarr", "berners", "johnson", "rossum", "borg", "stroustrup", "goldwasser", "backus",
    "wilson", "cerf", "clarke", "wirth", "conway", "pike", "keller", "gosling", "goldberg", "kahn", "jones", "page",
    "bartik", "lamport", "shaw", "matsumoto", "petrova", "haddad", "sharma", "wei", "okafor", "silva", "moreau",
    "mensah", "lin", "aziz", "ivanova", "garcia",
};
static const char *const topics[] = {
    "rust", "golang", "python", "opensource", "devops", "kubernetes", "databases", "security", "ai", "webdev",
    "linux", "sre", "cloud", "startups", "design", "ux", "datascience", "privacy", "infosec", "compilers",
};
static const char *const tickers[] = {"AAPL", "MSFT", "GOOG", "TSLA", "AMZN", "NVDA", "META", "IBM", "ORCL", "INTC"};
static const char *const domains[] = {
    "example.com", "github.com", "blog.example.org", "dev.to", "news.ycombinator.com", "example.net",
    "medium.com", "docs.example.io",
};
static const char *const cities[] = {
    "Berlin", "San Francisco", "Lagos", "Tokyo", "São Paulo", "Paris", "Bangalore", "Toronto", "Nairobi", "Seoul",
    "", "", "",
};
static const char *const tweet_texts[] = {
    "Just shipped a new release of our library. Changelog in the thread below.",
    "Hot take: the best code is the code you never had to write.",
    "Pinned: everything I know about distributed systems, in one thread.",
    "Reading the LMDB source again. Still the cleanest B+tree I know.",
    "We are hiring! Remote-friendly, kind people, hard problems.",
    "Slides from my talk are up. Thanks to everyone who came!",
    "Benchmarks are not tests. Tests are not benchmarks. Please.",
    "Tiny tip: keyset pagination beats OFFSET every single time.",
};

typedef struct demo_rng {
    uint64_t s;
} demo_rng;

static uint64_t rng_next(demo_rng *r)
{
    /* xorshift64*: fast and good enough for synthetic data. */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static uint32_t rng_below(demo_rng *r, uint32_t n) { return (uint32_t)(rng_next(r) % n); }
static double rng_unit(demo_rng *r) { return (double)(rng_next(r) >> 11) / 9007199254740992.0; }

#define PICK(r, arr) (arr[rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

typedef struct demo_ids {
    uint64_t demo, public_user, protected_user, celebs[DEMO_CELEBS];
} demo_ids;

/* X's own accounts that its samples hard-code, with their X ids, and which
 * share of the generated users follows each (one in `every`). */
static const struct {
    const char *username, *name, *desc;
    uint64_t id;
    uint32_t every;
} x_accounts[DEMO_NX] = {
    {"Twitter", "Twitter", "What's happening?! #followd demo copy of X's own account.", 783214, 3},
    {"TwitterDev", "Twitter Dev", "The former name of @XDevelopers, kept for X's samples that still use it.",
     2244994946ULL, 7},
    {"TwitterAPI", "Twitter API", "Updates about the X API. Ask @XDevelopers for help.", 6253282, 5},
};

static void make_description(demo_rng *r, const uint64_t *ids, size_t n, fw_store *s, fw_buf *d)
{
    fw_buf_reset(d);
    static const char *const roles[] = {"Engineer", "Founder", "Researcher", "Designer", "Writer", "Student",
                                        "Maintainer", "Hacker"};
    fw_buf_printf(d, "%s working on #%s and #%s.", PICK(r, roles), PICK(r, topics), PICK(r, topics));
    uint32_t extra = rng_below(r, 4);
    if (extra == 0 || extra == 3)
        fw_buf_printf(d, " Long $%s.", PICK(r, tickers));
    if (extra >= 1) {
        fw_user_rec peer = {0};
        if (fw_store_user_get(s, ids[rng_below(r, (uint32_t)n)], &peer) == FW_OK) {
            fw_buf_printf(d, " Previously with @%.*s.", (int)peer.u.username.len, peer.u.username.p);
            fw_user_rec_free(&peer);
        }
    }
    if (rng_below(r, 2))
        fw_buf_printf(d, " Blog: https://%s/%s", PICK(r, domains), PICK(r, topics));
    if (rng_below(r, 10) == 0)
        fw_buf_puts(d, " 🚀 Opinions my own.");
}

/* *id: the id to give the user, 0 for a new one; then the id it got. */
static int add_user(fw_store *s, const char *username, const char *name, const char *desc, const char *url,
                    const char *location, uint32_t flags, uint8_t vtype, int64_t created, uint64_t *id)
{
    fw_user_rec rec = {0};
    rec.u.id = *id;
    fw_user_rec_set(&rec, FW_UF_USERNAME, fw_str_c(username));
    fw_user_rec_set(&rec, FW_UF_NAME, fw_str_c(name));
    fw_user_rec_set(&rec, FW_UF_DESCRIPTION, fw_str_c(desc));
    fw_user_rec_set(&rec, FW_UF_URL, fw_str_c(url));
    fw_user_rec_set(&rec, FW_UF_LOCATION, fw_str_c(location));
    fw_buf ent = FW_BUF_INIT;
    fw_text_user_entities_json(fw_str_c(desc), fw_str_c(url), &ent);
    fw_user_rec_set(&rec, FW_UF_ENTITIES, (fw_str){ent.data ? ent.data : "", ent.len});
    fw_buf_free(&ent);
    rec.u.flags = flags;
    rec.u.verified_type = vtype;
    rec.u.created_at_ms = created;
    rec.u.listed_count = (uint64_t)(created % 97);
    int rc = fw_store_user_create(s, &rec.u, id);
    fw_user_rec_free(&rec);
    return rc;
}

static int add_tweets(fw_store *s, demo_rng *r, uint64_t author, int64_t base_ms, bool pin)
{
    uint32_t n = 1 + rng_below(r, 3);
    uint64_t first = 0;
    for (uint32_t i = 0; i < n; i++) {
        fw_tweet t = {0};
        t.author_id = author;
        t.text = fw_str_c(PICK(r, tweet_texts));
        t.lang = FW_STR_LIT("en");
        t.reply_settings = FW_STR_LIT("everyone");
        t.source = FW_STR_LIT("followd demo");
        t.created_at_ms = base_ms + (int64_t)i * 3600000;
        t.like_count = rng_below(r, 5000);
        t.retweet_count = rng_below(r, 800);
        t.reply_count = rng_below(r, 300);
        t.quote_count = rng_below(r, 50);
        t.impression_count = t.like_count * 40 + rng_below(r, 1000);
        uint64_t id;
        int rc = fw_store_tweet_add(s, &t, &id);
        if (rc != FW_OK)
            return rc;
        if (!first)
            first = id;
    }
    if (!pin)
        return FW_OK;
    fw_user_rec rec = {0};
    int rc = fw_store_user_get(s, author, &rec);
    if (rc == FW_OK) {
        rec.u.pinned_tweet_id = first;
        rc = fw_store_user_update(s, &rec.u);
    }
    fw_user_rec_free(&rec);
    return rc;
}

/* Creates every user, tweet and follow; fills ids. */
static int generate(fw_store *s, uint32_t nusers, demo_ids *ids)
{
    demo_rng r = {0x9E3779B97F4A7C15ULL};
    int64_t t0 = 1262304000000LL; /* 2010-01-01 */
    uint64_t *uid = calloc(nusers, sizeof *uid);
    if (!uid)
        return FW_EIO;
    fw_buf desc = FW_BUF_INIT, url = FW_BUF_INIT;
    int rc = FW_OK;
    static const char *const celeb_names[DEMO_CELEBS][2] = {
        {"XDevelopers", "Developers"}, {"open_source", "Open Source Daily"}, {"lmdb_fan", "Howard's Fan Club"},
        {"techcrunchy", "Tech Crunchy"}, {"nasa_fanpage", "Space Facts"},     {"rustacean", "Rustacean Station"},
    };
    /* Named accounts first: celebrities, the demo user and the two targets. */
    for (int i = 0; i < DEMO_CELEBS && rc == FW_OK; i++) {
        char d[200];
        snprintf(d, sizeof d, "The voice of #%s. News, threads and $%s chatter. https://%s", topics[i], tickers[i],
                 domains[i]);
        ids->celebs[i] = i == 0 ? DEMO_XDEV_ID : 0; /* 0: a new id */
        rc = add_user(s, celeb_names[i][0], celeb_names[i][1], d, "https://example.com", cities[i], FW_USER_VERIFIED,
                      i == 0 ? FW_VT_BUSINESS : FW_VT_BLUE, t0 + i * 86400000LL, &ids->celebs[i]);
    }
    uint64_t xid[DEMO_NX];
    for (int i = 0; i < DEMO_NX && rc == FW_OK; i++) {
        xid[i] = x_accounts[i].id;
        rc = add_user(s, x_accounts[i].username, x_accounts[i].name, x_accounts[i].desc, "https://developer.x.com",
                      "", FW_USER_VERIFIED, FW_VT_BUSINESS, t0 - (int64_t)(DEMO_NX - i) * 86400000LL, &xid[i]);
    }
    if (rc == FW_OK)
        rc = add_user(s, "demo", "Demo User",
                      "Exploring the #followd demo. Ask @XDevelopers about $TSLA or see https://example.com/docs",
                      "https://example.com", "Localhost", 0, FW_VT_NONE, t0 + 400 * 86400000LL, &ids->demo);
    if (rc == FW_OK)
        rc = add_user(s, "quiet_public", "Quiet Public", "Public account nobody told the demo user about. #quiet", "",
                      "", 0, FW_VT_NONE, t0 + 500 * 86400000LL, &ids->public_user);
    if (rc == FW_OK)
        rc = add_user(s, "private_pat", "Private Pat", "Protected account: follow requests need my approval. #private",
                      "", "Somewhere", FW_USER_PROTECTED, FW_VT_NONE, t0 + 600 * 86400000LL, &ids->protected_user);
    uint32_t made = 0;
    for (uint32_t i = 0; i < nusers && rc == FW_OK; i++) {
        char uname[32], name[64];
        const char *f = PICK(&r, first_names), *l = PICK(&r, last_names);
        snprintf(uname, sizeof uname, "%.4s_%.3s%u", f, l, i);
        snprintf(name, sizeof name, "%c%s %c%s", f[0] - 32, f + 1, l[0] - 32, l + 1);
        make_description(&r, uid, made ? made : 1, s, &desc);
        if (!made)
            fw_buf_reset(&desc), fw_buf_puts(&desc, "First of the demo crowd. #hello");
        fw_buf_reset(&url);
        if (rng_below(&r, 3) == 0)
            fw_buf_printf(&url, "https://%s/~%s", PICK(&r, domains), uname);
        uint32_t flags = rng_below(&r, 20) == 0 ? FW_USER_PROTECTED : 0;
        if (rng_below(&r, 25) == 0)
            flags |= FW_USER_VERIFIED;
        rc = add_user(s, uname, name, desc.data, url.data ? url.data : "", PICK(&r, cities), flags,
                      (flags & FW_USER_VERIFIED) ? FW_VT_BLUE : FW_VT_NONE,
                      t0 + (int64_t)rng_below(&r, 4000) * 86400000LL, &uid[made]);
        if (rc == FW_OK)
            made++;
    }
    /* Tweets: every celebrity pins one; about one user in five tweets, half of them pin. */
    for (int i = 0; i < DEMO_CELEBS && rc == FW_OK; i++)
        rc = add_tweets(s, &r, ids->celebs[i], t0 + 5000 * 86400000LL, true);
    for (uint32_t i = 0; i < made && rc == FW_OK; i++)
        if (rng_below(&r, 5) == 0)
            rc = add_tweets(s, &r, uid[i], t0 + 4000 * 86400000LL + i, rng_below(&r, 2) == 0);
    /* Follow graph, in creation order (the order becomes newest-first lists):
     * celebrity i is followed by a falling share of everyone (45% for the first),
     * then each user follows a handful of others picked with a strong skew. */
    /* Room for every generated edge (about 6 a user on average, at most
     * DEMO_MAX_DEGREE) plus the fixed extras below. */
    size_t cap = (size_t)made * DEMO_AVG_DEGREE + DEMO_EXTRA_EDGES, n = 0;
    for (int k = 0; k < DEMO_NX; k++)
        cap += made / x_accounts[k].every + 1;
    uint64_t *pairs = rc == FW_OK ? malloc(cap * 2 * sizeof *pairs) : NULL;
    if (!pairs && rc == FW_OK)
        rc = FW_EIO;
    static const double celeb_share[DEMO_CELEBS] = {0.45, 0.36, 0.12, 0.08, 0.05, 0.03};
    for (uint32_t i = 0; i < made && rc == FW_OK && n + DEMO_MAX_DEGREE + DEMO_EXTRA_EDGES <= cap; i++) {
        for (int k = 0; k < DEMO_CELEBS; k++)
            if (rng_unit(&r) < celeb_share[k]) {
                pairs[2 * n] = uid[i];
                pairs[2 * n + 1] = ids->celebs[k];
                n++;
            }
        uint32_t deg = (uint32_t)(1 + 14 * rng_unit(&r) * rng_unit(&r) * 2);
        for (uint32_t k = 0; k < deg; k++) {
            double u = rng_unit(&r);
            uint32_t j = (uint32_t)(u * u * u * made); /* skew toward early (popular) accounts */
            if (j >= made || uid[j] == uid[i])
                continue;
            pairs[2 * n] = uid[i];
            pairs[2 * n + 1] = uid[j];
            n++;
        }
    }
    /* Followers for the demo user and the named targets, so every list has content. */
    for (uint32_t i = 0; i < 120 && i < made && rc == FW_OK; i++) {
        pairs[2 * n] = uid[made - 1 - i];
        pairs[2 * n + 1] = ids->demo;
        n++;
        pairs[2 * n] = uid[made / 2 + i % (made / 2 ? made / 2 : 1)];
        pairs[2 * n + 1] = i % 2 ? ids->public_user : ids->protected_user;
        n++;
    }
    /* The demo user follows every celebrity and 60 others, some with pinned tweets. */
    for (int k = 0; k < DEMO_CELEBS && rc == FW_OK; k++) {
        pairs[2 * n] = ids->demo;
        pairs[2 * n + 1] = ids->celebs[k];
        n++;
    }
    for (uint32_t i = 0; i < 60 && i < made && rc == FW_OK; i++) {
        pairs[2 * n] = ids->demo;
        pairs[2 * n + 1] = uid[(i * 7919u) % made];
        n++;
    }
    /* X's accounts: followed by a fixed share of the crowd (no random draws,
     * so the rest of the graph is what it always was), following each other
     * and @XDevelopers; @XDevelopers follows them and 30 of the crowd, so its
     * following list has content too. */
    for (uint32_t i = 0; i < made && rc == FW_OK; i++)
        for (int k = 0; k < DEMO_NX; k++)
            if (i % x_accounts[k].every == 0) {
                pairs[2 * n] = uid[i];
                pairs[2 * n + 1] = xid[k];
                n++;
            }
    for (int k = 0; k < DEMO_NX && rc == FW_OK; k++) {
        for (int j = 0; j < DEMO_NX; j++)
            if (j != k) {
                pairs[2 * n] = xid[k];
                pairs[2 * n + 1] = xid[j];
                n++;
            }
        pairs[2 * n] = xid[k];
        pairs[2 * n + 1] = ids->celebs[0];
        n++;
        pairs[2 * n] = ids->celebs[0];
        pairs[2 * n + 1] = xid[k];
        n++;
    }
    for (uint32_t i = 0; i < 30 && i < made && rc == FW_OK; i++) {
        pairs[2 * n] = ids->celebs[0];
        pairs[2 * n + 1] = uid[(i * 104729u) % made];
        n++;
    }
    if (rc == FW_OK)
        rc = fw_store_follow_bulk(s, pairs, n);
    /* Their pinned tweets come from a second generator, for the same reason. */
    demo_rng r2 = {0xD1B54A32D192ED03ULL};
    for (int k = 0; k < DEMO_NX && rc == FW_OK; k++)
        rc = add_tweets(s, &r2, xid[k], t0 + 5100 * 86400000LL, true);
    free(pairs);
    free(uid);
    fw_buf_free(&desc);
    fw_buf_free(&url);
    return rc;
}

typedef struct find_app {
    uint64_t id;
} find_app;

static int find_demo_app(void *ctx, const fw_app *a)
{
    find_app *f = ctx;
    if (fw_str_eq(a->name, DEMO_APP_NAME)) {
        f->id = a->id;
        return 1;
    }
    return 0;
}

static int lookup(fw_store *s, const char *username, uint64_t *id)
{
    fw_user_rec r = {0};
    int rc = fw_store_user_get_by_name(s, fw_str_c(username), &r);
    if (rc == FW_OK)
        *id = r.u.id;
    fw_user_rec_free(&r);
    return rc;
}

static void kv(fw_jw *w, const char *k, const char *v)
{
    fw_jw_key(w, k);
    fw_jw_str(w, v);
}

static void kv_id(fw_jw *w, const char *k, uint64_t v)
{
    fw_jw_key(w, k);
    fw_jw_id(w, v);
}

int fw_cli_demo(int argc, char **argv)
{
    static const char usage[] =
        "usage: followd demo --db DIR [--json | --quickstart] [--users N] [--base-url URL]\n"
        "creates the demo database on first use (N generated users, default 30000) or reuses it,\n"
        "then prints its credentials: --json as one JSON object, --quickstart as text with curl commands.\n";
    if (fw_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},    {"json", no_argument, 0, 'j'},
        {"quickstart", no_argument, 0, 'q'},  {"users", required_argument, 0, 'n'},
        {"base-url", required_argument, 0, 'b'}, {0, 0, 0, 0},
    };
    const char *db = NULL, *base = "http://127.0.0.1:8080";
    bool json = true;
    uint64_t nusers = 30000;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': json = true; break;
        case 'q': json = false; break;
        case 'b': base = optarg; break;
        case 'n':
            if (fw_cli_number("users", optarg, 200, 5000000, &nusers) != 0)
                return 2;
            break;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    if (!db) {
        fw_cli_err("--db DIR is required");
        return 2;
    }
    fw_store_opts so = {0};
    so.path = db;
    so.bulk = true;
    fw_store *s = NULL;
    int rc = fw_store_open(&so, &s);
    if (rc != FW_OK) {
        fw_cli_err("cannot open database %s: %s", db, fw_strerror(rc));
        return 1;
    }
    demo_ids ids = {0};
    find_app fa = {0};
    rc = fw_store_app_scan(s, find_demo_app, &fa);
    if (rc == FW_OK)
        rc = lookup(s, "demo", &ids.demo);
    bool fresh = rc == FW_ENOTFOUND;
    if (fresh) {
        if (!json)
            fprintf(stderr, "followd: creating the demo database in %s (%llu users)...\n", db,
                    (unsigned long long)nusers);
        rc = generate(s, (uint32_t)nusers, &ids);
    } else if (rc == FW_OK) {
        rc = lookup(s, "quiet_public", &ids.public_user);
        if (rc == FW_OK)
            rc = lookup(s, "private_pat", &ids.protected_user);
        if (rc == FW_OK)
            rc = lookup(s, "XDevelopers", &ids.celebs[0]);
    }
    fw_app_rec app = {0};
    if (rc == FW_OK && !fa.id) {
        uint64_t pid = 0;
        rc = fw_store_project_create(s, FW_STR_LIT("Demo project"), FW_ACCESS_ENTERPRISE, &pid);
        if (rc == FW_OK)
            rc = fw_store_app_create(s, FW_STR_LIT(DEMO_APP_NAME), pid, FW_CLIENT_CONFIDENTIAL,
                                     FW_STR_LIT(DEMO_REDIRECT), &app);
    } else if (rc == FW_OK) {
        rc = fw_store_app_get(s, fa.id, &app);
    }
    char bearer[FW_TOKEN_MAX], utok[FW_TOKEN_MAX], ptok[FW_TOKEN_MAX], otok[FW_TOKEN_MAX], osec[FW_TOKEN_MAX];
    if (rc == FW_OK)
        rc = fw_issue_app_bearer(s, app.a.id, app.a.bearer_gen, bearer);
    if (rc == FW_OK)
        rc = fw_issue_user_token(s, FW_CRED_OAUTH2_USER, app.a.id, ids.demo, FW_SCOPES_FOLLOWS_ALL, 0, 0, "demo:user",
                                 utok);
    if (rc == FW_OK)
        rc = fw_issue_user_token(s, FW_CRED_OAUTH2_USER, app.a.id, ids.protected_user, FW_SCOPES_FOLLOWS_ALL, 0, 0,
                                 "demo:protected", ptok);
    if (rc == FW_OK)
        rc = fw_issue_oauth1(s, app.a.id, ids.demo, FW_SCOPES_OAUTH1_WRITE, "demo:oauth1", otok, osec);
    /* The demo user's sign-in password for the OAuth consent pages: derived
     * like the tokens, so every run prints the same one. */
    char password[FW_TOKEN_MAX];
    uint8_t pwrec[FW_PASSWORD_HASH_LEN];
    fw_token_derived(fw_store_secret(s), "demo:password", password);
    password[20] = 0;
    if (rc == FW_OK)
        rc = fw_password_hash(password, strlen(password), pwrec);
    if (rc == FW_OK)
        rc = fw_store_user_set_password(s, ids.demo, pwrec, sizeof pwrec);
    if (rc != FW_OK) {
        fw_cli_err("cannot create the demo database: %s", fw_strerror(rc));
        fw_app_rec_free(&app);
        fw_store_close(s);
        return 1;
    }
    char sid[24], spub[24], sprot[24], sceleb[24];
    snprintf(sid, sizeof sid, "%llu", (unsigned long long)ids.demo);
    snprintf(spub, sizeof spub, "%llu", (unsigned long long)ids.public_user);
    snprintf(sprot, sizeof sprot, "%llu", (unsigned long long)ids.protected_user);
    snprintf(sceleb, sizeof sceleb, "%llu", (unsigned long long)ids.celebs[0]);
    const fw_app *a = &app.a;
    if (json) {
        fw_buf b = FW_BUF_INIT;
        fw_jw w;
        fw_jw_init(&w, &b, true);
        fw_jw_obj_begin(&w);
        kv(&w, "bearer_token", bearer);
        fw_jw_key(&w, "consumer_key");
        fw_jw_strn(&w, a->consumer_key.p, a->consumer_key.len);
        fw_jw_key(&w, "consumer_secret");
        fw_jw_strn(&w, a->consumer_secret.p, a->consumer_secret.len);
        fw_jw_key(&w, "client_id");
        fw_jw_strn(&w, a->client_id.p, a->client_id.len);
        fw_jw_key(&w, "client_secret");
        fw_jw_strn(&w, a->client_secret.p, a->client_secret.len);
        kv_id(&w, "app_id", a->id);
        kv(&w, "user_id", sid);
        kv(&w, "username", "demo");
        kv(&w, "password", password);
        kv(&w, "user_access_token", utok);
        kv(&w, "access_token", otok);
        kv(&w, "access_token_secret", osec);
        kv(&w, "redirect_uri", "http://127.0.0.1:8080/callback");
        kv(&w, "public_user_id", spub);
        kv(&w, "protected_user_id", sprot);
        kv(&w, "protected_user_access_token", ptok);
        kv(&w, "celebrity_user_id", sceleb);
        fw_jw_obj_end(&w);
        fw_cli_print_buf(&b);
    } else {
        printf("\nfollowd demo database: %s\n\n"
               "  app-only bearer token   %s\n"
               "  demo user              @demo (id %s), password %s (OAuth sign-in pages)\n"
               "  user access token      %s   (OAuth 2.0, every follows scope)\n"
               "  OAuth 1.0a             consumer key %.*s, secret %.*s\n"
               "                         access token %s, secret %s\n"
               "  OAuth 2.0 client       client id %.*s, secret %.*s\n\n"
               "Try:\n"
               "  curl -H 'Authorization: Bearer %s' '%s/2/users/%s/followers?max_results=5&user.fields=public_metrics'\n"
               "  curl -H 'Authorization: Bearer %s' '%s/2/users/me?expansions=pinned_tweet_id'\n"
               "  curl -X POST -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"
               "       -d '{\"target_user_id\":\"%s\"}' '%s/2/users/%s/following'\n"
               "  curl -X DELETE -H 'Authorization: Bearer %s' '%s/2/users/%s/following/%s'\n\n",
               db, bearer, sid, password, utok, (int)a->consumer_key.len, a->consumer_key.p, (int)a->consumer_secret.len,
               a->consumer_secret.p, otok, osec, (int)a->client_id.len, a->client_id.p, (int)a->client_secret.len,
               a->client_secret.p, bearer, base, sceleb, utok, base, utok, spub, base, sid, utok, base, sid, spub);
        fflush(stdout);
    }
    fw_app_rec_free(&app);
    fw_store_close(s);
    return 0;
}
