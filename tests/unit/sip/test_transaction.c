/* Transaction timer tests with a small T1 against a raw UDP peer: INVITE client retransmits
 * (timer A) and times out (B); non-INVITE client (E, F); ACK for non-2xx; INVITE server absorbs
 * retransmissions, re-sends its last response, retransmits a final answer until ACK (G). */
#include "sip_test_agents.h"

#define T1 10

typedef struct fx {
    uv_loop_t loop;
    ta_side a;
    tu_peer p;
    struct sockaddr_storage agent;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    ta_open(&f->a, &f->loop, "udp:127.0.0.1:0", NULL, T1);
    tu_peer_open(&f->p, &f->loop);
    sc_sip_listener_addr(f->a.sip, 0, &f->agent);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tu_peer_close(&f->p);
    sc_sip_free(f->a.sip);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    return 0;
}

static bool peer_count(void *arg)
{
    void **a = arg;
    return tu_msgs_count(a[0], a[1]) >= (size_t)(uintptr_t)a[2];
}

static void wait_peer(fx *f, const char *prefix, size_t n)
{
    void *arg[3] = {&f->p.got, (void *)prefix, (void *)(uintptr_t)n};
    assert_true(tu_run_until(&f->loop, peer_count, arg, 2000));
}

static sc_sip_stats stats(fx *f)
{
    sc_sip_stats s;
    sc_sip_get_stats(f->a.sip, &s);
    return s;
}

static void header_of(const char *msg, const char *name, char *out, size_t cap)
{
    const char *p = strstr(msg, name);
    assert_non_null(p);
    p += strlen(name);
    size_t n = strcspn(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static void test_invite_client_timer_a_and_b(void **state)
{
    fx *f = *state;
    char to[64];
    snprintf(to, sizeof to, "sip:silent@127.0.0.1:%u", f->p.port);
    sc_sip_call *c;
    assert_int_equal(sc_sip_call_invite(f->a.sip, &c, "sip:a@127.0.0.1", to, NULL, NULL), 0);
    assert_true(ta_wait_for(&f->loop, &f->a, SC_EV_DialogTimeout, 64 * T1 + 1000));
    size_t n = tu_msgs_count(&f->p.got, "INVITE ");
    /* sent at 0, T1, 3T1, 7T1, 15T1, 31T1, 63T1; timer B at 64T1 */
    assert_true(n >= 6 && n <= 7);
    assert_int_equal(stats(f).retransmissions_sent, n - 1);
    assert_string_equal(f->a.ev[ta_find(&f->a, SC_EV_DialogTimeout, 0)].method, "INVITE");
    assert_int_equal(stats(f).active_transactions, 0);
    assert_int_equal(sc_sip_call_cancel(c), -EINVAL);
    sc_sip_call_release(c);
    assert_int_equal(stats(f).active_calls, 0);
}

static void test_non_invite_client_timer_e_and_f(void **state)
{
    fx *f = *state;
    sc_sip_dialog_state d;
    memset(&d, 0, sizeof d);
    snprintf(d.call_id, sizeof d.call_id, "restored@127.0.0.1");
    snprintf(d.local_tag, sizeof d.local_tag, "lt");
    snprintf(d.remote_tag, sizeof d.remote_tag, "rt");
    snprintf(d.local_uri, sizeof d.local_uri, "sip:a@127.0.0.1");
    snprintf(d.remote_uri, sizeof d.remote_uri, "sip:b@127.0.0.1");
    snprintf(d.remote_target, sizeof d.remote_target, "sip:b@127.0.0.1:%u", f->p.port);
    d.local_cseq = 10;
    d.remote_addr = f->p.addr;
    d.transport = SC_SIP_UDP;
    sc_sip_call *c;
    assert_int_equal(sc_sip_call_restore(f->a.sip, &c, &d, NULL), 0);
    assert_int_equal(sc_sip_call_request(c, "INFO", NULL, NULL, NULL), 0);
    assert_true(ta_wait_for(&f->loop, &f->a, SC_EV_DialogTimeout, 64 * T1 + 1000));
    size_t n = tu_msgs_count(&f->p.got, "INFO ");
    /* E doubles up to T2 = 8 T1: 0,1,3,7,15,23,...,63 T1 */
    assert_true(n >= 9 && n <= 12);
    assert_non_null(strstr(f->p.got.msg[0], "CSeq: 11 INFO\r\n"));
    assert_string_equal(f->a.ev[ta_find(&f->a, SC_EV_DialogTimeout, 0)].method, "INFO");
    sc_sip_call_release(c);
}

static void test_ack_for_non_2xx(void **state)
{
    fx *f = *state;
    char to[64];
    snprintf(to, sizeof to, "sip:busy@127.0.0.1:%u", f->p.port);
    sc_sip_call *c;
    assert_int_equal(sc_sip_call_invite(f->a.sip, &c, "sip:a@127.0.0.1", to, NULL, NULL), 0);
    wait_peer(f, "INVITE ", 1);
    const char *inv = f->p.got.msg[0];
    char via[256], from[256], callid[256], toh[256];
    header_of(inv, "Via: ", via, sizeof via);
    header_of(inv, "From: ", from, sizeof from);
    header_of(inv, "Call-ID: ", callid, sizeof callid);
    header_of(inv, "To: ", toh, sizeof toh);
    char *busy = tu_fmt("SIP/2.0 486 Busy Here\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=b1\r\nCall-ID: %s\r\n"
                        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
                        via, from, toh, callid);
    tu_peer_send(&f->p, &f->agent, busy);
    assert_true(ta_wait_for(&f->loop, &f->a, SC_EV_Dialog4xx, 2000));
    wait_peer(f, "ACK ", 1);
    const char *ack = tu_msgs_find(&f->p.got, "ACK ");
    char ackvia[256];
    header_of(ack, "Via: ", ackvia, sizeof ackvia);
    assert_string_equal(ackvia, via); /* same branch as the INVITE */
    assert_non_null(strstr(ack, "CSeq: 1 ACK\r\n"));
    assert_non_null(strstr(ack, ";tag=b1"));
    tu_peer_send(&f->p, &f->agent, busy); /* retransmitted 486: the ACK again, no new event */
    wait_peer(f, "ACK ", 2);
    assert_int_equal(f->a.ev[ta_find(&f->a, SC_EV_Dialog4xx, 0)].status, 486);
    assert_int_equal(ta_find(&f->a, SC_EV_Dialog4xx, ta_find(&f->a, SC_EV_Dialog4xx, 0) + 1), -1);
    free(busy);
    sc_sip_call_release(c);
}

#define INVITE_FROM_PEER(branch, port)                                                                   \
    tu_fmt("INVITE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=" branch ";rport\r\n" \
           "Max-Forwards: 70\r\nFrom: <sip:p@127.0.0.1>;tag=pt\r\nTo: <sip:a@127.0.0.1>\r\n"             \
           "Call-ID: srv1@127.0.0.1\r\nCSeq: 5 INVITE\r\nContact: <sip:p@127.0.0.1:%u>\r\n"              \
           "Content-Length: 0\r\n\r\n",                                                                  \
           port, port)

static void test_invite_server_retransmissions(void **state)
{
    fx *f = *state;
    char *inv = INVITE_FROM_PEER("z9hG4bKsrv1", f->p.port);
    tu_peer_send(&f->p, &f->agent, inv);
    assert_true(tu_run_until(&f->loop, ta_incoming, &f->a, 2000));
    wait_peer(f, "SIP/2.0 100 ", 1);
    tu_peer_send(&f->p, &f->agent, inv); /* retransmission: the 100 again, no new call */
    wait_peer(f, "SIP/2.0 100 ", 2);
    assert_int_equal(f->a.incoming, 1);
    assert_int_equal(sc_sip_call_respond(f->a.call, 486, NULL, NULL), 0);
    wait_peer(f, "SIP/2.0 486 ", 3); /* timer G re-sends it until the ACK */
    const char *r = tu_msgs_find(&f->p.got, "SIP/2.0 486 ");
    char toh[256];
    header_of(r, "To: ", toh, sizeof toh);
    char *ack = tu_fmt("ACK sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKsrv1\r\n"
                       "Max-Forwards: 70\r\nFrom: <sip:p@127.0.0.1>;tag=pt\r\nTo: %s\r\n"
                       "Call-ID: srv1@127.0.0.1\r\nCSeq: 5 ACK\r\nContent-Length: 0\r\n\r\n",
                       f->p.port, toh);
    tu_peer_send(&f->p, &f->agent, ack);
    tu_run(&f->loop, NULL, 20);
    size_t n = tu_msgs_count(&f->p.got, "SIP/2.0 486 ");
    uint64_t absorbed = stats(f).retransmissions_absorbed;
    tu_peer_send(&f->p, &f->agent, inv); /* late retransmission: absorbed in Confirmed (timer I) */
    tu_run(&f->loop, NULL, 20);
    assert_int_equal(stats(f).retransmissions_absorbed, absorbed + 1);
    tu_run(&f->loop, NULL, 100);
    assert_int_equal(tu_msgs_count(&f->p.got, "SIP/2.0 486 "), n); /* G stopped */
    assert_int_equal(stats(f).active_transactions, 0);             /* I fired */
    /* the same INVITE once the transaction is gone: a merged request */
    tu_peer_send(&f->p, &f->agent, inv);
    wait_peer(f, "SIP/2.0 482 ", 1);
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_STRAY_ACK], 0);
    assert_int_equal(f->a.incoming, 1);
    free(inv);
    free(ack);
    sc_sip_call_release(f->a.call);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_invite_client_timer_a_and_b, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_invite_client_timer_e_and_f, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_for_non_2xx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invite_server_retransmissions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
