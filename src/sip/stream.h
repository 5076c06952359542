/* stream: Content-Length framing of SIP over a byte stream (TCP), in linear time: the search
 * for the end of the headers resumes where the last read left it, Content-Length is parsed
 * once per message, and consumed messages are dropped with at most one move per read. */
#ifndef SC_SIP_STREAM_H
#define SC_SIP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Received bytes not yet framed: buf[start, len). Zero it, then set max. */
typedef struct sip_stream {
    char *buf;
    size_t start, len, cap; /* cap: 2 * max once allocated */
    size_t max;             /* the largest message (headers and body) accepted */
    size_t scan;            /* next byte the header-end search looks at (absolute index) */
    unsigned match;         /* bytes of CRLFCRLF matched just before scan (0..3) */
    size_t msg_len;         /* the message at start once its headers are parsed; 0: unknown */
    uint64_t examined;      /* bytes looked at by the framer (CRLF skipping, header scan, parse) */
    unsigned crlf;          /* bytes of a CRLFCRLF keep-alive ping seen between messages (0..3) */
    unsigned pings;         /* pings seen (RFC 5626 4.4.1); the reader answers and zeroes it */
} sip_stream;

#define SIP_STREAM_GARBAGE (-1) /* no CRLFCRLF within max, no or bad Content-Length, too large */

/* Free space at the end of the buffer for the next read (allocated on first use): *avail 0
 * when the buffer is full or cannot be allocated. */
void sip_stream_space(sip_stream *s, char **base, size_t *avail);
/* n bytes were written at the base sip_stream_space gave. */
void sip_stream_added(sip_stream *s, size_t n);
/* Copies data in (as a read would): -ENOBUFS when it does not fit. */
int sip_stream_push(sip_stream *s, const char *data, size_t n);
/* The next complete message: its length (> 0) with *msg pointing at it (valid until the next
 * sip_stream_compact or sip_stream_push), 0 when more bytes are needed, SIP_STREAM_GARBAGE
 * when the stream cannot be framed (the connection should be dropped). Keep-alive CRLFs
 * between messages are skipped. */
long sip_stream_next(sip_stream *s, const char **msg);
/* Moves the bytes not yet consumed to the front: once per read, after sip_stream_next. */
void sip_stream_compact(sip_stream *s);
void sip_stream_free(sip_stream *s);

#endif
