/* source_limit: how many live server transactions each source IP holds, so that one source's
 * flood of requests (each a transaction alive 64*T1 after its answer) meets its own limit
 * (max_tx_per_source) long before the agent's (max_transactions): the others are still served.
 * A source is an IPv4 address or an IPv6 /64 (one host picks any address of its /64). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"

typedef struct sip_source {
    sip_hnode hnode; /* in sip->source_index while it counts anything */
    uint32_t n;      /* live server transactions from this IP */
    char key[64];    /* the IP (IPv6: its /64) as text; the port is left out: one host, one budget */
} sip_source;

static void source_key(const struct sockaddr_storage *src, char *key, size_t cap)
{
    uint16_t port;
    struct sockaddr_storage a = *src;
    if (a.ss_family == AF_INET6)
        memset(((struct sockaddr_in6 *)&a)->sin6_addr.s6_addr + 8, 0, 8);
    if (sip_addr_str(&a, key, cap, &port) != 0)
        snprintf(key, cap, "?");
    else if (a.ss_family == AF_INET6)
        strncat(key, "/64", cap - strlen(key) - 1);
}

static sip_source *find(sc_sip *sip, const char *key)
{
    uint64_t h = sip_hash(key);
    sip_hnode *head = sip_index_chain(&sip->source_index, h);
    for (sip_hnode *n = head->next; n != head; n = n->next) {
        sip_source *s = SIP_CONTAINER(n, sip_source, hnode);
        if (n->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
    return NULL;
}

int sip_source_acquire(sc_sip *sip, const struct sockaddr_storage *src, sip_source **out)
{
    char key[64];
    source_key(src, key, sizeof key);
    sip_source *s = find(sip, key);
    if (s && s->n >= sip->cfg.max_tx_per_source)
        return SIP_E_SOURCE_LIMIT;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -ENOMEM;
        snprintf(s->key, sizeof s->key, "%s", key);
        sip_hnode_init(&s->hnode);
        sip_index_add(&sip->source_index, &s->hnode, s->key);
        sip->stats.tx_sources++;
    }
    s->n++;
    *out = s;
    return 0;
}

void sip_source_release(sc_sip *sip, sip_source *s)
{
    if (!s || --s->n > 0)
        return;
    sip_index_del(&sip->source_index, &s->hnode);
    sip->stats.tx_sources--;
    free(s);
}

void sip_source_fini(sc_sip *sip)
{
    for (size_t b = 0; sip->source_index.buckets && b < sip->source_index.nb; b++) {
        sip_hnode *head = &sip->source_index.buckets[b];
        while (head->next != head) {
            sip_source *s = SIP_CONTAINER(head->next, sip_source, hnode);
            sip_index_del(&sip->source_index, &s->hnode);
            free(s);
        }
    }
    sip_index_fini(&sip->source_index);
}
