/* codec: the codec layer: what each codec is (SDP name, RTP clock, audio rate, static payload
 * type) and its encoders and decoders behind one interface (sc_codec), each codec's work in its
 * own file (g711.c, g722.c, opus.c). */
#include "media/media_int.h"

#include <errno.h>
#include <stdlib.h>
#include <strings.h>

typedef struct codec_desc {
    sc_media_codec id;
    const char *name;
    unsigned clock;      /* RTP clock rate */
    unsigned audio_rate; /* sampling rate of the audio it carries */
    int static_pt;
    const sc_codec_ops *ops;
} codec_desc;

static const codec_desc codecs[SC_CODEC_SLOTS] = {
    {SC_MEDIA_PCMU, "PCMU", 8000, 8000, 0, &sc_codec__pcmu_ops},
    {SC_MEDIA_PCMA, "PCMA", 8000, 8000, 8, &sc_codec__pcma_ops},
    /* RFC 3551 4.5.2: G.722's RTP clock is 8000 although it samples at 16 kHz */
    {SC_MEDIA_G722, "G722", 8000, 16000, 9, &sc_codec__g722_ops},
    /* RFC 7587 4.1: Opus's RTP clock is 48000 whatever the audio bandwidth */
    {SC_MEDIA_OPUS, "opus", 48000, 48000, -1, &sc_codec__opus_ops},
};

static const codec_desc *desc_of(sc_media_codec c)
{
    int k = sc_codec__slot(c);
    return k < 0 ? NULL : &codecs[k];
}

int sc_codec__slot(sc_media_codec c)
{
    switch (c) {
    case SC_MEDIA_PCMU: return 0;
    case SC_MEDIA_PCMA: return 1;
    case SC_MEDIA_G722: return 2;
    case SC_MEDIA_OPUS: return 3;
    }
    return -1;
}

const char *sc_media_codec_name(sc_media_codec c)
{
    const codec_desc *d = desc_of(c);
    return d ? d->name : NULL;
}

unsigned sc_media_codec_clock(sc_media_codec c)
{
    const codec_desc *d = desc_of(c);
    return d ? d->clock : 0;
}

int sc_media_codec_parse(const char *name, sc_media_codec *out)
{
    for (size_t i = 0; name && out && i < SC_CODEC_SLOTS; i++)
        if (!strcasecmp(name, codecs[i].name)) {
            *out = codecs[i].id;
            return 0;
        }
    return -EINVAL;
}

unsigned sc_codec__audio_rate(sc_media_codec c)
{
    const codec_desc *d = desc_of(c);
    return d ? d->audio_rate : 0;
}

int sc_codec__static_pt(sc_media_codec c)
{
    const codec_desc *d = desc_of(c);
    return d ? d->static_pt : -1;
}

unsigned sc_codec__common_rate(sc_media_codec a, sc_media_codec b)
{
    unsigned ra = sc_codec__audio_rate(a), rb = sc_codec__audio_rate(b);
    return ra < rb ? ra : rb;
}

int sc_codec__new(sc_codec **out, sc_media_codec id, bool encoder, unsigned pcm_rate, const sc_media_format *fmt)
{
    const codec_desc *d = desc_of(id);
    if (!out || !d || !pcm_rate)
        return -EINVAL;
    sc_codec *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->ops = d->ops;
    c->id = id;
    c->pcm_rate = pcm_rate;
    c->encoder = encoder;
    int rc = encoder ? c->ops->enc_new(&c->state, pcm_rate, fmt) : c->ops->dec_new(&c->state, pcm_rate);
    if (rc < 0) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int sc_codec__encode(sc_codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    if (!c || !c->encoder)
        return -EINVAL;
    return c->ops->encode(c->state, pcm, n, out, cap);
}

int sc_codec__decode(sc_codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    if (!c || c->encoder)
        return -EINVAL;
    return c->ops->decode(c->state, in, len, pcm, cap);
}

void sc_codec__free(sc_codec *c)
{
    if (!c)
        return;
    if (c->ops->free)
        c->ops->free(c->state, c->encoder);
    free(c);
}
