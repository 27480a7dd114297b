/* Record encodings of the LMDB store: tweets, apps and credentials are a
 * fixed little-endian header of numbers followed by a table of string lengths
 * and the string bytes; users (the most numerous) are varints and
 * length-prefixed strings (below). Unpacking never copies: the fw_str fields
 * point into the LMDB value, and every length is checked against the value
 * size so a damaged record is an error, not a read past the end
 * (tests/fuzz/fuzz_user_record.c). */
#include "store/lmdb_internal.h"


#define REC_VERSION 2

/* Writes n length words then the bytes; returns bytes written. */
static size_t pack_strs(uint8_t *out, const fw_str *v, int n)
{
    uint8_t *p = out;
    for (int i = 0; i < n; i++, p += 4)
        le32_put(p, (uint32_t)v[i].len);
    for (int i = 0; i < n; i++) {
        if (v[i].len)
            memcpy(p, v[i].p, v[i].len);
        p += v[i].len;
    }
    return (size_t)(p - out);
}

static size_t strs_size(const fw_str *v, int n)
{
    size_t t = (size_t)n * 4;
    for (int i = 0; i < n; i++)
        t += v[i].len;
    return t;
}

/* Reads the string table at p (avail bytes); FW_EIO if it does not fit exactly. */
static int unpack_strs(const uint8_t *p, size_t avail, fw_str *v, int n)
{
    if (avail < (size_t)n * 4)
        return FW_EIO;
    const uint8_t *s = p + (size_t)n * 4;
    size_t left = avail - (size_t)n * 4;
    for (int i = 0; i < n; i++) {
        size_t l = le32_get(p + (size_t)i * 4);
        if (l > left)
            return FW_EIO;
        v[i].p = l ? (const char *)s : "";
        v[i].len = l;
        s += l;
        left -= l;
    }
    return left == 0 ? FW_OK : FW_EIO;
}

/* ---- users (schema 3) ----
 * The record is the value of the ordinal-keyed users table, so it carries
 * the id, at a fixed offset so fw_lmdb_ord_id reads it without decoding:
 *   u8 USER_REC_VERSION, le64 id,
 *   varints: most_recent_tweet_id, followers, following, tweets (the counters
 *            the store rewrites, first so a rewrite copies the rest as is),
 *            flags, then u8 verified_type, varints created_at_ms (zigzag),
 *            pinned_tweet_id, listed, like,
 *   u8 USER_IN_HEAD or 0,
 *   9 strings, each a varint length and the bytes: username, name,
 *   description, location, url, profile_image_url, withheld, entities and the
 *   derived default-fields JSON ("head"). With USER_IN_HEAD the username's
 *   and name's bytes are not stored: the head holds them verbatim (no JSON
 *   escaping was needed), so they point into it.
 * Numbers are varints because they are small (counters, flags) or zero
 * (pinned, listed) for most users: 8-byte words were 63 of the 116 fixed bytes. */
#define USER_REC_VERSION 3
#define USER_NSTR 8  /* profile strings a caller sets */
#define USER_NSTORED 9 /* ... plus the derived default-fields JSON */
#define USER_IN_HEAD 1u
/* The head is {"id":"<id>","name":"<name>","username":"<username>" */
#define HEAD_NAME_TO_USERNAME 14 /* ","username":" */
#define HEAD_MIN 32              /* its bytes besides the id's digits, name and username */

/* A LEB128 varint at p (when p is not NULL); returns its size. */
static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t b = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (p)
            p[n] = (uint8_t)(b | (v ? 0x80 : 0));
        n++;
    } while (v);
    return n;
}

/* Reads a varint at *p (before end) and advances *p; false if it runs past
 * end or does not fit 64 bits. */
static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        if (shift == 63 && b > 1)
            return false;
        r |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static void user_strs(const fw_user *u, fw_str v[USER_NSTR])
{
    v[0] = u->username, v[1] = u->name, v[2] = u->description, v[3] = u->location;
    v[4] = u->url, v[5] = u->profile_image_url, v[6] = u->withheld_countries, v[7] = u->entities_json;
}

/* Does the head hold username and name verbatim where unpack looks for them? */
static bool in_head(fw_str head, fw_str username, fw_str name)
{
    if (head.len < HEAD_MIN + username.len + name.len)
        return false;
    const char *un = head.p + head.len - 1 - username.len, *nm = un - HEAD_NAME_TO_USERNAME - name.len;
    return (!username.len || !memcmp(un, username.p, username.len)) && (!name.len || !memcmp(nm, name.p, name.len));
}

static size_t put_counts(uint8_t *p, const fw_lmdb_counts *c)
{
    size_t n = put_varint(p, c->most_recent);
    n += put_varint(p ? p + n : NULL, c->followers);
    n += put_varint(p ? p + n : NULL, c->following);
    return n + put_varint(p ? p + n : NULL, c->tweets);
}

/* Encodes u into out, or only measures when out is NULL; returns the size. */
static size_t user_encode(const fw_user *u, uint8_t *out)
{
    fw_str v[USER_NSTORED];
    fw_buf head = FW_BUF_INIT;
    user_strs(u, v);
    fw_rec_user_head(u, &head);
    v[USER_NSTR] = (fw_str){head.data, head.len};
    bool elide = in_head(v[USER_NSTR], u->username, u->name);
    size_t n = 9;
    if (out) {
        out[0] = USER_REC_VERSION;
        le64_put(out + 1, u->id);
    }
#define AT (out ? out + n : NULL)
    fw_lmdb_counts c = {u->most_recent_tweet_id, u->followers_count, u->following_count, u->tweet_count};
    n += put_counts(AT, &c);
    n += put_varint(AT, u->flags);
    if (out)
        out[n] = u->verified_type;
    n++;
    n += put_varint(AT, zigzag(u->created_at_ms));
    n += put_varint(AT, u->pinned_tweet_id);
    n += put_varint(AT, u->listed_count);
    n += put_varint(AT, u->like_count);
    if (out)
        out[n] = elide ? USER_IN_HEAD : 0;
    n++;
    for (int i = 0; i < USER_NSTORED; i++) {
        n += put_varint(AT, v[i].len);
        if (elide && i < 2)
            continue;
        if (out && v[i].len)
            memcpy(out + n, v[i].p, v[i].len);
        n += v[i].len;
    }
#undef AT
    fw_buf_free(&head);
    return n;
}

size_t fw_lmdb_user_size(const fw_user *u) { return user_encode(u, NULL); }

void fw_lmdb_user_pack(const fw_user *u, uint8_t *out) { user_encode(u, out); }

/* The counters of a record and where they end; false if they do not decode. */
static bool get_counts(const uint8_t *p, size_t n, fw_lmdb_counts *c, const uint8_t **after)
{
    const uint8_t *q = p + 9, *end = p + n;
    if (n < 9 || p[0] != USER_REC_VERSION)
        return false;
    bool ok = get_varint(&q, end, &c->most_recent) && get_varint(&q, end, &c->followers) &&
              get_varint(&q, end, &c->following) && get_varint(&q, end, &c->tweets);
    *after = q;
    return ok;
}

int fw_lmdb_user_counts(const void *rec, size_t n, fw_lmdb_counts *c)
{
    const uint8_t *after;
    return get_counts(rec, n, c, &after) ? FW_OK : FW_EIO;
}

size_t fw_lmdb_user_recount(const void *rec, size_t n, const fw_lmdb_counts *c, uint8_t *out)
{
    fw_lmdb_counts old;
    const uint8_t *p = rec, *after;
    if (!get_counts(p, n, &old, &after))
        return 0;
    memcpy(out, p, 9);
    size_t m = 9 + put_counts(out + 9, c), rest = n - (size_t)(after - p);
    memcpy(out + m, after, rest);
    return m + rest;
}

int fw_lmdb_user_id_of(const void *rec, size_t n, uint64_t *id)
{
    const uint8_t *p = rec;
    if (n < 9 || p[0] != USER_REC_VERSION)
        return FW_EIO;
    *id = le64_get(p + 1);
    return FW_OK;
}

int fw_lmdb_user_unpack(const void *data, size_t n, fw_user *u)
{
    const uint8_t *p = data, *q, *end = p + n;
    fw_lmdb_counts c;
    uint64_t flags, created, x[3];
    if (!get_counts(p, n, &c, &q) || !get_varint(&q, end, &flags) || flags > UINT32_MAX || q >= end)
        return FW_EIO;
    u->id = le64_get(p + 1);
    u->most_recent_tweet_id = c.most_recent, u->followers_count = c.followers;
    u->following_count = c.following, u->tweet_count = c.tweets;
    u->flags = (uint32_t)flags;
    u->verified_type = *q++;
    if (!get_varint(&q, end, &created) || !get_varint(&q, end, &x[0]) || !get_varint(&q, end, &x[1]) ||
        !get_varint(&q, end, &x[2]) || q >= end)
        return FW_EIO;
    u->created_at_ms = unzigzag(created);
    u->pinned_tweet_id = x[0], u->listed_count = x[1], u->like_count = x[2];
    bool elided = *q++ == USER_IN_HEAD;
    fw_str v[USER_NSTORED];
    for (int i = 0; i < USER_NSTORED; i++) {
        uint64_t l;
        if (!get_varint(&q, end, &l))
            return FW_EIO;
        v[i].len = (size_t)l;
        v[i].p = "";
        if (elided && i < 2)
            continue;
        if (l > (uint64_t)(end - q))
            return FW_EIO;
        if (l)
            v[i].p = (const char *)q;
        q += l;
    }
    if (q != end)
        return FW_EIO;
    if (elided) { /* point into the head, checked to hold both */
        fw_str h = v[USER_NSTR];
        if (v[0].len > h.len || v[1].len > h.len || h.len < HEAD_MIN + v[0].len + v[1].len)
            return FW_EIO;
        if (v[0].len)
            v[0].p = h.p + h.len - 1 - v[0].len;
        if (v[1].len)
            v[1].p = h.p + h.len - 1 - v[0].len - HEAD_NAME_TO_USERNAME - v[1].len;
    }
    u->username = v[0], u->name = v[1], u->description = v[2], u->location = v[3];
    u->url = v[4], u->profile_image_url = v[5], u->withheld_countries = v[6], u->entities_json = v[7];
    u->default_json = v[8];
    return FW_OK;
}

/* Schema 2's record (lmdb_upgrade.c reads it once, converting): an 80-byte
 * header of version 2, flags, the id, eight 8-byte numbers, then the 9
 * strings' 4-byte lengths and bytes. */
#define USER_V2_HDR 80

int fw_lmdb_user_unpack_v2(const void *data, size_t n, fw_user *u)
{
    const uint8_t *p = data;
    if (n < USER_V2_HDR || p[0] != REC_VERSION)
        return FW_EIO;
    u->verified_type = p[1];
    u->flags = le32_get(p + 4);
    u->id = le64_get(p + 8);
    u->created_at_ms = (int64_t)le64_get(p + 16);
    u->pinned_tweet_id = le64_get(p + 24);
    u->most_recent_tweet_id = le64_get(p + 32);
    u->followers_count = le64_get(p + 40);
    u->following_count = le64_get(p + 48);
    u->tweet_count = le64_get(p + 56);
    u->listed_count = le64_get(p + 64);
    u->like_count = le64_get(p + 72);
    fw_str v[USER_NSTORED];
    if (unpack_strs(p + USER_V2_HDR, n - USER_V2_HDR, v, USER_NSTORED) < 0)
        return FW_EIO;
    u->username = v[0], u->name = v[1], u->description = v[2], u->location = v[3];
    u->url = v[4], u->profile_image_url = v[5], u->withheld_countries = v[6], u->entities_json = v[7];
    u->default_json = v[8];
    return FW_OK;
}

/* ---- tweets ---- */
#define TWEET_HDR 88
#define TWEET_NSTR 5

static void tweet_strs(const fw_tweet *t, fw_str v[TWEET_NSTR])
{
    v[0] = t->text, v[1] = t->lang, v[2] = t->source, v[3] = t->reply_settings, v[4] = t->entities_json;
}

size_t fw_lmdb_tweet_size(const fw_tweet *t)
{
    fw_str v[TWEET_NSTR];
    tweet_strs(t, v);
    return TWEET_HDR + strs_size(v, TWEET_NSTR);
}

void fw_lmdb_tweet_pack(const fw_tweet *t, uint8_t *out)
{
    memset(out, 0, TWEET_HDR);
    out[0] = REC_VERSION;
    out[1] = t->possibly_sensitive ? 1 : 0;
    le64_put(out + 8, t->id);
    le64_put(out + 16, t->author_id);
    le64_put(out + 24, t->conversation_id);
    le64_put(out + 32, (uint64_t)t->created_at_ms);
    le64_put(out + 40, t->retweet_count);
    le64_put(out + 48, t->reply_count);
    le64_put(out + 56, t->like_count);
    le64_put(out + 64, t->quote_count);
    le64_put(out + 72, t->bookmark_count);
    le64_put(out + 80, t->impression_count);
    fw_str v[TWEET_NSTR];
    tweet_strs(t, v);
    pack_strs(out + TWEET_HDR, v, TWEET_NSTR);
}

int fw_lmdb_tweet_unpack(const void *data, size_t n, fw_tweet *t)
{
    const uint8_t *p = data;
    if (n < TWEET_HDR || p[0] != REC_VERSION)
        return FW_EIO;
    t->possibly_sensitive = p[1] != 0;
    t->id = le64_get(p + 8);
    t->author_id = le64_get(p + 16);
    t->conversation_id = le64_get(p + 24);
    t->created_at_ms = (int64_t)le64_get(p + 32);
    t->retweet_count = le64_get(p + 40);
    t->reply_count = le64_get(p + 48);
    t->like_count = le64_get(p + 56);
    t->quote_count = le64_get(p + 64);
    t->bookmark_count = le64_get(p + 72);
    t->impression_count = le64_get(p + 80);
    fw_str v[TWEET_NSTR];
    if (unpack_strs(p + TWEET_HDR, n - TWEET_HDR, v, TWEET_NSTR) < 0)
        return FW_EIO;
    t->text = v[0], t->lang = v[1], t->source = v[2], t->reply_settings = v[3], t->entities_json = v[4];
    return 0;
}

/* ---- apps ---- */
#define APP_HDR 24
#define APP_NSTR 6

static void app_strs(const fw_app *a, fw_str v[APP_NSTR])
{
    v[0] = a->name, v[1] = a->consumer_key, v[2] = a->consumer_secret;
    v[3] = a->client_id, v[4] = a->client_secret, v[5] = a->redirect_uris;
}

size_t fw_lmdb_app_size(const fw_app *a)
{
    fw_str v[APP_NSTR];
    app_strs(a, v);
    return APP_HDR + strs_size(v, APP_NSTR);
}

void fw_lmdb_app_pack(const fw_app *a, uint8_t *out)
{
    memset(out, 0, APP_HDR);
    out[0] = REC_VERSION;
    out[1] = a->client_type;
    le32_put(out + 4, a->bearer_gen);
    le64_put(out + 8, a->id);
    le64_put(out + 16, a->project_id);
    fw_str v[APP_NSTR];
    app_strs(a, v);
    pack_strs(out + APP_HDR, v, APP_NSTR);
}

int fw_lmdb_app_unpack(const void *data, size_t n, fw_app *a)
{
    const uint8_t *p = data;
    if (n < APP_HDR || p[0] != REC_VERSION)
        return FW_EIO;
    a->client_type = p[1];
    a->access_level = FW_ACCESS_NONE;
    a->permission = FW_APP_PERM_READ_WRITE;
    a->bearer_gen = le32_get(p + 4);
    a->id = le64_get(p + 8);
    a->project_id = le64_get(p + 16);
    fw_str v[APP_NSTR];
    if (unpack_strs(p + APP_HDR, n - APP_HDR, v, APP_NSTR) < 0)
        return FW_EIO;
    a->name = v[0], a->consumer_key = v[1], a->consumer_secret = v[2];
    a->client_id = v[3], a->client_secret = v[4], a->redirect_uris = v[5];
    return 0;
}

/* ---- credentials ---- */
#define CRED_HDR 40

/* Records without a grant keep the original layout; a grant id is appended
 * after the string table and flagged, so older records read unchanged. */
#define CRED_HAS_GRANT 1u

size_t fw_lmdb_cred_size(const fw_cred *c) { return CRED_HDR + strs_size(&c->secret, 1) + (c->grant_id ? 8 : 0); }

void fw_lmdb_cred_pack(const fw_cred *c, uint8_t *out)
{
    memset(out, 0, CRED_HDR);
    out[0] = REC_VERSION;
    out[1] = c->kind;
    out[CRED_OFF_REVOKED] = c->revoked ? 1 : 0;
    le32_put(out + 4, c->scopes);
    le64_put(out + 8, c->app_id);
    le64_put(out + 16, c->user_id);
    le64_put(out + 24, (uint64_t)c->issued_at_ms);
    le64_put(out + 32, (uint64_t)c->expires_at_ms);
    pack_strs(out + CRED_HDR, &c->secret, 1);
    if (c->grant_id) {
        out[CRED_OFF_FLAGS] = CRED_HAS_GRANT;
        le64_put(out + CRED_HDR + strs_size(&c->secret, 1), c->grant_id);
    }
}

int fw_lmdb_cred_unpack(const void *data, size_t n, fw_cred *c)
{
    const uint8_t *p = data;
    if (n < CRED_HDR || p[0] != REC_VERSION)
        return FW_EIO;
    c->kind = p[1];
    c->revoked = p[CRED_OFF_REVOKED] != 0;
    c->scopes = le32_get(p + 4);
    c->app_id = le64_get(p + 8);
    c->user_id = le64_get(p + 16);
    c->issued_at_ms = (int64_t)le64_get(p + 24);
    c->expires_at_ms = (int64_t)le64_get(p + 32);
    c->grant_id = 0;
    size_t strs = n - CRED_HDR;
    if (p[CRED_OFF_FLAGS] & CRED_HAS_GRANT) {
        if (strs < 8)
            return FW_EIO;
        strs -= 8;
        c->grant_id = le64_get(p + CRED_HDR + strs);
    }
    return unpack_strs(p + CRED_HDR, strs, &c->secret, 1);
}

/* ---- by table: what fw_lmdb_put_rec packs ---- */

#define CODEC_ADAPTERS(name, type)                                                                                     \
    static size_t name##_size_any(const void *r) { return fw_lmdb_##name##_size((const type *)r); }                 \
    static void name##_pack_any(const void *r, uint8_t *out) { fw_lmdb_##name##_pack((const type *)r, out); }
CODEC_ADAPTERS(tweet, fw_tweet)
CODEC_ADAPTERS(app, fw_app)

static const fw_lmdb_codec CODECS[DB_COUNT] = {
    [DB_TWEETS] = {tweet_size_any, tweet_pack_any},
    [DB_APPS] = {app_size_any, app_pack_any},
};

const fw_lmdb_codec *fw_lmdb_codec_of(int db)
{
    return db >= 0 && db < DB_COUNT && CODECS[db].size ? &CODECS[db] : NULL;
}
