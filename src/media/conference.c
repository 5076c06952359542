/* conference: the N-party audio mixer. A room holds its participants' streams and one 20 ms
 * timer; each participant's RTP is decoded (its own decoder, 8 kHz PCM) into a short backlog,
 * and every tick takes one frame from each backlog, sums the frames of the unmuted ones in 32
 * bits and sends each participant the sum minus its own frame, saturated to 16 bits and
 * encoded with its own encoder (or, for G.711 listeners that contributed nothing, one
 * encoding of the whole sum per codec). Rooms are made by their first join and freed by their
 * last leave. */
#include "media/media_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MOD "media"
#define CONF_RATE 8000              /* the rooms' mixing rate */
#define CONF_FRAME SC_MEDIA_FRAME   /* samples a tick: 20 ms at 8 kHz */
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

/* ---- codecs of a participant ------------------------------------------------------------- */

/* The stream's format still is the one the codecs were made for. */
static bool same_format(const sc_media_format *a, const sc_media_format *b)
{
    return a->codec == b->codec && a->opus_fec == b->opus_fec && a->opus_maxrate == b->opus_maxrate;
}

/* The member's codecs for the stream's format now (made again after a re-INVITE changed it);
 * false when one cannot be made. */
static bool codecs_ready(sc_conf_member *mb, bool encoder)
{
    sc_media_stream *st = mb->st;
    if ((mb->dec || mb->enc) && !same_format(&mb->fmt, &st->fmt)) {
        sc_codec__free(mb->dec);
        sc_codec__free(mb->enc);
        mb->dec = mb->enc = NULL;
    }
    mb->fmt = st->fmt;
    sc_codec **slot = encoder ? &mb->enc : &mb->dec;
    if (!*slot && sc_codec__new(slot, st->fmt.codec, encoder, CONF_RATE, &st->fmt) < 0)
        *slot = NULL;
    return *slot != NULL;
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
    size_t n = (size_t)got;
    const int16_t *src = pcm;
    if (n > CONF_KEEP) { /* a long packet: its newest part */
        st->m->conf_stats.dropped_late += n - CONF_KEEP;
        src += n - CONF_KEEP;
        n = CONF_KEEP;
    }
    if (mb->nin + n > CONF_KEEP) { /* the backlog is full: the latest audio wins */
        size_t drop = mb->nin + n - CONF_KEEP;
        memmove(mb->in, mb->in + drop, (mb->nin - drop) * sizeof mb->in[0]);
        mb->nin -= drop;
        st->m->conf_stats.dropped_late += drop;
    }
    memcpy(mb->in + mb->nin, src, n * sizeof mb->in[0]);
    mb->nin += n;
    if (mb->nin >= CONF_PRIME)
        mb->primed = true;
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

static int16_t saturate(int32_t v) { return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v); }

/* The stream takes the mix now: it sends, and neither MOH nor our DTMF has it. */
static bool listening(const sc_media_stream *st) { return sc_media__can_send(st) && !st->moh && !sc_dtmf__sending(st); }

static bool is_g711(sc_media_codec c) { return c == SC_MEDIA_PCMU || c == SC_MEDIA_PCMA; }

static void send_frame(sc_media_stream *st, uint8_t *pkt, int plen)
{
    sc_media__audio_header(st, pkt, SC_SRC_CONF);
    sc_media__send_rtp(st, pkt, 12 + (size_t)plen, (size_t)plen);
    st->m->conf_stats.frames_out++;
}

void sc_conf__tick(sc_conf_room *r)
{
    int32_t sum[CONF_FRAME] = {0};
    for (sc_conf_member *mb = r->members; mb; mb = mb->next) {
        mb->heard = take_frame(mb) && !mb->muted;
        if (mb->heard)
            for (size_t i = 0; i < CONF_FRAME; i++)
                sum[i] += mb->frame[i];
    }
    /* G.711 is stateless: listeners who added nothing share one encoding of the sum a codec */
    uint8_t shared[2][12 + CONF_FRAME];
    int shared_len[2] = {0, 0};
    for (sc_conf_member *mb = r->members; mb; mb = mb->next) {
        sc_media_stream *st = mb->st;
        if (!listening(st))
            continue;
        int k = st->fmt.codec == SC_MEDIA_PCMA ? 1 : 0;
        if (!mb->heard && is_g711(st->fmt.codec) && shared_len[k]) {
            send_frame(st, shared[k], shared_len[k]);
            continue;
        }
        int16_t out[CONF_FRAME];
        for (size_t i = 0; i < CONF_FRAME; i++)
            out[i] = saturate(mb->heard ? sum[i] - mb->frame[i] : sum[i]);
        uint8_t pkt[12 + SC_CODEC_MAX_PAYLOAD];
        if (!codecs_ready(mb, true))
            continue;
        int n = sc_codec__encode(mb->enc, out, CONF_FRAME, pkt + 12, SC_CODEC_MAX_PAYLOAD);
        if (n <= 0)
            continue;
        if (!mb->heard && is_g711(st->fmt.codec)) {
            memcpy(shared[k] + 12, pkt + 12, (size_t)n);
            shared_len[k] = n;
        }
        send_frame(st, pkt, n);
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
