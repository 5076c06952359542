/* rtp_probe: a small RTP endpoint for the media wire tests: binds a UDP port, receives RTP for
 * a while and prints JSON (packets, payload types, packets/s, SSRCs, RFC 4733 digits, and the
 * correlation of the decoded G.711 audio with a reference file); optionally sends a PCMU tone
 * at 50 packets/s to a peer, with RFC 4733 digits in between.
 *
 * usage: rtp_probe --port P [--bind ADDR] [--seconds S] [--wav FILE] [--to HOST:PORT]
 *                  [--dtmf DIGITS] [--dtmf-pt PT] [--dtmf-at-ms MS] [--stop-after-idle-ms MS]
 *                  [--pt PT]   (the tone's packets labelled PT, payload still PCMU: for relay tests) */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "session_core/media.h"

#define MAX_PCM (8000 * 120)

typedef struct probe {
    int fd;
    struct sockaddr_storage to;
    socklen_t tolen;
    bool sending;
    uint64_t packets, by_pt[128], first_us, last_us;
    uint32_t ssrcs[16];
    size_t nssrc;
    char digits[256];
    size_t ndigits;
    uint32_t last_event_ts;
    bool have_event;
    int16_t *pcm;
    size_t npcm;
    /* sender */
    uint16_t seq;
    uint32_t ts, ssrc;
    const char *dtmf;
    int dtmf_pt;
    int tone_pt; /* payload type of the tone's packets (0) */
} probe;

static uint64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static const char DIGITS[] = "0123456789*#ABCD";

static void on_packet(probe *p, const uint8_t *b, size_t n)
{
    if (n < 12 || (b[0] >> 6) != 2)
        return;
    size_t hl = 12 + 4u * (b[0] & 0x0f);
    if (b[0] & 0x10) {
        if (n < hl + 4)
            return;
        hl += 4 + 4u * (((size_t)b[hl + 2] << 8) | b[hl + 3]);
    }
    if (n < hl)
        return;
    int pt = b[1] & 0x7f;
    uint32_t ts = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
    uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
    uint64_t t = now_us();
    if (!p->packets)
        p->first_us = t;
    p->last_us = t;
    p->packets++;
    p->by_pt[pt]++;
    bool known = false;
    for (size_t i = 0; i < p->nssrc; i++)
        known |= p->ssrcs[i] == ssrc;
    if (!known && p->nssrc < 16)
        p->ssrcs[p->nssrc++] = ssrc;
    const uint8_t *pl = b + hl;
    size_t plen = n - hl;
    if (pt >= 96 && plen >= 4) { /* telephone-event: count each event once, at its end */
        if ((pl[1] & 0x80) && !(p->have_event && p->last_event_ts == ts) && pl[0] < 16 &&
            p->ndigits + 1 < sizeof p->digits) {
            p->digits[p->ndigits++] = DIGITS[pl[0]];
            p->last_event_ts = ts;
            p->have_event = true;
        }
        return;
    }
    if ((pt == 0 || pt == 8) && p->pcm) {
        for (size_t i = 0; i < plen && p->npcm < MAX_PCM; i++)
            p->pcm[p->npcm++] = pt == 0 ? sc_media_ulaw_decode(pl[i]) : sc_media_alaw_decode(pl[i]);
    }
}

static void put_header(uint8_t *b, int pt, bool marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    b[0] = 0x80;
    b[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    b[4] = (uint8_t)(ts >> 24);
    b[5] = (uint8_t)(ts >> 16);
    b[6] = (uint8_t)(ts >> 8);
    b[7] = (uint8_t)ts;
    b[8] = (uint8_t)(ssrc >> 24);
    b[9] = (uint8_t)(ssrc >> 16);
    b[10] = (uint8_t)(ssrc >> 8);
    b[11] = (uint8_t)ssrc;
}

/* One 20 ms packet: a 400 Hz tone, or (during a digit) a telephone-event packet. tick counts
 * packets since the digits started (-1: no digits yet). */
static void send_tick(probe *p, long tick)
{
    uint8_t b[12 + 160];
    size_t n;
    long per = 10 + 4; /* a digit: 10 packets (200 ms) of event, 3 end packets, 1 gap */
    long d = tick >= 0 ? tick / per : -1, k = tick >= 0 ? tick % per : -1;
    if (p->dtmf && d >= 0 && (size_t)d < strlen(p->dtmf) && k < 13) {
        const char *pos = strchr(DIGITS, p->dtmf[d]);
        uint32_t ev_ts = p->ts - (uint32_t)k * 160u;
        unsigned dur = (unsigned)(k < 10 ? k + 1 : 10) * 160u;
        put_header(b, p->dtmf_pt, k == 0, p->seq++, ev_ts, p->ssrc);
        b[12] = (uint8_t)(pos ? pos - DIGITS : 0);
        b[13] = (uint8_t)((k >= 10 ? 0x80 : 0) | 10);
        b[14] = (uint8_t)(dur >> 8);
        b[15] = (uint8_t)dur;
        n = 16;
    } else {
        put_header(b, p->tone_pt, p->seq == 0, p->seq, p->ts, p->ssrc);
        p->seq++;
        for (int i = 0; i < 160; i++) {
            double s = 8000.0 * sin(2 * M_PI * 400.0 * (double)(p->ts + (uint32_t)i) / 8000.0);
            b[12 + i] = sc_media_ulaw_encode((int16_t)s);
        }
        n = sizeof b;
    }
    p->ts += 160;
    sendto(p->fd, b, n, 0, (struct sockaddr *)&p->to, p->tolen);
}

/* Normalized correlation of a (len n) with ref at lag (wrapping around ref). */
static double corr_at(const int16_t *a, size_t n, const int16_t *ref, size_t rn, size_t lag)
{
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        double x = a[i], y = ref[(lag + i) % rn];
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0;
}

static double correlate(const probe *p, const char *wav)
{
    int16_t *ref = NULL;
    size_t rn = 0;
    if (!wav || p->npcm < 3200 || sc_media_load_audio(wav, &ref, &rn) != 0 || rn < 1600) {
        free(ref);
        return 0;
    }
    /* Find the lag with a 200 ms window from the middle, then score the whole capture there. */
    size_t w = 1600, start = p->npcm / 2 - w / 2, best = 0;
    double bc = -2;
    for (size_t lag = 0; lag < rn; lag++) {
        double c = corr_at(p->pcm + start, w, ref, rn, lag);
        if (c > bc) {
            bc = c;
            best = lag;
        }
    }
    size_t lag0 = (best + rn - start % rn) % rn;
    double c = corr_at(p->pcm, p->npcm, ref, rn, lag0);
    free(ref);
    return c;
}

static int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    int port = atoi(colon + 1);
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof *a4;
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    probe p = {.fd = -1, .dtmf_pt = 101, .ssrc = 0x5c0ffee5};
    const char *bind_addr = "127.0.0.1", *wav = NULL;
    int port = 0;
    double seconds = 3;
    long dtmf_at_ms = 500, idle_ms = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bind"))
            bind_addr = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--wav"))
            wav = argv[i + 1];
        else if (!strcmp(argv[i], "--to")) {
            if (parse_hostport(argv[i + 1], &p.to, &p.tolen))
                return fprintf(stderr, "rtp_probe: bad --to\n"), 2;
            p.sending = true;
        } else if (!strcmp(argv[i], "--dtmf"))
            p.dtmf = argv[i + 1];
        else if (!strcmp(argv[i], "--dtmf-pt"))
            p.dtmf_pt = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pt"))
            p.tone_pt = atoi(argv[i + 1]) & 0x7f;
        else if (!strcmp(argv[i], "--dtmf-at-ms"))
            dtmf_at_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--stop-after-idle-ms"))
            idle_ms = atol(argv[i + 1]);
        else
            return fprintf(stderr, "rtp_probe: unknown option %s\n", argv[i]), 2;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port <= 0 || inet_pton(AF_INET, bind_addr, &a.sin_addr) != 1)
        return fprintf(stderr, "rtp_probe: need --port and an IPv4 --bind\n"), 2;
    p.fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (p.fd < 0 || bind(p.fd, (struct sockaddr *)&a, sizeof a) != 0)
        return fprintf(stderr, "rtp_probe: bind %s:%d: %s\n", bind_addr, port, strerror(errno)), 1;
    p.pcm = malloc(MAX_PCM * sizeof *p.pcm);
    uint64_t start = now_us(), end = start + (uint64_t)(seconds * 1e6), next_send = start;
    long tick = 0;
    while (now_us() < end) {
        uint64_t t = now_us();
        if (p.sending && t >= next_send) {
            long since = (long)((t - start) / 1000);
            send_tick(&p, since >= dtmf_at_ms ? tick++ : -1);
            next_send += 20000;
        }
        if (idle_ms && p.packets && t - p.last_us > (uint64_t)idle_ms * 1000u)
            break;
        uint64_t wake = p.sending ? next_send : end;
        int ms = wake > t ? (int)((wake - t) / 1000) : 0;
        struct pollfd pf = {.fd = p.fd, .events = POLLIN};
        if (poll(&pf, 1, ms > 50 ? 50 : ms) > 0) {
            uint8_t b[2048];
            ssize_t n;
            while ((n = recv(p.fd, b, sizeof b, MSG_DONTWAIT)) > 0)
                on_packet(&p, b, (size_t)n);
        }
    }
    double span = p.packets > 1 ? (double)(p.last_us - p.first_us) / 1e6 : 0;
    printf("{\"packets\":%llu,\"pps\":%.1f,\"duration_s\":%.3f,\"payload_types\":{", (unsigned long long)p.packets,
           span > 0 ? (double)(p.packets - 1) / span : 0.0, span);
    bool first = true;
    for (int i = 0; i < 128; i++)
        if (p.by_pt[i]) {
            printf("%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)p.by_pt[i]);
            first = false;
        }
    printf("},\"ssrcs\":[");
    for (size_t i = 0; i < p.nssrc; i++)
        printf("%s%u", i ? "," : "", p.ssrcs[i]);
    p.digits[p.ndigits] = '\0';
    printf("],\"dtmf\":\"%s\",\"samples\":%zu,\"correlation\":%.4f}\n", p.digits, p.npcm, correlate(&p, wav));
    free(p.pcm);
    close(p.fd);
    return 0;
}
