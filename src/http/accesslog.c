/* Access log: line format and batched, rotation-safe writes; see accesslog.h. */
#include "http/accesslog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_ACCESS 64          /* escaped bytes kept of the access level */
#define ERROR_REPORT_MS 10000  /* at most one write-error line per this period */

/* Upper bound of one line: time, peer, quoted request line, numbers, access
 * level, loop index, separators. Kept below PIPE_BUF so that a line written to
 * a pipe (stderr under a supervisor) is never split. */
#define LINE_MAX_BYTES                                                                                     \
    (24 + 1 + INET6_ADDRSTRLEN + 2 + (FW_ALOG_MAX_METHOD + 3) + 1 + (FW_ALOG_MAX_TARGET + 3) + 1 + 24 + 2 + \
     21 + 1 + 21 + 1 + 21 + 1 + (MAX_ACCESS + 3) + 1 + 21 + 1)
_Static_assert(LINE_MAX_BYTES < PIPE_BUF, "an access log line must fit in one atomic pipe write");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the reopen counter is bumped from a signal handler");

/* ------------------------------------------------------------------------
 * Formatting. Fields are written straight into reserved buffer space. */

/* An escaped field with an output budget. Bytes outside the printable ASCII
 * range, the space, '"' and '\' become \xHH, so a field is one token that
 * cannot end the line or the quoted request; a field over budget ends in "...". */
typedef struct field {
    char *p;
    size_t left;
    bool cut;
} field;

static bool is_plain(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void esc(field *f, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    /* the common case: all plain and within budget */
    size_t i = 0;
    if (!f->cut) {
        size_t m = n < f->left ? n : f->left;
        while (i < m && is_plain((unsigned char)s[i]))
            i++;
        if (i)
            memcpy(f->p, s, i);
        f->p += i;
        f->left -= i;
    }
    for (; i < n && !f->cut; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_plain(c)) {
            if (f->left < 1) {
                f->cut = true;
                break;
            }
            *f->p++ = (char)c;
            f->left--;
        } else {
            if (f->left < 4) {
                f->cut = true;
                break;
            }
            f->p[0] = '\\';
            f->p[1] = 'x';
            f->p[2] = hex[c >> 4];
            f->p[3] = hex[c & 15];
            f->p += 4;
            f->left -= 4;
        }
    }
}

/* Ends a field: "..." if it was cut (the budget excludes these 3 bytes),
 * "-" if it is empty. Returns the new write position. */
static char *field_end(field *f, char *start)
{
    if (f->cut) {
        memcpy(f->p, "...", 3);
        f->p += 3;
    } else if (f->p == start) {
        *f->p++ = '-';
    }
    return f->p;
}

static char *put_u64(char *p, uint64_t v)
{
    return p + fw_u64_to_dec(v, p);
}

static char *put_2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * civil_from_days), so a line costs no gmtime_r call. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "2025-01-31T23:59:59.123Z" (times before 1970 or after 9999 are clamped). */
static char *put_time(char *p, int64_t us)
{
    const int64_t max_us = INT64_C(253402300799999999); /* 9999-12-31T23:59:59.999999Z */
    us = us < 0 ? 0 : us > max_us ? max_us : us;
    int64_t secs = us / 1000000, days = secs / 86400, sod = secs % 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    p = put_2(p, (unsigned)(y / 100));
    p = put_2(p, (unsigned)(y % 100));
    *p++ = '-';
    p = put_2(p, m);
    *p++ = '-';
    p = put_2(p, d);
    *p++ = 'T';
    p = put_2(p, (unsigned)(sod / 3600));
    *p++ = ':';
    p = put_2(p, (unsigned)(sod / 60 % 60));
    *p++ = ':';
    p = put_2(p, (unsigned)(sod % 60));
    unsigned ms = (unsigned)(us / 1000 % 1000);
    *p++ = '.';
    *p++ = (char)('0' + ms / 100);
    p = put_2(p, ms % 100);
    *p++ = 'Z';
    return p;
}

static char *put_peer(char *p, const struct sockaddr *sa)
{
    char tmp[INET6_ADDRSTRLEN];
    const char *s = NULL;
    if (sa && sa->sa_family == AF_INET) {
        /* by hand: inet_ntop costs as much as the rest of the line */
        const unsigned char *a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        for (int i = 0; i < 4; i++) {
            if (i)
                *p++ = '.';
            p = put_u64(p, a[i]);
        }
        return p;
    }
    if (sa && sa->sa_family == AF_INET6)
        s = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, tmp, sizeof tmp);
    if (!s) {
        *p++ = '-';
        return p;
    }
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_version(char *p, int v)
{
    unsigned major = (unsigned)v >> 8 & 0xff, minor = (unsigned)v & 0xff;
    memcpy(p, "HTTP/", 5);
    p = put_u64(p + 5, major);
    if (major < 2) {
        *p++ = '.';
        p = put_u64(p, minor);
    }
    return p;
}

/* The names of the query's parameters, '&'-separated, without any value. */
static void esc_query_names(field *f, fw_str q)
{
    bool first = true;
    size_t i = 0;
    while (i < q.len) {
        const char *amp = memchr(q.p + i, '&', q.len - i);
        size_t end = amp ? (size_t)(amp - q.p) : q.len;
        const char *eq = memchr(q.p + i, '=', end - i);
        size_t name_end = eq ? (size_t)(eq - q.p) : end;
        if (name_end > i) {
            esc(f, first ? "?" : "&", 1);
            esc(f, q.p + i, name_end - i);
            first = false;
        }
        i = end + 1;
    }
}

void fw_alog_format(fw_buf *out, const fw_alog_entry *e)
{
    char *start = fw_buf_reserve(out, LINE_MAX_BYTES);
    char *p = put_time(start, e->start_us);
    *p++ = ' ';
    p = put_peer(p, e->peer);
    *p++ = ' ';
    *p++ = '"';

    field f = {p, FW_ALOG_MAX_METHOD, false};
    esc(&f, e->method.p, e->method.len);
    p = field_end(&f, p);
    *p++ = ' ';

    f = (field){p, FW_ALOG_MAX_TARGET, false};
    esc(&f, e->path.p, e->path.len);
    if (e->redact_query) {
        esc_query_names(&f, e->query);
    } else if (e->query.len) {
        esc(&f, "?", 1);
        esc(&f, e->query.p, e->query.len);
    }
    p = field_end(&f, p);
    *p++ = ' ';

    p = put_version(p, e->version);
    *p++ = '"';
    *p++ = ' ';
    if (e->status >= 0)
        p = put_u64(p, (uint64_t)e->status);
    else
        *p++ = '-';
    *p++ = ' ';
    p = put_u64(p, e->bytes);
    *p++ = ' ';
    p = put_u64(p, e->duration_us);
    *p++ = ' ';

    f = (field){p, MAX_ACCESS, false};
    esc(&f, e->access.p, e->access.len);
    p = field_end(&f, p);
    *p++ = ' ';
    p = put_u64(p, e->loop < 0 ? 0 : (uint64_t)e->loop);
    *p++ = '\n';

    out->len += (size_t)(p - start);
    out->data[out->len] = 0;
}

/* ------------------------------------------------------------------------
 * The file. */

struct fw_alog {
    pthread_mutex_t mu; /* serialises writes, reopening and error accounting */
    char *path;         /* NULL = standard error (never reopened or closed) */
    int fd;
    bool chunked;       /* not a regular file: line-aligned writes of at most PIPE_BUF */
    atomic_uint gen;    /* the reopen request the descriptor answers */
    int64_t err_at_ms;  /* last write error report, -1 = none yet */
    uint64_t lost;      /* bytes dropped since that report */
};

static atomic_uint g_reopen_gen;

void fw_alog_request_reopen(void)
{
    atomic_fetch_add_explicit(&g_reopen_gen, 1, memory_order_relaxed);
}

static bool is_regular(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static int open_path(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

int fw_alog_open(const char *path, fw_alog **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!path || !*path) {
        snprintf(err, errlen, "access log: empty path");
        return -1;
    }
    fw_alog *log = calloc(1, sizeof *log);
    if (!log) {
        snprintf(err, errlen, "access log: out of memory");
        return -1;
    }
    atomic_init(&log->gen, atomic_load(&g_reopen_gen));
    log->err_at_ms = -1;
    if (strcmp(path, "-") == 0) {
        log->fd = STDERR_FILENO;
    } else {
        log->path = strdup(path);
        if (!log->path || (log->fd = open_path(path)) < 0) {
            snprintf(err, errlen, "cannot open access log %s: %s", path, log->path ? strerror(errno) : "out of memory");
            free(log->path);
            free(log);
            return -1;
        }
    }
    log->chunked = !is_regular(log->fd);
    pthread_mutex_init(&log->mu, NULL);
    *out = log;
    return 0;
}

void fw_alog_close(fw_alog *log)
{
    if (!log)
        return;
    if (log->path)
        close(log->fd);
    pthread_mutex_destroy(&log->mu);
    free(log->path);
    free(log);
}

/* With the mutex held. A failed reopen keeps the old descriptor until the
 * next request, so no line is lost to a transient error. */
static void reopen_locked(fw_alog *log)
{
    unsigned want = atomic_load(&g_reopen_gen);
    int fd = open_path(log->path);
    if (fd < 0) {
        fprintf(stderr, "followd: cannot reopen access log %s: %s (still writing to the old file)\n", log->path,
                strerror(errno));
    } else {
        close(log->fd);
        log->fd = fd;
        log->chunked = !is_regular(fd);
    }
    atomic_store(&log->gen, want);
}

/* Returns the number of bytes not written (0 = all). */
static size_t write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return n;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* For pipes and terminals: pieces of whole lines, each at most PIPE_BUF, so
 * other writers' lines (stderr is shared) can only fall between ours. */
static size_t write_lines(int fd, const char *p, size_t n)
{
    while (n > 0) {
        size_t k = n;
        if (k > PIPE_BUF) {
            const char *nl = memrchr(p, '\n', PIPE_BUF);
            k = nl ? (size_t)(nl - p) + 1 : PIPE_BUF;
        }
        size_t left = write_all(fd, p, k);
        if (left)
            return n - (k - left);
        p += k;
        n -= k;
    }
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fw_alog_flush(fw_alog *log, fw_buf *buf)
{
    bool reopen = log->path && atomic_load_explicit(&log->gen, memory_order_relaxed) !=
                                   atomic_load_explicit(&g_reopen_gen, memory_order_relaxed);
    if (buf->len == 0 && !reopen)
        return;
    pthread_mutex_lock(&log->mu);
    if (log->path && atomic_load(&log->gen) != atomic_load(&g_reopen_gen))
        reopen_locked(log);
    if (buf->len) {
        size_t left = log->chunked ? write_lines(log->fd, buf->data, buf->len) : write_all(log->fd, buf->data, buf->len);
        if (left) {
            int e = errno;
            log->lost += left;
            int64_t now = mono_ms();
            if (log->err_at_ms < 0 || now - log->err_at_ms >= ERROR_REPORT_MS) {
                fprintf(stderr, "followd: access log write failed: %s (%llu bytes of lines lost)\n", strerror(e),
                        (unsigned long long)log->lost);
                log->err_at_ms = now;
                log->lost = 0;
            }
        }
    }
    pthread_mutex_unlock(&log->mu);
    fw_buf_reset(buf);
}
