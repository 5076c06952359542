/* dns: the pure parts of server location (resolve.c does the lookups): the RFC 2782 order of
 * SRV records (priority, then a weighted random choice), a bounded cache of DNS answers that
 * honours their TTLs, the smallest TTL of a DNS message's answers, and the check of a
 * "IP[:PORT],..." server list. No I/O here, so all of it is unit-tested directly. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/dns.h"

/* ---- SRV order (RFC 2782) ---------------------------------------------------------------- */

static int by_priority(const void *a, const void *b)
{
    const sip_srv *x = a, *y = b;
    return (int)x->priority - (int)y->priority;
}

/* One priority group v[0..n): RFC 2782's selection: zero weights first, a running sum, a
 * random number in [0, sum], the first record whose running sum reaches it, taken out. */
static void order_group(sip_srv *v, size_t n, uint32_t (*rnd)(void *), void *ud)
{
    for (size_t done = 0; done + 1 < n; done++) {
        sip_srv *g = v + done;
        size_t m = n - done;
        /* zero weights first, keeping the others' order */
        size_t z = 0;
        for (size_t i = 0; i < m; i++)
            if (g[i].weight == 0) {
                sip_srv t = g[i];
                memmove(g + z + 1, g + z, (i - z) * sizeof *g);
                g[z++] = t;
            }
        uint64_t sum = 0;
        for (size_t i = 0; i < m; i++)
            sum += g[i].weight;
        uint64_t pick = sum ? (uint64_t)rnd(ud) % (sum + 1) : 0;
        uint64_t run = 0;
        size_t chosen = 0;
        for (size_t i = 0; i < m; i++) {
            run += g[i].weight;
            if (run >= pick) {
                chosen = i;
                break;
            }
        }
        sip_srv t = g[chosen];
        memmove(g + 1, g, chosen * sizeof *g);
        g[0] = t;
    }
}

void sip_srv_order(sip_srv *v, size_t n, uint32_t (*rnd)(void *), void *ud)
{
    /* a stable sort by priority (insertion: n is small) keeps equal records in answer order */
    for (size_t i = 1; i < n; i++) {
        sip_srv t = v[i];
        size_t j = i;
        while (j > 0 && by_priority(&v[j - 1], &t) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = t;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].priority == v[i].priority)
            j++;
        order_group(v + i, j - i, rnd, ud);
        i = j;
    }
}

/* ---- the cache -------------------------------------------------------------------------- */

typedef struct cache_entry {
    int type; /* DNS type (1 A, 28 AAAA, 33 SRV, 35 NAPTR), 0: free slot */
    char name[SIP_DNS_NAME_MAX];
    int status; /* 0, or the lookup's error (a negative answer is cached too) */
    void *data; /* len bytes */
    size_t len;
    uint64_t expires; /* ms, in the caller's clock */
} cache_entry;

struct sip_dns_cache {
    cache_entry *e;
    size_t cap;
};

sip_dns_cache *sip_dns_cache_new(size_t cap)
{
    sip_dns_cache *c = calloc(1, sizeof *c);
    if (!c || !cap || !(c->e = calloc(cap, sizeof *c->e))) {
        free(c);
        return NULL;
    }
    c->cap = cap;
    return c;
}

static void drop(cache_entry *e)
{
    free(e->data);
    memset(e, 0, sizeof *e);
}

void sip_dns_cache_free(sip_dns_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cap; i++)
        drop(&c->e[i]);
    free(c->e);
    free(c);
}

static cache_entry *find(sip_dns_cache *c, int type, const char *name)
{
    for (size_t i = 0; i < c->cap; i++)
        if (c->e[i].type == type && strcasecmp(c->e[i].name, name) == 0)
            return &c->e[i];
    return NULL;
}

int sip_dns_cache_put(sip_dns_cache *c, int type, const char *name, int status, const void *data, size_t len,
                      uint64_t now, uint64_t ttl_ms)
{
    if (!c || !type || !name || strlen(name) >= SIP_DNS_NAME_MAX || (len && !data))
        return -EINVAL;
    if (ttl_ms == 0)
        return 0; /* a TTL of 0: not to be cached */
    if (ttl_ms > SIP_DNS_TTL_MAX_MS)
        ttl_ms = SIP_DNS_TTL_MAX_MS;
    void *copy = NULL;
    if (len && !(copy = malloc(len)))
        return -ENOMEM;
    if (len)
        memcpy(copy, data, len);
    cache_entry *slot = find(c, type, name);
    for (size_t i = 0; !slot && i < c->cap; i++) /* a free or expired slot */
        if (!c->e[i].type || c->e[i].expires <= now)
            slot = &c->e[i];
    if (!slot) { /* full: the entry expiring soonest goes */
        slot = &c->e[0];
        for (size_t i = 1; i < c->cap; i++)
            if (c->e[i].expires < slot->expires)
                slot = &c->e[i];
    }
    drop(slot);
    slot->type = type;
    strcpy(slot->name, name);
    slot->status = status;
    slot->data = copy;
    slot->len = len;
    slot->expires = now + ttl_ms;
    return 0;
}

int sip_dns_cache_get(sip_dns_cache *c, int type, const char *name, uint64_t now, int *status, const void **data,
                      size_t *len)
{
    cache_entry *e = c && name ? find(c, type, name) : NULL;
    if (!e)
        return 0;
    if (e->expires <= now) {
        drop(e);
        return 0;
    }
    *status = e->status;
    *data = e->data;
    *len = e->len;
    return 1;
}

size_t sip_dns_cache_count(const sip_dns_cache *c, uint64_t now)
{
    size_t n = 0;
    for (size_t i = 0; c && i < c->cap; i++)
        n += c->e[i].type && c->e[i].expires > now;
    return n;
}

/* ---- TTLs of a DNS message ---------------------------------------------------------------- */

/* Skips a (possibly compressed) name at *off; -1 when the message ends first. */
static int skip_name(const unsigned char *m, size_t len, size_t *off)
{
    size_t o = *off;
    for (unsigned hops = 0; hops < 128; hops++) {
        if (o >= len)
            return -1;
        unsigned char l = m[o];
        if (l == 0) {
            *off = o + 1;
            return 0;
        }
        if ((l & 0xC0) == 0xC0) { /* a pointer ends the name here */
            if (o + 1 >= len)
                return -1;
            *off = o + 2;
            return 0;
        }
        if (l & 0xC0)
            return -1;
        o += 1u + l;
    }
    return -1;
}

static unsigned get16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

int sip_dns_min_ttl(const unsigned char *m, size_t len, int type, uint32_t *ttl)
{
    if (!m || len < 12)
        return -EINVAL;
    unsigned qd = get16(m + 4), an = get16(m + 6);
    size_t off = 12;
    for (unsigned i = 0; i < qd; i++) {
        if (skip_name(m, len, &off) != 0 || off + 4 > len)
            return -EINVAL;
        off += 4;
    }
    bool found = false;
    uint32_t best = 0;
    for (unsigned i = 0; i < an; i++) {
        if (skip_name(m, len, &off) != 0 || off + 10 > len)
            return -EINVAL;
        unsigned t = get16(m + off);
        uint32_t rttl = (uint32_t)m[off + 4] << 24 | (uint32_t)m[off + 5] << 16 | (uint32_t)m[off + 6] << 8 |
                        m[off + 7];
        size_t rdlen = get16(m + off + 8);
        off += 10;
        if (off + rdlen > len)
            return -EINVAL;
        off += rdlen;
        if ((int)t != type)
            continue;
        if (rttl > 0x7FFFFFFFu) /* RFC 2181 8: a TTL with the top bit set counts as 0 */
            rttl = 0;
        if (!found || rttl < best)
            best = rttl;
        found = true;
    }
    if (!found)
        return -ENOENT;
    *ttl = best;
    return 0;
}

/* ---- --dns-server lists ------------------------------------------------------------------- */

/* One "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" of n bytes. */
static bool server_ok(const char *s, size_t n)
{
    char buf[64], addr[16];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *host = buf, *port = NULL;
    if (buf[0] == '[') {
        char *rb = strchr(buf, ']');
        if (!rb)
            return false;
        *rb = '\0';
        host = buf + 1;
        if (rb[1] == ':')
            port = rb + 2;
        else if (rb[1])
            return false;
        if (inet_pton(AF_INET6, host, addr) != 1)
            return false;
    } else {
        char *colon = strchr(buf, ':');
        if (colon) {
            *colon = '\0';
            port = colon + 1;
        }
        if (inet_pton(AF_INET, host, addr) != 1)
            return false;
    }
    if (port) {
        char *end = NULL;
        long p = strtol(port, &end, 10);
        if (!*port || *end || p < 1 || p > 65535)
            return false;
    }
    return true;
}

bool sip_dns_servers_valid(const char *list)
{
    if (!list || !*list)
        return false;
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!server_ok(p, n))
            return false;
        if (!comma)
            return true;
        p = comma + 1;
    }
}
