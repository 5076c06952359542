/* arena: the bump allocator that holds everything one table owns, and the content hash. */
#include "table/table_int.h"

#include <stdlib.h>
#include <string.h>

struct sc_table__chunk {
    sc_table__chunk *next; /* older chunk */
    size_t used, size;     /* bytes handed out, capacity of data */
    _Alignas(max_align_t) unsigned char data[];
};

#define SC_ARENA_CHUNK 8192

void *sc_table__alloc(sc_table__arena *a, size_t size)
{
    size_t align = _Alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    sc_table__chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > SC_ARENA_CHUNK ? size : SC_ARENA_CHUNK;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->size = cap;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *sc_table__strndup(sc_table__arena *a, const char *s, size_t n)
{
    char *p = sc_table__alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *sc_table__strdup(sc_table__arena *a, const char *s) { return s ? sc_table__strndup(a, s, strlen(s)) : NULL; }

void sc_table__arena_free(sc_table__arena *a)
{
    sc_table__chunk *c = a->head;
    while (c) {
        sc_table__chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

void sc_table__hash_hex(const char *data, size_t len, char out[17])
{
    uint64_t h = sc_hash_fnv1a64(data, len);
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[h & 0xf];
        h >>= 4;
    }
    out[16] = '\0';
}
