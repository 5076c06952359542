/* Call tests between two agents on loopback (UDP and TCP): a full call with ringing, answer,
 * ACK, hold by re-INVITE and BYE; CANCEL; a second 2xx from a fork; re-INVITE glare (491 and
 * retry); 2xx retransmission until the ACK timeout; restore from dialog state. */
#include "sip_test_agents.h"

#define T1 10

static const char *offer_sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                               "m=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
static const char *hold_sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                              "m=audio 20000 RTP/AVP 0\r\na=sendonly\r\n";
static const char *held_answer = "v=0\r\no=- 9 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                                 "m=audio 30000 RTP/AVP 0\r\na=recvonly\r\n";

/* Frees the agent; its handles close when the loop next runs. */
static void free_side(uv_loop_t *loop, ta_side *s)
{
    (void)loop;
    sc_sip_free(s->sip);
}

static void finish(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void full_call(bool tcp)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    ta_open(&a, &loop, "udp:127.0.0.1:0", "tcp:127.0.0.1:0", T1);
    ta_open(&b, &loop, "udp:127.0.0.1:0", "tcp:127.0.0.1:0", T1);
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u%s", tu_port(b.sip, tcp ? 1 : 0), tcp ? ";transport=tcp" : "");
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer_sdp, &a), 0);
    assert_true(tu_run_until(&loop, ta_incoming, &b, 2000));
    sc_sip_call *bc = b.call;
    assert_int_equal(sc_sip_call_respond(bc, 180, NULL, NULL), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog180Ringing, 2000));
    sc_sip_dialog_state ds;
    sc_sip_call_dialog(ac, &ds);
    assert_int_equal(ds.phase, SC_SIP_DIALOG_EARLY);
    assert_int_equal(sc_sip_call_bye(ac), -EINVAL); /* early UAC dialog: CANCEL, not BYE */
    assert_int_equal(sc_sip_call_respond(bc, 200, NULL, "v=0\r\nanswer\r\n"), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog200OK, 2000));
    int i = ta_find(&a, SC_EV_Dialog200OK, 0);
    assert_int_equal(a.ev[i].status, 200);
    assert_string_equal(a.ev[i].body, "v=0\r\nanswer\r\n");
    assert_int_equal(sc_sip_call_ack(ac, NULL), 0);
    assert_int_equal(sc_sip_call_ack(ac, NULL), -EINVAL);
    assert_true(ta_wait_for(&loop, &b, SC_EV_DialogACK, 2000));
    /* both sides see the same dialog */
    sc_sip_dialog_state da, db;
    sc_sip_call_dialog(ac, &da);
    sc_sip_call_dialog(bc, &db);
    assert_string_equal(da.call_id, db.call_id);
    assert_string_equal(da.local_tag, db.remote_tag);
    assert_string_equal(da.remote_tag, db.local_tag);
    assert_int_equal(da.phase, SC_SIP_DIALOG_CONFIRMED);
    assert_int_equal(db.phase, SC_SIP_DIALOG_CONFIRMED);
    assert_true(da.is_uac);
    assert_false(db.is_uac);
    assert_int_equal(da.transport, tcp ? SC_SIP_TCP : SC_SIP_UDP);
    assert_string_equal(sc_sip_call_remote_uri(bc), "sip:alice@127.0.0.1");
    /* hold: re-INVITE sendonly, answered recvonly */
    assert_int_equal(sc_sip_call_reinvite(ac, hold_sdp), 0);
    assert_int_equal(sc_sip_call_reinvite(ac, hold_sdp), -EBUSY);
    assert_true(ta_wait_for(&loop, &b, SC_EV_DialogReINVITE, 2000));
    i = ta_find(&b, SC_EV_DialogReINVITE, 0);
    assert_non_null(strstr(b.ev[i].body, "a=sendonly"));
    assert_int_equal(sc_sip_call_respond(bc, 200, NULL, held_answer), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_DialogReINVITEAccepted, 2000));
    i = ta_find(&a, SC_EV_DialogReINVITEAccepted, 0);
    assert_non_null(strstr(a.ev[i].body, "a=recvonly"));
    assert_true(ta_wait_from(&loop, &b, SC_EV_DialogACK, ta_find(&b, SC_EV_DialogReINVITE, 0), 2000));
    /* B hangs up */
    a.n = 0;
    b.n = 0;
    assert_int_equal(sc_sip_call_bye(bc), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_DialogBYE, 2000));
    assert_non_null(a.stx);
    /* the BYE's transport source: B's socket (its listener on UDP), whatever its Via says */
    struct sockaddr_storage src, bl;
    assert_int_equal(sc_sip_stx_source(a.stx, &src), 0);
    assert_int_equal(sc_sip_stx_source(NULL, &src), -EINVAL);
    assert_int_equal(src.ss_family, AF_INET);
    assert_int_equal(((struct sockaddr_in *)&src)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    assert_int_equal(sc_sip_listener_addr(b.sip, 0, &bl), 0);
    if (!tcp)
        assert_int_equal(((struct sockaddr_in *)&src)->sin_port, ((struct sockaddr_in *)&bl)->sin_port);
    assert_int_equal(sc_sip_respond(a.sip, a.stx, 200, NULL, NULL, NULL), 0);
    assert_true(ta_wait_for(&loop, &b, SC_EV_Dialog200OK, 2000));
    i = ta_find(&b, SC_EV_Dialog200OK, 0);
    assert_string_equal(b.ev[i].method, "BYE");
    sc_sip_stats sa, sb;
    sc_sip_get_stats(a.sip, &sa);
    sc_sip_get_stats(b.sip, &sb);
    assert_int_equal(sa.active_dialogs, 0);
    assert_int_equal(sb.active_dialogs, 0);
    assert_int_equal(sa.requests_out[SC_SIP_M_INVITE], 2);
    /* two ACKs, and one more for each 2xx B sent again before the ACK reached it (T1 is 10 ms:
     * a slow run, valgrind's, retransmits) */
    assert_in_range(sb.requests_in[SC_SIP_M_ACK], 2, 2 + sb.retransmissions_sent);
    assert_int_equal(sb.requests_out[SC_SIP_M_BYE], 1);
    sc_sip_call_release(ac);
    sc_sip_call_release(bc);
    sc_sip_get_stats(a.sip, &sa);
    free_side(&loop, &a);
    free_side(&loop, &b);
    finish(&loop);
}

static void test_full_call_udp(void **state)
{
    (void)state;
    full_call(false);
}

static void test_full_call_tcp(void **state)
{
    (void)state;
    full_call(true);
}

static void cancel_flow(bool before_provisional)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    ta_open(&a, &loop, "udp:127.0.0.1:0", NULL, T1);
    ta_open(&b, &loop, "udp:127.0.0.1:0", NULL, T1);
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", tu_port(b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer_sdp, NULL), 0);
    if (before_provisional)
        assert_int_equal(sc_sip_call_cancel(ac), 0); /* sent when the 100 arrives */
    assert_true(tu_run_until(&loop, ta_incoming, &b, 2000));
    if (!before_provisional) {
        assert_int_equal(sc_sip_call_respond(b.call, 180, NULL, NULL), 0);
        assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog180Ringing, 2000));
        assert_int_equal(sc_sip_call_cancel(ac), 0);
    }
    assert_true(ta_wait_for(&loop, &b, SC_EV_DialogCANCEL, 2000));
    assert_int_equal(sc_sip_call_respond(b.call, 487, NULL, NULL), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog487RequestTerminated, 2000));
    assert_int_equal(sc_sip_call_cancel(ac), -EINVAL);
    tu_run(&loop, NULL, 50); /* the ACK for the 487 reaches B's transaction */
    sc_sip_stats sa, sb;
    sc_sip_get_stats(a.sip, &sa);
    sc_sip_get_stats(b.sip, &sb);
    /* one CANCEL and one ACK, each heard again as often as a slow run retransmitted it */
    assert_in_range(sb.requests_in[SC_SIP_M_CANCEL], 1, 1 + sa.retransmissions_sent);
    assert_in_range(sb.requests_in[SC_SIP_M_ACK], 1, 1 + sa.retransmissions_sent);
    assert_int_equal(sb.rejected[SC_SIP_REJ_STRAY_ACK], 0);
    assert_int_equal(sb.responses_out[4], 1);
    sc_sip_call_release(ac);
    sc_sip_call_release(b.call);
    free_side(&loop, &a);
    free_side(&loop, &b);
    finish(&loop);
}

static void test_cancel_after_ringing(void **state)
{
    (void)state;
    cancel_flow(false);
}

static void test_cancel_before_provisional(void **state)
{
    (void)state;
    cancel_flow(true);
}

/* Pulls a header value (up to CRLF) out of a raw message. */
static void header_of(const char *msg, const char *name, char *out, size_t cap)
{
    const char *p = strstr(msg, name);
    assert_non_null(p);
    p += strlen(name);
    size_t n = strcspn(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static bool peer_has(void *arg)
{
    void **a = arg;
    return tu_msgs_count(a[0], a[1]) >= (size_t)(uintptr_t)a[2];
}

static void wait_peer(uv_loop_t *loop, tu_peer *p, const char *prefix, size_t n)
{
    void *arg[3] = {&p->got, (void *)prefix, (void *)(uintptr_t)n};
    assert_true(tu_run_until(loop, peer_has, arg, 2000));
}

static void test_forked_second_2xx(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a;
    ta_open(&a, &loop, "udp:127.0.0.1:0", NULL, T1);
    tu_peer p;
    tu_peer_open(&p, &loop);
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", p.port);
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer_sdp, NULL), 0);
    wait_peer(&loop, &p, "INVITE ", 1);
    const char *inv = tu_msgs_find(&p.got, "INVITE ");
    char via[256], from[256], callid[256], toh[256];
    header_of(inv, "Via: ", via, sizeof via);
    header_of(inv, "From: ", from, sizeof from);
    header_of(inv, "Call-ID: ", callid, sizeof callid);
    header_of(inv, "To: ", toh, sizeof toh);
    struct sockaddr_storage dst;
    sc_sip_listener_addr(a.sip, 0, &dst);
    char *ok1 = tu_fmt("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=t1\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
                       "Contact: <sip:b1@127.0.0.1:%u>\r\nContent-Length: 0\r\n\r\n",
                       via, from, toh, callid, p.port);
    char *ok2 = tu_fmt("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=t2\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
                       "Contact: <sip:b2@127.0.0.1:%u>\r\nContent-Length: 0\r\n\r\n",
                       via, from, toh, callid, p.port);
    tu_peer_send(&p, &dst, ok1);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog200OK, 2000));
    assert_int_equal(sc_sip_call_ack(ac, NULL), 0);
    wait_peer(&loop, &p, "ACK sip:b1@", 1);
    tu_peer_send(&p, &dst, ok2); /* another fork answers: ACK + BYE to it */
    wait_peer(&loop, &p, "ACK sip:b2@", 1);
    wait_peer(&loop, &p, "BYE sip:b2@", 1);
    const char *bye = tu_msgs_find(&p.got, "BYE sip:b2@");
    assert_non_null(strstr(bye, ";tag=t2"));
    tu_peer_send(&p, &dst, ok1); /* a retransmitted first 2xx gets the same ACK again */
    wait_peer(&loop, &p, "ACK sip:b1@", 2);
    sc_sip_dialog_state d;
    sc_sip_call_dialog(ac, &d);
    assert_string_equal(d.remote_tag, "t1");
    assert_int_equal(ta_find(&a, SC_EV_Dialog200OK, ta_find(&a, SC_EV_Dialog200OK, 0) + 1), -1);
    free(ok1);
    free(ok2);
    sc_sip_call_release(ac);
    tu_peer_close(&p);
    free_side(&loop, &a);
    finish(&loop);
}

/* A confirmed call between a and b; returns a's and b's calls. */
static void establish(uv_loop_t *loop, ta_side *a, ta_side *b, sc_sip_call **ac, sc_sip_call **bc)
{
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", tu_port(b->sip, 0));
    assert_int_equal(sc_sip_call_invite(a->sip, ac, "sip:alice@127.0.0.1", to, offer_sdp, NULL), 0);
    assert_true(tu_run_until(loop, ta_incoming, b, 2000));
    *bc = b->call;
    assert_int_equal(sc_sip_call_respond(*bc, 200, NULL, offer_sdp), 0);
    assert_true(ta_wait_for(loop, a, SC_EV_Dialog200OK, 2000));
    assert_int_equal(sc_sip_call_ack(*ac, NULL), 0);
    assert_true(ta_wait_for(loop, b, SC_EV_DialogACK, 2000));
    a->n = b->n = 0;
}

static bool both_accepted(void *arg)
{
    ta_side **s = arg;
    return ta_find(s[0], SC_EV_DialogReINVITEAccepted, 0) >= 0 && ta_find(s[1], SC_EV_DialogReINVITEAccepted, 0) >= 0;
}

static void test_glare_491_and_retry(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    ta_open(&a, &loop, "udp:127.0.0.1:0", NULL, T1);
    ta_open(&b, &loop, "udp:127.0.0.1:0", NULL, T1);
    sc_sip_call *ac, *bc;
    establish(&loop, &a, &b, &ac, &bc);
    a.auto_reinvite_ok = b.auto_reinvite_ok = true;
    assert_int_equal(sc_sip_call_reinvite(ac, hold_sdp), 0);
    assert_int_equal(sc_sip_call_reinvite(bc, hold_sdp), 0);
    ta_side *both[2] = {&a, &b};
    assert_true(tu_run_until(&loop, both_accepted, both, 3000));
    int ia = ta_find(&a, SC_EV_DialogReINVITERejected, 0), ib = ta_find(&b, SC_EV_DialogReINVITERejected, 0);
    assert_true(ia >= 0);
    assert_true(ib >= 0);
    assert_int_equal(a.ev[ia].status, 491);
    assert_int_equal(b.ev[ib].status, 491);
    assert_true(a.ev[ia].retry_ms >= 42 * T1 / 10); /* a owns the Call-ID: 2.1-4 s at T1 = 500 ms */
    assert_true(b.ev[ib].retry_ms <= 4 * T1);
    sc_sip_stats sa;
    sc_sip_get_stats(a.sip, &sa);
    assert_true(sa.rejected[SC_SIP_REJ_GLARE] >= 1);
    sc_sip_call_release(ac);
    sc_sip_call_release(bc);
    free_side(&loop, &a);
    free_side(&loop, &b);
    finish(&loop);
}

static void test_2xx_retransmitted_until_ack_timeout(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    ta_open(&a, &loop, "udp:127.0.0.1:0", NULL, T1);
    ta_open(&b, &loop, "udp:127.0.0.1:0", NULL, T1);
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", tu_port(b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, NULL, NULL), 0);
    assert_true(tu_run_until(&loop, ta_incoming, &b, 2000));
    assert_int_equal(sc_sip_call_respond(b.call, 200, NULL, offer_sdp), 0);
    /* a's TU never ACKs: b retransmits the 2xx, then reports the ACK timeout */
    assert_true(ta_wait_for(&loop, &b, SC_EV_DialogTimeout, 64 * T1 + 1000));
    int i = ta_find(&b, SC_EV_DialogTimeout, 0);
    assert_string_equal(b.ev[i].method, "ACK");
    sc_sip_stats sb, sa;
    sc_sip_get_stats(b.sip, &sb);
    sc_sip_get_stats(a.sip, &sa);
    assert_true(sb.retransmissions_sent >= 4);
    assert_true(sa.retransmissions_absorbed >= 4);
    assert_int_equal(ta_find(&a, SC_EV_Dialog200OK, ta_find(&a, SC_EV_Dialog200OK, 0) + 1), -1); /* once */
    /* the table then sends BYE */
    assert_int_equal(sc_sip_call_bye(b.call), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_DialogBYE, 2000));
    assert_int_equal(sc_sip_respond(a.sip, a.stx, 200, NULL, NULL, NULL), 0);
    assert_true(ta_wait_for(&loop, &b, SC_EV_Dialog200OK, 2000));
    sc_sip_call_release(ac);
    sc_sip_call_release(b.call);
    free_side(&loop, &a);
    free_side(&loop, &b);
    finish(&loop);
}

static void test_restore_and_in_dialog_requests(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    ta_open(&a, &loop, "udp:127.0.0.1:0", NULL, T1);
    ta_open(&b, &loop, "udp:127.0.0.1:0", NULL, T1);
    sc_sip_call *ac, *bc;
    establish(&loop, &a, &b, &ac, &bc);
    /* b "crashes": its dialog state is restored into a fresh agent on the same port */
    sc_sip_dialog_state saved;
    sc_sip_call_dialog(bc, &saved);
    char spec[64];
    snprintf(spec, sizeof spec, "udp:127.0.0.1:%u", tu_port(b.sip, 0));
    sc_sip_call_release(bc);
    free_side(&loop, &b);
    tu_run(&loop, NULL, 10);
    ta_side b2;
    ta_open(&b2, &loop, spec, NULL, T1);
    sc_sip_call *rc;
    assert_int_equal(sc_sip_call_restore(b2.sip, &rc, &saved, NULL), 0);
    assert_string_equal(sc_sip_call_id(rc), saved.call_id);
    /* INFO from a to the restored call, answered 200 */
    assert_int_equal(sc_sip_call_request(ac, "INFO", "X-Test: yes\r\n", "application/dtmf-relay", "Signal=5\r\n"), 0);
    assert_int_equal(sc_sip_call_request(ac, "BYE", NULL, NULL, NULL), -EINVAL);
    assert_true(ta_wait_for(&loop, &b2, SC_EV_DialogINFO, 2000));
    assert_string_equal(b2.ev[ta_find(&b2, SC_EV_DialogINFO, 0)].body, "Signal=5\r\n");
    assert_int_equal(sc_sip_respond(b2.sip, b2.stx, 200, NULL, NULL, NULL), 0);
    assert_int_equal(sc_sip_respond(b2.sip, b2.stx, 200, NULL, NULL, NULL), -EINVAL);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog200OK, 2000));
    assert_string_equal(a.ev[ta_find(&a, SC_EV_Dialog200OK, 0)].method, "INFO");
    /* the remote party hangs up: the restored call answers */
    b2.auto_bye_ok = true;
    int from = a.n;
    assert_int_equal(sc_sip_call_bye(ac), 0);
    assert_true(ta_wait_for(&loop, &b2, SC_EV_DialogBYE, 2000));
    assert_true(ta_wait_from(&loop, &a, SC_EV_Dialog200OK, from, 2000));
    assert_string_equal(a.ev[from].method, "BYE");
    assert_int_equal(a.ev[from].status, 200);
    sc_sip_call_release(ac);
    sc_sip_call_release(rc);
    free_side(&loop, &a);
    free_side(&loop, &b2);
    finish(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_call_udp),
        cmocka_unit_test(test_full_call_tcp),
        cmocka_unit_test(test_cancel_after_ringing),
        cmocka_unit_test(test_cancel_before_provisional),
        cmocka_unit_test(test_forked_second_2xx),
        cmocka_unit_test(test_glare_491_and_retry),
        cmocka_unit_test(test_2xx_retransmitted_until_ack_timeout),
        cmocka_unit_test(test_restore_and_in_dialog_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
