/* bench_srtp: the cost of SRTP on the media path. First, in process: protect + unprotect of one
 * 172-octet PCMU packet (AES_CM_128_HMAC_SHA1_80, _32, AEAD_AES_128_GCM) against a copy of it.
 * Second, on the wire (127.0.0.1): a bridge relaying SRTP -> SRTP (unprotect on leg A, protect
 * again with leg B's keys), SRTP -> plain and plain -> SRTP, against the plain bridge relay in
 * the same run. See docs/benchmarks.md ("SRTP").
 * Usage: bench_srtp [runs]   (median of runs, default 5) */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <srtp2/srtp.h>

#include "bench_util.h"
#include "media/media_int.h"

#define PORT_MIN 45000
#define PORT_MAX 45999
#define TOTAL 20000 /* packets a relay run */

static double now_us(void) { return bench_now_ns() / 1e3; }

static sc_media_srtp key_of(sc_media_srtp_suite s)
{
    sc_media_srtp k;
    if (sc_media_srtp_keygen(&k, s) != 0) {
        fprintf(stderr, "suite %s not supported\n", sc_media_srtp_suite_name(s));
        exit(1);
    }
    return k;
}

/* ---- protect + unprotect in process ------------------------------------------------------------ */

static void bench_cpu(uv_loop_t *loop, int runs)
{
    static const sc_media_srtp_suite suites[] = {SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
                                                 SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, SC_MEDIA_SRTP_AEAD_AES_128_GCM};
    const int n = 200000;
    printf("Protect + unprotect of one 172-octet RTP packet, in process (%d packets)\n", n);
    printf("%-26s %12s %8s\n", "suite", "ns/packet", "ratio");
    sc_media *m;
    sc_media_config cfg = {.port_min = PORT_MIN, .port_max = PORT_MAX};
    if (sc_media_new(&m, loop, &cfg) < 0)
        exit(1);
    sc_media_stream *a, *b;
    sc_media_stream_open(m, &a, NULL);
    sc_media_stream_open(m, &b, NULL);
    uint8_t plain[172], pkt[172 + SC_MEDIA_SRTP_TRAILER];
    memset(plain, 0x55, sizeof plain);
    /* baseline: copying the packet (what a relay does to it at least) */
    double base[15];
    for (int r = 0; r < runs; r++) {
        double t0 = bench_now_ns();
        for (int i = 0; i < n; i++) {
            sc_rtp__write_header(plain, 0, false, (uint16_t)i, 160u * (uint32_t)i, 0x1234);
            memcpy(pkt, plain, sizeof plain);
            __asm__ volatile("" ::"r"(pkt) : "memory");
        }
        base[r] = (bench_now_ns() - t0) / n;
    }
    double bb = bench_median(base, (size_t)runs);
    printf("%-26s %12.1f %8.2f\n", "copy (baseline)", bb, 1.0);
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        if (!sc_media_srtp_supported(suites[s])) {
            printf("%-26s %12s\n", sc_media_srtp_suite_name(suites[s]), "n/a");
            continue;
        }
        sc_media_srtp k1 = key_of(suites[s]), k2 = key_of(suites[s]);
        double v[15];
        for (int r = 0; r < runs; r++) {
            /* new contexts each run: the sequence starts over */
            sc_media_stream_set_srtp(a, NULL, NULL);
            sc_media_stream_set_srtp(b, NULL, NULL);
            sc_media_stream_set_srtp(a, &k1, &k2);
            sc_media_stream_set_srtp(b, &k2, &k1);
            double t0 = bench_now_ns();
            for (int i = 0; i < n; i++) {
                sc_rtp__write_header(plain, 0, false, (uint16_t)i, 160u * (uint32_t)i, 0x1234);
                memcpy(pkt, plain, sizeof plain);
                size_t len = sizeof plain;
                if (sc_srtp__protect(a, false, pkt, &len, sizeof pkt) < 0 ||
                    sc_srtp__unprotect(b, false, pkt, &len) < 0) {
                    fprintf(stderr, "SRTP failed at %d\n", i);
                    exit(1);
                }
            }
            v[r] = (bench_now_ns() - t0) / n;
        }
        double vv = bench_median(v, (size_t)runs);
        printf("%-26s %12.1f %8.2f\n", sc_media_srtp_suite_name(suites[s]), vv, vv / bb);
    }
    sc_media_free(m);
    uv_run(loop, UV_RUN_DEFAULT);
}

/* ---- bridge relay on the wire ---------------------------------------------------------------------- */

static int sock_open(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        exit(1);
    socklen_t l = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &l);
    *port = ntohs(sa.sin_port);
    return fd;
}

static srtp_t sender_ctx(const sc_media_srtp *k)
{
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    uint8_t key[SC_MEDIA_SRTP_KEY_MAX];
    memcpy(key, k->key, sizeof key);
    p.key = key;
    p.ssrc.type = ssrc_any_outbound;
    srtp_t s = NULL;
    if (srtp_create(&s, &p) != srtp_err_status_ok)
        exit(1);
    return s;
}

typedef struct wire {
    uint8_t (*pkt)[172 + SC_MEDIA_SRTP_TRAILER]; /* TOTAL packets, made before the clock starts */
    size_t *len;
} wire;

/* The sender's packets of one path's run, made before the clock starts: a new SSRC starting at
 * sequence 0, plain or protected by a new sender context (leg A's receive key): a receive
 * context made later than the sender's cannot know its rollover counter (RFC 3711 3.3.1), so
 * every SRTP run is a new stream for both. */
static void make_packets(wire *w, const sc_media_srtp *key, uint32_t ssrc)
{
    srtp_t tx = key ? sender_ctx(key) : NULL;
    for (uint32_t i = 0; i < TOTAL; i++) {
        sc_rtp__write_header(w->pkt[i], 0, false, (uint16_t)i, 160u * i, ssrc);
        memset(w->pkt[i] + 12, i & 0xFF, 160);
        int len = 172;
        if (tx && srtp_protect(tx, w->pkt[i], &len) != srtp_err_status_ok) {
            fprintf(stderr, "sender: protect failed\n");
            exit(1);
        }
        w->len[i] = (size_t)len;
    }
    if (tx)
        srtp_dealloc(tx);
}

/* Send the run's packets into port in batches of 32, running the loop until leg a took them. */
static double pump(uv_loop_t *loop, int tx, uint16_t port, const wire *w, const sc_media_stream *a)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint64_t start = a->stats.packets_received;
    double t0 = now_us();
    for (int sent = 0; sent < TOTAL;) {
        for (int i = 0; i < 32 && sent < TOTAL; i++, sent++)
            sendto(tx, w->pkt[sent], w->len[sent], 0, (struct sockaddr *)&to, sizeof to);
        /* a new SSRC's first 2 packets are on probation (RFC 3550 A.1): not counted as received */
        for (int spins = 0; spins < 100000 && a->stats.packets_received - start + 2 < (uint64_t)sent; spins++)
            uv_run(loop, UV_RUN_NOWAIT);
    }
    return (now_us() - t0) / TOTAL;
}

static void bench_relay(uv_loop_t *loop, int runs)
{
    uint16_t sink_port, tx_port;
    int sink = sock_open(&sink_port);
    int tx = sock_open(&tx_port); /* leg A's remote: streams accept RTP only from it */
    printf("\nBridge relay with SRTP (AES_CM_128_HMAC_SHA1_80; %d packets of 172 octets into leg A in\n"
           "batches of 32; per packet: kernel send + receive + relay + send out of leg B)\n",
           TOTAL);
    printf("%-28s %12s %8s\n", "path", "us/packet", "ratio");
    sc_media *m;
    sc_media_config cfg = {.port_min = PORT_MIN, .port_max = PORT_MAX};
    if (sc_media_new(&m, loop, &cfg) < 0)
        exit(1);
    sc_media_stream *a, *b;
    sc_media_stream_open(m, &a, NULL);
    sc_media_stream_open(m, &b, NULL);
    sc_media_stream_set_remote(a, "127.0.0.1", tx_port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV);
    sc_media_stream_set_remote(b, "127.0.0.1", sink_port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV);
    sc_media_bridge(a, b);
    sc_media_srtp a_tx = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  a_rx = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  b_tx = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  b_rx = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
    wire w = {malloc(TOTAL * sizeof *w.pkt), malloc(TOTAL * sizeof *w.len)};
    uint32_t ssrc = 0x1000;
    enum { PLAIN, S2S, S2P, P2S, NPATH };
    static const char *const names[NPATH] = {"plain -> plain (baseline)", "SRTP -> SRTP", "SRTP -> plain",
                                             "plain -> SRTP"};
    double v[NPATH][15];
    for (int r = 0; r < runs; r++) {
        for (int p = 0; p < NPATH; p++) {
            bool a_srtp = p == S2S || p == S2P, b_srtp = p == S2S || p == P2S;
            sc_media_stream_set_srtp(a, a_srtp ? &a_tx : NULL, a_srtp ? &a_rx : NULL);
            sc_media_stream_set_srtp(b, b_srtp ? &b_tx : NULL, b_srtp ? &b_rx : NULL);
            make_packets(&w, a_srtp ? &a_rx : NULL, ssrc++);
            v[p][r] = pump(loop, tx, sc_media_stream_port(a), &w, a);
        }
    }
    double bb = bench_median(v[PLAIN], (size_t)runs);
    for (int p = 0; p < NPATH; p++) {
        double x = bench_median(v[p], (size_t)runs);
        printf("%-28s %12.2f %8.2f\n", names[p], x, x / bb);
    }
    sc_media_stats sa, sb;
    sc_media_stream_stats(a, &sa);
    sc_media_stream_stats(b, &sb);
    printf("(leg A: %llu received, %llu auth failures, %llu replays; leg B: %llu sent, %llu protected, %llu send "
           "errors)\n",
           (unsigned long long)sa.packets_received, (unsigned long long)sa.srtp_auth_failures,
           (unsigned long long)sa.srtp_replays, (unsigned long long)sb.packets_sent,
           (unsigned long long)sb.srtp_protected, (unsigned long long)sb.send_errors);
    free(w.pkt);
    free(w.len);
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
    printf("bench_srtp: median of %d runs\n\n", runs);
    bench_cpu(&loop, runs);
    bench_relay(&loop, runs);
    return uv_loop_close(&loop) == 0 ? 0 : 1;
}
