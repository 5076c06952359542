/* bench_media: CPU cost of music-on-hold fan-out to N streams (encode + RTP header + send per
 * 20 ms tick) against raw sendto() of the same packets, and of relaying RTP through a bridge
 * (receive, rewrite, optionally transcode: PCMU <-> PCMA, PCMU <-> Opus, send) against a plain receive-and-forward socket on
 * the same loop. All traffic is on 127.0.0.1; see docs/benchmarks.md ("Media").
 * Usage: bench_media [runs]   (median of runs, default 5) */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "bench_util.h"
#include "media/media_int.h"

#define PORT_MIN 41000
#define PORT_MAX 44999

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A UDP socket on 127.0.0.1 that nobody reads (datagrams beyond its buffer are dropped by the
 * kernel after the send succeeded, the same for both sides of each comparison). */
static int sink_open(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return -1;
    socklen_t l = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &l);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* ---- MOH fan-out ---------------------------------------------------------------------------- */

static void bench_moh(uv_loop_t *loop, int runs)
{
    static const int ns[] = {1, 100, 1000};
    uint16_t sink_port;
    int sink = sink_open(&sink_port);
    printf("MOH fan-out (one 20 ms tick: 160 samples encoded once per codec, header + send per stream)\n");
    printf("%6s %14s %14s %16s %16s %8s\n", "N", "moh us/tick", "raw us/tick", "moh us/stream", "raw us/stream",
           "ratio");
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        int n = ns[k];
        sc_media *m;
        sc_media_config cfg = {.port_min = PORT_MIN, .port_max = PORT_MAX};
        if (sc_media_new(&m, loop, &cfg) < 0)
            exit(1);
        sc_media_stream **st = calloc((size_t)n, sizeof *st);
        for (int i = 0; i < n; i++) {
            if (sc_media_stream_open(m, &st[i], NULL) < 0) {
                fprintf(stderr, "open %d failed\n", i);
                exit(1);
            }
            sc_media_stream_set_remote(st[i], "127.0.0.1", sink_port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV);
            sc_media_moh_start(st[i], NULL);
        }
        sc_moh_class *c = sc_moh__find(m, "default");
        int ticks = n == 1 ? 20000 : n == 100 ? 400 : 60;
        /* baseline: the same 172-octet packet sent n times with sendto() */
        int raw = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(sink_port)};
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        uint8_t pkt[172] = {0x80};
        double moh[15], base[15];
        for (int r = 0; r < runs; r++) {
            double t0 = now_us();
            for (int t = 0; t < ticks; t++)
                sc_media__moh_tick(c);
            double t1 = now_us();
            for (int t = 0; t < ticks; t++)
                for (int i = 0; i < n; i++)
                    sendto(raw, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to);
            double t2 = now_us();
            moh[r] = (t1 - t0) / ticks;
            base[r] = (t2 - t1) / ticks;
        }
        double mm = bench_median(moh, (size_t)runs), bb = bench_median(base, (size_t)runs);
        printf("%6d %14.2f %14.2f %16.3f %16.3f %8.2f\n", n, mm, bb, mm / n, bb / n, mm / bb);
        sc_media_stats s;
        sc_media_stream_stats(st[0], &s);
        if (s.send_errors)
            printf("       (%llu send errors on stream 0)\n", (unsigned long long)s.send_errors);
        close(raw);
        sc_media_free(m);
        uv_run(loop, UV_RUN_DEFAULT);
        free(st);
    }
    close(sink);
}

/* ---- bridge relay ----------------------------------------------------------------------------- */

typedef struct fwd {
    uv_udp_t udp;
    struct sockaddr_in to;
    uint64_t got;
    char buf[2048];
} fwd;

static void fwd_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    fwd *f = h->data;
    *b = uv_buf_init(f->buf, sizeof f->buf);
}

static void fwd_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *a, unsigned fl)
{
    fwd *f = h->data;
    if (n <= 0)
        return;
    f->got++;
    uv_buf_t o = uv_buf_init(b->base, (unsigned)n);
    uv_udp_try_send(&f->udp, &o, 1, (const struct sockaddr *)&f->to);
}

/* What pump sends: a payload type, a payload and the timestamp step of a packet. */
typedef struct pump_pkt {
    uint8_t pt;
    const uint8_t *payload; /* NULL: 160 octets of G.711 filled per packet */
    size_t plen;
    uint32_t ts_step;
    uint32_t *seq; /* the receiving stream's sequence across runs: a restart at 0 is a jump (RFC 3550 A.1) */
} pump_pkt;

/* Send total packets into port in batches, running the loop until *counter has them all. */
static double pump_with(uv_loop_t *loop, int tx, uint16_t port, int total, const uint64_t *counter,
                        const sc_media_stream *st, const pump_pkt *pp)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint8_t pkt[12 + SC_CODEC_MAX_PAYLOAD];
    uint32_t base_seq = 0, *seqp = st ? pp->seq : &base_seq;
    size_t plen = pp->payload ? pp->plen : 160;
    if (pp->payload)
        memcpy(pkt + 12, pp->payload, plen);
    uint64_t start = st ? st->stats.packets_received : *counter;
    double t0 = now_us();
    for (int sent = 0; sent < total;) {
        for (int i = 0; i < 32 && sent < total; i++, sent++, (*seqp)++) {
            sc_rtp__write_header(pkt, pp->pt, false, (uint16_t)*seqp, pp->ts_step * *seqp, 0x1234);
            if (!pp->payload)
                memset(pkt + 12, sent & 0xFF, 160);
            sendto(tx, pkt, 12 + plen, 0, (struct sockaddr *)&to, sizeof to);
        }
        for (int spins = 0; spins < 100000; spins++) {
            uint64_t have = (st ? st->stats.packets_received : *counter) - start;
            if (have >= (uint64_t)sent)
                break;
            uv_run(loop, UV_RUN_NOWAIT);
        }
    }
    return (now_us() - t0) / total;
}

static double pump(uv_loop_t *loop, int tx, uint16_t port, int total, const uint64_t *counter,
                   const sc_media_stream *st)
{
    static uint32_t stream_seq; /* leg A's */
    pump_pkt pp = {.pt = 0, .ts_step = 160, .seq = &stream_seq};
    return pump_with(loop, tx, port, total, counter, st, &pp);
}

/* One 20 ms Opus frame of a 440 Hz tone, as a phone would send it (48 kHz, 32 kbit/s). */
static size_t opus_frame(uint8_t *out, size_t cap)
{
    sc_codec *enc;
    int16_t pcm[960];
    int n = 0;
    if (sc_codec__new(&enc, SC_MEDIA_OPUS, true, 48000, NULL) < 0)
        exit(1);
    for (int f = 0; f < 5; f++) { /* past the encoder's start-up */
        for (int i = 0; i < 960; i++)
            pcm[i] = (int16_t)(8000 * sin(2 * 3.14159265 * 440 * (f * 960 + i) / 48000.0));
        n = sc_codec__encode(enc, pcm, 960, out, cap);
    }
    sc_codec__free(enc);
    return n > 0 ? (size_t)n : 0;
}

static void bench_relay(uv_loop_t *loop, int runs)
{
    uint16_t sink_port;
    int sink = sink_open(&sink_port);
    uint16_t tx_port; /* the sender is leg A's remote: streams accept RTP only from their remote */
    int tx = sink_open(&tx_port);
    const int total = 20000;
    printf("\nBridge relay (%d packets of 172 octets sent into leg A in batches of 32; per packet:\n"
           "kernel send + receive + relay + send out of leg B)\n",
           total);
    printf("%-28s %12s %8s\n", "path", "us/packet", "ratio");

    /* baseline: a plain uv_udp socket that forwards what it receives, unchanged */
    fwd f = {0};
    uv_udp_init(loop, &f.udp);
    f.udp.data = &f;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uv_udp_bind(&f.udp, (struct sockaddr *)&sa, 0);
    int l = sizeof sa;
    uv_udp_getsockname(&f.udp, (struct sockaddr *)&sa, &l);
    f.to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(sink_port)};
    f.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uv_udp_recv_start(&f.udp, fwd_alloc, fwd_recv);

    sc_media *m;
    sc_media_config cfg = {.port_min = PORT_MIN, .port_max = PORT_MAX};
    if (sc_media_new(&m, loop, &cfg) < 0)
        exit(1);
    sc_media_stream *a, *b, *c, *o, *ao;
    sc_media_stream_open(m, &a, NULL);
    sc_media_stream_open(m, &b, NULL);
    sc_media_stream_open(m, &c, NULL);
    sc_media_stream_open(m, &o, NULL);  /* an Opus leg toward the sink */
    sc_media_stream_open(m, &ao, NULL); /* an Opus leg the sender sends into */
    sc_media_format opus = {.codec = SC_MEDIA_OPUS, .pt = 111, .dtmf_pt = 101};
    sc_media_stream_set_remote_format(o, "127.0.0.1", sink_port, &opus, SC_MEDIA_SENDRECV);
    sc_media_stream_set_remote_format(ao, "127.0.0.1", tx_port, &opus, SC_MEDIA_SENDRECV);
    uint8_t frame[SC_CODEC_MAX_PAYLOAD];
    static uint32_t ao_seq;
    pump_pkt opp = {
        .pt = 111, .payload = frame, .plen = opus_frame(frame, sizeof frame), .ts_step = 960, .seq = &ao_seq};
    sc_media_stream_set_remote(a, "127.0.0.1", tx_port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV);
    sc_media_stream_set_remote(b, "127.0.0.1", sink_port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV);
    sc_media_stream_set_remote(c, "127.0.0.1", sink_port, SC_MEDIA_PCMA, 101, SC_MEDIA_SENDRECV);

    double base[15], same[15], trans[15], to_opus[15], from_opus[15];
    for (int r = 0; r < runs; r++) {
        base[r] = pump(loop, tx, ntohs(sa.sin_port), total, &f.got, NULL);
        sc_media_bridge(a, b);
        same[r] = pump(loop, tx, sc_media_stream_port(a), total, NULL, a);
        sc_media_unbridge(a);
        sc_media_bridge(a, c);
        trans[r] = pump(loop, tx, sc_media_stream_port(a), total, NULL, a);
        sc_media_unbridge(a);
        sc_media_bridge(a, o);
        to_opus[r] = pump(loop, tx, sc_media_stream_port(a), total / 4, NULL, a);
        sc_media_unbridge(a);
        sc_media_bridge(ao, b);
        from_opus[r] = pump_with(loop, tx, sc_media_stream_port(ao), total / 4, NULL, ao, &opp);
        sc_media_unbridge(ao);
    }
    double bb = bench_median(base, (size_t)runs), ss = bench_median(same, (size_t)runs);
    double tt = bench_median(trans, (size_t)runs);
    printf("%-28s %12.2f %8.2f\n", "forward (baseline)", bb, 1.0);
    printf("%-28s %12.2f %8.2f\n", "bridge PCMU -> PCMU", ss, ss / bb);
    printf("%-28s %12.2f %8.2f\n", "bridge PCMU -> PCMA", tt, tt / bb);
    double po = bench_median(to_opus, (size_t)runs), op = bench_median(from_opus, (size_t)runs);
    printf("%-28s %12.2f %8.2f\n", "bridge PCMU -> Opus", po, po / bb);
    printf("%-28s %12.2f %8.2f\n", "bridge Opus -> PCMU", op, op / bb);
    sc_media_stats s;
    sc_media_stream_stats(b, &s);
    printf("(leg B sent %llu packets, %llu send errors)\n", (unsigned long long)s.packets_sent,
           (unsigned long long)s.send_errors);
    uv_close((uv_handle_t *)&f.udp, NULL);
    sc_media_free(m);
    uv_run(loop, UV_RUN_DEFAULT);
    close(tx);
    close(sink);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 15)
        runs = 5;
    uv_loop_t loop;
    uv_loop_init(&loop);
    printf("bench_media: median of %d runs\n\n", runs);
    bench_moh(&loop, runs);
    bench_relay(&loop, runs);
    return uv_loop_close(&loop) == 0 ? 0 : 1;
}
