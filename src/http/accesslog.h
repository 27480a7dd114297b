/* The access log: one line per finished request (format in docs/http.md).
 *
 * The HTTP layer formats each line on its loop thread, with fw_alog_format(),
 * into a buffer that thread owns, and hands the buffer to fw_alog_flush() once
 * it holds FW_ALOG_FLUSH_BYTES, every FW_ALOG_FLUSH_MS and when the thread
 * ends. So a request costs no lock and no system call; a flush is one write(2)
 * on an O_APPEND descriptor under the log's mutex, so lines of different
 * threads never interleave. fw_alog_request_reopen() (async-signal-safe, for
 * SIGHUP) makes the next flush reopen the path first (logrotate).
 *
 * Privacy: the request line never carries the query values of a request
 * whose router marked it (redact_query: the OAuth endpoints, see
 * api/routes.c), only the parameter names; no header, cookie or body is logged. Every
 * byte a client controls is escaped, so a request cannot break or forge a line.
 *
 * Ownership: an fw_alog is opaque, made by fw_alog_open() and released by
 * fw_alog_close(); the strings of an fw_alog_entry are borrowed for the call.
 * Only the HTTP layer uses this module. */
#ifndef FW_HTTP_ACCESSLOG_H
#define FW_HTTP_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/str.h"

#define FW_ALOG_FLUSH_BYTES (64 * 1024)
#define FW_ALOG_FLUSH_MS 1000
/* Escaped bytes kept of a request target and of a method (longer ones end in "..."),
 * so that a line always fits in one atomic pipe write (PIPE_BUF). */
#define FW_ALOG_MAX_TARGET 2048
#define FW_ALOG_MAX_METHOD 32

typedef struct fw_alog_entry {
    int64_t start_us;            /* when the request began, microseconds since the epoch */
    uint64_t duration_us;        /* until the response was finished */
    const struct sockaddr *peer; /* AF_INET or AF_INET6; NULL or another family = "-" */
    fw_str method;
    fw_str path;                 /* raw path without the query */
    fw_str query;                /* raw query without '?'; empty = none */
    bool redact_query;           /* write only the query's parameter names (fw_req.redact_query) */
    int version;                 /* h2o's encoding: 0x100 HTTP/1.0, 0x101 HTTP/1.1, 0x200 HTTP/2 */
    int status;
    uint64_t bytes;              /* response body bytes sent */
    fw_str access;               /* the API's x-access-level, empty = unauthenticated */
    int loop;                    /* event-loop thread index */
} fw_alog_entry;

/* Appends one line, terminated by '\n', to out. */
void fw_alog_format(fw_buf *out, const fw_alog_entry *e);

typedef struct fw_alog fw_alog; /* opaque */

/* Opens path for appending (created 0640 if missing), or standard error for
 * "-". Returns 0, or -1 with a one-line reason in err. */
int fw_alog_open(const char *path, fw_alog **out, char *err, size_t errlen);
/* Closes the file (standard error stays open). Flush every buffer first. */
void fw_alog_close(fw_alog *log);

/* Writes buf's lines and empties buf; reopens the path first if a reopen was
 * requested since the file was opened. Thread-safe. Write errors are reported
 * on stderr (at most every 10 s) and the lines dropped: a full disk must not
 * grow the server's memory. */
void fw_alog_flush(fw_alog *log, fw_buf *buf);

/* Makes every log reopen its path at its next flush. Async-signal-safe. */
void fw_alog_request_reopen(void);

#endif
