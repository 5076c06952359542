/* media: the media context (port pool, randomness, clock) and the life of a stream: opening
 * its RTP/RTCP sockets, the remote and direction, receiving and validating packets, the RTCP
 * report and RTP timeout timer, sending, and closing with the ports returned at once. */
#include "media/media_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MOD "media"

uint64_t sc_media__now(const sc_media *m) { return sc_clock_mono_us(m->clock); }

uint32_t sc_media__random(sc_media *m)
{
    /* xorshift64*: fine for SSRCs and initial sequence numbers (not for secrets) */
    uint64_t x = m->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m->rng = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

void sc_media__release(sc_media *m)
{
    if (--m->live == 0 && m->freeing) {
        free(m->pair_used);
        free(m);
    }
}

static int parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (uv_ip4_addr(addr, port, (struct sockaddr_in *)out) == 0)
        return 0;
    if (uv_ip6_addr(addr, port, (struct sockaddr_in6 *)out) == 0)
        return 0;
    return -EINVAL;
}

static void set_port(struct sockaddr_storage *sa, uint16_t port)
{
    if (sa->ss_family == AF_INET)
        ((struct sockaddr_in *)sa)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

int sc_media_new(sc_media **out, uv_loop_t *loop, const sc_media_config *cfg)
{
    if (!out || !loop || !cfg)
        return -EINVAL;
    uint32_t lo = cfg->port_min, hi = cfg->port_max;
    if (lo == 0 && hi == 0) {
        lo = SC_MEDIA_PORT_MIN_DEFAULT;
        hi = SC_MEDIA_PORT_MAX_DEFAULT;
    }
    if (lo & 1)
        lo++;
    if (lo == 0 || hi < lo + 1 || hi > 65535)
        return -EINVAL;
    sc_media *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->loop = loop;
    m->clock = cfg->clock ? cfg->clock : sc_clock_system();
    m->logger = cfg->logger;
    m->cb = cfg->cb;
    const char *bind = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";
    if (strlen(bind) >= sizeof m->bind_str || parse_addr(bind, 0, &m->bind) < 0) {
        free(m);
        return -EINVAL;
    }
    snprintf(m->bind_str, sizeof m->bind_str, "%s", bind);
    if (cfg->cname)
        snprintf(m->cname, sizeof m->cname, "%s", cfg->cname);
    else
        snprintf(m->cname, sizeof m->cname, "sessioncore@%s", bind);
    m->port_min = (uint16_t)lo;
    m->npairs = (hi - lo + 1) / 2;
    m->pair_used = calloc(m->npairs, 1);
    if (!m->pair_used) {
        free(m);
        return -ENOMEM;
    }
    m->rtp_timeout_ms = cfg->rtp_timeout_ms;
    m->rtcp_interval_ms = cfg->rtcp_interval_ms ? cfg->rtcp_interval_ms : 5000;
    if (getrandom(&m->rng, sizeof m->rng, 0) != (ssize_t)sizeof m->rng)
        m->rng = (uint64_t)sc_clock_wall_us(m->clock) ^ (uint64_t)(uintptr_t)m;
    if (m->rng == 0)
        m->rng = 0x9E3779B97F4A7C15ULL;
    m->live = 1; /* the context itself */
    *out = m;
    return 0;
}

void sc_media_free(sc_media *m)
{
    if (!m || m->freeing)
        return;
    while (m->streams)
        sc_media_stream_close(m->streams);
    m->freeing = true;
    sc_moh__free_classes(m);
    sc_media__release(m);
}

/* ---- receiving ------------------------------------------------------------------------------ */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    sc_media_stream *st = h->data;
    sc_media *m = st->m;
    if (m->rxbuf_busy) { /* cannot happen on one thread, but never hand out the buffer twice */
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    m->rxbuf_busy = true;
    *buf = uv_buf_init(m->rxbuf, sizeof m->rxbuf);
}

static bool valid_pt(const sc_media_stream *st, uint8_t pt)
{
    if (st->codec >= 0)
        return pt == st->codec || (st->dtmf_pt >= 0 && pt == st->dtmf_pt);
    return pt == SC_MEDIA_PCMU || pt == SC_MEDIA_PCMA;
}

static void on_rtp(sc_media_stream *st, uint8_t *pkt, size_t len)
{
    sc_rtp_hdr h;
    if (sc_rtp__parse(pkt, len, &h) < 0 || !valid_pt(st, h.pt)) {
        st->stats.packets_invalid++;
        return;
    }
    st->stats.packets_received++;
    st->stats.bytes_received += h.plen;
    st->stats.last_ssrc = h.ssrc;
    st->stats.have_ssrc = true;
    st->last_rx_us = sc_media__now(st->m);
    st->timeout_fired = false;
    sc_rtp__rx_update(st, &h);
    if (st->dtmf_pt >= 0 && h.pt == st->dtmf_pt) {
        sc_dtmf__receive(st, &h, pkt + h.hlen);
        if (st->closing)
            return;
    }
    if (st->peer)
        sc_bridge__relay(st, &h, pkt, len);
}

static void recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
    sc_media_stream *st = h->data;
    sc_media *m = st->m;
    if (buf->base == m->rxbuf)
        m->rxbuf_busy = false;
    if (nread <= 0 || !addr || st->closing || (flags & UV_UDP_PARTIAL)) {
        if (nread > 0)
            st->stats.packets_invalid++;
        return;
    }
    if (h == &st->rtp) {
        on_rtp(st, (uint8_t *)buf->base, (size_t)nread);
    } else if (sc_rtcp__parse(st, (const uint8_t *)buf->base, (size_t)nread) == 0) {
        st->stats.rtcp_received++;
    } else {
        st->stats.packets_invalid++;
    }
}

/* ---- sending -------------------------------------------------------------------------------- */

bool sc_media__can_send(const sc_media_stream *st)
{
    return st->has_remote && st->remote_port != 0 && st->codec >= 0 && !st->closing &&
           (st->dir == SC_MEDIA_SENDRECV || st->dir == SC_MEDIA_SENDONLY);
}

void sc_media__send_rtp(sc_media_stream *st, const uint8_t *pkt, size_t len, size_t payload)
{
    uv_buf_t b = uv_buf_init((char *)pkt, (unsigned)len);
    int rc = uv_udp_try_send(&st->rtp, &b, 1, (const struct sockaddr *)&st->remote);
    if (rc < 0) {
        st->stats.send_errors++;
        return;
    }
    st->stats.packets_sent++;
    st->stats.bytes_sent += payload;
    st->packets_sent_rtcp++;
    st->octets_sent_rtcp += (uint32_t)payload;
    st->sent_since_report = true;
}

uint32_t sc_media__next_ts(sc_media_stream *st)
{
    if (!st->ts_last_us)
        return sc_media__random(st->m);
    uint64_t elapsed = (sc_media__now(st->m) - st->ts_last_us) * 8 / 1000;
    if (elapsed < st->ts_last_len)
        elapsed = st->ts_last_len;
    return st->ts_last + (uint32_t)elapsed;
}

void sc_media__audio_header(sc_media_stream *st, uint8_t *hdr, sc_media_src src)
{
    bool marker = false;
    uint32_t ts;
    if (st->src != src) {
        marker = true;
        ts = sc_media__next_ts(st);
        st->src = src;
    } else {
        ts = st->ts_last + st->ts_last_len;
    }
    sc_rtp__write_header(hdr, (uint8_t)st->codec, marker, st->seq++, ts, st->ssrc);
    st->ts_last = ts;
    st->ts_last_len = SC_MEDIA_FRAME;
    st->ts_last_us = sc_media__now(st->m);
}

/* ---- timers: RTCP and RTP timeout ----------------------------------------------------------- */

static bool remote_should_send(const sc_media_stream *st)
{
    return st->has_remote && st->remote_port != 0 && (st->dir == SC_MEDIA_SENDRECV || st->dir == SC_MEDIA_RECVONLY);
}

static void schedule(sc_media_stream *st);

static void send_rtcp(sc_media_stream *st)
{
    uint8_t buf[512];
    size_t n = sc_rtcp__build(st, buf, sizeof buf);
    if (!n)
        return;
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)n);
    if (uv_udp_try_send(&st->rtcp, &b, 1, (const struct sockaddr *)&st->remote_c) >= 0)
        st->stats.rtcp_sent++;
    else
        st->stats.send_errors++;
}

static uint64_t rtcp_interval_us(sc_media *m)
{
    uint64_t mean = (uint64_t)m->rtcp_interval_ms * 1000;
    return mean / 2 + (uint64_t)(sc_media__random(m) % (uint32_t)(mean + 1));
}

static void timer_cb(uv_timer_t *t)
{
    sc_media_stream *st = t->data;
    sc_media *m = st->m;
    uint64_t now = sc_media__now(m);
    if (st->has_remote && st->remote_port && now >= st->next_rtcp_us) {
        send_rtcp(st);
        st->next_rtcp_us = now + rtcp_interval_us(m);
    }
    if (m->rtp_timeout_ms && remote_should_send(st) && !st->timeout_fired &&
        now >= st->last_rx_us + (uint64_t)m->rtp_timeout_ms * 1000) {
        st->timeout_fired = true;
        if (m->cb.on_rtp_timeout)
            m->cb.on_rtp_timeout(st, st->ud);
        if (st->closing)
            return;
    }
    schedule(st);
}

/* Arm the housekeeping timer for the nearest of the next report and the timeout deadline. */
static void schedule(sc_media_stream *st)
{
    sc_media *m = st->m;
    if (st->closing || !st->has_remote || !st->remote_port) {
        uv_timer_stop(&st->timer);
        return;
    }
    uint64_t now = sc_media__now(m);
    uint64_t due = st->next_rtcp_us;
    if (m->rtp_timeout_ms && remote_should_send(st) && !st->timeout_fired) {
        uint64_t dl = st->last_rx_us + (uint64_t)m->rtp_timeout_ms * 1000;
        if (dl < due)
            due = dl;
    }
    uint64_t ms = due > now ? (due - now + 999) / 1000 : 0;
    uv_timer_start(&st->timer, timer_cb, ms, 0);
}

/* ---- open / close --------------------------------------------------------------------------- */

static void stream_close_cb(uv_handle_t *h)
{
    sc_media_stream *st = h->data;
    if (--st->closes_pending == 0) {
        sc_media *m = st->m;
        free(st);
        sc_media__release(m);
    }
}

static int bind_pair(sc_media_stream *st, uint16_t port)
{
    sc_media *m = st->m;
    struct sockaddr_storage sa = m->bind;
    set_port(&sa, port);
    int rc = uv_udp_bind(&st->rtp, (const struct sockaddr *)&sa, 0);
    if (rc < 0)
        return rc;
    set_port(&sa, (uint16_t)(port + 1));
    return uv_udp_bind(&st->rtcp, (const struct sockaddr *)&sa, 0);
}

/* Bind st's two sockets to pair; on failure the caller closes both and tries the next pair
 * with fresh sockets (a failed bind may leave one of them bound). */
static int try_pair(sc_media *m, sc_media_stream *st, uint32_t pair)
{
    uint16_t port = (uint16_t)(m->port_min + 2 * pair);
    int rc = bind_pair(st, port);
    if (rc == 0) {
        st->port = port;
        st->pair = pair;
    }
    return rc;
}

static void init_handles(sc_media_stream *st)
{
    uv_udp_init(st->m->loop, &st->rtp);
    uv_udp_init(st->m->loop, &st->rtcp);
    st->rtp.data = st;
    st->rtcp.data = st;
}

static void close_handles(sc_media_stream *st, int n)
{
    st->closes_pending = n;
    uv_close((uv_handle_t *)&st->rtp, stream_close_cb);
    uv_close((uv_handle_t *)&st->rtcp, stream_close_cb);
    if (n == 4) {
        uv_close((uv_handle_t *)&st->timer, stream_close_cb);
        uv_close((uv_handle_t *)&st->dtmf_timer, stream_close_cb);
    }
}

/* Open a stream on one pair: 0, or the bind error (the half-made stream is closed). */
static int open_pair(sc_media *m, uint32_t pair, void *ud, sc_media_stream **out)
{
    sc_media_stream *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->m = m;
    m->live++;
    init_handles(st);
    int rc = try_pair(m, st, pair);
    if (rc < 0) {
        /* close the two sockets; the object is freed by their close callbacks */
        st->closing = true;
        close_handles(st, 2);
        return rc;
    }
    m->pair_used[pair] = 1;
    m->pairs_used++;
    uv_timer_init(m->loop, &st->timer);
    uv_timer_init(m->loop, &st->dtmf_timer);
    st->timer.data = st;
    st->dtmf_timer.data = st;
    st->ud = ud;
    st->codec = -1;
    st->dtmf_pt = -1;
    st->dir = SC_MEDIA_SENDRECV;
    st->ssrc = sc_media__random(m);
    st->seq = (uint16_t)sc_media__random(m);
    st->stats.rtt_ms = -1;
    uv_udp_recv_start(&st->rtp, alloc_cb, recv_cb);
    uv_udp_recv_start(&st->rtcp, alloc_cb, recv_cb);
    st->next = m->streams;
    if (m->streams)
        m->streams->prev = st;
    m->streams = st;
    *out = st;
    return 0;
}

int sc_media_stream_open(sc_media *m, sc_media_stream **out, void *ud)
{
    if (!m || !out || m->freeing)
        return -EINVAL;
    if (m->pairs_used >= m->npairs)
        return -ENOSPC;
    int last = -EADDRINUSE;
    for (uint32_t tries = 0; tries < m->npairs; tries++) {
        uint32_t pair = m->cursor;
        m->cursor = (m->cursor + 1) % m->npairs;
        if (m->pair_used[pair])
            continue;
        int rc = open_pair(m, pair, ud, out);
        if (rc == 0)
            return 0;
        if (rc == -ENOMEM)
            return rc;
        if (rc != UV_EADDRINUSE && rc != UV_EACCES)
            last = rc;
    }
    sc_log(m->logger, SC_LOG_WARN, MOD, "no free RTP port pair: %s", sc_strerror(last));
    return last;
}

int sc_media_stream_open_port(sc_media *m, sc_media_stream **out, uint16_t port, void *ud)
{
    if (!m || !out || m->freeing || port < m->port_min || (port - m->port_min) % 2)
        return -EINVAL;
    uint32_t pair = (uint32_t)(port - m->port_min) / 2;
    if (pair >= m->npairs)
        return -EINVAL;
    if (m->pair_used[pair])
        return -EADDRINUSE;
    return open_pair(m, pair, ud, out);
}

void sc_media_stream_close(sc_media_stream *st)
{
    if (!st || st->closing)
        return;
    sc_media *m = st->m;
    sc_media_unbridge(st);
    sc_moh__detach(st);
    sc_dtmf__stop(st);
    st->closing = true;
    if (st->prev)
        st->prev->next = st->next;
    else
        m->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    /* uv_close closes the sockets' fds synchronously, so the ports are free now */
    m->pair_used[st->pair] = 0;
    m->pairs_used--;
    close_handles(st, 4);
}

/* ---- remote, direction, accessors ------------------------------------------------------------ */

static void arm_timeout(sc_media_stream *st)
{
    st->last_rx_us = sc_media__now(st->m);
    st->timeout_fired = false;
}

int sc_media_stream_set_remote(sc_media_stream *st, const char *addr, uint16_t port, sc_media_codec codec, int dtmf_pt,
                               sc_media_direction dir)
{
    if (!st || st->closing || !addr)
        return -EINVAL;
    if (codec != SC_MEDIA_PCMU && codec != SC_MEDIA_PCMA)
        return -EINVAL;
    if (dtmf_pt != -1 && (dtmf_pt < 96 || dtmf_pt > 127))
        return -EINVAL;
    if (dir < SC_MEDIA_SENDRECV || dir > SC_MEDIA_INACTIVE)
        return -EINVAL;
    struct sockaddr_storage sa, sc;
    if (parse_addr(addr, port, &sa) < 0 || sa.ss_family != st->m->bind.ss_family)
        return -EINVAL;
    sc = sa;
    set_port(&sc, (uint16_t)(port + 1));
    bool moved = !st->has_remote || memcmp(&sa, &st->remote, sizeof sa) != 0;
    if (moved || (int)codec != st->codec)
        st->src = SC_SRC_NONE; /* new talkspurt: marker on the next packet */
    if (st->dtmf_pt != dtmf_pt)
        sc_dtmf__stop(st);
    st->remote = sa;
    st->remote_c = sc;
    st->remote_port = port;
    st->codec = codec;
    st->dtmf_pt = dtmf_pt;
    st->dir = dir;
    if (!st->has_remote)
        st->next_rtcp_us = sc_media__now(st->m) + rtcp_interval_us(st->m);
    st->has_remote = true;
    arm_timeout(st);
    schedule(st);
    return 0;
}

int sc_media_stream_set_direction(sc_media_stream *st, sc_media_direction dir)
{
    if (!st || st->closing || dir < SC_MEDIA_SENDRECV || dir > SC_MEDIA_INACTIVE)
        return -EINVAL;
    if (dir != st->dir) {
        st->dir = dir;
        st->src = SC_SRC_NONE;
        arm_timeout(st);
        schedule(st);
    }
    return 0;
}

uint16_t sc_media_stream_port(const sc_media_stream *st) { return st ? st->port : 0; }
void *sc_media_stream_ud(const sc_media_stream *st) { return st ? st->ud : NULL; }
uint32_t sc_media_stream_ssrc(const sc_media_stream *st) { return st ? st->ssrc : 0; }

void sc_media_stream_stats(const sc_media_stream *st, sc_media_stats *out)
{
    if (!st || !out)
        return;
    *out = st->stats;
}
