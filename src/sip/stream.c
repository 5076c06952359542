/* SIP stream framing (RFC 3261 18.3): messages on a TCP connection are delimited by the empty
 * line after the headers and the Content-Length. Every byte of the headers is looked at once
 * by the search for CRLFCRLF (which keeps its state across reads) and once by the parse of
 * Content-Length; body bytes are not looked at; so the cost is linear in the bytes received
 * whatever the sizes of the reads (a peer dripping a message byte by byte costs no more than
 * one sending it whole). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_int.h"
#include "sip/stream.h"

/* Content-Length (or "l") of the headers hdr[0, hlen): -1 none, -2 not a number. */
static long content_length_of(const char *hdr, size_t hlen)
{
    long cl = -1;
    const char *p = hdr, *end = hdr + hlen;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && p[0] != ' ' && p[0] != '\t') {
            const char *ne = colon;
            while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
                ne--;
            size_t n = (size_t)(ne - p);
            if ((n == 14 && strncasecmp(p, "Content-Length", 14) == 0) || (n == 1 && (*p == 'l' || *p == 'L'))) {
                const char *v = colon + 1;
                while (v < eol && (*v == ' ' || *v == '\t'))
                    v++;
                long val = 0;
                bool digits = false;
                while (v < eol && *v >= '0' && *v <= '9' && val < 100000000) {
                    val = val * 10 + (*v++ - '0');
                    digits = true;
                }
                if (!digits)
                    return -2;
                cl = val;
            }
        }
        p = eol + 1;
    }
    return cl;
}

/* Looks at p[*at, to) for the end of CRLFCRLF, *match bytes of it already seen: true with *at
 * just past it, or false with *at = to and *match updated. Each byte is looked at once. */
static bool find_header_end(const char *p, size_t *at, size_t to, unsigned *match)
{
    static const char pat[4] = {'\r', '\n', '\r', '\n'};
    unsigned m = *match;
    for (size_t i = *at; i < to; i++) {
        if (p[i] == pat[m])
            m++;
        else
            m = p[i] == '\r'; /* the only prefix of the pattern a mismatch can restart */
        if (m == 4) {
            *at = i + 1;
            *match = 0;
            return true;
        }
    }
    *at = to;
    *match = m;
    return false;
}

long sip_frame(const char *buf, size_t len, size_t max)
{
    size_t at = 0;
    unsigned match = 0;
    if (!find_header_end(buf, &at, len < max ? len : max, &match))
        return len >= max ? -1 : 0;
    long cl = content_length_of(buf, at);
    if (cl < 0 || at + (size_t)cl > max)
        return -1;
    if (len < at + (size_t)cl)
        return 0;
    return (long)(at + (size_t)cl);
}

void sip_stream_space(sip_stream *s, char **base, size_t *avail)
{
    if (!s->buf) {
        s->buf = malloc(2 * s->max);
        s->cap = s->buf ? 2 * s->max : 0;
    }
    *base = s->buf ? s->buf + s->len : NULL;
    *avail = s->cap - s->len;
}

void sip_stream_added(sip_stream *s, size_t n) { s->len += n; }

int sip_stream_push(sip_stream *s, const char *data, size_t n)
{
    char *base;
    size_t avail;
    sip_stream_space(s, &base, &avail);
    if (!base || n > avail)
        return -ENOBUFS;
    memcpy(base, data, n);
    sip_stream_added(s, n);
    return 0;
}

/* Skips the CR and LF bytes before a message (keep-alives, RFC 5626 4.4.1), counting each
 * double CRLF (a ping to answer) in s->pings. */
static void skip_keepalives(sip_stream *s)
{
    size_t i = s->start;
    while (i < s->len && (s->buf[i] == '\r' || s->buf[i] == '\n')) {
        s->crlf = s->buf[i] == "\r\n\r\n"[s->crlf] ? s->crlf + 1 : s->buf[i] == '\r';
        if (s->crlf == 4) {
            s->pings++;
            s->crlf = 0;
        }
        i++;
    }
    if (i < s->len)
        s->crlf = 0; /* a message starts */
    s->examined += i - s->start;
    s->start = s->scan = i;
}

long sip_stream_next(sip_stream *s, const char **msg)
{
    if (!s->msg_len) {
        if (s->scan == s->start && s->match == 0)
            skip_keepalives(s);
        if (s->start == s->len)
            return 0;
        size_t limit = s->start + s->max, to = s->len < limit ? s->len : limit, from = s->scan;
        bool found = find_header_end(s->buf, &s->scan, to, &s->match);
        s->examined += s->scan - from;
        if (!found)
            return s->len >= limit ? SIP_STREAM_GARBAGE : 0;
        size_t hlen = s->scan - s->start;
        long cl = content_length_of(s->buf + s->start, hlen);
        s->examined += hlen;
        if (cl < 0 || hlen + (size_t)cl > s->max)
            return SIP_STREAM_GARBAGE;
        s->msg_len = hlen + (size_t)cl;
    }
    if (s->len - s->start < s->msg_len)
        return 0;
    long n = (long)s->msg_len;
    *msg = s->buf + s->start;
    s->start += s->msg_len;
    s->scan = s->start;
    s->match = 0;
    s->msg_len = 0;
    return n;
}

void sip_stream_compact(sip_stream *s)
{
    if (!s->start)
        return;
    memmove(s->buf, s->buf + s->start, s->len - s->start);
    s->len -= s->start;
    s->scan -= s->start;
    s->start = 0;
}

void sip_stream_free(sip_stream *s)
{
    free(s->buf);
    s->buf = NULL;
    s->start = s->len = s->cap = s->scan = s->msg_len = 0;
    s->match = s->crlf = s->pings = 0;
}
