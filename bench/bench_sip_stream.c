/* bench_sip_stream: CPU cost of framing SIP over TCP (src/sip/stream.c) when a message arrives
 * in reads of 1, 16 or 1460 bytes, against the same message arriving in one read (the
 * baseline, measured in the same run), for messages of 4 KB to 60 KB (half headers, half body).
 * A linear framer keeps ns/byte flat as the message grows, whatever the read size; the
 * quadratic one it replaced grew with the message (~n^2/2 bytes looked at when dripped).
 * Also prints the framer's bytes examined per byte fed. See docs/benchmarks.md ("SIP framing").
 * Usage: bench_sip_stream [runs]   (median of runs, default 7) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "sip/stream.h"

static char *make_msg(size_t size)
{
    size_t half = size / 2, h = 0;
    char *m = malloc(size + 512);
    h += (size_t)sprintf(m, "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bKb\r\n"
                            "Call-ID: bench@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n");
    for (unsigned i = 0; h + 40 < half; i++)
        h += (size_t)sprintf(m + h, "X-Filler-%05u: %020u\r\n", i, i);
    h += (size_t)sprintf(m + h, "Content-Length: %zu\r\n\r\n", half);
    memset(m + h, 'b', half);
    m[h + half] = '\0';
    return m;
}

/* Frames msg (len bytes) arriving in reads of chunk bytes, reps times: ns per byte; the bytes
 * the framer looked at per byte fed into *examined. */
static double frame(const char *msg, size_t len, size_t chunk, int reps, double *examined)
{
    sip_stream s = {.max = 65535};
    uint64_t fed = 0;
    double t0 = bench_now_ns();
    for (int r = 0; r < reps; r++) {
        size_t got = 0;
        for (size_t off = 0; off < len; off += chunk) {
            size_t c = len - off < chunk ? len - off : chunk;
            if (sip_stream_push(&s, msg + off, c) != 0)
                exit(1);
            fed += c;
            const char *m;
            long n;
            while ((n = sip_stream_next(&s, &m)) > 0)
                got += (size_t)n;
            if (n < 0)
                exit(1);
            sip_stream_compact(&s);
        }
        if (got != len)
            exit(1);
    }
    double ns = bench_now_ns() - t0;
    *examined = (double)s.examined / (double)fed;
    sip_stream_free(&s);
    return ns / (double)fed;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    if (runs < 1 || runs > 99)
        runs = 7;
    static const size_t sizes[] = {4000, 16000, 60000};
    static const size_t chunks[] = {1, 16, 1460};
    printf("SIP/TCP framing: ns per byte fed (median of %d runs), ratio against one read per message\n", runs);
    printf("%8s %12s %10s %10s %10s %10s %10s %10s %10s\n", "bytes", "whole ns/B", "1 B reads", "ratio", "16 B",
           "ratio", "1460 B", "ratio", "examined");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *msg = make_msg(sizes[i]);
        size_t len = strlen(msg);
        int reps = (int)(2000000 / len) + 1; /* ~2 MB a figure */
        double whole[99], part[3][99], ex = 0;
        for (int r = 0; r < runs; r++) { /* interleaved, so a noisy moment hits every column */
            whole[r] = frame(msg, len, len, reps * 4, &ex);
            for (size_t k = 0; k < 3; k++)
                part[k][r] = frame(msg, len, chunks[k], reps, &ex);
        }
        double w = bench_median(whole, (size_t)runs), p[3];
        for (size_t k = 0; k < 3; k++)
            p[k] = bench_median(part[k], (size_t)runs);
        printf("%8zu %12.3f %10.3f %10.1f %10.3f %10.1f %10.3f %10.1f %10.2f\n", len, w, p[0], p[0] / w, p[1], p[1] / w,
               p[2], p[2] / w, ex);
        free(msg);
    }
    return 0;
}
