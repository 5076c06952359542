/* moh: music-on-hold classes: PCM decoded once per class, one shared playout clock per class
 * (a 20 ms timer that runs only while the class has listeners), and the fan-out of each frame
 * to every listening stream, encoded once per codec in use (one encoder a class and codec:
 * G.711, G.722 from 8 kHz, Opus from 8 kHz). */
#include "media/media_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MOD "media"
#define MAX_CATCHUP 5 /* frames sent in one tick when the timer ran late; beyond it we skip */

sc_moh_class *sc_moh__find(sc_media *m, const char *name)
{
    for (sc_moh_class *c = m->classes; c; c = c->next)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

int sc_media_moh_class_add(sc_media *m, const char *name, const char *path)
{
    if (!m || !name || m->freeing)
        return -EINVAL;
    size_t nl = strlen(name);
    if (nl == 0 || nl >= sizeof((sc_moh_class *)0)->name)
        return -EINVAL;
    if (sc_moh__find(m, name))
        return -EEXIST;
    int16_t *pcm = NULL;
    size_t n = 0;
    int rc = path ? sc_media_load_audio(path, &pcm, &n) : sc_media_moh_default_pcm(&pcm, &n);
    if (rc < 0) {
        sc_log(m->logger, SC_LOG_ERROR, MOD, "MOH class %s: cannot read %s: %s", name, path ? path : "(built-in)",
               sc_strerror(rc));
        return rc;
    }
    if (n < SC_MEDIA_FRAME) {
        free(pcm);
        return -EIO;
    }
    sc_moh_class *c = calloc(1, sizeof *c);
    if (!c) {
        free(pcm);
        return -ENOMEM;
    }
    c->m = m;
    memcpy(c->name, name, nl + 1);
    c->pcm = pcm;
    c->len = n;
    uv_timer_init(m->loop, &c->timer);
    c->timer.data = c;
    m->live++;
    c->next = m->classes;
    m->classes = c;
    sc_log(m->logger, SC_LOG_INFO, MOD, "MOH class %s: %zu samples (%.1f s)", name, n, n / 8000.0);
    return 0;
}

void sc_media__moh_tick(sc_moh_class *c)
{
    int16_t frame[SC_MEDIA_FRAME];
    size_t first = c->len - c->pos < SC_MEDIA_FRAME ? c->len - c->pos : SC_MEDIA_FRAME;
    memcpy(frame, c->pcm + c->pos, first * sizeof *frame);
    if (first < SC_MEDIA_FRAME) /* wrap: the class loops */
        memcpy(frame + first, c->pcm, (SC_MEDIA_FRAME - first) * sizeof *frame);
    c->pos = (c->pos + SC_MEDIA_FRAME) % c->len;

    /* one encoding a codec in use, made when a listener first needs it (encoders keep their
     * state across frames: one per class and codec, shared by its listeners) */
    uint8_t pkt[SC_CODEC_SLOTS][12 + SC_CODEC_MAX_PAYLOAD];
    int plen[SC_CODEC_SLOTS] = {0};
    for (sc_media_stream *st = c->listeners; st; st = st->moh_next) {
        if (!sc_media__can_send(st) || sc_dtmf__sending(st) || st->player) /* an announcement wins */
            continue;
        int k = sc_codec__slot(st->fmt.codec);
        if (k < 0)
            continue;
        if (!plen[k]) {
            if (!c->enc[k] && sc_codec__new(&c->enc[k], st->fmt.codec, true, 8000, &st->fmt) < 0)
                continue;
            int n = sc_codec__encode(c->enc[k], frame, SC_MEDIA_FRAME, pkt[k] + 12, SC_CODEC_MAX_PAYLOAD);
            if (n <= 0)
                continue;
            plen[k] = n;
        }
        /* the payload type of this listener's negotiation (Opus's is dynamic) */
        sc_media__audio_header(st, pkt[k], SC_SRC_MOH);
        sc_media__send_rtp(st, pkt[k], 12 + (size_t)plen[k], (size_t)plen[k]);
    }
}

static void class_timer_cb(uv_timer_t *t)
{
    sc_moh_class *c = t->data;
    uint64_t due = (sc_media__now(c->m) - c->start_us) / SC_MEDIA_FRAME_US;
    if (due > c->frames + MAX_CATCHUP) {
        /* far behind (loop stalled): skip frames but keep the position in real time */
        uint64_t skip = due - c->frames - 1;
        c->pos = (size_t)((c->pos + (skip % c->len) * SC_MEDIA_FRAME) % c->len);
        c->frames += skip;
    }
    while (c->frames < due && c->listeners) {
        sc_media__moh_tick(c);
        c->frames++;
    }
}

int sc_media_moh_start(sc_media_stream *st, const char *class_name)
{
    if (!st || st->closing)
        return -EINVAL;
    sc_media *m = st->m;
    const char *name = class_name ? class_name : "default";
    sc_moh_class *c = sc_moh__find(m, name);
    if (!c && !strcmp(name, "default")) {
        int rc = sc_media_moh_class_add(m, "default", NULL);
        if (rc < 0)
            return rc;
        c = sc_moh__find(m, name);
    }
    if (!c)
        return -ENOENT;
    if (st->moh == c)
        return 0;
    sc_moh__detach(st);
    st->moh = c;
    st->moh_prev = NULL;
    st->moh_next = c->listeners;
    if (c->listeners)
        c->listeners->moh_prev = st;
    c->listeners = st;
    c->nlisteners++;
    if (!c->running) {
        c->running = true;
        c->start_us = sc_media__now(m);
        c->frames = 0;
        uv_timer_start(&c->timer, class_timer_cb, SC_MEDIA_FRAME_US / 1000, SC_MEDIA_FRAME_US / 1000);
    }
    return 0;
}

void sc_moh__detach(sc_media_stream *st)
{
    sc_moh_class *c = st->moh;
    if (!c)
        return;
    if (st->moh_prev)
        st->moh_prev->moh_next = st->moh_next;
    else
        c->listeners = st->moh_next;
    if (st->moh_next)
        st->moh_next->moh_prev = st->moh_prev;
    st->moh = NULL;
    st->moh_prev = st->moh_next = NULL;
    if (st->src == SC_SRC_MOH)
        st->src = SC_SRC_NONE; /* the talkspurt ended: the next audio has the marker */
    if (--c->nlisteners == 0) {
        c->running = false;
        uv_timer_stop(&c->timer);
    }
}

void sc_media_moh_stop(sc_media_stream *st)
{
    if (st)
        sc_moh__detach(st);
}

bool sc_media_moh_playing(const sc_media_stream *st) { return st && st->moh; }

int sc_media_moh_class_position(sc_media *m, const char *name, size_t *pos, size_t *len)
{
    sc_moh_class *c = m && name ? sc_moh__find(m, name) : NULL;
    if (!c)
        return -ENOENT;
    if (pos)
        *pos = c->pos;
    if (len)
        *len = c->len;
    return 0;
}

static void class_close_cb(uv_handle_t *h)
{
    sc_moh_class *c = h->data;
    sc_media *m = c->m;
    for (int k = 0; k < SC_CODEC_SLOTS; k++)
        sc_codec__free(c->enc[k]);
    free(c->pcm);
    free(c);
    sc_media__release(m);
}

void sc_moh__free_classes(sc_media *m)
{
    while (m->classes) {
        sc_moh_class *c = m->classes;
        m->classes = c->next;
        while (c->listeners)
            sc_moh__detach(c->listeners);
        uv_close((uv_handle_t *)&c->timer, class_close_cb);
    }
}
