/* Tests for announcements and recording over real UDP on 127.0.0.1: a played file arrives whole
 * and in order (G.711 of its samples), with one done callback; a missing or unreadable file is
 * refused; a playback wins over music on hold, which resumes after it; a loop plays until
 * stopped; the prompt cache decodes a file once for two codecs and reads a changed file again;
 * a file decoded in the thread pool lands in the cache (errors and cancels reported right);
 * a recording writes a valid WAV of both directions (per direction: each file holds its side),
 * and a full disk or a missing directory ends it with one error callback. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <sndfile.h>

#include "media_test_util.h"

#define FILE_LEN 4000 /* 0.5 s at 8 kHz: 25 frames */
#define WAV_A SC_BINARY_DIR "/tests/media_voice_a.wav"
#define WAV_B SC_BINARY_DIR "/tests/media_voice_b.wav"

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    rx_sock rx, rx2;
    int16_t pcm[FILE_LEN];
    int done;
    int errors, last_err;
    sc_media_stream *done_st;
} fx;

static void write_wav(const char *path, const int16_t *pcm, size_t n)
{
    SF_INFO info = {.samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *s = sf_open(path, SFM_WRITE, &info);
    assert_non_null(s);
    assert_int_equal(sf_write_short(s, pcm, (sf_count_t)n), (sf_count_t)n);
    sf_close(s);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(media_fixture_begin(&f->loop, &f->m, NULL, &f->rx, &f->rx2), 0);
    uint32_t x = 777;
    for (int i = 0; i < FILE_LEN; i++) {
        x = x * 1103515245u + 12345u;
        f->pcm[i] = (int16_t)(((int)((x >> 16) & 0x7FFF) - 16384) / 2);
    }
    write_wav(WAV_A, f->pcm, FILE_LEN);
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

static void on_done(sc_media_stream *st, void *ud)
{
    fx *f = ud;
    f->done++;
    f->done_st = st;
}

/* Packets of r whose payload is the G.711 mu-law of the file's frame k (k counted from 0). */
static bool frame_is(const fx *f, const rx_pkt *p, size_t k)
{
    if (p->len != 12 + 160 || k >= FILE_LEN / 160)
        return false;
    for (size_t i = 0; i < 160; i++)
        if (p->data[12 + i] != sc_media_ulaw_encode(f->pcm[k * 160 + i]))
            return false;
    return true;
}

static void test_refused(void **state)
{
    fx *f = *state;
    sc_media_stream *st = open_to(f, &f->rx, SC_MEDIA_PCMU);
    assert_int_equal(sc_media_play_file(st, SC_BINARY_DIR "/tests/no_such_prompt.wav", NULL, false, on_done, f),
                     -ENOENT);
    FILE *t = fopen(SC_BINARY_DIR "/tests/media_voice_text.wav", "w");
    assert_non_null(t);
    fputs("not a sound file\n", t);
    fclose(t);
    assert_int_equal(sc_media_play_file(st, SC_BINARY_DIR "/tests/media_voice_text.wav", NULL, false, on_done, f),
                     -EIO);
    assert_int_equal(sc_media_play_file(st, SC_BINARY_DIR "/tests", NULL, false, on_done, f), -EIO);
    assert_int_equal(sc_media_play_file(st, NULL, NULL, false, on_done, f), -EINVAL);
    assert_int_equal(sc_media_play_file(st, WAV_A, "default", false, on_done, f), -EINVAL);
    assert_int_equal(sc_media_play_file(st, NULL, "no-such-class", false, on_done, f), -ENOENT);
    assert_false(sc_media_playing(st));
    sc_media_stream_close(st);
}

static void test_plays_whole_file_once(void **state)
{
    fx *f = *state;
    sc_media_stream *st = open_to(f, &f->rx, SC_MEDIA_PCMU);
    assert_int_equal(sc_media_play_file(st, WAV_A, NULL, false, on_done, f), 0);
    assert_true(sc_media_playing(st));
    run_for(&f->loop, 800);
    assert_int_equal(f->done, 1);
    assert_ptr_equal(f->done_st, st);
    assert_false(sc_media_playing(st));
    assert_int_equal(f->rx.n, FILE_LEN / 160);
    for (size_t k = 0; k < f->rx.n; k++) {
        assert_true(frame_is(f, &f->rx.pkts[k], k));
        assert_int_equal(rtp_marker(&f->rx.pkts[k]), k == 0);
        if (k)
            assert_int_equal(rtp_ts(&f->rx.pkts[k]) - rtp_ts(&f->rx.pkts[k - 1]), 160);
    }
    /* paced in real time: 25 frames over ~480 ms */
    uint64_t span = f->rx.pkts[f->rx.n - 1].at_us - f->rx.pkts[0].at_us;
    assert_true(span > 400000 && span < 700000);
    sc_media_stream_close(st);
}

static void test_wins_over_moh(void **state)
{
    fx *f = *state;
    sc_media_stream *st = open_to(f, &f->rx, SC_MEDIA_PCMU);
    assert_int_equal(sc_media_moh_start(st, NULL), 0);
    run_for(&f->loop, 200);
    size_t before = f->rx.n;
    assert_true(before >= 5);
    assert_int_equal(sc_media_play_file(st, WAV_A, NULL, false, on_done, f), 0);
    run_for(&f->loop, 700);
    assert_int_equal(f->done, 1);
    /* the file's 25 frames in a row, nothing of the music between them */
    size_t k = before;
    while (k < f->rx.n && !frame_is(f, &f->rx.pkts[k], 0))
        k++;
    assert_true(k <= before + 1); /* at most one music frame of the tick in flight */
    for (size_t j = 0; j < FILE_LEN / 160; j++)
        assert_true(frame_is(f, &f->rx.pkts[k + j], j));
    size_t after = f->rx.n;
    run_for(&f->loop, 200); /* the music goes on after the announcement */
    assert_true(f->rx.n >= after + 5);
    assert_true(sc_media_moh_playing(st));
    sc_media_stream_close(st);
}

static void test_loop_until_stopped(void **state)
{
    fx *f = *state;
    sc_media_stream *st = open_to(f, &f->rx, SC_MEDIA_PCMU);
    assert_int_equal(sc_media_play_file(st, WAV_A, NULL, true, on_done, f), 0);
    run_for(&f->loop, 1300);
    assert_int_equal(f->done, 0);
    assert_true(f->rx.n >= 55);                               /* more than twice the file */
    assert_true(frame_is(f, &f->rx.pkts[FILE_LEN / 160], 0)); /* it started again */
    sc_media_play_stop(st);
    assert_false(sc_media_playing(st));
    size_t n = f->rx.n;
    run_for(&f->loop, 200);
    assert_int_equal(f->rx.n, n);
    assert_int_equal(f->done, 0);
    sc_media_stream_close(st);
}

static void test_cache(void **state)
{
    fx *f = *state;
    sc_media_stream *a = open_to(f, &f->rx, SC_MEDIA_PCMU), *b = open_to(f, &f->rx2, SC_MEDIA_PCMA);
    assert_int_equal(sc_media_play_file(a, WAV_A, NULL, false, NULL, NULL), 0);
    assert_int_equal(sc_media_play_file(b, WAV_A, NULL, false, NULL, NULL), 0);
    size_t files, bytes1, bytes2;
    sc_media_prompt_cache(f->m, &files, &bytes1);
    assert_int_equal(files, 1);
    run_for(&f->loop, 700); /* both played: every frame encoded for both codecs */
    sc_media_prompt_cache(f->m, &files, &bytes2);
    assert_int_equal(files, 1);
    assert_true(bytes2 >= bytes1 + 2 * FILE_LEN); /* a G.711 copy per codec */
    assert_int_equal(f->rx.n, FILE_LEN / 160);
    assert_int_equal(f->rx2.n, FILE_LEN / 160);
    for (size_t k = 0; k < f->rx2.n; k++) /* PCMA: the A-law of the same samples */
        for (size_t i = 0; i < 160; i++)
            assert_int_equal(f->rx2.pkts[k].data[12 + i], sc_media_alaw_encode(f->pcm[k * 160 + i]));
    sc_media_stream_close(b);
    /* the file changes (another length): the next play reads it again */
    write_wav(WAV_A, f->pcm, FILE_LEN / 2);
    f->rx.n = 0;
    assert_int_equal(sc_media_play_file(a, WAV_A, NULL, false, on_done, f), 0);
    sc_media_prompt_cache(f->m, &files, NULL);
    assert_int_equal(files, 1);
    run_for(&f->loop, 500);
    assert_int_equal(f->done, 1);
    assert_int_equal(f->rx.n, (FILE_LEN / 2 + 159) / 160); /* padded to whole frames */
    write_wav(WAV_A, f->pcm, FILE_LEN);
    /* a music-on-hold class as the prompt: the built-in tune from its start */
    assert_int_equal(sc_media_play_file(a, NULL, "default", false, on_done, f), 0);
    sc_media_prompt_cache(f->m, &files, NULL);
    assert_int_equal(files, 2);
    sc_media_stream_close(a);
}

static void on_loaded(int rc, void *ud)
{
    fx *f = ud;
    f->done++;
    f->last_err = rc;
}

static void test_load_in_thread_pool(void **state)
{
    fx *f = *state;
    assert_int_equal(sc_media_prompt_cached(f->m, WAV_A), 0);
    assert_int_equal(sc_media_prompt_cached(f->m, SC_BINARY_DIR "/tests/no_such_prompt.wav"), -ENOENT);
    assert_int_equal(sc_media_prompt_load(f->m, SC_BINARY_DIR "/tests/no_such_prompt.wav", on_loaded, f, NULL),
                     -ENOENT);
    sc_media_prompt_job *job = NULL;
    assert_int_equal(sc_media_prompt_load(f->m, WAV_A, on_loaded, f, &job), 0);
    assert_non_null(job);
    assert_int_equal(f->done, 0); /* never from inside the call */
    for (int i = 0; i < 100 && !f->done; i++)
        run_for(&f->loop, 10);
    assert_int_equal(f->done, 1);
    assert_int_equal(f->last_err, 0);
    assert_int_equal(sc_media_prompt_cached(f->m, WAV_A), 1);
    size_t files;
    sc_media_prompt_cache(f->m, &files, NULL);
    assert_int_equal(files, 1);
    /* not a sound file: the error comes through done */
    FILE *t = fopen(SC_BINARY_DIR "/tests/media_voice_text2.wav", "w");
    assert_non_null(t);
    fputs("not a sound file either\n", t);
    fclose(t);
    assert_int_equal(sc_media_prompt_load(f->m, SC_BINARY_DIR "/tests/media_voice_text2.wav", on_loaded, f, NULL), 0);
    for (int i = 0; i < 100 && f->done < 2; i++)
        run_for(&f->loop, 10);
    assert_int_equal(f->done, 2);
    assert_int_equal(f->last_err, -EIO);
    /* cancelled: done is not called, the file is cached all the same */
    write_wav(WAV_B, f->pcm, FILE_LEN / 2);
    assert_int_equal(sc_media_prompt_load(f->m, WAV_B, on_loaded, f, &job), 0);
    sc_media_prompt_cancel(job);
    run_for(&f->loop, 300);
    assert_int_equal(f->done, 2);
    assert_int_equal(sc_media_prompt_cached(f->m, WAV_B), 1);
    /* a load still running when the context is freed (teardown) is waited for */
    assert_int_equal(sc_media_prompt_load(f->m, WAV_A "x", on_loaded, f, NULL), -ENOENT);
    write_wav(WAV_A, f->pcm, FILE_LEN - 160); /* changed: not cached any more */
    assert_int_equal(sc_media_prompt_cached(f->m, WAV_A), 0);
    assert_int_equal(sc_media_prompt_load(f->m, WAV_A, on_loaded, f, NULL), 0);
}

/* ---- recording -------------------------------------------------------------------------------- */

static void on_rec_error(sc_media_stream *st, int err, const char *path, void *ud)
{
    fx *f = ud;
    (void)st;
    (void)path;
    f->errors++;
    f->last_err = err;
}

static int16_t *read_wav(const char *path, size_t *n)
{
    SF_INFO info = {0};
    SNDFILE *s = sf_open(path, SFM_READ, &info);
    assert_non_null(s);
    assert_int_equal(info.samplerate, 8000);
    assert_int_equal(info.channels, 1);
    int16_t *pcm = calloc((size_t)info.frames + 1, sizeof *pcm);
    *n = (size_t)sf_read_short(s, pcm, info.frames);
    sf_close(s);
    return pcm;
}

static double rms(const int16_t *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return n ? sqrt(s / (double)n) : 0;
}

/* Send 50 packets/s of PCMU silence-free audio (the file's frames) from r to st for ms. */
static void feed(fx *f, rx_sock *r, sc_media_stream *st, unsigned ms)
{
    uint8_t pkt[12 + 160];
    for (unsigned k = 0; k < ms / 20; k++) {
        mk_rtp(pkt, 0, k == 0, (uint16_t)k, k * 160u, 0x1234u);
        for (int i = 0; i < 160; i++)
            pkt[12 + i] = sc_media_ulaw_encode(f->pcm[(k % 25) * 160 + (size_t)i]);
        rx_send(r, sc_media_stream_port(st), pkt, sizeof pkt);
        run_for(&f->loop, 20);
    }
}

static void test_record_per_direction(void **state)
{
    fx *f = *state;
    const char *in = SC_BINARY_DIR "/tests/media_voice_in.wav", *out = SC_BINARY_DIR "/tests/media_voice_out.wav";
    const char *mix = SC_BINARY_DIR "/tests/media_voice_mix.wav";
    sc_media_stream *a = open_to(f, &f->rx, SC_MEDIA_PCMU), *b = open_to(f, &f->rx2, SC_MEDIA_PCMU);
    sc_media_record_opts o = {.in_path = in, .out_path = out, .on_error = on_rec_error, .ud = f};
    assert_int_equal(sc_media_record_start(a, &o), 0);
    assert_int_equal(sc_media_record_start(a, &o), -EBUSY);
    sc_media_record_opts om = {.mixed_path = mix, .on_error = on_rec_error, .ud = f};
    assert_int_equal(sc_media_record_start(b, &om), 0);
    assert_true(sc_media_recording(a));
    /* a receives the file's audio for 1 s; then it sends the file (0.5 s) while b receives */
    feed(f, &f->rx, a, 1000);
    assert_int_equal(sc_media_play_file(a, WAV_A, NULL, false, NULL, NULL), 0);
    feed(f, &f->rx2, b, 600);
    assert_true(sc_media_record_bytes(a) > 2 * 8000 * 2 * 1.2); /* two files of > 1.2 s */
    sc_media_record_stop(a);
    sc_media_stream_close(b); /* the close stops b's recording */
    assert_false(sc_media_recording(a));
    run_for(&f->loop, 300); /* the files are completed in the background */
    assert_int_equal(f->errors, 0);
    size_t ni, no, nm;
    int16_t *pi = read_wav(in, &ni), *po = read_wav(out, &no), *pm = read_wav(mix, &nm);
    assert_int_equal(ni, no); /* one clock for both directions */
    assert_true(ni >= 8000 * 1.4 && ni <= 8000 * 2.2);
    /* in: audio in the first second, then (while a only sends) silence; out: the reverse */
    assert_true(rms(pi + 800, 4000) > 1000);
    assert_true(rms(po + 800, 4000) < 1);
    assert_true(rms(po + ni - 4000, 2400) > 1000);
    assert_true(rms(pi + ni - 2400, 2400) < 1);
    assert_true(nm >= 8000 * 0.5 && rms(pm, nm) > 1000);
    free(pi);
    free(po);
    free(pm);
    sc_media_stream_close(a);
}

static void test_record_failures(void **state)
{
    fx *f = *state;
    sc_media_stream *a = open_to(f, &f->rx, SC_MEDIA_PCMU);
    sc_media_record_opts o = {.mixed_path = "/dev/full", .on_error = on_rec_error, .ud = f};
    assert_int_equal(sc_media_record_start(a, &o), 0);
    for (int i = 0; i < 50 && !f->errors; i++)
        run_for(&f->loop, 20);
    assert_int_equal(f->errors, 1);
    assert_int_equal(f->last_err, -ENOSPC);
    assert_false(sc_media_recording(a)); /* it stopped; the stream goes on */
    o.mixed_path = SC_BINARY_DIR "/tests/no/such/dir/x.wav";
    assert_int_equal(sc_media_record_start(a, &o), 0);
    for (int i = 0; i < 50 && f->errors < 2; i++)
        run_for(&f->loop, 20);
    assert_int_equal(f->errors, 2);
    assert_int_equal(f->last_err, -ENOENT);
    assert_int_equal(sc_media_record_start(a, &(sc_media_record_opts){0}), -EINVAL);
    sc_media_stream_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plays_whole_file_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wins_over_moh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_until_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_in_thread_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_per_direction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
