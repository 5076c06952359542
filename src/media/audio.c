/* audio: reading sound files with libsndfile into 8 kHz mono PCM (downmix, resample), and
 * the built-in music-on-hold tune, synthesised in code and writable as a WAV file. */
#include "media/media_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#define CHUNK 4096

/* Read every frame of f, averaging the channels; *out malloc'd. At most max frames. */
static int read_mono(SNDFILE *f, int channels, size_t max, float **out, size_t *n)
{
    size_t cap = 0, len = 0;
    float *mono = NULL;
    float *buf = malloc((size_t)CHUNK * (size_t)channels * sizeof *buf);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        sf_count_t got = sf_readf_float(f, buf, CHUNK);
        if (got <= 0 || len >= max)
            break;
        if (len + (size_t)got > max)
            got = (sf_count_t)(max - len);
        if (len + (size_t)got > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            while (ncap < len + (size_t)got)
                ncap *= 2;
            float *nm = realloc(mono, ncap * sizeof *nm);
            if (!nm) {
                free(mono);
                free(buf);
                return -ENOMEM;
            }
            mono = nm;
            cap = ncap;
        }
        for (sf_count_t i = 0; i < got; i++) {
            float acc = 0;
            for (int c = 0; c < channels; c++)
                acc += buf[i * channels + c];
            mono[len++] = acc / (float)channels;
        }
    }
    free(buf);
    *out = mono;
    *n = len;
    return 0;
}

int sc_media_load_audio(const char *path, int16_t **pcm, size_t *n)
{
    if (!path || !pcm || !n)
        return -EINVAL;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return -EIO;
    if (info.channels < 1 || info.samplerate < 1000 || info.samplerate > 384000) {
        sf_close(f);
        return -EIO;
    }
    size_t max = (size_t)((double)SC_MEDIA_MOH_MAX_SAMPLES * info.samplerate / 8000.0);
    float *mono = NULL, *rs = NULL;
    size_t len = 0, rlen = 0;
    int rc = read_mono(f, info.channels, max, &mono, &len);
    sf_close(f);
    if (rc < 0)
        return rc;
    if (len == 0) {
        free(mono);
        return -EIO;
    }
    rc = sc_media__resample(mono, len, (unsigned)info.samplerate, &rs, &rlen);
    free(mono);
    if (rc < 0)
        return rc;
    int16_t *o = malloc((rlen ? rlen : 1) * sizeof *o);
    if (!o) {
        free(rs);
        return -ENOMEM;
    }
    for (size_t i = 0; i < rlen; i++) {
        float v = rs[i] * 32768.0f; /* libsndfile reads 16-bit as x/32768 */
        o[i] = (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : lrintf(v));
    }
    free(rs);
    *pcm = o;
    *n = rlen;
    return 0;
}

/* ---- the built-in tune ----------------------------------------------------------------------
 * An original eight-bar melody in C major over I-vi-IV-V (twice, the second time resolving
 * to C), 96 beats per minute: a soft bell-like voice (fundamental with decaying 2nd and 3rd
 * harmonics, 8 ms attack, exponential decay) over sustained chord roots. ~20 s, then loops. */

typedef struct note {
    int8_t midi;     /* MIDI note number, 0 = rest */
    uint8_t eighths; /* length in eighth notes */
} note;

static const note melody[] = {
    {64, 2}, {67, 2}, {72, 2}, {67, 2},          /* C:  E G C' G */
    {69, 2}, {72, 2}, {76, 3}, {74, 1},          /* Am: A C' E' D' */
    {72, 2}, {69, 2}, {65, 2}, {69, 2},          /* F:  C' A F A */
    {67, 3}, {71, 1}, {74, 2}, {71, 2},          /* G:  G B D' B */
    {72, 2}, {76, 2}, {74, 2}, {72, 2},          /* C:  C' E' D' C' */
    {69, 2}, {72, 2}, {71, 2}, {69, 2},          /* Am: A C' B A */
    {65, 2}, {69, 2}, {67, 2}, {65, 1}, {64, 1}, /* F:  F A G F E */
    {67, 2}, {71, 2}, {72, 4},                   /* G-C: G B C' */
};

static const int8_t roots[8] = {48, 45, 41, 43, 48, 45, 41, 43}; /* C3 A2 F2 G2 */

static double midi_hz(int midi) { return 440.0 * pow(2.0, (midi - 69) / 12.0); }

int sc_media_moh_default_pcm(int16_t **pcm, size_t *n)
{
    if (!pcm || !n)
        return -EINVAL;
    const double rate = 8000.0;
    const size_t eighth = (size_t)(rate * 60.0 / 96.0 / 2.0); /* 2500 samples */
    const size_t bar = 8 * eighth;
    const size_t total = 8 * bar;
    float *mix = calloc(total, sizeof *mix);
    int16_t *o = malloc(total * sizeof *o);
    if (!mix || !o) {
        free(mix);
        free(o);
        return -ENOMEM;
    }
    /* melody */
    size_t at = 0;
    for (size_t k = 0; k < sizeof melody / sizeof melody[0]; k++) {
        size_t len = melody[k].eighths * eighth;
        if (melody[k].midi) {
            double f = midi_hz(melody[k].midi);
            size_t ring = len + eighth; /* let the note ring into the next one */
            for (size_t i = 0; i < ring && at + i < total; i++) {
                double t = i / rate;
                double env = (t < 0.008 ? t / 0.008 : 1.0) * exp(-2.2 * t);
                double v = sin(2 * M_PI * f * t) + 0.35 * exp(-4 * t) * sin(4 * M_PI * f * t) +
                           0.12 * exp(-6 * t) * sin(6 * M_PI * f * t);
                mix[at + i] += (float)(0.32 * env * v);
            }
        }
        at += len;
    }
    /* sustained roots (with an octave above so that they survive the telephone band) */
    for (size_t b = 0; b < 8; b++) {
        double f = midi_hz(roots[b] + 12);
        for (size_t i = 0; i < bar; i++) {
            double t = i / rate, tl = (bar - i) / rate;
            double env = (t < 0.05 ? t / 0.05 : 1.0) * (tl < 0.05 ? tl / 0.05 : 1.0) * (0.6 + 0.4 * exp(-1.5 * t));
            double v = sin(2 * M_PI * f * t) + 0.5 * sin(2 * M_PI * 2 * f * t) + 0.25 * sin(2 * M_PI * 1.5 * 2 * f * t);
            mix[b * bar + i] += (float)(0.10 * env * v);
        }
    }
    /* fade the last 100 ms so that the loop joins smoothly */
    for (size_t i = 0; i < 800; i++)
        mix[total - 1 - i] *= (float)i / 800.0f;
    for (size_t i = 0; i < total; i++) {
        float v = mix[i] * 32767.0f;
        o[i] = (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : lrintf(v));
    }
    free(mix);
    *pcm = o;
    *n = total;
    return 0;
}

int sc_media_moh_write_default(const char *path)
{
    if (!path)
        return -EINVAL;
    int16_t *pcm;
    size_t n;
    int rc = sc_media_moh_default_pcm(&pcm, &n);
    if (rc < 0)
        return rc;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = 8000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) {
        free(pcm);
        return -EIO;
    }
    sf_count_t w = sf_write_short(f, pcm, (sf_count_t)n);
    rc = (w == (sf_count_t)n && sf_close(f) == 0) ? 0 : -EIO;
    if (w != (sf_count_t)n)
        sf_close(f);
    free(pcm);
    return rc;
}
