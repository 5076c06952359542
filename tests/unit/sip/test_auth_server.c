/* Digest authentication as a server: challenges (SHA-256 then MD5, qop=auth), answers computed
 * as a client would (RFC 7616 / RFC 8760 formulas, checked against the RFC 2617 HA1 vector)
 * verified for passwords and HA1s, RFC 2069 answers without qop, Proxy-Authorization; wrong
 * passwords challenged again and then blocked (403) until the block ends; expired and forged
 * nonces (stale=true), unknown algorithms, huge nonces, malformed headers, a foreign URI. */
#include "sip_test_util.h"

#include "sip/sip_int.h"

#define REALM "pbx.test"
#define T0 1700000000000000LL

static int lookup(void *ud, const char *user, const char *alg, char *secret, size_t cap, bool *is_ha1)
{
    (void)ud;
    if (!strcmp(user, "bob")) {
        snprintf(secret, cap, "s3cret");
        *is_ha1 = false;
        return 0;
    }
    if (!strcmp(user, "carol")) { /* HA1 of carol:pbx.test:pa55 (MD5 only) */
        if (strcmp(alg, "MD5"))
            return -ENOTSUP;
        char text[128];
        snprintf(text, sizeof text, "carol:%s:pa55", REALM);
        *is_ha1 = true;
        return sip_digest_hex("MD5", text, secret, cap);
    }
    return -ENOENT;
}

typedef struct fx {
    sc_manual_clock *clk;
    sc_sip_auth *a;
    struct sockaddr_storage src;
    bool rotate; /* each check from a new source (no block in the way) */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(sc_manual_clock_new(&f->clk, 1000000, T0), 0);
    sc_sip_auth_config cfg = {.realm = REALM,
                              .clock = sc_manual_clock_get(f->clk),
                              .nonce_ttl_s = 60,
                              .max_failures = 3,
                              .window_s = 30,
                              .block_s = 100,
                              .lookup = lookup};
    assert_int_equal(sc_sip_auth_new(&f->a, &cfg), 0);
    struct sockaddr_in *in = (struct sockaddr_in *)&f->src;
    in->sin_family = AF_INET;
    in->sin_port = htons(5062);
    in->sin_addr.s_addr = htonl(0x7f000001);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sc_sip_auth_free(f->a);
    sc_manual_clock_free(f->clk);
    free(f);
    return 0;
}

static osip_message_t *request(const char *method, const char *hdr)
{
    char *m = tu_fmt("%s sip:pbx.test SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKa1\r\n"
                     "From: <sip:bob@pbx.test>;tag=1\r\nTo: <sip:bob@pbx.test>\r\nCall-ID: c1\r\n"
                     "CSeq: 1 %s\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n",
                     method, method, hdr ? hdr : "");
    osip_message_t *r = NULL;
    assert_int_equal(osip_message_init(&r), 0);
    assert_int_equal(osip_message_parse(r, m, strlen(m)), 0);
    free(m);
    return r;
}

/* The nonce of the challenge for algorithm alg in headers. */
static void nonce_of(const char *headers, const char *alg, char *out, size_t cap)
{
    char needle[64];
    snprintf(needle, sizeof needle, "algorithm=%s,", alg);
    const char *line = strstr(headers, needle);
    assert_non_null(line);
    while (line > headers && line[-1] != '\n')
        line--;
    const char *n = strstr(line, "nonce=\"");
    assert_non_null(n);
    n += 7;
    const char *e = strchr(n, '"');
    snprintf(out, cap, "%.*s", (int)(e - n), n);
}

/* An Authorization line for user/password answering nonce as a client would. */
static char *answer(const char *hname, const char *method, const char *user, const char *password, const char *alg,
                    const char *nonce, bool qop)
{
    char resp[65];
    assert_int_equal(sip_digest_response(alg, user, REALM, password, method, "sip:pbx.test", nonce, qop ? "auth" : NULL,
                                         "00000001", "0a4f113b", resp, sizeof resp),
                     0);
    if (qop)
        return tu_fmt("%s: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"sip:pbx.test\", "
                      "response=\"%s\", algorithm=%s, qop=auth, nc=00000001, cnonce=\"0a4f113b\"\r\n",
                      hname, user, REALM, nonce, resp, alg);
    return tu_fmt("%s: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"sip:pbx.test\", response=\"%s\"%s\r\n",
                  hname, user, REALM, nonce, resp, strcmp(alg, "MD5") ? ", algorithm=SHA-256" : "");
}

static void challenge(fx *f, bool proxy, sc_sip_auth_verdict *v)
{
    osip_message_t *r = request("REGISTER", NULL);
    assert_int_equal(sc_sip_auth_check(f->a, r, &f->src, proxy, v), 0);
    osip_message_free(r);
}

static sc_sip_auth_result check(fx *f, const char *method, const char *hdr, bool proxy, sc_sip_auth_verdict *v)
{
    osip_message_t *r = request(method, hdr);
    if (f->rotate) {
        struct sockaddr_in *in = (struct sockaddr_in *)&f->src;
        in->sin_addr.s_addr = htonl(ntohl(in->sin_addr.s_addr) + 1);
    }
    assert_int_equal(sc_sip_auth_check(f->a, r, &f->src, proxy, v), 0);
    osip_message_free(r);
    return v->result;
}

static void test_challenge(void **state)
{
    fx *f = *state;
    sc_sip_auth_verdict v;
    challenge(f, false, &v);
    assert_int_equal(v.result, SC_SIP_AUTH_CHALLENGE);
    assert_int_equal(v.status, 401);
    assert_string_equal(v.reason, "no_credentials");
    const char *sha = strstr(v.headers, "WWW-Authenticate: Digest realm=\"pbx.test\"");
    assert_non_null(sha);
    assert_non_null(strstr(v.headers, "algorithm=SHA-256, qop=\"auth\"\r\n"));
    assert_true(strstr(v.headers, "algorithm=SHA-256") < strstr(v.headers, "algorithm=MD5"));
    assert_null(strstr(v.headers, "stale"));
    challenge(f, true, &v);
    assert_int_equal(v.status, 407);
    assert_non_null(strstr(v.headers, "Proxy-Authenticate: Digest"));
}

static void test_passwords(void **state)
{
    fx *f = *state;
    sc_sip_auth_verdict v;
    char nonce[128];
    /* the HA1 formula of the users file, RFC 2617 3.5's vector */
    char ha1[65];
    assert_int_equal(sip_digest_hex("MD5", "Mufasa:testrealm@host.com:Circle Of Life", ha1, sizeof ha1), 0);
    assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9");
    const char *algs[] = {"SHA-256", "MD5"};
    for (int i = 0; i < 2; i++) {
        challenge(f, false, &v);
        nonce_of(v.headers, algs[i], nonce, sizeof nonce);
        char *h = answer("Authorization", "REGISTER", "bob", "s3cret", algs[i], nonce, true);
        assert_int_equal(check(f, "REGISTER", h, false, &v), SC_SIP_AUTH_OK);
        assert_int_equal(v.status, 0);
        assert_string_equal(v.user, "bob");
        free(h);
        h = answer("Authorization", "REGISTER", "bob", "s3cret", algs[i], nonce, false); /* RFC 2069 */
        assert_int_equal(check(f, "REGISTER", h, false, &v), SC_SIP_AUTH_OK);
        free(h);
    }
    /* HA1 in the users file */
    challenge(f, false, &v);
    nonce_of(v.headers, "MD5", nonce, sizeof nonce);
    char *h = answer("Authorization", "REGISTER", "carol", "pa55", "MD5", nonce, true);
    assert_int_equal(check(f, "REGISTER", h, false, &v), SC_SIP_AUTH_OK);
    assert_string_equal(v.user, "carol");
    free(h);
    h = answer("Authorization", "REGISTER", "carol", "pa55", "SHA-256", nonce, true); /* no SHA-256 HA1 */
    assert_int_equal(check(f, "REGISTER", h, false, &v), SC_SIP_AUTH_FAILED);
    assert_string_equal(v.reason, "algorithm");
    free(h);
    /* Proxy-Authorization on an INVITE; an Authorization there is no answer to a 407 */
    challenge(f, true, &v);
    nonce_of(v.headers, "SHA-256", nonce, sizeof nonce);
    h = answer("Proxy-Authorization", "INVITE", "bob", "s3cret", "SHA-256", nonce, true);
    assert_int_equal(check(f, "INVITE", h, true, &v), SC_SIP_AUTH_OK);
    assert_int_equal(check(f, "INVITE", h, false, &v), SC_SIP_AUTH_CHALLENGE);
    free(h);
    /* the answer is bound to the method */
    h = answer("Proxy-Authorization", "INVITE", "bob", "s3cret", "SHA-256", nonce, true);
    assert_int_equal(check(f, "REFER", h, true, &v), SC_SIP_AUTH_FAILED);
    free(h);
}

static void test_brute_force(void **state)
{
    fx *f = *state;
    sc_sip_auth_verdict v;
    char nonce[128];
    challenge(f, false, &v);
    nonce_of(v.headers, "MD5", nonce, sizeof nonce);
    char *bad = answer("Authorization", "REGISTER", "bob", "guess", "MD5", nonce, true);
    char *unknown = answer("Authorization", "REGISTER", "mallory", "guess", "MD5", nonce, true);
    char *good = answer("Authorization", "REGISTER", "bob", "s3cret", "MD5", nonce, true);
    assert_int_equal(check(f, "REGISTER", bad, false, &v), SC_SIP_AUTH_FAILED);
    assert_int_equal(v.status, 401);
    assert_string_equal(v.reason, "wrong_password");
    assert_non_null(strstr(v.headers, "WWW-Authenticate"));
    assert_int_equal(check(f, "REGISTER", unknown, false, &v), SC_SIP_AUTH_FAILED);
    assert_string_equal(v.reason, "unknown_user");
    assert_false(sc_sip_auth_blocked(f->a, &f->src));
    assert_int_equal(check(f, "REGISTER", bad, false, &v), SC_SIP_AUTH_FAILED); /* the 3rd: blocked */
    assert_true(sc_sip_auth_blocked(f->a, &f->src));
    /* blocked: even the right password gets 403 */
    assert_int_equal(check(f, "REGISTER", good, false, &v), SC_SIP_AUTH_BLOCKED);
    assert_int_equal(v.status, 403);
    assert_string_equal(v.reason, "blocked");
    sc_sip_auth_stats st;
    sc_sip_auth_get_stats(f->a, &st);
    assert_int_equal(st.blocked_sources, 1);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.failed, 3);
    assert_int_equal(st.blocked_requests, 1);
    /* another source is not blocked */
    struct sockaddr_storage other = f->src;
    ((struct sockaddr_in *)&other)->sin_addr.s_addr = htonl(0x7f000002);
    assert_false(sc_sip_auth_blocked(f->a, &other));
    /* the block ends (the nonce is stale by then: a new one) */
    sc_manual_clock_advance(f->clk, 101 * 1000000ULL);
    assert_false(sc_sip_auth_blocked(f->a, &f->src));
    challenge(f, false, &v);
    nonce_of(v.headers, "MD5", nonce, sizeof nonce);
    free(good);
    good = answer("Authorization", "REGISTER", "bob", "s3cret", "MD5", nonce, true);
    assert_int_equal(check(f, "REGISTER", good, false, &v), SC_SIP_AUTH_OK);
    sc_sip_auth_get_stats(f->a, &st);
    assert_int_equal(st.blocked_sources, 0);
    /* failures spread wider than the window do not block */
    free(bad);
    bad = answer("Authorization", "REGISTER", "bob", "guess", "MD5", nonce, true);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(check(f, "REGISTER", bad, false, &v), SC_SIP_AUTH_FAILED);
        sc_manual_clock_advance(f->clk, 16 * 1000000ULL);
        if (i % 2 == 1) { /* keep the nonce fresh (ttl 60) */
            challenge(f, false, &v);
            nonce_of(v.headers, "MD5", nonce, sizeof nonce);
            free(bad);
            bad = answer("Authorization", "REGISTER", "bob", "guess", "MD5", nonce, true);
        }
    }
    assert_false(sc_sip_auth_blocked(f->a, &f->src));
    free(bad);
    free(unknown);
    free(good);
}

static void test_stale(void **state)
{
    fx *f = *state;
    sc_sip_auth_verdict v;
    char nonce[128];
    challenge(f, false, &v);
    nonce_of(v.headers, "SHA-256", nonce, sizeof nonce);
    char *good = answer("Authorization", "REGISTER", "bob", "s3cret", "SHA-256", nonce, true);
    sc_manual_clock_advance(f->clk, 61 * 1000000ULL);
    assert_int_equal(check(f, "REGISTER", good, false, &v), SC_SIP_AUTH_STALE);
    assert_int_equal(v.status, 401);
    assert_non_null(strstr(v.headers, ", stale=true\r\n"));
    free(good);
    /* a wrong password on an old nonce is a failure, not stale */
    char *bad = answer("Authorization", "REGISTER", "bob", "nope", "SHA-256", nonce, true);
    assert_int_equal(check(f, "REGISTER", bad, false, &v), SC_SIP_AUTH_FAILED);
    free(bad);
    /* a nonce that is not ours (forged, or an earlier run's): challenged again, not counted */
    nonce[20] = nonce[20] == 'a' ? 'b' : 'a';
    good = answer("Authorization", "REGISTER", "bob", "s3cret", "SHA-256", nonce, true);
    assert_int_equal(check(f, "REGISTER", good, false, &v), SC_SIP_AUTH_STALE);
    free(good);
    good = answer("Authorization", "REGISTER", "bob", "s3cret", "SHA-256", "0123", true);
    assert_int_equal(check(f, "REGISTER", good, false, &v), SC_SIP_AUTH_STALE);
    free(good);
}

static void test_bad_input(void **state)
{
    fx *f = *state;
    sc_sip_auth_verdict v;
    char nonce[128];
    f->rotate = true;
    challenge(f, false, &v);
    nonce_of(v.headers, "MD5", nonce, sizeof nonce);
    /* unknown algorithm: challenged again with what we offer */
    char *h = tu_fmt("Authorization: Digest username=\"bob\", realm=\"pbx.test\", nonce=\"%s\", "
                     "uri=\"sip:pbx.test\", response=\"00\", algorithm=SHA-512-256\r\n",
                     nonce);
    assert_int_equal(check(f, "REGISTER", h, false, &v), SC_SIP_AUTH_FAILED);
    assert_string_equal(v.reason, "algorithm");
    assert_int_equal(v.status, 401);
    free(h);
    /* a huge nonce */
    char *big = malloc(3001);
    memset(big, 'a', 3000);
    big[3000] = '\0';
    h = tu_fmt("Authorization: Digest username=\"bob\", realm=\"pbx.test\", nonce=\"%s\", uri=\"sip:pbx.test\", "
               "response=\"00\"\r\n",
               big);
    assert_int_equal(check(f, "REGISTER", h, false, &v), SC_SIP_AUTH_BAD_REQUEST);
    assert_int_equal(v.status, 400);
    free(h);
    free(big);
    /* missing response, empty username, bad nc, Basic */
    const char *bad[] = {
        "Authorization: Digest username=\"bob\", realm=\"pbx.test\", nonce=\"n\", uri=\"sip:pbx.test\"\r\n",
        "Authorization: Digest username=\"\", realm=\"pbx.test\", nonce=\"n\", uri=\"sip:pbx.test\", "
        "response=\"0\"\r\n",
        "Authorization: Digest username=\"bob\", realm=\"pbx.test\", nonce=\"n\", uri=\"sip:pbx.test\", "
        "response=\"0\", qop=auth, nc=zz, cnonce=\"x\"\r\n",
        "Authorization: Digest username=\"bob\", realm=\"pbx.test\", nonce=\"n\", uri=\"sip:pbx.test\", "
        "response=\"0\", qop=auth-int, nc=00000001, cnonce=\"x\"\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(check(f, "REGISTER", bad[i], false, &v), SC_SIP_AUTH_BAD_REQUEST);
        assert_string_equal(v.reason, "malformed");
    }
    /* no realm at all: malformed */
    assert_int_equal(check(f, "REGISTER", "Authorization: Digest ,,,=\"\r\n", false, &v), SC_SIP_AUTH_BAD_REQUEST);
    /* credentials for another realm only: a challenge for ours */
    assert_int_equal(check(f, "REGISTER",
                           "Authorization: Digest username=\"bob\", realm=\"other\", nonce=\"n\", "
                           "uri=\"sip:pbx.test\", response=\"0\"\r\n",
                           false, &v),
                     SC_SIP_AUTH_CHALLENGE);
    /* the digest URI names another resource */
    char resp[65];
    assert_int_equal(sip_digest_response("MD5", "bob", REALM, "s3cret", "REGISTER", "sip:elsewhere.test", nonce, NULL,
                                         "", "", resp, sizeof resp),
                     0);
    h = tu_fmt("Authorization: Digest username=\"bob\", realm=\"pbx.test\", nonce=\"%s\", "
               "uri=\"sip:elsewhere.test\", response=\"%s\"\r\n",
               nonce, resp);
    assert_int_equal(check(f, "REGISTER", h, false, &v), SC_SIP_AUTH_BAD_REQUEST);
    assert_string_equal(v.reason, "uri");
    free(h);
    /* the algorithms offered and accepted, in order */
    sc_sip_auth *only = NULL;
    sc_sip_auth_config oc = {.realm = REALM, .lookup = lookup, .algorithms = "MD5"};
    assert_int_equal(sc_sip_auth_new(&only, &oc), 0);
    char ch[1024];
    assert_true(sc_sip_auth_challenge(only, false, false, ch, sizeof ch) > 0);
    assert_null(strstr(ch, "SHA-256"));
    osip_message_t *req = request("REGISTER", NULL);
    sc_sip_auth_verdict ov;
    assert_int_equal(sc_sip_auth_check(only, req, &f->src, false, &ov), 0);
    osip_message_free(req);
    nonce_of(ov.headers, "MD5", nonce, sizeof nonce);
    h = answer("Authorization", "REGISTER", "bob", "s3cret", "SHA-256", nonce, true);
    req = request("REGISTER", h);
    assert_int_equal(sc_sip_auth_check(only, req, &f->src, false, &ov), 0);
    assert_int_equal(ov.result, SC_SIP_AUTH_FAILED);
    assert_string_equal(ov.reason, "algorithm");
    osip_message_free(req);
    free(h);
    sc_sip_auth_free(only);
    oc.algorithms = "md5, SHA-256";
    assert_int_equal(sc_sip_auth_new(&only, &oc), 0);
    assert_true(sc_sip_auth_challenge(only, true, false, ch, sizeof ch) > 0);
    assert_true(strstr(ch, "algorithm=MD5") < strstr(ch, "algorithm=SHA-256"));
    sc_sip_auth_free(only);
    const char *badlists[] = {"SHA-512", "MD5,MD5", "", "MD5,SHA-256,MD5"};
    for (size_t i = 0; i < 4; i++) {
        oc.algorithms = badlists[i];
        assert_int_equal(sc_sip_auth_new(&only, &oc), -EINVAL);
    }
    /* creation errors */
    sc_sip_auth *a = NULL;
    sc_sip_auth_config cfg = {.realm = REALM};
    assert_int_equal(sc_sip_auth_new(&a, &cfg), -EINVAL);
    cfg.lookup = lookup;
    cfg.realm = "bad\"realm";
    assert_int_equal(sc_sip_auth_new(&a, &cfg), -EINVAL);
}

int main(void)
{
    parser_init(); /* libosip2's header tables (sc_sip_new does it for an agent) */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_challenge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passwords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_brute_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
