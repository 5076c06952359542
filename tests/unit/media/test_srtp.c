/* Tests for SRTP on streams over real UDP on 127.0.0.1: two streams with each other's keys
 * exchange SRTP and SRTCP (music on hold one way, RTCP reports both ways); what goes on the wire
 * is SRTP that the key decrypts; a wrong key, plain RTP and a replayed packet are dropped and
 * counted and never refresh the RTP timeout; a bridge relays between an SRTP leg and a plain
 * one; bad keys are refused. The test's own phones protect packets with libsrtp2 directly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include <srtp2/srtp.h>

#include "media_test_util.h"

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    sc_media_stream *x, *y;
    rx_sock phone, plain;
    int timeouts;
} fx;

static void on_timeout(sc_media_stream *st, void *ud)
{
    fx *f = ud;
    (void)st;
    f->timeouts++;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    uint16_t base = test_port_base(100);
    sc_media_config cfg = {.port_min = base,
                           .port_max = (uint16_t)(base + 99),
                           .rtcp_interval_ms = 100,
                           .rtp_timeout_ms = 400,
                           .cb = {.on_rtp_timeout = on_timeout}};
    assert_int_equal(sc_media_new(&f->m, &f->loop, &cfg), 0);
    assert_int_equal(rx_open(&f->loop, &f->phone), 0);
    assert_int_equal(sc_media_stream_open(f->m, &f->x, f), 0);
    assert_int_equal(sc_media_stream_open(f->m, &f->y, f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sc_media_free(f->m);
    rx_close(&f->phone);
    assert_int_equal(drain_loop(&f->loop), 0);
    free(f);
    return 0;
}

static sc_media_srtp key_of(sc_media_srtp_suite suite)
{
    sc_media_srtp k;
    assert_int_equal(sc_media_srtp_keygen(&k, suite), 0);
    return k;
}

/* x and y point at each other. */
static void pair_up(fx *f)
{
    assert_int_equal(sc_media_stream_set_remote(f->x, "127.0.0.1", sc_media_stream_port(f->y), SC_MEDIA_PCMU, 101,
                                                SC_MEDIA_SENDRECV),
                     0);
    assert_int_equal(sc_media_stream_set_remote(f->y, "127.0.0.1", sc_media_stream_port(f->x), SC_MEDIA_PCMU, 101,
                                                SC_MEDIA_SENDRECV),
                     0);
}

static void exchange(fx *f, sc_media_srtp_suite suite)
{
    sc_media_srtp k1 = key_of(suite), k2 = key_of(suite);
    pair_up(f);
    assert_int_equal(sc_media_stream_set_srtp(f->x, &k1, &k2), 0);
    assert_int_equal(sc_media_stream_set_srtp(f->y, &k2, &k1), 0);
    assert_true(sc_media_stream_srtp(f->x));
    assert_int_equal(sc_media_moh_start(f->x, NULL), 0);
    assert_int_equal(sc_media_moh_start(f->y, NULL), 0);
    run_for(&f->loop, 350);
    sc_media_stats sx, sy;
    sc_media_stream_stats(f->x, &sx);
    sc_media_stream_stats(f->y, &sy);
    assert_true(sy.packets_received >= 5);
    assert_true(sx.packets_received >= 5);
    assert_true(sx.srtp_protected >= sx.packets_sent);
    assert_true(sy.srtp_unprotected >= sy.packets_received);
    assert_true(sx.rtcp_received >= 1); /* SRTCP decrypted and parsed */
    assert_true(sy.rtcp_received >= 1);
    assert_int_equal(sx.srtp_auth_failures + sy.srtp_auth_failures, 0);
    assert_int_equal(sx.srtp_replays + sy.srtp_replays, 0);
    assert_int_equal(sx.packets_invalid + sy.packets_invalid, 0);
    sc_media_srtp_counts t;
    sc_media_srtp_totals(f->m, &t);
    assert_int_equal(t.protected_pkts, sx.srtp_protected + sy.srtp_protected);
    assert_int_equal(t.auth_failures, 0);
}

static void test_exchange_80(void **state) { exchange(*state, SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80); }
static void test_exchange_32(void **state) { exchange(*state, SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32); }

static void test_exchange_gcm(void **state)
{
    if (!sc_media_srtp_supported(SC_MEDIA_SRTP_AEAD_AES_128_GCM)) {
        sc_media_srtp k;
        assert_int_equal(sc_media_srtp_keygen(&k, SC_MEDIA_SRTP_AEAD_AES_128_GCM), -ENOTSUP);
        skip();
    }
    exchange(*state, SC_MEDIA_SRTP_AEAD_AES_128_GCM);
}

/* y has the wrong receive key: every packet fails, nothing counts as received, the timeout fires. */
static void test_wrong_key(void **state)
{
    fx *f = *state;
    sc_media_srtp k1 = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  k2 = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  k3 = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
    pair_up(f);
    assert_int_equal(sc_media_stream_set_srtp(f->x, &k1, &k2), 0);
    assert_int_equal(sc_media_stream_set_srtp(f->y, &k2, &k3), 0);
    assert_int_equal(sc_media_bridge(f->y, f->x), 0); /* anything y accepted would come back to x */
    assert_int_equal(sc_media_moh_start(f->x, NULL), 0);
    run_for(&f->loop, 600);
    sc_media_stats sy, sx;
    sc_media_stream_stats(f->y, &sy);
    sc_media_stream_stats(f->x, &sx);
    assert_true(sy.srtp_auth_failures >= 10);
    assert_int_equal(sy.packets_received, 0);
    assert_int_equal(sy.rtcp_received, 0);
    assert_int_equal(sy.srtp_unprotected, 0);
    assert_int_equal(sy.packets_sent, 0); /* nothing relayed */
    assert_int_equal(sx.packets_received, 0);
    assert_true(f->timeouts >= 1); /* y heard nothing authentic (x neither) */
    sc_media_srtp_counts t;
    sc_media_srtp_totals(f->m, &t);
    assert_int_equal(t.auth_failures, sy.srtp_auth_failures + sx.srtp_auth_failures);
}

/* A phone (raw socket) protects with its own libsrtp2 session. */
static srtp_t phone_session(const sc_media_srtp *k, bool inbound)
{
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    uint8_t key[30];
    memcpy(key, k->key, 30);
    p.key = key;
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    srtp_t s = NULL;
    assert_int_equal(srtp_create(&s, &p), srtp_err_status_ok);
    return s;
}

/* Plain RTP and a replayed SRTP packet into an SRTP stream: dropped and counted; what it sends
 * is SRTP that the phone's key opens. */
static void test_plain_and_replay(void **state)
{
    fx *f = *state;
    sc_media_srtp kx = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  kp = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
    assert_int_equal(
        sc_media_stream_set_remote(f->x, "127.0.0.1", f->phone.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_stream_set_srtp(f->x, &kx, &kp), 0);
    uint8_t pkt[12 + 160 + 64];
    mk_rtp(pkt, 0, 1, 100, 8000, 0x1234);
    memset(pkt + 12, 0x55, 160);
    assert_true(rx_send(&f->phone, sc_media_stream_port(f->x), pkt, 172) > 0); /* plain */
    run_for(&f->loop, 20);
    sc_media_stats s;
    sc_media_stream_stats(f->x, &s);
    assert_int_equal(s.srtp_auth_failures, 1);
    assert_int_equal(s.packets_received, 0);

    srtp_t tx = phone_session(&kp, false);
    int len = 172;
    assert_int_equal(srtp_protect(tx, pkt, &len), srtp_err_status_ok);
    assert_int_equal(len, 182);
    assert_true(rx_send(&f->phone, sc_media_stream_port(f->x), pkt, (size_t)len) > 0);
    run_for(&f->loop, 20);
    assert_true(rx_send(&f->phone, sc_media_stream_port(f->x), pkt, (size_t)len) > 0); /* replayed */
    run_for(&f->loop, 20);
    sc_media_stream_stats(f->x, &s);
    assert_int_equal(s.packets_received, 1);
    assert_int_equal(s.srtp_unprotected, 1);
    assert_int_equal(s.srtp_replays, 1);
    srtp_dealloc(tx);

    /* what x sends: 182-octet SRTP packets the phone opens with kx */
    size_t before = f->phone.n;
    assert_int_equal(sc_media_moh_start(f->x, NULL), 0);
    run_for(&f->loop, 120);
    sc_media_moh_stop(f->x);
    srtp_t rx = phone_session(&kx, true);
    int opened = 0;
    for (size_t i = before; i < f->phone.n; i++) {
        rx_pkt *p = &f->phone.pkts[i];
        if (p->len != 182)
            continue;
        int n = (int)p->len;
        if (srtp_unprotect(rx, p->data, &n) == srtp_err_status_ok && n == 172 && rtp_pt(p) == 0)
            opened++;
    }
    assert_true(opened >= 3);
    srtp_dealloc(rx);
}

/* Bridge: SRTP from the phone on leg x comes out of plain leg y decrypted, payload intact. */
static void test_bridge_srtp_to_plain(void **state)
{
    fx *f = *state;
    rx_sock *plain = &f->plain;
    assert_int_equal(rx_open(&f->loop, plain), 0);
    sc_media_srtp kx = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  kp = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
    assert_int_equal(
        sc_media_stream_set_remote(f->x, "127.0.0.1", f->phone.port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV), 0);
    assert_int_equal(sc_media_stream_set_remote(f->y, "127.0.0.1", plain->port, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV),
                     0);
    assert_int_equal(sc_media_stream_set_srtp(f->x, &kx, &kp), 0);
    assert_int_equal(sc_media_bridge(f->x, f->y), 0);
    srtp_t tx = phone_session(&kp, false);
    for (int i = 0; i < 5; i++) {
        uint8_t pkt[12 + 160 + 64];
        mk_rtp(pkt, 0, i == 0, (uint16_t)(500 + i), 1000u + 160u * (uint32_t)i, 0xBEEF);
        for (int k = 0; k < 160; k++)
            pkt[12 + k] = (uint8_t)(k + i);
        int len = 172;
        assert_int_equal(srtp_protect(tx, pkt, &len), srtp_err_status_ok);
        assert_true(rx_send(&f->phone, sc_media_stream_port(f->x), pkt, (size_t)len) > 0);
        run_for(&f->loop, 5);
    }
    run_for(&f->loop, 20);
    srtp_dealloc(tx);
    size_t audio = 0;
    for (size_t i = 0; i < plain->n; i++) {
        rx_pkt *p = &plain->pkts[i];
        if (rtp_pt(p) != 0)
            continue;
        assert_int_equal(p->len, 172);
        assert_int_equal(rtp_ssrc(p), sc_media_stream_ssrc(f->y));
        assert_int_equal(p->data[12 + 3], (uint8_t)(3 + audio));
        audio++;
    }
    assert_int_equal(audio, 5);
    rx_close(plain); /* the loop closes it in teardown */
}

/* y re-keys its sending side only (a re-INVITE): x learns the new key, the other direction's
 * contexts go on, nothing fails either way. */
static void test_rekey_one_side(void **state)
{
    fx *f = *state;
    sc_media_srtp k1 = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  k2 = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80),
                  k3 = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
    pair_up(f);
    assert_int_equal(sc_media_stream_set_srtp(f->x, &k1, &k2), 0);
    assert_int_equal(sc_media_stream_set_srtp(f->y, &k2, &k1), 0);
    assert_int_equal(sc_media_moh_start(f->x, NULL), 0);
    assert_int_equal(sc_media_moh_start(f->y, NULL), 0);
    run_for(&f->loop, 150);
    assert_int_equal(sc_media_stream_set_srtp(f->y, &k3, &k1), 0);
    assert_int_equal(sc_media_stream_set_srtp(f->x, &k1, &k3), 0);
    sc_media_stats sx0, sy0, sx, sy;
    sc_media_stream_stats(f->x, &sx0);
    sc_media_stream_stats(f->y, &sy0);
    run_for(&f->loop, 150);
    sc_media_stream_stats(f->x, &sx);
    sc_media_stream_stats(f->y, &sy);
    assert_true(sx.packets_received >= sx0.packets_received + 3);
    assert_true(sy.packets_received >= sy0.packets_received + 3); /* y receives on, under the same key */
    assert_int_equal(sx.srtp_auth_failures + sy.srtp_auth_failures, 0);
    assert_int_equal(sx.srtp_replays + sy.srtp_replays, 0);
}

static void test_bad_keys(void **state)
{
    fx *f = *state;
    sc_media_srtp k = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80), bad = k;
    assert_int_equal(sc_media_stream_set_srtp(f->x, &k, NULL), -EINVAL);
    bad.key_len = 16;
    assert_int_equal(sc_media_stream_set_srtp(f->x, &k, &bad), -EINVAL);
    bad = k;
    bad.suite = (sc_media_srtp_suite)77;
    assert_int_equal(sc_media_stream_set_srtp(f->x, &bad, &k), -EINVAL);
    assert_false(sc_media_stream_srtp(f->x));
    assert_int_equal(sc_media_stream_set_srtp(f->x, &k, &k), 0);
    assert_int_equal(sc_media_stream_set_srtp(f->x, &k, &k), 0); /* same keys: kept */
    assert_int_equal(sc_media_stream_set_srtp(f->x, NULL, NULL), 0);
    assert_false(sc_media_stream_srtp(f->x));
    sc_media_srtp_suite s;
    assert_int_equal(sc_media_srtp_suite_parse("AES_CM_128_HMAC_SHA1_32", &s), 0);
    assert_int_equal(s, SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32);
    assert_int_equal(sc_media_srtp_suite_parse("F8_128_HMAC_SHA1_80", &s), -ENOENT);
    assert_string_equal(sc_media_srtp_suite_name(SC_MEDIA_SRTP_AEAD_AES_128_GCM), "AEAD_AES_128_GCM");
    assert_int_equal(sc_media_srtp_key_len(SC_MEDIA_SRTP_AEAD_AES_128_GCM), 28);
    sc_media_srtp a = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80), b = key_of(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
    assert_memory_not_equal(a.key, b.key, 30); /* fresh keys */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exchange_80, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exchange_32, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exchange_gcm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bridge_srtp_to_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rekey_one_side, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
