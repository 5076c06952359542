/* index: a string-keyed chained hash index of intrusive nodes (transactions by key, calls by
 * Call-ID); the nodes live in the indexed objects, the index owns only its bucket array. */
#ifndef SC_SIP_INDEX_H
#define SC_SIP_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sip_hnode {
    struct sip_hnode *prev, *next; /* bucket chain; both self when not indexed */
    uint64_t hash;
} sip_hnode;

typedef struct sip_index {
    sip_hnode *buckets; /* sentinel heads, nb of them (a power of two) */
    size_t nb, n;
} sip_index;

uint64_t sip_hash(const char *key);
int sip_index_init(sip_index *ix, size_t nb); /* nb: a power of two */
void sip_index_fini(sip_index *ix);           /* frees the buckets, not the nodes */
static inline void sip_hnode_init(sip_hnode *n) { n->prev = n->next = n; }
static inline bool sip_hnode_linked(const sip_hnode *n) { return n->next != n; }
/* Appends n under key (chains keep insertion order); n must not be indexed. Grows the
 * bucket array when the load passes 2 (on allocation failure the chains just get longer). */
void sip_index_add(sip_index *ix, sip_hnode *n, const char *key);
void sip_index_del(sip_index *ix, sip_hnode *n); /* no-op when n is not indexed */
/* Halves the bucket array while the load stays under 1/2 and it is above min_nb buckets (a
 * power of two), after a burst (reclaim.c); on allocation failure it stays as it is. */
void sip_index_shrink(sip_index *ix, size_t min_nb);
/* The chain head for a hash: iterate from head->next until head; compare node->hash first. */
static inline sip_hnode *sip_index_chain(const sip_index *ix, uint64_t hash)
{
    return &ix->buckets[hash & (ix->nb - 1)];
}

#endif
