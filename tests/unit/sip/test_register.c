/* The REGISTER client (src/sip/register.c) against a raw UDP registrar on loopback: backoff
 * doubling up to its cap after refusals, a timeout counted as a failure, un-REGISTER with the
 * same Call-ID and the next CSeq, a 2xx that keeps no binding of ours, and an outbound proxy
 * (pre-loaded Route, first hop the proxy) answering 407 with Proxy-Authorization. */
#include "sip_test_agents.h"

#define T1 50 /* a REGISTER unanswered times out after 64*T1 = 3.2 s */

typedef struct fx {
    uv_loop_t loop;
    ta_side a;
    tu_peer p; /* the registrar (or the proxy) */
    struct sockaddr_storage agent;
    unsigned changes;
    sc_sip_reg_info last;
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

static void on_change(sc_sip_reg *reg, const sc_sip_reg_info *info, void *ud)
{
    (void)reg;
    fx *f = ud;
    f->changes++;
    f->last = *info;
}

/* The REGISTER with CSeq n (its first copy: retransmissions are not counted). */
static const char *find_cseq(const fx *f, size_t n)
{
    char want[32];
    snprintf(want, sizeof want, "CSeq: %zu REGISTER\r\n", n);
    for (size_t i = 0; i < f->p.got.count; i++)
        if (!strncmp(f->p.got.msg[i], "REGISTER ", 9) && strstr(f->p.got.msg[i], want))
            return f->p.got.msg[i];
    return NULL;
}

static bool has_cseq(void *arg)
{
    void **a = arg;
    return find_cseq(a[0], (size_t)(uintptr_t)a[1]) != NULL;
}

static const char *wait_register(fx *f, size_t n)
{
    void *arg[2] = {f, (void *)(uintptr_t)n};
    assert_true(tu_run_until(&f->loop, has_cseq, arg, 5000));
    return find_cseq(f, n);
}

/* The value of header name (e.g. "Call-ID: ") in msg, up to the line end. */
static void header_of(const char *msg, const char *name, char *out, size_t cap)
{
    const char *p = strstr(msg, name);
    assert_non_null(p);
    p += strlen(name);
    size_t n = strcspn(p, "\r\n");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Answer req with code and extra header lines (each ending in \r\n, may be ""). */
static void answer(fx *f, const char *req, int code, const char *extra)
{
    char via[512], from[512], to[512], cid[256], cseq[64];
    header_of(req, "Via: ", via, sizeof via);
    header_of(req, "From: ", from, sizeof from);
    header_of(req, "To: ", to, sizeof to);
    header_of(req, "Call-ID: ", cid, sizeof cid);
    header_of(req, "CSeq: ", cseq, sizeof cseq);
    char *m = tu_fmt("SIP/2.0 %d X\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=reg1\r\nCall-ID: %s\r\nCSeq: %s\r\n%s"
                     "Content-Length: 0\r\n\r\n",
                     code, via, from, to, cid, cseq, extra);
    tu_peer_send(&f->p, &f->agent, m);
    free(m);
}

static bool changed_to(void *arg)
{
    void **a = arg;
    fx *f = a[0];
    return f->changes >= (unsigned)(uintptr_t)a[1];
}

static void wait_changes(fx *f, unsigned n)
{
    void *arg[2] = {f, (void *)(uintptr_t)n};
    assert_true(tu_run_until(&f->loop, changed_to, arg, 6000));
}

static sc_sip_reg *reg_new(fx *f, const char *proxy, unsigned min_ms, unsigned max_ms)
{
    char registrar[64], proxy_uri[64];
    snprintf(registrar, sizeof registrar, "sip:127.0.0.1:%u", proxy ? 9 : f->p.port);
    snprintf(proxy_uri, sizeof proxy_uri, "sip:127.0.0.1:%u", f->p.port);
    sc_sip_reg_config cfg = {.registrar = registrar,
                             .aor = "sip:alice@example.test",
                             .proxy = proxy ? proxy_uri : NULL,
                             .auth_user = "alice",
                             .auth_password = "s3cret",
                             .expires_s = 600,
                             .retry_min_ms = min_ms,
                             .retry_max_ms = max_ms,
                             .on_change = on_change,
                             .ud = f};
    sc_sip_reg *r = NULL;
    assert_int_equal(sc_sip_reg_new(f->a.sip, &r, &cfg), 0);
    return r;
}

static void test_backoff_doubles_to_cap(void **state)
{
    fx *f = *state;
    sc_sip_reg *r = reg_new(f, NULL, 200, 500);
    uint64_t expect[] = {200, 400, 500, 500};
    for (size_t i = 0; i < 4; i++) {
        const char *req = wait_register(f, i + 1);
        answer(f, req, 403, "");
        wait_changes(f, (unsigned)i + 1);
        assert_int_equal(f->last.state, SC_SIP_REG_FAILED);
        assert_string_equal(f->last.last_outcome, "rejected");
        assert_int_equal(f->last.last_status, 403);
        assert_int_equal(f->last.failures, i + 1);
        assert_true(f->last.next_attempt_ms <= expect[i] && f->last.next_attempt_ms + 50 >= expect[i]);
    }
    sc_sip_reg_info info;
    assert_int_equal(sc_sip_reg_get_info(r, &info), 0);
    assert_int_equal(info.attempts, 4);
    assert_int_equal(info.cseq, 4);
    sc_sip_reg_free(r);
}

static void test_timeout_is_a_failure(void **state)
{
    fx *f = *state;
    sc_sip_reg *r = reg_new(f, NULL, 60000, 60000);
    wait_register(f, 1); /* never answered: 64*T1 later */
    wait_changes(f, 1);
    assert_int_equal(f->last.state, SC_SIP_REG_FAILED);
    assert_string_equal(f->last.last_outcome, "timeout");
    assert_int_equal(f->last.last_status, 0);
    assert_int_equal(f->last.failures, 1);
    sc_sip_reg_free(r);
}

static void test_unregister_same_call_id(void **state)
{
    fx *f = *state;
    sc_sip_reg *r = reg_new(f, NULL, 0, 0);
    const char *req = wait_register(f, 1);
    char cid1[256], contact[256];
    header_of(req, "Call-ID: ", cid1, sizeof cid1);
    header_of(req, "Contact: ", contact, sizeof contact);
    assert_non_null(strstr(contact, "<sip:alice@127.0.0.1:"));
    char *c = tu_fmt("Contact: <sip:bob@10.0.0.9:5060>;expires=30, %s;expires=120\r\n", contact);
    answer(f, req, 200, c);
    free(c);
    wait_changes(f, 1);
    assert_int_equal(f->last.state, SC_SIP_REG_REGISTERED);
    assert_int_equal(f->last.expires_s, 120); /* our Contact's, not another one's */
    assert_true(f->last.expires_left_s >= 119 && f->last.expires_left_s <= 120);
    assert_true(f->last.next_attempt_ms > 50000 && f->last.next_attempt_ms <= 60000); /* 120 s: half-way */
    assert_int_equal(sc_sip_reg_unregister(r), 0);
    assert_int_equal(sc_sip_reg_unregister(r), -EALREADY);
    req = wait_register(f, 2);
    char cid2[256], cseq[64], exp[16];
    header_of(req, "Call-ID: ", cid2, sizeof cid2);
    header_of(req, "CSeq: ", cseq, sizeof cseq);
    header_of(req, "Expires: ", exp, sizeof exp);
    assert_string_equal(cid1, cid2);
    assert_string_equal(cseq, "2 REGISTER");
    assert_string_equal(exp, "0");
    answer(f, req, 200, "");
    wait_changes(f, 2); /* the outcome of the un-REGISTER */
    assert_int_equal(f->last.state, SC_SIP_REG_UNREGISTERED);
    assert_string_equal(f->last.last_outcome, "unregistered");
    assert_int_equal(f->last.next_attempt_ms, 0);
    sc_sip_reg_free(r);
}

static void test_2xx_without_our_binding(void **state)
{
    fx *f = *state;
    sc_sip_reg *r = reg_new(f, NULL, 60000, 60000);
    const char *req = wait_register(f, 1);
    char contact[256];
    header_of(req, "Contact: ", contact, sizeof contact);
    char *c = tu_fmt("Contact: %s;expires=0\r\n", contact);
    answer(f, req, 200, c);
    free(c);
    wait_changes(f, 1);
    assert_int_equal(f->last.state, SC_SIP_REG_FAILED);
    assert_string_equal(f->last.last_outcome, "rejected");
    sc_sip_reg_free(r);
}

static void test_proxy_and_407(void **state)
{
    fx *f = *state;
    sc_sip_reg *r = reg_new(f, "proxy", 60000, 60000);
    const char *req = wait_register(f, 1); /* at the proxy's address */
    assert_true(strncmp(req, "REGISTER sip:127.0.0.1:9 SIP/2.0", 32) == 0);
    char route[128];
    header_of(req, "Route: ", route, sizeof route);
    char *want = tu_fmt("<sip:127.0.0.1:%u;lr>", f->p.port);
    assert_string_equal(route, want);
    free(want);
    answer(f, req, 407, "Proxy-Authenticate: Digest realm=\"p.test\", nonce=\"n1\", qop=\"auth\"\r\n");
    req = wait_register(f, 2);
    char pa[512];
    header_of(req, "Proxy-Authorization: ", pa, sizeof pa);
    assert_non_null(strstr(pa, "username=\"alice\""));
    assert_non_null(strstr(pa, "uri=\"sip:127.0.0.1:9\""));
    answer(f, req, 407, "Proxy-Authenticate: Digest realm=\"p.test\", nonce=\"n2\", qop=\"auth\"\r\n");
    wait_changes(f, 1); /* a second challenge after our answer: failed */
    assert_string_equal(f->last.last_outcome, "auth_failed");
    assert_int_equal(f->last.last_status, 407);
    assert_int_equal(f->last.attempts, 2);
    sc_sip_reg_free(r);
}

static void test_bad_config(void **state)
{
    fx *f = *state;
    sc_sip_reg *r = NULL;
    sc_sip_reg_config cfg = {.registrar = "sip:127.0.0.1:5060", .aor = "sip:example.test"}; /* no user */
    assert_int_equal(sc_sip_reg_new(f->a.sip, &r, &cfg), -EINVAL);
    cfg.aor = "sip:a@example.test";
    cfg.registrar = "http://x";
    assert_int_equal(sc_sip_reg_new(f->a.sip, &r, &cfg), -EINVAL);
    assert_null(r);
    cfg.registrar = "sip:registrar.example.test"; /* a name: located at each attempt */
    assert_int_equal(sc_sip_reg_new(f->a.sip, &r, &cfg), 0);
    sc_sip_reg_info info;
    assert_int_equal(sc_sip_reg_get_info(r, &info), 0);
    assert_int_equal(info.state, SC_SIP_REG_REGISTERING);
    assert_int_equal(info.attempts, 0); /* nothing sent while the lookup is in flight */
    sc_sip_reg_free(r);                 /* cancels it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backoff_doubles_to_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_is_a_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unregister_same_call_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_2xx_without_our_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_and_407, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
