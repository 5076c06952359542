/* Out-of-dialog requests offered to the application: REGISTER handed over on a server
 * transaction (answered with sc_sip_respond_ex: Contact, Expires; a retransmission gets the
 * same answer) or 405 without on_request; the screen answering an INVITE 407 with its
 * challenge lines (the ACK absorbed), passing OPTIONS and what it lets through. */
#include "sip_test_util.h"

#define REQ(method, branch, extra)                                        \
    method " sip:pbx.test SIP/2.0\r\n"                                    \
           "Via: SIP/2.0/UDP 127.0.0.2:5099;branch=z9hG4bK" branch "\r\n" \
           "From: <sip:bob@pbx.test>;tag=a1\r\n"                          \
           "To: <sip:bob@pbx.test>\r\n"                                   \
           "Call-ID: c1@127.0.0.2\r\n"                                    \
           "CSeq: 1 " method "\r\nMax-Forwards: 70\r\n" extra "Content-Length: 0\r\n\r\n"

typedef struct fx {
    tu_msgs out; /* first: the capture hook's ud */
    uv_loop_t loop;
    sc_sip *sip;
    struct sockaddr_in src;
    sc_sip_config cfg;
    sc_sip_stx *stx;
    int screened;
    int screen_code;
} fx;

static void on_request(sc_sip *sip, sc_sip_stx *stx, const struct osip_message *msg, void *ud)
{
    (void)sip;
    (void)msg;
    fx *f = ud;
    f->stx = stx;
}

static int on_screen(sc_sip *sip, const struct osip_message *msg, const struct sockaddr_storage *src, char *hdrs,
                     size_t cap, void *ud)
{
    (void)sip;
    (void)msg;
    fx *f = ud;
    f->screened++;
    assert_int_equal(src->ss_family, AF_INET);
    if (f->screen_code)
        snprintf(hdrs, cap,
                 "Proxy-Authenticate: Digest realm=\"r\", nonce=\"1\", algorithm=SHA-256\r\n"
                 "Proxy-Authenticate: Digest realm=\"r\", nonce=\"2\", algorithm=MD5\r\n");
    return f->screen_code;
}

static fx *make(bool with_request, bool with_screen)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    f->cfg.send_hook = tu_capture_hook;
    f->cfg.ud = f;
    f->cfg.t1_ms = 10;
    f->cfg.on_request = with_request ? on_request : NULL;
    f->cfg.on_screen = with_screen ? on_screen : NULL;
    assert_int_equal(sc_sip_new(&f->sip, &f->loop, &f->cfg), 0);
    uv_ip4_addr("127.0.0.2", 5099, &f->src);
    return f;
}

static void done(fx *f)
{
    tu_free_sip(&f->loop, f->sip);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    tu_msgs_clear(&f->out);
    free(f);
}

static void feed(fx *f, const char *msg)
{
    sc_sip_feed(f->sip, SC_SIP_UDP, (const struct sockaddr *)&f->src, msg, strlen(msg));
}

static void test_register_405_without_registrar(void **state)
{
    (void)state;
    fx *f = make(false, true);
    feed(f, REQ("REGISTER", "r1", "Contact: <sip:bob@127.0.0.2:5099>\r\n"));
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 405"), 1);
    assert_int_equal(f->screened, 0);
    done(f);
}

static void test_register_to_tu(void **state)
{
    (void)state;
    fx *f = make(true, true);
    const char *reg = REQ("REGISTER", "r2", "Contact: <sip:bob@127.0.0.2:5099>\r\n");
    feed(f, reg);
    assert_non_null(f->stx);
    assert_int_equal(f->screened, 0); /* the registrar judges REGISTER itself */
    assert_int_equal(f->out.count, 0);
    struct sockaddr_storage src;
    assert_int_equal(sc_sip_stx_source(f->stx, &src), 0);
    assert_int_equal(sc_sip_respond_ex(f->sip, f->stx, 200, NULL,
                                       "Contact: <sip:bob@127.0.0.2:5099>;expires=60\r\nDate: Mon, 07 Dec 2026 "
                                       "01:00:00 GMT\r\n",
                                       NULL, NULL),
                     0);
    assert_int_equal(f->out.count, 1);
    const char *r = tu_msgs_find(&f->out, "SIP/2.0 200");
    assert_non_null(r);
    assert_non_null(strstr(r, "Contact: <sip:bob@127.0.0.2:5099>;expires=60\r\n"));
    assert_non_null(strstr(r, "CSeq: 1 REGISTER\r\n"));
    /* a retransmission: the same answer, not handed over again */
    f->stx = NULL;
    feed(f, reg);
    assert_null(f->stx);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 200"), 2);
    done(f);
}

static void test_screen(void **state)
{
    (void)state;
    fx *f = make(false, true);
    f->screen_code = 407;
    feed(f, REQ("INVITE", "i1", ""));
    assert_int_equal(f->screened, 1);
    const char *r = tu_msgs_find(&f->out, "SIP/2.0 407");
    assert_non_null(r);
    assert_non_null(strstr(r, "algorithm=SHA-256\r\n"));
    assert_non_null(strstr(r, "algorithm=MD5\r\n"));
    /* its ACK is absorbed by the transaction */
    size_t before = f->out.count;
    feed(f, "ACK sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5099;branch=z9hG4bKi1\r\n"
            "From: <sip:bob@pbx.test>;tag=a1\r\nTo: <sip:bob@pbx.test>;tag=x\r\nCall-ID: c1@127.0.0.2\r\n"
            "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(f->out.count, before);
    /* OPTIONS is not screened */
    feed(f, REQ("OPTIONS", "o1", ""));
    assert_int_equal(f->screened, 1);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 200"), 1);
    /* passed: the agent goes on (no on_incoming here: 480) */
    f->screen_code = 0;
    feed(f, REQ("INVITE", "i2", ""));
    assert_int_equal(f->screened, 2);
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 407"), 1);
    done(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_405_without_registrar),
        cmocka_unit_test(test_register_to_tu),
        cmocka_unit_test(test_screen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
