/* Tests for music on hold over real UDP on 127.0.0.1: RTP header fields of the played stream,
 * 50 packets/s that stop after moh_stop, received audio equal to the source (normalised
 * cross-correlation), one shared position per class for streams attached at different times,
 * the built-in default class, and PCMA listeners of the same class. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <sndfile.h>

#include "media_test_util.h"

#define NOISE_LEN 16000 /* 2 s at 8 kHz */

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    rx_sock rx, rx2;
    int16_t noise[NOISE_LEN];
} fx;

/* Write 2 s of pseudo-random noise (a class whose every frame is distinct) as an 8 kHz WAV. */
static void write_noise(fx *f, const char *path)
{
    uint32_t x = 12345;
    for (int i = 0; i < NOISE_LEN; i++) {
        x = x * 1103515245u + 12345u;
        f->noise[i] = (int16_t)((int)((x >> 16) & 0x7FFF) - 16384) / 2;
    }
    SF_INFO info = {.samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *s = sf_open(path, SFM_WRITE, &info);
    assert_non_null(s);
    assert_int_equal(sf_write_short(s, f->noise, NOISE_LEN), NOISE_LEN);
    sf_close(s);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(media_fixture_begin(&f->loop, &f->m, NULL, &f->rx, &f->rx2), 0);
    write_noise(f, SC_BINARY_DIR "/tests/media_moh_noise.wav");
    assert_int_equal(sc_media_moh_class_add(f->m, "noise", SC_BINARY_DIR "/tests/media_moh_noise.wav"), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(media_fixture_end(f->m, &f->loop, &f->rx, &f->rx2), 0);
    free(f);
    return 0;
}

static sc_media_stream *open_to(fx *f, rx_sock *r, sc_media_codec codec)
{
    sc_media_stream *st = open_stream_to(f->m, r->port, codec);
    assert_non_null(st);
    return st;
}

static void test_header_fields(void **state)
{
    fx *f = *state;
    sc_media_stream *st = open_to(f, &f->rx, SC_MEDIA_PCMU);
    assert_int_equal(sc_media_moh_start(st, "noise"), 0);
    assert_true(sc_media_moh_playing(st));
    run_for(&f->loop, 500);
    assert_true(f->rx.n >= 15);
    for (size_t i = 0; i < f->rx.n; i++) {
        rx_pkt *p = &f->rx.pkts[i];
        assert_int_equal(p->len, 12 + 160);
        assert_int_equal(p->data[0], 0x80);
        assert_int_equal(rtp_pt(p), 0);
        assert_int_equal(rtp_ssrc(p), sc_media_stream_ssrc(st));
        assert_int_equal(rtp_marker(p), i == 0);
        if (i) {
            assert_int_equal((uint16_t)(rtp_seq(p) - rtp_seq(p - 1)), 1);
            assert_int_equal(rtp_ts(p) - rtp_ts(p - 1), 160);
        }
    }
    /* stop, pause, start again: a new talkspurt with the marker, the timestamp moved on by
     * the pause, the sequence still continuous */
    size_t n1 = f->rx.n;
    rx_pkt last = f->rx.pkts[n1 - 1];
    sc_media_moh_stop(st);
    assert_false(sc_media_moh_playing(st));
    run_for(&f->loop, 200);
    assert_int_equal(f->rx.n, n1);
    assert_int_equal(sc_media_moh_start(st, "noise"), 0);
    run_for(&f->loop, 100);
    assert_true(f->rx.n > n1);
    rx_pkt *p = &f->rx.pkts[n1];
    assert_true(rtp_marker(p));
    assert_int_equal((uint16_t)(rtp_seq(p) - rtp_seq(&last)), 1);
    uint32_t dts = rtp_ts(p) - rtp_ts(&last);
    assert_true(dts >= 8 * 180 && dts <= 8 * 400); /* ~200 ms pause */
    sc_media_stats s;
    sc_media_stream_stats(st, &s);
    assert_int_equal(s.packets_sent, f->rx.n);
    assert_int_equal(s.bytes_sent, 160 * f->rx.n);
    /* a direction that does not send: nothing goes out, though the stream still listens */
    size_t n2 = f->rx.n;
    assert_int_equal(sc_media_stream_set_direction(st, SC_MEDIA_RECVONLY), 0);
    run_for(&f->loop, 100);
    assert_true(f->rx.n <= n2 + 1);
    sc_media_stream_close(st);
}

/* 50 packets/s over one second of real time, and nothing after moh_stop. */
static void test_rate_and_stop(void **state)
{
    fx *f = *state;
    sc_media_stream *st = open_to(f, &f->rx, SC_MEDIA_PCMU);
    assert_int_equal(sc_media_moh_start(st, "noise"), 0);
    run_for(&f->loop, 1300);
    assert_true(f->rx.n > 0);
    uint64_t t0 = f->rx.pkts[0].at_us + 100000; /* window [0.1 s, 1.1 s) */
    int in_window = 0;
    for (size_t i = 0; i < f->rx.n; i++)
        if (f->rx.pkts[i].at_us >= t0 && f->rx.pkts[i].at_us < t0 + 1000000)
            in_window++;
    if (in_window < 46 || in_window > 54)
        fail_msg("%d packets in one second", in_window);
    sc_media_moh_stop(st);
    size_t n = f->rx.n;
    run_for(&f->loop, 300);
    assert_int_equal(f->rx.n, n);
    sc_media_stream_close(st);
}

static double ncc_at(const int16_t *src, size_t slen, size_t off, const float *got, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        double a = src[(off + i) % slen], b = got[i];
        ab += a * b;
        aa += a * a;
        bb += b * b;
    }
    return ab / sqrt(aa * bb);
}

/* Decode what arrived (in sequence order, loopback does not lose) and find it in the source. */
static void test_audio_matches_source(void **state)
{
    fx *f = *state;
    sc_media_stream *st = open_to(f, &f->rx, SC_MEDIA_PCMU);
    run_for(&f->loop, 130); /* the class position is not at 0 when we join */
    assert_int_equal(sc_media_moh_start(st, "noise"), 0);
    run_for(&f->loop, 1000);
    size_t np = f->rx.n;
    assert_true(np >= 40);
    float *got = malloc(np * 160 * sizeof *got);
    for (size_t i = 0; i < np; i++) {
        assert_int_equal((uint16_t)(rtp_seq(&f->rx.pkts[i]) - rtp_seq(&f->rx.pkts[0])), i);
        for (int k = 0; k < 160; k++)
            got[i * 160 + k] = sc_media_ulaw_decode(f->rx.pkts[i].data[12 + k]);
    }
    size_t best = 0;
    double bestc = -1;
    for (size_t off = 0; off < NOISE_LEN; off++) {
        double c = ncc_at(f->noise, NOISE_LEN, off, got, 160);
        if (c > bestc) {
            bestc = c;
            best = off;
        }
    }
    assert_int_equal(best % 160, 0); /* frames are whole 20 ms slices of the class */
    double whole = ncc_at(f->noise, NOISE_LEN, best, got, np * 160);
    if (whole < 0.9)
        fail_msg("correlation %.3f at offset %zu", whole, best);
    assert_true(whole > 0.99); /* mu-law of white noise: ~0.999 */
    /* at another offset the same audio does not match */
    assert_true(fabs(ncc_at(f->noise, NOISE_LEN, best + 800, got, np * 160)) < 0.2);
    free(got);
    sc_media_stream_close(st);
}

/* Two streams attached 300 ms apart get the same frames at the same moments. */
static void test_shared_position(void **state)
{
    fx *f = *state;
    sc_media_stream *a = open_to(f, &f->rx, SC_MEDIA_PCMU);
    sc_media_stream *b = open_to(f, &f->rx2, SC_MEDIA_PCMU);
    assert_int_equal(sc_media_moh_start(a, "noise"), 0);
    run_for(&f->loop, 300);
    size_t pos, len;
    assert_int_equal(sc_media_moh_class_position(f->m, "noise", &pos, &len), 0);
    assert_int_equal(len, NOISE_LEN);
    assert_true(pos >= 160 * 10);
    assert_int_equal(sc_media_moh_start(b, "noise"), 0);
    run_for(&f->loop, 300);
    assert_true(f->rx2.n >= 10);
    /* b's first frame is one a received at (about) the same time, not a's first frame */
    rx_pkt *b0 = &f->rx2.pkts[0];
    size_t match = SIZE_MAX;
    for (size_t i = 0; i < f->rx.n; i++)
        if (!memcmp(f->rx.pkts[i].data + 12, b0->data + 12, 160)) {
            match = i;
            break;
        }
    assert_true(match != SIZE_MAX);
    assert_true(match >= 10);
    int64_t dt = (int64_t)f->rx.pkts[match].at_us - (int64_t)b0->at_us;
    assert_true(dt > -15000 && dt < 15000);
    /* and from there on the two streams carry the same frames */
    for (size_t k = 1; k < 8 && match + k < f->rx.n; k++)
        assert_memory_equal(f->rx.pkts[match + k].data + 12, f->rx2.pkts[k].data + 12, 160);
    assert_true(rtp_ssrc(&f->rx.pkts[0]) != rtp_ssrc(b0));
    sc_media_stream_close(a);
    /* the class keeps running for b alone */
    size_t n = f->rx2.n;
    run_for(&f->loop, 200);
    assert_true(f->rx2.n >= n + 7);
    sc_media_stream_close(b);
    assert_int_equal(sc_media_moh_start(a = open_to(f, &f->rx, SC_MEDIA_PCMU), "nope"), -ENOENT);
    sc_media_stream_close(a);
}

/* The default class (built-in tune) and a PCMA listener: the same frames, encoded in A-law. */
static void test_default_class_pcma(void **state)
{
    fx *f = *state;
    assert_int_equal(sc_media_moh_class_add(f->m, "noise", NULL), -EEXIST);
    assert_int_equal(sc_media_moh_class_add(f->m, "", NULL), -EINVAL);
    assert_int_equal(sc_media_moh_class_add(f->m, "bad", "/no/such/file.wav"), -EIO);
    sc_media_stream *a = open_to(f, &f->rx, SC_MEDIA_PCMU);
    sc_media_stream *b = open_to(f, &f->rx2, SC_MEDIA_PCMA);
    assert_int_equal(sc_media_moh_start(a, NULL), 0);
    assert_int_equal(sc_media_moh_start(b, NULL), 0);
    run_for(&f->loop, 400);
    assert_true(f->rx.n >= 10 && f->rx2.n >= 10);
    assert_int_equal(rtp_pt(&f->rx2.pkts[0]), 8);
    int16_t *tune;
    size_t tn;
    assert_int_equal(sc_media_moh_default_pcm(&tune, &tn), 0);
    /* the first frames of the class are the start of the tune */
    for (int k = 0; k < 160; k++) {
        int u = sc_media_ulaw_decode(f->rx.pkts[0].data[12 + k]);
        int al = sc_media_alaw_decode(f->rx2.pkts[0].data[12 + k]);
        assert_true(abs(u - tune[k]) <= abs(tune[k]) / 16 + 16);
        assert_true(abs(al - tune[k]) <= abs(tune[k]) / 16 + 16);
    }
    free(tune);
    sc_media_stream_close(a);
    sc_media_stream_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audio_matches_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_position, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_class_pcma, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
