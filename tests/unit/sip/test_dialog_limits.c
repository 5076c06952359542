/* A call keeps its dialog's strings at their exact size (src/sip/dlg.c), bounded by the limits
 * of sc_sip_dialog_state: long values up to the limits work end to end (a 250-byte Call-ID, a
 * ~500-byte Contact, a ~2,000-byte route set, both as the callee and as the caller), survive
 * target refreshes (shorter, then longer: the Call-ID and URIs stay where they were) and a
 * save and restore; a 2xx retransmitted is ACKed again, then absorbed; values at the limits are
 * refused with a 400 "Value Too Long", as they always were. Messages go in through
 * sc_sip_feed and out through the send hook: no sockets. */
#include <arpa/inet.h>

#include "sip_test_util.h"

#define T1 10

typedef struct fx {
    uv_loop_t loop;
    sc_sip *sip;
    sc_sip_call *call;
    tu_msgs out;        /* everything the agent sent */
    int reinvites;      /* DialogReINVITE events */
    unsigned branches;  /* INVITEs fed: each its own branch */
    bool ok200;         /* Dialog200OK (caller side) */
    char out_dst[64];   /* "ip:port" of the last message sent */
    char callid[300];   /* values of the dialog under test */
    char from_tag[200]; /* the peer's tag */
    char contact[700];  /* the peer's Contact URI */
    char rr[2200];      /* Record-Route values, ", "-joined, in the order received */
    char rr_hdrs[2600]; /* the same as Record-Route header lines */
    char rr_rev[2600];  /* the header lines in the reverse order (a 2xx to the caller) */
} fx;

static bool hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    (void)tp;
    fx *f = ud;
    tu_msgs_add(&f->out, data, len);
    const struct sockaddr_in *in = (const struct sockaddr_in *)dst;
    char ip[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    snprintf(f->out_dst, sizeof f->out_dst, "%s:%u", ip, ntohs(in->sin_port));
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
    fx *f = ud;
    if (ev->type == SC_EV_DialogReINVITE)
        f->reinvites++;
    if (ev->type == SC_EV_Dialog200OK && !strcmp(ev->method, "INVITE"))
        f->ok200 = true;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    sc_sip_config cfg = {.send_hook = hook, .on_incoming = on_incoming, .on_event = on_event, .ud = f, .t1_ms = T1};
    assert_int_equal(sc_sip_new(&f->sip, &f->loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(f->sip, "udp:127.0.0.1:0"), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sc_sip_call_release(f->call);
    tu_free_sip(&f->loop, f->sip);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    tu_msgs_clear(&f->out);
    free(f);
    return 0;
}

static void feed(fx *f, const char *msg)
{
    struct sockaddr_in src;
    uv_ip4_addr("127.0.0.2", 5099, &src);
    sc_sip_feed(f->sip, SC_SIP_UDP, (const struct sockaddr *)&src, msg, strlen(msg));
}

/* printf into dst (cap bytes), or after what it holds (catf); the whole text must fit. */
static void vputf(char *dst, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(dst, cap, fmt, ap);
    assert_true(n >= 0 && (size_t)n < cap);
}

static void setf(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vputf(dst, cap, fmt, ap);
    va_end(ap);
}

static void catf(char *dst, size_t cap, const char *fmt, ...)
{
    size_t l = strlen(dst);
    va_list ap;
    va_start(ap, fmt);
    vputf(dst + l, cap - l, fmt, ap);
    va_end(ap);
}

static void fill(char *dst, char c, size_t n)
{
    memset(dst, c, n);
    dst[n] = '\0';
}

/* A Call-ID of cid_len bytes, a tag of tag_len, a Contact URI of contact_len and Record-Route
 * entries of about 100 bytes (the first at 127.0.0.7:5080) making a route set of rr_len. */
static void make_values(fx *f, size_t cid_len, size_t tag_len, size_t contact_len, size_t rr_len)
{
    char pad[2100];
    assert_true(cid_len < sizeof f->callid && contact_len < sizeof f->contact && rr_len < sizeof f->rr);
    fill(pad, 'c', cid_len - strlen("@127.0.0.2"));
    setf(f->callid, sizeof f->callid, "%s@127.0.0.2", pad);
    fill(f->from_tag, 't', tag_len);
    fill(pad, 'u', contact_len - strlen("sip:@127.0.0.9:5070"));
    setf(f->contact, sizeof f->contact, "sip:%s@127.0.0.9:5070", pad);
    f->rr[0] = f->rr_hdrs[0] = f->rr_rev[0] = '\0';
    size_t nrr = (rr_len + 2 + 101) / 102, each = (rr_len - 2 * (nrr - 1)) / nrr;
    for (size_t i = 0; i < nrr; i++) {
        size_t len = i + 1 < nrr ? each : rr_len - 2 * (nrr - 1) - each * (nrr - 1);
        char v[300], tmp[2600];
        int n = snprintf(v, sizeof v, "<sip:127.0.0.%zu:5080;lr;p=", 7 + i);
        fill(pad, (char)('a' + i % 26), len - (size_t)n - 1);
        catf(v, sizeof v, "%s>", pad);
        catf(f->rr, sizeof f->rr, "%s%s", f->rr[0] ? ", " : "", v);
        catf(f->rr_hdrs, sizeof f->rr_hdrs, "Record-Route: %s\r\n", v);
        setf(tmp, sizeof tmp, "Record-Route: %s\r\n%s", v, f->rr_rev);
        memcpy(f->rr_rev, tmp, sizeof tmp);
    }
    assert_int_equal(strlen(f->rr), rr_len);
}

static void feed_invite(fx *f, unsigned cseq, const char *to_tag, const char *contact)
{
    char *m = tu_fmt("INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.2:5099;branch=z9hG4bKinv%u;rport\r\nMax-Forwards: 70\r\n"
                     "%sFrom: <sip:alice@127.0.0.2>;tag=%s\r\nTo: <sip:bob@127.0.0.1>%s%s\r\n"
                     "Contact: <%s>\r\nCall-ID: %s\r\nCSeq: %u INVITE\r\nContent-Length: 0\r\n\r\n",
                     ++f->branches, cseq == 1 ? f->rr_hdrs : "", f->from_tag, to_tag ? ";tag=" : "",
                     to_tag ? to_tag : "", contact, f->callid, cseq);
    feed(f, m);
    free(m);
}

static void feed_ack(fx *f, unsigned cseq, const char *to_tag)
{
    char *m = tu_fmt("ACK sip:bob@127.0.0.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.2:5099;branch=z9hG4bKack%u;rport\r\nMax-Forwards: 70\r\n"
                     "From: <sip:alice@127.0.0.2>;tag=%s\r\nTo: <sip:bob@127.0.0.1>;tag=%s\r\n"
                     "Call-ID: %s\r\nCSeq: %u ACK\r\nContent-Length: 0\r\n\r\n",
                     cseq, f->from_tag, to_tag, f->callid, cseq);
    feed(f, m);
    free(m);
}

/* A header's value (up to CRLF) in msg, copied to out; false if absent. */
static bool header(const char *msg, const char *name, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(msg, key);
    if (!p)
        return false;
    p += strlen(key);
    const char *e = strstr(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)(e - p), p);
    return true;
}

/* Every Route header of msg, ", "-joined in order. */
static void routes(const char *msg, char *out, size_t cap)
{
    out[0] = '\0';
    for (const char *p = strstr(msg, "\r\nRoute: "); p; p = strstr(p + 2, "\r\nRoute: ")) {
        const char *v = p + 9, *e = strstr(v, "\r\n");
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%s%.*s", l ? ", " : "", (int)(e - v), v);
    }
}

static const char *last_sent(fx *f, const char *prefix)
{
    const char *m = NULL;
    for (size_t i = 0; i < f->out.count; i++)
        if (!strncmp(f->out.msg[i], prefix, strlen(prefix)))
            m = f->out.msg[i];
    return m;
}

/* Our tag from the To of the last 2xx we sent. */
static void our_tag(fx *f, char *out, size_t cap)
{
    char to[1024];
    const char *ok = last_sent(f, "SIP/2.0 200");
    assert_non_null(ok);
    assert_true(header(ok, "To", to, sizeof to));
    const char *t = strstr(to, ";tag=");
    assert_non_null(t);
    snprintf(out, cap, "%s", t + 5);
}

/* A BYE from call: to the route set's first hop, with the dialog's values. */
static void check_bye(fx *f, sc_sip_call *call, const char *ruri, const char *tag)
{
    tu_msgs_clear(&f->out);
    assert_int_equal(sc_sip_call_bye(call), 0);
    const char *bye = last_sent(f, "BYE ");
    assert_non_null(bye);
    char want[1024], got[2400];
    setf(want, sizeof want, "BYE %s SIP/2.0\r\n", ruri);
    assert_int_equal(strncmp(bye, want, strlen(want)), 0);
    assert_string_equal(f->out_dst, "127.0.0.7:5080");
    assert_true(header(bye, "Call-ID", got, sizeof got));
    assert_string_equal(got, f->callid);
    assert_true(header(bye, "To", got, sizeof got));
    setf(want, sizeof want, "<sip:alice@127.0.0.2>;tag=%s", f->from_tag);
    assert_string_equal(got, want);
    assert_true(header(bye, "From", got, sizeof got));
    setf(want, sizeof want, "<sip:bob@127.0.0.1>;tag=%s", tag);
    assert_string_equal(got, want);
    routes(bye, got, sizeof got);
    assert_string_equal(got, f->rr);
}

/* The callee's side: the INVITE's long values, two target refreshes (a shorter Contact written
 * in place, then a longer one repacked), a BYE; then the dialog saved and restored elsewhere
 * sends the same BYE. */
static void long_values_uas(void **state)
{
    fx *f = *state;
    make_values(f, 250, 120, 500, 2000);
    assert_int_equal(strlen(f->callid), 250);
    assert_int_equal(strlen(f->contact), 500);
    feed_invite(f, 1, NULL, f->contact);
    assert_non_null(f->call);
    assert_int_equal(sc_sip_call_respond(f->call, 200, NULL, NULL), 0);
    char tag[64];
    our_tag(f, tag, sizeof tag);
    feed_ack(f, 1, tag);

    sc_sip_dialog_state d;
    sc_sip_call_dialog(f->call, &d);
    assert_string_equal(d.call_id, f->callid);
    assert_string_equal(d.remote_tag, f->from_tag);
    assert_string_equal(d.local_tag, tag);
    assert_string_equal(d.remote_target, f->contact);
    assert_string_equal(d.route_set, f->rr);
    assert_string_equal(d.remote_uri, "sip:alice@127.0.0.2");
    assert_string_equal(d.local_uri, "sip:bob@127.0.0.1");
    assert_int_equal(d.phase, SC_SIP_DIALOG_CONFIRMED);
    assert_string_equal(sc_sip_call_id(f->call), f->callid);
    /* the identity does not move when the dialog changes: callers may hold these pointers */
    const char *idp = sc_sip_call_id(f->call), *lup = sc_sip_call_local_uri(f->call);
    const char *rup = sc_sip_call_remote_uri(f->call);

    /* target refresh: shorter, then longer than the first Contact */
    const char *shorter = "sip:s@127.0.0.9:5071";
    char longer[600], user[500];
    fill(user, 'v', 480);
    setf(longer, sizeof longer, "sip:%s@127.0.0.9:5072", user);
    unsigned cseq = 2;
    const char *targets[] = {shorter, longer};
    for (size_t i = 0; i < 2; i++, cseq++) {
        feed_invite(f, cseq, tag, targets[i]);
        assert_int_equal(f->reinvites, (int)i + 1);
        assert_int_equal(sc_sip_call_respond(f->call, 200, NULL, NULL), 0);
        feed_ack(f, cseq, tag);
        sc_sip_call_dialog(f->call, &d);
        assert_string_equal(d.remote_target, targets[i]);
        assert_string_equal(d.route_set, f->rr); /* a re-INVITE does not change the route set */
        assert_string_equal(d.call_id, f->callid);
        assert_string_equal(d.remote_tag, f->from_tag);
    }
    assert_ptr_equal(sc_sip_call_id(f->call), idp);
    assert_ptr_equal(sc_sip_call_local_uri(f->call), lup);
    assert_ptr_equal(sc_sip_call_remote_uri(f->call), rup);
    assert_string_equal(idp, f->callid);
    check_bye(f, f->call, longer, tag);

    /* saved and restored (persistence): the restored call builds the same request */
    sc_sip *other;
    sc_sip_config cfg = {.send_hook = hook, .on_event = on_event, .ud = f, .t1_ms = T1};
    assert_int_equal(sc_sip_new(&other, &f->loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(other, "udp:127.0.0.1:0"), 0);
    sc_sip_call *rc;
    assert_int_equal(sc_sip_call_restore(other, &rc, &d, NULL), 0);
    sc_sip_dialog_state d2;
    sc_sip_call_dialog(rc, &d2);
    assert_string_equal(d2.call_id, d.call_id);
    assert_string_equal(d2.local_tag, d.local_tag);
    assert_string_equal(d2.remote_tag, d.remote_tag);
    assert_string_equal(d2.local_uri, d.local_uri);
    assert_string_equal(d2.remote_uri, d.remote_uri);
    assert_string_equal(d2.remote_target, d.remote_target);
    assert_string_equal(d2.route_set, d.route_set);
    assert_int_equal(d2.local_cseq, d.local_cseq);
    assert_int_equal(d2.remote_cseq, d.remote_cseq);
    assert_int_equal(d2.transport, d.transport);
    assert_int_equal(d2.remote_addr.ss_family, AF_INET);
    assert_int_equal(memcmp(&d2.remote_addr, &d.remote_addr, sizeof(struct sockaddr_in)), 0);
    assert_int_equal(memcmp(&d2.local_addr, &d.local_addr, sizeof(struct sockaddr_in)), 0);
    check_bye(f, rc, longer, tag);
    sc_sip_call_release(rc);
    sc_sip_free(other); /* its handles close in teardown's loop run */
}

/* The caller's side: a 2xx bringing the long values (its Record-Route reversed into the route
 * set, RFC 3261 12.1.2), then our BYE with them. */
static void long_values_uac(void **state)
{
    fx *f = *state;
    make_values(f, 250, 120, 500, 2000);
    sc_sip_call *c;
    assert_int_equal(sc_sip_call_invite(f->sip, &c, "sip:bob@127.0.0.1", "sip:alice@127.0.0.2:5099", NULL, NULL), 0);
    f->call = c;
    const char *inv = last_sent(f, "INVITE ");
    assert_non_null(inv);
    char via[256], from[1024], cid[300];
    assert_true(header(inv, "Via", via, sizeof via));
    assert_true(header(inv, "From", from, sizeof from));
    assert_true(header(inv, "Call-ID", cid, sizeof cid));
    /* the Record-Route in the reverse order: the caller's route set reverses it to f->rr */
    char *ok = tu_fmt("SIP/2.0 200 OK\r\nVia: %s\r\n%sFrom: %s\r\nTo: <sip:alice@127.0.0.2:5099>;tag=%s\r\n"
                      "Contact: <%s>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
                      via, f->rr_rev, from, f->from_tag, f->contact, cid);
    feed(f, ok);
    assert_true(f->ok200);
    assert_int_equal(sc_sip_call_ack(c, NULL), 0);
    const char *ack = last_sent(f, "ACK ");
    assert_non_null(ack);
    char want[800];
    setf(want, sizeof want, "ACK %s SIP/2.0\r\n", f->contact);
    assert_int_equal(strncmp(ack, want, strlen(want)), 0);
    /* a retransmitted 2xx is ACKed again while it may come (64*T1), absorbed after */
    tu_msgs_clear(&f->out);
    f->ok200 = false;
    feed(f, ok);
    assert_int_equal(tu_msgs_count(&f->out, "ACK "), 1);
    tu_run(&f->loop, NULL, 64 * T1 + 100);
    tu_msgs_clear(&f->out);
    feed(f, ok);
    assert_int_equal(tu_msgs_count(&f->out, "ACK "), 0);
    assert_false(f->ok200);
    free(ok);
    sc_sip_dialog_state d;
    sc_sip_call_dialog(c, &d);
    assert_string_equal(d.remote_tag, f->from_tag);
    assert_string_equal(d.remote_target, f->contact);
    assert_string_equal(d.route_set, f->rr);
    /* our BYE: To is the callee (alice here), From us (bob) */
    tu_msgs_clear(&f->out);
    assert_int_equal(sc_sip_call_bye(c), 0);
    const char *bye = last_sent(f, "BYE ");
    assert_non_null(bye);
    setf(want, sizeof want, "BYE %s SIP/2.0\r\n", f->contact);
    assert_int_equal(strncmp(bye, want, strlen(want)), 0);
    assert_string_equal(f->out_dst, "127.0.0.7:5080");
    char got[2400];
    assert_true(header(bye, "Call-ID", got, sizeof got));
    assert_string_equal(got, cid);
    routes(bye, got, sizeof got);
    assert_string_equal(got, f->rr);
}

/* An INVITE whose values are at the limits is refused whole with 400 Value Too Long, and no call
 * is made; one byte less is taken. */
static void refused(fx *f, const char *why)
{
    const char *r = last_sent(f, "SIP/2.0 ");
    assert_non_null(r);
    if (strncmp(r, "SIP/2.0 400 Value Too Long\r\n", 28) != 0)
        fail_msg("%s: got %.40s", why, r);
    assert_null(f->call);
    tu_msgs_clear(&f->out);
}

static void accepted(fx *f, const char *why)
{
    if (!f->call)
        fail_msg("%s: no call", why);
    sc_sip_call_release(f->call);
    f->call = NULL;
    tu_msgs_clear(&f->out);
}

static void values_past_limits(void **state)
{
    fx *f = *state;
    static const struct {
        size_t cid, tag, contact, rr;
        bool ok;
        const char *why;
    } cases[] = {
        {SC_SIP_CALLID_MAX - 1, 10, 40, 40, true, "Call-ID of 255"},
        {SC_SIP_CALLID_MAX, 10, 40, 40, false, "Call-ID of 256"},
        {40, SC_SIP_TAG_MAX - 1, 40, 40, true, "tag of 127"},
        {40, SC_SIP_TAG_MAX, 40, 40, false, "tag of 128"},
        {40, 10, SC_SIP_URI_MAX - 1, 40, true, "Contact of 511"},
        {40, 10, SC_SIP_URI_MAX, 40, false, "Contact of 512"},
        {40, 10, 40, SC_SIP_ROUTESET_MAX - 1, true, "route set of 2,047"},
        {40, 10, 40, SC_SIP_ROUTESET_MAX, false, "route set of 2,048"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        make_values(f, cases[i].cid, cases[i].tag, cases[i].contact, cases[i].rr);
        f->callid[0] = (char)('A' + i); /* a new call each time */
        feed_invite(f, 1, NULL, f->contact);
        if (cases[i].ok)
            accepted(f, cases[i].why);
        else
            refused(f, cases[i].why);
    }
    /* From URI past the limit */
    make_values(f, 40, 10, 40, 40);
    char user[600];
    fill(user, 'f', SC_SIP_URI_MAX);
    char *m = tu_fmt("INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.2:5099;branch=z9hG4bKlongfrom;rport\r\nMax-Forwards: 70\r\n"
                     "From: <sip:%s@127.0.0.2>;tag=x\r\nTo: <sip:bob@127.0.0.1>\r\n"
                     "Contact: <sip:a@127.0.0.2>\r\nCall-ID: longfrom@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
                     user);
    feed(f, m);
    free(m);
    refused(f, "From URI past the limit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(long_values_uas, setup, teardown),
        cmocka_unit_test_setup_teardown(long_values_uac, setup, teardown),
        cmocka_unit_test_setup_teardown(values_past_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
