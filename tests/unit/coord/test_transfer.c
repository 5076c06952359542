/* test_transfer: the transfer helpers of the coordinator: Refer-To parsing with an embedded,
 * escaped Replaces (RFC 3891 section 5), the escaping that builds it, RFC 3420 sipfrag status
 * lines, which URIs a transfer may target, and the REFER policy (trusted networks, target
 * keys and globs, route targets, the verdict's order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "coord/transfer.h"

static void refer_to_plain(void **state)
{
    char *uri = NULL, *rep = NULL;
    assert_int_equal(sc_coord__xfer_parse_refer_to("<sip:carol@127.0.0.1:5070>", &uri, &rep), 0);
    assert_string_equal(uri, "sip:carol@127.0.0.1:5070");
    assert_null(rep);
    free(uri);
    assert_int_equal(sc_coord__xfer_parse_refer_to("sip:carol@127.0.0.1", &uri, &rep), 0);
    assert_string_equal(uri, "sip:carol@127.0.0.1");
    free(uri);
    assert_int_equal(sc_coord__xfer_parse_refer_to("  \"Carol\" <sip:carol@127.0.0.1;transport=tcp>;x=y", &uri, &rep),
                     0);
    assert_string_equal(uri, "sip:carol@127.0.0.1;transport=tcp");
    free(uri);
    assert_int_equal(sc_coord__xfer_parse_refer_to("<>", &uri, &rep), -EINVAL);
    assert_int_equal(sc_coord__xfer_parse_refer_to("<sip:unterminated", &uri, &rep), -EINVAL);
    assert_int_equal(sc_coord__xfer_parse_refer_to(NULL, &uri, &rep), -EINVAL);
}

static void refer_to_replaces_roundtrip(void **state)
{
    const char *rep_in = "8a2f@127.0.0.1;to-tag=abc 1;from-tag=x=y";
    char esc[256], val[512];
    assert_true(sc_coord__xfer_escape(rep_in, esc, sizeof esc) > 0);
    assert_string_equal(esc, "8a2f%40127.0.0.1%3Bto-tag%3Dabc%201%3Bfrom-tag%3Dx%3Dy");
    snprintf(val, sizeof val, "<sip:carol@127.0.0.1:5070?Replaces=%s&Require=replaces>", esc);
    char *uri = NULL, *rep = NULL;
    assert_int_equal(sc_coord__xfer_parse_refer_to(val, &uri, &rep), 0);
    assert_string_equal(uri, "sip:carol@127.0.0.1:5070");
    assert_non_null(rep);
    assert_string_equal(rep, rep_in);
    free(uri);
    free(rep);
    /* lower-case hex, header name in another case */
    assert_int_equal(
        sc_coord__xfer_parse_refer_to("<sip:c@127.0.0.1?replaces=a%40b%3bto-tag%3d1%3Bfrom-tag%3D2>", &uri, &rep), 0);
    assert_string_equal(rep, "a@b;to-tag=1;from-tag=2");
    free(uri);
    free(rep);
    char small[8];
    assert_int_equal(sc_coord__xfer_escape("a@b@c@d", small, sizeof small), -ENOSPC);
}

static void sipfrag(void **state)
{
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 100 Trying\r\n", 20), 100);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 180 Ringing", 19), 180);
    assert_int_equal(sc_coord__xfer_sipfrag_status("\r\nSIP/2.0 200 OK\r\n", 18), 200);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n", 43), 486);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 2000 OK", 15), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 099 Low", 15), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/1.0 200 OK", 14), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status("INVITE sip:x SIP/2.0", 20), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 20", 10), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status(NULL, 0), -1);
}

static void usable_targets(void **state)
{
    assert_true(sc_coord__usable_uri("sip:carol@127.0.0.1:5070"));
    assert_true(sc_coord__usable_uri("sip:carol@[::1]:5070"));
    assert_true(sc_coord__usable_uri("sip:127.0.0.1"));
    assert_true(sc_coord__usable_uri("sip:carol@example.com")); /* located by RFC 3263 */
    assert_true(sc_coord__usable_uri("<sip:carol@pbx.example.com;transport=tcp>"));
    assert_false(sc_coord__usable_uri("sip:"));
    assert_false(sc_coord__usable_uri("tel:+123"));
    assert_true(sc_coord__usable_uri("sips:carol@127.0.0.1")); /* over TLS */
    assert_false(sc_coord__usable_uri("sips:"));
    assert_false(sc_coord__usable_uri(""));
    assert_false(sc_coord__usable_uri(NULL));
}

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
    }
    return ss;
}

static bool in_net(const char *cidr, const char *ip)
{
    sc_coord_net n;
    assert_int_equal(sc_coord__net_parse(cidr, &n), 0);
    struct sockaddr_storage a = addr(ip, 5060);
    return sc_coord__net_contains(&n, &a);
}

static void trusted_networks(void **state)
{
    sc_coord_net n;
    assert_int_equal(sc_coord__net_parse("10.0.0.0/8", &n), 0);
    assert_int_equal(n.family, AF_INET);
    assert_int_equal(n.bits, 8);
    assert_int_equal(sc_coord__net_parse("127.0.0.1", &n), 0);
    assert_int_equal(n.bits, 32);
    assert_int_equal(sc_coord__net_parse("::1", &n), 0);
    assert_int_equal(n.bits, 128);
    assert_int_equal(sc_coord__net_parse("0.0.0.0/0", &n), 0);
    assert_int_equal(sc_coord__net_parse("fd00::/8", &n), 0);
    /* refused: host bits past the prefix, bad lengths, names, junk */
    assert_int_equal(sc_coord__net_parse("10.0.0.1/8", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse("10.0.0.0/33", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse("::/129", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse("10.0.0.0/", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse("10.0.0.0/8x", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse("10.0.0.0/-8", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse("localhost", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse("/8", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse("", &n), -EINVAL);
    assert_int_equal(sc_coord__net_parse(NULL, &n), -EINVAL);
    /* membership */
    assert_true(in_net("127.0.0.1/32", "127.0.0.1"));
    assert_false(in_net("127.0.0.1/32", "127.0.0.2"));
    assert_true(in_net("10.0.0.0/8", "10.255.1.2"));
    assert_false(in_net("10.0.0.0/8", "11.0.0.1"));
    assert_true(in_net("192.168.4.0/22", "192.168.7.255"));
    assert_false(in_net("192.168.4.0/22", "192.168.8.0"));
    assert_true(in_net("0.0.0.0/0", "203.0.113.9"));
    assert_true(in_net("::1/128", "::1"));
    assert_false(in_net("::1/128", "::2"));
    assert_true(in_net("fd00::/8", "fd12:3456::1"));
    assert_false(in_net("fd00::/8", "fe80::1"));
    /* families do not mix, except an IPv4-mapped IPv6 source against an IPv4 network */
    assert_false(in_net("::1/128", "127.0.0.1"));
    assert_false(in_net("127.0.0.0/8", "::1"));
    assert_true(in_net("127.0.0.0/8", "::ffff:127.0.0.1"));
    assert_false(in_net("10.0.0.0/8", "::ffff:127.0.0.1"));
}

static void target_keys(void **state)
{
    char k[128];
    assert_true(sc_coord__refer_target_key("sip:alice@127.0.0.1:5070", k, sizeof k) > 0);
    assert_string_equal(k, "alice@127.0.0.1:5070");
    assert_true(sc_coord__refer_target_key("sip:alice@127.0.0.1", k, sizeof k) > 0);
    assert_string_equal(k, "alice@127.0.0.1:5060");
    assert_true(sc_coord__refer_target_key("SIP:alice:secret@127.0.0.1:05070;transport=tcp;x=y", k, sizeof k) > 0);
    assert_string_equal(k, "alice@127.0.0.1:5070");
    assert_true(sc_coord__refer_target_key("sip:+19005550100@127.0.0.1:5099", k, sizeof k) > 0);
    assert_string_equal(k, "+19005550100@127.0.0.1:5099");
    assert_true(sc_coord__refer_target_key("sip:127.0.0.1:5070", k, sizeof k) > 0);
    assert_string_equal(k, "127.0.0.1:5070");
    assert_true(sc_coord__refer_target_key("sip:bob@[0:0::0001]:5070", k, sizeof k) > 0);
    assert_string_equal(k, "bob@[::1]:5070");
    assert_true(sc_coord__refer_target_key("sip:Bob@PBX.Example.com;transport=tcp", k, sizeof k) > 0);
    assert_string_equal(k, "Bob@pbx.example.com:5060"); /* a host name: lower case */
    assert_int_equal(sc_coord__refer_target_key("sip:bob@exa_mple.com", k, sizeof k), -EINVAL);
    assert_int_equal(sc_coord__refer_target_key("sips:bob@127.0.0.1", k, sizeof k), -EINVAL);
    assert_int_equal(sc_coord__refer_target_key("tel:+19005550100", k, sizeof k), -EINVAL);
    assert_int_equal(sc_coord__refer_target_key("sip:bob@127.0.0.1:0", k, sizeof k), -EINVAL);
    assert_int_equal(sc_coord__refer_target_key("sip:bob@127.0.0.1:65536", k, sizeof k), -EINVAL);
    assert_int_equal(sc_coord__refer_target_key("sip:bob@127.0.0.1:99999", k, sizeof k), -EINVAL);
    assert_int_equal(sc_coord__refer_target_key(NULL, k, sizeof k), -EINVAL);
    char tiny[8];
    assert_int_equal(sc_coord__refer_target_key("sip:alice@127.0.0.1", tiny, sizeof tiny), -ENOSPC);
}

static void refer_policy(void **state)
{
    sc_coord_config cfg;
    sc_coord_config_default(&cfg);
    sc_coord_refer_policy p;
    char err[160];
    struct sockaddr_storage lo = addr("127.0.0.1", 5062), far = addr("192.0.2.7", 5060), lo6 = addr("::1", 5062);
    sc_coord_peer trusted = {.src = &lo}, stranger = {.src = &far}, unknown = {.src = NULL}, trusted6 = {.src = &lo6};
    const char *dial = "sip:+19005550100@127.0.0.1:5099", *carol = "sip:carol@127.0.0.1:5070";

    /* the defaults: nothing trusted, nothing allowed: every REFER refused, as untrusted */
    assert_int_equal(sc_coord__refer_policy_init(&p, &cfg, err, sizeof err), 0);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted, carol), SC_COORD_REFER_UNTRUSTED);
    assert_int_equal(sc_coord__refer_judge(&p, &stranger, dial), SC_COORD_REFER_UNTRUSTED);
    sc_coord__refer_policy_free(&p);

    /* trusted loopback, carol's node allowed, one route */
    cfg.trust[0] = "127.0.0.1/32";
    cfg.trust[1] = "::1/128";
    cfg.ntrust = 2;
    cfg.refer_allow[0] = "carol@127.0.0.1:*";
    cfg.nrefer_allow = 1;
    cfg.route_match[0] = "100";
    cfg.route_target[0] = "sip:ivr@127.0.0.1:5080;transport=tcp";
    cfg.route_match[1] = "200";
    cfg.route_target[1] = "sip:pbx@pbx.example.com"; /* a host name: a REFER target too */
    cfg.nroutes = 2;
    assert_int_equal(sc_coord__refer_policy_init(&p, &cfg, err, sizeof err), 0);
    assert_int_equal(p.nroutes, 2);
    assert_int_equal(sc_coord__peer_trust(&p, &trusted), SC_COORD_TRUST_NETWORK);
    assert_int_equal(sc_coord__peer_trust(&p, &trusted6), SC_COORD_TRUST_NETWORK);
    assert_int_equal(sc_coord__peer_trust(&p, &stranger), SC_COORD_TRUST_NONE);
    assert_int_equal(sc_coord__peer_trust(&p, &unknown), SC_COORD_TRUST_NONE);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted, carol), SC_COORD_REFER_OK);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted6, "sip:carol@127.0.0.1"), SC_COORD_REFER_OK);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted, "sip:ivr@127.0.0.1:5080"), SC_COORD_REFER_OK);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted, dial), SC_COORD_REFER_TARGET);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted, "sip:carol@127.0.0.2:5070"), SC_COORD_REFER_TARGET);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted, "sip:carol@example.com"), SC_COORD_REFER_TARGET);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted, NULL), SC_COORD_REFER_TARGET);
    /* the sender is judged before the target: a stranger learns nothing about the allowed ones */
    assert_int_equal(sc_coord__refer_judge(&p, &stranger, carol), SC_COORD_REFER_UNTRUSTED);
    assert_int_equal(sc_coord__refer_judge(&p, &unknown, carol), SC_COORD_REFER_UNTRUSTED);
    sc_coord__refer_policy_free(&p);

    /* --accept-refer no wins over everything */
    cfg.refuse_refer = true;
    assert_int_equal(sc_coord__refer_policy_init(&p, &cfg, err, sizeof err), 0);
    assert_int_equal(sc_coord__refer_judge(&p, &trusted, carol), SC_COORD_REFER_DISABLED);
    sc_coord__refer_policy_free(&p);
    cfg.refuse_refer = false;

    /* bad entries stop the start */
    cfg.trust[1] = "10.0.0.1/8";
    assert_int_equal(sc_coord__refer_policy_init(&p, &cfg, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "10.0.0.1/8"));
    sc_coord__refer_policy_free(&p);
    cfg.trust[1] = "::1/128";
    cfg.refer_allow[0] = "carol @127.0.0.1";
    assert_int_equal(sc_coord__refer_policy_init(&p, &cfg, err, sizeof err), -EINVAL);
    sc_coord__refer_policy_free(&p);

    assert_string_equal(sc_coord__refer_verdict_name(SC_COORD_REFER_UNTRUSTED), "untrusted");
    assert_string_equal(sc_coord__refer_verdict_name(SC_COORD_REFER_TARGET), "target");
    assert_string_equal(sc_coord__refer_verdict_name(SC_COORD_REFER_DISABLED), "disabled");
}

/* sc_coord__refer_check on a bare coordinator struct: every refusal counted, log lines at most
 * 5 a second, the next window's first line saying how many were left out. */
typedef struct log_capture {
    int lines;
    char last[512];
} log_capture;

static void capture(void *ud, sc_log_level level, const char *module, const char *msg)
{
    log_capture *lc = ud;
    if (strcmp(module, "transfer") != 0)
        return;
    lc->lines++;
    snprintf(lc->last, sizeof lc->last, "%s", msg);
}

static void refusals_counted_and_logged(void **state)
{
    sc_manual_clock *mc = NULL;
    assert_int_equal(sc_manual_clock_new(&mc, 5000000, 0), 0);
    log_capture lc = {0};
    sc_logger logger = {.log = capture, .ud = &lc, .max_level = SC_LOG_DEBUG};
    sc_obs_registry *reg = NULL;
    assert_int_equal(sc_obs_registry_new(&reg), 0);
    sc_obs_metric *m = NULL;
    sc_obs_desc d = {
        .type = SC_OBS_COUNTER, .name = "sessioncore_refer_refused_total", .help = "x", .labels = {"reason"}};
    assert_int_equal(sc_obs_register(reg, &d, &m), 0);
    sc_coord *c = calloc(1, sizeof *c);
    sc_coord_xfer_state *xs = calloc(1, sizeof *xs);
    assert_non_null(c);
    assert_non_null(xs);
    c->clock = sc_manual_clock_get(mc);
    c->logger = &logger;
    c->feat[SC_FEAT_TRANSFER] = xs;
    xs->refused[SC_COORD_REFER_UNTRUSTED] = sc_obs_counter_with(m, "untrusted");
    xs->refused[SC_COORD_REFER_TARGET] = sc_obs_counter_with(m, "target");

    /* no stx: the source is unknown, so never trusted */
    for (int i = 0; i < 20; i++)
        assert_int_equal(sc_coord__refer_check(c, "s1", NULL, "sip:+19005550100@127.0.0.1:5099"),
                         SC_COORD_REFER_UNTRUSTED);
    assert_int_equal(sc_obs_counter_get(xs->refused[SC_COORD_REFER_UNTRUSTED]), 20);
    assert_int_equal(lc.lines, 5);
    assert_non_null(strstr(lc.last, "session s1: REFER from unknown source refused (untrusted)"));
    assert_non_null(strstr(lc.last, "target sip:+19005550100@127.0.0.1:5099"));
    assert_null(strstr(lc.last, "not logged"));
    sc_manual_clock_advance(mc, 1000000);
    /* a peer-written target is cut and made printable */
    char big[400];
    memset(big, 'a', sizeof big);
    memcpy(big, "sip:\x1b[31m", 9);
    big[sizeof big - 1] = '\0';
    assert_int_equal(sc_coord__refer_check(c, "s1", NULL, big), SC_COORD_REFER_UNTRUSTED);
    assert_int_equal(lc.lines, 6);
    assert_non_null(strstr(lc.last, "(15 more refusals not logged)"));
    assert_null(strchr(lc.last, 0x1b));
    assert_true(strlen(lc.last) < 250);

    /* an unknown source is never trusted, not even by 0.0.0.0/0 and ::/0 */
    sc_coord_config cfg;
    sc_coord_config_default(&cfg);
    cfg.trust[0] = "0.0.0.0/0";
    cfg.trust[1] = "::/0";
    cfg.ntrust = 2;
    char err[160];
    assert_int_equal(sc_coord__refer_policy_init(&xs->policy, &cfg, err, sizeof err), 0);
    assert_int_equal(sc_coord__refer_check(c, "s2", NULL, "sip:carol@127.0.0.1"), SC_COORD_REFER_UNTRUSTED);
    sc_coord__refer_policy_free(&xs->policy);

    free(xs);
    free(c);
    sc_obs_registry_free(reg);
    sc_manual_clock_free(mc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refer_to_plain),   cmocka_unit_test(refer_to_replaces_roundtrip),
        cmocka_unit_test(sipfrag),          cmocka_unit_test(usable_targets),
        cmocka_unit_test(trusted_networks), cmocka_unit_test(target_keys),
        cmocka_unit_test(refer_policy),     cmocka_unit_test(refusals_counted_and_logged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
