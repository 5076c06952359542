/* sse_stream: one client's Server-Sent Events stream on libmicrohttpd (see sse_stream.h): the
 * bounded buffer, the content reader with its heartbeats and hang-up checks, the done callback. */
#include "sse_stream.h"

#include <microhttpd.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "session_core/base.h"

uint64_t sd_sse_now_ms(void) { return sc_clock_mono_us(sc_clock_system()) / 1000; }

void sd_sse_stream_init(sd_sse_stream *st, const sd_sse_stream_cfg *cfg)
{
    memset(st, 0, sizeof *st);
    st->fd = -1;
    st->cfg = cfg;
    atomic_store(&st->refs, 1);
    pthread_mutex_init(&st->mu, NULL);
    sc_cond_init_monotonic(&st->cv);
}

void sd_sse_stream_ref(sd_sse_stream *st) { atomic_fetch_add(&st->refs, 1); }

void sd_sse_stream_unref(sd_sse_stream *st)
{
    if (atomic_fetch_sub(&st->refs, 1) != 1)
        return;
    free(st->buf);
    st->buf = NULL;
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    st->cfg->free_owner(st);
}

bool sd_sse_stream_reserve(sd_sse_stream *st, size_t n)
{
    if (st->off && st->off == st->len)
        st->off = st->len = 0;
    if (st->len + n <= st->cap)
        return true;
    if (st->len - st->off + n > st->cfg->max_unsent)
        return false;
    if (st->off) {
        memmove(st->buf, st->buf + st->off, st->len - st->off);
        st->len -= st->off;
        st->off = 0;
    }
    if (st->len + n > st->cap) {
        size_t cap = st->cap ? st->cap : st->cfg->first_cap;
        while (cap < st->len + n)
            cap *= 2;
        char *b = realloc(st->buf, cap);
        if (!b)
            return false;
        st->buf = b;
        st->cap = cap;
    }
    return true;
}

bool sd_sse_stream_append(sd_sse_stream *st, const char *s, size_t n)
{
    if (!sd_sse_stream_reserve(st, n))
        return false;
    memcpy(st->buf + st->len, s, n);
    st->len += n;
    return true;
}

/* Under mu: true when the client's end of the connection is closed. */
static bool hung_up(const sd_sse_stream *st)
{
    if (st->fd < 0)
        return false;
    struct pollfd pf = {.fd = st->fd, .events = POLLRDHUP};
    return poll(&pf, 1, 0) == 1 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* MHD content reader: the buffered bytes, the end of a closed stream, or (idle) a heartbeat,
 * waiting on cv in between; a client that hung up frees its stream now, not a heartbeat or two
 * later. */
static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    sd_sse_stream *st = cls;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        if (st->len > st->off) {
            size_t n = st->len - st->off < max ? st->len - st->off : max;
            memcpy(out, st->buf + st->off, n);
            st->off += n;
            st->last_write_ms = sd_sse_now_ms();
            if (st->cfg->on_sent)
                st->cfg->on_sent(st);
            pthread_mutex_unlock(&st->mu);
            return (ssize_t)n;
        }
        if (st->closed) {
            pthread_mutex_unlock(&st->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (hung_up(st)) {
            pthread_mutex_unlock(&st->mu);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        uint64_t due = st->last_write_ms + st->cfg->heartbeat_ms, now = sd_sse_now_ms();
        if (now >= due) {
            static const char hb[] = ": heartbeat\n\n";
            size_t n = sizeof hb - 1 < max ? sizeof hb - 1 : max;
            memcpy(out, hb, n);
            st->last_write_ms = now;
            pthread_mutex_unlock(&st->mu);
            return (ssize_t)n;
        }
        struct timespec until;
        uint64_t check = st->cfg->hangup_check_ms;
        sc_cond_deadline(&until, due - now < check ? due - now : check);
        pthread_cond_timedwait(&st->cv, &st->mu, &until);
    }
}

static void stream_done(void *cls)
{
    sd_sse_stream *st = cls;
    pthread_mutex_lock(&st->mu);
    st->gone = true;
    if (st->cfg->on_gone)
        st->cfg->on_gone(st);
    pthread_mutex_unlock(&st->mu);
    sd_sse_stream_unref(st);
}

/* Buffer the "retry:" line and make the streaming response; NULL on ENOMEM. */
static struct MHD_Response *stream_response(sd_sse_stream *st)
{
    static const char hello[] = "retry: 1000\n\n";
    sd_sse_stream_append(st, hello, sizeof hello - 1);
    st->last_write_ms = sd_sse_now_ms();
    return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8192, stream_read, st, stream_done);
}

/* Note the connection's socket, add the event-stream headers, queue r as a 200; destroys r. */
static int stream_queue(sd_sse_stream *st, struct MHD_Connection *mc, struct MHD_Response *r)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        int sz = st->cfg->sndbuf;
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
        st->fd = ci->connect_fd; /* read only by stream_read, while the connection lives */
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    int ret = MHD_queue_response(mc, 200, r);
    MHD_destroy_response(r);
    return ret;
}

int sd_sse_stream_start(sd_sse_stream *st, struct MHD_Connection *mc, const char *bad,
                        bool (*hand_over)(sd_sse_stream *st, void *ud), void *ud, bool no_store)
{
    if (bad) {
        sd_sse_stream_unref(st);
        return sd_sse_reply_error(mc, 400, bad, no_store);
    }
    struct MHD_Response *r = stream_response(st);
    if (!r) {
        sd_sse_stream_unref(st);
        return MHD_NO;
    }
    if (!hand_over(st, ud)) {
        MHD_destroy_response(r); /* runs stream_done: drops the reference */
        return sd_sse_reply_error(mc, 503, "shutting down", no_store);
    }
    return stream_queue(st, mc, r);
}

int sd_sse_reply_error(struct MHD_Connection *mc, int status, const char *msg, bool no_store)
{
    char *b = NULL;
    if (asprintf(&b, "{\"error\":\"%s\"}\n", msg) < 0)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(b), b, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(b);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (no_store)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    int ret = MHD_queue_response(mc, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}
