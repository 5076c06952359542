/* bridge: the RTP relay between two bridged streams: each packet received on one leg goes out
 * on the other with that leg's SSRC, sequence and timestamp rewritten by offsets that are
 * recomputed whenever the source changes (marker set then), G.711 transcoded when the legs'
 * codecs differ, and telephone-events passed through with their payload type mapped. */
#include "media/media_int.h"

#include <errno.h>

int sc_media_bridge(sc_media_stream *a, sc_media_stream *b)
{
    if (!a || !b || a == b || a->closing || b->closing || a->m != b->m)
        return -EINVAL;
    if (a->peer || b->peer)
        return (a->peer == b) ? 0 : -EBUSY;
    a->peer = b;
    b->peer = a;
    return 0;
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
}

sc_media_stream *sc_media_bridge_peer(const sc_media_stream *st) { return st ? st->peer : NULL; }

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
    bool marker = h->marker;
    if (to->src != SC_SRC_RELAY || to->relay_ssrc != h->ssrc) {
        uint32_t ts = sc_media__next_ts(to);
        to->relay_ts_off = ts - h->ts;
        to->relay_seq_off = (uint16_t)(to->seq - h->seq);
        to->relay_ssrc = h->ssrc;
        to->src = SC_SRC_RELAY;
        marker = true;
    }
    uint16_t seq = (uint16_t)(h->seq + to->relay_seq_off);
    uint32_t ts = h->ts + to->relay_ts_off;
    if ((int16_t)(uint16_t)(seq + 1 - to->seq) > 0)
        to->seq = (uint16_t)(seq + 1); /* continue after the newest relayed packet */
    /* new 12-byte header just before the payload (drops CSRCs, extension and padding) */
    uint8_t *out = pkt + h->hlen - 12;
    uint8_t *payload = pkt + h->hlen;
    if (audio) {
        sc_g711__transcode(from->codec, to->codec, payload, h->plen);
        if (!to->ts_last_us || (int32_t)(ts - to->ts_last) >= 0) {
            to->ts_last = ts;
            to->ts_last_len = (uint32_t)h->plen; /* G.711: one octet a sample */
            to->ts_last_us = sc_media__now(to->m);
        }
    }
    sc_rtp__write_header(out, out_pt, marker, seq, ts, to->ssrc);
    sc_media__send_rtp(to, out, 12 + h->plen, h->plen);
}
