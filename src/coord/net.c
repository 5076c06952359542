/* net: the networks of --trust (ADDR or ADDR/LEN, IPv4 or IPv6) and whether an address is in
 * one: the core's, for every feature that judges where a request came from (REFER policy,
 * registrar challenges, B2BUA routes). */
#include "coord/coord_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

int sc_coord__net_parse(const char *s, sc_coord_net *out)
{
    char addr[64];
    memset(out, 0, sizeof *out);
    if (!s)
        return -EINVAL;
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof addr)
        return -EINVAL;
    memcpy(addr, s, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, out->addr) == 1)
        out->family = AF_INET6;
    else
        return -EINVAL;
    unsigned max = out->family == AF_INET ? 32 : 128;
    out->bits = max;
    if (slash) {
        const char *p = slash + 1;
        unsigned bits = 0;
        if (!*p || strlen(p) > 3)
            return -EINVAL;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -EINVAL;
            bits = bits * 10 + (unsigned)(*p - '0');
        }
        if (bits > max)
            return -EINVAL;
        out->bits = bits;
    }
    for (unsigned i = out->bits; i < max; i++) /* no host bits beyond the prefix */
        if (out->addr[i / 8] & (0x80u >> (i % 8)))
            return -EINVAL;
    return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool sc_coord__net_contains(const sc_coord_net *n, const struct sockaddr_storage *a)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!n || !a)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)a;
        return n->family == AF_INET && prefix_equal(n->addr, (const uint8_t *)&in->sin_addr, n->bits);
    }
    if (a->ss_family != AF_INET6)
        return false;
    const uint8_t *b = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
    if (n->family == AF_INET6)
        return prefix_equal(n->addr, b, n->bits);
    return n->family == AF_INET && memcmp(b, v4mapped, sizeof v4mapped) == 0 && prefix_equal(n->addr, b + 12, n->bits);
}
