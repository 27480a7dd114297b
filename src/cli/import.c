/* followd import: loads users (JSON lines, X's v2 user shape), tweets (JSON
 * lines, v2 tweet shape) and the follow graph (CSV) into an empty database in
 * one all-or-nothing transaction (store.h, "Bulk import"). Every bad line is
 * reported as FILE:LINE: reason, and then nothing is imported. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "text/entities.h"

static const char import_usage[] =
    "usage: followd import --db DIR [--users users.jsonl] [--tweets tweets.jsonl]\n"
    "                      [--follows follows.csv] [--requests requests.csv] [--db-max-size SIZE]\n"
    "Loads an existing graph into an empty database, all or nothing:\n"
    "  users     one JSON object per line in X's v2 user shape (id, username, name, created_at,\n"
    "            description, url, location, protected, verified, verified_type, profile_image_url,\n"
    "            pinned_tweet_id, withheld.country_codes; public_metrics are recomputed, other keys ignored)\n"
    "  tweets    one v2 tweet per line (id, author_id, text, created_at, lang, source, reply_settings,\n"
    "            possibly_sensitive, conversation_id, public_metrics)\n"
    "  follows   CSV source_id,target_id[,created_at]: source follows target\n"
    "  requests  CSV source_id,target_id[,created_at]: source asked to follow target (protected)\n"
    "Lists are ordered by created_at (2020-01-01T00:00:00.000Z) when given, else by file order.\n"
    "Counters and entities are computed; 'followd check' passes afterwards.\n";

typedef struct importer {
    fw_import *im;
    fw_cli_progress prog;
    uint64_t follows_edges; /* edges added from --follows (they come first) */
    uint64_t nusers, ntweets, nrequests;
} importer;

/* ---- reading lines ---- */

typedef struct lines {
    const char *path;
    FILE *f;
    char *buf;
    size_t cap;
    size_t len;
    uint64_t lineno;
    uint64_t bytes, size;
} lines;

static int lines_open(lines *l, const char *path)
{
    memset(l, 0, sizeof(*l));
    l->path = path;
    if (!(l->f = fopen(path, "r"))) {
        fw_cli_err("cannot open %s: %m", path);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(l->f), &st) == 0)
        l->size = (uint64_t)st.st_size;
    return 0;
}

/* Next line without its line ending; false at the end. */
static bool lines_next(lines *l)
{
    ssize_t n = getline(&l->buf, &l->cap, l->f);
    if (n < 0)
        return false;
    l->lineno++;
    l->bytes += (uint64_t)n;
    while (n > 0 && (l->buf[n - 1] == '\n' || l->buf[n - 1] == '\r'))
        l->buf[--n] = 0;
    l->len = (size_t)n;
    return true;
}

static void lines_close(lines *l)
{
    if (l->f)
        fclose(l->f);
    free(l->buf);
}

static void bad(const lines *l, const char *why, const char *detail)
{
    fw_cli_err("%s:%llu: %s%s%s", l->path, (unsigned long long)l->lineno, why, detail ? ": " : "", detail ? detail : "");
}

/* ---- JSON fields ---- */

/* A string member (absent = empty). Returns false if present with another type. */
static bool j_str(json_t *o, const char *key, fw_str *out)
{
    json_t *v = json_object_get(o, key);
    *out = FW_STR_NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v))
        return false;
    *out = (fw_str){json_string_value(v), json_string_length(v)};
    return true;
}

/* An id: a decimal string (X's form) or a JSON integer; absent = 0. */
static bool j_id(json_t *o, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    *out = 0;
    if (!v || json_is_null(v))
        return true;
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    return json_is_string(v) && fw_str_to_id((fw_str){json_string_value(v), json_string_length(v)}, out) == 0;
}

static bool j_bool(json_t *o, const char *key, bool *out)
{
    json_t *v = json_object_get(o, key);
    *out = false;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

static bool j_count(json_t *o, const char *key, uint64_t *out)
{
    json_t *v = o ? json_object_get(o, key) : NULL;
    *out = 0;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

/* created_at: ISO 8601 as X writes it; absent = now. */
static bool j_time(json_t *o, const char *key, int64_t *out)
{
    fw_str s;
    if (!j_str(o, key, &s))
        return false;
    if (!s.len) {
        *out = fw_now_ms();
        return true;
    }
    return fw_iso8601_parse(s.p, s.len, out) == FW_OK;
}

static json_t *j_line(const lines *l)
{
    json_error_t e;
    json_t *o = json_loadb(l->buf, l->len, JSON_REJECT_DUPLICATES, &e);
    if (!o)
        bad(l, "not JSON", e.text);
    else if (!json_is_object(o)) {
        bad(l, "not a JSON object", NULL);
        json_decref(o);
        o = NULL;
    }
    return o;
}

static const char *verified_types[] = {"none", "blue", "business", "government"};

/* withheld: {"country_codes":["DE","FR"]} -> "DE,FR" in buf. */
static bool j_withheld(json_t *o, fw_buf *buf, fw_str *out)
{
    json_t *w = json_object_get(o, "withheld");
    *out = FW_STR_NULL;
    if (!w || json_is_null(w))
        return true;
    json_t *cc = json_object_get(w, "country_codes");
    if (!json_is_object(w) || (cc && !json_is_array(cc)))
        return false;
    size_t i;
    json_t *c;
    json_array_foreach(cc, i, c) {
        const char *v = json_string_value(c);
        if (!v || strlen(v) != 2)
            return false;
        if (buf->len)
            fw_buf_putc(buf, ',');
        fw_buf_append(buf, v, 2);
    }
    *out = (fw_str){buf->data ? buf->data : "", buf->len};
    return true;
}

/* Parses one user line into u (strings borrowed from o and bufs); NULL or why it is bad. */
static const char *parse_user(json_t *o, fw_user *u, fw_buf *withheld, fw_buf *ent)
{
    memset(u, 0, sizeof(*u));
    bool prot, ver, susp;
    fw_str vt;
    json_t *pm = json_object_get(o, "public_metrics");
    if (!j_id(o, "id", &u->id) || !u->id)
        return "id must be a decimal string";
    if (!j_str(o, "username", &u->username) || !u->username.len)
        return "username is required";
    if (!j_str(o, "name", &u->name) || !u->name.len)
        return "name is required";
    if (!j_time(o, "created_at", &u->created_at_ms))
        return "created_at must look like 2020-01-01T00:00:00.000Z";
    if (!j_str(o, "description", &u->description) || !j_str(o, "url", &u->url) ||
        !j_str(o, "location", &u->location) || !j_str(o, "profile_image_url", &u->profile_image_url))
        return "description, url, location and profile_image_url must be strings";
    if (!j_bool(o, "protected", &prot) || !j_bool(o, "verified", &ver) || !j_bool(o, "suspended", &susp))
        return "protected, verified and suspended must be true or false";
    if (!j_id(o, "pinned_tweet_id", &u->pinned_tweet_id))
        return "pinned_tweet_id must be a decimal string";
    if (!j_str(o, "verified_type", &vt))
        return "verified_type must be a string";
    if (vt.len) {
        u->verified_type = 0xFF;
        for (uint8_t i = 0; i < 4; i++)
            if (fw_str_eq(vt, verified_types[i]))
                u->verified_type = i;
        if (u->verified_type == 0xFF)
            return "verified_type must be blue, business, government or none";
    }
    if (!j_withheld(o, withheld, &u->withheld_countries))
        return "withheld must be {\"country_codes\": [\"XX\", ...]}";
    if ((pm && !json_is_object(pm)) || !j_count(pm, "listed_count", &u->listed_count) ||
        !j_count(pm, "like_count", &u->like_count))
        return "public_metrics counts must be non-negative integers";
    u->flags = (prot ? FW_USER_PROTECTED : 0) | (ver ? FW_USER_VERIFIED : 0) | (susp ? FW_USER_SUSPENDED : 0);
    return fw_cli_profile_check(u, ent);
}

static const char *user_error(int rc)
{
    switch (rc) {
    case FW_EEXISTS: return "this id or username (case-insensitively) was given earlier";
    case FW_EINVAL: return "username must match ^[A-Za-z0-9_]{1,15}$";
    default: return fw_strerror(rc);
    }
}

static int import_users(importer *imp, const char *path)
{
    lines l;
    if (lines_open(&l, path))
        return -1;
    int ret = 0;
    uint64_t n = 0;
    while (!ret && lines_next(&l)) {
        if (!l.len)
            continue;
        json_t *o = j_line(&l);
        if (!o) {
            ret = -1;
            break;
        }
        fw_user u;
        fw_buf withheld = FW_BUF_INIT, ent = FW_BUF_INIT;
        const char *why = parse_user(o, &u, &withheld, &ent);
        int rc = why ? FW_OK : fw_store_import_user(imp->im, &u);
        if (why || rc) {
            bad(&l, why ? why : user_error(rc), NULL);
            ret = -1;
        }
        fw_buf_free(&withheld);
        fw_buf_free(&ent);
        json_decref(o);
        if ((++n & 0xFFFF) == 0)
            fw_cli_progress_update(&imp->prog, "users", l.bytes, l.size, "bytes");
        imp->nusers = n;
    }
    if (!ret)
        fw_cli_progress_update(&imp->prog, "users", l.size, l.size, "bytes");
    lines_close(&l);
    return ret;
}

static const char *parse_tweet(json_t *o, fw_tweet *t)
{
    memset(t, 0, sizeof(*t));
    json_t *pm = json_object_get(o, "public_metrics");
    if (!j_id(o, "id", &t->id) || !t->id)
        return "id must be a decimal string";
    if (!j_id(o, "author_id", &t->author_id) || !t->author_id)
        return "author_id must be a decimal string";
    if (!j_str(o, "text", &t->text) || !t->text.len)
        return "text is required";
    if (t->text.len > 4000 || !fw_utf8_valid(t->text.p, t->text.len))
        return "text must be valid UTF-8 of at most 280 characters";
    if (!j_time(o, "created_at", &t->created_at_ms))
        return "created_at must look like 2020-01-01T00:00:00.000Z";
    if (!j_str(o, "lang", &t->lang) || !j_str(o, "source", &t->source) ||
        !j_str(o, "reply_settings", &t->reply_settings) || t->lang.len > 16 || t->source.len > 200)
        return "lang, source and reply_settings must be short strings";
    if (!t->reply_settings.len)
        t->reply_settings = FW_STR_LIT("everyone");
    if (!j_bool(o, "possibly_sensitive", &t->possibly_sensitive) || !j_id(o, "conversation_id", &t->conversation_id))
        return "possibly_sensitive must be true or false, conversation_id a decimal string";
    if ((pm && !json_is_object(pm)) || !j_count(pm, "retweet_count", &t->retweet_count) ||
        !j_count(pm, "reply_count", &t->reply_count) || !j_count(pm, "like_count", &t->like_count) ||
        !j_count(pm, "quote_count", &t->quote_count) || !j_count(pm, "bookmark_count", &t->bookmark_count) ||
        !j_count(pm, "impression_count", &t->impression_count))
        return "public_metrics counts must be non-negative integers";
    return NULL;
}

static int import_tweets(importer *imp, const char *path)
{
    lines l;
    if (lines_open(&l, path))
        return -1;
    int ret = 0;
    while (!ret && lines_next(&l)) {
        if (!l.len)
            continue;
        json_t *o = j_line(&l);
        if (!o) {
            ret = -1;
            break;
        }
        fw_tweet t;
        const char *why = parse_tweet(o, &t);
        int rc = why ? FW_OK : fw_store_import_tweet(imp->im, &t);
        imp->ntweets++;
        if (why || rc) {
            bad(&l, why                  ? why
                    : rc == FW_ENOTFOUND ? "author_id is not among the imported users"
                    : rc == FW_EEXISTS   ? "this tweet id was given earlier"
                                         : fw_strerror(rc),
                NULL);
            ret = -1;
        }
        json_decref(o);
    }
    lines_close(&l);
    return ret;
}

/* ---- CSV edges ---- */

/* Splits "a,b[,c]" in place; returns the number of fields (or 0 if more than 3). */
static int split(char *s, char *f[3])
{
    int n = 0;
    f[n++] = s;
    for (char *p = s; *p; p++)
        if (*p == ',') {
            if (n == 3)
                return 0;
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

static const char *edge_error(int rc, uint8_t rel)
{
    switch (rc) {
    case FW_ENOTFOUND: return "source_id is not among the imported users";
    case FW_ETARGET: return "target_id is not among the imported users";
    case FW_EINVAL: return rel == FW_REL_PENDING ? "a follow request must go to a protected account, not to itself"
                                                 : "a user cannot follow itself";
    default: return fw_strerror(rc);
    }
}

static int import_edges(importer *imp, const char *path, uint8_t rel)
{
    lines l;
    if (lines_open(&l, path))
        return -1;
    int ret = 0;
    uint64_t n = 0;
    const char *phase = rel == FW_REL_PENDING ? "requests" : "follows";
    while (!ret && lines_next(&l)) {
        if (!l.len || (l.lineno == 1 && !strncmp(l.buf, "source_id", 9)))
            continue; /* blank lines and a header line */
        char *f[3];
        int nf = split(l.buf, f);
        uint64_t src, dst;
        int64_t t = 0;
        if (nf < 2 || fw_str_to_id(fw_str_c(f[0]), &src) || fw_str_to_id(fw_str_c(f[1]), &dst)) {
            bad(&l, "expected source_id,target_id[,created_at] with decimal ids", NULL);
            ret = -1;
        } else if (nf == 3 && *f[2] && fw_iso8601_parse(f[2], strlen(f[2]), &t)) {
            bad(&l, "created_at must look like 2020-01-01T00:00:00.000Z", f[2]);
            ret = -1;
        } else {
            int rc = fw_store_import_edge(imp->im, rel, src, dst, t);
            if (rc) {
                bad(&l, edge_error(rc, rel), NULL);
                ret = -1;
            }
            n++;
        }
        if ((n & 0xFFFFF) == 0)
            fw_cli_progress_update(&imp->prog, phase, l.bytes, l.size, "bytes");
    }
    if (!ret)
        fw_cli_progress_update(&imp->prog, phase, l.size, l.size, "bytes");
    if (rel == FW_REL_FOLLOWING)
        imp->follows_edges = n;
    else
        imp->nrequests = n;
    lines_close(&l);
    return ret;
}

/* Reports the duplicate edge number idx (0-based, in the order added) by finding its line again. */
static void report_dup(const importer *imp, const char *follows, const char *requests, uint64_t idx)
{
    const char *path = follows;
    if (!follows || idx >= imp->follows_edges) {
        path = requests;
        idx -= follows ? imp->follows_edges : 0;
    }
    lines l;
    if (!path || lines_open(&l, path))
        return;
    uint64_t n = 0;
    while (lines_next(&l)) {
        if (!l.len || (l.lineno == 1 && !strncmp(l.buf, "source_id", 9)))
            continue;
        if (n++ == idx) {
            bad(&l, "a second follow or request for the same pair (source_id, target_id)", NULL);
            break;
        }
    }
    lines_close(&l);
}

static void commit_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
    importer *imp = ctx;
    fw_cli_progress_update(&imp->prog, phase, done, total, "items");
}

int fw_cli_import(int argc, char **argv)
{
    fw_cli_graph_files g;
    int st = fw_cli_graph_args(argc, argv, "import", import_usage, true, &g);
    if (st >= 0)
        return st;
    const char *db = g.db, *users = g.users, *tweets = g.tweets, *follows = g.follows, *requests = g.requests;
    fw_store_opts so = {.path = db, .map_size = g.max_size, .bulk = true};
    fw_store *s = NULL;
    int rc = fw_store_open(&so, &s);
    if (rc) {
        fw_cli_err("cannot open database %s: %s", db, fw_strerror(rc));
        return 1;
    }
    importer imp = {0};
    fw_cli_progress_init(&imp.prog, "import");
    if ((rc = fw_store_import_begin(s, &imp.im))) {
        fw_cli_err("%s", rc == FW_EEXISTS    ? "the database is not empty: import loads into a new database only"
                         : rc == FW_ENOTSUP ? "bulk import is not available on this store backend yet (LMDB only)"
                                            : fw_strerror(rc));
        fw_store_close(s);
        return 1;
    }
    int ret = 0;
    if ((users && import_users(&imp, users)) || (tweets && import_tweets(&imp, tweets)) ||
        (follows && import_edges(&imp, follows, FW_REL_FOLLOWING)) ||
        (requests && import_edges(&imp, requests, FW_REL_PENDING))) {
        fw_store_import_abort(imp.im);
        ret = 1;
    } else {
        uint64_t dup;
        rc = fw_store_import_commit(imp.im, commit_progress, &imp, &dup);
        if (rc == FW_EEXISTS && dup != UINT64_MAX)
            report_dup(&imp, follows, requests, dup);
        else if (rc)
            fw_cli_err("import failed: %s", rc == FW_EEXISTS ? "the database was written to during the import"
                                                             : fw_strerror(rc));
        ret = rc ? 1 : 0;
    }
    if (ret)
        fw_cli_err("nothing was imported");
    else {
        char msg[160];
        snprintf(msg, sizeof(msg), "imported %llu users, %llu tweets, %llu follows, %llu requests",
                 (unsigned long long)imp.nusers, (unsigned long long)imp.ntweets,
                 (unsigned long long)imp.follows_edges, (unsigned long long)imp.nrequests);
        fw_cli_progress_done(&imp.prog, msg);
    }
    fw_store_close(s);
    return ret;
}
