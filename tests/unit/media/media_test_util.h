/* media_test_util: helpers shared by the media tests: a raw UDP receiver on 127.0.0.1 in the
 * test's uv loop that records every datagram with its arrival time, a raw sender, running
 * the loop for a while, and RTP field readers. */
#ifndef MEDIA_TEST_UTIL_H
#define MEDIA_TEST_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include "session_core/media.h"

#define RX_MAX 4096
#define RX_LEN 400

typedef struct rx_pkt {
    uint8_t data[RX_LEN];
    size_t len;
    uint64_t at_us; /* arrival (uv_hrtime) */
} rx_pkt;

typedef struct rx_sock {
    uv_udp_t udp;
    uint16_t port;
    rx_pkt *pkts; /* RX_MAX entries */
    size_t n;
    char buf[2048];
} rx_sock;

static inline void rx_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    rx_sock *r = h->data;
    (void)s;
    *b = uv_buf_init(r->buf, sizeof r->buf);
}

static inline void rx_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *a, unsigned f)
{
    rx_sock *r = h->data;
    (void)f;
    if (n <= 0 || !a || r->n >= RX_MAX)
        return;
    rx_pkt *p = &r->pkts[r->n++];
    p->len = (size_t)n < RX_LEN ? (size_t)n : RX_LEN;
    memcpy(p->data, b->base, p->len);
    p->at_us = uv_hrtime() / 1000;
}

/* Bind a receiver on 127.0.0.1 at an ephemeral port. */
static inline int rx_open(uv_loop_t *loop, rx_sock *r)
{
    memset(r, 0, sizeof *r);
    r->pkts = calloc(RX_MAX, sizeof *r->pkts);
    uv_udp_init(loop, &r->udp);
    r->udp.data = r;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    int rc = uv_udp_bind(&r->udp, (const struct sockaddr *)&sa, 0);
    if (rc < 0)
        return rc;
    struct sockaddr_in got;
    int len = sizeof got;
    uv_udp_getsockname(&r->udp, (struct sockaddr *)&got, &len);
    r->port = ntohs(got.sin_port);
    return uv_udp_recv_start(&r->udp, rx_alloc, rx_recv);
}

static inline void rx_close(rx_sock *r)
{
    uv_close((uv_handle_t *)&r->udp, NULL);
    free(r->pkts);
    r->pkts = NULL;
}

/* Send a datagram from r's socket to 127.0.0.1:port. */
static inline int rx_send(rx_sock *r, uint16_t port, const void *data, size_t len)
{
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    return uv_udp_try_send(&r->udp, &b, 1, (const struct sockaddr *)&sa);
}

static inline void stop_cb(uv_timer_t *t) { uv_stop(t->loop); }

/* Run the loop for ms milliseconds of real time. */
static inline void run_for(uv_loop_t *loop, unsigned ms)
{
    uv_timer_t t;
    uv_timer_init(loop, &t);
    uv_update_time(loop); /* the cached loop time may be stale after slow test code */
    uv_timer_start(&t, stop_cb, ms, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

/* Close everything left on the loop and check it closes cleanly. */
static inline int drain_loop(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop);
}

/* A stream of m sending codec (telephone-event 101, sendrecv) to 127.0.0.1:port; NULL on failure. */
static inline sc_media_stream *open_stream_to(sc_media *m, uint16_t port, sc_media_codec codec)
{
    sc_media_stream *st = NULL;
    if (sc_media_stream_open(m, &st, NULL) != 0)
        return NULL;
    if (sc_media_stream_set_remote(st, "127.0.0.1", port, codec, 101, SC_MEDIA_SENDRECV) != 0) {
        sc_media_stream_close(st);
        return NULL;
    }
    return st;
}

/* The end of a fixture with one media context and two receivers (b may be NULL): everything
 * freed and closed, then the loop drained (drain_loop's result). */
static inline int media_fixture_end(sc_media *m, uv_loop_t *loop, rx_sock *a, rx_sock *b)
{
    sc_media_free(m);
    rx_close(a);
    if (b)
        rx_close(b);
    return drain_loop(loop);
}

static inline uint8_t rtp_pt(const rx_pkt *p) { return p->data[1] & 0x7F; }
static inline int rtp_marker(const rx_pkt *p) { return (p->data[1] & 0x80) != 0; }
static inline uint16_t rtp_seq(const rx_pkt *p) { return (uint16_t)((p->data[2] << 8) | p->data[3]); }
static inline uint32_t rd32(const uint8_t *d)
{
    return ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3];
}
static inline uint32_t rtp_ts(const rx_pkt *p) { return rd32(p->data + 4); }
static inline uint32_t rtp_ssrc(const rx_pkt *p) { return rd32(p->data + 8); }

/* Write an RTP header. */
static inline void mk_rtp(uint8_t *p, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    p[0] = 0x80;
    p[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[4] = (uint8_t)(ts >> 24);
    p[5] = (uint8_t)(ts >> 16);
    p[6] = (uint8_t)(ts >> 8);
    p[7] = (uint8_t)ts;
    p[8] = (uint8_t)(ssrc >> 24);
    p[9] = (uint8_t)(ssrc >> 16);
    p[10] = (uint8_t)(ssrc >> 8);
    p[11] = (uint8_t)ssrc;
}

static inline int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Can a UDP socket bind 127.0.0.1:port right now? */
static inline int udp_port_free(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    int ok = bind(fd, (const struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* A port range unlikely to collide between concurrently running test programs. Streams take
 * random pairs of their range, so two programs whose windows overlap would meet: windows sit
 * on one grid of 200 ports in 22000..31999 (below the kernel's ephemeral range 32768..60999
 * so that other programs' sockets do not land in it), the first tried derived from the pid,
 * and a window with a port already bound (another program's) is passed over. */
static inline uint16_t test_port_base(unsigned width)
{
    const unsigned grid = 200, slots = 10000 / grid;
    unsigned first = (unsigned)getpid() % slots;
    for (unsigned k = 0; k < slots; k++) {
        unsigned base = 22000 + ((first + k) % slots) * grid;
        int free_all = 1;
        for (unsigned p = base; p < base + width && p < base + grid && free_all; p++)
            free_all = udp_port_free((uint16_t)p);
        if (free_all)
            return (uint16_t)base;
    }
    return (uint16_t)(22000 + first * grid);
}

/* The start of a fixture with one media context and two receivers: the loop, m on a port range
 * of 100 of its own (cfg: more settings, may be NULL; its port range is set here), a and b open.
 * 0, or the first error. */
static inline int media_fixture_begin(uv_loop_t *loop, sc_media **m, sc_media_config *cfg, rx_sock *a, rx_sock *b)
{
    sc_media_config plain = {0};
    if (!cfg)
        cfg = &plain;
    uv_loop_init(loop);
    cfg->port_min = test_port_base(100);
    cfg->port_max = (uint16_t)(cfg->port_min + 99);
    int rc = sc_media_new(m, loop, cfg);
    if (rc == 0)
        rc = rx_open(loop, a);
    if (rc == 0)
        rc = rx_open(loop, b);
    return rc;
}

#endif
