/* dns: the pure parts of SIP server location (RFC 3263): SRV ordering (RFC 2782), a bounded
 * TTL cache of DNS answers, TTLs from a DNS message, DNS server list checks. resolve.c uses
 * them with c-ares. */
#ifndef SC_SIP_DNS_H
#define SC_SIP_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIP_DNS_NAME_MAX 256
#define SIP_DNS_TTL_MAX_MS (3600u * 1000u) /* no answer is kept longer than an hour */

typedef struct sip_srv {
    uint16_t priority, weight, port;
    char target[SIP_DNS_NAME_MAX]; /* "." : the service is not offered there */
} sip_srv;

/* Orders v in place as RFC 2782 says: by priority (lowest first); within a priority, a
 * weighted random order (a record's chance to come next is its weight over the group's sum;
 * zero weights have a small chance). rnd returns uniform 32-bit values. */
void sip_srv_order(sip_srv *v, size_t n, uint32_t (*rnd)(void *), void *ud);

/* A bounded cache of DNS answers by (type, name), names compared case-insensitively. */
typedef struct sip_dns_cache sip_dns_cache;
sip_dns_cache *sip_dns_cache_new(size_t cap); /* NULL: out of memory or cap 0 */
void sip_dns_cache_free(sip_dns_cache *c);    /* NULL: nothing */
/* Keeps a copy of data (len bytes, may be 0) with status (0 or the lookup's error: negative
 * answers are cached too) until now + ttl_ms (capped at SIP_DNS_TTL_MAX_MS; 0: not kept).
 * When full, an expired entry or else the one expiring soonest makes room. -EINVAL, -ENOMEM. */
int sip_dns_cache_put(sip_dns_cache *c, int type, const char *name, int status, const void *data, size_t len,
                      uint64_t now, uint64_t ttl_ms);
/* 1 and the entry (data borrowed until the next put) while it lives, else 0 (an expired one is
 * dropped). */
int sip_dns_cache_get(sip_dns_cache *c, int type, const char *name, uint64_t now, int *status, const void **data,
                      size_t *len);
size_t sip_dns_cache_count(const sip_dns_cache *c, uint64_t now); /* live entries */

/* The smallest TTL (seconds) of the answer records of that type in a DNS message. -EINVAL
 * (malformed), -ENOENT (none of that type). */
int sip_dns_min_ttl(const unsigned char *msg, size_t len, int type, uint32_t *ttl);

/* "IP[:PORT],..." with IPv4 literals or bracketed IPv6 ones ("[::1]:5353"). */
bool sip_dns_servers_valid(const char *list);

#endif
