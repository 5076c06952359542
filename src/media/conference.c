/* conference: the N-party audio mixer. A room holds its participants' streams and one 20 ms
 * timer and mixes at 16 kHz: each participant's RTP is decoded (its own decoder: G.722 and Opus
 * at 16 kHz; G.711 at 8 kHz, then interpolated to 16 kHz) into a short backlog, and every tick
 * takes one frame from each backlog, sums the frames of the unmuted ones and sends each
 * participant the sum minus its own frame, saturated to 16 bits and encoded with its own
 * encoder. A G.711 listener gets the sum low-passed and decimated to 8 kHz once per room, minus
 * its own frame through the same filter (the filter is linear, so its own voice cancels
 * exactly); G.711 listeners whose own filter is empty share one encoding of it per codec.
 * Rooms are made by their first join and freed by their last leave. */
#include "media/media_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MOD "media"
#define CONF_RATE 16000             /* the rooms' mixing rate */
#define CONF_FRAME 320              /* samples a tick: 20 ms at 16 kHz */
#define NB_FRAME SC_MEDIA_FRAME     /* the same 20 ms at 8 kHz (G.711) */
#define FIR_TAPS 31                 /* the 8 <-> 16 kHz low-pass filter (odd: linear phase) */
#define CONF_KEEP (4 * CONF_FRAME)  /* backlog kept per participant; older samples dropped */
#define CONF_PRIME (2 * CONF_FRAME) /* backlog to gather before taking frames (after an underrun) */
#define MAX_CATCHUP 5               /* ticks run at once when the timer was late; beyond it we skip */

typedef struct sc_conf_member sc_conf_member;

struct sc_conf_member {
    sc_conf_room *room;
    sc_media_stream *st;
    sc_conf_member *next; /* in room->members, join order */
    bool muted;
    sc_codec *dec, *enc;   /* made when first needed, again after the stream's format changed */
    sc_media_format fmt;   /* the format they were made for */
    int16_t in[CONF_KEEP]; /* decoded audio not mixed yet, oldest first */
    size_t nin;
    bool primed;               /* enough backlog gathered: frames are taken */
    int16_t frame[CONF_FRAME]; /* this tick's frame */
    bool heard;                /* frame is in this tick's sum */
    /* G.711 participants: 8 -> 16 kHz of what it sends, 16 -> 8 kHz of its own part of the sum */
    float up[FIR_TAPS - 1], own[FIR_TAPS - 1];
    unsigned own_quiet; /* ticks since its own filter last took a frame (> 1: it is empty) */
};

struct sc_conf_room {
    sc_media *m;
    sc_conf_room *next; /* in m->rooms */
    char name[SC_MEDIA_CONF_NAME_MAX + 1];
    uv_timer_t timer;
    uint64_t start_us; /* when ticking began */
    uint64_t frames;   /* ticks run since start_us */
    sc_conf_member *members;
    size_t n;
    float down[FIR_TAPS - 1]; /* 16 -> 8 kHz of the sum, for the G.711 listeners */
};

/* ---- names, rooms ------------------------------------------------------------------------- */

/* Printable ASCII but space, quotes, backslash and slash: safe in logs, JSON and URL paths. */
static bool name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > SC_MEDIA_CONF_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\'' || ch == '\\' || ch == '/')
            return false;
    }
    return true;
}

static sc_conf_room *room_find(sc_media *m, const char *name)
{
    for (sc_conf_room *r = m->rooms; r; r = r->next)
        if (!strcmp(r->name, name))
            return r;
    return NULL;
}

static void room_close_cb(uv_handle_t *h)
{
    sc_conf_room *r = h->data;
    sc_media *m = r->m;
    free(r);
    sc_media__release(m);
}

static void timer_cb(uv_timer_t *t);

static sc_conf_room *room_new(sc_media *m, const char *name)
{
    sc_conf_room *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->m = m;
    memcpy(r->name, name, strlen(name) + 1);
    uv_timer_init(m->loop, &r->timer);
    r->timer.data = r;
    m->live++;
    r->next = m->rooms;
    m->rooms = r;
    r->start_us = sc_media__now(m);
    uv_timer_start(&r->timer, timer_cb, SC_MEDIA_FRAME_US / 1000, SC_MEDIA_FRAME_US / 1000);
    sc_log(m->logger, SC_LOG_INFO, MOD, "conference room %s opened", name);
    return r;
}

static void room_free(sc_conf_room *r)
{
    sc_media *m = r->m;
    for (sc_conf_room **p = &m->rooms; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    uv_timer_stop(&r->timer);
    sc_log(m->logger, SC_LOG_INFO, MOD, "conference room %s closed", r->name);
    uv_close((uv_handle_t *)&r->timer, room_close_cb);
}

/* ---- joining and leaving -------------------------------------------------------------------- */

static void member_free(sc_conf_member *mb)
{
    sc_codec__free(mb->dec);
    sc_codec__free(mb->enc);
    free(mb);
}

void sc_media_conf_leave(sc_media_stream *st)
{
    sc_conf_member *mb = st ? st->conf : NULL;
    if (!mb)
        return;
    sc_conf_room *r = mb->room;
    for (sc_conf_member **p = &r->members; *p; p = &(*p)->next)
        if (*p == mb) {
            *p = mb->next;
            break;
        }
    r->n--;
    st->conf = NULL;
    if (st->src == SC_SRC_CONF)
        st->src = SC_SRC_NONE; /* the talkspurt ended: the next audio has the marker */
    sc_log(r->m->logger, SC_LOG_INFO, MOD, "conference room %s: port %u left (%zu left)", r->name, st->port, r->n);
    member_free(mb);
    if (r->n == 0)
        room_free(r);
}

int sc_media_conf_join(sc_media_stream *st, const char *room)
{
    if (!st || st->closing || st->m->freeing || !name_ok(room))
        return -EINVAL;
    if (st->peer)
        return -EBUSY;
    if (st->conf && !strcmp(st->conf->room->name, room))
        return 0;
    sc_conf_member *mb = calloc(1, sizeof *mb);
    if (!mb)
        return -ENOMEM;
    sc_media_conf_leave(st);
    sc_media *m = st->m;
    sc_conf_room *r = room_find(m, room);
    if (!r && !(r = room_new(m, room))) {
        free(mb);
        return -ENOMEM;
    }
    mb->room = r;
    mb->st = st;
    sc_conf_member **tail = &r->members;
    while (*tail)
        tail = &(*tail)->next;
    *tail = mb;
    r->n++;
    st->conf = mb;
    sc_log(m->logger, SC_LOG_INFO, MOD, "conference room %s: port %u joined (%zu in the room)", r->name, st->port,
           r->n);
    return 0;
}

int sc_media_conf_mute(sc_media_stream *st, bool mute)
{
    if (!st || !st->conf)
        return -ENOENT;
    st->conf->muted = mute;
    return 0;
}

sc_conf_room *sc_conf__room_of(const sc_media_stream *st) { return st && st->conf ? st->conf->room : NULL; }

const char *sc_media_conf_room(const sc_media_stream *st) { return st && st->conf ? st->conf->room->name : NULL; }

bool sc_media_conf_muted(const sc_media_stream *st) { return st && st->conf && st->conf->muted; }

/* ---- codecs of a participant, 8 <-> 16 kHz ------------------------------------------------------ */

static bool is_g711(sc_media_codec c) { return c == SC_MEDIA_PCMU || c == SC_MEDIA_PCMA; }

/* The PCM rate the participant's codec works at here: 8 kHz for G.711, else the room's. */
static unsigned pcm_rate(sc_media_codec c) { return is_g711(c) ? CONF_RATE / 2 : CONF_RATE; }

/* The low-pass filter of the 8 <-> 16 kHz conversions: a windowed sinc (Blackman), cut at
 * 3.7 kHz for a 16 kHz rate, unity gain at 0 Hz; made once. */
static const float *fir(void)
{
    static float h[FIR_TAPS];
    static bool made;
    if (!made) {
        double sum = 0, fc = 3700.0 / CONF_RATE, mid = (FIR_TAPS - 1) / 2.0;
        for (int k = 0; k < FIR_TAPS; k++) {
            double x = k - mid,
                   w = 0.42 - 0.5 * cos(2 * M_PI * k / (FIR_TAPS - 1)) + 0.08 * cos(4 * M_PI * k / (FIR_TAPS - 1));
            double v = x == 0 ? 2 * fc : sin(2 * M_PI * fc * x) / (M_PI * x);
            h[k] = (float)(v * w);
            sum += h[k];
        }
        for (int k = 0; k < FIR_TAPS; k++)
            h[k] = (float)(h[k] / sum);
        made = true;
    }
    return h;
}

/* Filter n (<= CONF_FRAME) samples at 16 kHz, continuing from hist (the previous FIR_TAPS - 1
 * inputs), keeping every step-th output (2: decimate to 8 kHz) times gain into out. */
static void filter(float *hist, const float *in, size_t n, size_t step, float gain, float *out)
{
    const float *h = fir();
    float buf[FIR_TAPS - 1 + CONF_FRAME];
    memcpy(buf, hist, sizeof(float) * (FIR_TAPS - 1));
    memcpy(buf + FIR_TAPS - 1, in, sizeof(float) * n);
    for (size_t i = step - 1, o = 0; i < n; i += step, o++) {
        const float *x = buf + i + FIR_TAPS - 1; /* x[0]: the newest input */
        float acc = 0;
        for (int k = 0; k < FIR_TAPS; k++)
            acc += h[k] * x[-k];
        out[o] = acc * gain;
    }
    memcpy(hist, buf + n, sizeof(float) * (FIR_TAPS - 1));
}

static int16_t saturate(float v) { return (int16_t)(v > 32767.f ? 32767 : v < -32768.f ? -32768 : lrintf(v)); }

/* The stream's format still is the one the codecs were made for. */
static bool same_format(const sc_media_format *a, const sc_media_format *b)
{
    return a->codec == b->codec && a->opus_fec == b->opus_fec && a->opus_maxrate == b->opus_maxrate;
}

/* The member's codecs for the stream's format now (made again, filters emptied, after a
 * re-INVITE changed it); false when one cannot be made. */
static bool codecs_ready(sc_conf_member *mb, bool encoder)
{
    sc_media_stream *st = mb->st;
    if ((mb->dec || mb->enc) && !same_format(&mb->fmt, &st->fmt)) {
        sc_codec__free(mb->dec);
        sc_codec__free(mb->enc);
        mb->dec = mb->enc = NULL;
        memset(mb->up, 0, sizeof mb->up);
        memset(mb->own, 0, sizeof mb->own);
    }
    mb->fmt = st->fmt;
    sc_codec **slot = encoder ? &mb->enc : &mb->dec;
    if (!*slot && sc_codec__new(slot, st->fmt.codec, encoder, pcm_rate(st->fmt.codec), &st->fmt) < 0)
        *slot = NULL;
    return *slot != NULL;
}

/* Append n samples at 16 kHz to the backlog; when it would pass CONF_KEEP the oldest go. */
static void backlog_put(sc_conf_member *mb, const int16_t *pcm, size_t n)
{
    sc_media *m = mb->st->m;
    if (n > CONF_KEEP) { /* a long packet: its newest part */
        m->conf_stats.dropped_late += n - CONF_KEEP;
        pcm += n - CONF_KEEP;
        n = CONF_KEEP;
    }
    if (mb->nin + n > CONF_KEEP) { /* the backlog is full: the latest audio wins */
        size_t drop = mb->nin + n - CONF_KEEP;
        memmove(mb->in, mb->in + drop, (mb->nin - drop) * sizeof mb->in[0]);
        mb->nin -= drop;
        m->conf_stats.dropped_late += drop;
    }
    memcpy(mb->in + mb->nin, pcm, n * sizeof mb->in[0]);
    mb->nin += n;
    if (mb->nin >= CONF_PRIME)
        mb->primed = true;
}

/* 8 kHz audio of a G.711 participant into its backlog at 16 kHz: zeros between the samples,
 * low-passed (gain 2 keeps the level), in frames. */
static void backlog_put_narrow(sc_conf_member *mb, const int16_t *pcm, size_t n)
{
    if (n > CONF_KEEP / 2) { /* the newest part is all the backlog keeps */
        mb->st->m->conf_stats.dropped_late += 2 * (n - CONF_KEEP / 2);
        pcm += n - CONF_KEEP / 2;
        n = CONF_KEEP / 2;
    }
    while (n) {
        size_t k = n < NB_FRAME ? n : NB_FRAME;
        float z[CONF_FRAME], y[CONF_FRAME];
        int16_t w[CONF_FRAME];
        for (size_t i = 0; i < k; i++) {
            z[2 * i] = pcm[i];
            z[2 * i + 1] = 0;
        }
        filter(mb->up, z, 2 * k, 1, 2.f, y);
        for (size_t i = 0; i < 2 * k; i++)
            w[i] = saturate(y[i]);
        backlog_put(mb, w, 2 * k);
        pcm += k;
        n -= k;
    }
}

void sc_conf__receive(sc_media_stream *st, const sc_rtp_hdr *h, const uint8_t *payload)
{
    sc_conf_member *mb = st->conf;
    if (!mb || h->pt != st->codec || !codecs_ready(mb, false))
        return; /* telephone-events are not mixed */
    int16_t pcm[SC_CODEC_MAX_PCM];
    int got = sc_codec__decode(mb->dec, payload, h->plen, pcm, SC_CODEC_MAX_PCM);
    if (got < 0) {
        st->stats.decode_errors++;
        return;
    }
    if (is_g711(st->fmt.codec))
        backlog_put_narrow(mb, pcm, (size_t)got);
    else
        backlog_put(mb, pcm, (size_t)got);
}

/* ---- the mix ------------------------------------------------------------------------------- */

/* Take this tick's frame from the backlog; false on an underrun (waits to gather again). */
static bool take_frame(sc_conf_member *mb)
{
    if (!mb->primed || mb->nin < CONF_FRAME) {
        mb->primed = false;
        return false;
    }
    memcpy(mb->frame, mb->in, sizeof mb->frame);
    mb->nin -= CONF_FRAME;
    memmove(mb->in, mb->in + CONF_FRAME, mb->nin * sizeof mb->in[0]);
    return true;
}

/* The stream takes the mix now: it sends, and neither MOH nor our DTMF has it. */
static bool listening(const sc_media_stream *st) { return sc_media__can_send(st) && !st->moh && !sc_dtmf__sending(st); }

static void send_frame(sc_media_stream *st, uint8_t *pkt, int plen)
{
    sc_media__audio_header(st, pkt, SC_SRC_CONF);
    sc_media__send_rtp(st, pkt, 12 + (size_t)plen, (size_t)plen);
    st->m->conf_stats.frames_out++;
}

/* What a G.711 participant hears, at 8 kHz: the room's decimated sum minus its own frame
 * through its own copy of the filter. Run every tick (zeros when it added nothing) so that
 * the filter's history always matches the sum's; *quiet when its own part is all zeros. */
static void narrow_out(sc_conf_member *mb, const float *sum8, int16_t *out, bool *quiet)
{
    float own[CONF_FRAME] = {0}, own8[NB_FRAME];
    if (mb->heard)
        for (size_t i = 0; i < CONF_FRAME; i++)
            own[i] = mb->frame[i];
    filter(mb->own, own, CONF_FRAME, 2, 1.f, own8);
    mb->own_quiet = mb->heard ? 0 : mb->own_quiet + 1; /* one silent tick flushes FIR_TAPS < CONF_FRAME */
    *quiet = mb->own_quiet > 1;
    for (size_t i = 0; i < NB_FRAME; i++)
        out[i] = saturate(sum8[i] - own8[i]);
}

void sc_conf__tick(sc_conf_room *r)
{
    float sum[CONF_FRAME] = {0}, sum8[NB_FRAME];
    for (sc_conf_member *mb = r->members; mb; mb = mb->next) {
        mb->heard = take_frame(mb) && !mb->muted;
        if (mb->heard)
            for (size_t i = 0; i < CONF_FRAME; i++)
                sum[i] += mb->frame[i];
    }
    filter(r->down, sum, CONF_FRAME, 2, 1.f, sum8);
    /* G.711 is stateless: listeners whose own part is silent share one encoding a codec */
    uint8_t shared[2][12 + NB_FRAME];
    int shared_len[2] = {0, 0};
    for (sc_conf_member *mb = r->members; mb; mb = mb->next) {
        sc_media_stream *st = mb->st;
        bool narrow = is_g711(st->fmt.codec), quiet = false;
        int16_t out[CONF_FRAME];
        size_t n = CONF_FRAME;
        if (narrow) {
            narrow_out(mb, sum8, out, &quiet);
            n = NB_FRAME;
        } else {
            for (size_t i = 0; i < CONF_FRAME; i++)
                out[i] = saturate(mb->heard ? sum[i] - (float)mb->frame[i] : sum[i]);
        }
        if (!listening(st))
            continue;
        int k = st->fmt.codec == SC_MEDIA_PCMA ? 1 : 0;
        if (narrow && quiet && shared_len[k]) {
            send_frame(st, shared[k], shared_len[k]);
            continue;
        }
        uint8_t pkt[12 + SC_CODEC_MAX_PAYLOAD];
        if (!codecs_ready(mb, true))
            continue;
        int len = sc_codec__encode(mb->enc, out, n, pkt + 12, SC_CODEC_MAX_PAYLOAD);
        if (len <= 0)
            continue;
        if (narrow && quiet) {
            memcpy(shared[k] + 12, pkt + 12, (size_t)len);
            shared_len[k] = len;
        }
        send_frame(st, pkt, len);
    }
}

static void timer_cb(uv_timer_t *t)
{
    sc_conf_room *r = t->data;
    sc_media *m = r->m;
    uint64_t due = (sc_media__now(m) - r->start_us) / SC_MEDIA_FRAME_US;
    if (due > r->frames + MAX_CATCHUP) /* far behind (loop stalled): skip, keep real time */
        r->frames = due - 1;
    while (r->frames < due) {
        uint64_t t0 = uv_hrtime();
        sc_conf__tick(r);
        uint64_t took = uv_hrtime() - t0;
        m->conf_stats.ticks++;
        m->conf_stats.mix_ns += took;
        if (took > m->conf_stats.mix_ns_max)
            m->conf_stats.mix_ns_max = took;
        r->frames++;
    }
}

/* ---- statistics and listing ------------------------------------------------------------------ */

void sc_media_conf_stats_get(const sc_media *m, sc_media_conf_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!m)
        return;
    *out = m->conf_stats;
    out->rooms = out->participants = 0;
    for (const sc_conf_room *r = m->rooms; r; r = r->next) {
        out->rooms++;
        out->participants += r->n;
    }
}

void sc_media_conf_each(sc_media *m, sc_media_conf_visit_fn fn, void *ud)
{
    if (!m || !fn)
        return;
    for (sc_conf_room *r = m->rooms; r; r = r->next)
        for (sc_conf_member *mb = r->members; mb; mb = mb->next)
            fn(r->name, mb->st, mb->muted, ud);
}
