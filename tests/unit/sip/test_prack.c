/* Reliable provisional responses (RFC 3262) between two agents on loopback: a 183 with SDP
 * retransmitted until its PRACK and the PRACK answered 200; the caller's Require: 100rel met
 * (a 180 without SDP goes reliably too, the 183 after it waits for the 180's PRACK); a PRACK
 * that comes after the 2xx overtook its provisional still gets 200; no PRACK at all: the
 * INVITE gets 500 after 64*T1; a PRACK naming no provisional gets 481. */
#include "sip_test_agents.h"

#define T1 10

static const char *offer_sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                               "m=audio 20000 RTP/AVP 0\r\na=sendrecv\r\n";
static const char *answer_sdp = "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                                "m=audio 30000 RTP/AVP 0\r\na=sendrecv\r\n";

/* What each side sent (both sides' hooks record; the caller's may swallow its PRACKs). */
static tu_msgs sent_a, sent_b;
static int drop_pracks; /* PRACKs of A still to swallow (-1: all) */

static bool hook_a(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    (void)ud;
    (void)tp;
    (void)dst;
    tu_msgs_add(&sent_a, data, len);
    if (len > 6 && !strncmp(data, "PRACK ", 6) && drop_pracks != 0) {
        if (drop_pracks > 0)
            drop_pracks--;
        return true;
    }
    return false;
}

static bool hook_b(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    (void)ud;
    (void)tp;
    (void)dst;
    tu_msgs_add(&sent_b, data, len);
    return false;
}

static void open_side(ta_side *s, uv_loop_t *loop, sc_sip_send_hook hook)
{
    memset(s, 0, sizeof *s);
    sc_sip_config cfg = {.t1_ms = T1,
                         .t2_ms = T1 * 8,
                         .t4_ms = T1 * 10,
                         .on_event = ta_on_event,
                         .on_incoming = ta_on_incoming,
                         .send_hook = hook,
                         .ud = s};
    assert_int_equal(sc_sip_new(&s->sip, loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(s->sip, "udp:127.0.0.1:0"), 0);
}

typedef struct fx {
    uv_loop_t loop;
    ta_side a, b;
    sc_sip_call *ac;
} fx;

static void call_setup(fx *f, const char *extra)
{
    tu_msgs_clear(&sent_a);
    tu_msgs_clear(&sent_b);
    uv_loop_init(&f->loop);
    open_side(&f->a, &f->loop, hook_a);
    open_side(&f->b, &f->loop, hook_b);
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", tu_port(f->b.sip, 0));
    assert_int_equal(sc_sip_call_invite_ex(f->a.sip, &f->ac, "sip:alice@127.0.0.1", to, extra, offer_sdp, &f->a), 0);
    assert_true(tu_run_until(&f->loop, ta_incoming, &f->b, 2000));
    const char *inv = tu_msgs_find(&sent_a, "INVITE ");
    assert_non_null(inv);
    assert_non_null(strstr(inv, "Supported: replaces, 100rel\r\n")); /* we offer 100rel */
}

static void call_teardown(fx *f)
{
    sc_sip_call_release(f->ac);
    sc_sip_call_release(f->b.call);
    sc_sip_free(f->a.sip);
    sc_sip_free(f->b.sip);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    tu_msgs_clear(&sent_a);
    tu_msgs_clear(&sent_b);
}

static int count_events(const ta_side *s, sc_builtin_event type)
{
    int n = 0;
    for (int i = 0; i < s->n; i++)
        n += s->ev[i].type == type;
    return n;
}

static bool two_retransmissions(void *arg)
{
    (void)arg;
    return tu_msgs_count(&sent_b, "SIP/2.0 183") >= 3;
}

static void test_reliable_183_until_prack(void **state)
{
    (void)state;
    fx f;
    drop_pracks = -1; /* A's PRACKs are lost until further notice */
    call_setup(&f, NULL);
    assert_int_equal(sc_sip_call_respond(f.b.call, 183, NULL, answer_sdp), 0);
    const char *p183 = tu_msgs_find(&sent_b, "SIP/2.0 183");
    assert_non_null(p183);
    assert_non_null(strstr(p183, "Require: 100rel\r\n"));
    assert_non_null(strstr(p183, "RSeq: "));
    /* the 183 is sent again (T1, 2*T1...) while no PRACK comes; A reports it once */
    assert_true(tu_run_until(&f.loop, two_retransmissions, NULL, 2000));
    assert_true(ta_wait_for(&f.loop, &f.a, SC_EV_Dialog183SessionProgress, 2000));
    assert_int_equal(count_events(&f.a, SC_EV_Dialog183SessionProgress), 1);
    assert_string_equal(f.a.ev[ta_find(&f.a, SC_EV_Dialog183SessionProgress, 0)].body, answer_sdp);
    const char *prack = tu_msgs_find(&sent_a, "PRACK ");
    assert_non_null(prack);
    char rack[64];
    snprintf(rack, sizeof rack, "RAck: %lu 1 INVITE\r\n", strtoul(strstr(p183, "RSeq: ") + 6, NULL, 10));
    assert_non_null(strstr(prack, rack));
    /* the PRACKs get through now (A's transaction retransmits): answered 200, the 183 stops */
    drop_pracks = 0;
    sc_sip_stats sb;
    for (int i = 0; i < 200; i++) {
        uv_run(&f.loop, UV_RUN_NOWAIT);
        if (tu_msgs_find(&sent_b, "SIP/2.0 200 OK"))
            break;
        uv_sleep(5);
    }
    const char *ok = tu_msgs_find(&sent_b, "SIP/2.0 200 OK");
    assert_non_null(ok);
    assert_non_null(strstr(ok, "CSeq: 2 PRACK\r\n"));
    sc_sip_get_stats(f.b.sip, &sb);
    assert_true(sb.requests_in[SC_SIP_M_PRACK] >= 1);
    size_t n183 = tu_msgs_count(&sent_b, "SIP/2.0 183");
    tu_run(&f.loop, NULL, 20 * T1); /* well past the next retransmission */
    assert_int_equal(tu_msgs_count(&sent_b, "SIP/2.0 183"), n183);
    /* the answer; A's Dialog200OK and the ACK as usual */
    assert_int_equal(sc_sip_call_respond(f.b.call, 200, NULL, answer_sdp), 0);
    assert_true(ta_wait_for(&f.loop, &f.a, SC_EV_Dialog200OK, 2000));
    assert_int_equal(sc_sip_call_ack(f.ac, NULL), 0);
    assert_true(ta_wait_for(&f.loop, &f.b, SC_EV_DialogACK, 2000));
    call_teardown(&f);
}

static bool b_got_two_pracks(void *arg)
{
    sc_sip_stats s;
    sc_sip_get_stats(((fx *)arg)->b.sip, &s);
    return s.requests_in[SC_SIP_M_PRACK] >= 2 && tu_msgs_count(&sent_b, "SIP/2.0 200 OK") >= 2;
}

static void test_required_by_caller(void **state)
{
    (void)state;
    fx f;
    drop_pracks = 0;
    call_setup(&f, "Require: 100rel\r\n");
    /* a 180 without SDP is reliable too; the 183 waits for its PRACK; so does the 2xx for the
     * 183's (it carried SDP) */
    assert_int_equal(sc_sip_call_respond(f.b.call, 180, NULL, NULL), 0);
    assert_int_equal(sc_sip_call_respond(f.b.call, 183, NULL, answer_sdp), 0);
    assert_int_equal(sc_sip_call_respond(f.b.call, 200, NULL, answer_sdp), 0);
    assert_int_equal(tu_msgs_count(&sent_b, "SIP/2.0 183"), 0); /* not yet: the 180 is unacknowledged */
    assert_non_null(strstr(tu_msgs_find(&sent_b, "SIP/2.0 180"), "Require: 100rel\r\n"));
    bool two = tu_run_until(&f.loop, b_got_two_pracks, &f, 2000);
    for (size_t i = 0; !two && i < sent_a.count; i++)
        fprintf(stderr, "A> %.60s\n", sent_a.msg[i]);
    for (size_t i = 0; !two && i < sent_b.count; i++)
        fprintf(stderr, "B> %.60s\n", sent_b.msg[i]);
    assert_true(two);
    assert_true(ta_wait_for(&f.loop, &f.a, SC_EV_Dialog200OK, 2000));
    int r180 = ta_find(&f.a, SC_EV_Dialog180Ringing, 0), r183 = ta_find(&f.a, SC_EV_Dialog183SessionProgress, 0);
    assert_true(r180 >= 0 && r183 > r180 && ta_find(&f.a, SC_EV_Dialog200OK, 0) > r183);
    /* RSeq goes up by one */
    unsigned long s1 = strtoul(strstr(tu_msgs_find(&sent_b, "SIP/2.0 180"), "RSeq: ") + 6, NULL, 10);
    unsigned long s2 = strtoul(strstr(tu_msgs_find(&sent_b, "SIP/2.0 183"), "RSeq: ") + 6, NULL, 10);
    assert_int_equal(s2, s1 + 1);
    assert_int_equal(sc_sip_call_ack(f.ac, NULL), 0);
    assert_true(ta_wait_for(&f.loop, &f.b, SC_EV_DialogACK, 2000));
    call_teardown(&f);
}

static bool prack_answered(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < sent_b.count; i++)
        if (!strncmp(sent_b.msg[i], "SIP/2.0 ", 8) && strstr(sent_b.msg[i], "CSeq: 2 PRACK\r\n"))
            return true;
    return false;
}

static void test_late_prack_after_2xx(void **state)
{
    (void)state;
    fx f;
    drop_pracks = 1; /* the PRACK of the 180 is late: its first send is lost */
    call_setup(&f, "Require: 100rel\r\n");
    assert_int_equal(sc_sip_call_respond(f.b.call, 180, NULL, NULL), 0);
    /* no SDP in the 180: the 2xx need not wait for its PRACK (RFC 3262 3) */
    assert_int_equal(sc_sip_call_respond(f.b.call, 200, NULL, answer_sdp), 0);
    assert_non_null(tu_msgs_find(&sent_b, "SIP/2.0 200 OK"));
    assert_true(tu_run_until(&f.loop, prack_answered, NULL, 2000)); /* A's retransmitted PRACK */
    for (size_t i = 0; i < sent_b.count; i++)
        if (strstr(sent_b.msg[i], "CSeq: 2 PRACK\r\n") && strncmp(sent_b.msg[i], "SIP/2.0 200", 11) != 0)
            fail_msg("not 200: %.300s", sent_b.msg[i]); /* never 481 */
    assert_true(ta_wait_for(&f.loop, &f.a, SC_EV_Dialog200OK, 2000));
    assert_int_equal(sc_sip_call_ack(f.ac, NULL), 0);
    assert_true(ta_wait_for(&f.loop, &f.b, SC_EV_DialogACK, 2000));
    call_teardown(&f);
}

static void test_no_prack_500(void **state)
{
    (void)state;
    fx f;
    drop_pracks = -1;
    call_setup(&f, NULL);
    assert_int_equal(sc_sip_call_respond(f.b.call, 183, NULL, answer_sdp), 0);
    assert_true(ta_wait_for(&f.loop, &f.b, SC_EV_DialogError, 64 * T1 + 2000));
    assert_string_equal(f.b.ev[ta_find(&f.b, SC_EV_DialogError, 0)].method, "PRACK");
    assert_true(ta_wait_for(&f.loop, &f.a, SC_EV_Dialog5xx, 2000));
    assert_non_null(tu_msgs_find(&sent_b, "SIP/2.0 500"));
    drop_pracks = 0;
    call_teardown(&f);
}

static void test_unknown_rack_481(void **state)
{
    (void)state;
    fx f;
    drop_pracks = 0;
    call_setup(&f, NULL);
    assert_int_equal(sc_sip_call_respond(f.b.call, 183, NULL, answer_sdp), 0);
    assert_true(ta_wait_for(&f.loop, &f.a, SC_EV_Dialog183SessionProgress, 2000));
    /* the provisional is acknowledged; a PRACK for it again (a new transaction) matches nothing */
    for (int i = 0; i < 200 && tu_msgs_count(&sent_b, "SIP/2.0 200 OK") < 1; i++) {
        uv_run(&f.loop, UV_RUN_NOWAIT);
        uv_sleep(2);
    }
    const char *prack = tu_msgs_find(&sent_a, "PRACK ");
    assert_non_null(prack);
    char *again = strdup(prack);
    char *br = strstr(again, "branch=z9hG4bK"), *cseq = strstr(again, "CSeq: 2 PRACK");
    assert_non_null(br);
    assert_non_null(cseq);
    br[14] = br[14] == 'a' ? 'b' : 'a'; /* another transaction */
    cseq[6] = '3';
    struct sockaddr_storage bl;
    assert_int_equal(sc_sip_listener_addr(f.b.sip, 0, &bl), 0);
    struct sockaddr_storage al;
    assert_int_equal(sc_sip_listener_addr(f.a.sip, 0, &al), 0);
    sc_sip_feed(f.b.sip, SC_SIP_UDP, (struct sockaddr *)&al, again, strlen(again));
    free(again);
    assert_non_null(tu_msgs_find(&sent_b, "SIP/2.0 481"));
    call_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reliable_183_until_prack), cmocka_unit_test(test_required_by_caller),
        cmocka_unit_test(test_late_prack_after_2xx),     cmocka_unit_test(test_no_prack_500),
        cmocka_unit_test(test_unknown_rack_481),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
