/* map: the string-keyed open-addressing hash table behind the store's id and key indexes. */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MIN_CAP 16

uint64_t sc_map__hash(const char *key) { return sc_hash_mix64(sc_hash_fnv1a64(key, strlen(key))); }

void sc_map__free(sc_map *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

static sc_map_slot *find_slot(const sc_map *m, const char *key, uint64_t h)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        sc_map_slot *sl = &m->slots[i];
        if (!sl->key)
            return NULL;
        if (sl->hash == h && strcmp(sl->key, key) == 0)
            return sl;
    }
}

void *sc_map__get(const sc_map *m, const char *key)
{
    sc_map_slot *sl = find_slot(m, key, sc_map__hash(key));
    return sl ? sl->val : NULL;
}

static void insert_fresh(sc_map_slot *slots, size_t cap, uint64_t h, const char *key, void *val)
{
    size_t mask = cap - 1;
    size_t i = h & mask;
    while (slots[i].key)
        i = (i + 1) & mask;
    slots[i].hash = h;
    slots[i].key = key;
    slots[i].val = val;
}

static int grow(sc_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : MAP_MIN_CAP;
    sc_map_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            insert_fresh(ns, ncap, m->slots[i].hash, m->slots[i].key, m->slots[i].val);
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int sc_map__put(sc_map *m, const char *key, void *val)
{
    uint64_t h = sc_map__hash(key);
    if (find_slot(m, key, h))
        return -EEXIST;
    if ((m->count + 1) * 10 > m->cap * 7) { /* keep the load under 70% */
        int r = grow(m);
        if (r)
            return r;
    }
    insert_fresh(m->slots, m->cap, h, key, val);
    m->count++;
    return 0;
}

void *sc_map__del(sc_map *m, const char *key)
{
    sc_map_slot *sl = find_slot(m, key, sc_map__hash(key));
    if (!sl)
        return NULL;
    void *val = sl->val;
    size_t mask = m->cap - 1;
    size_t i = (size_t)(sl - m->slots);
    /* Backward-shift deletion: pull later entries of the probe run into the hole so that
     * lookups never need tombstones. */
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t ideal = m->slots[j].hash & mask;
        if (((j - ideal) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = NULL;
    m->slots[i].val = NULL;
    m->count--;
    return val;
}
