/* A UAS dialog's remote target (the INVITE's Contact) is unconfirmed until a request of the
 * dialog comes from its IP: requests to it go once over UDP, never retransmitted (dialog.c,
 * sip_call_target_unconfirmed). The BYE after a 2xx never ACKed, after an ACK from elsewhere,
 * and after an ACK from the Contact's IP (retransmitted as usual). */
#include <arpa/inet.h>

#include "sip_test_util.h"

#define T1 10

typedef struct fx {
    uv_loop_t loop;
    sc_sip *sip;
    sc_sip_call *call;
    bool ack_timeout; /* DialogTimeout for the ACK */
    unsigned byes_to_contact, byes_elsewhere, oks_to_caller;
    char to_tag[64];
} fx;

static bool is_addr(const struct sockaddr *a, const char *ip, uint16_t port)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)a;
    char s[INET_ADDRSTRLEN];
    return a->sa_family == AF_INET && inet_ntop(AF_INET, &in->sin_addr, s, sizeof s) && !strcmp(s, ip) &&
           ntohs(in->sin_port) == port;
}

static void count(fx *f, const struct sockaddr *dst, const char *data)
{
    if (!strncmp(data, "BYE ", 4)) {
        if (is_addr(dst, "127.0.0.9", 5070))
            f->byes_to_contact++;
        else
            f->byes_elsewhere++;
    } else if (!strncmp(data, "SIP/2.0 200", 11) && strstr(data, "INVITE\r\n") && is_addr(dst, "127.0.0.2", 5099)) {
        f->oks_to_caller++;
        const char *t = strstr(data, "\r\nTo: ");
        const char *tag = t ? strstr(t, ";tag=") : NULL;
        if (tag)
            sscanf(tag + 5, "%63[^;\r\n]", f->to_tag);
    }
}

static bool hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    (void)tp;
    char *s = tu_fmt("%.*s", (int)len, data); /* the message is not NUL-terminated */
    count(ud, dst, s);
    free(s);
    return true;
}

static void on_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud)
{
    (void)sip;
    (void)msg;
    ((fx *)ud)->call = call;
}

static void on_event(sc_sip_call *call, const sc_sip_event *ev, void *ud)
{
    (void)call;
    if (ev->type == SC_EV_DialogTimeout && !strcmp(ev->method, "ACK"))
        ((fx *)ud)->ack_timeout = true;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    sc_sip_config cfg = {.send_hook = hook, .on_incoming = on_incoming, .on_event = on_event, .ud = f, .t1_ms = T1};
    assert_int_equal(sc_sip_new(&f->sip, &f->loop, &cfg), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sc_sip_call_release(f->call);
    tu_free_sip(&f->loop, f->sip);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    return 0;
}

static void feed_from(fx *f, const char *ip, uint16_t port, const char *msg)
{
    struct sockaddr_in src;
    uv_ip4_addr(ip, port, &src);
    sc_sip_feed(f->sip, SC_SIP_UDP, (const struct sockaddr *)&src, msg, strlen(msg));
}

/* An INVITE from 127.0.0.2:5099 naming 127.0.0.9:5070 as its Contact, answered 200. */
static void answered_call(fx *f)
{
    feed_from(f, "127.0.0.2", 5099,
              "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
              "Via: SIP/2.0/UDP 127.0.0.2:5099;branch=z9hG4bKinv1;rport\r\nMax-Forwards: 70\r\n"
              "From: <sip:alice@127.0.0.2>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n"
              "Contact: <sip:victim@127.0.0.9:5070>\r\nCall-ID: unconf@127.0.0.2\r\nCSeq: 1 INVITE\r\n"
              "Content-Length: 0\r\n\r\n");
    assert_non_null(f->call);
    assert_int_equal(sc_sip_call_respond(f->call, 200, NULL, NULL), 0);
    assert_int_equal(f->oks_to_caller, 1);
    assert_true(f->to_tag[0]);
}

static void ack_from(fx *f, const char *ip, uint16_t port)
{
    char *ack = tu_fmt("ACK sip:bob@127.0.0.1 SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKack1;rport\r\nMax-Forwards: 70\r\n"
                       "From: <sip:alice@127.0.0.2>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=%s\r\n"
                       "Call-ID: unconf@127.0.0.2\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
                       ip, port, f->to_tag);
    feed_from(f, ip, port, ack);
    free(ack);
}

static sc_sip_stats stats(fx *f)
{
    sc_sip_stats s;
    sc_sip_get_stats(f->sip, &s);
    return s;
}

/* Hangs up and lets the BYE's transaction run its whole 64*T1. */
static void bye_and_wait(fx *f)
{
    assert_int_equal(sc_sip_call_bye(f->call), 0);
    tu_run(&f->loop, NULL, 64 * T1 + 100);
}

static void test_no_ack_bye_once(void **state)
{
    fx *f = *state;
    answered_call(f);
    assert_true(tu_run(&f->loop, &f->ack_timeout, 2000));
    assert_true(f->oks_to_caller >= 5); /* the 200 itself went to the caller, retransmitted */
    bye_and_wait(f);
    assert_int_equal(f->byes_to_contact, 1);
    assert_int_equal(f->byes_elsewhere, 0);
    assert_int_equal(stats(f).unconfirmed_sends, 1);
}

static void test_ack_from_elsewhere_keeps_it_unconfirmed(void **state)
{
    fx *f = *state;
    answered_call(f);
    ack_from(f, "127.0.0.2", 5099);
    bye_and_wait(f);
    assert_false(f->ack_timeout);
    assert_int_equal(f->byes_to_contact, 1);
    assert_int_equal(stats(f).unconfirmed_sends, 1);
}

static void test_ack_from_the_contact_ip_confirms(void **state)
{
    fx *f = *state;
    answered_call(f);
    ack_from(f, "127.0.0.9", 40000); /* the Contact's IP, another port: confirmed */
    bye_and_wait(f);
    assert_true(f->byes_to_contact >= 5); /* timer E: 0, 10, 30, 70, 150, 310, 630 ms */
    assert_int_equal(stats(f).unconfirmed_sends, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_ack_bye_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_from_elsewhere_keeps_it_unconfirmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_from_the_contact_ip_confirms, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
