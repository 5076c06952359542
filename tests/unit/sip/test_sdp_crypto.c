/* SDES tests (RFC 4568): a=crypto values parsed and written back byte for byte, bad and
 * unusable lines refused, offers and answers with a=crypto and RTP/SAVP (the offer's line our
 * answer picks, the profile kept, an RTP/SAVP offer refused without a key). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session_core/sip.h"

/* RFC 4568 section 8.1's example key (30 octets: 40 base64 characters) */
#define KEY80 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define KEYGCM "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3OA=="

static void test_parse_and_format(void **state)
{
    (void)state;
    sc_sdp_crypto c;
    assert_int_equal(sc_sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|2^20", &c), 0);
    assert_int_equal(c.tag, 1);
    assert_string_equal(c.suite, "AES_CM_128_HMAC_SHA1_80");
    assert_int_equal(c.key_len, 30);
    assert_int_equal(c.key[0], '=');
    char buf[128];
    int n = sc_sdp_crypto_format(&c, buf, sizeof buf);
    assert_int_equal(n, (int)strlen("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80));
    assert_string_equal(buf, "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80);
    sc_sdp_crypto back;
    assert_int_equal(sc_sdp_crypto_parse(buf, &back), 0);
    assert_memory_equal(&back, &c, sizeof c);

    assert_int_equal(sc_sdp_crypto_parse("77 AES_CM_128_HMAC_SHA1_32 inline:" KEY80 "|1048576 WSH=64", &c), 0);
    assert_int_equal(c.tag, 77);
    assert_int_equal(sc_sdp_crypto_parse("3 AEAD_AES_128_GCM inline:" KEYGCM, &c), 0);
    assert_int_equal(c.key_len, 28);
    assert_int_equal(sc_sdp_crypto_format(&c, buf, sizeof buf), (int)strlen("3 AEAD_AES_128_GCM inline:" KEYGCM));
    assert_string_equal(buf, "3 AEAD_AES_128_GCM inline:" KEYGCM);
    assert_int_equal(sc_sdp_crypto_format(&c, buf, 10), -ENOSPC);
}

static void test_refused(void **state)
{
    (void)state;
    sc_sdp_crypto c;
    static const char *const bad[] = {
        "",
        "AES_CM_128_HMAC_SHA1_80 inline:" KEY80,                                         /* no tag */
        "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY80,                              /* tag too long */
        "1 AES_CM_128_HMAC_SHA1_80",                                                     /* no key */
        "1 AES_CM_128_HMAC_SHA1_80 key:" KEY80,                                          /* not inline */
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV",       /* short */
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRAAAA", /* long */
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!",     /* not base64 */
        "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|2^99",                               /* lifetime beyond 2^48 */
        "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|zero",                               /* lifetime garbage */
        "1 AEAD_AES_128_GCM inline:" KEY80,                                              /* key of the wrong length */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sc_sdp_crypto_parse(bad[i], &c), -EINVAL);
    static const char *const unusable[] = {
        "1 F8_128_HMAC_SHA1_80 inline:" KEY80,                                           /* unknown suite */
        "1 AES_256_CM_HMAC_SHA1_80 inline:" KEY80,                                       /* not run here */
        "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|2^20|1:4",                           /* MKI */
        "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|1:4",                                /* MKI without lifetime */
        "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|2^20|1:4;inline:" KEY80 "|2^20|2:4", /* two keys */
        "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 " UNENCRYPTED_SRTP",                   /* session parameter */
        "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 " KDR=1",
    };
    for (size_t i = 0; i < sizeof unusable / sizeof unusable[0]; i++)
        assert_int_equal(sc_sdp_crypto_parse(unusable[i], &c), -ENOTSUP);
}

#define SDP(proto, attrs)                                                                                     \
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 " proto " 0 101\r\n" \
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" attrs

static void test_offer_parse(void **state)
{
    (void)state;
    const char *o = SDP("RTP/SAVP", "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" KEY80 "\r\n"
                                    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY80 "\r\n"
                                    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|2^20|1:4\r\n"
                                    "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "\r\n"
                                    "a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:" KEY80 "\r\n");
    sc_sdp_info i;
    assert_int_equal(sc_sdp_parse(o, strlen(o), &i), 0);
    assert_true(i.savp);
    assert_int_equal(i.crypto_count, 2);
    assert_int_equal(i.crypto[0].tag, 2);
    assert_int_equal(i.crypto[1].tag, 4);
    assert_string_equal(i.crypto[1].suite, "AES_CM_128_HMAC_SHA1_80");
    assert_int_equal(i.crypto_unusable, 3);
    const char *plain = SDP("RTP/AVP", "");
    assert_int_equal(sc_sdp_parse(plain, strlen(plain), &i), 0);
    assert_false(i.savp);
    assert_int_equal(i.crypto_count, 0);
}

static void test_answer(void **state)
{
    (void)state;
    const char *o = SDP("RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY80 "\r\n"
                                    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "\r\n");
    sc_sdp_info offer, neg, back;
    assert_int_equal(sc_sdp_parse(o, strlen(o), &offer), 0);
    sc_sdp_crypto ours = {.tag = 2, .suite = "AES_CM_128_HMAC_SHA1_80", .key_len = 30};
    memset(ours.key, 0xA5, 30);
    sc_sdp_local l = {.addr = "127.0.0.1", .port = 20000, .session_id = 1, .session_version = 1};
    char buf[2048];
    assert_int_equal(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg), -ENOTSUP); /* SAVP, no key */
    l.crypto = &ours;
    l.crypto_count = 1;
    int n = sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "m=audio 20000 RTP/SAVP 0 101\r\n"));
    assert_non_null(
        strstr(buf, "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWl\r\n"));
    assert_int_equal(neg.crypto_count, 1); /* the offerer's key of the chosen line */
    assert_int_equal(neg.crypto[0].tag, 2);
    assert_memory_equal(neg.crypto[0].key, offer.crypto[1].key, 30);
    assert_int_equal(sc_sdp_parse(buf, (size_t)n, &back), 0);
    assert_int_equal(back.crypto_count, 1);
    assert_memory_equal(back.crypto[0].key, ours.key, 30);
    ours.tag = 9; /* a tag the offer does not have */
    assert_int_equal(sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg), -ENOTSUP);

    /* best effort: RTP/AVP with a=crypto, answered as RTP/AVP with crypto or without */
    const char *a = SDP("RTP/AVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "\r\n");
    assert_int_equal(sc_sdp_parse(a, strlen(a), &offer), 0);
    ours.tag = 1;
    n = sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "RTP/AVP 0 101\r\n"));
    assert_non_null(strstr(buf, "a=crypto:1 "));
    l.crypto_count = 0;
    n = sc_sdp_build_answer(&offer, &l, buf, sizeof buf, &neg);
    assert_true(n > 0);
    assert_null(strstr(buf, "a=crypto"));
    assert_int_equal(neg.crypto_count, 0);
}

static void test_offer_build(void **state)
{
    (void)state;
    sc_sdp_crypto ours[2] = {{.tag = 1, .suite = "AES_CM_128_HMAC_SHA1_80", .key_len = 30},
                             {.tag = 2, .suite = "AEAD_AES_128_GCM", .key_len = 28}};
    sc_sdp_local l = {.addr = "127.0.0.1",
                      .port = 20000,
                      .session_id = 1,
                      .session_version = 1,
                      .crypto = ours,
                      .crypto_count = 2,
                      .savp = true};
    char buf[2048];
    int n = sc_sdp_build_offer(&l, buf, sizeof buf);
    assert_true(n > 0);
    sc_sdp_info back;
    assert_int_equal(sc_sdp_parse(buf, (size_t)n, &back), 0);
    assert_true(back.savp);
    assert_int_equal(back.crypto_count, 2);
    assert_int_equal(back.crypto[1].key_len, 28);
    assert_string_equal(back.crypto[1].suite, "AEAD_AES_128_GCM");
    ours[1].key_len = 0; /* a key we could not write */
    assert_int_equal(sc_sdp_build_offer(&l, buf, sizeof buf), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format), cmocka_unit_test(test_refused),     cmocka_unit_test(test_offer_parse),
        cmocka_unit_test(test_answer),           cmocka_unit_test(test_offer_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
