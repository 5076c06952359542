/* Transaction-table flood defences: the per-source limit on server transactions (503 with
 * Retry-After past max_tx_per_source, other sources still served, an IPv6 /64 as one source),
 * the counts going back to zero when the transactions end, and the reclaim after a burst
 * (tables shrunk, sc_sip_stats.reclaims). */
#include "sip/sip_int.h"
#include "sip_test_util.h"

typedef struct fx {
    uv_loop_t loop;
    sc_sip *sip;
    tu_msgs out;
    size_t sent; /* every message the hook saw */
    sc_sip_config cfg;
} fx;

static bool count_hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    fx *f = ud;
    f->sent++;
    return tu_capture_hook(&f->out, tp, dst, data, len);
}

/* A registrar that answers every REGISTER 200 at once (its transaction lingers for timer J). */
static void answer_register(sc_sip *sip, sc_sip_stx *stx, const struct osip_message *msg, void *ud)
{
    (void)msg;
    (void)ud;
    assert_int_equal(sc_sip_respond_ex(sip, stx, 200, NULL, NULL, NULL, NULL), 0);
}

static void start(fx *f, unsigned per_source)
{
    f->cfg.send_hook = count_hook;
    f->cfg.ud = f;
    f->cfg.t1_ms = 10; /* timer J: 640 ms */
    f->cfg.retry_after_s = 9;
    f->cfg.max_tx_per_source = per_source;
    f->cfg.on_request = answer_register;
    assert_int_equal(sc_sip_new(&f->sip, &f->loop, &f->cfg), 0);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tu_free_sip(&f->loop, f->sip);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    tu_msgs_clear(&f->out);
    free(f);
    return 0;
}

/* A REGISTER with branch/Call-ID number i from ip (v4 or v6). */
static void feed_register(fx *f, const char *ip, unsigned i)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(ip, ':'))
        uv_ip6_addr(ip, 5099, (struct sockaddr_in6 *)&ss);
    else
        uv_ip4_addr(ip, 5099, (struct sockaddr_in *)&ss);
    char *m = tu_fmt("REGISTER sip:127.0.0.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKreg%u;rport\r\n"
                     "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=t%u\r\nTo: <sip:a@127.0.0.1>\r\n"
                     "Call-ID: reg%u\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@127.0.0.1:5062>\r\n"
                     "Content-Length: 0\r\n\r\n",
                     i, i, i);
    sc_sip_feed(f->sip, SC_SIP_UDP, (const struct sockaddr *)&ss, m, strlen(m));
    free(m);
}

static sc_sip_stats stats(fx *f)
{
    sc_sip_stats s;
    sc_sip_get_stats(f->sip, &s);
    return s;
}

static bool no_transactions(void *arg) { return stats(arg).active_transactions == 0; }

static void test_per_source_limit(void **state)
{
    fx *f = *state;
    start(f, 3);
    for (unsigned i = 0; i < 5; i++)
        feed_register(f, "127.0.0.2", i);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 200"), 3);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 503"), 2);
    assert_non_null(strstr(tu_msgs_find(&f->out, "SIP/2.0 503"), "Retry-After: 9\r\n"));
    sc_sip_stats s = stats(f);
    assert_int_equal(s.rejected[SC_SIP_REJ_SOURCE_LIMIT], 2);
    assert_int_equal(s.rejected[SC_SIP_REJ_OVERLOAD], 0);
    assert_int_equal(s.active_transactions, 3);
    assert_int_equal(s.tx_sources, 1);
    /* a retransmission of a refused one is refused the same, of an admitted one absorbed */
    feed_register(f, "127.0.0.2", 4);
    feed_register(f, "127.0.0.2", 0);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 503"), 3);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 200"), 4);
    assert_string_equal(f->out.msg[4], f->out.msg[5]); /* same 503, same tag */
    /* another source is served */
    feed_register(f, "127.0.0.3", 10);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 200"), 5);
    assert_int_equal(stats(f).tx_sources, 2);
    /* once the transactions end, the source is served again and nothing is left counted */
    assert_true(tu_run_until(&f->loop, no_transactions, f, 3000));
    assert_int_equal(stats(f).tx_sources, 0);
    feed_register(f, "127.0.0.2", 20);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 200"), 6);
}

/* One host picks any address of its /64: they share one budget; another /64 has its own. */
static void test_ipv6_prefix_is_one_source(void **state)
{
    fx *f = *state;
    start(f, 2);
    feed_register(f, "2001:db8::1", 0);
    feed_register(f, "2001:db8::2", 1);
    feed_register(f, "2001:db8::3", 2);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 503"), 1);
    feed_register(f, "2001:db8:0:1::1", 3);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 200"), 3);
    assert_int_equal(stats(f).tx_sources, 2);
}

/* OPTIONS and the agent's own error answers keep nothing: no transaction, no source count. */
static void test_stateless_answers_keep_nothing(void **state)
{
    fx *f = *state;
    start(f, 1);
    struct sockaddr_in src;
    uv_ip4_addr("127.0.0.2", 5099, &src);
    const char *methods[] = {"OPTIONS", "MESSAGE", "FOO", "OPTIONS"};
    for (unsigned i = 0; i < 4; i++) {
        char *m = tu_fmt("%s sip:bob@127.0.0.1 SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKs%u\r\nMax-Forwards: 70\r\n"
                         "From: <sip:a@127.0.0.1>;tag=t\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: s%u\r\n"
                         "CSeq: 1 %s\r\nContent-Length: 0\r\n\r\n",
                         methods[i], i, i, methods[i]);
        sc_sip_feed(f->sip, SC_SIP_UDP, (const struct sockaddr *)&src, m, strlen(m));
        free(m);
    }
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 200"), 2);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 405"), 1);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 501"), 1);
    assert_int_equal(stats(f).active_transactions, 0);
    assert_int_equal(stats(f).tx_sources, 0);
}

static sc_sip_call *held;

static void keep_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud)
{
    (void)sip;
    (void)msg;
    (void)ud;
    held = call;
}

/* An INVITE refused a transaction is answered 503 (it used to get nothing: the caller's
 * INVITE then timed out instead of trying elsewhere), and its call is gone. */
static void test_refused_invite_answered(void **state)
{
    fx *f = *state;
    f->cfg.on_incoming = keep_incoming;
    held = NULL;
    start(f, 1);
    struct sockaddr_in src;
    uv_ip4_addr("127.0.0.2", 5099, &src);
    for (unsigned i = 0; i < 2; i++) {
        char *m = tu_fmt("INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKi%u\r\nMax-Forwards: 70\r\n"
                         "From: <sip:a@127.0.0.1>;tag=t%u\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: i%u\r\n"
                         "CSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:5062>\r\nContent-Length: 0\r\n\r\n",
                         i, i, i);
        sc_sip_feed(f->sip, SC_SIP_UDP, (const struct sockaddr *)&src, m, strlen(m));
        free(m);
    }
    assert_non_null(held);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 100"), 1);
    const char *r = tu_msgs_find(&f->out, "SIP/2.0 503");
    assert_non_null(r);
    assert_non_null(strstr(r, "Call-ID: i1\r\n"));
    assert_non_null(strstr(r, "Retry-After: 9\r\n"));
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_SOURCE_LIMIT], 1);
    assert_int_equal(stats(f).active_calls, 1);
    sc_sip_call_release(held); /* answers 480 */
}

static bool reclaimed(void *arg) { return stats(arg).reclaims > 0; }

/* A burst of 3000 transactions grows the index; when they are gone the reclaim timer shrinks it
 * back and counts one reclaim. */
static void test_reclaim_after_burst(void **state)
{
    fx *f = *state;
    start(f, 10000);
    for (unsigned i = 0; i < 3000; i++)
        feed_register(f, "127.0.0.2", i);
    assert_int_equal(stats(f).active_transactions, 3000);
    assert_true(f->sip->tx_index.nb > 1024);
    assert_int_equal(stats(f).reclaims, 0);
    assert_true(tu_run_until(&f->loop, no_transactions, f, 5000));
    assert_true(tu_run_until(&f->loop, reclaimed, f, 5000));
    assert_int_equal(stats(f).reclaims, 1);
    assert_int_equal(f->sip->tx_index.nb, 1024);
    assert_true(f->sip->capheap <= 64);
    /* still works after the shrink */
    feed_register(f, "127.0.0.2", 5000);
    assert_int_equal(stats(f).active_transactions, 1);
}

/* A reclaim is due after a real drop, not a busy node's swing: 2,048 and a quarter of the
 * peak. */
static void test_reclaim_due(void **state)
{
    (void)state;
    assert_true(sip_reclaim_due(3000, 0));
    assert_true(sip_reclaim_due(3000, 952));       /* 2,048 fallen, more than a quarter */
    assert_false(sip_reclaim_due(3000, 953));      /* 2,047 */
    assert_false(sip_reclaim_due(190000, 187000)); /* 3,000 of 190,000: a swing */
    assert_true(sip_reclaim_due(190000, 142500));  /* a quarter */
    assert_false(sip_reclaim_due(100, 200));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reclaim_due),
        cmocka_unit_test_setup_teardown(test_per_source_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_prefix_is_one_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stateless_answers_keep_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_invite_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reclaim_after_burst, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
