/* followd import: loads users (JSON lines, X's v2 user shape), tweets (JSON
 * lines, v2 tweet shape) and the follow graph (CSV) into an empty database in
 * one all-or-nothing transaction (store.h, "Bulk import"). Every bad line is
 * reported as FILE:LINE: reason, and then nothing is imported. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/linechunks.h"
#include "cli/userjson.h"
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

/* ---- reading lines (only to find a duplicate edge's line again) ---- */

typedef struct lines {
    const char *path;
    FILE *f;
    char *buf;
    size_t cap;
    size_t len;
    uint64_t lineno;
} lines;

static int lines_open(lines *l, const char *path)
{
    memset(l, 0, sizeof(*l));
    l->path = path;
    if (!(l->f = fopen(path, "r"))) {
        fw_cli_err("cannot open %s: %m", path);
        return -1;
    }
    return 0;
}

/* Next line without its line ending; false at the end. */
static bool lines_next(lines *l)
{
    ssize_t n = getline(&l->buf, &l->cap, l->f);
    if (n < 0)
        return false;
    l->lineno++;
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

static void bad_at(const char *path, uint64_t lineno, const char *why, const char *detail)
{
    fw_cli_err("%s:%llu: %s%s%s", path, (unsigned long long)lineno, why, detail ? ": " : "", detail ? detail : "");
}

/* What a worker found wrong in a chunk: the first bad line (relative to the
 * chunk, 0 = none) and why; detail is malloc'ed or NULL. */
typedef struct chunk_err {
    uint64_t line;
    const char *why;
    char *detail;
} chunk_err;

static void chunk_err_set(chunk_err *e, uint64_t line, const char *why, const char *detail, size_t dlen)
{
    e->line = line;
    e->why = why;
    e->detail = detail ? strndup(detail, dlen) : NULL;
}

/* ---- JSON fields ---- */

/* Member key of o (which may be NULL), typed for the userjson.h getters. */
static fw_uj_val jv(json_t *o, const char *key)
{
    return fw_uj_json_val(o ? json_object_get(o, key) : NULL);
}

static const char *user_error(int rc)
{
    switch (rc) {
    case FW_EEXISTS: return "this id or username (case-insensitively) was given earlier";
    case FW_EINVAL: return "username must match ^[A-Za-z0-9_]{1,15}$";
    default: return fw_strerror(rc);
    }
}

static const char *parse_tweet(json_t *o, fw_tweet *t)
{
    memset(t, 0, sizeof(*t));
    json_t *pm = json_object_get(o, "public_metrics");
    if (!fw_uj_id(jv(o, "id"), &t->id) || !t->id)
        return "id must be a decimal string";
    if (!fw_uj_id(jv(o, "author_id"), &t->author_id) || !t->author_id)
        return "author_id must be a decimal string";
    if (!fw_uj_str(jv(o, "text"), &t->text) || !t->text.len)
        return "text is required";
    if (t->text.len > 4000 || !fw_utf8_valid(t->text.p, t->text.len))
        return "text must be valid UTF-8 of at most 280 characters";
    if (!fw_uj_time(jv(o, "created_at"), &t->created_at_ms))
        return "created_at must look like 2020-01-01T00:00:00.000Z";
    if (!fw_uj_str(jv(o, "lang"), &t->lang) || !fw_uj_str(jv(o, "source"), &t->source) ||
        !fw_uj_str(jv(o, "reply_settings"), &t->reply_settings) || t->lang.len > 16 || t->source.len > 200)
        return "lang, source and reply_settings must be short strings";
    if (!t->reply_settings.len)
        t->reply_settings = FW_STR_LIT("everyone");
    if (!fw_uj_bool(jv(o, "possibly_sensitive"), &t->possibly_sensitive) ||
        !fw_uj_id(jv(o, "conversation_id"), &t->conversation_id))
        return "possibly_sensitive must be true or false, conversation_id a decimal string";
    if ((pm && !json_is_object(pm)) || !fw_uj_count(jv(pm, "retweet_count"), &t->retweet_count) ||
        !fw_uj_count(jv(pm, "reply_count"), &t->reply_count) || !fw_uj_count(jv(pm, "like_count"), &t->like_count) ||
        !fw_uj_count(jv(pm, "quote_count"), &t->quote_count) ||
        !fw_uj_count(jv(pm, "bookmark_count"), &t->bookmark_count) ||
        !fw_uj_count(jv(pm, "impression_count"), &t->impression_count))
        return "public_metrics counts must be non-negative integers";
    return NULL;
}

/* ---- JSON lines on worker threads ---- */

/* One parsed line: its fields, borrowing the chunk's text and arena, or the
 * jansson object when the fast parser left the line to jansson. */
typedef struct jitem {
    json_t *o;
    union {
        fw_user u;
        fw_tweet t;
    };
    uint64_t line; /* in the chunk, from 1 */
} jitem;

typedef struct jchunk {
    jitem *items;
    size_t n;
    chunk_err err;
    fw_arena arena; /* decoded strings, withheld lists, entities */
    fw_buf ent;     /* the entities of the line being parsed */
} jchunk;

typedef struct jfile {
    importer *imp;
    const char *path;
    bool tweets; /* else users */
} jfile;

/* The user's checks on m, keeping its entities in the chunk's arena. */
static const char *user_fields(jchunk *jc, const fw_uj_user *m, fw_user *u)
{
    fw_buf_reset(&jc->ent);
    const char *why = fw_uj_user_fields(m, u, &jc->ent);
    if (why)
        return why;
    char *e = fw_arena_dup(&jc->arena, jc->ent.data, jc->ent.len);
    u->entities_json = (fw_str){e, jc->ent.len};
    return e ? NULL : "out of memory";
}

/* A user line the fast parser knows and finds good; anything else (even a
 * line it finds bad) is jansson's to judge, so every message stays jansson's. */
static bool fast_user(jchunk *jc, jitem *it, const char *line, size_t len)
{
    fw_uj_user m;
    return fw_uj_parse_fast(line, len, &m, &jc->arena) == 0 && !user_fields(jc, &m, &it->u);
}

static const char *json_user(jchunk *jc, jitem *it)
{
    fw_uj_user m;
    return fw_uj_from_json(it->o, &m, &jc->arena) ? "out of memory" : user_fields(jc, &m, &it->u);
}

static void json_parse(void *ctx, fw_chunk *c)
{
    const jfile *jf = ctx;
    jchunk *jc = calloc(1, sizeof(*jc));
    c->out = jc;
    if (!jc)
        return;
    size_t cap = 0;
    const char *pos = c->p, *line;
    size_t len;
    uint64_t ln = 0;
    while (fw_chunk_line(c, &pos, &line, &len, &ln)) {
        if (!len)
            continue;
        if (jc->n == cap && fw_array_grow((void **)&jc->items, &cap, jc->n + 1, sizeof(*jc->items))) {
            chunk_err_set(&jc->err, ln, "out of memory", NULL, 0);
            return;
        }
        jitem *it = &jc->items[jc->n];
        *it = (jitem){.line = ln};
        if (!jf->tweets && fast_user(jc, it, line, len)) {
            jc->n++;
            continue;
        }
        json_error_t e;
        if (!(it->o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &e))) {
            chunk_err_set(&jc->err, ln, "not JSON", e.text, sizeof(e.text));
            return;
        }
        jc->n++; /* from here on the item is freed with the chunk */
        const char *why = !json_is_object(it->o) ? "not a JSON object"
                          : jf->tweets           ? parse_tweet(it->o, &it->t)
                                                 : json_user(jc, it);
        if (why) {
            jc->n--;
            json_decref(it->o);
            chunk_err_set(&jc->err, ln, why, NULL, 0);
            return;
        }
    }
}

static const char *tweet_error(int rc)
{
    return rc == FW_ENOTFOUND ? "author_id is not among the imported users"
         : rc == FW_EEXISTS   ? "this tweet id was given earlier"
                              : fw_strerror(rc);
}

/* Adds the chunk's items in file order; the chunk's own error comes after them. */
static int json_consume(void *ctx, fw_chunk *c)
{
    jfile *jf = ctx;
    importer *imp = jf->imp;
    jchunk *jc = c->out;
    if (!jc) {
        bad_at(jf->path, c->first_line, "out of memory", NULL);
        return -1;
    }
    for (size_t i = 0; i < jc->n; i++) {
        jitem *it = &jc->items[i];
        int rc = jf->tweets ? fw_store_import_tweet(imp->im, &it->t) : fw_store_import_user(imp->im, &it->u);
        ++*(jf->tweets ? &imp->ntweets : &imp->nusers);
        if (rc) {
            bad_at(jf->path, c->first_line + it->line - 1, jf->tweets ? tweet_error(rc) : user_error(rc), NULL);
            return -1;
        }
    }
    if (jc->err.line) {
        bad_at(jf->path, c->first_line + jc->err.line - 1, jc->err.why, jc->err.detail);
        return -1;
    }
    if (!jf->tweets && c->end_off < c->file_size) /* the last line comes from import_json */
        fw_cli_progress_update(&imp->prog, "users", c->end_off, c->file_size, "bytes");
    return 0;
}

static void json_done(void *ctx, fw_chunk *c)
{
    (void)ctx;
    jchunk *jc = c->out;
    if (!jc)
        return;
    for (size_t i = 0; i < jc->n; i++)
        json_decref(jc->items[i].o);
    free(jc->items);
    free(jc->err.detail);
    fw_arena_free(&jc->arena);
    fw_buf_free(&jc->ent);
    free(jc);
    c->out = NULL;
}

static const fw_chunk_ops json_ops = {json_parse, json_consume, json_done};

/* Users' JSON is parsed far slower than it is added: small chunks keep the
 * parsed objects waiting for the consumer few. */
#define JSON_CHUNK (1u << 20)

static int import_json(importer *imp, const char *path, bool tweets)
{
    jfile jf = {imp, path, tweets};
    uint64_t size;
    int rc = fw_chunks_run(path, JSON_CHUNK, &json_ops, &jf, &size);
    if (!rc && !tweets)
        fw_cli_progress_update(&imp->prog, "users", size, size, "bytes");
    return rc ? -1 : 0;
}

/* ---- CSV edges ---- */

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

/* A chunk's edges: the ids parsed, the users they name (resolved on the
 * worker, where the hash lookups' cache misses run on both cores), times. */
typedef struct echunk {
    uint64_t *ids;  /* source, target pairs */
    uint32_t *refs; /* likewise */
    int64_t *t;
    size_t n;
    chunk_err err;
} echunk;

typedef struct efile {
    importer *imp;
    const char *path;
    uint8_t rel;
    uint64_t n; /* edges added */
} efile;

/* A decimal id of 1 to 19 digits (so no overflow) at *p, which moves past it. */
static bool csv_id(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p, *q = s;
    uint64_t v = 0;
    while (q < end && (unsigned)(*q - '0') < 10)
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (q == s || q - s > 19)
        return false;
    *p = q;
    *out = v;
    return true;
}

static const char csv_shape[] = "expected source_id,target_id[,created_at] with decimal ids";

/* "source_id,target_id[,created_at]" into ids and *t; NULL or why not (*tf: the bad time). */
static const char *csv_edge(const char *p, size_t len, uint64_t ids[2], int64_t *t, const char **tf, size_t *tlen)
{
    const char *end = p + len;
    *t = 0;
    if (!csv_id(&p, end, &ids[0]) || p == end || *p++ != ',' || !csv_id(&p, end, &ids[1]))
        return csv_shape;
    if (p == end)
        return NULL;
    if (*p++ != ',' || memchr(p, ',', (size_t)(end - p)))
        return csv_shape;
    if (p < end && fw_iso8601_parse(p, (size_t)(end - p), t)) {
        *tf = p;
        *tlen = (size_t)(end - p);
        return "created_at must look like 2020-01-01T00:00:00.000Z";
    }
    return NULL;
}

/* Blank lines and the first chunk's header line hold no edge. */
static bool csv_skip(const fw_chunk *c, uint64_t ln, const char *line, size_t len)
{
    return !len || (c->index == 0 && ln == 1 && len >= 9 && !memcmp(line, "source_id", 9));
}

/* The line (in the chunk, from 1) of the chunk's edge number k (from 0). */
static uint64_t csv_edge_line(const fw_chunk *c, size_t k)
{
    const char *pos = c->p, *line;
    size_t len;
    uint64_t ln = 0;
    while (fw_chunk_line(c, &pos, &line, &len, &ln))
        if (!csv_skip(c, ln, line, len) && k-- == 0)
            break;
    return ln;
}

static void csv_parse(void *ctx, fw_chunk *c)
{
    const efile *ef = ctx;
    echunk *ec = calloc(1, sizeof(*ec));
    c->out = ec;
    if (!ec)
        return;
    /* About 40 bytes a line: one allocation for most chunks. */
    size_t tcap = (size_t)(c->end - c->p) / 32 + 16, icap = 2 * tcap;
    if (!(ec->ids = malloc(icap * sizeof(*ec->ids))) || !(ec->t = malloc(tcap * sizeof(*ec->t)))) {
        chunk_err_set(&ec->err, 1, "out of memory", NULL, 0);
        return;
    }
    const char *pos = c->p, *line;
    size_t len;
    uint64_t ln = 0;
    while (fw_chunk_line(c, &pos, &line, &len, &ln)) {
        if (csv_skip(c, ln, line, len))
            continue;
        if (ec->n == tcap && (fw_array_grow((void **)&ec->ids, &icap, 2 * (ec->n + 1), sizeof(*ec->ids)) ||
                              fw_array_grow((void **)&ec->t, &tcap, ec->n + 1, sizeof(*ec->t)))) {
            chunk_err_set(&ec->err, ln, "out of memory", NULL, 0);
            break;
        }
        const char *tf = NULL;
        size_t tlen = 0;
        const char *why = csv_edge(line, len, &ec->ids[2 * ec->n], &ec->t[ec->n], &tf, &tlen);
        if (why) {
            chunk_err_set(&ec->err, ln, why, tf, tlen);
            break;
        }
        ec->n++;
    }
    /* The edges before a bad line are added (and may be reported) first. */
    if (!(ec->refs = malloc((ec->n ? ec->n : 1) * 2 * sizeof(*ec->refs)))) {
        ec->n = 0;
        chunk_err_set(&ec->err, 1, "out of memory", NULL, 0);
        return;
    }
    fw_store_import_refs(ef->imp->im, ec->ids, ec->refs, 2 * ec->n);
}

static int csv_consume(void *ctx, fw_chunk *c)
{
    efile *ef = ctx;
    echunk *ec = c->out;
    if (!ec) {
        bad_at(ef->path, c->first_line, "out of memory", NULL);
        return -1;
    }
    size_t added;
    int rc = fw_store_import_edges(ef->imp->im, ef->rel, ec->ids, ec->refs, ec->t, ec->n, &added);
    ef->n += added;
    if (rc) {
        bad_at(ef->path, c->first_line + csv_edge_line(c, added) - 1, edge_error(rc, ef->rel), NULL);
        return -1;
    }
    if (ec->err.line) {
        bad_at(ef->path, c->first_line + ec->err.line - 1, ec->err.why, ec->err.detail);
        return -1;
    }
    if (c->end_off < c->file_size) /* the last line comes from import_edges */
        fw_cli_progress_update(&ef->imp->prog, ef->rel == FW_REL_PENDING ? "requests" : "follows", c->end_off,
                               c->file_size, "bytes");
    return 0;
}

static void csv_done(void *ctx, fw_chunk *c)
{
    (void)ctx;
    echunk *ec = c->out;
    if (ec) {
        free(ec->ids);
        free(ec->refs);
        free(ec->t);
        free(ec->err.detail);
        free(ec);
    }
    c->out = NULL;
}

static const fw_chunk_ops csv_ops = {csv_parse, csv_consume, csv_done};

static int import_edges(importer *imp, const char *path, uint8_t rel)
{
    efile ef = {imp, path, rel, 0};
    uint64_t size;
    fw_store_import_close_users(imp->im); /* the workers resolve ids from here on */
    int rc = fw_chunks_run(path, 0, &csv_ops, &ef, &size);
    if (!rc)
        fw_cli_progress_update(&imp->prog, rel == FW_REL_PENDING ? "requests" : "follows", size, size, "bytes");
    if (rel == FW_REL_FOLLOWING)
        imp->follows_edges = ef.n;
    else
        imp->nrequests = ef.n;
    return rc ? -1 : 0;
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
            bad_at(path, l.lineno, "a second follow or request for the same pair (source_id, target_id)", NULL);
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
                         : rc == FW_ENOTSUP ? "bulk import is not available on this store backend"
                                            : fw_strerror(rc));
        fw_store_close(s);
        return 1;
    }
    int ret = 0;
    if ((users && import_json(&imp, users, false)) || (tweets && import_json(&imp, tweets, true)) ||
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
