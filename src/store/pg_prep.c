/* Named prepared statements, per connection: the request path's statements
 * (list pages, credential lookups) are parsed and planned once per pooled
 * connection instead of on every call.
 *
 * Only pool connections prepare (fw_pgc.prepare): the admin connection's
 * statements are many and varied, and they stay custom-planned.
 *
 * A statement is known by its text: the first fw_pgc_run of a text on a
 * connection prepares it under a name of this connection's own ("fwN"), later
 * runs execute that name. The table is bounded (PREP_MAX texts; beyond it a
 * text runs unprepared, which is slower, never wrong) and dies with the
 * connection, so a reconnect prepares again. serve --db-no-prepare
 * (fw_store_opts.no_prepare) turns it off for poolers that hand one client's
 * statements to several server sessions (pgbouncer in transaction mode):
 * there a name prepared on one session is missing, or worse another client's,
 * on the next. */
#include "store/pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREP_MAX 128

struct fw_pg_prep {
    unsigned n;
    struct {
        uint64_t hash;
        char *sql;
    } e[PREP_MAX];
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void fw_pgc_prep_forget(fw_pgc *c)
{
    if (!c->prep)
        return;
    for (unsigned i = 0; i < c->prep->n; i++)
        free(c->prep->e[i].sql);
    free(c->prep);
    c->prep = NULL;
}

int fw_pgc_prepared(fw_pgc *c, const char *sql, int nparams, char name[FW_PGC_NAME_MAX])
{
    name[0] = 0;
    if (!c->prepare)
        return FW_OK;
    if (!c->prep && !(c->prep = calloc(1, sizeof(*c->prep))))
        return FW_OK; /* no memory for the table: run it unprepared */
    struct fw_pg_prep *t = c->prep;
    uint64_t h = fnv1a(sql);
    for (unsigned i = 0; i < t->n; i++)
        if (t->e[i].hash == h && !strcmp(t->e[i].sql, sql)) {
            snprintf(name, FW_PGC_NAME_MAX, "fw%u", i);
            return FW_OK;
        }
    if (t->n == PREP_MAX)
        return FW_OK;
    char *copy = strdup(sql);
    if (!copy)
        return FW_OK;
    char nm[FW_PGC_NAME_MAX];
    snprintf(nm, sizeof nm, "fw%u", t->n);
    PGresult *r = PQprepare(c->conn, nm, sql, nparams, NULL);
    int rc = fw_pg_err(r);
    PQclear(r);
    if (rc) {
        free(copy);
        return rc;
    }
    t->e[t->n].hash = h;
    t->e[t->n].sql = copy;
    t->n++;
    memcpy(name, nm, sizeof nm);
    return FW_OK;
}
