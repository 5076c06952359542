/* Receive-path tests: raw messages through sc_sip_feed (responses captured by the send hook)
 * and through a real UDP socket; 400/405/420/481/483/505/503 answers, OPTIONS, absorption of
 * retransmissions, drops and their counters. */
#include "sip_test_util.h"

#include "sip/sip_int.h"

#define HDRS(method, cseq_method, extra)                                         \
    method " sip:bob@127.0.0.1 SIP/2.0\r\n"                                      \
           "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK" method "1;rport\r\n" \
           "From: <sip:alice@127.0.0.1>;tag=a1\r\n"                              \
           "To: <sip:bob@127.0.0.1>\r\n"                                         \
           "Call-ID: c1@127.0.0.1\r\n"                                           \
           "CSeq: 1 " cseq_method "\r\n" extra

#define REQ(method, extra) HDRS(method, method, "Max-Forwards: 70\r\n" extra "Content-Length: 0\r\n\r\n")

typedef struct fx {
    uv_loop_t loop;
    sc_sip *sip;
    tu_msgs out;
    struct sockaddr_in src;
    sc_sip_config cfg;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    f->cfg.send_hook = tu_capture_hook;
    f->cfg.ud = &f->out;
    f->cfg.user_agent = "test-ua";
    f->cfg.t1_ms = 10;
    assert_int_equal(sc_sip_new(&f->sip, &f->loop, &f->cfg), 0);
    uv_ip4_addr("127.0.0.2", 5099, &f->src);
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

static void feed(fx *f, const char *msg)
{
    sc_sip_feed(f->sip, SC_SIP_UDP, (const struct sockaddr *)&f->src, msg, strlen(msg));
}

static sc_sip_stats stats(fx *f)
{
    sc_sip_stats s;
    sc_sip_get_stats(f->sip, &s);
    return s;
}

static void test_options_answered(void **state)
{
    fx *f = *state;
    feed(f, REQ("OPTIONS", ""));
    assert_int_equal(f->out.count, 1);
    const char *r = f->out.msg[0];
    assert_true(strncmp(r, "SIP/2.0 200 OK\r\n", 16) == 0);
    assert_non_null(strstr(r, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO, UPDATE, PRACK\r\n"));
    assert_non_null(strstr(r, "Accept: application/sdp\r\n"));
    assert_non_null(strstr(r, "Supported: replaces, 100rel\r\n"));
    assert_non_null(strstr(r, "User-Agent: test-ua\r\n"));
    assert_non_null(strstr(r, "received=127.0.0.2"));
    assert_non_null(strstr(r, "rport=5099"));
    assert_non_null(strstr(r, "To: <sip:bob@127.0.0.1>;tag="));
    assert_non_null(strstr(r, "CSeq: 1 OPTIONS\r\n"));
    /* answered statelessly: nothing kept, and a retransmission gets the same answer (the To
     * tag comes from the request) */
    sc_sip_stats s = stats(f);
    assert_int_equal(s.active_transactions, 0);
    feed(f, REQ("OPTIONS", ""));
    assert_int_equal(f->out.count, 2);
    assert_string_equal(f->out.msg[0], f->out.msg[1]);
    s = stats(f);
    assert_int_equal(s.requests_in[SC_SIP_M_OPTIONS], 2);
    assert_int_equal(s.responses_out[2], 2);
    assert_int_equal(s.active_transactions, 0);
}

/* A Max-Forwards that is no number is refused; a missing one is an RFC 2543 client, served
 * (RFC 4475 3.4.1). */
static void test_bad_max_forwards_400(void **state)
{
    fx *f = *state;
    feed(f, HDRS("OPTIONS", "OPTIONS", "Max-Forwards: x7\r\nContent-Length: 0\r\n\r\n"));
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 400 Bad Max-Forwards\r\n", 30) == 0);
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_MISSING_HEADER], 1);
    feed(f, HDRS("OPTIONS", "OPTIONS", "Content-Length: 0\r\n\r\n"));
    assert_int_equal(f->out.count, 2);
    assert_true(strncmp(f->out.msg[1], "SIP/2.0 200 ", 12) == 0);
}

/* The 400 of a request that failed validation goes where it came from (127.0.0.2:5099), not to
 * the unverified sent-by of its Via (a documentation address): no reflection. */
static void test_error_answer_goes_to_source(void **state)
{
    fx *f = *state;
    feed(f, "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.7:5099;branch=z9hG4bKrefl1;rport\r\n"
            "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: refl@x\r\n"
            "CSeq: 1 OPTIONS\r\nMax-Forwards: -1\r\nContent-Length: 0\r\n\r\n"); /* a 400 */
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 400 ", 12) == 0);
    const struct sockaddr_in *d = (const struct sockaddr_in *)&f->out.last_dst;
    assert_int_equal(d->sin_family, AF_INET);
    assert_int_equal(d->sin_addr.s_addr, f->src.sin_addr.s_addr);
    assert_int_equal(ntohs(d->sin_port), 5099);
    assert_non_null(strstr(f->out.msg[0], "received=127.0.0.2"));
}

/* RFC 4475 3.1.2.x: missing Call-ID, From or To: 400 with the headers that are there. */
static void test_missing_call_id_400(void **state)
{
    fx *f = *state;
    feed(f, "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKnocid;rport\r\nMax-Forwards: 70\r\n"
            "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 400 Missing Required Header\r\n", 37) == 0);
    assert_non_null(strstr(f->out.msg[0], "branch=z9hG4bKnocid"));
    assert_non_null(strstr(f->out.msg[0], "CSeq: 1 OPTIONS\r\n"));
    assert_null(strstr(f->out.msg[0], "Call-ID:"));
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_MISSING_HEADER], 1);
    /* an ACK missing them gets nothing */
    feed(f, "ACK sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKack\r\n"
            "Max-Forwards: 70\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(f->out.count, 1);
}

static void test_bad_version_505(void **state)
{
    fx *f = *state;
    const char *m = "OPTIONS sip:bob@127.0.0.1 SIP/7.0\r\n"
                    "Via: SIP/7.0/UDP 127.0.0.1:5062;branch=z9hG4bKv1\r\nMax-Forwards: 70\r\n"
                    "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n"
                    "Call-ID: v1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    feed(f, m);
    sc_sip_stats s = stats(f);
    if (s.rejected[SC_SIP_REJ_UNPARSABLE] == 1) { /* the parser refused it: dropped is fine too */
        assert_int_equal(f->out.count, 0);
        return;
    }
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 505 ", 12) == 0);
    assert_int_equal(s.rejected[SC_SIP_REJ_BAD_VERSION], 1);
}

static void test_require_unknown_420(void **state)
{
    fx *f = *state;
    feed(f, REQ("OPTIONS", "Require: replaces, foo\r\nRequire: 100rel, bar\r\n"));
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 420 Bad Extension\r\n", 27) == 0);
    assert_non_null(strstr(f->out.msg[0], "Unsupported: foo, bar\r\n"));
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_BAD_EXTENSION], 1);
}

static void test_unknown_method_501(void **state)
{
    fx *f = *state;
    feed(f, REQ("FOOBAR", ""));
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 501 Not Implemented\r\n", 29) == 0);
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_NOT_IMPLEMENTED], 1);
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_METHOD_NOT_ALLOWED], 0);
}

static void test_known_method_405(void **state)
{
    fx *f = *state;
    feed(f, REQ("SUBSCRIBE", "Event: presence\r\n"));
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 405 Method Not Allowed\r\n", 32) == 0);
    assert_non_null(strstr(f->out.msg[0], "Allow: INVITE"));
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_METHOD_NOT_ALLOWED], 1);
}

static void test_unknown_dialog_481(void **state)
{
    fx *f = *state;
    const char *bye = "BYE sip:bob@127.0.0.1 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKbye1\r\nMax-Forwards: 70\r\n"
                      "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=nope\r\n"
                      "Call-ID: unknown@x\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
    feed(f, bye);
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 481 Call/Transaction Does Not Exist\r\n", 45) == 0);
    assert_non_null(strstr(f->out.msg[0], "To: <sip:bob@127.0.0.1>;tag=nope\r\n"));
    /* out-of-dialog INFO: 481 as well */
    feed(f, REQ("INFO", ""));
    assert_int_equal(f->out.count, 2);
    assert_true(strncmp(f->out.msg[1], "SIP/2.0 481 ", 12) == 0);
    /* CANCEL for nothing */
    feed(f, REQ("CANCEL", ""));
    assert_true(strncmp(f->out.msg[2], "SIP/2.0 481 ", 12) == 0);
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_NO_DIALOG], 3);
}

static void test_cseq_mismatch_and_hops(void **state)
{
    fx *f = *state;
    feed(f, HDRS("OPTIONS", "INVITE", "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"));
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 400 CSeq Method Mismatch\r\n", 34) == 0);
    feed(f, HDRS("INVITE", "INVITE", "Max-Forwards: 0\r\nContent-Length: 0\r\n\r\n"));
    assert_int_equal(f->out.count, 2); /* an INVITE might be bridged on: it stops here */
    assert_true(strncmp(f->out.msg[1], "SIP/2.0 483 Too Many Hops\r\n", 27) == 0);
    feed(f, HDRS("OPTIONS", "OPTIONS", "Max-Forwards: 70\r\nContent-Length: 50\r\n\r\nshort"));
    assert_int_equal(f->out.count, 3);
    assert_true(strncmp(f->out.msg[2], "SIP/2.0 400 Bad Content-Length\r\n", 32) == 0);
    sc_sip_stats s = stats(f);
    assert_int_equal(s.rejected[SC_SIP_REJ_CSEQ_METHOD], 1);
    assert_int_equal(s.rejected[SC_SIP_REJ_TOO_MANY_HOPS], 1);
    assert_int_equal(s.rejected[SC_SIP_REJ_BAD_CONTENT_LENGTH], 1);
}

/* A flood of BYEs and CANCELs for dialogs and transactions we do not have: each gets 481 with
 * no transaction left behind (stateless), and a retransmission the very same answer. */
static void test_481_flood_is_stateless(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 200; i++) {
        char *bye = tu_fmt("BYE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKf%d\r\n"
                           "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a%d\r\nTo: <sip:b@127.0.0.1>;tag=b%d\r\n"
                           "Call-ID: flood%d\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
                           i, i, i, i);
        feed(f, bye);
        if (i == 0)
            feed(f, bye); /* a retransmission */
        free(bye);
    }
    feed(f, "CANCEL sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKnoinv\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\nTo: <sip:b@127.0.0.1>\r\n"
            "Call-ID: noinv\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(tu_msgs_count(&f->out, "SIP/2.0 481 "), 202);
    assert_string_equal(f->out.msg[0], f->out.msg[1]); /* the retransmission's answer is the same */
    sc_sip_stats st = stats(f);
    assert_int_equal(st.active_transactions, 0);
    assert_int_equal(st.rejected[SC_SIP_REJ_NO_DIALOG], 202);
}

static void test_drops(void **state)
{
    fx *f = *state;
    feed(f, "this is not SIP at all\r\n\r\n");
    feed(f, "\r\n\r\n"); /* keep-alive: ignored, not counted */
    const char *nocallid = "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKn1\r\nMax-Forwards: 70\r\n"
                           "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n"
                           "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    feed(f, nocallid);
    const char *stray = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnone\r\n"
                        "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: s1\r\nCSeq: 1 INVITE\r\n"
                        "Content-Length: 0\r\n\r\n";
    feed(f, stray);
    char *big = malloc(70000);
    memset(big, 'A', 69999);
    big[69999] = '\0';
    feed(f, big);
    free(big);
    assert_int_equal(f->out.count, 1); /* only the request without Call-ID is answered (400) */
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 400 Missing Required Header\r\n", 37) == 0);
    sc_sip_stats s = stats(f);
    assert_int_equal(s.rejected[SC_SIP_REJ_UNPARSABLE] + s.rejected[SC_SIP_REJ_MISSING_HEADER], 2);
    assert_int_equal(s.rejected[SC_SIP_REJ_STRAY_RESPONSE], 1);
    assert_int_equal(s.rejected[SC_SIP_REJ_TOO_LARGE], 1);
}

static void test_unparsable_400_and_multipart_415(void **state)
{
    fx *f = *state;
    /* RFC 4475 trws: the parser refuses the request line; the headers still allow a 400 */
    feed(f, "OPTIONS sip:bob@127.0.0.1 SIP/2.0  \r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKtrws\r\nMax-Forwards: 70\r\n"
            "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1@127.0.0.1\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(f->out.count, 1);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 400 ", 12) == 0);
    assert_non_null(strstr(f->out.msg[0], "Call-ID: c1@127.0.0.1\r\n"));
    assert_non_null(strstr(f->out.msg[0], "To: <sip:bob@127.0.0.1>;tag="));
    /* multipart bodies are refused with 415 and never reach the MIME parser */
    const char *mp = "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n";
    char *m = tu_fmt(HDRS("INFO", "INFO",
                          "Max-Forwards: 70\r\nContent-Type: multipart/mixed;boundary=b\r\n"
                          "Content-Length: %zu\r\n\r\n%s"),
                     strlen(mp), mp);
    feed(f, m);
    free(m);
    assert_int_equal(f->out.count, 2);
    assert_true(strncmp(f->out.msg[1], "SIP/2.0 415 Unsupported Media Type\r\n", 36) == 0);
    assert_non_null(strstr(f->out.msg[1], "Accept: application/sdp\r\n"));
    sc_sip_stats s = stats(f);
    assert_int_equal(s.rejected[SC_SIP_REJ_UNPARSABLE], 1);
    assert_int_equal(s.rejected[SC_SIP_REJ_UNSUPPORTED_MEDIA], 1);
}

static void test_invite_without_handler_480(void **state)
{
    fx *f = *state;
    feed(f, REQ("INVITE", "Contact: <sip:alice@127.0.0.1:5062>\r\n"));
    assert_int_equal(f->out.count, 2);
    assert_true(strncmp(f->out.msg[0], "SIP/2.0 100 Trying\r\n", 20) == 0);
    assert_true(strncmp(f->out.msg[1], "SIP/2.0 480 ", 12) == 0);
    /* INVITE without Contact: 400 */
    const char *m = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKnc\r\nMax-Forwards: 70\r\n"
                    "From: <sip:alice@127.0.0.1>;tag=a2\r\nTo: <sip:bob@127.0.0.1>\r\n"
                    "Call-ID: nc1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    feed(f, m);
    assert_int_equal(f->out.count, 3);
    assert_true(strncmp(f->out.msg[2], "SIP/2.0 400 Missing Contact\r\n", 29) == 0);
    /* the ACK for the 480 is absorbed by the transaction (no answer, no stray count) */
    const char *ack = "ACK sip:bob@127.0.0.1 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKINVITE1;rport\r\nMax-Forwards: 70\r\n"
                      "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=x\r\n"
                      "Call-ID: c1@127.0.0.1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
    feed(f, ack);
    assert_int_equal(f->out.count, 3);
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_STRAY_ACK], 0);
}

static int held_calls;
static sc_sip_call *held[4];

static void keep_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud)
{
    (void)sip;
    (void)msg;
    (void)ud;
    held[held_calls++] = call;
}

static void test_overload_503(void **state)
{
    fx *f = *state;
    tu_free_sip(&f->loop, f->sip);
    f->cfg.max_calls = 1;
    f->cfg.retry_after_s = 7;
    f->cfg.on_incoming = keep_incoming;
    held_calls = 0;
    assert_int_equal(sc_sip_new(&f->sip, &f->loop, &f->cfg), 0);
    feed(f, REQ("INVITE", "Contact: <sip:alice@127.0.0.1:5062>\r\n"));
    assert_int_equal(held_calls, 1);
    const char *m = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKsecond\r\nMax-Forwards: 70\r\n"
                    "From: <sip:alice@127.0.0.1>;tag=a2\r\nTo: <sip:bob@127.0.0.1>\r\nContact: <sip:a@127.0.0.1>\r\n"
                    "Call-ID: second\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    feed(f, m);
    assert_int_equal(held_calls, 1);
    const char *r = tu_msgs_find(&f->out, "SIP/2.0 503");
    assert_non_null(r);
    assert_non_null(strstr(r, "Retry-After: 7\r\n"));
    assert_int_equal(stats(f).rejected[SC_SIP_REJ_OVERLOAD], 1);
    assert_int_equal(stats(f).active_calls, 1);
    sc_sip_call_release(held[0]); /* answers 480 */
    assert_non_null(tu_msgs_find(&f->out, "SIP/2.0 480"));
}

static void test_real_udp_socket(void **state)
{
    fx *f = *state;
    tu_free_sip(&f->loop, f->sip);
    f->cfg.send_hook = NULL;
    assert_int_equal(sc_sip_new(&f->sip, &f->loop, &f->cfg), 0);
    assert_int_equal(sc_sip_listen(f->sip, "udp:127.0.0.1:0"), 0);
    assert_int_equal(sc_sip_listen(f->sip, "bogus:1.2.3.4:5"), -EINVAL);
    assert_int_equal(sc_sip_listen(f->sip, "udp:1.2.3:5"), -EINVAL);
    tu_peer p;
    tu_peer_open(&p, &f->loop);
    struct sockaddr_storage dst;
    sc_sip_listener_addr(f->sip, 0, &dst);
    tu_peer_send(&p, &dst, REQ("OPTIONS", ""));
    tu_run(&f->loop, NULL, 100);
    assert_int_equal(p.got.count, 1);
    assert_true(strncmp(p.got.msg[0], "SIP/2.0 200 OK", 14) == 0);
    char rport[32];
    snprintf(rport, sizeof rport, "rport=%u", p.port);
    assert_non_null(strstr(p.got.msg[0], rport));
    tu_peer_close(&p);
    /* IPv6 loopback, when the host has it */
    if (sc_sip_listen(f->sip, "udp:[::1]:0") == 0) {
        struct sockaddr_storage a6;
        assert_int_equal(sc_sip_listener_addr(f->sip, 1, &a6), 0);
        assert_int_equal(a6.ss_family, AF_INET6);
    }
}

/* sip_msg_str (msg.c): the exact text whatever the message's size: small ones, ones written in
 * the thread's reusable block, one that outgrows it, and ones between (the block is lent again
 * each time; osip's other allocations are the C library's). */
static void test_msg_str_sizes(void **state)
{
    fx *f = *state; /* sc_sip_new set osip's allocators */
    (void)f;
    static const size_t bodies[] = {0, 100, 9000, 40000, 300, 15000, 0};
    for (size_t k = 0; k < sizeof bodies / sizeof *bodies; k++) {
        size_t blen = bodies[k];
        char *raw = malloc(blen + 1024);
        int h = snprintf(raw, 1024,
                         HDRS("MESSAGE", "MESSAGE",
                              "Max-Forwards: 70\r\nContent-Type: text/plain\r\n") "Content-Length: %zu\r\n\r\n",
                         blen);
        memset(raw + h, 'a' + (int)k, blen);
        osip_message_t *m = NULL;
        assert_int_equal(osip_message_init(&m), 0);
        assert_int_equal(osip_message_parse(m, raw, (size_t)h + blen), 0);
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(sip_msg_str(m, &text, &len), 0);
        assert_int_equal(strlen(text), len);
        const char *body = strstr(text, "\r\n\r\n");
        assert_non_null(body);
        assert_int_equal(strlen(body + 4), blen);
        for (size_t i = 0; i < blen; i++)
            if (body[4 + i] != 'a' + (int)k)
                fail_msg("body byte %zu of message %zu", i, k);
        assert_non_null(strstr(text, "Call-ID: c1@127.0.0.1"));
        osip_message_free(m);
        free(text); /* the text is the caller's, from the C library */
        free(raw);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_options_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msg_str_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_max_forwards_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_answer_goes_to_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_call_id_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_481_flood_is_stateless, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_version_505, setup, teardown),
        cmocka_unit_test_setup_teardown(test_require_unknown_420, setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_method_405, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method_501, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_dialog_481, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cseq_mismatch_and_hops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unparsable_400_and_multipart_415, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invite_without_handler_480, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overload_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_udp_socket, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
