/* sse_stream: one client's Server-Sent Events stream on libmicrohttpd: a buffer under a mutex
 * and a condition variable that a producer thread fills, and the response whose content
 * reader copies it out on the HTTP thread, ends the stream once closed, notices a client that
 * hung up, and sends heartbeat comment lines while idle. The owner embeds an sd_sse_stream
 * in its per-client struct and reaches that struct from the hooks (offsetof). */
#ifndef SESSIOND_SSE_STREAM_H
#define SESSIOND_SSE_STREAM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
typedef struct sd_sse_stream sd_sse_stream;

/* What differs between the owners of streams; static for the streams' lifetime. */
typedef struct sd_sse_stream_cfg {
    uint32_t heartbeat_ms;    /* comment line when nothing else was sent for this long */
    uint32_t hangup_check_ms; /* how often an idle stream looks whether its client hung up */
    size_t first_cap;         /* the buffer's first allocation (bytes) */
    size_t max_unsent;        /* sd_sse_stream_reserve refuses to hold more (SIZE_MAX: no bound) */
    int sndbuf;               /* kernel send buffer of the connection's socket: bounds a slow client */
    /* HTTP thread, under mu, after bytes went to the client (NULL: nothing) */
    void (*on_sent)(sd_sse_stream *st);
    /* HTTP thread, under mu, after the response ended and gone was set (NULL: nothing) */
    void (*on_gone)(sd_sse_stream *st);
    /* the last reference is gone and st destroyed: free the owner's own fields and memory */
    void (*free_owner)(sd_sse_stream *st);
} sd_sse_stream_cfg;

struct sd_sse_stream {
    pthread_mutex_t mu; /* guards the fields below */
    pthread_cond_t cv;  /* broadcast by the producer when it appended or closed */
    char *buf;          /* [off, len) waits for the client */
    size_t off, len, cap;
    bool closed;            /* the server ended the stream: it ends after what is buffered */
    bool gone;              /* the client went away (the response is over) */
    uint64_t last_write_ms; /* last bytes handed to MHD */
    int fd;                 /* the connection's socket (hang-up checks), or -1 */
    _Atomic int refs;       /* the HTTP response and the producer each hold one */
    const sd_sse_stream_cfg *cfg;
};

/* The owner struct (type) whose member named st is the stream stp. */
#define SD_SSE_OWNER(stp, type) ((type *)((char *)(stp)-offsetof(type, st)))

/* Monotonic milliseconds, the clock of last_write_ms. */
uint64_t sd_sse_now_ms(void);
/* Set st up empty (no allocation) with one reference (the caller's, then the response's);
 * cfg must outlive st. */
void sd_sse_stream_init(sd_sse_stream *st, const sd_sse_stream_cfg *cfg);
/* One more reference (the producer's), from any thread. */
void sd_sse_stream_ref(sd_sse_stream *st);
/* Drop a reference, from any thread; the last one frees the buffer and the lock, then calls
 * cfg->free_owner. */
void sd_sse_stream_unref(sd_sse_stream *st);
/* Under mu: room for n more bytes at buf + len (the unsent bytes moved to the front first);
 * false when that would hold more than cfg->max_unsent unsent bytes, or on ENOMEM. */
bool sd_sse_stream_reserve(sd_sse_stream *st, size_t n);
/* Under mu: append n bytes; false as sd_sse_stream_reserve. */
bool sd_sse_stream_append(sd_sse_stream *st, const char *s, size_t n);
/* HTTP thread: answer a request whose per-client struct holds st (set up, one reference):
 * with a 400 {"error": bad} when bad is not NULL; else make the response, hand st to the
 * producer (hand_over(st, ud): true when it took a reference and will feed st, false when it is
 * stopping) and queue the stream (Content-Type: text/event-stream, the socket's send buffer
 * cfg->sndbuf, a "retry:" line first), or answer 503 "shutting down". st's reference is the
 * response's, or dropped. Error answers as sd_sse_reply_error (no_store). The MHD result. */
int sd_sse_stream_start(sd_sse_stream *st, struct MHD_Connection *mc, const char *bad,
                        bool (*hand_over)(sd_sse_stream *st, void *ud), void *ud, bool no_store);
/* HTTP thread: answer mc with status and {"error": msg} (msg holds no quote or backslash),
 * with Cache-Control: no-store if no_store; the MHD result. For a request that gets no stream. */
int sd_sse_reply_error(struct MHD_Connection *mc, int status, const char *msg, bool no_store);

#endif
