/* SDP tests: parsing, offers, RFC 3264 answers (codec and direction matrix), hold and resume
 * detection, and the 488/400 cases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session_core/sip.h"

#define OFFER(dir, addr, fmts, extra)                                                      \
    "v=0\r\no=alice 2890844526 2890844527 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 " addr "\r\n" \
    "t=0 0\r\nm=audio 49170 RTP/AVP " fmts "\r\n" extra "a=" dir "\r\n"

static const sc_sdp_local local = {.addr = "127.0.0.1", .port = 20000, .session_id = 42, .session_version = 7};

static void parse_ok(const char *sdp, sc_sdp_info *info) { assert_int_equal(sc_sdp_parse(sdp, strlen(sdp), info), 0); }

static void test_parse_basic(void **state)
{
    (void)state;
    sc_sdp_info i;
    parse_ok(OFFER("sendrecv", "10.0.0.1", "0 8 101",
                   "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                   "a=fmtp:101 0-16\r\na=ptime:30\r\n"),
             &i);
    assert_string_equal(i.conn_addr, "10.0.0.1");
    assert_int_equal(i.family, AF_INET);
    assert_int_equal(i.port, 49170);
    assert_int_equal(i.codec_count, 3);
    assert_int_equal(i.codecs[0].pt, 0);
    assert_string_equal(i.codecs[1].name, "PCMA");
    assert_string_equal(i.codecs[2].name, "telephone-event");
    assert_int_equal(i.dtmf_pt, 101);
    assert_int_equal(i.ptime, 30);
    assert_int_equal(i.direction, SC_SDP_SENDRECV);
    assert_true(i.session_id == 2890844526ULL);
    assert_true(i.session_version == 2890844527ULL);
    assert_false(sc_sdp_is_hold(&i));
}

static void test_parse_static_without_rtpmap_and_ipv6(void **state)
{
    (void)state;
    const char *sdp = "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0\r\n";
    sc_sdp_info i;
    parse_ok(sdp, &i);
    assert_int_equal(i.family, AF_INET6);
    assert_string_equal(i.codecs[0].name, "PCMA");
    assert_string_equal(i.codecs[1].name, "PCMU");
    assert_int_equal(i.dtmf_pt, -1);
    assert_int_equal(i.direction, SC_SDP_SENDRECV);
}

static void test_parse_errors(void **state)
{
    (void)state;
    sc_sdp_info i;
    const char *garbage = "hello world";
    assert_int_equal(sc_sdp_parse(garbage, strlen(garbage), &i), SC_E_PARSE);
    assert_int_equal(sc_sdp_error_status(SC_E_PARSE), 400);
    const char *video =
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5000 RTP/AVP 31\r\n";
    assert_int_equal(sc_sdp_parse(video, strlen(video), &i), -ENOENT);
    assert_int_equal(sc_sdp_error_status(-ENOENT), 488);
    const char *noaddr = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
    assert_int_equal(sc_sdp_parse(noaddr, strlen(noaddr), &i), -EADDRNOTAVAIL);
    const char *hostname = OFFER("sendrecv", "media.example.com", "0", "");
    assert_int_equal(sc_sdp_parse(hostname, strlen(hostname), &i), -EADDRNOTAVAIL);
    assert_int_equal(sc_sdp_error_status(-EADDRNOTAVAIL), 488);
    const char nul[] = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\0\r\n";
    assert_int_equal(sc_sdp_parse(nul, sizeof nul - 1, &i), SC_E_PARSE);
}

static void test_offer(void **state)
{
    (void)state;
    char buf[1024];
    sc_sdp_local l = local;
    l.direction = SC_SDP_SENDONLY;
    int n = sc_sdp_build_offer(&l, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    assert_non_null(strstr(buf, "o=- 42 7 IN IP4 127.0.0.1\r\n"));
    assert_non_null(strstr(buf, "c=IN IP4 127.0.0.1\r\n"));
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 0 8 101\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"));
    assert_non_null(strstr(buf, "a=ptime:20\r\n"));
    assert_non_null(strstr(buf, "a=sendonly\r\n"));
    /* our own offer parses back */
    sc_sdp_info i;
    parse_ok(buf, &i);
    assert_int_equal(i.codec_count, 3);
    assert_int_equal(i.direction, SC_SDP_SENDONLY);
    assert_true(sc_sdp_is_hold(&i));
    assert_int_equal(sc_sdp_build_offer(&l, buf, 20), -ENOSPC);
    l.addr = "not-an-ip";
    assert_int_equal(sc_sdp_build_offer(&l, buf, sizeof buf), -EINVAL);
    l = local;
    l.addr = "::1";
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "c=IN IP6 ::1\r\n"));
}

/* A later offer keeps the telephone-event payload type negotiated before (RFC 3264 8.3.2). */
static void test_offer_keeps_dtmf_pt(void **state)
{
    (void)state;
    char buf[1024];
    sc_sdp_local l = local;
    l.dtmf_pt = 96;
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 0 8 96\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n"));
    assert_null(strstr(buf, "101"));
    sc_sdp_info i;
    parse_ok(buf, &i);
    assert_int_equal(i.dtmf_pt, 96);
    l.dtmf_pt = 13; /* not a dynamic payload type: the default */
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 0 8 101\r\n"));
    l.no_dtmf = true;
    assert_true(sc_sdp_build_offer(&l, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 0 8\r\n"));
    assert_null(strstr(buf, "telephone-event"));
}

static void test_answer_codec_order_and_dtmf(void **state)
{
    (void)state;
    sc_sdp_info offer, neg;
    parse_ok(OFFER("sendrecv", "10.0.0.1", "18 8 0 96",
                   "a=rtpmap:18 G729/8000\r\na=rtpmap:96 telephone-event/8000\r\n"),
             &offer);
    char buf[1024];
    int n = sc_sdp_build_answer(&offer, &local, buf, sizeof buf, &neg);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 8 0 96\r\n")); /* offerer's order, G729 dropped */
    assert_non_null(strstr(buf, "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n"));
    assert_null(strstr(buf, "G729"));
    assert_int_equal(neg.codec_count, 3);
    assert_int_equal(neg.codecs[0].pt, 8);
    assert_int_equal(neg.dtmf_pt, 96);
    assert_int_equal(neg.direction, SC_SDP_SENDRECV);
    /* local without PCMA */
    sc_sdp_local l = local;
    l.no_pcma = true;
    l.no_dtmf = true;
    assert_true(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg) > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/AVP 0\r\n"));
    assert_int_equal(neg.dtmf_pt, -1);
}

static void test_answer_488_cases(void **state)
{
    (void)state;
    sc_sdp_info offer;
    char buf[1024];
    parse_ok(OFFER("sendrecv", "10.0.0.1", "18 101", "a=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n"),
             &offer);
    int rc = sc_sdp_build_answer(&offer, &local, buf, sizeof buf, NULL);
    assert_int_equal(rc, -ENOTSUP); /* only DTMF in common is no codec */
    assert_int_equal(sc_sdp_error_status(rc), 488);
    parse_ok(OFFER("sendrecv", "10.0.0.1", "0", ""), &offer);
    offer.port = 0;
    assert_int_equal(sc_sdp_build_answer(&offer, &local, buf, sizeof buf, NULL), -ENOENT);
    assert_int_equal(sc_sdp_error_status(-ENOENT), 488);
    parse_ok(OFFER("sendrecv", "10.0.0.1", "0", ""), &offer);
    assert_int_equal(sc_sdp_build_answer(&offer, &local, buf, 30, NULL), -ENOSPC);
}

static void test_direction_matrix(void **state)
{
    (void)state;
    static const struct {
        const char *offered;
        sc_sdp_direction local, answered;
    } rows[] = {
        {"sendrecv", SC_SDP_SENDRECV, SC_SDP_SENDRECV}, {"sendonly", SC_SDP_SENDRECV, SC_SDP_RECVONLY},
        {"recvonly", SC_SDP_SENDRECV, SC_SDP_SENDONLY}, {"inactive", SC_SDP_SENDRECV, SC_SDP_INACTIVE},
        {"sendrecv", SC_SDP_SENDONLY, SC_SDP_SENDONLY}, {"sendonly", SC_SDP_SENDONLY, SC_SDP_INACTIVE},
        {"recvonly", SC_SDP_SENDONLY, SC_SDP_SENDONLY}, {"sendrecv", SC_SDP_INACTIVE, SC_SDP_INACTIVE},
        {"recvonly", SC_SDP_RECVONLY, SC_SDP_INACTIVE}, {"sendonly", SC_SDP_RECVONLY, SC_SDP_RECVONLY},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        char sdp[512], buf[1024], want[32];
        snprintf(sdp, sizeof sdp, OFFER("%s", "10.0.0.1", "0", ""), rows[r].offered);
        sc_sdp_info offer, neg;
        parse_ok(sdp, &offer);
        sc_sdp_local l = local;
        l.direction = rows[r].local;
        assert_true(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg) > 0);
        assert_int_equal(neg.direction, rows[r].answered);
        snprintf(want, sizeof want, "a=%s\r\n", sc_sdp_direction_name(rows[r].answered));
        assert_non_null(strstr(buf, want));
    }
}

static void test_hold_resume(void **state)
{
    (void)state;
    sc_sdp_info active, held, zero, inactive, resumed;
    parse_ok(OFFER("sendrecv", "10.0.0.1", "0", ""), &active);
    parse_ok(OFFER("sendonly", "10.0.0.1", "0", ""), &held);
    parse_ok(OFFER("sendrecv", "0.0.0.0", "0", ""), &zero);
    parse_ok(OFFER("inactive", "10.0.0.1", "0", ""), &inactive);
    parse_ok(OFFER("sendrecv", "10.0.0.1", "0", ""), &resumed);
    assert_false(sc_sdp_is_hold(&active));
    assert_true(sc_sdp_is_hold(&held));
    assert_true(sc_sdp_is_hold(&zero));
    assert_true(sc_sdp_is_hold(&inactive));
    assert_true(sc_sdp_is_resume(&held, &resumed));
    assert_true(sc_sdp_is_resume(&zero, &resumed));
    assert_false(sc_sdp_is_resume(&active, &resumed));
    assert_false(sc_sdp_is_resume(&held, &inactive));
    /* answering a hold offer: recvonly */
    char buf[1024];
    sc_sdp_info neg;
    assert_true(sc_sdp_build_answer(&held, &local, buf, sizeof buf, &neg) > 0);
    assert_non_null(strstr(buf, "a=recvonly\r\n"));
}

static void test_session_level_direction_and_extra_media(void **state)
{
    (void)state;
    const char *sdp = "v=0\r\no=- 5 9 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\na=sendonly\r\n"
                      "m=video 5002 RTP/AVP 31\r\nm=audio 5000 RTP/AVP 0\r\n";
    sc_sdp_info i;
    parse_ok(sdp, &i);
    assert_int_equal(i.direction, SC_SDP_SENDONLY);
    assert_int_equal(i.media_count, 2);
    assert_int_equal(i.audio_index, 1);
    char buf[1024];
    assert_true(sc_sdp_build_answer(&i, &local, buf, sizeof buf, NULL) > 0);
    const char *v = strstr(buf, "m=video 0 RTP/AVP 31\r\n");
    const char *a = strstr(buf, "m=audio 20000 RTP/AVP 0\r\n");
    assert_non_null(v);
    assert_non_null(a);
    assert_true(v < a); /* same m= order as the offer */
    sc_sdp_direction d;
    assert_int_equal(sc_sdp_direction_parse("inactive", &d), 0);
    assert_int_equal(d, SC_SDP_INACTIVE);
    assert_int_equal(sc_sdp_direction_parse("bogus", &d), -EINVAL);
}

/* Bare LF or bare CR line ends (some phones, and an attack on libosip2's parser, which reads
 * past such a body): parsed like CRLF, never over-read (ASan checks the run). */
static void test_bare_line_ends(void **state)
{
    (void)state;
    const char *lf =
        "v=0\no=- 3 4 IN IP4 10.0.0.3\ns=-\nc=IN IP4 10.0.0.3\nt=0 0\nm=audio 7000 RTP/AVP 8 0\na=sendonly";
    const char *cr =
        "v=0\ro=- 3 4 IN IP4 10.0.0.3\rs=-\rc=IN IP4 10.0.0.3\rt=0 0\rm=audio 7000 RTP/AVP 8 0\ra=sendonly\r";
    const char *mixed = "v=0\r\no=- 3 4 IN IP4 10.0.0.3\rs=-\nc=IN IP4 10.0.0.3\r\nt=0 0\nm=audio 7000 RTP/AVP 8 0\r";
    const char *all[] = {lf, cr, mixed};
    for (size_t k = 0; k < 3; k++) {
        sc_sdp_info i;
        /* exact length, no NUL after the body: the parser must not need one */
        size_t n = strlen(all[k]);
        char *exact = malloc(n);
        assert_non_null(exact);
        memcpy(exact, all[k], n);
        assert_int_equal(sc_sdp_parse(exact, n, &i), 0);
        free(exact);
        assert_string_equal(i.conn_addr, "10.0.0.3");
        assert_int_equal(i.port, 7000);
        assert_int_equal(i.codec_count, 2);
        assert_string_equal(i.codecs[0].name, "PCMA");
        assert_int_equal(i.direction, k == 2 ? SC_SDP_SENDRECV : SC_SDP_SENDONLY);
    }
}

/* Every m= line of an offer gets its line in the answer (RFC 3264 6), up to SC_SDP_MAX_MEDIA;
 * more are refused (488) rather than answered short. */
static void test_many_media_lines(void **state)
{
    (void)state;
    char sdp[2048];
    size_t n = (size_t)snprintf(sdp, sizeof sdp,
                                "v=0\r\no=- 1 1 IN IP4 10.0.0.4\r\ns=-\r\nc=IN IP4 10.0.0.4\r\nt=0 0\r\n");
    for (int m = 0; m < SC_SDP_MAX_MEDIA - 1; m++)
        n += (size_t)snprintf(sdp + n, sizeof sdp - n, "m=video %d RTP/AVP 31\r\n", 6000 + 2 * m);
    n += (size_t)snprintf(sdp + n, sizeof sdp - n, "m=audio 5000 RTP/AVP 0\r\n");
    sc_sdp_info i;
    assert_int_equal(sc_sdp_parse(sdp, n, &i), 0);
    assert_int_equal(i.media_count, SC_SDP_MAX_MEDIA);
    char buf[4096];
    assert_true(sc_sdp_build_answer(&i, &local, buf, sizeof buf, NULL) > 0);
    size_t lines = 0;
    for (const char *p = buf; (p = strstr(p, "m=")) != NULL; p += 2)
        lines++;
    assert_int_equal(lines, SC_SDP_MAX_MEDIA);
    n += (size_t)snprintf(sdp + n, sizeof sdp - n, "m=video 7000 RTP/AVP 31\r\n");
    assert_int_equal(sc_sdp_parse(sdp, n, &i), -ENOTSUP);
    assert_int_equal(sc_sdp_error_status(-ENOTSUP), 488);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_basic),         cmocka_unit_test(test_parse_static_without_rtpmap_and_ipv6),
        cmocka_unit_test(test_parse_errors),        cmocka_unit_test(test_offer),
        cmocka_unit_test(test_offer_keeps_dtmf_pt), cmocka_unit_test(test_answer_codec_order_and_dtmf),
        cmocka_unit_test(test_answer_488_cases),    cmocka_unit_test(test_direction_matrix),
        cmocka_unit_test(test_hold_resume),         cmocka_unit_test(test_session_level_direction_and_extra_media),
        cmocka_unit_test(test_bare_line_ends),      cmocka_unit_test(test_many_media_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
