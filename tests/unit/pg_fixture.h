/* A throw-away PostgreSQL database per test, on the server FOLLOWD_PG_URL
 * names (scripts/run-tests.sh starts a cluster and sets it). Included by the
 * unit tests that run store cases on the PostgreSQL backend; without the
 * variable they report those cases skipped (a test binary never assumes a
 * server). Needs <libpq-fe.h> and cmocka included first. */
#ifndef FW_TEST_PG_FIXTURE_H
#define FW_TEST_PG_FIXTURE_H

#include <stdbool.h>

/* Runs sql on the database url names; fails the test on any error. */
static void pg_admin_sql(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

/* Creates a fresh database (its name into name, 64 bytes) and writes its URI,
 * FOLLOWD_PG_URL with the database replaced, into uri. False when
 * FOLLOWD_PG_URL is not set. */
static bool pg_fixture_create(char *uri, size_t urilen, char name[64])
{
    static int db_counter;
    const char *url = getenv("FOLLOWD_PG_URL");
    if (!url || !*url)
        return false;
    snprintf(name, 64, "fw_unit_%d_%d", (int)getpid(), ++db_counter);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", name);
    pg_admin_sql(url, sql);
    const char *q = strchr(url, '?');
    size_t base = q ? (size_t)(q - url) : strlen(url);
    const char *slash = url + base;
    while (slash > url && *slash != '/')
        slash--;
    if (slash - url < 12) /* no "/dbname" after scheme://host */
        slash = url + base;
    snprintf(uri, urilen, "%.*s/%s%s", (int)(slash - url), url, name, q ? q : "");
    return true;
}

/* Drops the database pg_fixture_create made (connections closed by force). */
static void pg_fixture_drop(const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", name);
    pg_admin_sql(getenv("FOLLOWD_PG_URL"), sql);
}

#endif
