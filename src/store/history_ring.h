/* history_ring: the packed records of a session's history ring and the common case of storing
 * one (history.c has the rest), inline for the engine, whose every dispatch stores one. */
#ifndef SC_STORE_HISTORY_RING_H
#define SC_STORE_HISTORY_RING_H

#include <stddef.h>
#include <string.h>

#include "store/store_int.h"

/* ---- Packed records ----------------------------------------------------------------------
 * A record in the ring, unaligned: the record's members up to its outcome as they are
 * (HDR_COPY bytes), its outcome and text length (a byte each), nguards guard entries, nactions
 * action entries, then the text's bytes (no NUL). */
#define HDR_COPY offsetof(sc_history_record, outcome)
#define HDR_SIZE (HDR_COPY + 2)
_Static_assert(HDR_COPY == 40, "sc_history_record's leading members are no longer packed as they are");

typedef struct __attribute__((packed)) hist_guard {
    sc_id id;
    uint8_t flags; /* GUARD_* */
} hist_guard;
enum { GUARD_NEGATE = 1, GUARD_PASSED = 2, GUARD_CACHED = 4 };

typedef struct hist_action { /* on 4 bytes: aligned stores are cheaper */
    sc_id id;
    int32_t result;
    uint32_t duration_us;
} hist_action;

#define ALIGN4(x) (((x) + 3u) & ~3u)

/* Records start on 4 bytes, their actions too. */
static inline uint32_t actions_at(unsigned ng) { return ALIGN4((uint32_t)(HDR_SIZE + ng * sizeof(hist_guard))); }
static inline uint32_t packed_size(unsigned ng, unsigned na, unsigned tl)
{
    return ALIGN4(actions_at(ng) + na * (uint32_t)sizeof(hist_action) + tl);
}

static inline uint8_t *hist_data(const sc_hist *h) { return (uint8_t *)(h->off + h->nslots); }
static inline uint32_t hist_slot(const sc_hist *h, size_t i)
{
    size_t k = h->first + i;
    return (uint32_t)(k >= h->nslots ? k - h->nslots : k);
}

/* Member m of r into the packed record at p. */
#define PUT_MEMBER(p, r, m) memcpy((p) + offsetof(sc_history_record, m), &(r)->m, sizeof(r)->m)
_Static_assert(offsetof(sc_history_record, seq) == 0 && offsetof(sc_history_record, event_code) == 24,
               "sc_history_record's members moved");

/* r packed at p, with seq. The two times, written at the run's start, are copied at once; the
 * other members one by one: the engine writes them one by one (the transition, states and
 * counts just before), and a load wider than the stores it reads waits for them to complete. */
static inline void pack(uint8_t *p, const sc_history_record *r, uint64_t seq, unsigned ng, unsigned na, unsigned tl)
{
    memcpy(p + sizeof seq, (const uint8_t *)r + sizeof seq, offsetof(sc_history_record, event_code) - sizeof seq);
    memcpy(p, &seq, sizeof seq);
    PUT_MEMBER(p, r, event_code);
    PUT_MEMBER(p, r, transition);
    PUT_MEMBER(p, r, from);
    PUT_MEMBER(p, r, to);
    PUT_MEMBER(p, r, event);
    p[offsetof(sc_history_record, nguards)] = (uint8_t)ng;
    p[offsetof(sc_history_record, nactions)] = (uint8_t)na;
    p[HDR_COPY] = (uint8_t)r->outcome;
    p[HDR_COPY + 1] = (uint8_t)tl;
    hist_guard *g = (hist_guard *)(p + HDR_SIZE);
    for (unsigned i = 0; i < ng; i++) {
        const sc_history_guard *s = &r->guards[i];
        g[i].id = s->id;
        g[i].flags = (uint8_t)((s->negate ? GUARD_NEGATE : 0) | (s->passed ? GUARD_PASSED : 0) |
                               (s->cached ? GUARD_CACHED : 0));
    }
    hist_action *a = (hist_action *)(void *)(p + actions_at(ng));
    for (unsigned i = 0; i < na; i++) {
        a[i].id = r->actions[i].id;
        a[i].result = r->actions[i].result;
        a[i].duration_us = r->actions[i].duration_us;
    }
    if (tl)
        memcpy(a + na, r->event_text, tl);
}

/* Pack r with seq as the newest record, whatever the ring's state: made, grown (slots or
 * bytes), or its oldest record dropped. 0 or -ENOMEM (nothing changed). */
int sc_store__hist_put_any(sc_session *s, const sc_history_record *r, uint64_t seq);

/* r's packed counts and size (the counts cut to their bounds, the text to 47 bytes). */
static inline uint32_t packed_of(const sc_history_record *r, unsigned *ng, unsigned *na, unsigned *tl)
{
    *tl = r->event_text[0] ? (unsigned)strnlen(r->event_text, SC_HISTORY_TEXT_MAX - 1) : 0;
    *ng = r->nguards < SC_HISTORY_MAX_GUARDS ? r->nguards : SC_HISTORY_MAX_GUARDS;
    *na = r->nactions < SC_HISTORY_MAX_ACTIONS ? r->nactions : SC_HISTORY_MAX_ACTIONS;
    return packed_size(*ng, *na, *tl);
}

/* hist_put_any for the common case, inline: a ring holding records, with a free slot or full
 * (its oldest then dropped), and room for r right after its newest record, judged before the
 * drop (the place does not wait for the load of the next oldest's offset). */
static inline __attribute__((always_inline)) int hist_put(sc_session *s, const sc_history_record *r, uint64_t seq)
{
    sc_hist *h = s->hist;
    if (__builtin_expect(h == NULL, 0))
        return sc_store__hist_put_any(s, r, seq);
    unsigned ng, na, tl;
    uint32_t n = packed_of(r, &ng, &na, &tl);
    uint32_t count = h->count, hi = h->hi, first = h->first;
    uint32_t end = hi > h->lo ? h->size : h->lo; /* of the free bytes after the newest */
    bool full = count == h->nslots;
    if (__builtin_expect(hi + n > end || !count || (full && (count < s->store->history_capacity || count == 1)), 0))
        return sc_store__hist_put_any(s, r, seq); /* to wrap, to grow, a first record or a ring of one */
    uint8_t *p = hist_data(h) + hi;
    h->hi = hi + n; /* the ring's state first, so that little stays live across the packing */
    if (full) {     /* the oldest's slot is the newest's; the next oldest is first */
        h->off[first] = hi;
        first = first + 1 == count ? 0 : first + 1;
        h->first = first;
        h->lo = h->off[first];
        s->dropped++;
    } else {
        uint32_t slot = first + count;
        h->off[slot >= h->nslots ? slot - h->nslots : slot] = hi;
        h->count = count + 1;
    }
    pack(p, r, seq, ng, na, tl);
    return 0;
}

/* sc_session_history_commit, inline. */
static inline __attribute__((always_inline)) int sc_store__history_commit(sc_session *s, sc_history_record *r)
{
    uint64_t seq = s->next_seq++;
    int rc = hist_put(s, r, seq);
    r->seq = seq;
    if (__builtin_expect(rc != 0, 0))
        s->dropped++;
    return rc;
}

#endif
