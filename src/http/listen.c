/* Listener sockets (SO_REUSEPORT, one per loop) and the TLS context; see http_internal.h. */
#include "http/http_internal.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <h2o/http2.h>

/* ------------------------------------------------------------------------
 * Listener address and sockets. */

/* Splits "HOST:PORT" / "[V6]:PORT" into host (NUL-terminated, in buf) and port. */
static int parse_listen(const char *s, char *host, size_t hostcap, char *port, size_t portcap)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return -1; /* bare IPv6 must be bracketed */
        hlen = (size_t)(colon - s);
    }
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (hlen == 0 || hlen >= hostcap || plen == 0 || plen >= portcap || plen > 5)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < plen; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = 0;
    memcpy(port, p, plen + 1);
    return 0;
}

static int open_listener(const struct sockaddr *sa, socklen_t salen, bool reuseport, char *err, size_t errcap)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "socket: %s", strerror(errno));
        return -1;
    }
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)) {
        snprintf(err, errcap, "setsockopt: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (bind(fd, sa, salen) != 0) {
        snprintf(err, errcap, "bind: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (reuseport && listen(fd, SOMAXCONN) != 0) {
        snprintf(err, errcap, "listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Binds n SO_REUSEPORT listeners to one address. With port 0 the first one
 * picks the port and the others join it. A probe bind without SO_REUSEPORT
 * first makes "address in use" an error even when the other owner also uses
 * SO_REUSEPORT (otherwise two servers would silently share the port). */
int fw_http_bind_listeners(const char *listen_addr, int n, int *fds, int *port_out)
{
    char host[256], port[8], err[160];
    if (parse_listen(listen_addr, host, sizeof host, port, sizeof port) != 0) {
        fprintf(stderr, "followd: invalid listen address '%s' (want HOST:PORT or [IPv6]:PORT)\n", listen_addr);
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "followd: cannot resolve listen address '%s': %s\n", listen_addr, gai_strerror(gai));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = (socklen_t)res->ai_addrlen;
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);

    for (int i = 0; i < n; i++)
        fds[i] = -1;
    if (strcmp(port, "0") != 0) {
        int probe = open_listener((struct sockaddr *)&ss, sslen, false, err, sizeof err);
        if (probe < 0)
            goto fail;
        close(probe);
    }
    for (int i = 0; i < n; i++) {
        if ((fds[i] = open_listener((struct sockaddr *)&ss, sslen, true, err, sizeof err)) < 0)
            goto fail;
        if (i == 0) {
            /* learn the actual port (for port 0) and bind the others to it */
            socklen_t l = sizeof ss;
            if (getsockname(fds[0], (struct sockaddr *)&ss, &l) != 0) {
                snprintf(err, sizeof err, "getsockname: %s", strerror(errno));
                goto fail;
            }
            sslen = l;
        }
    }
    *port_out = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return 0;
fail:
    fprintf(stderr, "followd: cannot listen on %s: %s\n", listen_addr, err);
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return -1;
}

/* ------------------------------------------------------------------------
 * TLS. */

static void print_ssl_error(const char *what, const char *path)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof buf);
    fprintf(stderr, "followd: %s '%s': %s\n", what, path, e ? buf : "unknown error");
    ERR_clear_error();
}

SSL_CTX *fw_http_ssl_ctx(const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        print_ssl_error("cannot create TLS context", "-");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        print_ssl_error("cannot load TLS certificate", cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        print_ssl_error("cannot load TLS key", key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        print_ssl_error("TLS key does not match certificate", key);
        goto fail;
    }
#if H2O_USE_ALPN
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
#endif
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}
