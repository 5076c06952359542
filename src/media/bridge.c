/* bridge: the RTP relay between two bridged streams: each packet received on one leg goes out
 * on the other with that leg's SSRC, sequence and timestamp rewritten by offsets that are
 * recomputed whenever the source changes (marker set then). When both legs have the same codec
 * the payload is relayed unchanged; PCMU <-> PCMA is transcoded in place, octet by octet; any
 * other pair is decoded, gathered into 20 ms frames at the lower of the two audio rates (the
 * codecs' own resampling: libopus, spandsp's 8 kHz mode) and encoded again, with timestamps
 * mapped between the two RTP clocks. Telephone-events are passed through with their payload
 * type mapped (and their timestamp and duration scaled when the clocks differ). */
#include "media/media_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sc_media_bridge(sc_media_stream *a, sc_media_stream *b)
{
    if (!a || !b || a == b || a->closing || b->closing || a->m != b->m)
        return -EINVAL;
    if (a->peer || b->peer)
        return (a->peer == b) ? 0 : -EBUSY;
    if (a->conf || b->conf) /* conference.c: a stream in a room is not bridged */
        return -EBUSY;
    a->peer = b;
    b->peer = a;
    return 0;
}

void sc_bridge__reset_codecs(sc_media_stream *st)
{
    if (!st->tc)
        return;
    sc_codec__free(st->tc->dec);
    sc_codec__free(st->tc->enc);
    free(st->tc);
    st->tc = NULL;
}

void sc_media_unbridge(sc_media_stream *st)
{
    if (!st || !st->peer)
        return;
    sc_media_stream *p = st->peer;
    p->peer = NULL;
    st->peer = NULL;
    if (p->src == SC_SRC_RELAY)
        p->src = SC_SRC_NONE;
    if (st->src == SC_SRC_RELAY)
        st->src = SC_SRC_NONE;
    sc_bridge__reset_codecs(st);
    sc_bridge__reset_codecs(p);
}

sc_media_stream *sc_media_bridge_peer(const sc_media_stream *st) { return st ? st->peer : NULL; }

static bool is_g711(sc_media_codec c) { return c == SC_MEDIA_PCMU || c == SC_MEDIA_PCMA; }

/* The stream's transcoding state, with a codec of the right kind at pcm_rate (made again when
 * the rate changed). NULL on -ENOMEM. */
static sc_transcode *tc_of(sc_media_stream *st)
{
    if (!st->tc)
        st->tc = calloc(1, sizeof *st->tc);
    return st->tc;
}

static sc_codec *codec_at(sc_codec **slot, sc_media_stream *st, bool encoder, unsigned pcm_rate)
{
    if (*slot && (*slot)->pcm_rate == pcm_rate)
        return *slot;
    sc_codec__free(*slot);
    *slot = NULL;
    if (sc_codec__new(slot, st->fmt.codec, encoder, pcm_rate, &st->fmt) < 0)
        *slot = NULL;
    return *slot;
}

/* Map an input timestamp of from's clock to an output one of to's: the last pair mapped plus
 * the (signed) distance scaled. The first packet of a source starts at to's next timestamp. */
static uint32_t map_ts(sc_transcode *t, const sc_media_stream *from, sc_media_stream *to, uint32_t in, bool restart)
{
    if (restart || !t->ts_set) {
        t->ts_set = true;
        t->in_ts = in;
        t->out_ts = sc_media__next_ts(to);
        return t->out_ts;
    }
    int64_t d = (int32_t)(in - t->in_ts);
    return t->out_ts + (uint32_t)(d * (int64_t)to->clock / (int64_t)from->clock);
}

/* Decode the packet on from, re-encode in 20 ms frames for to and send them. */
static void transcode(sc_media_stream *from, sc_media_stream *to, const sc_rtp_hdr *h, const uint8_t *payload,
                      bool restart)
{
    unsigned rate = sc_codec__common_rate(from->fmt.codec, to->fmt.codec);
    sc_transcode *tf = tc_of(from), *tt = tc_of(to);
    if (!tf || !tt)
        return;
    sc_codec *dec = codec_at(&tf->dec, from, false, rate);
    sc_codec *enc = codec_at(&tt->enc, to, true, rate);
    if (!dec || !enc)
        return;
    if (restart)
        tt->n = 0;
    size_t room = sizeof tt->pcm / sizeof tt->pcm[0] - tt->n;
    int got = sc_codec__decode(dec, payload, h->plen, tt->pcm + tt->n,
                               room < SC_CODEC_MAX_PCM ? room : SC_CODEC_MAX_PCM);
    if (got < 0) {
        from->stats.decode_errors++;
        return;
    }
    /* the output timestamp of the first sample waiting (those decoded before come first) */
    uint32_t ts = map_ts(tt, from, to, h->ts, restart);
    size_t frame = rate / 50;
    uint32_t ts0 = ts - (uint32_t)((uint64_t)tt->n * to->clock / rate);
    tt->n += (size_t)got;
    tt->in_ts = h->ts;
    tt->out_ts = ts;
    bool marker = restart || h->marker;
    size_t done = 0;
    for (; tt->n - done >= frame; done += frame) {
        uint8_t pkt[12 + SC_CODEC_MAX_PAYLOAD];
        int n = sc_codec__encode(enc, tt->pcm + done, frame, pkt + 12, SC_CODEC_MAX_PAYLOAD);
        if (n < 0)
            break;
        uint32_t ots = ts0 + (uint32_t)((uint64_t)done * to->clock / rate);
        sc_rtp__write_header(pkt, (uint8_t)to->codec, marker, to->seq++, ots, to->ssrc);
        marker = false;
        if (!to->ts_last_us || (int32_t)(ots - to->ts_last) >= 0) {
            to->ts_last = ots;
            to->ts_last_len = to->frame_ts;
            to->ts_last_us = sc_media__now(to->m);
        }
        sc_media__send_rtp(to, pkt, 12 + (size_t)n, (size_t)n);
        to->stats.transcoded++;
    }
    memmove(tt->pcm, tt->pcm + done, (tt->n - done) * sizeof tt->pcm[0]);
    tt->n -= done;
}

/* Scale a telephone-event's duration field between the two legs' event clocks. */
static void scale_event(const sc_media_stream *from, const sc_media_stream *to, uint8_t *p, size_t plen)
{
    if (plen < 4 || from->dtmf_clock == to->dtmf_clock)
        return;
    uint64_t d = (uint64_t)((p[2] << 8) | p[3]) * to->dtmf_clock / from->dtmf_clock;
    if (d > 0xFFFF)
        d = 0xFFFF;
    p[2] = (uint8_t)(d >> 8);
    p[3] = (uint8_t)d;
}

void sc_bridge__relay(sc_media_stream *from, const sc_rtp_hdr *h, uint8_t *pkt, size_t len)
{
    sc_media_stream *to = from->peer;
    (void)len;
    /* MOH and our own DTMF take precedence over the relay; and the leg must be sending */
    if (to->moh || sc_dtmf__sending(to) || !sc_media__can_send(to))
        return;
    bool audio = h->pt == from->codec;
    uint8_t out_pt;
    if (audio) {
        out_pt = (uint8_t)to->codec;
    } else {
        if (to->dtmf_pt < 0)
            return; /* the other leg has no telephone-event: drop */
        out_pt = (uint8_t)to->dtmf_pt;
    }
    bool same = from->fmt.codec == to->fmt.codec;
    bool g711 = is_g711(from->fmt.codec) && is_g711(to->fmt.codec);
    bool marker = h->marker;
    bool restart = false;
    if (to->src != SC_SRC_RELAY || to->relay_ssrc != h->ssrc) {
        uint32_t ts = sc_media__next_ts(to);
        to->relay_ts_off = ts - h->ts;
        to->relay_seq_off = (uint16_t)(to->seq - h->seq);
        to->relay_ssrc = h->ssrc;
        to->src = SC_SRC_RELAY;
        marker = true;
        restart = true;
    }
    uint8_t *payload = pkt + h->hlen;
    if (!same && !g711) {
        if (audio) {
            transcode(from, to, h, payload, restart);
            return;
        }
        /* an event across clocks: its timestamp mapped like the audio's, its duration scaled */
        sc_transcode *tt = tc_of(to);
        if (!tt)
            return;
        uint32_t ts = map_ts(tt, from, to, h->ts, restart);
        scale_event(from, to, payload, h->plen);
        uint8_t *out = pkt + h->hlen - 12;
        sc_rtp__write_header(out, out_pt, marker, to->seq++, ts, to->ssrc);
        sc_media__send_rtp(to, out, 12 + h->plen, h->plen);
        return;
    }
    uint16_t seq = (uint16_t)(h->seq + to->relay_seq_off);
    uint32_t ts = h->ts + to->relay_ts_off;
    if ((int16_t)(uint16_t)(seq + 1 - to->seq) > 0)
        to->seq = (uint16_t)(seq + 1); /* continue after the newest relayed packet */
    /* new 12-byte header just before the payload (drops CSRCs, extension and padding) */
    uint8_t *out = pkt + h->hlen - 12;
    if (audio) {
        if (!same)
            sc_g711__transcode(from->codec, to->codec, payload, h->plen);
        if (!to->ts_last_us || (int32_t)(ts - to->ts_last) >= 0) {
            to->ts_last = ts;
            /* the packet's duration: G.711 one octet a sample; others one 20 ms frame */
            to->ts_last_len = g711 ? (uint32_t)h->plen : to->frame_ts;
            to->ts_last_us = sc_media__now(to->m);
        }
    } else {
        scale_event(from, to, payload, h->plen);
    }
    sc_rtp__write_header(out, out_pt, marker, seq, ts, to->ssrc);
    sc_media__send_rtp(to, out, 12 + h->plen, h->plen);
}
