/* Crash recovery of our unanswered INVITE: the caller's agent "crashes" while the callee rings,
 * a fresh agent on the same port rebuilds the INVITE client transaction from the persisted
 * dialog fields and top Via (sc_sip_call_resume_invite) and CANCELs it; the callee's 487 is
 * ACKed on the same branch, a 2xx that crossed the CANCEL is ACKed and hung up with BYE, and
 * no answer at all ends in DialogTimeout 64*T1 after the CANCEL. */
#include "sip_test_agents.h"

#define T1 10

static const char *offer_sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                               "m=audio 20000 RTP/AVP 0\r\n";

typedef struct fixture {
    uv_loop_t loop;
    ta_side a2, b;             /* the restarted caller, the callee */
    tu_msgs sent;              /* what a2 sent */
    sc_sip_dialog_state saved; /* the caller's persisted fields */
    char via[SC_SIP_URI_MAX];  /* the INVITE's top Via, persisted */
    char to[128];
    sc_sip_call *rc; /* the resumed call */
} fixture;

/* a2's send hook (the config's ud is a2's ta_side): records into the fixture, lets it through. */
static bool record_hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    (void)tp;
    (void)dst;
    fixture *f = (fixture *)(void *)((char *)ud - offsetof(fixture, a2));
    tu_msgs_add(&f->sent, data, len);
    return false;
}

/* The callee rings; the caller records its dialog and Via, then dies; a new agent listens on
 * the caller's port. */
static void crash_while_ringing(fixture *f)
{
    memset(f, 0, sizeof *f);
    uv_loop_init(&f->loop);
    ta_side a;
    ta_open(&a, &f->loop, "udp:127.0.0.1:0", NULL, T1);
    ta_open(&f->b, &f->loop, "udp:127.0.0.1:0", NULL, T1);
    snprintf(f->to, sizeof f->to, "sip:bob@127.0.0.1:%u", tu_port(f->b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", f->to, offer_sdp, NULL), 0);
    assert_int_equal(sc_sip_call_invite_via(ac, f->via, sizeof f->via), 0);
    assert_non_null(strstr(f->via, "branch=z9hG4bK"));
    char tiny[8];
    assert_int_equal(sc_sip_call_invite_via(ac, tiny, sizeof tiny), -ENOSPC);
    assert_true(tu_run_until(&f->loop, ta_incoming, &f->b, 2000));
    assert_int_equal(sc_sip_call_respond(f->b.call, 180, NULL, NULL), 0);
    assert_true(ta_wait_for(&f->loop, &a, SC_EV_Dialog180Ringing, 2000));
    sc_sip_call_dialog(ac, &f->saved);
    char spec[64];
    snprintf(spec, sizeof spec, "udp:127.0.0.1:%u", tu_port(a.sip, 0));
    sc_sip_call_release(ac); /* the crash: no CANCEL */
    sc_sip_free(a.sip);
    tu_run(&f->loop, NULL, 10);
    memset(&f->a2, 0, sizeof f->a2);
    sc_sip_config cfg = {.t1_ms = T1,
                         .t2_ms = T1 * 8,
                         .t4_ms = T1 * 10,
                         .on_event = ta_on_event,
                         .on_incoming = ta_on_incoming,
                         .ud = &f->a2,
                         .send_hook = record_hook};
    assert_int_equal(sc_sip_new(&f->a2.sip, &f->loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(f->a2.sip, spec), 0);
}

static void finish(fixture *f)
{
    sc_sip_call_release(f->rc);
    sc_sip_call_release(f->b.call);
    sc_sip_free(f->a2.sip);
    sc_sip_free(f->b.sip);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    tu_msgs_clear(&f->sent);
}

/* The caller's restart: the INVITE transaction rebuilt from what the session record keeps. */
static void resume(fixture *f)
{
    sc_sip_dialog_state st;
    memset(&st, 0, sizeof st);
    /* only what the session record keeps */
    snprintf(st.call_id, sizeof st.call_id, "%s", f->saved.call_id);
    snprintf(st.local_tag, sizeof st.local_tag, "%s", f->saved.local_tag);
    snprintf(st.local_uri, sizeof st.local_uri, "%s", f->saved.local_uri);
    snprintf(st.remote_uri, sizeof st.remote_uri, "%s", f->saved.remote_uri);
    st.local_cseq = f->saved.local_cseq;
    assert_int_equal(sc_sip_call_resume_invite(f->a2.sip, &f->rc, &st, f->via, NULL), 0);
    char via[SC_SIP_URI_MAX];
    assert_int_equal(sc_sip_call_invite_via(f->rc, via, sizeof via), 0);
    assert_string_equal(via, f->via);
    sc_sip_stats s;
    sc_sip_get_stats(f->a2.sip, &s);
    assert_int_equal(s.requests_out[SC_SIP_M_INVITE], 0); /* nothing re-sent */
    assert_int_equal(s.active_transactions, 1);
}

/* msg contains needle, or fails showing msg. */
static void assert_has(const char *msg, const char *needle)
{
    if (!strstr(msg, needle))
        fail_msg("missing \"%s\" in:\n%s", needle, msg);
}

/* msg contains the line "prefix value\r\n". */
static void assert_line(const char *msg, const char *prefix, const char *value)
{
    char line[1024];
    snprintf(line, sizeof line, "%s%s\r\n", prefix, value);
    assert_has(msg, line);
}

static const char *captured(fixture *f, const char *prefix) { return tu_msgs_find(&f->sent, prefix); }

/* The INVITE's identity in a CANCEL or ACK: Request-URI, top Via, Call-ID, From tag, CSeq 1. */
static void assert_same_tx(fixture *f, const char *msg, const char *method)
{
    char first[256];
    snprintf(first, sizeof first, "%s %s SIP/2.0\r\n", method, f->to);
    assert_true(strncmp(msg, first, strlen(first)) == 0);
    assert_line(msg, "Via: ", f->via);
    assert_line(msg, "Call-ID: ", f->saved.call_id);
    assert_line(msg, ";tag=", f->saved.local_tag);
    assert_line(msg, "CSeq: 1 ", method);
}

/* The To header line of msg has no tag (the INVITE's To). */
static void assert_to_without_tag(const char *msg)
{
    const char *to = strstr(msg, "\r\nTo: ");
    assert_non_null(to);
    const char *eol = strstr(to + 2, "\r\n");
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(eol - to), to);
    assert_null(strstr(line, "tag="));
}

static bool callee_got_ack(void *arg)
{
    fixture *f = arg;
    sc_sip_stats s;
    sc_sip_get_stats(f->b.sip, &s);
    return s.requests_in[SC_SIP_M_ACK] + s.rejected[SC_SIP_REJ_STRAY_ACK] > 0;
}

static void test_cancel_487_acked_on_same_branch(void **state)
{
    (void)state;
    fixture *f = calloc(1, sizeof *f);
    crash_while_ringing(f);
    resume(f);
    assert_int_equal(sc_sip_call_cancel(f->rc), 0);
    assert_true(ta_wait_for(&f->loop, &f->b, SC_EV_DialogCANCEL, 2000));
    assert_int_equal(sc_sip_call_respond(f->b.call, 487, NULL, NULL), 0);
    assert_true(ta_wait_for(&f->loop, &f->a2, SC_EV_Dialog487RequestTerminated, 2000));
    assert_int_equal(f->a2.ev[ta_find(&f->a2, SC_EV_Dialog487RequestTerminated, 0)].status, 487);
    assert_int_equal(sc_sip_call_cancel(f->rc), -EINVAL);
    assert_true(tu_run_until(&f->loop, callee_got_ack, f, 2000)); /* the ACK for the 487 */
    const char *cancel = captured(f, "CANCEL ");
    const char *ack = captured(f, "ACK ");
    assert_non_null(cancel);
    assert_non_null(ack);
    assert_same_tx(f, cancel, "CANCEL");
    assert_same_tx(f, ack, "ACK");
    assert_to_without_tag(cancel);
    sc_sip_stats sb;
    sc_sip_get_stats(f->b.sip, &sb);
    assert_true(sb.requests_in[SC_SIP_M_CANCEL] >= 1); /* a slow run retransmits it */
    assert_true(sb.requests_in[SC_SIP_M_ACK] >= 1);    /* matched the INVITE's transaction */
    assert_int_equal(sb.rejected[SC_SIP_REJ_STRAY_ACK], 0);
    assert_int_equal(sb.rejected[SC_SIP_REJ_NO_DIALOG], 0); /* the CANCEL found it too */
    finish(f);
    free(f);
}

static void test_2xx_crossing_cancel_acked_and_hung_up(void **state)
{
    (void)state;
    fixture *f = calloc(1, sizeof *f);
    crash_while_ringing(f);
    resume(f);
    f->b.auto_bye_ok = true;
    assert_int_equal(sc_sip_call_cancel(f->rc), 0);
    /* the callee answers before it sees the CANCEL */
    assert_int_equal(sc_sip_call_respond(f->b.call, 200, NULL, "v=0\r\nanswer\r\n"), 0);
    assert_true(ta_wait_for(&f->loop, &f->a2, SC_EV_Dialog200OK, 2000));
    sc_sip_dialog_state d;
    sc_sip_call_dialog(f->rc, &d);
    assert_int_equal(d.phase, SC_SIP_DIALOG_CONFIRMED);
    /* what the table does in Cancelling on Dialog200OK: SendAck, SendBye */
    assert_int_equal(sc_sip_call_ack(f->rc, NULL), 0);
    assert_int_equal(sc_sip_call_bye(f->rc), 0);
    assert_true(ta_wait_for(&f->loop, &f->b, SC_EV_DialogACK, 2000));
    assert_true(ta_wait_for(&f->loop, &f->b, SC_EV_DialogBYE, 2000));
    int from = ta_find(&f->a2, SC_EV_Dialog200OK, 0) + 1;
    assert_true(ta_wait_from(&f->loop, &f->a2, SC_EV_Dialog200OK, from, 2000));
    assert_string_equal(f->a2.ev[ta_find(&f->a2, SC_EV_Dialog200OK, from)].method, "BYE");
    assert_int_equal(ta_find(&f->a2, SC_EV_Dialog487RequestTerminated, 0), -1);
    const char *ack = captured(f, "ACK ");
    const char *bye = captured(f, "BYE ");
    assert_non_null(ack);
    assert_non_null(bye);
    assert_has(ack, "CSeq: 1 ACK\r\n");
    assert_has(bye, "CSeq: 2 BYE\r\n");
    assert_line(bye, "Call-ID: ", f->saved.call_id);
    sc_sip_stats sb;
    sc_sip_get_stats(f->b.sip, &sb);
    assert_int_equal(sb.active_dialogs, 0);
    finish(f);
    free(f);
}

static void test_no_answer_times_out_after_cancel(void **state)
{
    (void)state;
    fixture *f = calloc(1, sizeof *f);
    crash_while_ringing(f);
    resume(f);
    assert_int_equal(sc_sip_call_cancel(f->rc), 0);
    assert_true(ta_wait_for(&f->loop, &f->b, SC_EV_DialogCANCEL, 2000));
    /* the callee never answers the INVITE: 64*T1 after the CANCEL the INVITE is given up */
    assert_true(ta_wait_for(&f->loop, &f->a2, SC_EV_DialogTimeout, 64 * T1 * 4));
    assert_string_equal(f->a2.ev[ta_find(&f->a2, SC_EV_DialogTimeout, 0)].method, "INVITE");
    sc_sip_stats s;
    sc_sip_get_stats(f->a2.sip, &s);
    assert_true(s.responses_in[2] >= 1); /* the 200 for the CANCEL (or its retransmissions) */
    finish(f);
    free(f);
}

static void test_resume_rejects_bad_input(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a;
    ta_open(&a, &loop, "udp:127.0.0.1:0", NULL, T1);
    sc_sip_dialog_state st;
    memset(&st, 0, sizeof st);
    snprintf(st.call_id, sizeof st.call_id, "abc@127.0.0.1");
    snprintf(st.local_tag, sizeof st.local_tag, "1234");
    snprintf(st.local_uri, sizeof st.local_uri, "sip:alice@127.0.0.1");
    snprintf(st.remote_uri, sizeof st.remote_uri, "sip:bob@127.0.0.1:5999");
    st.local_cseq = 1;
    sc_sip_call *c = NULL;
    assert_int_equal(sc_sip_call_resume_invite(a.sip, &c, &st, "SIP/2.0/UDP 127.0.0.1:5060", NULL), -EINVAL);
    assert_int_equal(sc_sip_call_resume_invite(a.sip, &c, &st, "SIP/2.0/UDP 127.0.0.1:5060;branch=old", NULL), -EINVAL);
    assert_int_equal(sc_sip_call_resume_invite(a.sip, &c, &st, "", NULL), -EINVAL);
    assert_int_equal(sc_sip_call_resume_invite(a.sip, &c, &st, NULL, NULL), -EINVAL);
    snprintf(st.remote_uri, sizeof st.remote_uri, "sip:bob@127.0.0.1:5999;transport=tcp");
    assert_int_equal(sc_sip_call_resume_invite(a.sip, &c, &st, "SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKx", NULL),
                     -ENOTCONN); /* no TCP listener */
    snprintf(st.remote_uri, sizeof st.remote_uri, "sip:bob@127.0.0.1:5999");
    st.local_cseq = 0;
    assert_int_equal(sc_sip_call_resume_invite(a.sip, &c, &st, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx", NULL),
                     -EINVAL);
    sc_sip_stats s;
    sc_sip_get_stats(a.sip, &s);
    assert_int_equal(s.active_transactions, 0);
    /* a restored (confirmed) call has no INVITE to persist */
    st.local_cseq = 3;
    snprintf(st.remote_tag, sizeof st.remote_tag, "99");
    snprintf(st.remote_target, sizeof st.remote_target, "sip:bob@127.0.0.1:5999");
    st.is_uac = true;
    assert_int_equal(sc_sip_call_restore(a.sip, &c, &st, NULL), 0);
    char via[256];
    assert_int_equal(sc_sip_call_invite_via(c, via, sizeof via), -ENOENT);
    sc_sip_call_release(c);
    sc_sip_get_stats(a.sip, &s);
    sc_sip_free(a.sip);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_487_acked_on_same_branch),
        cmocka_unit_test(test_2xx_crossing_cancel_acked_and_hung_up),
        cmocka_unit_test(test_no_answer_times_out_after_cancel),
        cmocka_unit_test(test_resume_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
