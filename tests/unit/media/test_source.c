/* Tests for the source checks of a stream over real UDP on 127.0.0.1: RTP and RTCP only from
 * the remote's address (another port of the same IP is a stranger): the rest is dropped and
 * counted (rejected), raises no DTMF, refreshes no RTP timeout and is not relayed; RFC 3550
 * A.1 probation of a new SSRC and confirmation of a sequence jump; symmetric RTP (latch). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "media_test_util.h"

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    rx_sock legit, legit_c; /* the remote of the SDP: RTP port P and RTCP port P + 1 */
    rx_sock intruder;       /* the same IP, another port */
    rx_sock nat, nat_c;     /* test_latch: where the remote's packets really come from */
    rx_sock pb;             /* test_bridge_not_relayed: leg B's remote */
    bool nat_open, pb_open;
    rx_sock l6, x6; /* test_ipv6: the remote and the intruder on [::1] */
    sc_media *m6;   /* test_ipv6: a context bound to ::1 */
    bool l6_open, x6_open;
    char digits[32];
    int ndigits;
    int timeouts;
} fx;

static void on_dtmf(sc_media_stream *st, char digit, unsigned duration_ms, void *ud)
{
    fx *f = ud;
    (void)st;
    (void)duration_ms;
    if (f->ndigits < 32)
        f->digits[f->ndigits] = digit;
    f->ndigits++;
}

static void on_timeout(sc_media_stream *st, void *ud)
{
    fx *f = ud;
    (void)st;
    f->timeouts++;
}

/* Bind r on 127.0.0.1:port (0, or a libuv error). */
static int rx_open_at(uv_loop_t *loop, rx_sock *r, uint16_t port)
{
    memset(r, 0, sizeof *r);
    r->pkts = calloc(RX_MAX, sizeof *r->pkts);
    uv_udp_init(loop, &r->udp);
    r->udp.data = r;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    int rc = uv_udp_bind(&r->udp, (const struct sockaddr *)&sa, 0);
    if (rc == 0) {
        r->port = port;
        rc = uv_udp_recv_start(&r->udp, rx_alloc, rx_recv);
    }
    return rc;
}

/* Two sockets on ports P and P + 1 (an RTP/RTCP pair), P ephemeral. */
static void open_pair(uv_loop_t *loop, rx_sock *rtp, rx_sock *rtcp)
{
    for (int i = 0; i < 50; i++) {
        assert_int_equal(rx_open(loop, rtp), 0);
        if (rtp->port < 65535) {
            if (rx_open_at(loop, rtcp, (uint16_t)(rtp->port + 1)) == 0)
                return;
            rx_close(rtcp);
        }
        rx_close(rtp);
        uv_run(loop, UV_RUN_NOWAIT);
    }
    fail_msg("no free pair of ports");
}

static int setup_cfg(void **state, bool latch)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    uint16_t base = test_port_base(100);
    sc_media_config cfg = {.port_min = base,
                           .port_max = (uint16_t)(base + 99),
                           .rtp_timeout_ms = 300,
                           .rtcp_interval_ms = 100000, /* no reports of ours in the way */
                           .latch = latch,
                           .cb = {.on_dtmf = on_dtmf, .on_rtp_timeout = on_timeout}};
    assert_int_equal(sc_media_new(&f->m, &f->loop, &cfg), 0);
    open_pair(&f->loop, &f->legit, &f->legit_c);
    assert_int_equal(rx_open(&f->loop, &f->intruder), 0);
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_cfg(state, false); }
static int setup_latch(void **state) { return setup_cfg(state, true); }

static int teardown(void **state)
{
    fx *f = *state;
    sc_media_free(f->m);
    rx_close(&f->legit);
    rx_close(&f->legit_c);
    rx_close(&f->intruder);
    if (f->nat_open) {
        rx_close(&f->nat);
        rx_close(&f->nat_c);
    }
    if (f->pb_open)
        rx_close(&f->pb);
    sc_media_free(f->m6);
    if (f->l6_open)
        rx_close(&f->l6);
    if (f->x6_open)
        rx_close(&f->x6);
    assert_int_equal(drain_loop(&f->loop), 0);
    free(f);
    return 0;
}

static void send_audio(rx_sock *from, uint16_t port, uint16_t seq, uint32_t ssrc)
{
    uint8_t p[12 + 160];
    mk_rtp(p, 0, 0, seq, 160u * seq, ssrc);
    memset(p + 12, 0xFF, 160);
    assert_true(rx_send(from, port, p, sizeof p) > 0);
}

/* One RFC 4733 end packet of digit ev (event 5 = '5') at timestamp ts. */
static void send_event(rx_sock *from, uint16_t port, uint16_t seq, uint32_t ts, uint8_t ev, uint32_t ssrc)
{
    uint8_t p[16];
    mk_rtp(p, 101, 1, seq, ts, ssrc);
    p[12] = ev;
    p[13] = 0x80 | 10;
    p[14] = 0x03;
    p[15] = 0x20; /* 800 samples */
    assert_true(rx_send(from, port, p, sizeof p) > 0);
}

/* A receiver report (no blocks) from ssrc: 8 octets. */
static void send_rr(rx_sock *from, uint16_t port, uint32_t ssrc)
{
    uint8_t p[8] = {0x80, 201, 0, 1, (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8), (uint8_t)ssrc};
    assert_true(rx_send(from, port, p, sizeof p) > 0);
}

static sc_media_stats stats_of(const sc_media_stream *st)
{
    sc_media_stats s;
    sc_media_stream_stats(st, &s);
    return s;
}

/* RTP and DTMF from another port of the remote's IP are dropped and counted; the remote's own
 * get through. Nothing is accepted before the remote is set. */
static void test_intruder_dropped(void **state)
{
    fx *f = *state;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    uint16_t port = sc_media_stream_port(st);
    send_audio(&f->legit, port, 1, 0x1111);
    run_for(&f->loop, 30);
    assert_int_equal(stats_of(st).rejected, 1); /* no remote yet: nobody is accepted */
    assert_int_equal(stats_of(st).packets_received, 0);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    char src[64];
    assert_int_equal(sc_media_stream_source(st, src, sizeof src), 0);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%u", f->legit.port);
    assert_string_equal(src, want);

    for (uint16_t i = 0; i < 10; i++)
        send_audio(&f->intruder, port, i, 0x2222);
    for (uint16_t i = 0; i < 3; i++)
        send_event(&f->intruder, port, (uint16_t)(10 + i), 8000, 9, 0x2222);
    uint8_t junk[5] = {1, 2, 3, 4, 5};
    rx_send(&f->intruder, port, junk, sizeof junk);
    run_for(&f->loop, 50);
    sc_media_stats s = stats_of(st);
    assert_int_equal(s.rejected, 1 + 14);
    assert_int_equal(s.packets_received, 0);
    assert_int_equal(s.packets_invalid, 0);
    assert_int_equal(s.dtmf_received, 0);
    assert_false(s.have_ssrc);
    assert_int_equal(f->ndigits, 0);

    /* the remote itself: its audio and its digit count */
    for (uint16_t i = 0; i < 5; i++)
        send_audio(&f->legit, port, i, 0x1111);
    for (uint16_t i = 0; i < 3; i++)
        send_event(&f->legit, port, (uint16_t)(5 + i), 8000, 5, 0x1111);
    run_for(&f->loop, 50);
    s = stats_of(st);
    assert_int_equal(s.packets_received, 8);
    assert_int_equal(s.rejected, 15);
    assert_int_equal(s.last_ssrc, 0x1111);
    assert_int_equal(f->ndigits, 1);
    assert_int_equal(f->digits[0], '5');
    /* the remote's RTCP port is not its RTP port: RTP from there is a stranger too */
    send_audio(&f->legit_c, port, 9, 0x1111);
    run_for(&f->loop, 30);
    assert_int_equal(stats_of(st).rejected, 16);
    sc_media_stream_close(st);
}

/* Only the intruder sends: the RTP timeout fires as if nothing came. */
static void test_timeout_despite_intruder(void **state)
{
    fx *f = *state;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    uint16_t port = sc_media_stream_port(st);
    for (uint16_t i = 0; i < 5; i++) {
        send_audio(&f->legit, port, i, 0x1111);
        run_for(&f->loop, 20);
    }
    assert_int_equal(f->timeouts, 0);
    for (uint16_t i = 5; i < 45; i++) { /* 800 ms of the intruder at 50 packets/s */
        send_audio(&f->intruder, port, i, 0x1111);
        run_for(&f->loop, 20);
    }
    assert_int_equal(f->timeouts, 1);
    sc_media_stats s = stats_of(st);
    assert_int_equal(s.packets_received, 5);
    assert_int_equal(s.rejected, 40);
    sc_media_stream_close(st);
}

/* In a bridge, the intruder's packets are not relayed; the remote's are. */
static void test_bridge_not_relayed(void **state)
{
    fx *f = *state;
    rx_sock *pb = &f->pb;
    assert_int_equal(rx_open(&f->loop, pb), 0);
    f->pb_open = true;
    sc_media_stream *a, *b;
    assert_int_equal(sc_media_stream_open(f->m, &a, f), 0);
    assert_int_equal(sc_media_stream_open(f->m, &b, f), 0);
    assert_int_equal(sc_media_stream_set_remote(a, "127.0.0.1", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    assert_int_equal(sc_media_stream_set_remote(b, "127.0.0.1", pb->port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_bridge(a, b), 0);
    uint16_t port = sc_media_stream_port(a);
    for (uint16_t i = 0; i < 5; i++)
        send_audio(&f->intruder, port, i, 0x2222);
    send_event(&f->intruder, port, 5, 8000, 9, 0x2222);
    run_for(&f->loop, 50);
    assert_int_equal(pb->n, 0);
    assert_int_equal(stats_of(b).packets_sent, 0);
    for (uint16_t i = 0; i < 5; i++)
        send_audio(&f->legit, port, i, 0x1111);
    run_for(&f->loop, 50);
    assert_int_equal(pb->n, 5);
    assert_int_equal(stats_of(a).rejected, 6);
    /* and what b's remote would get from a stranger sent into b is not relayed to a's remote */
    send_audio(&f->intruder, sc_media_stream_port(b), 1, 0x3333);
    run_for(&f->loop, 30);
    assert_int_equal(f->legit.n, 0);
    sc_media_stream_close(a);
    sc_media_stream_close(b);
}

/* RTCP only from the remote's IP and port + 1 (where we send ours). */
static void test_rtcp_source(void **state)
{
    fx *f = *state;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    uint16_t rtcp = (uint16_t)(sc_media_stream_port(st) + 1);
    send_rr(&f->intruder, rtcp, 0x2222);
    send_rr(&f->legit, rtcp, 0x1111); /* the remote's RTP port: not its RTCP port */
    run_for(&f->loop, 30);
    sc_media_stats s = stats_of(st);
    assert_int_equal(s.rtcp_received, 0);
    assert_int_equal(s.rejected, 2);
    send_rr(&f->legit_c, rtcp, 0x1111);
    run_for(&f->loop, 30);
    s = stats_of(st);
    assert_int_equal(s.rtcp_received, 1);
    assert_int_equal(s.rejected, 2);
    assert_int_equal(s.packets_invalid, 0);
    sc_media_stream_close(st);
}

/* RFC 3550 A.1 from the accepted address: the first SSRC at once; a new one after 2 packets in
 * sequence with none of the current SSRC in between; a big sequence jump once confirmed. */
static void test_ssrc_probation(void **state)
{
    fx *f = *state;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    uint16_t port = sc_media_stream_port(st);
    for (uint16_t i = 1; i <= 5; i++)
        send_audio(&f->legit, port, i, 0xAAAA);
    run_for(&f->loop, 30);
    sc_media_stats s = stats_of(st);
    assert_int_equal(s.packets_received, 5);
    assert_int_equal(s.probation, 0);
    /* B interleaved with A, whose packets keep coming: B never takes over */
    send_audio(&f->legit, port, 100, 0xBBBB);
    send_audio(&f->legit, port, 6, 0xAAAA);
    send_audio(&f->legit, port, 101, 0xBBBB);
    send_audio(&f->legit, port, 7, 0xAAAA);
    send_audio(&f->legit, port, 102, 0xBBBB);
    send_audio(&f->legit, port, 8, 0xAAAA);
    /* nor does a digit of a one-packet source C */
    send_event(&f->legit, port, 500, 8000, 3, 0xCCCC);
    run_for(&f->loop, 30);
    s = stats_of(st);
    assert_int_equal(s.packets_received, 8);
    assert_int_equal(s.probation, 4);
    assert_int_equal(s.last_ssrc, 0xAAAA);
    assert_int_equal(s.ssrc_changes, 0);
    assert_int_equal(f->ndigits, 0);
    /* A stops; B in sequence: its second packet makes it the source */
    send_audio(&f->legit, port, 103, 0xBBBB);
    send_audio(&f->legit, port, 104, 0xBBBB);
    send_audio(&f->legit, port, 105, 0xBBBB);
    run_for(&f->loop, 30);
    s = stats_of(st);
    assert_int_equal(s.probation, 5);
    assert_int_equal(s.packets_received, 10);
    assert_int_equal(s.last_ssrc, 0xBBBB);
    assert_int_equal(s.ssrc_changes, 1);
    assert_int_equal(s.lost, 0);
    /* a jump of B's sequence: dropped until the next packet follows it */
    send_audio(&f->legit, port, 20000, 0xBBBB);
    send_audio(&f->legit, port, 106, 0xBBBB); /* in sequence with the old numbering */
    send_audio(&f->legit, port, 30000, 0xBBBB);
    send_audio(&f->legit, port, 30001, 0xBBBB);
    send_audio(&f->legit, port, 30002, 0xBBBB);
    run_for(&f->loop, 30);
    s = stats_of(st);
    assert_int_equal(s.probation, 7);
    assert_int_equal(s.packets_received, 13);
    assert_int_equal(s.lost, 0);
    sc_media_stream_close(st);
}

/* Symmetric RTP: the first RTP packet, from anywhere, latches the stream for good; the latched
 * source is where we send; a re-INVITE keeping the SDP address keeps the latch, one moving it
 * learns again. */
static void test_latch(void **state)
{
    fx *f = *state;
    open_pair(&f->loop, &f->nat, &f->nat_c);
    f->nat_open = true;
    rx_sock *nat = &f->nat, *nat_c = &f->nat_c;
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m, &st, f), 0);
    uint16_t port = sc_media_stream_port(st);
    send_audio(nat, port, 1, 0x1111); /* before the remote is set: nobody */
    run_for(&f->loop, 30);
    assert_false(stats_of(st).latched);
    assert_int_equal(stats_of(st).rejected, 1);
    /* the SDP names legit, but the packets come from nat */
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    char src[64], want[64];
    assert_int_equal(sc_media_stream_source(st, src, sizeof src), -ENOENT);
    uint8_t junk[5] = {1, 2, 3, 4, 5};
    rx_send(&f->intruder, port, junk, sizeof junk); /* not RTP: does not latch */
    run_for(&f->loop, 20);
    assert_false(stats_of(st).latched);
    for (uint16_t i = 2; i <= 4; i++)
        send_audio(nat, port, i, 0x1111);
    run_for(&f->loop, 30);
    sc_media_stats s = stats_of(st);
    assert_true(s.latched);
    assert_int_equal(s.packets_received, 3);
    assert_int_equal(s.rejected, 2);
    assert_int_equal(sc_media_stream_source(st, src, sizeof src), 0);
    snprintf(want, sizeof want, "127.0.0.1:%u", nat->port);
    assert_string_equal(src, want);
    /* no re-latch: neither the intruder nor the SDP's own address is accepted now */
    for (uint16_t i = 5; i <= 7; i++)
        send_audio(&f->intruder, port, i, 0x1111);
    send_audio(&f->legit, port, 8, 0x1111);
    send_event(&f->intruder, port, 9, 8000, 9, 0x1111);
    send_event(nat, port, 10, 9000, 4, 0x1111);
    run_for(&f->loop, 30);
    s = stats_of(st);
    assert_int_equal(s.packets_received, 4);
    assert_int_equal(s.rejected, 2 + 5);
    assert_int_equal(f->ndigits, 1);
    assert_int_equal(f->digits[0], '4');
    /* we send to the latched source: music on hold reaches nat, not the SDP's address */
    assert_int_equal(sc_media_moh_start(st, NULL), 0);
    run_for(&f->loop, 100);
    assert_true(nat->n >= 3);
    assert_int_equal(f->legit.n, 0);
    sc_media_moh_stop(st);
    /* RTCP: the first report from the latched IP latches it (nat_c); then only that one */
    uint16_t rtcp = (uint16_t)(port + 1);
    send_rr(nat_c, rtcp, 0x1111);
    run_for(&f->loop, 20);
    send_rr(&f->intruder, rtcp, 0x2222);
    send_rr(&f->legit_c, rtcp, 0x2222);
    run_for(&f->loop, 20);
    s = stats_of(st);
    assert_int_equal(s.rtcp_received, 1);
    assert_int_equal(s.rejected, 7 + 2);
    /* a re-INVITE keeping the address (hold: recvonly) keeps the latch */
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_RECVONLY),
                     0);
    send_audio(nat, port, 11, 0x1111);
    send_audio(&f->intruder, port, 12, 0x1111);
    run_for(&f->loop, 30);
    s = stats_of(st);
    assert_true(s.latched);
    assert_int_equal(s.packets_received, 5);
    assert_int_equal(s.rejected, 10);
    /* a hold to 0.0.0.0 accepts nobody; back to the address: the same latch */
    assert_int_equal(sc_media_stream_set_remote(st, "0.0.0.0", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    send_audio(nat, port, 13, 0x1111);
    run_for(&f->loop, 30);
    assert_int_equal(stats_of(st).rejected, 11);
    assert_int_equal(sc_media_stream_set_remote(st, "127.0.0.1", f->legit.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    send_audio(&f->intruder, port, 14, 0x1111);
    send_audio(nat, port, 15, 0x1111);
    run_for(&f->loop, 30);
    s = stats_of(st);
    assert_int_equal(s.rejected, 12);
    assert_int_equal(s.packets_received, 6);
    assert_int_equal(sc_media_stream_source(st, src, sizeof src), 0);
    assert_string_equal(src, want);
    /* the SDP moves (a signalled change): the stream learns again */
    assert_int_equal(
        sc_media_stream_set_remote(st, "127.0.0.1", f->intruder.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    assert_false(stats_of(st).latched);
    send_audio(&f->legit, port, 1, 0x7777);
    send_audio(nat, port, 16, 0x1111);
    run_for(&f->loop, 30);
    s = stats_of(st);
    assert_true(s.latched);
    assert_int_equal(s.packets_received, 7);
    assert_int_equal(s.rejected, 13);
    assert_int_equal(s.last_ssrc, 0x7777);
    /* RTCP from another port of the latched IP than RTP + 1 (a NAT maps them apart) latches */
    send_rr(nat_c, rtcp, 0x7777);
    run_for(&f->loop, 20);
    send_rr(&f->legit_c, rtcp, 0x7777);
    run_for(&f->loop, 20);
    s = stats_of(st);
    assert_int_equal(s.rtcp_received, 2);
    assert_int_equal(s.rejected, 14);
    sc_media_stream_close(st);
}

/* Bind r on [::1] at an ephemeral port (a libuv error when the host has no IPv6 loopback). */
static int rx_open6(uv_loop_t *loop, rx_sock *r)
{
    memset(r, 0, sizeof *r);
    r->pkts = calloc(RX_MAX, sizeof *r->pkts);
    uv_udp_init(loop, &r->udp);
    r->udp.data = r;
    struct sockaddr_in6 sa;
    uv_ip6_addr("::1", 0, &sa);
    int rc = uv_udp_bind(&r->udp, (const struct sockaddr *)&sa, 0);
    if (rc < 0)
        return rc;
    struct sockaddr_in6 got;
    int len = sizeof got;
    uv_udp_getsockname(&r->udp, (struct sockaddr *)&got, &len);
    r->port = ntohs(got.sin6_port);
    return uv_udp_recv_start(&r->udp, rx_alloc, rx_recv);
}

static void send6(rx_sock *from, uint16_t port, uint16_t seq)
{
    uint8_t p[12 + 160];
    mk_rtp(p, 0, 0, seq, 160u * seq, 0x6666);
    memset(p + 12, 0xFF, 160);
    struct sockaddr_in6 sa;
    uv_ip6_addr("::1", port, &sa);
    uv_buf_t b = uv_buf_init((char *)p, sizeof p);
    assert_true(uv_udp_try_send(&from->udp, &b, 1, (const struct sockaddr *)&sa) > 0);
}

/* The same checks over IPv6. */
static void test_ipv6(void **state)
{
    fx *f = *state;
    rx_sock *l6 = &f->l6, *x6 = &f->x6;
    f->l6_open = true;
    if (rx_open6(&f->loop, l6) < 0)
        skip();
    f->x6_open = true;
    assert_int_equal(rx_open6(&f->loop, x6), 0);
    uint16_t base = (uint16_t)(test_port_base(100) + 100); /* the other half of the grid's window */
    sc_media_config cfg = {.bind_addr = "::1", .port_min = base, .port_max = (uint16_t)(base + 99)};
    assert_int_equal(sc_media_new(&f->m6, &f->loop, &cfg), 0);
    sc_media_stream *st;
    assert_int_equal(sc_media_stream_open(f->m6, &st, f), 0);
    assert_int_equal(sc_media_stream_set_remote(st, "::1", l6->port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    send6(x6, sc_media_stream_port(st), 1);
    send6(l6, sc_media_stream_port(st), 2);
    run_for(&f->loop, 30);
    sc_media_stats s = stats_of(st);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s.packets_received, 1);
    char src[64], want[64];
    assert_int_equal(sc_media_stream_source(st, src, sizeof src), 0);
    snprintf(want, sizeof want, "[::1]:%u", l6->port);
    assert_string_equal(src, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_intruder_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_despite_intruder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bridge_not_relayed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rtcp_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ssrc_probation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latch, setup_latch, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
