/* Fuzz target for the SIP/TCP stream framer (src/sip/stream.c): the input after its first byte
 * is a TCP byte stream, pushed in reads whose sizes come from the first byte (1 to 64 bytes, or
 * as much as fits). The messages framed must be exactly those that framing the whole stream at
 * once with a plain search written apart (naive_frame) gives, in order and byte for byte;
 * the stream is refused exactly when that reference refuses it; and the framer looks at no more
 * than twice the bytes fed. Any difference aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_int.h"
#include "sip/stream.h"

#define FRAME_MAX 4096 /* small, so that the limits are reached */

typedef struct ref {
    size_t *off, *len, n; /* at most size / 4 + 1 messages: each ends in CRLFCRLF */
    bool garbage;
} ref;

/* Content-Length of hdr[0, hlen), written apart from stream.c's on purpose: -1 none, -2 no
 * digits; a header line is "Content-Length" or "l" (any case), blanks, ':', blanks, digits. */
static long naive_content_length(const char *hdr, size_t hlen)
{
    long cl = -1;
    for (size_t ls = 0; ls < hlen;) {
        size_t le = ls;
        while (le < hlen && hdr[le] != '\n')
            le++;
        size_t colon = ls;
        while (colon < le && hdr[colon] != ':')
            colon++;
        if (colon < le && hdr[ls] != ' ' && hdr[ls] != '\t') {
            size_t ne = colon;
            while (ne > ls && (hdr[ne - 1] == ' ' || hdr[ne - 1] == '\t'))
                ne--;
            bool is_cl = (ne - ls == 14 && !strncasecmp(hdr + ls, "content-length", 14)) ||
                         (ne - ls == 1 && (hdr[ls] == 'l' || hdr[ls] == 'L'));
            if (is_cl) {
                size_t v = colon + 1;
                while (v < le && (hdr[v] == ' ' || hdr[v] == '\t'))
                    v++;
                if (v == le || hdr[v] < '0' || hdr[v] > '9')
                    return -2;
                long val = 0;
                for (; v < le && hdr[v] >= '0' && hdr[v] <= '9'; v++)
                    val = val < 100000000 ? val * 10 + (hdr[v] - '0') : val;
                cl = val;
            }
        }
        ls = le + 1;
    }
    return cl;
}

/* One message at p[0, len): > 0 its length, 0 more needed, -1 garbage; a plain search. */
static long naive_frame(const char *p, size_t len)
{
    size_t scan = len < FRAME_MAX ? len : FRAME_MAX, hend = 0;
    for (size_t i = 0; i + 4 <= scan && !hend; i++)
        if (!memcmp(p + i, "\r\n\r\n", 4))
            hend = i + 4;
    if (!hend)
        return len >= FRAME_MAX ? -1 : 0;
    long cl = naive_content_length(p, hend);
    if (cl < 0 || hend + (size_t)cl > FRAME_MAX)
        return -1;
    return len < hend + (size_t)cl ? 0 : (long)(hend + (size_t)cl);
}

/* The whole stream framed at once: keep-alive CRLFs skipped before each message. */
static void reference(const char *p, size_t size, ref *r)
{
    size_t off = 0;
    r->n = 0;
    r->garbage = false;
    while (off < size) {
        while (off < size && (p[off] == '\r' || p[off] == '\n'))
            off++;
        if (off == size)
            break;
        long n = naive_frame(p + off, size - off);
        if (n < 0)
            r->garbage = true;
        if (n <= 0)
            break;
        r->off[r->n] = off;
        r->len[r->n++] = (size_t)n;
        off += (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned seed = data[0];
    const char *p = (const char *)data + 1;
    size--;
    ref r = {.off = malloc((size / 4 + 1) * sizeof(size_t)), .len = malloc((size / 4 + 1) * sizeof(size_t))};
    if (!r.off || !r.len)
        abort();
    reference(p, size, &r);
    sip_stream s = {.max = FRAME_MAX};
    size_t off = 0, got = 0;
    bool garbage = false;
    while (off < size && !garbage) {
        char *base;
        size_t avail;
        sip_stream_space(&s, &base, &avail);
        if (!base || !avail)
            abort(); /* a message fits in max, the buffer holds two */
        seed = seed * 1103515245u + 12345u;
        size_t c = (data[0] & 0x80) ? avail : 1 + (seed >> 16) % 64;
        if (c > avail)
            c = avail;
        if (c > size - off)
            c = size - off;
        memcpy(base, p + off, c);
        sip_stream_added(&s, c);
        off += c;
        const char *m;
        long n;
        while ((n = sip_stream_next(&s, &m)) > 0) {
            if (got >= r.n || (size_t)n != r.len[got] || memcmp(m, p + r.off[got], (size_t)n) != 0)
                abort(); /* a message the whole-stream framing does not give */
            got++;
        }
        if (n < 0)
            garbage = true;
        sip_stream_compact(&s);
    }
    if (got != r.n)
        abort(); /* a message lost */
    if (garbage != r.garbage)
        abort(); /* refused differently */
    if (s.examined > 2 * (uint64_t)off)
        abort(); /* not linear */
    sip_stream_free(&s);
    free(r.off);
    free(r.len);
    return 0;
}
