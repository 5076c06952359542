/* Digest authentication as a client: the response of RFC 2617 and RFC 7616's worked examples
 * (MD5 and SHA-256, qop=auth), and the Proxy-Authorization answer to a 407 built from a parsed
 * challenge: realm, nonce, opaque, algorithm and qop carried over, SHA-256 preferred. */
#include "sip_test_util.h"

#include "sip/sip_int.h"

static void test_rfc_vectors(void **state)
{
    (void)state;
    char out[65];
    /* RFC 2617 section 3.5 */
    assert_int_equal(sip_digest_response("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", "GET",
                                         "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth", "00000001",
                                         "0a4f113b", out, sizeof out),
                     0);
    assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
    /* RFC 7616 section 3.9.1: the same request, MD5 and SHA-256 */
    const char *nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const char *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    assert_int_equal(sip_digest_response("MD5", "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
                                         "/dir/index.html", nonce, "auth", "00000001", cnonce, out, sizeof out),
                     0);
    assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
    assert_int_equal(sip_digest_response("SHA-256", "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
                                         "/dir/index.html", nonce, "auth", "00000001", cnonce, out, sizeof out),
                     0);
    assert_string_equal(out, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    assert_int_equal(sip_digest_response("SHA-512-256", "u", "r", "p", "INVITE", "sip:x", "n", NULL, "", "", out,
                                         sizeof out),
                     -ENOTSUP);
}

static osip_message_t *challenge(const char *headers)
{
    char *m = tu_fmt("SIP/2.0 407 Proxy Authentication Required\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa1\r\n"
                     "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\nCall-ID: c1\r\n"
                     "CSeq: 1 INVITE\r\n%sContent-Length: 0\r\n\r\n",
                     headers);
    osip_message_t *r = NULL;
    assert_int_equal(osip_message_init(&r), 0);
    assert_int_equal(osip_message_parse(r, m, strlen(m)), 0);
    free(m);
    return r;
}

static void test_answer_407(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_sip *sip = NULL;
    sc_sip_config cfg = {0};
    assert_int_equal(sc_sip_new(&sip, &loop, &cfg), 0);
    assert_int_equal(sc_sip_add_credentials(sip, "carrier.test", "alice", "s3cret"), 0);
    osip_message_t *r = challenge("Proxy-Authenticate: Digest realm=\"carrier.test\", nonce=\"abc\", "
                                  "opaque=\"xyz\", qop=\"auth,auth-int\", algorithm=MD5\r\n"
                                  "Proxy-Authenticate: Digest realm=\"carrier.test\", nonce=\"def\", "
                                  "qop=\"auth\", algorithm=SHA-256\r\n");
    const char *hname = NULL;
    char hv[1024];
    bool stale = true;
    assert_int_equal(sip_auth_answer(sip->creds, r, "INVITE", "sip:bob@127.0.0.1", &hname, hv, sizeof hv, &stale), 0);
    assert_string_equal(hname, "Proxy-Authorization");
    assert_false(stale);
    assert_non_null(strstr(hv, "algorithm=SHA-256")); /* RFC 8760: the stronger one */
    assert_non_null(strstr(hv, "nonce=\"def\""));
    assert_non_null(strstr(hv, "username=\"alice\""));
    assert_non_null(strstr(hv, "qop=auth, nc=00000001, cnonce=\""));
    assert_null(strstr(hv, "s3cret"));
    osip_message_free(r);
    /* a realm we have no credentials for, and Basic: nothing to answer */
    r = challenge("Proxy-Authenticate: Digest realm=\"other\", nonce=\"n\"\r\n"
                  "Proxy-Authenticate: Basic realm=\"carrier.test\"\r\n");
    assert_int_equal(sip_auth_answer(sip->creds, r, "INVITE", "sip:bob@127.0.0.1", &hname, hv, sizeof hv, &stale),
                     -ENOENT);
    osip_message_free(r);
    /* stale=true is reported; the MD5 default when no algorithm is named */
    r = challenge("Proxy-Authenticate: Digest realm=\"carrier.test\", nonce=\"n2\", stale=true\r\n");
    assert_int_equal(sip_auth_answer(sip->creds, r, "INVITE", "sip:bob@127.0.0.1", &hname, hv, sizeof hv, &stale), 0);
    assert_true(stale);
    assert_non_null(strstr(hv, "algorithm=MD5"));
    assert_null(strstr(hv, "qop="));
    osip_message_free(r);
    tu_free_sip(&loop, sip);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_vectors),
        cmocka_unit_test(test_answer_407),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
