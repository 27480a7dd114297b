/* The PostgreSQL schema, created and upgraded by followd itself, and the
 * backend's lifecycle (open, close, secret, readiness) and ops table.
 *
 * Migrations: MIGRATIONS[v - 1] takes a database from schema v - 1 to v.
 * fw_pg_migrate runs at every open, under a transaction-scoped advisory lock
 * (so nodes starting together apply each migration once), inside one
 * transaction with the bookkeeping row in fw_schema_migrations: a migration
 * is applied completely or not at all. A database whose schema is newer than
 * this build knows is refused: this code could misread it. */
#include "store/pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"

#define ADVISORY_KEY "7466130021" /* any constant; names followd's migration lock */

/* v1: users, tweets, the relationship table with one index per list
 * direction, apps, credentials, passwords, and the graph functions. */
static const char MIGRATION_1[] =
    "CREATE TABLE fw_meta (k text PRIMARY KEY, n bigint NOT NULL DEFAULT 0, b bytea);\n"
    "CREATE SEQUENCE fw_edge_seq AS bigint MINVALUE 1;\n"
    "CREATE TABLE fw_users (\n"
    "  id bigint PRIMARY KEY,\n"
    "  uname text NOT NULL UNIQUE,\n"
    "  created_at_ms bigint NOT NULL,\n"
    "  pinned_tweet_id bigint NOT NULL DEFAULT 0,\n"
    "  most_recent_tweet_id bigint NOT NULL DEFAULT 0,\n"
    "  followers_count bigint NOT NULL DEFAULT 0,\n"
    "  following_count bigint NOT NULL DEFAULT 0,\n"
    "  tweet_count bigint NOT NULL DEFAULT 0,\n"
    "  listed_count bigint NOT NULL DEFAULT 0,\n"
    "  like_count bigint NOT NULL DEFAULT 0,\n"
    "  flags int NOT NULL DEFAULT 0,\n"
    "  verified_type smallint NOT NULL DEFAULT 0,\n"
    "  username text NOT NULL, name text NOT NULL, description text NOT NULL, location text NOT NULL,\n"
    "  url text NOT NULL, profile_image_url text NOT NULL, withheld_countries text NOT NULL,\n"
    "  entities_json text NOT NULL, default_json text NOT NULL);\n"
    "CREATE TABLE fw_tweets (\n"
    "  id bigint PRIMARY KEY, author_id bigint NOT NULL, conversation_id bigint NOT NULL, created_at_ms bigint NOT NULL,\n"
    "  retweet_count bigint NOT NULL, reply_count bigint NOT NULL, like_count bigint NOT NULL, quote_count bigint NOT NULL,\n"
    "  bookmark_count bigint NOT NULL, impression_count bigint NOT NULL, possibly_sensitive boolean NOT NULL,\n"
    "  text text NOT NULL, lang text NOT NULL, source text NOT NULL, reply_settings text NOT NULL,\n"
    "  entities_json text NOT NULL);\n"
    "-- One row per relationship src -> dst (state 1 following, 2 pending request).\n"
    "-- Each direction of a list is an index: following/outgoing of src by\n"
    "-- fw_rel_by_src, followers/incoming of dst by fw_rel_by_dst, both ordered by\n"
    "-- the edge sequence so a page is one backward index range scan (keyset).\n"
    "CREATE TABLE fw_rel (\n"
    "  src bigint NOT NULL, dst bigint NOT NULL, state smallint NOT NULL, seq bigint NOT NULL,\n"
    "  PRIMARY KEY (src, dst));\n"
    "CREATE INDEX fw_rel_by_src ON fw_rel (src, state, seq) INCLUDE (dst);\n"
    "CREATE INDEX fw_rel_by_dst ON fw_rel (dst, state, seq) INCLUDE (src);\n"
    "-- A list page filters suspended users with (flags & 4) = 0; without statistics\n"
    "-- on that expression the planner guesses 0.5% of users pass and prefers a\n"
    "-- scan of all users over the backward index scan that stops after one page.\n"
    "CREATE STATISTICS fw_users_suspended ON ((flags & 4)) FROM fw_users;\n"
    "CREATE TABLE fw_projects (id bigint PRIMARY KEY, access_level smallint NOT NULL, name text NOT NULL);\n"
    "CREATE TABLE fw_apps (\n"
    "  id bigint PRIMARY KEY, project_id bigint NOT NULL, client_type smallint NOT NULL,\n"
    "  bearer_gen bigint NOT NULL DEFAULT 0, name text NOT NULL, consumer_key text NOT NULL UNIQUE,\n"
    "  consumer_secret text NOT NULL, client_id text NOT NULL UNIQUE, client_secret text NOT NULL,\n"
    "  redirect_uris text NOT NULL);\n"
    "-- key: 'H' || sha256 of a bearer token, or 'O' || an OAuth 1.0a token.\n"
    "CREATE TABLE fw_creds (\n"
    "  key bytea PRIMARY KEY, kind smallint NOT NULL, revoked boolean NOT NULL, app_id bigint NOT NULL,\n"
    "  user_id bigint NOT NULL, scopes bigint NOT NULL, issued_at_ms bigint NOT NULL, expires_at_ms bigint NOT NULL,\n"
    "  secret text NOT NULL);\n"
    "CREATE INDEX fw_creds_by_user ON fw_creds (user_id) WHERE user_id <> 0;\n"
    "CREATE TABLE fw_passwords (user_id bigint PRIMARY KEY, rec bytea NOT NULL);\n"
    "INSERT INTO fw_meta (k, n) VALUES ('last_id', 0);\n"
    "\n"
    "-- Next snowflake-style id: (ms since the X epoch) << 22, or one more than the\n"
    "-- last id handed out (same millisecond, clock step back). One row, locked by\n"
    "-- the UPDATE, so ids are unique across processes.\n"
    "CREATE FUNCTION fw_next_id() RETURNS bigint LANGUAGE sql AS $$\n"
    "  UPDATE fw_meta SET n = GREATEST(n + 1,\n"
    "    ((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1288834974657) << 22))\n"
    "  WHERE k = 'last_id' RETURNING n $$;\n"
    "\n"
    "CREATE FUNCTION fw_bump(uid bigint, dfo int, dfi int) RETURNS void LANGUAGE sql AS $$\n"
    "  UPDATE fw_users SET followers_count = GREATEST(followers_count + dfo, 0),\n"
    "                      following_count = GREATEST(following_count + dfi, 0) WHERE id = uid $$;\n"
    "\n"
    "-- One follow-graph write (FW_W_*: 1 follow, 2 unfollow, 3 accept, 4 decline)\n"
    "-- with the semantics of store.h; rc is an fw_err. Validation happens before\n"
    "-- the first change. Both user rows are locked in id order first, so two\n"
    "-- writes touching the same users queue instead of deadlocking.\n"
    "CREATE FUNCTION fw_apply(kind int, s bigint, d bigint, OUT rc int, OUT rel int, OUT changed boolean)\n"
    "LANGUAGE plpgsql AS $$\n"
    "DECLARE sf int; df int; st int; sq bigint; f bigint; t bigint;\n"
    "BEGIN\n"
    "  rc := 0; rel := 0; changed := false;\n"
    "  IF kind < 1 OR kind > 4 THEN rc := -3; RETURN; END IF;\n"
    "  PERFORM 1 FROM fw_users WHERE id IN (s, d) ORDER BY id FOR UPDATE;\n"
    "  SELECT flags INTO sf FROM fw_users WHERE id = s;\n"
    "  IF NOT FOUND THEN rc := -1; RETURN; END IF;\n"
    "  SELECT flags INTO df FROM fw_users WHERE id = d;\n"
    "  IF NOT FOUND THEN rc := -7; RETURN; END IF;\n"
    "  IF kind = 1 AND (df & 4) <> 0 THEN rc := -6; RETURN; END IF;\n"
    "  IF s = d THEN rc := -3; RETURN; END IF;\n"
    "  f := s; t := d;\n"
    "  IF kind IN (3, 4) THEN f := d; t := s; END IF;\n"
    "  SELECT r.state, r.seq INTO st, sq FROM fw_rel r WHERE r.src = f AND r.dst = t;\n"
    "  IF NOT FOUND THEN st := 0; END IF;\n"
    "  rel := st;\n"
    "  IF kind = 1 THEN\n"
    "    IF st <> 0 THEN RETURN; END IF;\n"
    "    IF (df & 1) <> 0 THEN\n"
    "      INSERT INTO fw_rel VALUES (s, d, 2, nextval('fw_edge_seq'));\n"
    "      rel := 2;\n"
    "    ELSE\n"
    "      INSERT INTO fw_rel VALUES (s, d, 1, nextval('fw_edge_seq'));\n"
    "      PERFORM fw_bump(s, 0, 1); PERFORM fw_bump(d, 1, 0);\n"
    "      rel := 1;\n"
    "    END IF;\n"
    "  ELSIF kind = 2 THEN\n"
    "    IF st = 0 THEN RETURN; END IF;\n"
    "    DELETE FROM fw_rel WHERE src = s AND dst = d;\n"
    "    IF st = 1 THEN PERFORM fw_bump(s, 0, -1); PERFORM fw_bump(d, -1, 0); END IF;\n"
    "    rel := 0;\n"
    "  ELSIF kind = 3 THEN\n"
    "    IF st <> 2 THEN RETURN; END IF;\n"
    "    UPDATE fw_rel SET state = 1, seq = nextval('fw_edge_seq') WHERE src = f AND dst = t;\n"
    "    PERFORM fw_bump(f, 0, 1); PERFORM fw_bump(t, 1, 0);\n"
    "    rel := 1;\n"
    "  ELSE\n"
    "    IF st <> 2 THEN RETURN; END IF;\n"
    "    DELETE FROM fw_rel WHERE src = f AND dst = t;\n"
    "    rel := 0;\n"
    "  END IF;\n"
    "  changed := true;\n"
    "END $$;\n"
    "\n"
    "-- Turns every pending request to owner into a follow, oldest request first.\n"
    "CREATE FUNCTION fw_accept_all(owner bigint) RETURNS void LANGUAGE plpgsql AS $$\n"
    "DECLARE r record; cnt int := 0;\n"
    "BEGIN\n"
    "  FOR r IN SELECT src FROM fw_rel WHERE dst = owner AND state = 2 ORDER BY seq LOOP\n"
    "    UPDATE fw_rel SET state = 1, seq = nextval('fw_edge_seq') WHERE src = r.src AND dst = owner;\n"
    "    PERFORM fw_bump(r.src, 0, 1);\n"
    "    cnt := cnt + 1;\n"
    "  END LOOP;\n"
    "  IF cnt > 0 THEN PERFORM fw_bump(owner, cnt, 0); END IF;\n"
    "END $$;\n"
    "\n"
    "-- Removes every edge and request touching uid, fixing the other side's counters.\n"
    "CREATE FUNCTION fw_unlink_user(uid bigint) RETURNS void LANGUAGE sql AS $$\n"
    "  UPDATE fw_users u SET following_count = GREATEST(u.following_count - 1, 0)\n"
    "    FROM fw_rel r WHERE r.dst = uid AND r.state = 1 AND u.id = r.src AND r.src <> uid;\n"
    "  UPDATE fw_users u SET followers_count = GREATEST(u.followers_count - 1, 0)\n"
    "    FROM fw_rel r WHERE r.src = uid AND r.state = 1 AND u.id = r.dst AND r.dst <> uid;\n"
    "  DELETE FROM fw_rel WHERE src = uid OR dst = uid $$;\n"
    "\n"
    "-- Bulk follows (demo loader): pairs in array order, the first failing pair's\n"
    "-- fw_err is returned and nothing changes; repeated and existing pairs are no-ops.\n"
    "CREATE FUNCTION fw_follow_bulk(srcs bigint[], dsts bigint[]) RETURNS int LANGUAGE plpgsql AS $$\n"
    "DECLARE bad int;\n"
    "BEGIN\n"
    "  SELECT CASE WHEN su.id IS NULL THEN -1 WHEN du.id IS NULL THEN -7 WHEN (du.flags & 4) <> 0 THEN -6 ELSE -3 END\n"
    "    INTO bad\n"
    "    FROM unnest(srcs, dsts) WITH ORDINALITY AS p(s, d, o)\n"
    "    LEFT JOIN fw_users su ON su.id = p.s LEFT JOIN fw_users du ON du.id = p.d\n"
    "   WHERE su.id IS NULL OR du.id IS NULL OR (du.flags & 4) <> 0 OR p.s = p.d\n"
    "   ORDER BY p.o LIMIT 1;\n"
    "  IF bad IS NOT NULL THEN RETURN bad; END IF;\n"
    "  WITH ins AS (\n"
    "    INSERT INTO fw_rel (src, dst, state, seq)\n"
    "    SELECT q.s, q.d, q.st, nextval('fw_edge_seq') FROM (\n"
    "      SELECT f.s, f.d, CASE WHEN (u.flags & 1) <> 0 THEN 2 ELSE 1 END AS st, f.o FROM (\n"
    "        SELECT DISTINCT ON (p.s, p.d) p.s, p.d, p.o FROM unnest(srcs, dsts) WITH ORDINALITY AS p(s, d, o)\n"
    "        ORDER BY p.s, p.d, p.o) f\n"
    "      JOIN fw_users u ON u.id = f.d\n"
    "      WHERE NOT EXISTS (SELECT 1 FROM fw_rel r WHERE r.src = f.s AND r.dst = f.d)\n"
    "      ORDER BY f.o) q\n"
    "    RETURNING src, dst, state)\n"
    "  UPDATE fw_users u SET following_count = u.following_count + x.fi, followers_count = u.followers_count + x.fo\n"
    "    FROM (SELECT id, sum(fi) AS fi, sum(fo) AS fo FROM (\n"
    "            SELECT src AS id, 1 AS fi, 0 AS fo FROM ins WHERE state = 1\n"
    "            UNION ALL SELECT dst, 0, 1 FROM ins WHERE state = 1) z GROUP BY id) x\n"
    "   WHERE u.id = x.id;\n"
    "  RETURN 0;\n"
    "END $$;\n"
    "\n"
    "-- Profile update (fw_store_user_update): the row is locked first; counters\n"
    "-- and the most recent tweet stay as they stand; protected -> public accepts\n"
    "-- every pending request in the same transaction. rc: 0, -1 (no such user).\n"
    "CREATE FUNCTION fw_user_update(uid bigint, un text, cat bigint, pin bigint, tc bigint, lc bigint, lk bigint,\n"
    "    fl int, vt smallint, uname_ text, name_ text, descr text, loc text, url_ text, piu text, wh text, ent text,\n"
    "    dj text) RETURNS int LANGUAGE plpgsql AS $$\n"
    "DECLARE old int;\n"
    "BEGIN\n"
    "  SELECT flags INTO old FROM fw_users WHERE id = uid FOR UPDATE;\n"
    "  IF NOT FOUND THEN RETURN -1; END IF;\n"
    "  UPDATE fw_users SET uname = un, created_at_ms = cat, pinned_tweet_id = pin, tweet_count = tc, listed_count = lc,\n"
    "    like_count = lk, flags = fl, verified_type = vt, username = uname_, name = name_, description = descr,\n"
    "    location = loc, url = url_, profile_image_url = piu, withheld_countries = wh, entities_json = ent,\n"
    "    default_json = dj WHERE id = uid;\n"
    "  IF (old & 1) <> 0 AND (fl & 1) = 0 THEN PERFORM fw_accept_all(uid); END IF;\n"
    "  RETURN 0;\n"
    "END $$;\n"
    "\n"
    "-- Adds a tweet (id 0 = assign one) and updates its author's most recent tweet\n"
    "-- and tweet count. Returns the id, -1 (no such author) or -2 (id taken).\n"
    "CREATE FUNCTION fw_tweet_add(tid bigint, author bigint, conv bigint, cat bigint, rt bigint, rp bigint, lk bigint,\n"
    "    qt bigint, bm bigint, im bigint, ps boolean, txt text, lng text, src text, rs text, ent text)\n"
    "    RETURNS bigint LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  PERFORM 1 FROM fw_users WHERE id = author FOR UPDATE;\n"
    "  IF NOT FOUND THEN RETURN -1; END IF;\n"
    "  IF tid = 0 THEN\n"
    "    LOOP\n"
    "      tid := fw_next_id();\n"
    "      EXIT WHEN NOT EXISTS (SELECT 1 FROM fw_tweets WHERE id = tid);\n"
    "    END LOOP;\n"
    "  ELSIF EXISTS (SELECT 1 FROM fw_tweets WHERE id = tid) THEN\n"
    "    RETURN -2;\n"
    "  END IF;\n"
    "  INSERT INTO fw_tweets VALUES (tid, author, conv, cat, rt, rp, lk, qt, bm, im, ps, txt, lng, src, rs, ent);\n"
    "  UPDATE fw_users SET most_recent_tweet_id = GREATEST(most_recent_tweet_id, tid), tweet_count = tweet_count + 1\n"
    "   WHERE id = author;\n"
    "  RETURN tid;\n"
    "END $$;\n";

/* v2: state every node shares (store.h, "State shared by every node"):
 * short-lived OAuth entries and OAuth 1.0a nonces, keyed by HMAC digests,
 * with expiry against the caller's clock. fw_ephem_put applies a kind's bounds
 * (auth/pending.h's semantics) under a transaction-scoped advisory lock per
 * kind, so concurrent inserts on several nodes cannot overshoot a cap
 * (transaction-scoped: fine behind pgbouncer in transaction mode). */
static const char MIGRATION_2[] =
    "CREATE SEQUENCE fw_ephem_seq AS bigint MINVALUE 1;\n"
    "CREATE TABLE fw_ephem (\n"
    "  kind smallint NOT NULL, key bytea NOT NULL, owner bigint NOT NULL, seq bigint NOT NULL,\n"
    "  expires_ms bigint NOT NULL, val bytea NOT NULL, PRIMARY KEY (kind, key));\n"
    "CREATE INDEX fw_ephem_age ON fw_ephem (kind, seq);\n"
    "CREATE INDEX fw_ephem_owner_age ON fw_ephem (kind, owner, seq);\n"
    "CREATE INDEX fw_ephem_expiry ON fw_ephem (kind, expires_ms);\n"
    "CREATE TABLE fw_nonces (key bytea PRIMARY KEY, expires_s bigint NOT NULL);\n"
    "CREATE INDEX fw_nonces_expiry ON fw_nonces (expires_s);\n"
    "-- 0 stored, 1 exists (add), 2 full (a cap without eviction).\n"
    "CREATE FUNCTION fw_ephem_put(p_kind smallint, p_key bytea, p_owner bigint, p_val bytea, p_ttl bigint,\n"
    "  p_max int, p_per_owner int, p_evict boolean, p_replace boolean, now_ms bigint)\n"
    "  RETURNS int LANGUAGE plpgsql AS $$\n"
    "DECLARE n bigint;\n"
    "BEGIN\n"
    "  PERFORM pg_advisory_xact_lock(7466, p_kind);\n"
    "  DELETE FROM fw_ephem WHERE kind = p_kind AND expires_ms <= now_ms;\n"
    "  IF EXISTS (SELECT 1 FROM fw_ephem WHERE kind = p_kind AND key = p_key) THEN\n"
    "    IF NOT p_replace THEN RETURN 1; END IF;\n"
    "    DELETE FROM fw_ephem WHERE kind = p_kind AND key = p_key;\n"
    "  END IF;\n"
    "  IF p_per_owner > 0 THEN\n"
    "    SELECT count(*) INTO n FROM fw_ephem WHERE kind = p_kind AND owner = p_owner;\n"
    "    IF n >= p_per_owner THEN\n"
    "      IF NOT p_evict THEN RETURN 2; END IF;\n"
    "      DELETE FROM fw_ephem WHERE kind = p_kind AND key IN (SELECT key FROM fw_ephem\n"
    "        WHERE kind = p_kind AND owner = p_owner ORDER BY seq LIMIT n - p_per_owner + 1);\n"
    "    END IF;\n"
    "  END IF;\n"
    "  IF p_max > 0 THEN\n"
    "    SELECT count(*) INTO n FROM fw_ephem WHERE kind = p_kind;\n"
    "    IF n >= p_max THEN\n"
    "      IF NOT p_evict THEN RETURN 2; END IF;\n"
    "      DELETE FROM fw_ephem WHERE kind = p_kind AND key IN (SELECT key FROM fw_ephem\n"
    "        WHERE kind = p_kind ORDER BY seq LIMIT n - p_max + 1);\n"
    "    END IF;\n"
    "  END IF;\n"
    "  INSERT INTO fw_ephem VALUES (p_kind, p_key, p_owner, nextval('fw_ephem_seq'), now_ms + p_ttl, p_val);\n"
    "  RETURN 0;\n"
    "END $$;\n"
    "-- Rate-limit windows and the budget nodes lease from them (store.h: fw_store_lease).\n"
    "CREATE TABLE fw_limit_windows (kind int NOT NULL, a bigint NOT NULL, b bigint NOT NULL,\n"
    "  window_end bigint NOT NULL, spent bigint NOT NULL, PRIMARY KEY (kind, a, b));\n"
    "CREATE TABLE fw_limit_leases (kind int NOT NULL, a bigint NOT NULL, b bigint NOT NULL, node bigint NOT NULL,\n"
    "  units int NOT NULL, expires_ms bigint NOT NULL, PRIMARY KEY (kind, a, b, node));\n"
    "CREATE FUNCTION fw_lease(p_kind int, p_a bigint, p_b bigint, p_lim int, p_win bigint, p_now bigint,\n"
    "  p_node bigint, p_spent int, p_spent_window bigint, p_want int, p_ttl bigint,\n"
    "  OUT granted int, OUT window_end bigint, OUT rest int, OUT others int, OUT nodes int)\n"
    "LANGUAGE plpgsql AS $$\n"
    "DECLARE w_end bigint; w_spent bigint; gone bigint; leased bigint; mine int;\n"
    "BEGIN\n"
    "  INSERT INTO fw_limit_windows VALUES (p_kind, p_a, p_b, 0, 0) ON CONFLICT DO NOTHING;\n"
    "  SELECT f.window_end, f.spent INTO w_end, w_spent FROM fw_limit_windows f\n"
    "   WHERE f.kind = p_kind AND f.a = p_a AND f.b = p_b FOR UPDATE;\n"
    "  -- A report counts only with the lease it belongs to: a retried statement or a report\n"
    "  -- after the lease expired (and was counted as spent) adds nothing.\n"
    "  DELETE FROM fw_limit_leases l WHERE l.kind = p_kind AND l.a = p_a AND l.b = p_b AND l.node = p_node\n"
    "   RETURNING l.units INTO mine;\n"
    "  IF mine IS NOT NULL AND p_spent <> 0 AND w_end = p_spent_window AND w_end > p_now THEN\n"
    "    w_spent := GREATEST(0, w_spent + LEAST(p_spent, mine));\n"
    "  END IF;\n"
    "  IF w_end <= p_now THEN\n"
    "    DELETE FROM fw_limit_leases l WHERE l.kind = p_kind AND l.a = p_a AND l.b = p_b;\n"
    "    w_spent := 0;\n"
    "    w_end := CASE WHEN p_want > 0 THEN p_now + p_win ELSE 0 END;\n"
    "  END IF;\n"
    "  WITH d AS (DELETE FROM fw_limit_leases l WHERE l.kind = p_kind AND l.a = p_a AND l.b = p_b\n"
    "              AND l.expires_ms <= p_now RETURNING l.units)\n"
    "  SELECT coalesce(sum(d.units), 0) INTO gone FROM d;\n"
    "  w_spent := w_spent + gone;\n"
    "  SELECT coalesce(sum(l.units), 0), count(*) INTO leased, nodes FROM fw_limit_leases l\n"
    "   WHERE l.kind = p_kind AND l.a = p_a AND l.b = p_b;\n"
    "  granted := GREATEST(0, LEAST(p_want::bigint, p_lim - w_spent - leased));\n"
    "  IF granted > 0 THEN\n"
    "    INSERT INTO fw_limit_leases VALUES (p_kind, p_a, p_b, p_node, granted, p_now + p_ttl);\n"
    "    nodes := nodes + 1;\n"
    "  END IF;\n"
    "  UPDATE fw_limit_windows f SET window_end = w_end, spent = w_spent\n"
    "   WHERE f.kind = p_kind AND f.a = p_a AND f.b = p_b;\n"
    "  window_end := w_end;\n"
    "  rest := GREATEST(0, p_lim - w_spent - leased - granted);\n"
    "  others := leased;\n"
    "END $$;\n";

/* v3: OAuth 2.0 grants. A credential keeps the grant it was issued under; a
 * revoked grant is one row, so revoking it is one write however many tokens
 * it minted, and a token issued under it later (a refresh racing the
 * revocation) is refused too: the auth lookup checks the row every time, on
 * every node, so a revocation anywhere holds everywhere at once. */
static const char MIGRATION_3[] =
    "ALTER TABLE fw_creds ADD COLUMN grant_id bigint NOT NULL DEFAULT 0;\n"
    "CREATE TABLE fw_grants_revoked (grant_id bigint PRIMARY KEY, revoked_at_ms bigint NOT NULL);\n";

/* v4: the developer portal (pg_portal.c): developer accounts, the portal
 * fields of projects (owner, environment, created, use case) and of apps
 * (permission, website, the owner's own OAuth 1.0a token). Older rows get
 * the values admin-made records have: no owner, development, read+write. */
static const char MIGRATION_4[] =
    "CREATE TABLE fw_devs (user_id bigint PRIMARY KEY, status smallint NOT NULL, created_at_ms bigint NOT NULL);\n"
    "ALTER TABLE fw_projects ADD COLUMN owner_id bigint NOT NULL DEFAULT 0,\n"
    "  ADD COLUMN environment smallint NOT NULL DEFAULT 0, ADD COLUMN created_at_ms bigint NOT NULL DEFAULT 0,\n"
    "  ADD COLUMN use_case text NOT NULL DEFAULT '';\n"
    "CREATE INDEX fw_projects_by_owner ON fw_projects (owner_id, id) WHERE owner_id <> 0;\n"
    "CREATE INDEX fw_apps_by_project ON fw_apps (project_id);\n"
    "ALTER TABLE fw_apps ADD COLUMN permission smallint NOT NULL DEFAULT 0,\n"
    "  ADD COLUMN website_url text NOT NULL DEFAULT '', ADD COLUMN dev_token text NOT NULL DEFAULT '';\n";

static const char *const MIGRATIONS[] = {MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4};
_Static_assert(sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]) == FW_PG_SCHEMA_VERSION,
               "one migration per schema version");

/* PQexec that keeps the result only to say whether it worked; fw_err, the
 * server's message in why. */
static int run(fw_pgc *c, const char *sql, char *why, size_t whylen)
{
    PGresult *r = PQexec(c->conn, sql);
    int rc = fw_pg_err(r);
    if (rc && why)
        snprintf(why, whylen, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c->conn));
    PQclear(r);
    return rc;
}

/* The store secret: made on first open, kept in fw_meta. */
static int load_secret(fw_pg *s, fw_pgc *c, bool create)
{
    PGresult *r;
    int rc;
    if (create) {
        uint8_t fresh[32];
        if (fw_random_bytes(fresh, sizeof fresh) < 0)
            return FW_ECRYPTO;
        const char *vals[1] = {(const char *)fresh};
        int lens[1] = {32}, bin[1] = {1};
        if ((rc = fw_pgc_exec(c, "INSERT INTO fw_meta (k, b) VALUES ('secret', $1::bytea) ON CONFLICT (k) DO NOTHING", 1,
                              vals, lens, bin, &r)))
            return rc;
        PQclear(r);
    }
    if ((rc = fw_pgc_exec(c, "SELECT b FROM fw_meta WHERE k = 'secret'", 0, NULL, NULL, NULL, &r)))
        return rc;
    size_t n = 0;
    rc = PQntuples(r) == 1 ? fw_pg_unhex(PQgetvalue(r, 0, 0), s->secret, sizeof s->secret, &n) : FW_EIO;
    if (rc == FW_OK && n != sizeof s->secret)
        rc = FW_EIO;
    PQclear(r);
    return rc;
}

/* The schema version recorded in the database (0 = none); fw_err. */
static int current_version(fw_pgc *c, unsigned *v)
{
    PGresult *r;
    int rc = fw_pgc_exec(c,
                         "SELECT CASE WHEN to_regclass('fw_schema_migrations') IS NULL THEN 0 ELSE "
                         "(SELECT coalesce(max(version), 0) FROM fw_schema_migrations) END",
                         0, NULL, NULL, NULL, &r);
    if (rc)
        return rc;
    *v = (unsigned)fw_pg_u64(r, 0, 0);
    PQclear(r);
    return FW_OK;
}

int fw_pg_migrate(fw_pg *s, fw_pgc *c, char *why, size_t whylen)
{
    int rc;
    if ((rc = run(c, "BEGIN; SELECT pg_advisory_xact_lock(" ADVISORY_KEY "); "
                     "CREATE TABLE IF NOT EXISTS fw_schema_migrations (version int PRIMARY KEY, "
                     "applied_at timestamptz NOT NULL DEFAULT now())",
                  why, whylen)))
        goto fail;
    unsigned v;
    if ((rc = current_version(c, &v)))
        goto fail;
    if (v > FW_PG_SCHEMA_VERSION) {
        snprintf(why, whylen, "database schema version %u is newer than this followd knows (%u): upgrade followd", v,
                 FW_PG_SCHEMA_VERSION);
        rc = FW_EINVAL;
        goto fail;
    }
    for (; v < FW_PG_SCHEMA_VERSION; v++) {
        char mark[96];
        snprintf(mark, sizeof mark, "INSERT INTO fw_schema_migrations (version) VALUES (%u)", v + 1);
        if ((rc = run(c, MIGRATIONS[v], why, whylen)) || (rc = run(c, mark, why, whylen)))
            goto fail;
    }
    if ((rc = run(c, "COMMIT", why, whylen)))
        goto fail;
    s->schema = v;
    if ((rc = load_secret(s, c, true)))
        snprintf(why, whylen, "cannot load the store secret: %s", fw_strerror(rc));
    return rc;
fail:
    if (c->conn && PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c->conn, "ROLLBACK");
        PQclear(r);
    }
    return rc;
}

/* ---- lifecycle ---- */

static void pg_close(fw_store *st)
{
    fw_pg *s = fw_pg_of(st);
    fw_pg_pool_stop(s);
    /* A bulk load committed without waiting for WAL flushes: one synchronous
     * commit that writes makes everything before it durable too. */
    if (s->bulk && s->admin.conn) {
        PGresult *r = PQexec(s->admin.conn, "SET synchronous_commit = on; "
                                            "UPDATE fw_meta SET n = n WHERE k = 'last_id'");
        PQclear(r);
        /* ... and the planner gets statistics for the freshly loaded graph now,
         * not whenever autovacuum comes by (list pages depend on them). */
        r = PQexec(s->admin.conn, "ANALYZE fw_users; ANALYZE fw_rel");
        PQclear(r);
    }
    fw_pgc_close(&s->admin);
    pthread_mutex_destroy(&s->admin_mu);
    fw_pgc_close(&s->lease);
    pthread_mutex_destroy(&s->lease_mu);
    free(s->conninfo);
    free(s);
}

static uint64_t pg_version(fw_store *st)
{
    /* Other nodes and the admin CLI write without this process seeing it, so
     * no version is safe to cache under: callers must not cache. */
    return 0;
}

static int pg_changes(fw_store *st, uint64_t since, uint64_t *now, fw_change_fn fn, void *ctx)
{
    /* no version, hence no log: nothing was ever cached under one */
    (void)st, (void)since, (void)fn, (void)ctx;
    *now = 0;
    return FW_ENOTSUP;
}

static const uint8_t *pg_secret(fw_store *st) { return fw_pg_of(st)->secret; }

static int pg_schema(fw_store *st, unsigned *current, unsigned *known)
{
    fw_pg *s = fw_pg_of(st);
    fw_pgc *c;
    *known = FW_PG_SCHEMA_VERSION;
    *current = 0;
    int rc = fw_pg_admin_get(s, &c);
    if (rc)
        return rc;
    rc = current_version(c, current);
    fw_pg_admin_put(s);
    return rc;
}

int fw_pg_open(const fw_store_opts *opts, fw_store **out)
{
    *out = NULL;
    fw_pg *s = calloc(1, sizeof(*s));
    if (!s || !(s->conninfo = strdup(opts->path))) {
        free(s);
        return FW_ENOMEM;
    }
    s->hdr.ops = &fw_pg_ops;
    s->timeout_ms = opts->timeout_ms ? opts->timeout_ms : FW_PG_DEFAULT_TIMEOUT_MS;
    s->bulk = opts->bulk && !opts->read_only;
    s->read_only = opts->read_only;
    s->no_prepare = opts->no_prepare;
    s->admin.s = s;
    pthread_mutex_init(&s->admin_mu, NULL);
    s->lease.s = s;
    pthread_mutex_init(&s->lease_mu, NULL);
    char why[512] = "";
    int rc = fw_pgc_connect(&s->admin, why, sizeof why);
    if (rc == FW_OK && opts->read_only) {
        unsigned v = 0;
        if (!(rc = current_version(&s->admin, &v)) && v != FW_PG_SCHEMA_VERSION) {
            snprintf(why, sizeof why, "database schema version %u, this followd needs %u", v, FW_PG_SCHEMA_VERSION);
            rc = FW_EINVAL;
        }
        if (!rc && (rc = load_secret(s, &s->admin, false)))
            snprintf(why, sizeof why, "cannot load the store secret");
        s->schema = v;
    } else if (rc == FW_OK) {
        rc = fw_pg_migrate(s, &s->admin, why, sizeof why);
    }
    if (rc == FW_OK) {
        unsigned n = opts->pool ? opts->pool : FW_PG_DEFAULT_POOL;
        rc = fw_pg_pool_start(s, n > FW_PG_MAX_POOL ? FW_PG_MAX_POOL : n,
                              opts->queue_max ? opts->queue_max : FW_PG_DEFAULT_QUEUE, opts->replicas,
                              (unsigned)opts->nreplicas);
    }
    if (rc) {
        fw_store_open_err(opts, "%s", why[0] ? why : fw_strerror(rc));
        fw_pgc_close(&s->admin);
        pthread_mutex_destroy(&s->admin_mu);
        fw_pgc_close(&s->lease);
        pthread_mutex_destroy(&s->lease_mu);
        free(s->conninfo);
        free(s);
        return rc;
    }
    *out = (fw_store *)(void *)s;
    return FW_OK;
}

const fw_store_ops fw_pg_ops = {
    .name = "postgresql",
    .shares_state = true,
    .ephem = fw_pg_ephem,
    .nonce = fw_pg_nonce,
    .lease = fw_pg_lease,
    .close = pg_close,
    .version = pg_version,
    .changes = pg_changes,
    .secret = pg_secret,
    .ready = fw_pg_ready,
    .schema = pg_schema,
    .users = fw_pg_users,
    .list = fw_pg_list,
    .auth = fw_pg_auth,
    .write = fw_pg_write,
    .user_create = fw_pg_user_create,
    .user_update = fw_pg_user_update,
    .user_delete = fw_pg_user_delete,
    .user_get = fw_pg_user_get,
    .user_get_by_name = fw_pg_user_get_by_name,
    .user_scan = fw_pg_user_scan,
    .tweet_add = fw_pg_tweet_add,
    .grant_revoke = fw_pg_grant_revoke,
    .import_begin = fw_pg_import_begin,
    .tweet_scan = fw_pg_tweet_scan,
    .edge_scan = fw_pg_edge_scan,
    .write_sync = fw_pg_write_sync,
    .follow_bulk = fw_pg_follow_bulk,
    .project_create = fw_pg_project_create,
    .project_set_level = fw_pg_project_set_level,
    .app_create = fw_pg_app_create,
    .app_get = fw_pg_app_get,
    .app_scan = fw_pg_app_scan,
    .app_set_bearer_gen = fw_pg_app_set_bearer_gen,
    .cred_put = fw_pg_cred_put,
    .cred_revoke = fw_pg_cred_revoke,
    .check = fw_pg_check,
    .user_set_password = fw_pg_user_set_password,
    .user_get_password = fw_pg_user_get_password,
    .project_scan = fw_pg_project_scan,
    .project_put = fw_pg_project_put,
    .app_put = fw_pg_app_put,
    .cred_scan = fw_pg_cred_scan,
    .secret_set = fw_pg_secret_set,
    .wipe = fw_pg_wipe,
    .dev_create = fw_pg_dev_create,
    .dev_get = fw_pg_dev_get,
    .dev_set_status = fw_pg_dev_set_status,
    .project_create_owned = fw_pg_project_create_owned,
    .project_get = fw_pg_project_get,
    .project_update = fw_pg_project_update,
    .project_delete = fw_pg_project_delete,
    .project_scan_owner = fw_pg_project_scan_owner,
    .app_settings_get = fw_pg_app_settings_get,
    .app_update = fw_pg_app_update,
    .app_set_dev_token = fw_pg_app_set_dev_token,
    .app_delete = fw_pg_app_delete,
    .app_regenerate = fw_pg_app_regenerate,
    .project_info_put = fw_pg_project_info_put,
    .app_settings_put = fw_pg_app_settings_put,
    .dev_scan = fw_pg_dev_scan,
    .password_scan = fw_pg_password_scan,
    .migrate_begin = fw_pg_migrate_begin,
    .migrate_commit = fw_pg_migrate_commit,
};
