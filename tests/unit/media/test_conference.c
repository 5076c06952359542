/* Tests for the conference mixer over real UDP on 127.0.0.1, with the room's ticks run by hand
 * (a manual clock keeps its timer from mixing by itself): three phones in PCMU, G.722 and
 * Opus each send a tone of their own and each hears the other two and not itself, in its own
 * codec and timestamp step; a muted phone is not heard and still hears; the room is wideband
 * (16 kHz between G.722 and Opus, nothing aliased into PCMU); the sum saturates
 * instead of wrapping; rooms are made by the first join and freed by the last leave (or close);
 * names are checked; a stream in a room is not bridged, nor joins while bridged; moving to
 * another room; the listing and the statistics. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "media/media_int.h"
#include "media_test_util.h"

#define OPUS_PT 111
#define NPH 3
#define TICKS 40

typedef struct phone {
    rx_sock rx;
    sc_media_stream *st;
    sc_media_codec codec;
    uint8_t pt;
    double hz;
    sc_codec *enc;
    size_t sent;
} phone;

typedef struct fx {
    uv_loop_t loop;
    sc_manual_clock *clk;
    sc_media *m;
    phone ph[NPH];
} fx;

static const sc_media_codec codecs[NPH] = {SC_MEDIA_PCMU, SC_MEDIA_G722, SC_MEDIA_OPUS};
static const uint8_t pts[NPH] = {0, 9, OPUS_PT};
static const double tones[NPH] = {400, 700, 1100};

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    assert_int_equal(sc_manual_clock_new(&f->clk, 1000000, 0), 0);
    uint16_t base = test_port_base(100);
    sc_media_config cfg = {.clock = sc_manual_clock_get(f->clk), .port_min = base, .port_max = (uint16_t)(base + 99)};
    assert_int_equal(sc_media_new(&f->m, &f->loop, &cfg), 0);
    for (int i = 0; i < NPH; i++) {
        phone *p = &f->ph[i];
        p->codec = codecs[i];
        p->pt = pts[i];
        p->hz = tones[i];
        assert_int_equal(rx_open(&f->loop, &p->rx), 0);
        assert_int_equal(sc_media_stream_open(f->m, &p->st, NULL), 0);
        sc_media_format fmt = {.codec = p->codec, .pt = p->pt, .dtmf_pt = -1};
        assert_int_equal(sc_media_stream_set_remote_format(p->st, "127.0.0.1", p->rx.port, &fmt, SC_MEDIA_SENDRECV), 0);
        assert_int_equal(sc_codec__new(&p->enc, p->codec, true, sc_codec__audio_rate(p->codec), NULL), 0);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sc_media_free(f->m);
    for (int i = 0; i < NPH; i++) {
        rx_close(&f->ph[i].rx);
        sc_codec__free(f->ph[i].enc);
    }
    assert_int_equal(drain_loop(&f->loop), 0);
    sc_manual_clock_free(f->clk);
    free(f);
    return 0;
}

/* One 20 ms packet of the phone's tone (amplitude amp) into its stream. */
static void send_frame(phone *p, double amp)
{
    unsigned rate = sc_codec__audio_rate(p->codec), clock = sc_media_codec_clock(p->codec);
    size_t frame = rate / 50;
    int16_t pcm[960];
    for (size_t i = 0; i < frame; i++)
        pcm[i] = (int16_t)(amp * sin(2 * M_PI * p->hz * (double)(p->sent * frame + i) / rate));
    uint8_t pkt[12 + SC_CODEC_MAX_PAYLOAD];
    int len = sc_codec__encode(p->enc, pcm, frame, pkt + 12, SC_CODEC_MAX_PAYLOAD);
    assert_true(len > 0);
    mk_rtp(pkt, p->pt, p->sent == 0, (uint16_t)(100 + p->sent), 5000 + (uint32_t)p->sent * clock / 50,
           0x1000u + (uint32_t)p->pt);
    assert_true(rx_send(&p->rx, sc_media_stream_port(p->st), pkt, 12 + (size_t)len) > 0);
    p->sent++;
}

/* n ticks: every phone (whose amp is not 0) sends a frame, the loop takes them in, the room mixes. */
/* Valid RTP packets the phone's stream (ours, in the room) has received. */
static uint64_t received(phone *p)
{
    sc_media_stats st;
    sc_media_stream_stats(p->st, &st);
    return st.packets_received;
}

static void run_ticks(fx *f, int n, const double *amp)
{
    sc_conf_room *r = sc_conf__room_of(f->ph[0].st);
    assert_non_null(r);
    for (int t = 0; t < n; t++) {
        uint64_t before[NPH];
        for (int i = 0; i < NPH; i++) {
            before[i] = received(&f->ph[i]);
            if (amp[i] > 0)
                send_frame(&f->ph[i], amp[i]);
        }
        /* every frame of this tick is in the room before it mixes (however slow the machine:
         * valgrind), so the frames that were sent together are mixed together */
        for (int k = 0; k < 2000; k++) {
            bool all = true;
            for (int i = 0; i < NPH; i++)
                if (amp[i] > 0 && received(&f->ph[i]) <= before[i])
                    all = false;
            if (all)
                break;
            run_for(&f->loop, 1);
        }
        sc_conf__tick(r);
        sc_manual_clock_advance(f->clk, 20000);
    }
    /* what the room sent has arrived: the phones' counts stay still for 20 ms */
    size_t last = SIZE_MAX;
    for (int k = 0; k < 400; k++) {
        size_t got = 0;
        for (int i = 0; i < NPH; i++)
            got += f->ph[i].rx.n;
        if (got == last)
            break;
        last = got;
        run_for(&f->loop, 20);
    }
}

/* Decode what phone p received from packet `from` on at rate, checking the payload type and
 * the codec's timestamp step; *n samples. */
static int16_t *heard_at(phone *p, size_t from, unsigned rate, size_t *n)
{
    unsigned clock = sc_media_codec_clock(p->codec);
    sc_codec *dec;
    assert_int_equal(sc_codec__new(&dec, p->codec, false, rate, NULL), 0);
    int16_t *pcm = calloc(p->rx.n * SC_CODEC_MAX_PCM + 1, sizeof *pcm);
    size_t total = 0;
    for (size_t i = 0; i < p->rx.n; i++) {
        rx_pkt *k = &p->rx.pkts[i];
        assert_int_equal(rtp_pt(k), p->pt);
        assert_int_equal(rtp_ssrc(k), sc_media_stream_ssrc(p->st));
        if (i > 0)
            assert_int_equal(rtp_ts(k) - rtp_ts(&p->rx.pkts[i - 1]), clock / 50);
        int got = sc_codec__decode(dec, k->data + 12, k->len - 12, pcm + total, SC_CODEC_MAX_PCM);
        assert_int_equal(got, (int)rate / 50);
        if (i >= from) /* earlier packets are decoded (the decoder's state) but not kept */
            total += (size_t)got;
    }
    sc_codec__free(dec);
    *n = total;
    return pcm;
}

static int16_t *heard(phone *p, size_t from, size_t *n) { return heard_at(p, from, 8000, n); }

/* The amplitude of the tone at hz in pcm at rate (Goertzel). */
static double amplitude_at(const int16_t *pcm, size_t n, unsigned rate, double hz)
{
    double w = 2 * M_PI * hz / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s = pcm[i] + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    return n ? 2 * sqrt(fmax(s1 * s1 + s2 * s2 - c * s1 * s2, 0)) / (double)n : 0;
}

static double amplitude(const int16_t *pcm, size_t n, double hz) { return amplitude_at(pcm, n, 8000, hz); }

/* Phone i heard phone j's tone (hear) or not, over its packets from `from` on. */
static void check_hears(fx *f, int i, size_t from, const bool hear[NPH])
{
    size_t n;
    int16_t *pcm = heard(&f->ph[i], from, &n);
    assert_true(n >= 160 * 10);
    for (int j = 0; j < NPH; j++) {
        double a = amplitude(pcm, n, f->ph[j].hz);
        if (hear[j] && a < 2500)
            fail_msg("phone %d does not hear phone %d (amplitude %.0f)", i, j, a);
        if (!hear[j] && a > 300)
            fail_msg("phone %d hears phone %d (amplitude %.0f)", i, j, a);
    }
    free(pcm);
}

static void join_all(fx *f, const char *room)
{
    for (int i = 0; i < NPH; i++)
        assert_int_equal(sc_media_conf_join(f->ph[i].st, room), 0);
}

static void test_each_hears_the_others(void **state)
{
    fx *f = *state;
    join_all(f, "room1");
    const double amp[NPH] = {6000, 6000, 6000};
    run_ticks(f, TICKS, amp);
    for (int i = 0; i < NPH; i++) {
        assert_true(f->ph[i].rx.n >= TICKS - 2);
        bool hear[NPH] = {true, true, true};
        hear[i] = false;
        check_hears(f, i, 10, hear);
    }
    sc_media_conf_stats s;
    sc_media_conf_stats_get(f->m, &s);
    assert_int_equal(s.rooms, 1);
    assert_int_equal(s.participants, 3);
    assert_true(s.frames_out >= 3 * (TICKS - 2));
}

static void test_mute(void **state)
{
    fx *f = *state;
    join_all(f, "room1");
    assert_int_equal(sc_media_conf_mute(f->ph[1].st, true), 0);
    assert_true(sc_media_conf_muted(f->ph[1].st));
    assert_false(sc_media_conf_muted(f->ph[0].st));
    const double amp[NPH] = {6000, 6000, 6000};
    run_ticks(f, TICKS, amp);
    check_hears(f, 0, 10, (const bool[NPH]){false, false, true});
    check_hears(f, 1, 10, (const bool[NPH]){true, false, true}); /* muted, still hears */
    check_hears(f, 2, 10, (const bool[NPH]){true, false, false});
    assert_int_equal(sc_media_conf_mute(f->ph[1].st, false), 0);
    size_t before = f->ph[0].rx.n;
    run_ticks(f, TICKS, amp);
    check_hears(f, 0, before + 5, (const bool[NPH]){false, true, true});
}

static void test_alone_hears_silence(void **state)
{
    fx *f = *state;
    assert_int_equal(sc_media_conf_join(f->ph[0].st, "solo"), 0);
    const double amp[NPH] = {6000, 0, 0};
    run_ticks(f, 20, amp);
    assert_true(f->ph[0].rx.n >= 18); /* the room sends, silence */
    size_t n;
    int16_t *pcm = heard(&f->ph[0], 2, &n);
    for (size_t i = 0; i < n; i++)
        assert_true(abs(pcm[i]) < 40);
    free(pcm);
    assert_int_equal(f->ph[1].rx.n, 0); /* not in the room: nothing */
}

static void test_saturation(void **state)
{
    fx *f = *state;
    /* phones 0 and 2, both PCMU (no codec delay between them), send loud tones at the same
     * frequency and phase: their sum overflows 16 bits; phone 1 (G.722) hears it clipped,
     * never wrapped to the other sign */
    phone *p2 = &f->ph[2];
    p2->hz = f->ph[0].hz;
    p2->codec = SC_MEDIA_PCMU;
    p2->pt = 0;
    sc_codec__free(p2->enc);
    assert_int_equal(sc_codec__new(&p2->enc, SC_MEDIA_PCMU, true, 8000, NULL), 0);
    assert_int_equal(sc_media_stream_set_remote(p2->st, "127.0.0.1", p2->rx.port, SC_MEDIA_PCMU, -1, SC_MEDIA_SENDRECV),
                     0);
    join_all(f, "loud");
    const double amp[NPH] = {30000, 0, 30000};
    run_ticks(f, 20, amp);
    size_t n;
    int16_t *pcm = heard(&f->ph[1], 6, &n);
    assert_true(n > 0);
    int16_t peak = 0;
    for (size_t i = 0; i < n; i++)
        if (pcm[i] > peak)
            peak = pcm[i];
    assert_true(peak > 20000); /* loud, not wrapped into small or negative values */
    double a = amplitude(pcm, n, f->ph[0].hz);
    assert_true(a > 20000 && a < 45000); /* a clipped sine: below the 60000 a wrap-free sum would need */
    free(pcm);
}

static void test_wideband(void **state)
{
    fx *f = *state;
    /* the room mixes at 16 kHz: a 6 kHz tone from the G.722 phone reaches the Opus phone, and
     * the PCMU phone (8 kHz) gets neither it nor its alias at 2 kHz */
    f->ph[1].hz = 6000;
    join_all(f, "hd");
    const double amp[NPH] = {0, 6000, 0};
    run_ticks(f, TICKS, amp);
    size_t n;
    int16_t *pcm = heard_at(&f->ph[2], 10, 16000, &n);
    double a = amplitude_at(pcm, n, 16000, 6000);
    if (a < 2500)
        fail_msg("the Opus phone does not hear the G.722 phone's 6 kHz (amplitude %.0f)", a);
    free(pcm);
    pcm = heard(&f->ph[0], 10, &n);
    assert_true(n >= 160 * 10);
    a = amplitude(pcm, n, 2000);
    if (a > 300)
        fail_msg("the PCMU phone hears the 6 kHz tone aliased to 2 kHz (amplitude %.0f)", a);
    free(pcm);
}

static void test_rooms_lifetime(void **state)
{
    fx *f = *state;
    sc_media_stream *a = f->ph[0].st, *b = f->ph[1].st, *c = f->ph[2].st;
    sc_media_conf_stats s;
    assert_int_equal(sc_media_conf_join(a, ""), -EINVAL);
    assert_int_equal(sc_media_conf_join(a, "with space"), -EINVAL);
    assert_int_equal(sc_media_conf_join(a, "a/b"), -EINVAL);
    assert_int_equal(sc_media_conf_join(a, "quote\"d"), -EINVAL);
    char longname[SC_MEDIA_CONF_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(sc_media_conf_join(a, longname), -EINVAL);
    longname[SC_MEDIA_CONF_NAME_MAX] = '\0';
    assert_int_equal(sc_media_conf_join(a, longname), 0);
    assert_string_equal(sc_media_conf_room(a), longname);
    assert_int_equal(sc_media_conf_join(a, "r1"), 0); /* moves: the long room is freed */
    assert_int_equal(sc_media_conf_join(a, "r1"), 0); /* again: no-op */
    sc_media_conf_stats_get(f->m, &s);
    assert_int_equal(s.rooms, 1);
    assert_int_equal(s.participants, 1);
    assert_int_equal(sc_media_conf_mute(b, true), -ENOENT);
    assert_null(sc_media_conf_room(b));

    /* bridging and rooms exclude each other */
    assert_int_equal(sc_media_bridge(a, b), -EBUSY);
    assert_int_equal(sc_media_bridge(b, c), 0);
    assert_int_equal(sc_media_conf_join(b, "r1"), -EBUSY);
    sc_media_unbridge(b);
    assert_int_equal(sc_media_conf_join(b, "r1"), 0);
    assert_int_equal(sc_media_conf_join(c, "r2"), 0);
    sc_media_conf_stats_get(f->m, &s);
    assert_int_equal(s.rooms, 2);
    assert_int_equal(s.participants, 3);

    sc_media_conf_leave(a);
    sc_media_conf_leave(a); /* no-op */
    assert_null(sc_media_conf_room(a));
    assert_string_equal(sc_media_conf_room(b), "r1");
    sc_media_stream_close(b); /* the last of r1: freed */
    f->ph[1].st = NULL;
    sc_media_conf_stats_get(f->m, &s);
    assert_int_equal(s.rooms, 1);
    assert_int_equal(s.participants, 1);
    sc_media_conf_leave(c);
    sc_media_conf_stats_get(f->m, &s);
    assert_int_equal(s.rooms, 0);
    assert_int_equal(s.participants, 0);
    run_for(&f->loop, 5); /* the rooms' timers close */
}

typedef struct seen {
    char rooms[4][16];
    bool muted[4];
    int n;
} seen;

static void visit(const char *room, sc_media_stream *st, bool muted, void *ud)
{
    (void)st;
    seen *s = ud;
    snprintf(s->rooms[s->n], sizeof s->rooms[0], "%s", room);
    s->muted[s->n++] = muted;
}

static void test_listing(void **state)
{
    fx *f = *state;
    assert_int_equal(sc_media_conf_join(f->ph[0].st, "x"), 0);
    assert_int_equal(sc_media_conf_join(f->ph[1].st, "y"), 0);
    assert_int_equal(sc_media_conf_join(f->ph[2].st, "x"), 0);
    assert_int_equal(sc_media_conf_mute(f->ph[2].st, true), 0);
    seen s = {0};
    sc_media_conf_each(f->m, visit, &s);
    assert_int_equal(s.n, 3);
    /* grouped by room, a room's participants in join order */
    int x = strcmp(s.rooms[0], "x") == 0 ? 0 : 1;
    assert_string_equal(s.rooms[x], "x");
    assert_string_equal(s.rooms[x + 1], "x");
    assert_false(s.muted[x]);
    assert_true(s.muted[x + 1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_hears_the_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alone_hears_silence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_saturation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wideband, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rooms_lifetime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
