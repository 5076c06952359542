/* g722: G.722 at 64 kbit/s through spandsp (one state a direction), taking or giving 16 kHz
 * PCM, or 8 kHz PCM (spandsp's G722_SAMPLE_RATE_8000: the upper band is left empty on encode
 * and dropped on decode) when it is transcoded with a narrowband codec. One octet a 16 kHz
 * sample pair: 160 octets a 20 ms frame. */
#include "media/media_int.h"

#include <errno.h>
#include <stdlib.h>
#include <spandsp.h>

#define G722_BITRATE 64000

static int options_of(unsigned pcm_rate) { return pcm_rate == 8000 ? G722_SAMPLE_RATE_8000 : 0; }

static int g722_enc_new(void **state, unsigned pcm_rate, const sc_media_format *fmt)
{
    (void)fmt;
    if (pcm_rate != 8000 && pcm_rate != 16000)
        return -EINVAL;
    g722_encode_state_t *s = g722_encode_init(NULL, G722_BITRATE, options_of(pcm_rate));
    if (!s)
        return -ENOMEM;
    *state = s;
    return 0;
}

/* the decoder and the samples it gives per octet (2 at 16 kHz, 1 in the 8 kHz mode) */
typedef struct g722_dec_state {
    g722_decode_state_t *s;
    size_t per_octet;
} g722_dec_state;

static int g722_dec_new(void **state, unsigned pcm_rate)
{
    if (pcm_rate != 8000 && pcm_rate != 16000)
        return -EINVAL;
    g722_dec_state *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    d->s = g722_decode_init(NULL, G722_BITRATE, options_of(pcm_rate));
    if (!d->s) {
        free(d);
        return -ENOMEM;
    }
    d->per_octet = pcm_rate == 8000 ? 1 : 2;
    *state = d;
    return 0;
}

static int g722_enc(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    /* 16 kHz: two samples an octet; 8 kHz mode: one */
    if (n > (size_t)SC_CODEC_MAX_PCM || cap < n)
        return -ENOSPC;
    return g722_encode(state, out, pcm, (int)n);
}

static int g722_dec(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    g722_dec_state *d = state;
    if (len * d->per_octet > cap)
        return -ENOSPC;
    return g722_decode(d->s, pcm, in, (int)len);
}

static void g722_free(void *state, bool encoder)
{
    if (encoder) {
        g722_encode_free(state);
        return;
    }
    g722_dec_state *d = state;
    g722_decode_free(d->s);
    free(d);
}

const sc_codec_ops sc_codec__g722_ops = {g722_enc_new, g722_enc, g722_dec_new, g722_dec, g722_free};
