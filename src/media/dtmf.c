/* dtmf: RFC 4733 telephone-events: sending queued digits on a 20 ms timer (marker on the
 * first packet, one timestamp per event, growing duration, three end packets), and receiving
 * them with one callback per event whatever the number of repeated end packets. */
#include "media/media_int.h"

#include <errno.h>
#include <string.h>

#define DTMF_VOLUME 10 /* -10 dBm0 */
#define DTMF_GAP_TICKS 2

static int digit_code(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    switch (c) {
    case '*': return 10;
    case '#': return 11;
    case 'A':
    case 'a': return 12;
    case 'B':
    case 'b': return 13;
    case 'C':
    case 'c': return 14;
    case 'D':
    case 'd': return 15;
    default: return -1;
    }
}

static char code_digit(uint8_t e) { return "0123456789*#ABCD"[e & 15]; }

bool sc_dtmf__sending(const sc_media_stream *st)
{
    return st->dtx_phase == SC_DTMF_EVENT || st->dtx_phase == SC_DTMF_END;
}

void sc_dtmf__stop(sc_media_stream *st)
{
    st->dq_count = 0;
    st->dq_head = 0;
    if (st->dtx_phase != SC_DTMF_IDLE) {
        st->dtx_phase = SC_DTMF_IDLE;
        uv_timer_stop(&st->dtmf_timer);
    }
}

static void send_event(sc_media_stream *st, bool marker, bool end)
{
    uint8_t pkt[16];
    sc_rtp__write_header(pkt, (uint8_t)st->dtmf_pt, marker, st->seq++, st->dtx_ts, st->ssrc);
    pkt[12] = st->dtx_event;
    pkt[13] = (uint8_t)((end ? 0x80 : 0) | DTMF_VOLUME);
    pkt[14] = (uint8_t)(st->dtx_dur >> 8);
    pkt[15] = (uint8_t)st->dtx_dur;
    sc_media__send_rtp(st, pkt, sizeof pkt, 4);
}

/* Start the next queued digit; false when the queue is empty. */
static bool start_digit(sc_media_stream *st)
{
    if (st->dq_count == 0)
        return false;
    char c = st->dq[st->dq_head];
    st->dq_head = (st->dq_head + 1) % SC_MEDIA_DTMF_QUEUE;
    st->dq_count--;
    st->dtx_event = (uint8_t)digit_code(c);
    st->dtx_ts = sc_media__next_ts(st);
    st->dtx_dur = (uint16_t)(st->dtmf_clock / 50);
    /* the duration field has 16 bits: at 48 kHz an event lasts at most 1.36 s */
    uint32_t target = st->dtx_duration_ms * (st->dtmf_clock / 1000);
    st->dtx_target = (uint16_t)(target > 0xFFFF ? 0xFFFF : target);
    st->src = SC_SRC_DTMF; /* audio after the event starts a new talkspurt */
    st->dtx_phase = SC_DTMF_EVENT;
    send_event(st, true, false);
    return true;
}

static void dtmf_tick(uv_timer_t *t)
{
    sc_media_stream *st = t->data;
    if (!sc_media__can_send(st) || st->dtmf_pt < 0) {
        sc_dtmf__stop(st);
        return;
    }
    switch (st->dtx_phase) {
    case SC_DTMF_EVENT:
        if ((uint32_t)st->dtx_dur + st->dtmf_clock / 50 >= st->dtx_target) {
            st->dtx_dur = st->dtx_target;
            st->dtx_phase = SC_DTMF_END;
            st->dtx_count = 1;
            send_event(st, false, true);
        } else {
            st->dtx_dur = (uint16_t)(st->dtx_dur + st->dtmf_clock / 50);
            send_event(st, false, false);
        }
        break;
    case SC_DTMF_END:
        send_event(st, false, true);
        if (++st->dtx_count >= 3) {
            st->ts_last = st->dtx_ts;
            st->ts_last_len = (uint32_t)((uint64_t)st->dtx_dur * st->clock / st->dtmf_clock); /* audio clock */
            st->ts_last_us = sc_media__now(st->m);
            st->dtx_phase = SC_DTMF_GAP;
            st->dtx_count = 0;
        }
        break;
    case SC_DTMF_GAP:
        if (++st->dtx_count < DTMF_GAP_TICKS)
            break;
        st->dtx_phase = SC_DTMF_IDLE;
        /* fall through */
    case SC_DTMF_IDLE:
        if (!start_digit(st)) {
            st->dtx_phase = SC_DTMF_IDLE;
            uv_timer_stop(&st->dtmf_timer);
        }
        break;
    }
}

int sc_media_stream_send_dtmf(sc_media_stream *st, const char *digits, unsigned duration_ms)
{
    if (!st || !digits || st->closing)
        return -EINVAL;
    size_t n = strlen(digits);
    for (size_t i = 0; i < n; i++)
        if (digit_code(digits[i]) < 0)
            return -EINVAL;
    if (st->dtmf_pt < 0 && st->has_remote)
        return -ENOTSUP;
    if (!sc_media__can_send(st))
        return -ENOTCONN;
    if (st->dq_count + n > SC_MEDIA_DTMF_QUEUE)
        return -EAGAIN;
    if (duration_ms < 40)
        duration_ms = 40;
    if (duration_ms > 8000)
        duration_ms = 8000;
    st->dtx_duration_ms = duration_ms;
    for (size_t i = 0; i < n; i++) {
        st->dq[(st->dq_head + st->dq_count) % SC_MEDIA_DTMF_QUEUE] = digits[i];
        st->dq_count++;
    }
    if (st->dtx_phase == SC_DTMF_IDLE && n > 0) {
        start_digit(st);
        uv_timer_start(&st->dtmf_timer, dtmf_tick, 20, 20);
    }
    return 0;
}

static void report(sc_media_stream *st)
{
    st->drx_active = false;
    st->drx_ended = true;
    st->stats.dtmf_received++;
    if (st->m->cb.on_dtmf)
        st->m->cb.on_dtmf(st, code_digit(st->drx_event), (unsigned)((uint64_t)st->drx_duration * 1000 / st->dtmf_clock),
                          st->ud);
}

void sc_dtmf__receive(sc_media_stream *st, const sc_rtp_hdr *h, const uint8_t *p)
{
    if (h->plen < 4 || p[0] > 15)
        return; /* not a DTMF digit event (or too short): counted, not reported */
    bool end = (p[1] & 0x80) != 0;
    uint16_t duration = (uint16_t)((p[2] << 8) | p[3]);
    if (st->drx_ended && !st->drx_active && h->ts == st->drx_ts)
        return; /* a repeated end packet of an event already reported */
    if (st->drx_active && h->ts != st->drx_ts) {
        report(st); /* the previous event lost all its end packets */
        if (st->closing)
            return;
    }
    if (!st->drx_active) {
        st->drx_active = true;
        st->drx_ended = false;
        st->drx_ts = h->ts;
        st->drx_event = p[0];
        st->drx_duration = 0;
    }
    if (duration > st->drx_duration)
        st->drx_duration = duration;
    if (end)
        report(st);
}
