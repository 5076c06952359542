/* rtp: RFC 3550 RTP header writing and validation, receiver statistics (sequence tracking,
 * loss, interarrival jitter), and RTCP compound reports (SR or RR + SDES CNAME) both ways. */
#include "media/media_int.h"

#include <errno.h>
#include <string.h>

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define NTP_UNIX_OFFSET 2208988800u /* seconds from 1900 to 1970 */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void sc_rtp__write_header(uint8_t *p, uint8_t pt, bool marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    p[0] = 0x80; /* V=2, P=0, X=0, CC=0 */
    p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7F));
    put16(p + 2, seq);
    put32(p + 4, ts);
    put32(p + 8, ssrc);
}

int sc_rtp__parse(const uint8_t *p, size_t len, sc_rtp_hdr *h)
{
    if (len < 12 || (p[0] >> 6) != 2)
        return -EINVAL;
    size_t hlen = 12 + 4u * (p[0] & 0x0F);
    if (len < hlen)
        return -EINVAL;
    if (p[0] & 0x10) { /* header extension */
        if (len < hlen + 4)
            return -EINVAL;
        hlen += 4 + 4u * get16(p + hlen + 2);
        if (len < hlen)
            return -EINVAL;
    }
    size_t plen = len - hlen;
    if (p[0] & 0x20) { /* padding: the last octet counts it */
        uint8_t pad = p[len - 1];
        if (pad == 0 || pad > plen)
            return -EINVAL;
        plen -= pad;
    }
    h->marker = (p[1] & 0x80) != 0;
    h->pt = p[1] & 0x7F;
    if (h->pt >= 72 && h->pt <= 76) /* RTCP sent to the RTP port */
        return -EINVAL;
    h->seq = get16(p + 2);
    h->ts = get32(p + 4);
    h->ssrc = get32(p + 8);
    h->hlen = hlen;
    h->plen = plen;
    return 0;
}

static void rx_reset(sc_media_stream *st, const sc_rtp_hdr *h)
{
    st->rx_started = true;
    st->rx_ssrc = h->ssrc;
    st->rx_base_seq = h->seq;
    st->rx_max_seq = h->seq;
    st->rx_bad_seq = 0x10001; /* none */
    st->rx_cycles = 0;
    st->rx_received = 0;
    st->rx_expected_prior = 0;
    st->rx_received_prior = 0;
    st->rx_transit = INT64_MIN;
    st->rx_jitter = 0;
    st->prb_count = 0;
}

static uint32_t rx_ext_max(const sc_media_stream *st) { return st->rx_cycles + st->rx_max_seq; }

/* A packet whose SSRC is not the current one (RFC 3550 A.1, 8.2): the source is validated only
 * after SC_MEDIA_MIN_SEQUENTIAL packets in sequence; a packet of the current source in between
 * starts the probation over (the current source is alive, the newcomer does not replace it).
 * True when the new source takes over with this packet. */
static bool probation(sc_media_stream *st, const sc_rtp_hdr *h)
{
    if (st->prb_count && h->ssrc == st->prb_ssrc && h->seq == (uint16_t)(st->prb_seq + 1)) {
        st->prb_count++;
    } else {
        st->prb_ssrc = h->ssrc;
        st->prb_count = 1;
    }
    st->prb_seq = h->seq;
    if (st->prb_count < SC_MEDIA_MIN_SEQUENTIAL)
        return false;
    rx_reset(st, h);
    st->stats.ssrc_changes++;
    return true;
}

/* The sequence number of a packet of the current source (RFC 3550 A.1 update_seq): false for
 * a jump that the next packet has not confirmed yet. */
static bool update_seq(sc_media_stream *st, const sc_rtp_hdr *h)
{
    uint16_t udelta = (uint16_t)(h->seq - st->rx_max_seq);
    if (udelta < SC_MEDIA_MAX_DROPOUT) { /* in order, maybe with a gap */
        if (h->seq < st->rx_max_seq)
            st->rx_cycles += 65536;
        st->rx_max_seq = h->seq;
    } else if (udelta <= 65536 - SC_MEDIA_MAX_MISORDER) {
        /* a big jump: the sender restarted its sequence, or the packet is stray. Only a second
         * packet in sequence with it resynchronises. */
        if (h->seq != st->rx_bad_seq) {
            st->rx_bad_seq = (uint16_t)(h->seq + 1);
            return false;
        }
        st->rx_base_seq = h->seq - (uint32_t)st->rx_received;
        st->rx_max_seq = h->seq;
        st->rx_cycles = 0;
        st->rx_bad_seq = 0x10001;
    } /* else duplicate or reordered: no change to max */
    return true;
}

bool sc_rtp__rx_update(sc_media_stream *st, const sc_rtp_hdr *h)
{
    if (!st->rx_started) {
        /* the first SSRC from the accepted address: the address check is its validation */
        rx_reset(st, h);
    } else if (h->ssrc != st->rx_ssrc) {
        if (!probation(st, h))
            return false;
    } else {
        st->prb_count = 0;
        if (!update_seq(st, h))
            return false;
    }
    st->rx_received++;

    /* jitter: arrival in timestamp units (the codec's RTP clock) */
    int64_t arrival = (int64_t)(sc_media__now(st->m) * st->clock / 1000000);
    int64_t transit = arrival - (int64_t)h->ts;
    if (st->rx_transit != INT64_MIN) {
        int64_t d = transit - st->rx_transit;
        if (d < 0)
            d = -d;
        st->rx_jitter += ((double)d - st->rx_jitter) / 16.0;
    }
    st->rx_transit = transit;

    int64_t expected = (int64_t)rx_ext_max(st) - st->rx_base_seq + 1;
    st->stats.lost = expected - (int64_t)st->rx_received;
    st->stats.jitter = (uint32_t)st->rx_jitter;
    st->stats.jitter_ms = st->rx_jitter * 1000.0 / st->clock;
    return true;
}

void sc_rtcp__ntp(const sc_media *m, uint32_t *sec, uint32_t *frac)
{
    int64_t us = sc_clock_wall_us(m->clock);
    *sec = (uint32_t)(us / 1000000 + NTP_UNIX_OFFSET);
    *frac = (uint32_t)(((uint64_t)(us % 1000000) << 32) / 1000000);
}

static size_t report_block(sc_media_stream *st, uint8_t *p)
{
    uint32_t ext = rx_ext_max(st);
    uint32_t expected = ext - st->rx_base_seq + 1;
    int64_t lost = (int64_t)expected - (int64_t)st->rx_received;
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    if (lost < -0x800000)
        lost = -0x800000;
    uint32_t exp_int = expected - st->rx_expected_prior;
    uint32_t rec_int = (uint32_t)st->rx_received - st->rx_received_prior;
    st->rx_expected_prior = expected;
    st->rx_received_prior = (uint32_t)st->rx_received;
    int32_t lost_int = (int32_t)(exp_int - rec_int);
    uint8_t fraction = (exp_int == 0 || lost_int <= 0) ? 0 : (uint8_t)(((uint32_t)lost_int << 8) / exp_int);
    uint32_t dlsr = 0;
    if (st->rx_lsr_us)
        dlsr = (uint32_t)(((sc_media__now(st->m) - st->rx_lsr_us) << 16) / 1000000);
    put32(p, st->rx_ssrc);
    put32(p + 4, ((uint32_t)fraction << 24) | ((uint32_t)lost & 0xFFFFFF));
    put32(p + 8, ext);
    put32(p + 12, (uint32_t)st->rx_jitter);
    put32(p + 16, st->rx_lsr_us ? st->rx_lsr : 0);
    put32(p + 20, dlsr);
    return 24;
}

size_t sc_rtcp__build(sc_media_stream *st, uint8_t *buf, size_t cap)
{
    size_t cname_len = strlen(st->m->cname);
    if (cname_len > 255)
        cname_len = 255;
    size_t need = 28 + 24 + 8 + 2 + cname_len + 4;
    if (cap < need)
        return 0;
    size_t n = 0;
    int rc = st->rx_started ? 1 : 0;
    if (st->sent_since_report) {
        uint32_t sec, frac;
        sc_rtcp__ntp(st->m, &sec, &frac);
        uint32_t rtp_ts = st->ts_last;
        if (st->ts_last_us)
            rtp_ts += (uint32_t)((sc_media__now(st->m) - st->ts_last_us) * st->clock / 1000000);
        buf[0] = (uint8_t)(0x80 | rc);
        buf[1] = RTCP_SR;
        put16(buf + 2, (uint16_t)(6 + 6 * rc));
        put32(buf + 4, st->ssrc);
        put32(buf + 8, sec);
        put32(buf + 12, frac);
        put32(buf + 16, rtp_ts);
        put32(buf + 20, st->packets_sent_rtcp);
        put32(buf + 24, st->octets_sent_rtcp);
        n = 28;
    } else {
        buf[0] = (uint8_t)(0x80 | rc);
        buf[1] = RTCP_RR;
        put16(buf + 2, (uint16_t)(1 + 6 * rc));
        put32(buf + 4, st->ssrc);
        n = 8;
    }
    if (rc)
        n += report_block(st, buf + n);
    st->sent_since_report = false;

    /* SDES with one chunk: SSRC, CNAME item, end item, padded to 32 bits */
    size_t start = n;
    buf[n] = 0x81;
    buf[n + 1] = RTCP_SDES;
    put32(buf + n + 4, st->ssrc);
    buf[n + 8] = 1; /* CNAME */
    buf[n + 9] = (uint8_t)cname_len;
    memcpy(buf + n + 10, st->m->cname, cname_len);
    size_t end = n + 10 + cname_len;
    buf[end++] = 0; /* end of items */
    while ((end - start) % 4)
        buf[end++] = 0;
    put16(buf + start + 2, (uint16_t)((end - start) / 4 - 1));
    return end;
}

static void parse_blocks(sc_media_stream *st, const uint8_t *p, int count, const uint8_t *end)
{
    for (int i = 0; i < count && p + 24 <= end; i++, p += 24) {
        if (get32(p) != st->ssrc)
            continue;
        st->stats.remote_fraction_lost = p[4];
        uint32_t cum = get32(p + 4) & 0xFFFFFF;
        st->stats.remote_cumulative_lost = (cum & 0x800000) ? (int32_t)(cum | 0xFF000000u) : (int32_t)cum;
        st->stats.remote_jitter = get32(p + 12);
        uint32_t lsr = get32(p + 16), dlsr = get32(p + 20);
        if (lsr) {
            uint32_t sec, frac;
            sc_rtcp__ntp(st->m, &sec, &frac);
            uint32_t now_mid = (sec << 16) | (frac >> 16);
            uint32_t rtt = now_mid - lsr - dlsr;
            if (rtt < 0x80000000u)
                st->stats.rtt_ms = rtt * 1000.0 / 65536.0;
        }
    }
}

int sc_rtcp__parse(sc_media_stream *st, const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    bool first = true;
    if (len < 8)
        return -EINVAL;
    while (p + 4 <= end) {
        if ((p[0] >> 6) != 2)
            return -EINVAL;
        size_t plen = 4u * ((size_t)get16(p + 2) + 1);
        if (p + plen > end)
            return -EINVAL;
        int count = p[0] & 0x1F;
        if (first && p[1] != RTCP_SR && p[1] != RTCP_RR)
            return -EINVAL;
        first = false;
        if (p[1] == RTCP_SR && plen >= 28) {
            st->rx_lsr = (get32(p + 8) << 16) | (get32(p + 12) >> 16);
            st->rx_lsr_us = sc_media__now(st->m);
            parse_blocks(st, p + 28, count, p + plen);
        } else if (p[1] == RTCP_RR && plen >= 8) {
            parse_blocks(st, p + 8, count, p + plen);
        }
        p += plen;
    }
    return 0;
}
