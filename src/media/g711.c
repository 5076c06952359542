/* g711: G.711 mu-law and A-law encoding and decoding by bit arithmetic (ITU-T G.711),
 * and whole-buffer helpers to encode PCM and to transcode between the two laws. */
#include "media/media_int.h"

#include <errno.h>

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

uint8_t sc_media_ulaw_encode(int16_t pcm)
{
    int v = pcm;
    int sign = 0;
    if (v < 0) {
        sign = 0x80;
        v = -v;
    }
    if (v > ULAW_CLIP)
        v = ULAW_CLIP;
    v += ULAW_BIAS;
    /* exponent: position of the highest set bit among bits 7..14 */
    int exp = 7;
    for (int mask = 0x4000; !(v & mask) && exp > 0; mask >>= 1)
        exp--;
    int mant = (v >> (exp + 3)) & 0x0F;
    return (uint8_t) ~(sign | (exp << 4) | mant);
}

int16_t sc_media_ulaw_decode(uint8_t code)
{
    int c = (uint8_t)~code;
    int exp = (c >> 4) & 0x07;
    int mant = c & 0x0F;
    int v = (((mant << 3) + ULAW_BIAS) << exp) - ULAW_BIAS;
    return (int16_t)((c & 0x80) ? -v : v);
}

uint8_t sc_media_alaw_encode(int16_t pcm)
{
    int v = pcm;
    int mask;
    if (v >= 0) {
        mask = 0xD5; /* sign bit set for positive, even bits inverted */
    } else {
        mask = 0x55;
        v = -v - 1;
    }
    v >>= 3; /* 13-bit magnitude */
    int seg = 0;
    while (seg < 8 && v > ((0x20 << seg) - 1))
        seg++;
    if (seg >= 8)
        return (uint8_t)(0x7F ^ mask);
    int aval = seg << 4;
    aval |= (seg < 2) ? ((v >> 1) & 0x0F) : ((v >> seg) & 0x0F);
    return (uint8_t)(aval ^ mask);
}

int16_t sc_media_alaw_decode(uint8_t code)
{
    int a = code ^ 0x55;
    int t = (a & 0x0F) << 4;
    int seg = (a & 0x70) >> 4;
    if (seg == 0)
        t += 8;
    else if (seg == 1)
        t += 0x108;
    else
        t = (t + 0x108) << (seg - 1);
    return (int16_t)((a & 0x80) ? t : -t);
}

void sc_g711__encode(int pt, const int16_t *pcm, uint8_t *out, size_t n)
{
    if (pt == SC_MEDIA_PCMA) {
        for (size_t i = 0; i < n; i++)
            out[i] = sc_media_alaw_encode(pcm[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = sc_media_ulaw_encode(pcm[i]);
    }
}

void sc_g711__transcode(int from_pt, int to_pt, uint8_t *buf, size_t n)
{
    if (from_pt == to_pt)
        return;
    if (from_pt == SC_MEDIA_PCMU) {
        for (size_t i = 0; i < n; i++)
            buf[i] = sc_media_alaw_encode(sc_media_ulaw_decode(buf[i]));
    } else {
        for (size_t i = 0; i < n; i++)
            buf[i] = sc_media_ulaw_encode(sc_media_alaw_decode(buf[i]));
    }
}

/* ---- the codec interface (codec.c): stateless, 8 kHz PCM, one octet a sample --------------- */

static int g711_new(void **state, unsigned pcm_rate, const sc_media_format *fmt)
{
    (void)fmt;
    *state = NULL;
    return pcm_rate == 8000 ? 0 : -EINVAL;
}

static int g711_dec_new(void **state, unsigned pcm_rate) { return g711_new(state, pcm_rate, NULL); }

static int ulaw_enc(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    if (n > cap)
        return -ENOSPC;
    sc_g711__encode(SC_MEDIA_PCMU, pcm, out, n);
    return (int)n;
}

static int alaw_enc(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    if (n > cap)
        return -ENOSPC;
    sc_g711__encode(SC_MEDIA_PCMA, pcm, out, n);
    return (int)n;
}

static int ulaw_dec(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    if (len > cap)
        return -ENOSPC;
    for (size_t i = 0; i < len; i++)
        pcm[i] = sc_media_ulaw_decode(in[i]);
    return (int)len;
}

static int alaw_dec(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    if (len > cap)
        return -ENOSPC;
    for (size_t i = 0; i < len; i++)
        pcm[i] = sc_media_alaw_decode(in[i]);
    return (int)len;
}

const sc_codec_ops sc_codec__pcmu_ops = {g711_new, ulaw_enc, g711_dec_new, ulaw_dec, NULL};
const sc_codec_ops sc_codec__pcma_ops = {g711_new, alaw_enc, g711_dec_new, alaw_dec, NULL};
