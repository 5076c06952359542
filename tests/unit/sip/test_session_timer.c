/* RFC 4028 session timers between two agents on loopback (intervals of 1-2 s): negotiation
 * and refresher choice, refreshes by UPDATE keeping the call up, a vanished refresher
 * detected by the other side (SessionExpired), a vanished peer detected by the refresher, and
 * 422 Session Interval Too Small with Min-SE. */
#include "sip_test_agents.h"

#define T1 10

static const char *offer_sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                               "m=audio 20000 RTP/AVP 0\r\na=sendrecv\r\n";

/* ta_open with session timers (se_s 0 = off). */
static void st_open(ta_side *s, uv_loop_t *loop, unsigned se_s, unsigned min_se_s)
{
    memset(s, 0, sizeof *s);
    sc_sip_config cfg = {.t1_ms = T1,
                         .t2_ms = T1 * 8,
                         .t4_ms = T1 * 10,
                         .on_event = ta_on_event,
                         .on_incoming = ta_on_incoming,
                         .ud = s,
                         .session_expires_s = se_s,
                         .min_se_s = min_se_s};
    assert_int_equal(sc_sip_new(&s->sip, loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(s->sip, "udp:127.0.0.1:0"), 0);
}

static void finish(uv_loop_t *loop, ta_side *a, ta_side *b)
{
    sc_sip_free(a->sip);
    sc_sip_free(b->sip);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

/* a calls b; b answers 200; a ACKs. Returns a's call (b's is b->call). */
static sc_sip_call *connect_call(uv_loop_t *loop, ta_side *a, ta_side *b)
{
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", tu_port(b->sip, 0));
    sc_sip_call *ac = NULL;
    assert_int_equal(sc_sip_call_invite(a->sip, &ac, "sip:alice@127.0.0.1", to, offer_sdp, a), 0);
    assert_true(tu_run_until(loop, ta_incoming, b, 2000));
    assert_int_equal(sc_sip_call_respond(b->call, 200, NULL, offer_sdp), 0);
    assert_true(ta_wait_for(loop, a, SC_EV_Dialog200OK, 2000));
    assert_int_equal(sc_sip_call_ack(ac, NULL), 0);
    assert_true(ta_wait_for(loop, b, SC_EV_DialogACK, 2000));
    return ac;
}

static void test_refresh_keeps_call_then_vanished_refresher(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    st_open(&a, &loop, 2, 1);
    st_open(&b, &loop, 2, 1);
    sc_sip_call *ac = connect_call(&loop, &a, &b);
    unsigned ia = 0, ib = 0;
    bool ra = true, rb = false;
    assert_int_equal(sc_sip_call_session_timer(ac, &ia, &ra), 0);
    assert_int_equal(sc_sip_call_session_timer(b.call, &ib, &rb), 0);
    assert_int_equal(ia, 2);
    assert_int_equal(ib, 2);
    assert_true(rb); /* the UAC left the choice to the UAS, which accepts UPDATE: it refreshes */
    assert_false(ra);
    /* 3.5 s = several intervals: b's UPDATEs keep the call up on both sides */
    tu_run(&loop, NULL, 3500);
    assert_int_equal(ta_find(&a, SC_EV_SessionExpired, 0), -1);
    assert_int_equal(ta_find(&b, SC_EV_SessionExpired, 0), -1);
    assert_int_equal(ta_find(&a, SC_EV_DialogUPDATE, 0), -1); /* refreshes are not reported */
    sc_sip_stats st;
    sc_sip_get_stats(b.sip, &st);
    assert_true(st.requests_out[SC_SIP_M_UPDATE] >= 3);
    /* b vanishes without BYE: a notices before the interval ends (2 s - 2/3 s) */
    sc_sip_call_release(b.call);
    uint64_t t0 = uv_now(&loop);
    assert_true(ta_wait_for(&loop, &a, SC_EV_SessionExpired, 3000));
    uv_update_time(&loop);
    assert_true(uv_now(&loop) - t0 <= 1500);
    assert_int_equal(sc_sip_call_bye(ac), 0); /* what the TU does next */
    sc_sip_call_release(ac);
    finish(&loop, &a, &b);
}

static void test_refresher_detects_vanished_peer(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    st_open(&a, &loop, 1, 1);
    st_open(&b, &loop, 2, 1);
    sc_sip_call *ac = connect_call(&loop, &a, &b);
    unsigned ib = 0;
    bool rb = false;
    assert_int_equal(sc_sip_call_session_timer(b.call, &ib, &rb), 0);
    assert_int_equal(ib, 1); /* the UAC's smaller request wins */
    assert_true(rb);
    /* a vanishes: b's next UPDATE gets no answer (or a 481): b reports SessionExpired */
    sc_sip_call_release(ac);
    sc_sip_free(a.sip);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_true(ta_wait_for(&loop, &b, SC_EV_SessionExpired, 4000));
    assert_int_equal(sc_sip_call_bye(b.call), 0);
    sc_sip_call_release(b.call);
    sc_sip_free(b.sip);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_422_below_min_se(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    st_open(&a, &loop, 2, 1);
    st_open(&b, &loop, 10, 5);
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", tu_port(b.sip, 0));
    sc_sip_call *ac = NULL;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer_sdp, &a), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog4xx, 2000));
    assert_int_equal(a.ev[ta_find(&a, SC_EV_Dialog4xx, 0)].status, 422);
    assert_int_equal(b.incoming, 0);
    sc_sip_call_release(ac);
    finish(&loop, &a, &b);
}

static void test_off_by_default(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    st_open(&a, &loop, 0, 0);
    st_open(&b, &loop, 0, 0);
    sc_sip_call *ac = connect_call(&loop, &a, &b);
    assert_int_equal(sc_sip_call_session_timer(ac, NULL, NULL), -ENOENT);
    assert_int_equal(sc_sip_call_session_timer(b.call, NULL, NULL), -ENOENT);
    assert_int_equal(sc_sip_call_bye(ac), 0);
    sc_sip_call_release(ac);
    sc_sip_call_release(b.call);
    finish(&loop, &a, &b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refresh_keeps_call_then_vanished_refresher),
        cmocka_unit_test(test_refresher_detects_vanished_peer),
        cmocka_unit_test(test_422_below_min_se),
        cmocka_unit_test(test_off_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
