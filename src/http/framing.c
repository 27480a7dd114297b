/* HTTP/1.1 message framing guard against request smuggling (RFC 9112
 * sections 6.1 and 6.3).
 *
 * libh2o 2.2.5 decides the body framing itself and hands the handler only the
 * result: with both Content-Length and Transfer-Encoding it uses the chunked
 * framing, with two Content-Length headers the first one, with two
 * Transfer-Encoding headers the last one, and it keeps the connection open, so
 * a front end that framed the same bytes differently would have the rest run
 * here as another request. Those headers never reach h2o_req_t. They are
 * still in the connection's input buffer, though: h2o consumes a request's
 * bytes only after its response was sent, so when the handler runs the buffer
 * starts with this request's head (decrypted, on TLS). This guard parses that
 * head again with h2o's own picohttpparser and refuses any ambiguous framing;
 * the caller answers 400 and closes the connection, so nothing after the
 * request is ever parsed. */
#include "http/http_internal.h"

#include <string.h>
#include <strings.h>

/* picohttpparser, exported by libh2o-evloop 2.2.5 (deps/picohttpparser/picohttpparser.h
 * of h2o v2.2.5; Debian installs no header for it). */
struct phr_header {
    const char *name; /* NULL for an obs-fold continuation line */
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

static bool name_is(const struct phr_header *h, const char *name)
{
    size_t n = strlen(name);
    return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

/* Fast path for the common head (http_internal.h). h2o lower-cased every
 * header name in place when it parsed the head, and refused a name with
 * anything but token characters before its colon, so a line that starts
 * "content-length:" or "transfer-encoding:" is such a header. */
int fw_http1_framing_lines(const char *p, size_t n)
{
    int k = 0;
    const char *end = p + n, *nl = memchr(p, '\n', n); /* skip the request line */
    while (nl && nl + 1 < end) {
        const char *line = nl + 1;
        size_t left = (size_t)(end - line);
        if (line[0] == '\n' || (line[0] == '\r' && left > 1 && line[1] == '\n'))
            return k; /* the blank line ending the head */
        if (line[0] == ' ' || line[0] == '\t')
            return -1;
        if ((left > 15 && memcmp(line, "content-length:", 15) == 0) ||
            (left > 18 && memcmp(line, "transfer-encoding:", 18) == 0))
            k++;
        nl = memchr(line, '\n', left);
    }
    return -1;
}

const char *fw_http1_framing_error(h2o_req_t *req)
{
    if (req->version >= 0x200)
        return NULL;
    /* an HTTP/1 request comes from h2o's http1 connection, whose get_socket
     * is the connection's socket */
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (!sock || !sock->input)
        return "The request could not be read again.";
    const char *method, *path;
    size_t method_len, path_len, nh = H2O_MAX_HEADERS;
    int minor;
    struct phr_header h[H2O_MAX_HEADERS];
    size_t len = sock->input->size < H2O_MAX_REQLEN ? sock->input->size : H2O_MAX_REQLEN;
    const char *buf = sock->input->bytes;
    /* the buffer starts with this request: "METHOD SP target", after at most
     * one empty line (which picohttpparser skips, for clients that send CRLF
     * after a body) */
    size_t skip = len > 1 && buf[0] == '\r' && buf[1] == '\n' ? 2 : len > 0 && buf[0] == '\n' ? 1 : 0;
    buf += skip;
    len -= skip;
    size_t ml = req->input.method.len, pl = req->input.path.len;
    if (len < ml + 1 + pl || memcmp(buf, req->input.method.base, ml) != 0 || buf[ml] != ' ' ||
        memcmp(buf + ml + 1, req->input.path.base, pl) != 0)
        return "The request could not be read again.";
    /* at most one framing header and no folding: nothing to disagree about
     * (h2o itself refuses a single Transfer-Encoding other than chunked) */
    int k = fw_http1_framing_lines(buf, len);
    if (k == 0 || k == 1)
        return NULL;
    int n = phr_parse_request(buf, len, &method, &method_len, &path, &path_len, &minor, h, &nh, 0);
    /* h2o parsed exactly these bytes a moment ago: anything else means the
     * buffer is not what this guard expects, and it fails closed. */
    if (n <= 0 || !h2o_memis(method, method_len, req->input.method.base, req->input.method.len) ||
        !h2o_memis(path, path_len, req->input.path.base, req->input.path.len))
        return "The request could not be read again.";
    int cl = 0, te = 0;
    for (size_t i = 0; i < nh; i++) {
        if (h[i].name == NULL)
            return "Header line folding (obs-fold) is not accepted.";
        if (name_is(&h[i], "content-length"))
            cl++;
        else if (name_is(&h[i], "transfer-encoding")) {
            te++;
            if (!h2o_lcstris(h[i].value, h[i].value_len, H2O_STRLIT("chunked")))
                return "Transfer-Encoding must be exactly 'chunked'.";
        }
    }
    if (cl && te)
        return "A request must not carry both Content-Length and Transfer-Encoding.";
    if (cl > 1)
        return "A request must carry at most one Content-Length header.";
    if (te > 1)
        return "A request must carry at most one Transfer-Encoding header.";
    return NULL;
}
