/* SIP transport on libuv: UDP, TCP and TLS listeners (IPv4 and IPv6), outgoing TCP and TLS
 * connections reused per peer, Content-Length stream framing with bounded buffers, and the
 * send path. The TLS records themselves are tls.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/sip_int.h"
#include "sip/tls.h"

typedef struct sip_wreq {
    uv_write_t req;
    sip_link link; /* in conn->wq while the connection is being made */
    sip_conn *conn;
    size_t len;
    char data[];
} sip_wreq;

typedef struct sip_ureq {
    uv_udp_send_t req;
    size_t len;
    char data[];
} sip_ureq;

static void handle_done(sc_sip *sip) { sip_handle_released(sip); }

/* ---- TCP connections ------------------------------------------------------------------- */

bool sip_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

static void conn_closed(uv_handle_t *h)
{
    sip_conn *c = h->data;
    sc_sip *sip = c->sip;
    while (!sip_list_empty(&c->wq)) {
        sip_wreq *w = SIP_CONTAINER(c->wq.next, sip_wreq, link);
        sip_list_del(&w->link);
        free(w);
    }
    sip_tls_conn_free(c);
    sip_stream_free(&c->in);
    free(c);
    handle_done(sip);
}

static void conn_close(sip_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->sip->nconns--;
    if (c->sip->closing)
        c->t_hs.idx = SIZE_MAX; /* sc_sip_close emptied the timer heap already */
    else
        sip_timer_stop(c->sip, &c->t_hs);
    sip_list_del(&c->link);
    uv_close((uv_handle_t *)&c->h, conn_closed);
}

/* Closes c after a failure; one we made that never carried a message tells the transactions
 * waiting on it (RFC 3263 4.3: they try the next target). */
static void conn_fail(sip_conn *c)
{
    if (c->closing)
        return;
    sc_sip *sip = c->sip;
    struct sockaddr_storage peer = c->peer;
    sc_sip_transport tp = c->tp;
    bool tell = c->outbound && !c->connected;
    conn_close(c);
    if (tell) {
        sip_enter(sip);
        sip_tx_transport_error(sip, tp, &peer);
        sip_leave(sip);
    }
}

static unsigned tcp_idle_ms(const sc_sip *sip) { return sip->cfg.tcp_idle_ms ? sip->cfg.tcp_idle_ms : 300000; }

/* Close the connections quiet for tcp_idle_ms (nothing read, written or queued); runs while
 * any connection exists, every quarter of the idle time (at least 1 s apart). */
static void on_tcp_idle(sip_timer *t)
{
    sc_sip *sip = SIP_CONTAINER(t, sc_sip, t_tcp_idle);
    uint64_t now = sip_now(sip), idle = tcp_idle_ms(sip);
    for (sip_link *l = sip->conns.next, *n; l != &sip->conns; l = n) {
        n = l->next;
        sip_conn *c = SIP_CONTAINER(l, sip_conn, link);
        if (now - c->last_active >= idle && sip_list_empty(&c->wq)) {
            sip->stats.tcp_idle_closed++;
            conn_close(c);
        }
    }
    if (sip->nconns && !sip->closing)
        sip_timer_start(sip, &sip->t_tcp_idle, idle / 4 > 1000 ? idle / 4 : 1000);
}

static int conn_send_bytes(sip_conn *c, const char *data, size_t len);

/* Does a live call's dialog go over c (its transport and first hop)? */
static bool conn_carries_dialog(sc_sip *sip, const sip_conn *c)
{
    for (sip_link *l = sip->calls.next; l != &sip->calls; l = l->next) {
        const sc_sip_call *call = SIP_CONTAINER(l, sc_sip_call, link);
        const sip_dialog *d = &call->d;
        if (d->transport == c->tp && (d->phase == SC_SIP_DIALOG_EARLY || d->phase == SC_SIP_DIALOG_CONFIRMED) &&
            sip_addr_equal(SIP_SS(&d->remote_addr), &c->peer))
            return true;
    }
    return false;
}

/* RFC 5626 4.4.1: a CRLFCRLF ping on each connection we opened that carries a dialog and was
 * quiet keepalive_ms; every keepalive_ms while any connection exists. */
static void on_keepalive(sip_timer *t)
{
    sc_sip *sip = SIP_CONTAINER(t, sc_sip, t_keepalive);
    uint64_t now = sip_now(sip), every = sip->cfg.keepalive_ms;
    for (sip_link *l = sip->conns.next, *n; l != &sip->conns; l = n) {
        n = l->next;
        sip_conn *c = SIP_CONTAINER(l, sip_conn, link);
        if (!c->outbound || !c->connected || c->closing || now - c->last_active < every || !sip_list_empty(&c->wq) ||
            !conn_carries_dialog(sip, c))
            continue;
        if (conn_send_bytes(c, "\r\n\r\n", 4) == 0)
            sip->stats.keepalive_pings++;
    }
    if (sip->nconns && !sip->closing)
        sip_timer_start(sip, &sip->t_keepalive, every);
}

void sip_transport_init(sc_sip *sip)
{
    sip_timer_init(&sip->t_tcp_idle, on_tcp_idle);
    sip_timer_init(&sip->t_keepalive, on_keepalive);
}

/* A TLS handshake still not done at its deadline. */
static void on_handshake_deadline(sip_timer *t)
{
    sip_conn *c = SIP_CONTAINER(t, sip_conn, t_hs);
    sip_tls_fail(c, SC_SIP_TLS_FAIL_TIMEOUT, "no finished handshake");
    conn_fail(c);
}

static sip_conn *conn_new(sc_sip *sip, sc_sip_transport tp)
{
    sip_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sip = sip;
    c->tp = tp;
    sip_list_init(&c->wq);
    sip_list_init(&c->link);
    sip_timer_init(&c->t_hs, on_handshake_deadline);
    if (uv_tcp_init(sip->loop, &c->h) != 0) {
        free(c);
        return NULL;
    }
    c->h.data = c;
    c->in.max = sip->cfg.max_message_size;
    c->last_active = sip_now(sip);
    sip->open_handles++;
    sip->nconns++;
    sip_list_add(&sip->conns, &c->link);
    if (!sip_timer_armed(&sip->t_tcp_idle)) {
        uint64_t idle = tcp_idle_ms(sip);
        sip_timer_start(sip, &sip->t_tcp_idle, idle / 4 > 1000 ? idle / 4 : 1000);
    }
    if (sip->cfg.keepalive_ms && !sip_timer_armed(&sip->t_keepalive))
        sip_timer_start(sip, &sip->t_keepalive, sip->cfg.keepalive_ms);
    return c;
}

/* TLS: the SSL state, the handshake deadline. 0 or <0 (close c). */
static int conn_tls_start(sip_conn *c, bool server)
{
    if (c->tp != SC_SIP_TLS)
        return 0;
    int rc = sip_tls_conn_start(c, server);
    if (rc == 0)
        rc = sip_timer_start(c->sip, &c->t_hs, c->sip->cfg.tls_handshake_ms ? c->sip->cfg.tls_handshake_ms : 10000);
    return rc;
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    sip_conn *c = h->data;
    size_t avail;
    (void)hint;
    if (c->tls) {
        sip_tls_rbuf(c, &buf->base, &avail);
        buf->len = avail;
        return;
    }
    sip_stream_space(&c->in, &buf->base, &avail);
    buf->len = avail;
}

static void stream_garbage(sip_conn *c)
{
    c->sip->stats.rejected[SC_SIP_REJ_STREAM_GARBAGE]++;
    sc_log(c->sip->cfg.logger, SC_LOG_WARN, SIP_MODULE, "dropping %s connection: unframed stream",
           c->tp == SC_SIP_TLS ? "TLS" : "TCP");
    conn_close(c);
}

/* RFC 5626 4.4.1: a ping (CRLFCRLF between messages) gets a CRLF at once, on a connection the
 * peer opened (on ours, CRLFs are the pongs to our pings). */
static void answer_pings(sip_conn *c)
{
    if (!c->in.pings || c->closing)
        return;
    c->in.pings = 0;
    if (!c->outbound && conn_send_bytes(c, "\r\n", 2) == 0)
        c->sip->stats.keepalive_pongs++;
}

/* Frames and hands on every complete message of c->in; the rest waits for more. sip entered. */
static void conn_frame(sip_conn *c)
{
    sc_sip *sip = c->sip;
    uint64_t examined = c->in.examined;
    while (!c->closing) {
        const char *msg = NULL;
        long n = sip_stream_next(&c->in, &msg);
        answer_pings(c);
        if (n < 0 || (n == 0 && c->in.len >= c->in.cap)) {
            stream_garbage(c);
            break;
        }
        if (n == 0)
            break;
        sc_sip_feed(sip, c->tp, (const struct sockaddr *)&c->peer, msg, (size_t)n);
    }
    sip->stats.tcp_bytes_examined += c->in.examined - examined;
    answer_pings(c);
    if (!c->closing)
        sip_stream_compact(&c->in);
}

static int conn_write_raw(sip_conn *c, sip_wreq *w);
static int conn_send(sip_conn *c, sip_wreq *w);

/* The connection can carry messages (TCP connected, TLS handshake done): the queued ones go. */
static void conn_ready(sip_conn *c)
{
    c->connected = true;
    sip_timer_stop(c->sip, &c->t_hs);
    while (!sip_list_empty(&c->wq)) {
        sip_wreq *w = SIP_CONTAINER(c->wq.next, sip_wreq, link);
        sip_list_del(&w->link);
        c->queued -= w->len;
        if (conn_send(c, w) < 0) {
            c->sip->stats.send_errors++;
            conn_close(c);
            return;
        }
    }
}

/* TLS: ciphertext in, the handshake advanced, the plaintext framed. */
static void conn_read_tls(sip_conn *c, const char *data, size_t n)
{
    sc_sip *sip = c->sip;
    bool was_ready = c->connected;
    int rc = sip_tls_input(c, data, n);
    if (rc < 0) {
        conn_fail(c);
        return;
    }
    if (rc == 1 && !was_ready) {
        conn_ready(c);
        if (c->closing)
            return;
    }
    sip_enter(sip);
    while (!c->closing) {
        char *base;
        size_t avail;
        sip_stream_space(&c->in, &base, &avail);
        long got = base ? sip_tls_read_plain(c, base, avail) : 0;
        if (got < 0) {
            conn_close(c);
            break;
        }
        if (got == 0 && avail == 0) {
            stream_garbage(c);
            break;
        }
        if (got == 0)
            break;
        sip_stream_added(&c->in, (size_t)got);
        conn_frame(c);
    }
    sip_leave(sip);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    sip_conn *c = s->data;
    sc_sip *sip = c->sip;
    if (nread < 0) {
        if (c->tls)
            sip_tls_eof(c);
        if (c->tls_failed)
            conn_fail(c);
        else
            conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    c->last_active = sip_now(sip);
    sip->stats.tcp_bytes_in += (uint64_t)nread;
    if (c->tls) {
        conn_read_tls(c, buf->base, (size_t)nread);
        return;
    }
    sip_stream_added(&c->in, (size_t)nread);
    sip_enter(sip);
    conn_frame(c);
    sip_leave(sip);
}

static void conn_written(uv_write_t *req, int status)
{
    sip_wreq *w = SIP_CONTAINER(req, sip_wreq, req);
    if (status < 0 && w->conn && !w->conn->closing) {
        w->conn->sip->stats.send_errors++;
        conn_close(w->conn);
    }
    free(w);
}

static int conn_write_raw(sip_conn *c, sip_wreq *w)
{
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    c->last_active = sip_now(c->sip);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, conn_written);
    if (rc < 0)
        free(w);
    return rc;
}

static sip_wreq *wreq_new(sip_conn *c, const char *data, size_t len)
{
    sip_wreq *w = malloc(sizeof *w + len);
    if (!w)
        return NULL;
    memcpy(w->data, data, len);
    w->len = len;
    w->conn = c;
    sip_list_init(&w->link);
    return w;
}

int sip_conn_write_raw(sip_conn *c, const char *data, size_t len)
{
    sip_wreq *w = wreq_new(c, data, len);
    return w ? conn_write_raw(c, w) : -ENOMEM;
}

/* A message on a ready connection: as it is, or through TLS (a TLS connection that cannot take
 * it is closed: its SSL state is of no more use). Takes w. */
static int conn_send(sip_conn *c, sip_wreq *w)
{
    if (!c->tls)
        return conn_write_raw(c, w);
    c->last_active = sip_now(c->sip);
    int rc = sip_tls_write(c, w->data, w->len);
    free(w);
    if (rc < 0)
        conn_close(c);
    return rc;
}

/* A few bytes of our own (keep-alive) on a ready connection. */
static int conn_send_bytes(sip_conn *c, const char *data, size_t len)
{
    if (!c->connected || c->closing)
        return -ENOTCONN;
    sip_wreq *w = wreq_new(c, data, len);
    return w ? conn_send(c, w) : -ENOMEM;
}

static void conn_connected(uv_connect_t *req, int status)
{
    sip_conn *c = req->data;
    if (status < 0) {
        if (!c->closing) {
            c->sip->stats.send_errors++;
            conn_fail(c);
        }
        return;
    }
    uv_tcp_nodelay(&c->h, 1);
    uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
    if (!c->tls) {
        conn_ready(c);
        return;
    }
    if (sip_tls_handshake(c) < 0) /* the client hello */
        conn_fail(c);
}

static int stream_send(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *dst, const char *data,
                       size_t len)
{
    sip_conn *c = NULL;
    for (sip_link *l = sip->conns.next; l != &sip->conns; l = l->next) {
        sip_conn *x = SIP_CONTAINER(l, sip_conn, link);
        if (!x->closing && x->tp == tp && sip_addr_equal(&x->peer, dst) && sip_tls_may_reuse(x)) {
            c = x;
            break;
        }
    }
    if (!c) {
        c = conn_new(sip, tp);
        if (!c)
            return -ENOMEM;
        c->peer = *dst;
        c->outbound = true;
        c->creq.data = c;
        int rc = conn_tls_start(c, false);
        if (rc == 0)
            rc = uv_tcp_connect(&c->creq, &c->h, (const struct sockaddr *)dst, conn_connected);
        if (rc < 0) {
            conn_close(c);
            return rc;
        }
    }
    sip_wreq *w = wreq_new(c, data, len);
    if (!w)
        return -ENOMEM;
    if (c->connected)
        return conn_send(c, w);
    if (c->queued + len > SIP_TCP_QUEUE_MAX) {
        free(w);
        return -EAGAIN;
    }
    c->queued += len;
    sip_list_add(&c->wq, &w->link);
    return 0;
}

/* Incoming connections from the IP of peer (any port). */
static unsigned conns_from(sc_sip *sip, const struct sockaddr_storage *peer)
{
    unsigned n = 0;
    for (sip_link *l = sip->conns.next; l != &sip->conns; l = l->next) {
        const sip_conn *c = SIP_CONTAINER(l, sip_conn, link);
        if (c->peer.ss_family != peer->ss_family)
            continue;
        if (peer->ss_family == AF_INET
                ? ((const struct sockaddr_in *)&c->peer)->sin_addr.s_addr ==
                      ((const struct sockaddr_in *)peer)->sin_addr.s_addr
                : !memcmp(&((const struct sockaddr_in6 *)&c->peer)->sin6_addr,
                          &((const struct sockaddr_in6 *)peer)->sin6_addr, sizeof(struct in6_addr)))
            n++;
    }
    return n;
}

/* Over the total or the per-peer limit: the new connection is refused (closed at once). */
static bool over_limit(sc_sip *sip, const sip_conn *c)
{
    unsigned max = sip->cfg.max_tcp_connections ? sip->cfg.max_tcp_connections : 1024;
    unsigned per_peer = sip->cfg.max_tcp_per_peer ? sip->cfg.max_tcp_per_peer : 32;
    return sip->nconns > max || conns_from(sip, &c->peer) > per_peer;
}

static void on_connection(uv_stream_t *server, int status)
{
    sip_listener *l = server->data;
    sc_sip *sip = l->sip;
    if (status < 0 || sip->closing)
        return;
    sip_conn *c = conn_new(sip, l->tp);
    if (!c)
        return;
    int len = sizeof c->peer;
    if (uv_accept(server, (uv_stream_t *)&c->h) != 0 ||
        uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &len) != 0) {
        conn_close(c);
        return;
    }
    if (over_limit(sip, c)) {
        sip->stats.tcp_refused++;
        char host[64];
        uint16_t port;
        if (sip->stats.tcp_refused % 100 == 1 && sip_addr_str(&c->peer, host, sizeof host, &port) == 0)
            sc_log(sip->cfg.logger, SC_LOG_WARN, SIP_MODULE, "TCP connection from %s:%u refused: limit (%llu so far)",
                   host, port, (unsigned long long)sip->stats.tcp_refused);
        conn_close(c);
        return;
    }
    if (conn_tls_start(c, true) != 0) {
        conn_close(c);
        return;
    }
    c->connected = !c->tls; /* TLS: once the handshake is done */
    uv_tcp_nodelay(&c->h, 1);
    uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

/* ---- UDP ------------------------------------------------------------------------------- */

/* UDP listeners read with recvmmsg(2) (libuv's UV_UDP_RECVMMSG): one system call takes up to
 * UDP_MMSG datagrams that queued while the loop was busy, each into its own 64 KiB slice of
 * the listener's buffer (libuv's chunk size), handed to udp_recv one by one. The buffer is
 * touched only as far as datagrams fill it. */
#define UDP_CHUNK (64 * 1024)
#define UDP_MMSG 16

static size_t udp_rbuf_len(const sc_sip *sip)
{
    size_t one = sip->cfg.max_message_size + 1;
    return one > (size_t)UDP_CHUNK * UDP_MMSG ? one : (size_t)UDP_CHUNK * UDP_MMSG;
}

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    sip_listener *l = h->data;
    (void)hint;
    buf->base = l->rbuf;
    buf->len = udp_rbuf_len(l->sip);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *src, unsigned flags)
{
    sip_listener *l = h->data;
    if (nread <= 0 || !src)
        return;
    if ((size_t)nread > l->sip->cfg.max_message_size || (flags & UV_UDP_PARTIAL)) {
        l->sip->stats.rejected[SC_SIP_REJ_TOO_LARGE]++;
        return;
    }
    sc_sip_feed(l->sip, SC_SIP_UDP, src, buf->base, (size_t)nread);
}

static void udp_sent(uv_udp_send_t *req, int status)
{
    (void)status;
    free(SIP_CONTAINER(req, sip_ureq, req));
}

static int udp_send(sc_sip *sip, const struct sockaddr_storage *dst, const char *data, size_t len)
{
    sip_listener *l = sip_listener_for(sip, SC_SIP_UDP, dst->ss_family);
    if (!l || l->addr.ss_family != dst->ss_family)
        return -EAFNOSUPPORT;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int rc = uv_udp_try_send(&l->h.udp, &b, 1, (const struct sockaddr *)dst);
    if (rc >= 0)
        return 0;
    if (rc != UV_EAGAIN)
        return rc;
    sip_ureq *u = malloc(sizeof *u + len);
    if (!u)
        return -ENOMEM;
    memcpy(u->data, data, len);
    u->len = len;
    b = uv_buf_init(u->data, (unsigned)len);
    rc = uv_udp_send(&u->req, &l->h.udp, &b, 1, (const struct sockaddr *)dst, udp_sent);
    if (rc < 0)
        free(u);
    return rc;
}

int sip_send(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *dst, const char *data, size_t len)
{
    if (sip->cfg.send_hook && sip->cfg.send_hook(sip->cfg.ud, tp, (const struct sockaddr *)dst, data, len))
        return 0;
    return sc_sip_send_unhooked(sip, tp, dst, data, len);
}

int sc_sip_send_unhooked(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *dst, const char *data,
                         size_t len)
{
    if (!sip || !dst || !data)
        return -EINVAL;
    if (sip->closing)
        return -ECANCELED;
    int rc = tp == SC_SIP_UDP ? udp_send(sip, dst, data, len) : stream_send(sip, tp, dst, data, len);
    if (rc < 0) {
        sip->stats.send_errors++;
        sc_log(sip->cfg.logger, SC_LOG_DEBUG, SIP_MODULE, "send failed: %s", uv_strerror(rc));
    }
    return rc;
}

/* How many of m[0..n) (UDP, at most UDP_BATCH) go out on listener l in one sendmmsg: 0 when
 * the first cannot (not UDP, no listener, libuv's queue not empty: order first), then it is
 * sent alone. */
#define UDP_BATCH 64
static size_t udp_run(sc_sip *sip, const sc_sip_outmsg *m, size_t n, sip_listener **l)
{
    if (m[0].tp != SC_SIP_UDP || !m[0].dst || !m[0].data)
        return 0;
    int family = m[0].dst->ss_family;
    *l = sip_listener_for(sip, SC_SIP_UDP, family);
    if (!*l || (*l)->addr.ss_family != family || uv_udp_get_send_queue_count(&(*l)->h.udp) != 0)
        return 0;
    size_t k = 1;
    while (k < n && k < UDP_BATCH && m[k].tp == SC_SIP_UDP && m[k].dst && m[k].data && m[k].dst->ss_family == family)
        k++;
    return k;
}

/* m[0..k) on l's socket; how many the kernel took (0 when the first failed). */
static size_t udp_sendmmsg(sip_listener *l, const sc_sip_outmsg *m, size_t k)
{
    struct mmsghdr mm[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    uv_os_fd_t fd;
    if (uv_fileno((const uv_handle_t *)&l->h.udp, &fd) != 0)
        return 0;
    memset(mm, 0, k * sizeof *mm);
    for (size_t i = 0; i < k; i++) {
        iov[i].iov_base = (void *)m[i].data;
        iov[i].iov_len = m[i].len;
        mm[i].msg_hdr.msg_name = (void *)m[i].dst;
        mm[i].msg_hdr.msg_namelen = m[i].dst->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                    : sizeof(struct sockaddr_in);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int r;
    do
        r = sendmmsg(fd, mm, (unsigned)k, 0);
    while (r < 0 && errno == EINTR);
    return r > 0 ? (size_t)r : 0;
}

size_t sc_sip_send_many_unhooked(sc_sip *sip, const sc_sip_outmsg *m, size_t n)
{
    size_t failed = 0;
    for (size_t i = 0; i < n;) {
        sip_listener *l = NULL;
        size_t k = sip && !sip->closing ? udp_run(sip, m + i, n - i, &l) : 0;
        size_t sent = k ? udp_sendmmsg(l, m + i, k) : 0;
        if (sent) {
            i += sent;
            continue;
        }
        /* alone: libuv's path (its queue on EAGAIN) and the error count */
        if (sc_sip_send_unhooked(sip, m[i].tp, m[i].dst, m[i].data, m[i].len) < 0)
            failed++;
        i++;
    }
    return failed;
}

/* ---- listeners ------------------------------------------------------------------------- */

sip_listener *sip_listener_for(sc_sip *sip, sc_sip_transport tp, int family)
{
    sip_listener *any = NULL;
    for (size_t i = 0; i < sip->nlisteners; i++) {
        sip_listener *l = sip->listeners[i];
        if (l->tp != tp)
            continue;
        if (l->addr.ss_family == family)
            return l;
        if (!any)
            any = l;
    }
    return any;
}

static int parse_spec(const char *spec, sc_sip_transport *tp, struct sockaddr_storage *addr)
{
    if (strncasecmp(spec, "udp:", 4) == 0)
        *tp = SC_SIP_UDP;
    else if (strncasecmp(spec, "tcp:", 4) == 0)
        *tp = SC_SIP_TCP;
    else if (strncasecmp(spec, "tls:", 4) == 0)
        *tp = SC_SIP_TLS;
    else
        return -EINVAL;
    const char *hp = spec + 4;
    char host[64];
    const char *colon;
    if (hp[0] == '[') {
        const char *rb = strchr(hp, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - hp - 1) >= sizeof host)
            return -EINVAL;
        memcpy(host, hp + 1, (size_t)(rb - hp - 1));
        host[rb - hp - 1] = '\0';
        colon = rb + 1;
    } else {
        colon = strrchr(hp, ':');
        if (!colon || (size_t)(colon - hp) >= sizeof host)
            return -EINVAL;
        memcpy(host, hp, (size_t)(colon - hp));
        host[colon - hp] = '\0';
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return -EINVAL;
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)addr) == 0)
        return 0;
    if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)addr) == 0)
        return 0;
    return -EINVAL;
}

static void listener_closed(uv_handle_t *h)
{
    sip_listener *l = h->data;
    sc_sip *sip = l->sip;
    free(l->rbuf);
    free(l);
    handle_done(sip);
}

static int bind_listener(sc_sip *sip, sip_listener *l)
{
    int rc;
    const struct sockaddr *a = (const struct sockaddr *)&l->addr;
    unsigned v6only = l->addr.ss_family == AF_INET6 ? UV_UDP_IPV6ONLY : 0;
    if (l->tp == SC_SIP_UDP) {
        rc = uv_udp_init_ex(sip->loop, &l->h.udp, AF_UNSPEC | UV_UDP_RECVMMSG);
        if (rc < 0)
            return rc;
        sip->open_handles++;
        l->h.udp.data = l;
        rc = uv_udp_bind(&l->h.udp, a, v6only); /* exclusive: no SO_REUSEADDR, a second daemon fails */
        if (rc == 0) { /* a large receive buffer so bursts wait instead of being dropped; best effort
                        * (the kernel caps it at net.core.rmem_max) */
            int rcvbuf = SIP_UDP_RCVBUF;
            (void)uv_recv_buffer_size(&l->h.handle, &rcvbuf);
            rc = uv_udp_recv_start(&l->h.udp, udp_alloc, udp_recv);
        }
    } else {
        rc = uv_tcp_init(sip->loop, &l->h.tcp);
        if (rc < 0)
            return rc;
        sip->open_handles++;
        l->h.tcp.data = l;
        rc = uv_tcp_bind(&l->h.tcp, a, v6only ? UV_TCP_IPV6ONLY : 0);
        if (rc == 0)
            rc = uv_listen((uv_stream_t *)&l->h.tcp, 128, on_connection);
    }
    if (rc < 0)
        return rc;
    int len = sizeof l->addr;
    if (l->tp == SC_SIP_UDP)
        rc = uv_udp_getsockname(&l->h.udp, (struct sockaddr *)&l->addr, &len);
    else
        rc = uv_tcp_getsockname(&l->h.tcp, (struct sockaddr *)&l->addr, &len);
    return rc;
}

static bool is_wildcard(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
    if (a->ss_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
    return false;
}

int sc_sip_route_source(const struct sockaddr_storage *peer, char *host, size_t cap)
{
    if (!peer || (peer->ss_family != AF_INET && peer->ss_family != AF_INET6) || !host || !cap)
        return -EINVAL;
    int fd = socket(peer->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_storage dst = *peer, local;
    socklen_t dlen = peer->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (((struct sockaddr_in *)&dst)->sin_port == 0)
        ((struct sockaddr_in *)&dst)->sin_port = htons(9); /* connect needs a port; nothing is sent */
    socklen_t llen = sizeof local;
    int rc = 0;
    if (connect(fd, (struct sockaddr *)&dst, dlen) != 0 || getsockname(fd, (struct sockaddr *)&local, &llen) != 0)
        rc = -errno;
    close(fd);
    if (rc)
        return rc;
    uint16_t port;
    return sip_addr_str(&local, host, cap, &port);
}

void sip_host_for(const sip_listener *l, const struct sockaddr_storage *peer, char *host, size_t cap)
{
    if (l->route_host && peer && sc_sip_route_source(peer, host, cap) == 0)
        return;
    snprintf(host, cap, "%s", l->host);
}

/* "udp:HOST:PORT[,advertise=ADDR]": the advertised address, if any, into adv. */
static int split_advertise(const char *spec, char *base, size_t cap, char *adv, size_t acap)
{
    const char *comma = strchr(spec, ',');
    adv[0] = '\0';
    if (!comma) {
        snprintf(base, cap, "%s", spec);
        return 0;
    }
    if ((size_t)(comma - spec) >= cap || strncmp(comma + 1, "advertise=", 10) != 0)
        return -EINVAL;
    const char *a = comma + 11;
    unsigned char buf[sizeof(struct in6_addr)];
    if (strlen(a) >= acap || (inet_pton(AF_INET, a, buf) != 1 && inet_pton(AF_INET6, a, buf) != 1))
        return -EINVAL;
    memcpy(base, spec, (size_t)(comma - spec));
    base[comma - spec] = '\0';
    snprintf(adv, acap, "%s", a);
    return 0;
}

int sip_transport_listen(sc_sip *sip, const char *spec)
{
    if (!spec || sip->nlisteners >= SIP_MAX_LISTENERS || sip->closing)
        return -EINVAL;
    char base[128], adv[64];
    if (split_advertise(spec, base, sizeof base, adv, sizeof adv) != 0)
        return -EINVAL;
    sip_listener *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->sip = sip;
    int rc = parse_spec(base, &l->tp, &l->addr);
    if (rc == 0 && l->tp == SC_SIP_TLS && !sip_tls_can_serve(sip))
        rc = -ENOKEY; /* a TLS listener presents a certificate */
    if (rc < 0) {
        free(l);
        return rc;
    }
    if (l->tp == SC_SIP_UDP && !(l->rbuf = malloc(udp_rbuf_len(sip)))) {
        free(l);
        return -ENOMEM;
    }
    rc = bind_listener(sip, l);
    if (rc < 0) {
        if (uv_is_active(&l->h.handle) || l->h.handle.loop)
            uv_close(&l->h.handle, listener_closed);
        else
            free(l);
        return rc;
    }
    sip_addr_str(&l->addr, l->host, sizeof l->host, &l->port);
    if (adv[0])
        snprintf(l->host, sizeof l->host, "%s", adv);
    else if (sip->contact_host)
        snprintf(l->host, sizeof l->host, "%s", sip->contact_host);
    else /* never 0.0.0.0 or :: on the wire: the route's source toward each peer */
        l->route_host = is_wildcard(&l->addr);
    sip->listeners[sip->nlisteners++] = l;
    sc_log(sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "listening on %s (port %u)", spec, l->port);
    return 0;
}

void sip_transport_close(sc_sip *sip)
{
    for (size_t i = 0; i < sip->nlisteners; i++)
        uv_close(&sip->listeners[i]->h.handle, listener_closed);
    sip->nlisteners = 0;
    while (!sip_list_empty(&sip->conns))
        conn_close(SIP_CONTAINER(sip->conns.next, sip_conn, link));
    sip->t_tcp_idle.idx = SIZE_MAX; /* sc_sip_close emptied the timer heap already */
    sip->t_keepalive.idx = SIZE_MAX;
}
