/* compact: an ended session keeps only its compact record for its retention time. When a
 * session enters a terminal state it is noted here; before a later poll, once the store has
 * committed its records (the writer's durable ticket passed the one of its last record), its
 * leg (SIP side, SDP, media and every feature's part) is freed and, with a durable store, its
 * history ring too: GET /sessions/{id}/history then reads the records back from the store
 * (sc_coord_history), during retention and after removal. With "memory:" or no store the
 * ring stays (bounded by the history capacity). Its strings are then packed apart from the heap
 * (sc_session_pack), like its record (the store's slab), so it pins no page of the heap. */
#include "coord/compact.h"

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
    if (!c->compact)
        return;
    free(c->compact->q);
    free(c->compact);
    c->compact = NULL;
}

/* ---- History read back from the store ------------------------------------------------------- */

static const char *const history_keys[] = {"seq",        "time",       "mono_us", "from",    "event", "event_code",
                                           "event_text", "transition", "guards",  "actions", "to",    "outcome"};

typedef struct read_ctx {
    json_t *arr;
    uint64_t last_seq;
    int err;
} read_ctx;

static int collect(const sc_persist_event *ev, void *ud)
{
    read_ctx *r = ud;
    const char *kind = json_string_value(json_object_get(ev->record, "kind"));
    if (!kind || strcmp(kind, "transition") != 0)
        return 0;
    json_t *o = json_object();
    if (!o) {
        r->err = -ENOMEM;
        return 1;
    }
    for (size_t i = 0; i < sizeof history_keys / sizeof *history_keys; i++) {
        json_t *v = json_object_get(ev->record, history_keys[i]);
        if (v && json_object_set(o, history_keys[i], v)) {
            json_decref(o);
            r->err = -ENOMEM;
            return 1;
        }
    }
    if (json_array_append_new(r->arr, o)) {
        r->err = -ENOMEM;
        return 1;
    }
    r->last_seq = ev->seq;
    return 0;
}

/* The history of id: the store's records (the ring was released, or the session is gone),
 * then the ring's records it does not have yet. -ENOENT when neither knows the session. */
static int history_of(sc_coord *c, const char *id, json_t **out)
{
    sc_session *s = sc_store_get(c->store, id);
    if (s && !sc_session_history_released(s))
        return sc_session_history_json(s, 0, out);
    sc_persist *p = sc_coord__store_reader(c);
    if (!p)
        return s ? sc_session_history_json(s, 0, out) : -ENOENT;
    read_ctx r = {json_array(), 0, 0};
    if (!r.arr)
        return -ENOMEM;
    int rc = sc_persist_read_events(p, id, 1, collect, &r);
    if (rc < 0 || r.err) {
        json_decref(r.arr);
        return r.err ? r.err : rc;
    }
    if (!s && json_array_size(r.arr) == 0) {
        json_decref(r.arr);
        return -ENOENT;
    }
    sc_history_record h;
    for (size_t i = 0; s && sc_session_history_get(s, i, &h) == 0; i++) {
        json_t *o = NULL;
        if (h.seq <= r.last_seq)
            continue;
        if (sc_history_record_to_json(s, &h, &o) || json_array_append_new(r.arr, o)) {
            json_decref(r.arr);
            return -ENOMEM;
        }
    }
    *out = r.arr;
    return 0;
}

int sc_coord_history(sc_coord *coord, const char *id, json_t **out)
{
    if (!coord || !id || !out)
        return id ? -EINVAL : -ENOENT;
    return history_of(coord, id, out);
}

int sc_coord_history_csv(sc_coord *coord, const char *id, char **out)
{
    if (!coord || !id || !out)
        return id ? -EINVAL : -ENOENT;
    sc_session *s = sc_store_get(coord->store, id);
    if (s && !sc_session_history_released(s))
        return sc_session_history_csv(s, out, NULL);
    json_t *a = NULL;
    int rc = history_of(coord, id, &a);
    if (rc)
        return rc;
    rc = sc_history_json_to_csv(a, out, NULL);
    json_decref(a);
    return rc;
}

size_t sc_coord__history_path(sc_coord *c, const sc_session *s, uint32_t *out, size_t cap)
{
    json_t *a = NULL;
    size_t n = 0, i;
    const json_t *r;
    if (history_of(c, sc_session_id(s), &a))
        return 0;
    json_array_foreach(a, i, r) {
        const json_t *t = json_object_get(r, "transition");
        const char *outcome = json_string_value(json_object_get(r, "outcome"));
        const char *ev = json_string_value(json_object_get(r, "event"));
        if (ev && !strcmp(ev, "Migrated"))
            n = 0; /* the records before index an earlier table version (rebase.c) */
        else if (n < cap && json_is_integer(t) && outcome && !strcmp(outcome, "taken"))
            out[n++] = (uint32_t)json_integer_value(t);
    }
    json_decref(a);
    return n;
}
