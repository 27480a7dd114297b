/* http/accesslog: line format, escaping, OAuth query redaction, field limits,
 * batched writes from several threads, reopening after a rename. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "http/accesslog.h"

static fw_str S(const char *s) { return fw_str_c(s); }

static fw_alog_entry base_entry(const struct sockaddr_in *peer)
{
    fw_alog_entry e = {0};
    e.start_us = INT64_C(1709164800123456); /* 2024-02-29T00:00:00.123456Z */
    e.duration_us = 587;
    e.peer = (const struct sockaddr *)peer;
    e.method = S("GET");
    e.path = S("/2/users/12/followers");
    e.query = S("max_results=100");
    e.version = 0x101;
    e.status = 200;
    e.bytes = 5123;
    e.access = S("read");
    e.loop = 3;
    return e;
}

static struct sockaddr_in v4(const char *addr)
{
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    inet_pton(AF_INET, addr, &sin.sin_addr);
    return sin;
}

/* Formats e and returns the line (static storage, valid until the next call). */
static const char *fmt(const fw_alog_entry *e)
{
    static fw_buf b;
    fw_buf_reset(&b);
    fw_alog_format(&b, e);
    return b.data;
}

static void test_full_line(void **state)
{
    (void)state;
    struct sockaddr_in peer = v4("203.0.113.7");
    fw_alog_entry e = base_entry(&peer);
    assert_string_equal(fmt(&e), "2024-02-29T00:00:00.123Z 203.0.113.7 \"GET /2/users/12/followers?max_results=100 "
                                 "HTTP/1.1\" 200 5123 587 read 3\n");

    struct sockaddr_in6 p6 = {0};
    p6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::1", &p6.sin6_addr);
    e.peer = (const struct sockaddr *)&p6;
    e.version = 0x200;
    e.query = FW_STR_NULL;
    e.access = FW_STR_NULL;
    e.method = FW_STR_NULL;
    e.status = 499;
    e.bytes = 0;
    e.duration_us = 0;
    e.loop = 0;
    assert_string_equal(fmt(&e), "2024-02-29T00:00:00.123Z 2001:db8::1 \"- /2/users/12/followers HTTP/2\" 499 0 0 - 0\n");

    e.peer = NULL;
    e.version = 0x100;
    assert_string_equal(fmt(&e), "2024-02-29T00:00:00.123Z - \"- /2/users/12/followers HTTP/1.0\" 499 0 0 - 0\n");
}

static void test_timestamps(void **state)
{
    (void)state;
    static const struct {
        int64_t us;
        const char *want;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {-5, "1970-01-01T00:00:00.000Z"}, /* before the epoch: clamped */
        {INT64_C(951782400000000), "2000-02-29T00:00:00.000Z"},
        {INT64_C(978307199999999), "2000-12-31T23:59:59.999Z"},
        {INT64_C(4107542400001000), "2100-03-01T00:00:00.001Z"}, /* 2100 is not a leap year */
        {INT64_C(1735689599000000), "2024-12-31T23:59:59.000Z"},
        {INT64_MAX, "9999-12-31T23:59:59.999Z"},
    };
    struct sockaddr_in peer = v4("127.0.0.1");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fw_alog_entry e = base_entry(&peer);
        e.start_us = cases[i].us;
        const char *line = fmt(&e);
        assert_int_equal(strncmp(line, cases[i].want, 24), 0);
        assert_int_equal(line[24], ' ');
    }
}

static void test_escaping(void **state)
{
    (void)state;
    struct sockaddr_in peer = v4("127.0.0.1");
    fw_alog_entry e = base_entry(&peer);
    static const char path[] = "/a\r\nb\"c\\d e\tf\x7f\xc3\xa9\x00g%0A";
    e.path = (fw_str){path, sizeof path - 1};
    e.query = S("q=\"x\" 1");
    e.method = S("G\"ET\n");
    e.access = S("re ad\n");
    const char *line = fmt(&e);
    assert_string_equal(line, "2024-02-29T00:00:00.123Z 127.0.0.1 \"G\\x22ET\\x0A "
                              "/a\\x0D\\x0Ab\\x22c\\x5Cd\\x20e\\x09f\\x7F\\xC3\\xA9\\x00g%0A?q=\\x22x\\x22\\x201 "
                              "HTTP/1.1\" 200 5123 587 re\\x20ad\\x0A 3\n");
    /* one line, and only printable ASCII in it */
    size_t n = strlen(line);
    for (size_t i = 0; i + 1 < n; i++)
        assert_true(line[i] >= 0x20 && line[i] < 0x7f);
    assert_int_equal(line[n - 1], '\n');
}

static void test_oauth_queries_keep_only_names(void **state)
{
    (void)state;
    struct sockaddr_in peer = v4("127.0.0.1");
    static const struct {
        const char *path, *query, *want;
    } cases[] = {
        {"/i/oauth2/authorize", "response_type=code&state=SECRET&code_challenge=SECRET", "/i/oauth2/authorize?response_type&state&code_challenge"},
        {"/2/oauth2/token", "code=SECRET", "/2/oauth2/token?code"},
        {"/2/oauth2/revoke", "token=SECRET&&=SECRET&hint", "/2/oauth2/revoke?token&hint"},
        {"/oauth/authorize", "oauth_token=SECRET", "/oauth/authorize?oauth_token"},
        {"/oauth2/token", "grant_type=SECRET", "/oauth2/token?grant_type"},
        {"/OAUTH/access_token", "oauth_verifier=SECRET", "/OAUTH/access_token?oauth_verifier"},
        {"/I/OAuth2/authorize", "state=SECRET", "/I/OAuth2/authorize?state"},
        {"/i/oauth2/authorize", "=SECRET", "/i/oauth2/authorize"},
        {"/2/oauth2/token", "", "/2/oauth2/token"},
        /* not an OAuth endpoint: the query stays */
        {"/2/users/by", "usernames=a,b", "/2/users/by?usernames=a,b"},
        {"/2/users/oauth", "x=1", "/2/users/oauth?x=1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fw_alog_entry e = base_entry(&peer);
        e.path = S(cases[i].path);
        e.query = S(cases[i].query);
        e.redact_query = fw_api_query_is_secret(e.path); /* as the API's router marks it */
        const char *line = fmt(&e);
        assert_null(strstr(line, "SECRET"));
        const char *t = strchr(line, '"') + 5; /* after "GET  */
        size_t wl = strlen(cases[i].want);
        assert_memory_equal(t, cases[i].want, wl);
        assert_memory_equal(t + wl, " HTTP/1.1\"", 10);
    }
}

static void test_long_fields_are_cut(void **state)
{
    (void)state;
    struct sockaddr_in peer = v4("127.0.0.1");
    fw_alog_entry e = base_entry(&peer);
    char *big = malloc(20000);
    memset(big, '\n', 20000); /* every byte escapes to 4 */
    big[0] = '/';
    e.path = (fw_str){big, 20000};
    e.query = (fw_str){big, 20000};
    e.method = (fw_str){big + 1, 20000 - 1};
    e.access = (fw_str){big + 1, 200};
    e.bytes = UINT64_MAX;
    e.duration_us = UINT64_MAX;
    e.status = 999;
    const char *line = fmt(&e);
    size_t n = strlen(line);
    assert_true(n < PIPE_BUF);
    assert_int_equal(strchr(line, '\n') - line, (ptrdiff_t)n - 1);
    /* the target: "/" + 511 whole escapes (2045 bytes) then "..." */
    const char *t = strstr(line, " /");
    assert_non_null(t);
    assert_memory_equal(t + 2 + 511 * 4, "... HTTP/1.1\"", 13);
    /* the method: 8 escapes (32 bytes) then "..." */
    assert_memory_equal(strchr(line, '"') + 1 + 32, "... /", 5);

    /* a target of exactly the budget is not cut */
    memset(big, 'a', FW_ALOG_MAX_TARGET);
    e.path = (fw_str){big, FW_ALOG_MAX_TARGET};
    e.query = FW_STR_NULL;
    e.method = S("GET");
    e.access = S("read");
    line = fmt(&e);
    assert_null(strstr(line, "a..."));
    e.path.len++;
    line = fmt(&e);
    assert_non_null(strstr(line, "a... HTTP/1.1"));
    free(big);
}

/* ---- the file */

static char dir[64];

static int setup_dir(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/fw-alog-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fw_buf b = FW_BUF_INIT;
    char tmp[4096];
    size_t n;
    fw_buf_append(&b, "", 0); /* an empty file is "" */
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        fw_buf_append(&b, tmp, n);
    fclose(f);
    return b.data;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void add_line(fw_buf *b, const char *path, int loop)
{
    struct sockaddr_in peer = v4("127.0.0.1");
    fw_alog_entry e = base_entry(&peer);
    e.path = S(path);
    e.query = FW_STR_NULL;
    e.loop = loop;
    fw_alog_format(b, &e);
}

static void test_flush_and_reopen(void **state)
{
    (void)state;
    char path[128], rotated[128], err[160];
    snprintf(path, sizeof path, "%s/access.log", dir);
    snprintf(rotated, sizeof rotated, "%s/access.log.1", dir);
    fw_alog *log = NULL;
    assert_int_equal(fw_alog_open(path, &log, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777 & ~0640, 0);

    fw_buf b = FW_BUF_INIT;
    add_line(&b, "/one", 0);
    add_line(&b, "/two", 0);
    char *s = slurp(path);
    assert_string_equal(s, ""); /* formatting writes nothing */
    free(s);
    fw_alog_flush(log, &b);
    assert_int_equal(b.len, 0);
    s = slurp(path);
    assert_int_equal(count_lines(s), 2);
    assert_non_null(strstr(s, " /one "));
    free(s);

    /* logrotate: rename, SIGHUP; lines flushed afterwards go to a new file */
    assert_int_equal(rename(path, rotated), 0);
    add_line(&b, "/three", 1);
    fw_alog_request_reopen();
    fw_alog_flush(log, &b);
    s = slurp(path);
    assert_non_null(s);
    assert_int_equal(count_lines(s), 1);
    assert_non_null(strstr(s, " /three "));
    free(s);
    s = slurp(rotated);
    assert_int_equal(count_lines(s), 2);
    free(s);

    /* a requested reopen happens even with nothing to write */
    assert_int_equal(rename(path, rotated), 0);
    fw_alog_request_reopen();
    fw_alog_flush(log, &b);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);

    /* a reopen that fails keeps writing to the old file */
    assert_int_equal(rename(path, rotated), 0);
    assert_int_equal(mkdir(path, 0700), 0); /* the path is now a directory */
    fw_alog_request_reopen();
    add_line(&b, "/four", 0);
    fw_alog_flush(log, &b);
    s = slurp(rotated);
    assert_non_null(strstr(s, " /four "));
    free(s);
    assert_int_equal(rmdir(path), 0);

    fw_buf_free(&b);
    fw_alog_close(log);
}

static bool stderr_open(void) { return fcntl(STDERR_FILENO, F_GETFD) != -1; }

static void test_open_errors(void **state)
{
    (void)state;
    char err[160];
    fw_alog *log = (fw_alog *)&err;
    assert_int_equal(fw_alog_open("/nonexistent-dir/x.log", &log, err, sizeof err), -1);
    assert_null(log);
    assert_non_null(strstr(err, "cannot open access log /nonexistent-dir/x.log"));
    assert_int_equal(fw_alog_open("", &log, err, sizeof err), -1);
    assert_int_equal(fw_alog_open(NULL, &log, err, sizeof err), -1);
    /* "-" is standard error, which close leaves open */
    assert_int_equal(fw_alog_open("-", &log, err, sizeof err), 0);
    fw_alog_close(log);
    assert_true(stderr_open());
}

#define WRITERS 4
#define LINES_PER_WRITER 3000

typedef struct writer {
    fw_alog *log;
    int id;
} writer;

/* Like a loop thread: format into its own buffer, flush past the threshold. */
static void *writer_main(void *arg)
{
    writer *w = arg;
    fw_buf b = FW_BUF_INIT;
    char path[64];
    for (int i = 0; i < LINES_PER_WRITER; i++) {
        snprintf(path, sizeof path, "/w/%d/%d/padding-padding-padding-padding", w->id, i);
        add_line(&b, path, w->id);
        if (b.len >= FW_ALOG_FLUSH_BYTES / 16) /* small batches: many concurrent flushes */
            fw_alog_flush(w->log, &b);
    }
    fw_alog_flush(w->log, &b);
    fw_buf_free(&b);
    return NULL;
}

static void test_concurrent_flushes_never_interleave(void **state)
{
    (void)state;
    char path[128], err[160];
    snprintf(path, sizeof path, "%s/concurrent.log", dir);
    fw_alog *log = NULL;
    assert_int_equal(fw_alog_open(path, &log, err, sizeof err), 0);
    pthread_t tids[WRITERS];
    writer ws[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        ws[i] = (writer){log, i};
        assert_int_equal(pthread_create(&tids[i], NULL, writer_main, &ws[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(tids[i], NULL);
    fw_alog_close(log);

    char *s = slurp(path);
    static unsigned char seen[WRITERS][LINES_PER_WRITER];
    size_t lines = 0;
    for (char *line = s, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        int id, i, loop;
        char tail[64];
        assert_int_equal(sscanf(line, "2024-02-29T00:00:00.123Z 127.0.0.1 \"GET /w/%d/%d/%63s HTTP/1.1\" 200 5123 587 read %d",
                                &id, &i, tail, &loop),
                         4);
        assert_string_equal(tail, "padding-padding-padding-padding");
        assert_int_equal(id, loop);
        assert_true(id >= 0 && id < WRITERS && i >= 0 && i < LINES_PER_WRITER);
        assert_int_equal(seen[id][i], 0);
        seen[id][i] = 1;
        lines++;
    }
    assert_int_equal(lines, WRITERS * LINES_PER_WRITER);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_line),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_oauth_queries_keep_only_names),
        cmocka_unit_test(test_long_fields_are_cut),
        cmocka_unit_test(test_flush_and_reopen),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_concurrent_flushes_never_interleave),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
