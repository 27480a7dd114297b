/* fw_store_check for the PostgreSQL backend: every invariant the LMDB check
 * verifies, as queries over one REPEATABLE READ snapshot, each problem one
 * line. On PostgreSQL both directions of an edge are one fw_rel row seen
 * through two indexes, and the username index is a unique column of the user
 * row, so "the mirror exists" and "the index points back" cannot break the way
 * separate LMDB records can; what can break (counters, dangling or self
 * edges, requests to public accounts, the sequence, usernames) is checked. */
#include "store/pg_internal.h"

#include <stdio.h>
#include <string.h>

/* Each query returns one text column per problem row. */
static const char *const CHECKS[] = {
    /* counters equal list lengths */
    "SELECT 'user ' || u.id || ': followers_count ' || u.followers_count || ' but ' || coalesce(f.n, 0) || ' followers'"
    " FROM fw_users u LEFT JOIN (SELECT dst, count(*) n FROM fw_rel WHERE state = 1 GROUP BY dst) f ON f.dst = u.id"
    " WHERE u.followers_count <> coalesce(f.n, 0) ORDER BY u.id",
    "SELECT 'user ' || u.id || ': following_count ' || u.following_count || ' but follows ' || coalesce(f.n, 0)"
    " FROM fw_users u LEFT JOIN (SELECT src, count(*) n FROM fw_rel WHERE state = 1 GROUP BY src) f ON f.src = u.id"
    " WHERE u.following_count <> coalesce(f.n, 0) ORDER BY u.id",
    /* usernames: valid and the index key is the lower-cased name */
    "SELECT 'user ' || id || ': invalid username' FROM fw_users WHERE username !~ '^[A-Za-z0-9_]{1,15}$' ORDER BY id",
    "SELECT 'user ' || id || ': username ''' || lower(username) || ''' not indexed to it' FROM fw_users"
    " WHERE uname <> lower(username) ORDER BY id",
    /* every edge: a known state, no self-edge, both users exist */
    "SELECT 'rel ' || src || '->' || dst || ': bad state ' || state FROM fw_rel WHERE state NOT IN (1, 2)"
    " ORDER BY src, dst",
    "SELECT 'rel ' || src || '->' || dst || ': self-edge' FROM fw_rel WHERE src = dst ORDER BY src",
    "SELECT 'rel ' || r.src || '->' || r.dst || ': user ' || r.src || ' does not exist' FROM fw_rel r"
    " WHERE NOT EXISTS (SELECT 1 FROM fw_users u WHERE u.id = r.src) ORDER BY r.src, r.dst",
    "SELECT 'rel ' || r.src || '->' || r.dst || ': user ' || r.dst || ' does not exist' FROM fw_rel r"
    " WHERE NOT EXISTS (SELECT 1 FROM fw_users u WHERE u.id = r.dst) ORDER BY r.src, r.dst",
    /* making an account public accepts every request in the same transaction,
     * so a request left to a public account could never be answered */
    "SELECT 'req_in of ' || r.dst || ': request ' || r.src || ' to a public account' FROM fw_rel r"
    " JOIN fw_users u ON u.id = r.dst WHERE r.state = 2 AND (u.flags & 1) = 0 ORDER BY r.dst, r.src",
    /* keyset paging needs sequence numbers unique and the counter ahead of all */
    "SELECT 'rel seq ' || seq || ': used by ' || count(*) || ' edges' FROM fw_rel GROUP BY seq HAVING count(*) > 1"
    " ORDER BY seq",
    "SELECT 'meta edge_seq ' || s.last_value || ' is behind edge seq ' || m.mx FROM fw_edge_seq s,"
    " (SELECT max(seq) mx FROM fw_rel) m WHERE m.mx IS NOT NULL AND (NOT s.is_called OR s.last_value < m.mx)",
};

int fw_pg_check(fw_store *st, void (*report)(void *ctx, const char *line), void *ctx)
{
    fw_pg *s = fw_pg_of(st);
    fw_buf b = FW_BUF_INIT;
    fw_buf_puts(&b, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;");
    size_t n = sizeof(CHECKS) / sizeof(CHECKS[0]);
    for (size_t i = 0; i < n; i++) {
        fw_buf_puts(&b, CHECKS[i]);
        fw_buf_puts(&b, ";");
    }
    fw_buf_puts(&b, "COMMIT");
    PGresult *res[sizeof(CHECKS) / sizeof(CHECKS[0]) + 2];
    int nres = 0;
    fw_pgc *c;
    int rc = fw_pg_admin_get(s, &c);
    if (rc == FW_OK) {
        rc = fw_pgc_multi(c, b.data, res, (int)(n + 2), &nres);
        fw_pg_admin_put(s);
    }
    fw_buf_free(&b);
    if (rc)
        return rc;
    int problems = 0;
    for (size_t i = 1; i <= n && (int)i < nres; i++) {
        for (int row = 0; row < PQntuples(res[i]); row++) {
            problems++;
            if (report)
                report(ctx, PQgetvalue(res[i], row, 0));
        }
    }
    fw_pg_clear_all(res, nres);
    return problems;
}
