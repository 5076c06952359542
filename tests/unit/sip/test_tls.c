/* SIP over TLS between two agents on loopback, with certificates made for the run by
 * tests/sip/tls_certs.sh (openssl CLI): a full call (handshake, INVITE/180/200/ACK, BYE both
 * ways over the one connection), an outgoing connection refused for a server certificate of
 * another CA, the settings checked (key mismatch, a listener without a certificate). */
#include <unistd.h>

#include "sip/tls.h" /* sip_tls_note_name: the name a located address is checked against */
#include "sip_test_agents.h"

#define T1 500 /* Timer B (64*T1) covers the handshake, slow under valgrind */

static char dir[256];
static unsigned keepalive_ms; /* open_tls: sc_sip_config.keepalive_ms */

static void path(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sc_unit_tls.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/tests/sip/tls_certs.sh %s", SC_SOURCE_DIR, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* An agent with a TLS listener presenting cert (signed by the CA that signed it) and trusting
 * ca (file names in dir). */
static void open_tls(ta_side *s, uv_loop_t *loop, const char *cert, const char *key, const char *ca)
{
    char c[300], k[300], a[300];
    path(c, sizeof c, cert);
    path(k, sizeof k, key);
    path(a, sizeof a, ca);
    memset(s, 0, sizeof *s);
    sc_sip_config cfg = {.t1_ms = T1,
                         .t2_ms = T1 * 8,
                         .t4_ms = T1 * 10,
                         .on_event = ta_on_event,
                         .on_incoming = ta_on_incoming,
                         .ud = s,
                         .tls_cert = c,
                         .tls_key = k,
                         .tls_ca = a,
                         .keepalive_ms = keepalive_ms};
    if (getenv("SIPDBG"))
        cfg.send_hook = ta_debug_hook;
    assert_int_equal(sc_sip_new(&s->sip, loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(s->sip, "tls:127.0.0.1:0"), 0);
}

static void finish(uv_loop_t *loop, ta_side *a, ta_side *b)
{
    sc_sip_free(a->sip);
    sc_sip_free(b->sip);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

static const char *offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                           "m=audio 20000 RTP/AVP 0\r\n";

static void test_full_call_over_tls(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    open_tls(&a, &loop, "server.pem", "server.key", "ca.pem");
    open_tls(&b, &loop, "server.pem", "server.key", "ca.pem");
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u;transport=tls", tu_port(b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer, &a), 0);
    assert_true(tu_run_until(&loop, ta_incoming, &b, 10000));
    sc_sip_call *bc = b.call;
    assert_int_equal(sc_sip_call_respond(bc, 180, NULL, NULL), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog180Ringing, 10000));
    assert_int_equal(sc_sip_call_respond(bc, 200, NULL, "v=0\r\nanswer\r\n"), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog200OK, 10000));
    assert_int_equal(sc_sip_call_ack(ac, NULL), 0);
    assert_true(ta_wait_for(&loop, &b, SC_EV_DialogACK, 10000));
    sc_sip_dialog_state da, db;
    sc_sip_call_dialog(ac, &da);
    sc_sip_call_dialog(bc, &db);
    assert_int_equal(da.transport, SC_SIP_TLS);
    assert_int_equal(db.transport, SC_SIP_TLS);
    assert_int_equal(db.phase, SC_SIP_DIALOG_CONFIRMED);
    assert_non_null(strstr(db.remote_target, ";transport=tls")); /* A's Contact */
    /* B hangs up: over A's connection (B has no other way in without a second handshake) */
    a.n = b.n = 0;
    assert_int_equal(sc_sip_call_bye(bc), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_DialogBYE, 10000));
    assert_int_equal(sc_sip_respond(a.sip, a.stx, 200, NULL, NULL, NULL), 0);
    assert_true(ta_wait_for(&loop, &b, SC_EV_Dialog200OK, 10000));
    sc_sip_stats sa, sb;
    sc_sip_get_stats(a.sip, &sa);
    sc_sip_get_stats(b.sip, &sb);
    assert_int_equal(sa.tls_handshakes, 1); /* one connection carried the whole call */
    assert_int_equal(sb.tls_handshakes, 1);
    for (int i = 0; i < SC_SIP_TLS_FAIL__COUNT; i++) {
        assert_int_equal(sa.tls_failures[i], 0);
        assert_int_equal(sb.tls_failures[i], 0);
    }
    assert_int_equal(sb.requests_out[SC_SIP_M_BYE], 1);
    assert_int_equal(sa.active_dialogs, 0);
    assert_true(sb.tcp_bytes_in > 0);
    sc_sip_call_release(ac);
    sc_sip_call_release(bc);
    finish(&loop, &a, &b);
}

/* A sips: URI selects TLS (port 5061 unless given) and makes the dialog's Contacts sips:
 * both ways (RFC 5630); the peer's certificate is checked against the IP literal. */
static void test_sips_dialog(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    open_tls(&a, &loop, "server.pem", "server.key", "ca.pem");
    open_tls(&b, &loop, "server.pem", "server.key", "ca.pem");
    char to[128];
    snprintf(to, sizeof to, "sips:bob@127.0.0.1:%u", tu_port(b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sips:alice@127.0.0.1", to, offer, &a), 0);
    assert_true(tu_run_until(&loop, ta_incoming, &b, 10000));
    assert_int_equal(sc_sip_call_respond(b.call, 200, NULL, "v=0\r\nanswer\r\n"), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog200OK, 10000));
    assert_int_equal(sc_sip_call_ack(ac, NULL), 0);
    assert_true(ta_wait_for(&loop, &b, SC_EV_DialogACK, 10000));
    sc_sip_dialog_state da, db;
    sc_sip_call_dialog(ac, &da);
    sc_sip_call_dialog(b.call, &db);
    assert_int_equal(da.transport, SC_SIP_TLS);
    assert_true(da.secure && db.secure);
    assert_int_equal(strncmp(da.remote_target, "sips:", 5), 0); /* B's Contact */
    assert_int_equal(strncmp(db.remote_target, "sips:", 5), 0); /* A's Contact */
    assert_null(strstr(db.remote_target, "transport="));
    sc_sip_call_release(ac);
    sc_sip_call_release(b.call);
    finish(&loop, &a, &b);
}

typedef struct ka_wait {
    sc_sip *a, *b;
    uint64_t pings;
} ka_wait;

/* A sent at least w->pings pings and B answered each. */
static bool pinged(void *arg)
{
    ka_wait *w = arg;
    sc_sip_stats sa, sb;
    sc_sip_get_stats(w->a, &sa);
    sc_sip_get_stats(w->b, &sb);
    return sa.keepalive_pings >= w->pings && sb.keepalive_pongs == sa.keepalive_pings;
}

/* RFC 5626 keep-alive: the connection A opened carries the call, so while it is quiet A pings
 * it every keepalive_ms and B answers each ping; once the call is over the pings stop. */
static void test_keepalive_while_dialog(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    keepalive_ms = 40;
    open_tls(&a, &loop, "server.pem", "server.key", "ca.pem");
    open_tls(&b, &loop, "server.pem", "server.key", "ca.pem");
    keepalive_ms = 0;
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u;transport=tls", tu_port(b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer, &a), 0);
    assert_true(tu_run_until(&loop, ta_incoming, &b, 10000));
    assert_int_equal(sc_sip_call_respond(b.call, 200, NULL, "v=0\r\nanswer\r\n"), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog200OK, 10000));
    assert_int_equal(sc_sip_call_ack(ac, NULL), 0);
    assert_true(ta_wait_for(&loop, &b, SC_EV_DialogACK, 10000));
    ka_wait w = {a.sip, b.sip, 3};
    assert_true(tu_run_until(&loop, pinged, &w, 10000));
    /* the call ends: no more pings */
    a.auto_bye_ok = true;
    assert_int_equal(sc_sip_call_bye(b.call), 0);
    assert_true(ta_wait_for(&loop, &b, SC_EV_Dialog200OK, 10000));
    tu_run(&loop, NULL, 100);
    sc_sip_stats sa, sb;
    sc_sip_get_stats(a.sip, &sa);
    tu_run(&loop, NULL, 200);
    sc_sip_get_stats(a.sip, &sb);
    assert_int_equal(sb.keepalive_pings, sa.keepalive_pings);
    sc_sip_get_stats(b.sip, &sb);
    assert_int_equal(sb.keepalive_pings, 0); /* B did not open the connection */
    assert_int_equal(sb.tls_handshakes, 1);
    sc_sip_call_release(ac);
    sc_sip_call_release(b.call);
    finish(&loop, &a, &b);
}

/* The certificate checked against a host name (the URI's, as resolve.c notes it for each address
 * it finds): "localhost" is in B's certificate, "wrong.example.test" is not. */
static void name_checked(const char *name, bool ok)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    open_tls(&a, &loop, "server.pem", "server.key", "ca.pem");
    open_tls(&b, &loop, "server.pem", "server.key", "ca.pem");
    struct sockaddr_storage bl;
    assert_int_equal(sc_sip_listener_addr(b.sip, 0, &bl), 0);
    sip_tls_note_name(a.sip, &bl, name);
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u;transport=tls", tu_port(b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer, &a), 0);
    sc_sip_stats sa;
    if (ok) {
        assert_true(tu_run_until(&loop, ta_incoming, &b, 10000));
        assert_int_equal(sc_sip_call_respond(b.call, 486, NULL, NULL), 0);
        assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog4xx, 10000));
        sc_sip_call_release(b.call);
    } else {
        assert_true(ta_wait_for(&loop, &a, SC_EV_DialogError, 10000));
        assert_int_equal(b.incoming, 0);
    }
    sc_sip_get_stats(a.sip, &sa);
    assert_int_equal(sa.tls_failures[SC_SIP_TLS_FAIL_CERTIFICATE], ok ? 0 : 1);
    sc_sip_call_release(ac);
    finish(&loop, &a, &b);
}

static void test_host_name_checked(void **state)
{
    (void)state;
    name_checked("localhost", true);
    name_checked("wrong.example.test", false);
}

/* A trusts only ca2: B's certificate (from ca) is refused, the INVITE fails at once with a
 * transport error, B never sees it. */
static void test_wrong_ca_refused(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    open_tls(&a, &loop, "other.pem", "other.key", "ca2.pem");
    open_tls(&b, &loop, "server.pem", "server.key", "ca.pem");
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u;transport=tls", tu_port(b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer, &a), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_DialogError, 10000));
    tu_run(&loop, NULL, 50); /* B reads the alert */
    sc_sip_stats sa, sb;
    sc_sip_get_stats(a.sip, &sa);
    sc_sip_get_stats(b.sip, &sb);
    assert_int_equal(sa.tls_failures[SC_SIP_TLS_FAIL_CERTIFICATE], 1);
    assert_int_equal(sa.tls_handshakes, 0);
    assert_int_equal(b.incoming, 0);
    assert_int_equal(sb.requests_in[SC_SIP_M_INVITE], 0);
    assert_int_equal(sb.tls_failures[SC_SIP_TLS_FAIL_CERTIFICATE] + sb.tls_failures[SC_SIP_TLS_FAIL_HANDSHAKE], 1);
    assert_string_equal(sc_sip_tls_failure_name(SC_SIP_TLS_FAIL_CERTIFICATE), "certificate");
    sc_sip_call_release(ac);
    finish(&loop, &a, &b);
}

/* The same with verification switched off: the call gets through. */
static void test_no_verify_accepts(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    ta_side a, b;
    char c[300], k[300], ca2[300];
    path(c, sizeof c, "other.pem");
    path(k, sizeof k, "other.key");
    path(ca2, sizeof ca2, "ca2.pem");
    memset(&a, 0, sizeof a);
    sc_sip_config cfg = {.t1_ms = T1,
                         .on_event = ta_on_event,
                         .on_incoming = ta_on_incoming,
                         .ud = &a,
                         .tls_cert = c,
                         .tls_key = k,
                         .tls_ca = ca2,
                         .tls_insecure_no_verify = true};
    assert_int_equal(sc_sip_new(&a.sip, &loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(a.sip, "tls:127.0.0.1:0"), 0);
    open_tls(&b, &loop, "server.pem", "server.key", "ca.pem");
    char to[128];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u;transport=tls", tu_port(b.sip, 0));
    sc_sip_call *ac;
    assert_int_equal(sc_sip_call_invite(a.sip, &ac, "sip:alice@127.0.0.1", to, offer, &a), 0);
    assert_true(tu_run_until(&loop, ta_incoming, &b, 10000));
    assert_int_equal(sc_sip_call_respond(b.call, 486, NULL, NULL), 0);
    assert_true(ta_wait_for(&loop, &a, SC_EV_Dialog4xx, 10000));
    sc_sip_call_release(ac);
    sc_sip_call_release(b.call);
    finish(&loop, &a, &b);
}

static void test_settings_checked(void **state)
{
    (void)state;
    char c[300], k[300], ca[300], err[512];
    path(c, sizeof c, "server.pem");
    path(k, sizeof k, "other.key");
    path(ca, sizeof ca, "ca.pem");
    sc_sip_config cfg = {.tls_cert = c, .tls_key = k, .tls_ca = ca};
    assert_int_equal(sc_sip_tls_check(&cfg, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "does not match"));
    cfg.tls_key = "/nonexistent/key.pem";
    assert_int_equal(sc_sip_tls_check(&cfg, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "/nonexistent/key.pem"));
    cfg.tls_key = NULL;
    assert_int_equal(sc_sip_tls_check(&cfg, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "without its key"));
    path(k, sizeof k, "server.key");
    cfg.tls_key = k;
    assert_int_equal(sc_sip_tls_check(&cfg, err, sizeof err), 0);
    /* PEM text instead of a path */
    FILE *f = fopen(c, "r");
    assert_non_null(f);
    static char pem[8192];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    cfg.tls_cert = pem;
    assert_int_equal(sc_sip_tls_check(&cfg, err, sizeof err), 0);
    /* a TLS listener needs a certificate */
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_sip *sip;
    sc_sip_config plain = {0};
    assert_int_equal(sc_sip_new(&sip, &loop, &plain), 0);
    assert_int_equal(sc_sip_listen(sip, "tls:127.0.0.1:0"), -ENOKEY);
    sc_sip_free(sip);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_call_over_tls),     cmocka_unit_test(test_sips_dialog),
        cmocka_unit_test(test_keepalive_while_dialog), cmocka_unit_test(test_host_name_checked),
        cmocka_unit_test(test_wrong_ca_refused),       cmocka_unit_test(test_no_verify_accepts),
        cmocka_unit_test(test_settings_checked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
