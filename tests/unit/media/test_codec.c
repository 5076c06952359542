/* Tests for the media codecs and audio input: G.711 known vectors and round trips, RTP header
 * parsing, reading a 44.1 kHz stereo WAV (downmix + windowed-sinc resampling to 8 kHz), and
 * the built-in MOH tune (also written to a WAV and read back).
 * Run with --write-repo to (re)write media/moh-default.wav in the source tree. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sndfile.h>

#include "media/media_int.h"

static void test_ulaw_vectors(void **state)
{
    (void)state;
    assert_int_equal(sc_media_ulaw_encode(0), 0xFF);
    assert_int_equal(sc_media_ulaw_encode(-1), 0x7F);
    assert_int_equal(sc_media_ulaw_encode(32767), 0x80);
    assert_int_equal(sc_media_ulaw_encode(-32768), 0x00);
    assert_int_equal(sc_media_ulaw_encode(1000), 0xCE);
    assert_int_equal(sc_media_ulaw_decode(0xFF), 0);
    assert_int_equal(sc_media_ulaw_decode(0x80), 32124);
    assert_int_equal(sc_media_ulaw_decode(0x00), -32124);
    assert_int_equal(sc_media_ulaw_decode(0xCE), 988);
    assert_int_equal(sc_media_ulaw_decode(0x4E), -988);
    /* every code except negative zero (0x7F) survives decode + encode */
    for (int c = 0; c < 256; c++)
        if (c != 0x7F)
            assert_int_equal(sc_media_ulaw_encode(sc_media_ulaw_decode((uint8_t)c)), c);
}

static void test_alaw_vectors(void **state)
{
    (void)state;
    assert_int_equal(sc_media_alaw_encode(0), 0xD5);
    assert_int_equal(sc_media_alaw_encode(-1), 0x55);
    assert_int_equal(sc_media_alaw_encode(32767), 0xAA);
    assert_int_equal(sc_media_alaw_encode(-32768), 0x2A);
    assert_int_equal(sc_media_alaw_encode(1000), 0xFA);
    assert_int_equal(sc_media_alaw_decode(0xD5), 8);
    assert_int_equal(sc_media_alaw_decode(0x55), -8);
    assert_int_equal(sc_media_alaw_decode(0xAA), 32256);
    assert_int_equal(sc_media_alaw_decode(0x2A), -32256);
    assert_int_equal(sc_media_alaw_decode(0xFA), 1008);
    for (int c = 0; c < 256; c++)
        assert_int_equal(sc_media_alaw_encode(sc_media_alaw_decode((uint8_t)c)), c);
}

/* Quantisation error stays within the law's step size over the whole 16-bit range, and the
 * laws are monotonic. */
static void test_g711_error_bound(void **state)
{
    (void)state;
    int prev_u = -40000, prev_a = -40000;
    for (int x = -32768; x <= 32767; x++) {
        int u = sc_media_ulaw_decode(sc_media_ulaw_encode((int16_t)x));
        int a = sc_media_alaw_decode(sc_media_alaw_encode((int16_t)x));
        int bound = abs(x) / 16 + 16;
        if (abs(x) > 32000)
            bound = 700; /* clipping region of mu-law */
        if (abs(u - x) > bound || abs(a - x) > bound)
            fail_msg("x=%d ulaw=%d alaw=%d", x, u, a);
        assert_true(u >= prev_u);
        assert_true(a >= prev_a);
        prev_u = u;
        prev_a = a;
    }
    /* transcoding a buffer equals decoding with one law and encoding with the other */
    uint8_t buf[256], want[256];
    for (int i = 0; i < 256; i++) {
        buf[i] = (uint8_t)i;
        want[i] = sc_media_alaw_encode(sc_media_ulaw_decode((uint8_t)i));
    }
    sc_g711__transcode(SC_MEDIA_PCMU, SC_MEDIA_PCMA, buf, 256);
    assert_memory_equal(buf, want, 256);
}

static void test_rtp_parse(void **state)
{
    (void)state;
    uint8_t p[64] = {0};
    sc_rtp_hdr h;
    sc_rtp__write_header(p, 0, true, 0xBEEF, 0x01020304, 0xCAFEBABE);
    assert_int_equal(sc_rtp__parse(p, 12 + 160, &h), 0);
    assert_int_equal(h.pt, 0);
    assert_true(h.marker);
    assert_int_equal(h.seq, 0xBEEF);
    assert_int_equal(h.ts, 0x01020304);
    assert_int_equal(h.ssrc, 0xCAFEBABE);
    assert_int_equal(h.hlen, 12);
    assert_int_equal(h.plen, 160);
    /* 2 CSRCs + extension of 1 word + 3 octets of padding */
    p[0] = 0x80 | 0x20 | 0x10 | 2;
    p[20] = 0xBE;
    p[21] = 0xDE;
    p[22] = 0;
    p[23] = 1;
    p[39] = 3;
    assert_int_equal(sc_rtp__parse(p, 40, &h), 0);
    assert_int_equal(h.hlen, 12 + 8 + 8);
    assert_int_equal(h.plen, 40 - 28 - 3);
    /* invalid: version 1, short, padding longer than the payload, RTCP payload types */
    p[0] = 0x40;
    assert_int_equal(sc_rtp__parse(p, 40, &h), -EINVAL);
    p[0] = 0x80;
    assert_int_equal(sc_rtp__parse(p, 11, &h), -EINVAL);
    p[0] = 0xA0;
    p[39] = 40;
    assert_int_equal(sc_rtp__parse(p, 40, &h), -EINVAL);
    p[0] = 0x80;
    p[1] = 72;
    assert_int_equal(sc_rtp__parse(p, 40, &h), -EINVAL);
    p[0] = 0x83; /* 3 CSRCs do not fit in 20 octets */
    p[1] = 0;
    assert_int_equal(sc_rtp__parse(p, 20, &h), -EINVAL);
}

/* Normalised correlation of a and b over n samples. */
static double ncc(const float *a, const float *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

/* A 44.1 kHz stereo WAV (440 Hz in both channels at different levels, plus a 10 kHz tone that
 * must not alias into the band) is downmixed and resampled to 8 kHz: one second in, 8000
 * samples out, equal to the mono 440 Hz component (a linear interpolator would fold the
 * 10 kHz tone to 2 kHz and fail the error bound). */
static void test_resample_wav(void **state)
{
    (void)state;
    const char *path = SC_BINARY_DIR "/tests/media_resample_44k.wav";
    SF_INFO info = {.samplerate = 44100, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    assert_non_null(f);
    float *buf = malloc(44100 * 2 * sizeof *buf);
    for (int i = 0; i < 44100; i++) {
        double t = i / 44100.0;
        double hf = 0.3 * sin(2 * M_PI * 10000 * t);
        buf[2 * i] = (float)(0.6 * sin(2 * M_PI * 440 * t) + hf);
        buf[2 * i + 1] = (float)(0.2 * sin(2 * M_PI * 440 * t) + hf);
    }
    assert_int_equal(sf_writef_float(f, buf, 44100), 44100);
    sf_close(f);
    free(buf);

    int16_t *pcm;
    size_t n;
    assert_int_equal(sc_media_load_audio(path, &pcm, &n), 0);
    assert_int_equal(n, 8000);
    float *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
    double err2 = 0, ref2 = 0;
    for (size_t i = 0; i < n; i++) {
        got[i] = pcm[i];
        want[i] = (float)(0.4 * 32767 * sin(2 * M_PI * 440 * i / 8000.0));
    }
    for (size_t i = 200; i < n - 200; i++) { /* edges see a half kernel */
        err2 += (got[i] - want[i]) * (got[i] - want[i]);
        ref2 += want[i] * want[i];
    }
    double rel = sqrt(err2 / ref2);
    assert_true(ncc(got + 200, want + 200, n - 400) > 0.999);
    if (rel > 0.02)
        fail_msg("resampled 440 Hz differs by %.3f (rms, relative)", rel);
    free(got);
    free(want);
    free(pcm);
    assert_int_equal(sc_media_load_audio(SC_BINARY_DIR "/no/such.wav", &pcm, &n), -EIO);
}

/* An 11.025 kHz mono FLAC (when libsndfile has FLAC) is read as well: another format and an
 * upsampling-free ratio close to 1. */
static void test_resample_flac(void **state)
{
    (void)state;
    SF_INFO info = {.samplerate = 11025, .channels = 1, .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16};
    if (!sf_format_check(&info))
        skip();
    const char *path = SC_BINARY_DIR "/tests/media_resample_11k.flac";
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    assert_non_null(f);
    short s[11025];
    for (int i = 0; i < 11025; i++)
        s[i] = (short)(16000 * sin(2 * M_PI * 1000 * i / 11025.0));
    assert_int_equal(sf_write_short(f, s, 11025), 11025);
    sf_close(f);
    int16_t *pcm;
    size_t n;
    assert_int_equal(sc_media_load_audio(path, &pcm, &n), 0);
    assert_int_equal(n, 8000);
    float got[7000], want[7000];
    for (int i = 0; i < 7000; i++) {
        got[i] = pcm[i + 500];
        want[i] = (float)sin(2 * M_PI * 1000 * (i + 500) / 8000.0);
    }
    assert_true(ncc(got, want, 7000) > 0.999);
    free(pcm);
}

static void test_default_tune(void **state)
{
    (void)state;
    int16_t *pcm;
    size_t n;
    assert_int_equal(sc_media_moh_default_pcm(&pcm, &n), 0);
    assert_true(n >= 8000 * 10); /* at least 10 s */
    double e = 0;
    int peak = 0;
    for (size_t i = 0; i < n; i++) {
        e += (double)pcm[i] * pcm[i];
        if (abs(pcm[i]) > peak)
            peak = abs(pcm[i]);
    }
    double rms = sqrt(e / n);
    assert_true(rms > 1000 && rms < 12000); /* audible, not clipped */
    assert_true(peak < 32767);
    /* no long silence: every second has energy */
    for (size_t s = 0; s + 8000 <= n; s += 8000) {
        double es = 0;
        for (size_t i = s; i < s + 8000; i++)
            es += (double)pcm[i] * pcm[i];
        assert_true(sqrt(es / 8000) > 300);
    }
    /* written as WAV and read back: identical samples */
    const char *path = SC_BINARY_DIR "/tests/media_moh_default.wav";
    assert_int_equal(sc_media_moh_write_default(path), 0);
    int16_t *back;
    size_t bn;
    assert_int_equal(sc_media_load_audio(path, &back, &bn), 0);
    assert_int_equal(bn, n);
    assert_memory_equal(back, pcm, n * sizeof *pcm);
    free(back);
    free(pcm);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--write-repo")) {
        int rc = sc_media_moh_write_default(SC_SOURCE_DIR "/media/moh-default.wav");
        printf("%s: %s\n", SC_SOURCE_DIR "/media/moh-default.wav", sc_strerror(rc));
        return rc ? 1 : 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ulaw_vectors),     cmocka_unit_test(test_alaw_vectors),
        cmocka_unit_test(test_g711_error_bound), cmocka_unit_test(test_rtp_parse),
        cmocka_unit_test(test_resample_wav),     cmocka_unit_test(test_resample_flac),
        cmocka_unit_test(test_default_tune),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
