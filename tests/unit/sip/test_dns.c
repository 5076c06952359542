/* The pure parts of SIP server location (src/sip/dns.c): SRV ordering by priority and weight
 * (RFC 2782: the share of first places follows the weights), the TTL cache (expiry, negative
 * entries, a full cache making room, case-insensitive names), the smallest TTL of a DNS
 * message's answers (compressed names, a malformed message), and DNS server lists. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip/dns.h"

/* A deterministic generator (xorshift32). */
static uint32_t xs(void *ud)
{
    uint32_t *s = ud;
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static sip_srv rec(uint16_t prio, uint16_t weight, const char *target)
{
    sip_srv r = {.priority = prio, .weight = weight, .port = 5060};
    snprintf(r.target, sizeof r.target, "%s", target);
    return r;
}

static void test_srv_priority_first(void **state)
{
    (void)state;
    uint32_t seed = 7;
    for (int round = 0; round < 50; round++) {
        sip_srv v[5] = {rec(30, 5, "c1"), rec(10, 0, "a1"), rec(20, 50, "b1"), rec(10, 100, "a2"), rec(20, 50, "b2")};
        sip_srv_order(v, 5, xs, &seed);
        assert_int_equal(v[0].priority, 10);
        assert_int_equal(v[1].priority, 10);
        assert_int_equal(v[2].priority, 20);
        assert_int_equal(v[3].priority, 20);
        assert_string_equal(v[4].target, "c1");
        /* nothing lost or duplicated */
        int seen = 0;
        for (int i = 0; i < 5; i++)
            seen |= 1 << ((v[i].target[0] - 'a') * 2 + (v[i].target[1] - '1'));
        assert_int_equal(seen, (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4));
    }
}

static void test_srv_weights(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    int first_heavy = 0, first_zero = 0;
    const int rounds = 20000;
    for (int round = 0; round < rounds; round++) {
        sip_srv v[3] = {rec(1, 10, "light"), rec(1, 0, "zero"), rec(1, 90, "heavy")};
        sip_srv_order(v, 3, xs, &seed);
        first_heavy += !strcmp(v[0].target, "heavy");
        first_zero += !strcmp(v[0].target, "zero");
    }
    /* weight 90 of 100: first about 90% of the time; weight 0: about 1/101 */
    assert_in_range(first_heavy, rounds * 85 / 100, rounds * 95 / 100);
    assert_in_range(first_zero, 0, rounds * 3 / 100);
    /* all weights zero: every order possible, nothing crashes, all kept */
    sip_srv z[3] = {rec(5, 0, "x"), rec(5, 0, "y"), rec(5, 0, "z")};
    sip_srv_order(z, 3, xs, &seed);
    assert_int_equal(z[0].target[0] + z[1].target[0] + z[2].target[0], 'x' + 'y' + 'z');
    sip_srv_order(z, 0, xs, &seed); /* empty: nothing */
}

static void test_cache_ttl(void **state)
{
    (void)state;
    sip_dns_cache *c = sip_dns_cache_new(4);
    assert_non_null(c);
    int st;
    const void *data;
    size_t len;
    int v = 42;
    assert_int_equal(sip_dns_cache_put(c, 1, "Host.Example.TEST", 0, &v, sizeof v, 1000, 500), 0);
    assert_int_equal(sip_dns_cache_get(c, 1, "host.example.test", 1499, &st, &data, &len), 1);
    assert_int_equal(st, 0);
    assert_int_equal(len, sizeof v);
    assert_int_equal(*(const int *)data, 42);
    assert_int_equal(sip_dns_cache_get(c, 28, "host.example.test", 1000, &st, &data, &len), 0); /* other type */
    assert_int_equal(sip_dns_cache_get(c, 1, "host.example.test", 1500, &st, &data, &len), 0);  /* expired */
    assert_int_equal(sip_dns_cache_count(c, 1500), 0);
    /* a negative answer, and a TTL of 0 is not kept */
    assert_int_equal(sip_dns_cache_put(c, 33, "_sip._udp.x.test", 4, NULL, 0, 0, 30000), 0);
    assert_int_equal(sip_dns_cache_get(c, 33, "_sip._udp.x.test", 10, &st, &data, &len), 1);
    assert_int_equal(st, 4);
    assert_int_equal(len, 0);
    assert_int_equal(sip_dns_cache_put(c, 1, "zero.test", 0, &v, sizeof v, 0, 0), 0);
    assert_int_equal(sip_dns_cache_get(c, 1, "zero.test", 0, &st, &data, &len), 0);
    /* a huge TTL is capped */
    assert_int_equal(sip_dns_cache_put(c, 1, "long.test", 0, &v, sizeof v, 0, 1000ull * 86400 * 7), 0);
    assert_int_equal(sip_dns_cache_get(c, 1, "long.test", SIP_DNS_TTL_MAX_MS - 1, &st, &data, &len), 1);
    assert_int_equal(sip_dns_cache_get(c, 1, "long.test", SIP_DNS_TTL_MAX_MS, &st, &data, &len), 0);
    /* the same key again replaces the entry */
    int w = 7;
    assert_int_equal(sip_dns_cache_put(c, 1, "a.test", 0, &v, sizeof v, 0, 1000), 0);
    assert_int_equal(sip_dns_cache_put(c, 1, "A.test", 0, &w, sizeof w, 0, 1000), 0);
    assert_int_equal(sip_dns_cache_get(c, 1, "a.test", 1, &st, &data, &len), 1);
    assert_int_equal(*(const int *)data, 7);
    assert_int_equal(sip_dns_cache_put(c, 1, NULL, 0, NULL, 0, 0, 1), -EINVAL);
    sip_dns_cache_free(c);
    sip_dns_cache_free(NULL);
}

static void test_cache_bounded(void **state)
{
    (void)state;
    sip_dns_cache *c = sip_dns_cache_new(3);
    int st;
    const void *data;
    size_t len;
    int v = 1;
    assert_int_equal(sip_dns_cache_put(c, 1, "a", 0, &v, sizeof v, 0, 3000), 0);
    assert_int_equal(sip_dns_cache_put(c, 1, "b", 0, &v, sizeof v, 0, 1000), 0); /* expires first */
    assert_int_equal(sip_dns_cache_put(c, 1, "c", 0, &v, sizeof v, 0, 2000), 0);
    assert_int_equal(sip_dns_cache_count(c, 0), 3);
    assert_int_equal(sip_dns_cache_put(c, 1, "d", 0, &v, sizeof v, 0, 5000), 0); /* full: b goes */
    assert_int_equal(sip_dns_cache_count(c, 0), 3);
    assert_int_equal(sip_dns_cache_get(c, 1, "b", 0, &st, &data, &len), 0);
    assert_int_equal(sip_dns_cache_get(c, 1, "a", 0, &st, &data, &len), 1);
    assert_int_equal(sip_dns_cache_get(c, 1, "d", 0, &st, &data, &len), 1);
    /* an expired entry makes room before a live one */
    assert_int_equal(sip_dns_cache_put(c, 1, "e", 0, &v, sizeof v, 2500, 5000), 0); /* c expired at 2000 */
    assert_int_equal(sip_dns_cache_get(c, 1, "a", 2500, &st, &data, &len), 1);
    assert_int_equal(sip_dns_cache_get(c, 1, "e", 2500, &st, &data, &len), 1);
    for (int i = 0; i < 1000; i++) { /* never more than its capacity */
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        assert_int_equal(sip_dns_cache_put(c, 1, name, 0, &v, sizeof v, 3000, 1000 + (uint64_t)i), 0);
    }
    assert_true(sip_dns_cache_count(c, 3000) <= 3);
    sip_dns_cache_free(c);
}

/* A DNS answer: one question, SRV 300 s and SRV 60 s (a compressed name), A 10 s. */
static const unsigned char answer[] = {
    0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
    /* question: _sip._udp.x.test SRV IN */
    4, '_', 's', 'i', 'p', 4, '_', 'u', 'd', 'p', 1, 'x', 4, 't', 'e', 's', 't', 0, 0, 33, 0, 1,
    /* SRV, name a pointer to the question, TTL 300, rdlength 8 */
    0xC0, 12, 0, 33, 0, 1, 0, 0, 0x01, 0x2C, 0, 10, 0, 10, 0, 10, 0x13, 0xC4, 1, 'a', 0xC0, 22,
    /* SRV, TTL 60 */
    0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 10, 0, 20, 0, 10, 0x13, 0xC4, 1, 'b', 0xC0, 22,
    /* A, TTL 10 */
    0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 10, 0, 4, 127, 0, 0, 1};

static void test_min_ttl(void **state)
{
    (void)state;
    uint32_t ttl = 0;
    assert_int_equal(sip_dns_min_ttl(answer, sizeof answer, 33, &ttl), 0);
    assert_int_equal(ttl, 60);
    assert_int_equal(sip_dns_min_ttl(answer, sizeof answer, 1, &ttl), 0);
    assert_int_equal(ttl, 10);
    assert_int_equal(sip_dns_min_ttl(answer, sizeof answer, 28, &ttl), -ENOENT);
    for (size_t cut = 0; cut < sizeof answer; cut++) /* every truncation: an error, never a crash */
        assert_true(sip_dns_min_ttl(answer, cut, 1, &ttl) < 0);
    unsigned char loop[sizeof answer];
    memcpy(loop, answer, sizeof answer);
    loop[12] = 0x80; /* a reserved label type */
    assert_int_equal(sip_dns_min_ttl(loop, sizeof loop, 33, &ttl), -EINVAL);
}

static void test_servers(void **state)
{
    (void)state;
    assert_true(sip_dns_servers_valid("127.0.0.1"));
    assert_true(sip_dns_servers_valid("127.0.0.1:5353,[::1]:53,[::1],10.0.0.1"));
    assert_false(sip_dns_servers_valid(""));
    assert_false(sip_dns_servers_valid(NULL));
    assert_false(sip_dns_servers_valid("dns.example.test"));
    assert_false(sip_dns_servers_valid("127.0.0.1:0"));
    assert_false(sip_dns_servers_valid("127.0.0.1:70000"));
    assert_false(sip_dns_servers_valid("127.0.0.1,"));
    assert_false(sip_dns_servers_valid("::1"));
    assert_false(sip_dns_servers_valid("[::1"));
    assert_false(sip_dns_servers_valid("[127.0.0.1]:53"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srv_priority_first), cmocka_unit_test(test_srv_weights), cmocka_unit_test(test_cache_ttl),
        cmocka_unit_test(test_cache_bounded),      cmocka_unit_test(test_min_ttl),     cmocka_unit_test(test_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
