/* compact: an ended session keeps only its compact record for its retention time. When a
 * session enters a terminal state it is noted here; before a later poll, once the store has
 * committed its records (the writer's durable ticket passed the one of its last record), its
 * leg (SIP side, SDP, media and every feature's part) is freed and, with a durable store, its
 * history ring too: GET /sessions/{id}/history then reads the records back from the store
 * (history_read.c; sessiond off the loop: history_reader.c), during retention and after
 * removal. With "memory:" or no store the ring stays (bounded by the history capacity). Its
 * strings are then packed apart from the heap (sc_session_pack), like its record (the store's
 * slab), so it pins no page of the heap. */
#include "coord/compact.h"
#include "coord/history_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct compact_entry {
    char id[SC_SESSION_ID_MAX + 1];
    uint64_t ticket; /* writer's submitted ticket when first seen by a poll; 0: not yet */
} compact_entry;

struct sc_coord_compact {
    compact_entry *q; /* FIFO: [head, len) */
    size_t head, len, cap;
};

void sc_coord__compact_note(sc_coord *c, const sc_session *s)
{
    struct sc_coord_compact *k = c->compact;
    if (!k && !(k = c->compact = calloc(1, sizeof *k)))
        return; /* the session keeps its parts: only memory is lost */
    if (k->head && k->head == k->len)
        k->head = k->len = 0;
    if (k->len == k->cap) {
        if (k->head) { /* slide the live part down before growing */
            memmove(k->q, k->q + k->head, (k->len - k->head) * sizeof *k->q);
            k->len -= k->head;
            k->head = 0;
        }
        if (k->len == k->cap) {
            size_t cap = k->cap ? k->cap * 2 : 64;
            compact_entry *q = realloc(k->q, cap * sizeof *q);
            if (!q)
                return;
            k->q = q;
            k->cap = cap;
        }
    }
    compact_entry *e = &k->q[k->len++];
    memcpy(e->id, sc_session_id(s), sizeof e->id);
    e->id[SC_SESSION_ID_MAX] = '\0';
    e->ticket = 0;
}

/* Frees what an ended session no longer needs. */
static void compact(sc_coord *c, sc_session *s, bool release_history)
{
    if (sc_engine_session_busy(c->engine, s) || !sc_coord__is_terminal(s))
        return;
    sc_session_set_attachment(s, SC_ATTACH_SIP, NULL, NULL); /* the leg: every feature's leg_free */
    if (release_history)
        sc_session_history_release(s);
    /* what only a live call needs: the INVITE kept to answer it after a crash, the o= line of
     * our next SDP offer (RFC 3264 8), the CSeqs of the next requests, the SRTP keys */
    uint32_t drop = 1u << SC_FIELD_INVITE_VIAS | 1u << SC_FIELD_INVITE_OFFER | 1u << SC_FIELD_SDP_ORIGIN |
                    1u << SC_FIELD_LOCAL_CSEQ | 1u << SC_FIELD_REMOTE_CSEQ | 1u << SC_FIELD_SRTP;
    sc_session_pack(s, drop); /* -ENOMEM: the strings stay in the heap */
}

bool sc_coord__compact_run(sc_coord *c)
{
    struct sc_coord_compact *k = c->compact;
    if (!k || k->head == k->len)
        return false;
    sc_persist_health h = {0};
    const char *backend = NULL;
    bool have_writer = sc_coord_store_health(c, &h, &backend) == 0;
    bool durable_store = have_writer && backend && strcmp(backend, "memory") != 0;
    while (k->head < k->len) {
        compact_entry *e = &k->q[k->head];
        if (have_writer) {
            if (!e->ticket)
                e->ticket = h.submitted_ticket ? h.submitted_ticket : 1;
            if (h.durable_ticket < e->ticket)
                break; /* its records are not committed yet */
        }
        sc_session *s = sc_store_get(c->store, e->id);
        if (s)
            compact(c, s, durable_store);
        k->head++;
    }
    /* entries not yet stamped (none left) or waiting for their commit */
    for (size_t i = k->head; i < k->len; i++)
        if (!k->q[i].ticket)
            k->q[i].ticket = h.submitted_ticket ? h.submitted_ticket : 1;
    return k->head < k->len;
}

void sc_coord__compact_free(sc_coord *c)
{
    sc_coord__history_reader_free(c); /* before the store closes */
    if (!c->compact)
        return;
    free(c->compact->q);
    free(c->compact);
    c->compact = NULL;
}
