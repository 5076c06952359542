/* SDP codec negotiation tests: a preference list orders our offer (with a telephone-event for
 * each clock rate used), the answer carries the first codec of OUR list that the offer has
 * (whatever the offerer's order), Opus's rtpmap and fmtp (read and answered), G.722's 8000
 * clock, an offer with no codec of ours (488 and the screen's check), and list handling. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session_core/sip.h"

#define OFFER(fmts, extra)                                                                                 \
    "v=0\r\no=bob 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP " fmts \
    "\r\n" extra "a=sendrecv\r\n"

static const sc_sdp_local base = {.addr = "127.0.0.1", .port = 20000, .session_id = 1, .session_version = 1};

static void parse_ok(const char *sdp, sc_sdp_info *info) { assert_int_equal(sc_sdp_parse(sdp, strlen(sdp), info), 0); }

static void test_offer_order(void **state)
{
    (void)state;
    char buf[2048];
    sc_sdp_local l = base;
    l.codecs = "opus,g722,pcmu,pcma";
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 111 9 0 8 110 101\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:111 opus/48000/2\r\n"));
    assert_non_null(strstr(buf, "a=fmtp:111 maxplaybackrate=48000;stereo=0;sprop-stereo=0;useinbandfec=1\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:9 G722/8000\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:110 telephone-event/48000\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n"));
    /* our own offer parses back with the Opus fmtp kept */
    sc_sdp_info i;
    parse_ok(buf, &i);
    assert_string_equal(i.codecs[0].name, "opus");
    assert_int_equal(i.codecs[0].rate, 48000);
    assert_string_equal(i.codecs[0].fmtp, "maxplaybackrate=48000;stereo=0;sprop-stereo=0;useinbandfec=1");
    /* a re-offer keeps Opus's payload type negotiated before; no two formats share one */
    l.opus_pt = 96;
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 96 9 0 8 110 101\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:96 opus/48000/2\r\n"));
    l.opus_pt = 0;
    l.dtmf_pt = 111; /* telephone-event negotiated on 111 */
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 112 9 0 8 110 111\r\n"));
    l.dtmf_pt = 110;
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 111 9 0 8 109 110\r\n"));
    l.dtmf_pt = 0;
    /* G.711 only: one telephone-event, at 8000; the old layout */
    l.codecs = "pcma,pcmu";
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 8 0 101\r\n"));
    assert_null(strstr(buf, "48000"));
    /* Opus only: telephone-event/48000 only */
    l.codecs = "opus";
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 111 110\r\n"));
    assert_null(strstr(buf, "telephone-event/8000"));
}

/* The answer takes OUR first codec the offer has, not the offerer's first. */
static void test_answer_preference(void **state)
{
    (void)state;
    char buf[2048];
    sc_sdp_info offer, neg;
    parse_ok(OFFER("0 8 9 96 101 102", "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1; stereo=1; "
                                       "maxplaybackrate=16000\r\na=rtpmap:101 telephone-event/8000\r\n"
                                       "a=rtpmap:102 telephone-event/48000\r\n"),
             &offer);
    sc_sdp_local l = base;
    l.codecs = "opus,g722,pcmu";
    assert_true(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg) > 0);
    /* Opus on the offerer's payload type, and the telephone-event of its clock */
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 96 102\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:96 opus/48000/2\r\n"));
    assert_non_null(strstr(buf, "a=fmtp:96 maxplaybackrate=48000;stereo=0;sprop-stereo=0;useinbandfec=1\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:102 telephone-event/48000\r\n"));
    assert_int_equal(neg.codec_count, 2);
    assert_int_equal(neg.dtmf_pt, 102);
    /* the offerer's Opus parameters, as the media module reads them */
    bool fec = false, stereo = false;
    unsigned maxrate = 0;
    sc_sdp_opus_params(neg.codecs[0].fmtp, &fec, &stereo, &maxrate);
    assert_true(fec);
    assert_true(stereo);
    assert_int_equal(maxrate, 16000);
    sc_sdp_opus_params("", &fec, &stereo, &maxrate);
    assert_false(fec || stereo);
    assert_int_equal(maxrate, 0);
    /* another preference: G.722 (static 9 without rtpmap: 8000) with telephone-event/8000 */
    l.codecs = "g722,opus";
    assert_true(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 9 101\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:9 G722/8000\r\n"));
    assert_string_equal(sc_sdp_codecs_pick(&offer, "g722,opus"), "g722");
    assert_string_equal(sc_sdp_codecs_pick(&offer, "pcma,opus"), "pcma");
    /* Opus with only telephone-event/8000 offered: that one */
    parse_ok(OFFER("96 101", "a=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n"), &offer);
    l.codecs = "opus";
    assert_true(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 96 101\r\n"));
}

static void test_g722_clock(void **state)
{
    (void)state;
    sc_sdp_info offer;
    char buf[2048];
    /* RFC 3551: G722/8000 although 16 kHz audio; a G722/16000 rtpmap is not that codec */
    parse_ok(OFFER("9", "a=rtpmap:9 G722/8000\r\n"), &offer);
    assert_true(sc_sdp_offer_acceptable(&offer, "g722"));
    parse_ok(OFFER("9", ""), &offer);
    assert_string_equal(offer.codecs[0].name, "G722");
    assert_int_equal(offer.codecs[0].rate, 8000);
    assert_true(sc_sdp_offer_acceptable(&offer, "g722"));
    parse_ok(OFFER("98", "a=rtpmap:98 G722/16000\r\n"), &offer);
    assert_false(sc_sdp_offer_acceptable(&offer, "g722,pcmu"));
    sc_sdp_local l = base;
    l.codecs = "g722";
    assert_int_equal(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, NULL), -ENOTSUP);
}

static void test_no_common_codec(void **state)
{
    (void)state;
    sc_sdp_info offer;
    char buf[2048];
    parse_ok(OFFER("3 101", "a=rtpmap:3 GSM/8000\r\na=rtpmap:101 telephone-event/8000\r\n"), &offer);
    sc_sdp_local l = base;
    l.codecs = "opus,g722,pcmu,pcma";
    assert_false(sc_sdp_offer_acceptable(&offer, l.codecs));
    assert_null(sc_sdp_codecs_pick(&offer, l.codecs));
    assert_int_equal(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, NULL), -ENOTSUP);
    assert_int_equal(sc_sdp_error_status(-ENOTSUP), 488);
    /* Opus offered, but not in our list */
    parse_ok(OFFER("96", "a=rtpmap:96 opus/48000/2\r\n"), &offer);
    assert_false(sc_sdp_offer_acceptable(&offer, "pcmu,pcma"));
    assert_false(sc_sdp_offer_acceptable(&offer, NULL)); /* NULL: G.711 */
    assert_true(sc_sdp_offer_acceptable(&offer, "pcmu,opus"));
}

static void test_lists(void **state)
{
    (void)state;
    const char *bad = NULL;
    char out[64];
    assert_int_equal(sc_sdp_codecs_check("opus,g722,pcmu,pcma", NULL), 0);
    assert_int_equal(sc_sdp_codecs_check(" OPUS , pcmu", NULL), 0);
    assert_int_equal(sc_sdp_codecs_check("opus,gsm", &bad), -EINVAL);
    assert_string_equal(bad, "gsm");
    assert_int_equal(sc_sdp_codecs_check("pcmu,pcmu", NULL), -EINVAL);
    assert_int_equal(sc_sdp_codecs_check("", NULL), -EINVAL);
    assert_int_equal(sc_sdp_codecs_check(",", NULL), -EINVAL);
    sc_sdp_codecs_prefer("pcmu,pcma,opus,g722", "opus/48000", out, sizeof out);
    assert_string_equal(out, "opus,pcmu,pcma,g722");
    sc_sdp_codecs_prefer("pcmu,pcma", "G722/8000", out, sizeof out); /* not ours: unchanged */
    assert_string_equal(out, "pcmu,pcma");
    sc_sdp_codecs_prefer("pcmu,pcma", NULL, out, sizeof out);
    assert_string_equal(out, "pcmu,pcma");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offer_order), cmocka_unit_test(test_answer_preference),
        cmocka_unit_test(test_g722_clock),  cmocka_unit_test(test_no_common_codec),
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
