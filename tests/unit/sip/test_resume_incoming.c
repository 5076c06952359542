/* Crash recovery of an incoming call still ringing: the callee's agent "crashes" after its 180,
 * a fresh agent on the same port rebuilds the INVITE server transaction from the persisted
 * dialog fields and the INVITE's Vias (sc_sip_call_resume_incoming); its 200 carries the stored
 * Vias and is retransmitted until the ACK, a BYE then follows the route set, and a CANCEL gets
 * 200 while the 487 is retransmitted until its ACK. The caller is a raw UDP peer. */
#include "sip_test_agents.h"

#define T1 10

static bool g_crashed; /* the first callee agent is dead: it sends nothing any more */

static bool crash_hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    (void)ud;
    (void)tp;
    (void)dst;
    (void)data;
    (void)len;
    return g_crashed; /* true: swallowed */
}

typedef struct fixture {
    uv_loop_t loop;
    tu_peer p;                   /* the caller */
    struct sockaddr_storage dst; /* the callee's listener */
    ta_side b2;                  /* the restarted callee */
    sc_sip_dialog_state saved;   /* the callee's persisted fields */
    char vias[2048];             /* the INVITE's Vias, persisted */
    char top_via[128];
    sc_sip_call *rc; /* the resumed call */
} fixture;

static const char *g_second_via = "SIP/2.0/UDP 10.9.9.9:5070;branch=z9hG4bKupstream1;received=10.9.9.8";

static char *invite(fixture *f)
{
    return tu_fmt("INVITE sip:bob@127.0.0.1:%u SIP/2.0\r\n"
                  "Via: %s\r\n"
                  "Via: %s\r\n"
                  "Record-Route: <sip:proxy@127.0.0.1:%u;lr>\r\n"
                  "From: \"Alice\" <sip:alice@127.0.0.1>;tag=caller1\r\n"
                  "To: <sip:bob@127.0.0.1:%u>\r\n"
                  "Call-ID: resume-incoming-1@test\r\n"
                  "CSeq: 7 INVITE\r\n"
                  "Contact: <sip:alice@127.0.0.1:%u>\r\n"
                  "Max-Forwards: 70\r\n"
                  "Content-Length: 0\r\n\r\n",
                  ntohs(((struct sockaddr_in *)&f->dst)->sin_port), f->top_via, g_second_via, f->p.port,
                  ntohs(((struct sockaddr_in *)&f->dst)->sin_port), f->p.port);
}

/* A request of the caller inside the INVITE's transaction or dialog. */
static char *caller_request(fixture *f, const char *method, const char *via, int cseq, bool to_tag)
{
    uint16_t port = ntohs(((struct sockaddr_in *)&f->dst)->sin_port);
    return tu_fmt("%s sip:bob@127.0.0.1:%u SIP/2.0\r\n"
                  "Via: %s\r\n"
                  "From: \"Alice\" <sip:alice@127.0.0.1>;tag=caller1\r\n"
                  "To: <sip:bob@127.0.0.1:%u>%s%s\r\n"
                  "Call-ID: resume-incoming-1@test\r\n"
                  "CSeq: %d %s\r\n"
                  "Max-Forwards: 70\r\n"
                  "Content-Length: 0\r\n\r\n",
                  method, port, via, port, to_tag ? ";tag=" : "", to_tag ? f->saved.local_tag : "", cseq, method);
}

static void caller_send(fixture *f, char *msg)
{
    tu_peer_send(&f->p, &f->dst, msg);
    free(msg);
}

/* The caller's messages received whose first line starts with prefix and that contain needle. */
static size_t got_count(const fixture *f, const char *prefix, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < f->p.got.count; i++)
        if (!strncmp(f->p.got.msg[i], prefix, strlen(prefix)) && strstr(f->p.got.msg[i], needle))
            n++;
    return n;
}

static const char *got_find(const fixture *f, const char *prefix, const char *needle)
{
    for (size_t i = 0; i < f->p.got.count; i++)
        if (!strncmp(f->p.got.msg[i], prefix, strlen(prefix)) && strstr(f->p.got.msg[i], needle))
            return f->p.got.msg[i];
    return NULL;
}

typedef struct got_wait {
    fixture *f;
    const char *prefix, *needle;
    size_t n;
} got_wait;

static bool got_enough(void *arg)
{
    got_wait *w = arg;
    return got_count(w->f, w->prefix, w->needle) >= w->n;
}

static bool wait_got(fixture *f, const char *prefix, const char *needle, size_t n)
{
    got_wait w = {f, prefix, needle, n};
    return tu_run_until(&f->loop, got_enough, &w, 2000);
}

static void assert_has(const char *msg, const char *needle)
{
    if (!msg || !strstr(msg, needle))
        fail_msg("missing \"%s\" in:\n%s", needle, msg ? msg : "(none)");
}

/* The callee rings (180 with its tag); its persisted fields and the INVITE's Vias are kept;
 * then it dies silently and a new agent listens on its port. */
static void crash_while_ringing(fixture *f)
{
    memset(f, 0, sizeof *f);
    g_crashed = false;
    uv_loop_init(&f->loop);
    tu_peer_open(&f->p, &f->loop);
    snprintf(f->top_via, sizeof f->top_via, "SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKcaller7", f->p.port);
    ta_side b;
    memset(&b, 0, sizeof b);
    sc_sip_config cfg = {.t1_ms = T1,
                         .t2_ms = T1 * 8,
                         .t4_ms = T1 * 10,
                         .on_event = ta_on_event,
                         .on_incoming = ta_on_incoming,
                         .ud = &b,
                         .send_hook = crash_hook};
    assert_int_equal(sc_sip_new(&b.sip, &f->loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(b.sip, "udp:127.0.0.1:0"), 0);
    assert_int_equal(sc_sip_listener_addr(b.sip, 0, &f->dst), 0);
    caller_send(f, invite(f));
    assert_true(tu_run_until(&f->loop, ta_incoming, &b, 2000));
    assert_int_equal(sc_sip_call_respond(b.call, 180, NULL, NULL), 0);
    assert_true(wait_got(f, "SIP/2.0 180", "CSeq: 7 INVITE", 1));
    assert_int_equal(sc_sip_call_incoming_vias(b.call, f->vias, sizeof f->vias), 0);
    char tiny[16];
    assert_int_equal(sc_sip_call_incoming_vias(b.call, tiny, sizeof tiny), -ENOSPC);
    sc_sip_call_dialog(b.call, &f->saved);
    g_crashed = true; /* kill -9: nothing more leaves */
    sc_sip_call_release(b.call);
    sc_sip_free(b.sip);
    tu_run(&f->loop, NULL, 10);
    tu_msgs_clear(&f->p.got);
    char spec[64];
    snprintf(spec, sizeof spec, "udp:127.0.0.1:%u", ntohs(((struct sockaddr_in *)&f->dst)->sin_port));
    ta_open(&f->b2, &f->loop, spec, NULL, T1);
}

static void finish(fixture *f)
{
    sc_sip_call_release(f->rc);
    sc_sip_free(f->b2.sip);
    tu_peer_close(&f->p);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* The restart: only what the session record keeps. */
static void resume(fixture *f)
{
    sc_sip_dialog_state st;
    memset(&st, 0, sizeof st);
    snprintf(st.call_id, sizeof st.call_id, "%s", f->saved.call_id);
    snprintf(st.local_tag, sizeof st.local_tag, "%s", f->saved.local_tag);
    snprintf(st.remote_tag, sizeof st.remote_tag, "%s", f->saved.remote_tag);
    snprintf(st.local_uri, sizeof st.local_uri, "%s", f->saved.local_uri);
    snprintf(st.remote_uri, sizeof st.remote_uri, "%s", f->saved.remote_uri);
    snprintf(st.remote_target, sizeof st.remote_target, "%s", f->saved.remote_target);
    snprintf(st.route_set, sizeof st.route_set, "%s", f->saved.route_set);
    st.local_cseq = f->saved.local_cseq;
    st.remote_cseq = f->saved.remote_cseq;
    st.transport = f->saved.transport;
    assert_int_equal(st.remote_cseq, 7);
    assert_int_equal(sc_sip_call_resume_incoming(f->b2.sip, &f->rc, &st, f->vias, NULL), 0);
    char again[2048];
    assert_int_equal(sc_sip_call_incoming_vias(f->rc, again, sizeof again), 0);
    assert_string_equal(again, f->vias);
    sc_sip_stats s;
    sc_sip_get_stats(f->b2.sip, &s);
    assert_int_equal(s.active_transactions, 1);
    tu_run(&f->loop, NULL, 20);
    assert_int_equal(f->p.got.count, 0); /* nothing sent by the rebuild */
}

/* A final response to the INVITE: both Vias in order, From/To with the tags, CSeq 7 INVITE. */
static void assert_invite_response(fixture *f, const char *msg)
{
    assert_has(msg, "CSeq: 7 INVITE\r\n");
    assert_has(msg, "Call-ID: resume-incoming-1@test\r\n");
    char *v1 = tu_fmt("Via: %s\r\n", f->top_via);
    char *v2 = tu_fmt("Via: %s\r\n", g_second_via);
    assert_has(msg, v1);
    assert_has(msg, v2);
    assert_true(strstr(msg, v1) < strstr(msg, v2));
    free(v1);
    free(v2);
    assert_has(msg, ";tag=caller1");
    char *to = tu_fmt(";tag=%s", f->saved.local_tag);
    assert_has(strstr(msg, "\r\nTo: "), to);
    free(to);
}

static void test_answer_after_restart(void **state)
{
    (void)state;
    fixture *f = calloc(1, sizeof *f);
    crash_while_ringing(f);
    resume(f);
    assert_int_equal(sc_sip_call_respond(f->rc, 200, NULL, "v=0\r\nanswer\r\n"), 0);
    assert_true(wait_got(f, "SIP/2.0 200", "CSeq: 7 INVITE", 2)); /* retransmitted until the ACK */
    const char *ok = got_find(f, "SIP/2.0 200", "CSeq: 7 INVITE");
    assert_invite_response(f, ok);
    assert_has(ok, "Record-Route: <sip:proxy@127.0.0.1:");
    assert_has(ok, "Contact: <sip:127.0.0.1:");
    assert_has(ok, "answer");
    caller_send(f, caller_request(f, "ACK", "SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKack7", 7, true));
    assert_true(ta_wait_for(&f->loop, &f->b2, SC_EV_DialogACK, 2000));
    tu_run(&f->loop, NULL, 30);
    size_t n = got_count(f, "SIP/2.0 200", "CSeq: 7 INVITE");
    tu_run(&f->loop, NULL, 200);
    assert_int_equal(got_count(f, "SIP/2.0 200", "CSeq: 7 INVITE"), n); /* the ACK stopped them */
    /* the dialog goes on: our BYE to the caller's Contact through the route set */
    assert_int_equal(sc_sip_call_bye(f->rc), 0);
    assert_true(wait_got(f, "BYE sip:alice@127.0.0.1:", "Route: <sip:proxy@127.0.0.1:", 1));
    const char *bye = got_find(f, "BYE ", "");
    assert_has(bye, "Call-ID: resume-incoming-1@test\r\n");
    assert_has(bye, "To: <sip:alice@127.0.0.1>;tag=caller1\r\n");
    finish(f);
    free(f);
}

static void test_cancel_after_restart(void **state)
{
    (void)state;
    fixture *f = calloc(1, sizeof *f);
    crash_while_ringing(f);
    resume(f);
    caller_send(f, caller_request(f, "CANCEL", f->top_via, 7, false));
    assert_true(ta_wait_for(&f->loop, &f->b2, SC_EV_DialogCANCEL, 2000));
    assert_true(wait_got(f, "SIP/2.0 200", "CSeq: 7 CANCEL", 1));
    /* what the table does on DialogCANCEL: 487 to the INVITE */
    assert_int_equal(sc_sip_call_respond(f->rc, 487, NULL, NULL), 0);
    assert_true(wait_got(f, "SIP/2.0 487", "CSeq: 7 INVITE", 2)); /* retransmitted until the ACK */
    assert_invite_response(f, got_find(f, "SIP/2.0 487", "CSeq: 7 INVITE"));
    caller_send(f, caller_request(f, "ACK", f->top_via, 7, true)); /* same branch (17.1.1.3) */
    tu_run(&f->loop, NULL, 30);
    size_t n = got_count(f, "SIP/2.0 487", "");
    tu_run(&f->loop, NULL, 200);
    assert_int_equal(got_count(f, "SIP/2.0 487", ""), n); /* absorbed: no more 487 */
    sc_sip_stats s;
    sc_sip_get_stats(f->b2.sip, &s);
    assert_int_equal(s.rejected[SC_SIP_REJ_STRAY_ACK], 0);
    assert_int_equal(s.rejected[SC_SIP_REJ_NO_DIALOG], 0); /* the CANCEL found the transaction */
    assert_int_equal(sc_sip_call_respond(f->rc, 200, NULL, NULL), -EINVAL);
    finish(f);
    free(f);
}

static void test_resume_incoming_rejects_bad_input(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a;
    ta_open(&a, &loop, "udp:127.0.0.1:0", NULL, T1);
    sc_sip_dialog_state st;
    memset(&st, 0, sizeof st);
    snprintf(st.call_id, sizeof st.call_id, "x@y");
    snprintf(st.local_tag, sizeof st.local_tag, "l1");
    snprintf(st.remote_tag, sizeof st.remote_tag, "r1");
    snprintf(st.local_uri, sizeof st.local_uri, "sip:bob@127.0.0.1");
    snprintf(st.remote_uri, sizeof st.remote_uri, "sip:alice@127.0.0.1");
    snprintf(st.remote_target, sizeof st.remote_target, "sip:alice@127.0.0.1:5999");
    st.remote_cseq = 1;
    sc_sip_call *c = NULL;
    assert_int_equal(sc_sip_call_resume_incoming(a.sip, &c, &st, "", NULL), -EINVAL);
    assert_int_equal(sc_sip_call_resume_incoming(a.sip, &c, &st, "not a via", NULL), -EINVAL);
    st.remote_cseq = 0;
    assert_int_equal(sc_sip_call_resume_incoming(a.sip, &c, &st, "SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKx", NULL),
                     -EINVAL);
    sc_sip_stats s;
    sc_sip_get_stats(a.sip, &s);
    assert_int_equal(s.active_transactions, 0);
    assert_int_equal(s.active_calls, 0);
    /* a restored (confirmed) call has no incoming INVITE to persist */
    st.local_cseq = 3;
    assert_int_equal(sc_sip_call_restore(a.sip, &c, &st, NULL), 0);
    char vias[256];
    assert_int_equal(sc_sip_call_incoming_vias(c, vias, sizeof vias), -ENOENT);
    sc_sip_call_release(c);
    sc_sip_free(a.sip);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_after_restart),
        cmocka_unit_test(test_cancel_after_restart),
        cmocka_unit_test(test_resume_incoming_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
