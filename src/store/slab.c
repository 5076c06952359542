/* slab: where the store keeps what lives as long as a session record, apart from the malloc
 * heap. The heap is where a call's short-lived parts live (SIP transactions, messages,
 * dialogs, SDP, media): a record allocated among them pins their pages long after they are
 * freed, so a burst of calls held its peak resident memory for the whole retention time.
 * Session records come from a slab of fixed-size slots in 256 KiB chunks of their own (free
 * slots reused, an empty chunk returned to the OS); the strings of an ended session are
 * packed into one block of a bump arena in chunks of their own (sessions end and are removed
 * in about the same order, so a chunk empties as a whole and is returned). */
#include "store/store_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Under AddressSanitizer the records and packed blocks are plain heap blocks, so that a use
 * after free or an overflow of one is caught like any other (a slab hides them from ASan). */
#if defined(__SANITIZE_ADDRESS__)
#define SC_SLAB_PLAIN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SC_SLAB_PLAIN 1
#endif
#endif

#ifdef SC_SLAB_PLAIN
sc_session *sc_store__session_alloc(sc_store *st)
{
    (void)st;
    return calloc(1, sizeof(sc_session));
}

void sc_store__session_free(sc_store *st, sc_session *s)
{
    (void)st;
    free(s);
}

void *sc_store__pack_alloc(sc_store *st, size_t n)
{
    (void)st;
    return malloc(n);
}

void sc_store__pack_free(sc_store *st, void *p)
{
    (void)st;
    free(p);
}

void sc_store__slab_free_all(sc_store *st) { (void)st; }
#else

#define CHUNK ((size_t)256 * 1024) /* chunk size and alignment */

/* A chunk of CHUNK bytes aligned on CHUNK (so a pointer finds its chunk), or NULL. */
static void *chunk_map(void)
{
    uint8_t *p = mmap(NULL, 2 * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t a = ((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1);
    if (a > (uintptr_t)p)
        munmap(p, a - (uintptr_t)p);
    size_t tail = (size_t)((uintptr_t)p + 2 * CHUNK - (a + CHUNK));
    if (tail)
        munmap((void *)(a + CHUNK), tail);
    return (void *)a;
}

static void *chunk_of(const void *p) { return (void *)((uintptr_t)p & ~(uintptr_t)(CHUNK - 1)); }

/* ---- Session records: fixed slots ---------------------------------------------------------- */

typedef struct slab_chunk {
    struct slab_chunk *prev, *next; /* chunks with a free slot */
    void *free;                     /* free slots (each holds the next) */
    uint32_t used, bumped;          /* slots in use; slots ever handed out (bump) */
    bool listed;                    /* in the list of chunks with a free slot */
} slab_chunk;

#define SLOT_SIZE ((sizeof(sc_session) + 15) & ~(size_t)15)
#define SLOT_FIRST ((sizeof(slab_chunk) + 15) & ~(size_t)15)
#define SLOTS ((uint32_t)((CHUNK - SLOT_FIRST) / SLOT_SIZE))

static void list_add(sc_store *st, slab_chunk *c)
{
    c->prev = NULL;
    c->next = st->slab_avail;
    if (c->next)
        c->next->prev = c;
    st->slab_avail = c;
    c->listed = true;
}

static void list_del(sc_store *st, slab_chunk *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        st->slab_avail = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->listed = false;
}

sc_session *sc_store__session_alloc(sc_store *st)
{
    slab_chunk *c = st->slab_avail;
    if (!c) {
        if (!(c = chunk_map()))
            return NULL;
        memset(c, 0, sizeof *c);
        list_add(st, c);
        st->slab_chunks++;
    }
    void *slot;
    if (c->free) {
        slot = c->free;
        c->free = *(void **)slot;
    } else {
        slot = (uint8_t *)c + SLOT_FIRST + (size_t)c->bumped++ * SLOT_SIZE;
    }
    if (++c->used == SLOTS)
        list_del(st, c);
    memset(slot, 0, sizeof(sc_session));
    return slot;
}

void sc_store__session_free(sc_store *st, sc_session *s)
{
    if (!s)
        return;
    slab_chunk *c = chunk_of(s);
    *(void **)s = c->free;
    c->free = s;
    c->used--;
    if (!c->listed)
        list_add(st, c);
    if (c->used == 0 && st->slab_chunks > 1) { /* keep one chunk for the next session */
        list_del(st, c);
        munmap(c, CHUNK);
        st->slab_chunks--;
    }
}

/* ---- Packed strings of ended sessions: a bump arena ---------------------------------------- */

typedef struct pack_chunk {
    uint32_t live; /* blocks not yet freed */
    uint32_t used; /* bytes handed out, header included */
} pack_chunk;

#define PACK_FIRST ((sizeof(pack_chunk) + 15) & ~(size_t)15)

void *sc_store__pack_alloc(sc_store *st, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > CHUNK - PACK_FIRST)
        return NULL;
    pack_chunk *c = st->pack_cur;
    if (!c || c->used + n > CHUNK) {
        pack_chunk *nc = chunk_map();
        if (!nc)
            return NULL;
        nc->live = 0;
        nc->used = (uint32_t)PACK_FIRST;
        if (c && c->live == 0)
            munmap(c, CHUNK);
        st->pack_cur = c = nc;
    }
    void *p = (uint8_t *)c + c->used;
    c->used += (uint32_t)n;
    c->live++;
    return p;
}

void sc_store__pack_free(sc_store *st, void *p)
{
    if (!p)
        return;
    pack_chunk *c = chunk_of(p);
    if (--c->live > 0)
        return;
    if (c != st->pack_cur)
        munmap(c, CHUNK);
    else
        c->used = (uint32_t)PACK_FIRST; /* empty: bump from the start again */
}

void sc_store__slab_free_all(sc_store *st)
{
    /* every session is gone: at most the kept slab chunk and the current pack chunk remain */
    while (st->slab_avail) {
        slab_chunk *c = st->slab_avail;
        list_del(st, c);
        munmap(c, CHUNK);
    }
    st->slab_chunks = 0;
    if (st->pack_cur)
        munmap(st->pack_cur, CHUNK);
    st->pack_cur = NULL;
}

#endif /* SC_SLAB_PLAIN */

/* ---- Packing an ended session's strings ------------------------------------------------------ */

void sc_store__free_string(const sc_session *s, void *p)
{
    const char *c = p;
    if (c && s->packed && c >= s->packed && c < s->packed + s->packed_len)
        return; /* freed with the block */
    free(p);
}

static size_t key_size(const sc_index_entry *k) { return (sizeof *k + strlen(k->key) + 1 + 7) & ~(size_t)7; }

int sc_session_pack(sc_session *s, uint32_t drop)
{
    if (!s || s->packed)
        return s ? 0 : -EINVAL;
    size_t n = s->outcome ? strlen(s->outcome) + 1 : 0;
    for (int f = 0; f < SC_FIELD__COUNT; f++)
        n += s->fields[f] && !(drop & (1u << f)) ? strlen(s->fields[f]) + 1 : 0;
    for (const sc_index_entry *k = s->keys; k; k = k->next)
        n += key_size(k);
    for (int f = 0; f < SC_FIELD__COUNT; f++)
        if (s->fields[f] && (drop & (1u << f))) {
            s->strings_bytes -= strlen(s->fields[f]) + 1;
            free(s->fields[f]);
            s->fields[f] = NULL;
        }
    if (!n)
        return 0;
    char *block = sc_store__pack_alloc(s->store, n + 8);
    if (!block)
        return -ENOMEM; /* too big to pack, or no memory: the strings stay where they are */
    char *at = block;
    /* keys first (aligned): the index maps borrow their text, so each is put back */
    sc_index_entry **pp = &s->keys;
    while (*pp) {
        sc_index_entry *k = *pp, *nk = (sc_index_entry *)at;
        size_t sz = key_size(k);
        nk->next = k->next;
        nk->kind = k->kind;
        memcpy(nk->key, k->key, strlen(k->key) + 1);
        sc_map *m = &s->store->index[k->kind];
        if (sc_map__get(m, k->key) == s) {
            sc_map__del(m, k->key);
            sc_map__put(m, nk->key, s); /* cannot fail: the slot just freed is reused */
        }
        *pp = nk;
        free(k);
        pp = &nk->next;
        at += sz;
    }
    for (int f = 0; f <= SC_FIELD__COUNT; f++) {
        char **slot = f < SC_FIELD__COUNT ? &s->fields[f] : &s->outcome;
        if (!*slot)
            continue;
        size_t len = strlen(*slot) + 1;
        memcpy(at, *slot, len);
        free(*slot);
        *slot = at;
        at += len;
    }
    s->packed = block;
    s->packed_len = (uint32_t)(n + 8);
    return 0;
}
