/* index: the chained hash index the SIP layer uses to find transactions and calls in O(1). */
#include "sip/index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/base.h"

uint64_t sip_hash(const char *key)
{
    /* FNV-1a, then only the first multiply-xorshift round of sc_hash_mix64: the values this
     * index always had (none of them leaves the process, so the full mix would do as well) */
    uint64_t h = sc_hash_fnv1a64(key, strlen(key));
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    return h ^ (h >> 33);
}

static sip_hnode *heads_new(size_t nb)
{
    sip_hnode *b = malloc(nb * sizeof *b);
    for (size_t i = 0; b && i < nb; i++)
        sip_hnode_init(&b[i]);
    return b;
}

int sip_index_init(sip_index *ix, size_t nb)
{
    ix->buckets = heads_new(nb);
    ix->nb = ix->buckets ? nb : 0;
    ix->n = 0;
    return ix->buckets ? 0 : -ENOMEM;
}

void sip_index_fini(sip_index *ix)
{
    free(ix->buckets);
    ix->buckets = NULL;
    ix->nb = ix->n = 0;
}

static void chain_append(sip_hnode *head, sip_hnode *n)
{
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

/* Moves every node into a new array of nb buckets (the chains keep their order). */
static void rehash(sip_index *ix, size_t nb)
{
    sip_hnode *b = heads_new(nb);
    if (!b)
        return;
    for (size_t i = 0; i < ix->nb; i++) { /* old chains in order: each new chain keeps it */
        sip_hnode *head = &ix->buckets[i];
        for (sip_hnode *n = head->next, *next; n != head; n = next) {
            next = n->next;
            chain_append(&b[n->hash & (nb - 1)], n);
        }
    }
    free(ix->buckets);
    ix->buckets = b;
    ix->nb = nb;
}

static void grow(sip_index *ix) { rehash(ix, ix->nb * 2); }

void sip_index_shrink(sip_index *ix, size_t min_nb)
{
    size_t nb = ix->nb;
    while (nb / 2 >= min_nb && ix->n < nb / 4) /* after halving: load under 1/2 */
        nb /= 2;
    if (nb != ix->nb && ix->buckets)
        rehash(ix, nb);
}

void sip_index_add(sip_index *ix, sip_hnode *n, const char *key)
{
    if (ix->n >= 2 * ix->nb)
        grow(ix);
    n->hash = sip_hash(key);
    chain_append(sip_index_chain(ix, n->hash), n);
    ix->n++;
}

void sip_index_del(sip_index *ix, sip_hnode *n)
{
    if (!sip_hnode_linked(n))
        return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    sip_hnode_init(n);
    ix->n--;
}
