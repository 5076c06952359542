/* opus: Opus (RFC 7587) through libopus: a mono VoIP encoder of 20 ms frames whose in-band FEC
 * and bandwidth follow the remote's fmtp (useinbandfec, maxplaybackrate), and a mono decoder
 * that takes whatever the remote sends (any frame size up to 120 ms, mono or stereo: libopus
 * downmixes). The PCM side runs at 8, 16 or 48 kHz: libopus resamples internally. */
#include "media/media_int.h"

#include <errno.h>
#include <opus/opus.h>

#define OPUS_BITRATE 32000 /* mono wideband speech and music on hold */

static bool valid_rate(unsigned r) { return r == 8000 || r == 16000 || r == 48000; }

static int max_bandwidth(unsigned maxrate)
{
    if (maxrate && maxrate <= 8000)
        return OPUS_BANDWIDTH_NARROWBAND;
    if (maxrate && maxrate <= 12000)
        return OPUS_BANDWIDTH_MEDIUMBAND;
    if (maxrate && maxrate <= 16000)
        return OPUS_BANDWIDTH_WIDEBAND;
    if (maxrate && maxrate <= 24000)
        return OPUS_BANDWIDTH_SUPERWIDEBAND;
    return OPUS_BANDWIDTH_FULLBAND;
}

static int opus_enc_new(void **state, unsigned pcm_rate, const sc_media_format *fmt)
{
    if (!valid_rate(pcm_rate))
        return -EINVAL;
    int err = 0;
    OpusEncoder *e = opus_encoder_create((opus_int32)pcm_rate, 1, OPUS_APPLICATION_VOIP, &err);
    if (!e || err != OPUS_OK)
        return -ENOMEM;
    opus_encoder_ctl(e, OPUS_SET_BITRATE(OPUS_BITRATE));
    opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(5));
    opus_encoder_ctl(e, OPUS_SET_MAX_BANDWIDTH(max_bandwidth(fmt ? fmt->opus_maxrate : 0)));
    if (fmt && fmt->opus_fec) {
        opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1));
        opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(5));
    }
    *state = e;
    return 0;
}

static int opus_dec_new(void **state, unsigned pcm_rate)
{
    if (!valid_rate(pcm_rate))
        return -EINVAL;
    int err = 0;
    OpusDecoder *d = opus_decoder_create((opus_int32)pcm_rate, 1, &err);
    if (!d || err != OPUS_OK)
        return -ENOMEM;
    *state = d;
    return 0;
}

static int opus_enc(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    opus_int32 r = opus_encode(state, pcm, (int)n, out, (opus_int32)cap);
    return r < 0 ? -EINVAL : (int)r;
}

static int opus_dec(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    if (len == 0)
        return -EINVAL; /* an empty payload would ask libopus for concealment */
    int r = opus_decode(state, in, (opus_int32)len, pcm, (int)cap, 0);
    return r < 0 ? -EINVAL : r;
}

static void opus_free(void *state, bool encoder)
{
    if (encoder)
        opus_encoder_destroy(state);
    else
        opus_decoder_destroy(state);
}

const sc_codec_ops sc_codec__opus_ops = {opus_enc_new, opus_enc, opus_dec_new, opus_dec, opus_free};
