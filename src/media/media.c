/* media: the media context (port pool, randomness, clock) and the life of a stream: opening
 * its RTP/RTCP sockets on a random pair of the range, the remote and direction, receiving and
 * validating packets (only from the remote's address, or the latched one), the RTCP report and
 * RTP timeout timer, sending, and closing with the ports returned at once. */
#include "media/media_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define MOD "media"

uint64_t sc_media__now(const sc_media *m) { return sc_clock_mono_us(m->clock); }

/* Fill buf from the OS CSPRNG: getrandom(), or /dev/urandom where the call is missing. */
static int os_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(p + got, len - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break;
    }
    if (got == len)
        return 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -EIO;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n > 0)
            got += (size_t)n;
        else if (!(n < 0 && errno == EINTR))
            break;
    }
    close(fd);
    return got == len ? 0 : -EIO;
}

uint32_t sc_media__random(sc_media *m)
{
    if (m->rnd_pos + 4 > sizeof m->rnd) {
        if (os_random(m->rnd, sizeof m->rnd) < 0) {
            /* cannot happen once sc_media_new got its first pool; never leave the draws
             * constant: a xorshift64* stream seeded from that pool and the clock */
            sc_log(m->logger, SC_LOG_ERROR, MOD, "getrandom and /dev/urandom failed: ports and SSRCs are predictable");
            for (size_t i = 0; i < sizeof m->rnd; i++) {
                uint64_t x = m->rnd_fallback ^ (uint64_t)sc_clock_mono_us(m->clock) ^ m->rnd[i];
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                m->rnd_fallback = x;
                m->rnd[i] = (uint8_t)((x * 0x2545F4914F6CDD1DULL) >> 56);
            }
        }
        m->rnd_pos = 0;
    }
    const uint8_t *p = m->rnd + m->rnd_pos;
    m->rnd_pos += 4;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint32_t sc_media__random_below(sc_media *m, uint32_t n)
{
    if (n <= 1)
        return 0;
    uint32_t floor = (0u - n) % n; /* 2^32 mod n: drawing below it would bias the result */
    uint32_t x;
    do
        x = sc_media__random(m);
    while (x < floor);
    return x % n;
}

void sc_media__release(sc_media *m)
{
    if (--m->live == 0 && m->freeing) {
        while (m->spare) {
            sc_media_stream *st = m->spare;
            m->spare = st->next;
            free(st);
        }
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

static uint16_t get_port(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

/* a and b have the same IP (and the same port unless ip_only). */
static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b, bool ip_only)
{
    if (a->ss_family != b->sa_family)
        return false;
    if (b->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
        return x->sin_addr.s_addr == y->sin_addr.s_addr && (ip_only || x->sin_port == y->sin_port);
    }
    if (b->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
        return !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) && (ip_only || x->sin6_port == y->sin6_port);
    }
    return false;
}

/* 0.0.0.0 or :: (an RFC 2543 hold), or port 0 (a disabled stream): no source is valid. */
static bool addr_is_null(const struct sockaddr_storage *sa)
{
    if (get_port(sa) == 0)
        return true;
    if (sa->ss_family == AF_INET)
        return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
    static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
    return !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &any6, sizeof any6);
}

static void addr_text(const struct sockaddr_storage *sa, char *buf, size_t cap)
{
    char ip[64] = "?";
    if (sa->ss_family == AF_INET)
        uv_ip4_name((const struct sockaddr_in *)sa, ip, sizeof ip);
    else if (sa->ss_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)sa, ip, sizeof ip);
    snprintf(buf, cap, sa->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, get_port(sa));
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
    m->latch = cfg->latch;
    m->pair_limit = cfg->pair_limit;
    /* ports, SSRCs, sequence numbers and timestamps come from the OS CSPRNG: refuse to run
     * without one rather than hand out guessable ports */
    if (os_random(m->rnd, sizeof m->rnd) < 0 || os_random(&m->rnd_fallback, sizeof m->rnd_fallback) < 0) {
        sc_log(m->logger, SC_LOG_ERROR, MOD, "no OS random source (getrandom, /dev/urandom)");
        free(m->pair_used);
        free(m);
        return -EIO;
    }
    m->rnd_pos = 0;
    m->live = 1;                 /* the context itself */
    sc_media__park_init(m, cfg); /* park.c */
    *out = m;
    return 0;
}

void sc_media_free(sc_media *m)
{
    if (!m || m->freeing)
        return;
    while (m->streams)
        sc_media_stream_close(m->streams);
    sc_media__park_free(m); /* park.c: the parked pairs (those just closed too) */
    m->freeing = true;
    sc_moh__free_classes(m);
    sc_player__free_ctx(m);
    sc_record__free_all(m);
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

/* The remote is set to a usable address: packets can be accepted at all. */
static bool remote_open(const sc_media_stream *st)
{
    return st->has_remote && st->remote_port != 0 && !addr_is_null(&st->remote);
}

/* With m->latch, before the RTP source is learnt: any source may become it. */
static bool learning(const sc_media_stream *st) { return st->m->latch && !st->latched && remote_open(st); }

/* Latch the RTP source: from now on we accept only it and send to it (RTCP: its IP, port + 1,
 * until an RTCP packet from that IP latches the RTCP source). Once per remote address. */
static void latch(sc_media_stream *st, const struct sockaddr *from)
{
    struct sockaddr_storage src = {0};
    memcpy(&src, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    st->latched = true;
    st->latched_c = false;
    st->latch_sdp = st->remote;
    st->latch_rtp = src;
    st->latch_rtcp = src;
    set_port(&st->latch_rtcp, (uint16_t)(get_port(&src) + 1));
    if (!same_addr(&st->rtp_peer, from, false))
        st->src = SC_SRC_NONE; /* a new destination: new talkspurt */
    st->rtp_peer = st->latch_rtp;
    st->rtcp_peer = st->latch_rtcp;
    char sdp[80], got[80];
    addr_text(&st->remote, sdp, sizeof sdp);
    addr_text(&src, got, sizeof got);
    sc_log(st->m->logger, SC_LOG_INFO, MOD, "port %u: RTP latched to %s (SDP: %s)", st->port, got, sdp);
}

static void on_rtp(sc_media_stream *st, uint8_t *pkt, size_t len, const struct sockaddr *from)
{
    bool known = remote_open(st) && same_addr(&st->rtp_peer, from, false);
    bool learn = learning(st);
    if (!known && !learn) {
        st->stats.rejected++;
        return;
    }
    if (st->srtp && sc_srtp__unprotect(st, false, pkt, &len) < 0)
        return; /* counted: not authentic, or a replay (before it could latch or count) */
    sc_rtp_hdr h;
    if (sc_rtp__parse(pkt, len, &h) < 0 || !valid_pt(st, h.pt)) {
        if (known)
            st->stats.packets_invalid++;
        else
            st->stats.rejected++; /* not from the SDP's address, and not RTP we could latch to */
        return;
    }
    if (learn)
        latch(st, from);
    if (!sc_rtp__rx_update(st, &h)) {
        st->stats.probation++;
        return;
    }
    st->stats.packets_received++;
    st->stats.bytes_received += h.plen;
    st->stats.last_ssrc = h.ssrc;
    st->stats.have_ssrc = true;
    st->last_rx_us = sc_media__now(st->m);
    st->timeout_fired = false;
    if (st->dtmf_pt >= 0 && h.pt == st->dtmf_pt) {
        sc_dtmf__receive(st, &h, pkt + h.hlen);
        if (st->closing)
            return;
    }
    if (st->rec && h.pt == st->codec)
        sc_record__rx(st, pkt + h.hlen, h.plen);
    if (st->peer)
        sc_bridge__relay(st, &h, pkt, len);
    if (st->conf) /* conference.c: into the room's mix */
        sc_conf__receive(st, &h, pkt + h.hlen);
}

static void on_rtcp(sc_media_stream *st, uint8_t *pkt, size_t len, const struct sockaddr *from)
{
    bool known = remote_open(st) && same_addr(&st->rtcp_peer, from, false);
    /* latched RTP: the first RTCP from the same IP (any port: a NAT maps it apart) latches */
    bool learn = !known && remote_open(st) && st->m->latch && st->latched && !st->latched_c &&
                 same_addr(&st->rtp_peer, from, true);
    if (!known && !learn) {
        st->stats.rejected++;
        return;
    }
    if (st->srtp && sc_srtp__unprotect(st, true, pkt, &len) < 0)
        return; /* counted */
    if (sc_rtcp__parse(st, pkt, len) < 0) {
        if (known)
            st->stats.packets_invalid++;
        else
            st->stats.rejected++;
        return;
    }
    if (learn) {
        memset(&st->latch_rtcp, 0, sizeof st->latch_rtcp);
        memcpy(&st->latch_rtcp, from,
               from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
        st->rtcp_peer = st->latch_rtcp;
    }
    if (st->latched)
        st->latched_c = true; /* from the RTP source's port + 1, or learnt now: fixed for good */
    st->stats.rtcp_received++;
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
    sc_media__receive(st, h != &st->rtp, (uint8_t *)buf->base, (size_t)nread, addr);
}

void sc_media__receive(sc_media_stream *st, bool rtcp, uint8_t *pkt, size_t len, const struct sockaddr *from)
{
    if (rtcp)
        on_rtcp(st, pkt, len, from);
    else
        on_rtp(st, pkt, len, from);
}

/* ---- sending -------------------------------------------------------------------------------- */

bool sc_media__can_send(const sc_media_stream *st)
{
    return st->has_remote && st->remote_port != 0 && st->codec >= 0 && !st->closing &&
           (st->dir == SC_MEDIA_SENDRECV || st->dir == SC_MEDIA_SENDONLY);
}

void sc_media__send_rtp(sc_media_stream *st, const uint8_t *pkt, size_t len, size_t payload)
{
    uint8_t sealed[SC_MEDIA_MAX_PKT + SC_MEDIA_SRTP_TRAILER];
    if (st->rec)
        sc_record__tx(st, pkt, len);
    if (st->srtp) { /* SRTP: the packet leaves protected, the caller's copy stays plain */
        if (len > SC_MEDIA_MAX_PKT) {
            st->stats.send_errors++;
            return;
        }
        memcpy(sealed, pkt, len);
        if (sc_srtp__protect(st, false, sealed, &len, sizeof sealed) < 0) {
            st->stats.send_errors++;
            return;
        }
        pkt = sealed;
    }
    uv_buf_t b = uv_buf_init((char *)pkt, (unsigned)len);
    int rc = uv_udp_try_send(&st->rtp, &b, 1, (const struct sockaddr *)&st->rtp_peer);
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
    uint64_t elapsed = (sc_media__now(st->m) - st->ts_last_us) * st->clock / 1000000;
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
    st->ts_last_len = st->frame_ts;
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
    uint8_t buf[512 + SC_MEDIA_SRTP_TRAILER];
    size_t n = sc_rtcp__build(st, buf, 512);
    if (!n)
        return;
    if (st->srtp && sc_srtp__protect(st, true, buf, &n, sizeof buf) < 0) {
        st->stats.send_errors++;
        return;
    }
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)n);
    if (uv_udp_try_send(&st->rtcp, &b, 1, (const struct sockaddr *)&st->rtcp_peer) >= 0)
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

/* A closed stream's memory (~2.3 KB) is kept for the next opens, up to SPARE_MAX: a call's
 * malloc of that size made glibc consolidate the loop thread's fast bins (docs/benchmarks.md). */
#define SPARE_MAX 32u

static void stream_close_cb(uv_handle_t *h)
{
    sc_media_stream *st = h->data;
    if (--st->closes_pending == 0) {
        sc_media *m = st->m;
        if (m->nspare < SPARE_MAX && !m->freeing) {
            st->next = m->spare;
            m->spare = st;
            m->nspare++;
        } else {
            free(st);
        }
        sc_media__release(m);
    }
}

static sc_media_stream *stream_alloc(sc_media *m)
{
    sc_media_stream *st = m->spare;
    if (!st)
        return calloc(1, sizeof *st);
    m->spare = st->next;
    m->nspare--;
    memset(st, 0, sizeof *st);
    return st;
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

void sc_media__close_stream_handles(sc_media_stream *st)
{
    st->closing = true;
    close_handles(st, 4);
}

/* A stream's state for a new call on its bound pair (fresh or parked), listed as open. */
static void stream_setup(sc_media *m, sc_media_stream *st, void *ud)
{
    m->pair_used[st->pair] = SC_PAIR_OPEN;
    m->pairs_used++;
    st->ud = ud;
    st->codec = -1;
    st->fmt.codec = SC_MEDIA_PCMU;
    st->clock = st->dtmf_clock = 8000;
    st->frame_ts = SC_MEDIA_FRAME;
    st->dtmf_pt = -1;
    st->dir = SC_MEDIA_SENDRECV;
    st->ssrc = sc_media__random(m);
    st->seq = (uint16_t)sc_media__random(m);
    st->stats.rtt_ms = -1;
    st->prev = NULL;
    st->next = m->streams;
    if (m->streams)
        m->streams->prev = st;
    m->streams = st;
}

/* Open a stream on one pair: 0, or the bind error (the half-made stream is closed). */
static int open_pair(sc_media *m, uint32_t pair, void *ud, sc_media_stream **out)
{
    sc_media_stream *st = stream_alloc(m);
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
    uv_timer_init(m->loop, &st->timer);
    uv_timer_init(m->loop, &st->dtmf_timer);
    st->timer.data = st;
    st->dtmf_timer.data = st;
    stream_setup(m, st, ud);
    uv_udp_recv_start(&st->rtp, alloc_cb, recv_cb);
    uv_udp_recv_start(&st->rtcp, alloc_cb, recv_cb);
    *out = st;
    return 0;
}

/* Open a stream on a parked one's pair (park.c): its sockets, bound and read all along, and
 * its stopped timers are kept; everything else starts anew. */
static int reopen_parked(sc_media *m, sc_media_stream *st, void *ud, sc_media_stream **out)
{
    uint16_t port = st->port;
    uint32_t pair = st->pair;
    memset(&st->closes_pending, 0, sizeof *st - offsetof(sc_media_stream, closes_pending));
    st->port = port;
    st->pair = pair;
    stream_setup(m, st, ud);
    *out = st;
    return 0;
}

/* Every pair we may open is open, live or parked (the range, or the descriptor budget). */
static bool pairs_exhausted(const sc_media *m)
{
    uint32_t open = m->pairs_used + m->nparked;
    return open >= m->npairs || (m->pair_limit && open >= m->pair_limit);
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A random pair of the range: a walk from a random pair with a random step coprime to the
 * number of pairs visits every pair once, so the first pick is uniform and a free pair is
 * found however full the range is; pairs our streams hold cost no bind. */
int sc_media_stream_open(sc_media *m, sc_media_stream **out, void *ud)
{
    if (!m || !out || m->freeing)
        return -EINVAL;
    if (m->pairs_used >= m->npairs)
        return -ENOSPC;
    sc_media_stream *parked = sc_media__unpark(m, pairs_exhausted(m)); /* park.c */
    if (parked)
        return reopen_parked(m, parked, ud, out);
    uint32_t pair = sc_media__random_below(m, m->npairs), step = 1;
    if (m->npairs > 2) {
        do
            step = 1 + sc_media__random_below(m, m->npairs - 1);
        while (gcd(step, m->npairs) != 1);
    }
    int last = -EADDRINUSE;
    for (uint32_t tries = 0; tries < m->npairs; tries++, pair = (uint32_t)(((uint64_t)pair + step) % m->npairs)) {
        if (m->pair_used[pair])
            continue;
        int rc = open_pair(m, pair, ud, out);
        if (rc == 0)
            return 0;
        if (rc == -ENOMEM)
            return rc;
        if (rc == UV_EMFILE || rc == UV_ENFILE) { /* out of descriptors: no pair will do */
            last = rc;
            break;
        }
        if (rc != UV_EADDRINUSE && rc != UV_EACCES)
            last = rc;
    }
    parked = sc_media__unpark(m, true); /* no other pair: a parked one still in quarantine */
    if (parked)
        return reopen_parked(m, parked, ud, out);
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
    if (m->pair_used[pair] == SC_PAIR_PARKED) { /* ours, parked: taken back whatever its quarantine */
        sc_media_stream *parked = sc_media__unpark_pair(m, pair);
        return parked ? reopen_parked(m, parked, ud, out) : -EADDRINUSE;
    }
    if (m->pair_used[pair])
        return -EADDRINUSE;
    return open_pair(m, pair, ud, out);
}

void sc_media_pairs(const sc_media *m, uint32_t *total, uint32_t *used)
{
    if (total)
        *total = m ? m->npairs : 0;
    if (used)
        *used = m ? m->pairs_used : 0;
}

void sc_media_stream_close(sc_media_stream *st)
{
    if (!st || st->closing)
        return;
    sc_media *m = st->m;
    sc_media_unbridge(st);
    sc_media_conf_leave(st);
    sc_moh__detach(st);
    sc_player__detach(st);
    sc_record__detach(st);
    sc_dtmf__stop(st);
    sc_srtp__free(st);
    sc_bridge__reset_codecs(st);
    st->closing = true;
    if (st->prev)
        st->prev->next = st->next;
    else
        m->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    m->pairs_used--;
    if (sc_media__park(m, st)) /* park.c: the sockets stay bound for a later open */
        return;
    /* uv_close closes the sockets' fds synchronously, so the ports are free now */
    m->pair_used[st->pair] = SC_PAIR_FREE;
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
    if (codec != SC_MEDIA_PCMU && codec != SC_MEDIA_PCMA)
        return -EINVAL;
    sc_media_format fmt = {.codec = codec, .pt = (int)codec, .dtmf_pt = dtmf_pt};
    return sc_media_stream_set_remote_format(st, addr, port, &fmt, dir);
}

/* The format is usable: a known codec, payload types in range and distinct. */
static bool format_ok(const sc_media_format *f)
{
    int pt = f->pt < 0 ? sc_codec__static_pt(f->codec) : f->pt;
    if (sc_codec__slot(f->codec) < 0 || pt < 0 || pt > 127)
        return false;
    if (f->dtmf_pt != -1 && (f->dtmf_pt < 96 || f->dtmf_pt > 127 || f->dtmf_pt == pt))
        return false;
    return f->dtmf_clock == 0 || f->dtmf_clock == 8000 || f->dtmf_clock == 16000 || f->dtmf_clock == 48000;
}

int sc_media_stream_set_remote_format(sc_media_stream *st, const char *addr, uint16_t port, const sc_media_format *fmt,
                                      sc_media_direction dir)
{
    if (!st || st->closing || !addr || !fmt || !format_ok(fmt))
        return -EINVAL;
    int codec = fmt->pt < 0 ? sc_codec__static_pt(fmt->codec) : fmt->pt;
    int dtmf_pt = fmt->dtmf_pt;
    if (dir < SC_MEDIA_SENDRECV || dir > SC_MEDIA_INACTIVE)
        return -EINVAL;
    struct sockaddr_storage sa, sc;
    if (parse_addr(addr, port, &sa) < 0 || sa.ss_family != st->m->bind.ss_family)
        return -EINVAL;
    sc = sa;
    set_port(&sc, (uint16_t)(port + 1));
    bool moved = !st->has_remote || memcmp(&sa, &st->remote, sizeof sa) != 0;
    bool recoded = codec != st->codec || fmt->codec != st->fmt.codec;
    if (moved || recoded)
        st->src = SC_SRC_NONE; /* new talkspurt: marker on the next packet */
    unsigned clock = sc_media_codec_clock(fmt->codec);
    unsigned dtmf_clock = fmt->dtmf_clock ? fmt->dtmf_clock : clock;
    if (st->dtmf_pt != dtmf_pt || st->dtmf_clock != dtmf_clock)
        sc_dtmf__stop(st);
    bool params = fmt->opus_fec != st->fmt.opus_fec || fmt->opus_maxrate != st->fmt.opus_maxrate;
    if (recoded || params) {
        /* another codec or its parameters: transcoding state is made again when needed */
        sc_bridge__reset_codecs(st);
        if (st->peer)
            sc_bridge__reset_codecs(st->peer);
    }
    st->fmt = *fmt;
    st->fmt.pt = codec;
    st->clock = clock;
    st->frame_ts = clock / 50;
    st->dtmf_clock = dtmf_clock;
    st->remote = sa;
    st->remote_c = sc;
    st->remote_port = port;
    st->codec = codec;
    st->dtmf_pt = dtmf_pt;
    st->dir = dir;
    if (st->m->latch && st->latched && !memcmp(&sa, &st->latch_sdp, sizeof sa)) {
        /* the SDP the latch was learnt under (a re-INVITE that keeps the address): keep it */
        st->rtp_peer = st->latch_rtp;
        st->rtcp_peer = st->latch_rtcp;
    } else {
        st->rtp_peer = sa;
        st->rtcp_peer = sc;
        /* a hold to 0.0.0.0 keeps the latch for the resume; a real move learns again */
        if (!addr_is_null(&sa))
            st->latched = st->latched_c = false;
    }
    if (moved) {
        /* another remote: its first SSRC is taken at once, not put on probation */
        st->rx_started = false;
        st->prb_count = 0;
    }
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
sc_media_codec sc_media_stream_codec(const sc_media_stream *st) { return st ? st->fmt.codec : SC_MEDIA_PCMU; }

void sc_media_stream_stats(const sc_media_stream *st, sc_media_stats *out)
{
    if (!st || !out)
        return;
    *out = st->stats;
    out->latched = st->latched;
}

int sc_media_stream_source(const sc_media_stream *st, char *buf, size_t cap)
{
    if (!st || !buf || cap == 0)
        return -EINVAL;
    if (st->closing || !remote_open(st) || (st->m->latch && !st->latched)) {
        buf[0] = '\0';
        return -ENOENT;
    }
    addr_text(&st->rtp_peer, buf, cap);
    return 0;
}
