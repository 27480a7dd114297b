/* The stall guard: stalled responses and abandoned HTTP/2 streams. h2o 2.2.5 has no write
 * timeout: a client that stops reading (HTTP/1) or never opens its HTTP/2
 * flow-control window would pin its connection and response forever. And an
 * HTTP/2 client may open and cancel streams without limit ("rapid reset"),
 * making the API render responses nobody reads. */
#include "http/http_internal.h"

#include <stdio.h>
#include <string.h>

#include <linux/tcp.h> /* after h2o.h: tcp_info with tcpi_bytes_acked (glibc's copy lacks it) */

#define ABANDON_BURST 256  /* HTTP/2 responses a connection may abandon in a burst ... */
#define ABANDON_PER_SEC 64 /* ... and per second after that (rapid-reset defence) */

static h2o_socket_t *sock_of(h2o_conn_t *conn)
{
    return conn->callbacks->get_socket ? conn->callbacks->get_socket(conn) : NULL;
}

/* Makes h2o see EOF/EPIPE on the connection's next I/O, so it closes it itself. */
void fw_http_cut_conn(h2o_conn_t *conn)
{
    h2o_socket_t *sock = sock_of(conn);
    if (sock != NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
}

/* A response's progress: for HTTP/2 the bytes of this stream h2o framed (bound
 * by flow control; pings on the connection do not count), for HTTP/1 the bytes
 * the peer acknowledged on the connection, which carries only this response. */
static uint64_t send_progress(h2o_req_t *req)
{
    if (req->version >= 0x200)
        return req->bytes_sent;
    h2o_socket_t *sock = sock_of(req->conn);
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (sock == NULL || getsockopt(h2o_socket_get_fd(sock), IPPROTO_TCP, TCP_INFO, &ti, &l) != 0)
        return 0;
    return ti.tcpi_bytes_acked;
}

void fw_http_stall_sweep(h2o_timeout_entry_t *entry)
{
    struct thread *t = H2O_STRUCT_FROM_MEMBER(struct thread, stall_entry, entry);
    uint64_t now = h2o_now(t->loop);
    /* fw_http_cut_conn only shuts the socket down, so the list stays intact here */
    for (h2o_linklist_t *n = t->sending.next; n != &t->sending; n = n->next) {
        http_req *hr = H2O_STRUCT_FROM_MEMBER(http_req, sending_link, n);
        if (hr->cut)
            continue;
        uint64_t p = send_progress(hr->h2o);
        if (p != hr->progress) {
            hr->progress = p;
            hr->progress_at = now;
        } else if (now - hr->progress_at >= t->srv->timeout_ms) {
            hr->cut = true;
            fw_http_cut_conn(hr->h2o->conn);
        }
    }
    if (!h2o_linklist_is_empty(&t->sending))
        h2o_timeout_link(t->loop, &t->stall_timeout, &t->stall_entry);
}

void fw_http_sending_start(struct thread *t, http_req *hr)
{
    hr->progress = UINT64_MAX; /* the first sweep records the baseline */
    hr->progress_at = h2o_now(t->loop);
    hr->cut = false;
    h2o_linklist_insert(&t->sending, &hr->sending_link);
    if (!h2o_timeout_is_linked(&t->stall_entry))
        h2o_timeout_link(t->loop, &t->stall_timeout, &t->stall_entry);
}

/* The slot of an HTTP/2 connection, its bucket drained to now. A slot taken
 * over by another connection starts empty. */
struct conn_slot *fw_http_conn_slot(struct thread *t, uint64_t id)
{
    struct conn_slot *s = &t->slots[id % CONN_SLOTS];
    uint64_t now = h2o_now(t->loop);
    if (s->id != id) {
        memset(s, 0, sizeof *s);
        s->id = id;
        s->stamp = now;
        return s;
    }
    uint64_t drained = (now - s->stamp) * ABANDON_PER_SEC / 1000;
    if (drained > 0) {
        s->level = drained >= s->level ? 0 : s->level - (uint32_t)drained;
        s->stamp += drained * 1000 / ABANDON_PER_SEC;
    }
    return s;
}

void fw_http_note_abandoned(struct thread *t, h2o_conn_t *conn)
{
    struct conn_slot *s = fw_http_conn_slot(t, conn->id);
    if (s->banned || ++s->level <= ABANDON_BURST)
        return;
    s->banned = true;
    fprintf(stderr, "followd: closing an HTTP/2 connection that cancelled too many requests\n");
    fw_http_cut_conn(conn);
}
