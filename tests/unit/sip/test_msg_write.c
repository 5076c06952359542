/* Our own message writer (src/sip/msg_write.c) against libosip2's osip_message_to_str, byte for
 * byte: a corpus of requests and responses as sessiond builds them and odd ones from the wire,
 * each parsed by osip; messages built and modified through the osip API (as sessiond's
 * responses are); the ones the writer leaves to osip (multipart, too big, cached text) still
 * right through sip_msg_str. */
#include "sip_test_util.h"

#include "sip/msg_write.h"
#include "sip/sip_int.h"

#define CRLF "\r\n"

#define SDP                                                                                                   \
    "v=0" CRLF "o=- 1 1 IN IP4 127.0.0.1" CRLF "s=-" CRLF "c=IN IP4 127.0.0.1" CRLF "t=0 0" CRLF              \
    "m=audio 20000 RTP/AVP 0 8 101" CRLF "a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:101 telephone-event/8000" CRLF \
    "a=fmtp:101 0-15" CRLF "a=sendrecv" CRLF

#define BASE(first, method)                                                                                            \
    first CRLF "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1;rport" CRLF "From: <sip:alice@127.0.0.1>;tag=a1" CRLF \
               "To: <sip:bob@127.0.0.1>" CRLF "Call-ID: c1@127.0.0.1" CRLF "CSeq: 1 " method CRLF

/* Messages the writer must write itself, exactly as osip does. */
static const char *const corpus[] = {
    /* requests as sessiond sends them */
    BASE("INVITE sip:bob@127.0.0.1:5060 SIP/2.0",
         "INVITE") "Contact: <sip:alice@127.0.0.1:5062>" CRLF "Max-Forwards: 70" CRLF "User-Agent: session-core" CRLF
                   "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS" CRLF "Supported: replaces, 100rel, timer" CRLF
                   "Content-Type: application/sdp" CRLF "Content-Length: 180" CRLF CRLF SDP,
    BASE("ACK sip:bob@127.0.0.1:5060 SIP/2.0", "ACK") "Max-Forwards: 70" CRLF "Content-Length: 0" CRLF CRLF,
    BASE("BYE sip:bob@127.0.0.1:5060;transport=udp SIP/2.0",
         "BYE") "Route: <sip:p1.example.com;lr>" CRLF "Route: <sip:p2.example.com:5070;lr;transport=tcp>" CRLF
                "Max-Forwards: 70" CRLF "Content-Length: 0" CRLF CRLF,
    BASE("CANCEL sip:bob@127.0.0.1 SIP/2.0", "CANCEL") "Max-Forwards: 70" CRLF "Content-Length: 0" CRLF CRLF,
    BASE("REFER sip:bob@127.0.0.1 SIP/2.0",
         "REFER") "Contact: <sip:alice@127.0.0.1:5062>" CRLF
                  "Refer-To: <sip:carol@127.0.0.1?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>" CRLF
                  "Referred-By: <sip:alice@127.0.0.1>" CRLF "Content-Length: 0" CRLF CRLF,
    BASE("NOTIFY sip:bob@127.0.0.1 SIP/2.0", "NOTIFY") "Event: refer;id=7" CRLF
                                                       "Subscription-State: terminated;reason=noresource" CRLF
                                                       "Content-Type: message/sipfrag;version=2.0" CRLF
                                                       "Content-Length: 16" CRLF CRLF "SIP/2.0 200 OK" CRLF,
    BASE("INFO sip:bob@127.0.0.1 SIP/2.0", "INFO") "Content-Type: application/dtmf-relay" CRLF
                                                   "Content-Length: 24" CRLF CRLF "Signal=5" CRLF "Duration=160" CRLF,
    BASE("OPTIONS sip:bob@127.0.0.1 SIP/2.0",
         "OPTIONS") "Accept: application/sdp, text/plain;level=1" CRLF "Accept-Encoding: gzip;q=0.5, identity" CRLF
                    "Accept-Language: en, fr;q=0.2" CRLF "Content-Length: 0" CRLF CRLF,
    BASE("PRACK sip:bob@127.0.0.1 SIP/2.0", "PRACK") "RAck: 1 1 INVITE" CRLF "Content-Length: 0" CRLF CRLF,
    BASE("UPDATE sip:bob@127.0.0.1 SIP/2.0", "UPDATE") "Session-Expires: 1800;refresher=uac" CRLF
                                                       "Content-Type: application/sdp" CRLF
                                                       "Content-Length: 180" CRLF CRLF SDP,
    BASE(
        "REGISTER sip:127.0.0.1 SIP/2.0",
        "REGISTER") "Contact: <sip:alice@127.0.0.1:5062;ob>;expires=3600;+sip.instance=\"<urn:uuid:1-2-3>\";reg-id=1" CRLF
                    "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", uri=\"sip:127.0.0.1\", "
                    "response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, cnonce=\"xyz\", qop=auth, nc=00000001" CRLF
                    "Expires: 3600" CRLF "Content-Length: 0" CRLF CRLF,
    BASE("REGISTER sip:127.0.0.1 SIP/2.0", "REGISTER") "Contact: *" CRLF "Expires: 0" CRLF
                                                       "Content-Length: 0" CRLF CRLF,
    BASE(
        "INVITE sip:bob@127.0.0.1 SIP/2.0",
        "INVITE") "Proxy-Authorization: Digest username=\"alice\", realm=\"r\", nonce=\"n\", uri=\"sip:bob@127.0.0.1\", "
                  "response=\"00\"" CRLF "Content-Type: application/sdp" CRLF "Content-Length: 180" CRLF CRLF SDP,
    /* responses as sessiond sends them */
    BASE("SIP/2.0 100 Trying", "INVITE") "Content-Length: 0" CRLF CRLF,
    "SIP/2.0 180 Ringing" CRLF "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1;rport=5062;received=127.0.0.2" CRLF
    "Record-Route: <sip:p1.example.com;lr>" CRLF "Record-Route: <sip:p2.example.com;lr>" CRLF
    "From: <sip:alice@127.0.0.1>;tag=a1" CRLF "To: <sip:bob@127.0.0.1>;tag=b2" CRLF "Call-ID: c1@127.0.0.1" CRLF
    "CSeq: 1 INVITE" CRLF "Contact: <sip:127.0.0.1:5060>" CRLF "Content-Length: 0" CRLF CRLF,
    BASE("SIP/2.0 183 Session Progress", "INVITE") "Require: 100rel" CRLF "RSeq: 1" CRLF
                                                   "Content-Type: application/sdp" CRLF
                                                   "Content-Length: 180" CRLF CRLF SDP,
    BASE("SIP/2.0 200 OK", "INVITE") "Contact: <sip:127.0.0.1:5060;transport=tcp>" CRLF "User-Agent: session-core" CRLF
                                     "Allow: INVITE, ACK, BYE" CRLF "Supported: timer" CRLF
                                     "Session-Expires: 1800;refresher=uas" CRLF "Content-Type: application/sdp" CRLF
                                     "Content-Length: 180" CRLF CRLF SDP,
    BASE("SIP/2.0 486 Busy Here", "INVITE") "Retry-After: 30" CRLF "Warning: 399 host \"busy\"" CRLF
                                            "Content-Length: 0" CRLF CRLF,
    BASE("SIP/2.0 503 Service Unavailable", "INVITE") "Retry-After: 5" CRLF "Content-Length: 0" CRLF CRLF,
    BASE(
        "SIP/2.0 401 Unauthorized",
        "REGISTER") "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", algorithm=MD5, qop=\"auth\", stale=FALSE" CRLF
                    "Content-Length: 0" CRLF CRLF,
    BASE("SIP/2.0 407 Proxy Authentication Required",
         "INVITE") "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n\", opaque=\"o\", algorithm=SHA-256" CRLF
                   "Content-Length: 0" CRLF CRLF,
    BASE("SIP/2.0 200 Very OK Indeed", "OPTIONS") "Content-Length: 0" CRLF CRLF,
    /* odd ones from the wire */
    "INVITE sip:bob@example.com SIP/2.0" CRLF "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK2" CRLF
    "f: \"Alice \\\"A\\\" Smith\" <sip:alice@example.com>;tag=x" CRLF "t: Bob <sip:bob@example.com>" CRLF
    "i: compact" CRLF "CSeq: 2 INVITE" CRLF "m: <sip:alice@10.0.0.1>" CRLF "k: timer" CRLF "s: hello there" CRLF
    "e: gzip" CRLF "o: talk" CRLF "r: <sip:carol@example.com>" CRLF "x: 90" CRLF "u: dialog" CRLF
    "c: application/sdp" CRLF "l: 180" CRLF CRLF SDP,
    "MESSAGE sip:%61lice%20x@example.com;user=phone;maddr=239.1.1.1 SIP/2.0" CRLF
    "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK3" CRLF
    "From: Alice Smith <sip:user:pa%3Ass@example.com;x=%5B1%5D>;tag=1" CRLF "To: <sips:bob@example.com>" CRLF
    "Call-ID: nohost" CRLF "CSeq: 9 MESSAGE" CRLF "Content-Type: text/plain;charset=utf-8" CRLF
    "Content-Length: 5" CRLF CRLF "hello",
    "OPTIONS sip:[2001:db8::1]:5060;transport=udp SIP/2.0" CRLF "Via: SIP/2.0/UDP [::1]:5062;branch=z9hG4bK4" CRLF
    "Via: SIP/2.0/UDP [2001:db8::2];branch=z9hG4bK5;received=2001:db8::3" CRLF "From: <sip:a@[::1]>;tag=6" CRLF
    "To: <sip:b@[2001:db8::1]:5060>" CRLF "Call-ID: v6@[::1]" CRLF "CSeq: 1 OPTIONS" CRLF
    "Contact: <sip:a@[::1]:5070;transport=tcp>" CRLF "Content-Length: 0" CRLF CRLF,
    "BYE sip:bob@h SIP/2.0" CRLF "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport;received=1.2.3.4" CRLF
    "Via: SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2;maddr=10.0.0.1;ttl=16" CRLF
    "Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3, SIP/2.0/UDP d.example.com;branch=z9hG4bK4;hide" CRLF
    "Via: SIP/2.0/SCTP e.example.com:1;branch=z9hG4bK5 (a comment)" CRLF
    "Via: SIP/2.0/TLS f.example.com;branch=z9hG4bK6;alias" CRLF "From: <sip:a@h>;tag=1;novalue" CRLF
    "To: <sip:b@h;lr;ob>;tag=2;x" CRLF "Call-ID: many-vias" CRLF "CSeq: 3 BYE" CRLF "Content-Length: 0" CRLF CRLF,
    "INVITE sip:bob@h SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@h>;tag=1" CRLF
    "To: <sip:b@h>" CRLF "Call-ID: uh" CRLF "CSeq: 1 INVITE" CRLF
    "Contact: \"Quoted, Name\" <sip:b@h?Subject=hi%20there&Priority=urgent>;q=0.7" CRLF
    "Contact: <sip:c@h;x-obr=1;x-obp=2;keep>" CRLF "Route: Proxy <sip:p@h;lr>" CRLF
    "Record-Route: \"rr\" <sip:rr@h;lr>;foo=bar" CRLF "Content-Length: 0" CRLF CRLF,
    "INFO sip:bob@h SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@h>;tag=1" CRLF
    "To: <sip:b@h>;tag=2" CRLF "Call-ID: empty" CRLF "CSeq: 4 INFO" CRLF "Content-Type: application/sdp" CRLF
    "Content-Length: 0" CRLF CRLF,
    "OPTIONS sip:bob@h SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@h>;tag=1" CRLF
    "To: <sip:b@h>" CRLF "Call-ID: unknown" CRLF "CSeq: 1 OPTIONS" CRLF "X-Custom: a b  c" CRLF
    "P-Asserted-Identity: \"Alice\" <sip:alice@h>" CRLF "x-lower: 1" CRLF "zeta: z" CRLF "a-first: a" CRLF
    "X-Empty:" CRLF "Max-Forwards:   69  " CRLF "Subject:\tspaced\t" CRLF "Content-Length: 0" CRLF CRLF,
    "INVITE tel:+15551234567;phone-context=example.com SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
    "From: <sip:a@h>;tag=1" CRLF "To: <tel:+15551234567>" CRLF "Call-ID: tel" CRLF "CSeq: 1 INVITE" CRLF
    "Contact: <mailto:a@example.com>" CRLF "Content-Length: 0" CRLF CRLF,
    "INVITE sips:bob@example.com SIP/2.0" CRLF "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK1" CRLF
    "From: <sips:a@example.com>;tag=1" CRLF "To: <sips:bob@example.com>" CRLF "Call-ID: tls" CRLF "CSeq: 1 INVITE" CRLF
    "Contact: <sips:a@127.0.0.1:5061;transport=tls>" CRLF "Call-Info: <http://h/i.png>;purpose=icon" CRLF
    "Alert-Info: <http://h/ring.wav>" CRLF "Error-Info: <sip:err@h>" CRLF "Content-Encoding: gzip" CRLF
    "Mime-Version: 1.0" CRLF "Authentication-Info: nextnonce=\"n2\", qop=auth, rspauth=\"ab\"" CRLF
    "Proxy-Authentication-Info: nextnonce=\"n3\"" CRLF "Content-Length: 0" CRLF CRLF,
    "SIP/2.0 200 OK" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: <sip:a@h>;tag=1" CRLF
    "To: <sip:b@h>;tag=2" CRLF "Call-ID: nocrlf" CRLF "CSeq: 1 INVITE" CRLF "Content-Type: application/sdp" CRLF
    "Content-Length: 12" CRLF CRLF "v=0\r\ns=-\r\nx=",
    "INVITE sip:bob@h SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "From: sip:a@h;tag=1" CRLF
    "To: sip:b@h" CRLF "Call-ID: addr-spec" CRLF "CSeq: 1 INVITE" CRLF "Contact: sip:c@h;expires=60" CRLF
    "Content-Length: 0" CRLF CRLF,
    "MESSAGE sip:j\xc3\xa9r\xc3\xb4me@h;na%C3%AFve=caf%C3%A9 SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
    "From: \"J\xc3\xa9r\xc3\xb4me\" <sip:j%C3%A9@h>;tag=1" CRLF "To: <sip:a%2Cb%3Bc%3Fd@h>" CRLF "Call-ID: utf8" CRLF
    "CSeq: 1 MESSAGE" CRLF "Content-Length: 0" CRLF CRLF,
    "SIP/2.0 603 Decline" CRLF "Via: SIP/2.0/UDP h:5060;branch=z9hG4bK1" CRLF "From: <sip:a@h>;tag=1" CRLF
    "To: <sip:b@h>;tag=2" CRLF "Call-ID: decline" CRLF "CSeq: 1 INVITE" CRLF "Reason: SIP;cause=603;text=\"x\"" CRLF
    "Content-Length: 0" CRLF CRLF,
};

static char ours[70000];

/* sip_msg_str, then our writer, then osip (which caches its text: last): all the same. */
static void check_same(osip_message_t *m, int expect, const char *what)
{
    char *via_str = NULL;
    size_t via_len = 0;
    assert_int_equal(sip_msg_str(m, &via_str, &via_len), 0);
    size_t n = 0;
    int rc = sip_msg_write(m, ours, sizeof ours, &n);
    if (rc != expect)
        fail_msg("%s: writer gave %d, expected %d", what, rc, expect);
    char *ref = NULL;
    size_t ref_len = 0;
    assert_int_equal(osip_message_to_str(m, &ref, &ref_len), 0);
    if (rc == 0 && (n != ref_len || memcmp(ours, ref, n) != 0))
        fail_msg("%s: differs from osip\n--- osip:\n%s\n--- ours:\n%.*s", what, ref, (int)n, ours);
    if (via_len != ref_len || memcmp(via_str, ref, ref_len) != 0 || via_str[via_len] != '\0')
        fail_msg("%s: sip_msg_str differs from osip", what);
    osip_free(ref);
    free(via_str);
}

static osip_message_t *parse(const char *raw, size_t len)
{
    osip_message_t *m = NULL;
    assert_int_equal(osip_message_init(&m), 0);
    if (osip_message_parse(m, raw, len) != 0)
        fail_msg("unparsable: %s", raw);
    return m;
}

static void test_corpus(void **state)
{
    (void)state;
    assert_true(sizeof corpus / sizeof *corpus >= 30);
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++) {
        char what[64];
        snprintf(what, sizeof what, "corpus[%zu]", i);
        osip_message_t *m = parse(corpus[i], strlen(corpus[i]));
        check_same(m, 0, what);
        osip_message_free(m);
    }
}

/* A large SDP body (many m= lines), written whole, with its length in the padded field. */
static void test_large_sdp(void **state)
{
    (void)state;
    static char raw[12000];
    static char body[10000];
    size_t bl = 0;
    bl += (size_t)snprintf(body + bl, sizeof body - bl, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    for (int k = 0; k < 120; k++)
        bl += (size_t)snprintf(body + bl, sizeof body - bl, "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
                               20000 + 2 * k);
    int h = snprintf(raw, sizeof raw,
                     BASE("INVITE sip:bob@127.0.0.1 SIP/2.0", "INVITE") "Content-Type: application/sdp" CRLF
                                                                        "Content-Length: %zu" CRLF CRLF "%s",
                     bl, body);
    assert_true(bl > 5000 && (size_t)h < sizeof raw);
    osip_message_t *m = parse(raw, (size_t)h);
    check_same(m, 0, "large sdp");
    osip_message_free(m);
}

/* Responses as sessiond makes them (sip_response: Vias, From, To, Call-ID, CSeq cloned, the
 * common headers), then changed through the API: a to-tag, a Via parameter, a Contact,
 * headers, a body; and a request built field by field. */
static void test_built_through_api(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_sip *sip = NULL;
    sc_sip_config cfg = {.user_agent = "test-ua"};
    assert_int_equal(sc_sip_new(&sip, &loop, &cfg), 0);
    (void)state;
    const char *req_raw = corpus[0];
    osip_message_t *req = parse(req_raw, strlen(req_raw));
    static const int codes[] = {100, 180, 183, 200, 401, 486, 503};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        osip_message_t *r = sip_response(sip, req, codes[i], NULL, "tg1");
        assert_non_null(r);
        osip_via_t *via = osip_list_get(&r->vias, 0);
        osip_via_set_received(via, osip_strdup("127.0.0.2"));
        osip_generic_param_add(&via->via_params, osip_strdup("flag"), NULL);
        if (codes[i] == 180 || codes[i] == 183 || codes[i] == 200)
            osip_message_set_contact(r, "<sip:127.0.0.1:5060>");
        if (codes[i] == 183 || codes[i] == 200)
            assert_int_equal(sip_set_body(r, NULL, SDP), 0);
        if (codes[i] == 401)
            osip_message_set_www_authenticate(r, "Digest realm=\"r\", nonce=\"n\", algorithm=MD5, qop=\"auth\"");
        if (codes[i] == 503)
            assert_int_equal(sip_add_headers(r, "Retry-After: 5\r\nX-Reason: overload\r\n"), 0);
        char what[32];
        snprintf(what, sizeof what, "response %d", codes[i]);
        check_same(r, 0, what);
        osip_message_free(r);
    }
    osip_message_free(req);

    osip_message_t *m = NULL;
    assert_int_equal(osip_message_init(&m), 0);
    osip_message_set_method(m, osip_strdup("INVITE"));
    osip_message_set_version(m, osip_strdup("SIP/2.0"));
    osip_uri_t *uri = NULL;
    osip_uri_init(&uri);
    assert_int_equal(osip_uri_parse(uri, "sip:bob@[::1]:5080;transport=tcp"), 0);
    osip_message_set_uri(m, uri);
    osip_message_set_via(m, "SIP/2.0/TCP [::1]:5062;branch=z9hG4bK-built;rport");
    osip_message_set_from(m, "\"Alice\" <sip:alice@[::1]>;tag=f1");
    osip_message_set_to(m, "<sip:bob@[::1]>");
    osip_message_set_call_id(m, "built@[::1]");
    osip_message_set_cseq(m, "5 INVITE");
    osip_message_set_contact(m, "<sip:alice@[::1]:5062;transport=tcp>");
    osip_message_set_route(m, "<sip:proxy@[::1]:5090;lr>");
    osip_message_set_header(m, "Max-Forwards", "70");
    osip_message_set_proxy_authorization(m, "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"sip:b@h\", "
                                            "response=\"00\"");
    assert_int_equal(sip_set_body(m, "application/sdp", SDP), 0);
    osip_uri_uparam_add(uri, osip_strdup("added"), NULL);
    osip_uri_uheader_add(uri, osip_strdup("X"), osip_strdup("a b"));
    check_same(m, 0, "built request");
    osip_message_free(m);

    sc_sip_free(sip);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

/* What the writer leaves to osip: multipart bodies, several bodies, a body with its own headers,
 * a message too big for the buffer; sip_msg_str is osip's text all the same. */
static void test_left_to_osip(void **state)
{
    (void)state;
    const char *multipart = BASE("INVITE sip:bob@h SIP/2.0",
                                 "INVITE") "Mime-Version: 1.0" CRLF "Content-Type: multipart/mixed;boundary=xyz" CRLF
                                           "Content-Length: 107" CRLF CRLF "--xyz" CRLF
                                           "Content-Type: application/sdp" CRLF CRLF "v=0" CRLF "--xyz" CRLF
                                           "Content-Type: text/plain" CRLF "X-Part: 2" CRLF CRLF "hello" CRLF
                                           "--xyz--" CRLF;
    osip_message_t *m = parse(multipart, strlen(multipart));
    check_same(m, -ENOTSUP, "multipart");
    osip_message_free(m);

    m = parse(corpus[0], strlen(corpus[0]));
    osip_message_set_body(m, "second", 6); /* two bodies */
    check_same(m, -ENOTSUP, "two bodies");
    osip_message_free(m);

    m = parse(corpus[0], strlen(corpus[0]));
    size_t n = 0;
    assert_int_equal(sip_msg_write(m, ours, 100, &n), -ENOSPC);
    osip_message_free(m);

    /* osip's cached text (property 1) is what osip hands back: so does sip_msg_str */
    m = parse(corpus[1], strlen(corpus[1]));
    char *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;
    assert_int_equal(osip_message_to_str(m, &a, &al), 0);
    osip_free(m->cseq->number);
    m->cseq->number = osip_strdup("42"); /* behind osip's back: its cache stays */
    assert_int_equal(sip_msg_str(m, &b, &bl), 0);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, al);
    osip_free(a);
    free(b);
    osip_message_free(m);
}

int main(void)
{
    parser_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_large_sdp),
        cmocka_unit_test(test_built_through_api),
        cmocka_unit_test(test_left_to_osip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
