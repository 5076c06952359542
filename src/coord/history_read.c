/* history_read: the history of a session whose ring was released (compact.c) or that is gone:
 * the store's records, then the ring's records it does not have yet. sc_coord_history,
 * sc_coord_history_csv and the graph's path read the store here on the calling thread (tools,
 * tests); sessiond reads it off the loop (history_reader.c) with the same helpers. */
#include "coord/compact.h"
#include "coord/history_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int sc_coord__history_read_store(sc_persist *p, const char *id, json_t *arr, uint64_t *last_seq)
{
    read_ctx r = {arr, *last_seq, 0};
    int rc = sc_persist_read_events(p, id, 1, collect, &r);
    if (r.err)
        return r.err;
    if (rc < 0)
        return rc;
    *last_seq = r.last_seq;
    return 0;
}

int sc_coord__history_merge_ring(json_t *arr, const json_t *ring, uint64_t last_seq)
{
    size_t i;
    json_t *o;
    json_array_foreach(ring, i, o) {
        json_int_t seq = json_integer_value(json_object_get(o, "seq"));
        if (seq > 0 && (uint64_t)seq <= last_seq)
            continue;
        if (json_array_append(arr, o))
            return -ENOMEM;
    }
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
    json_t *arr = json_array(), *ring = NULL;
    uint64_t last_seq = 0;
    if (!arr)
        return -ENOMEM;
    int rc = sc_coord__history_read_store(p, id, arr, &last_seq);
    if (rc == 0 && !s && json_array_size(arr) == 0)
        rc = -ENOENT;
    if (rc == 0 && s && (rc = sc_session_history_json(s, 0, &ring)) == 0) /* recorded since the release */
        rc = sc_coord__history_merge_ring(arr, ring, last_seq);
    json_decref(ring);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
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

size_t sc_coord__history_path_of(const json_t *a, uint32_t *out, size_t cap)
{
    size_t n = 0, i;
    const json_t *r;
    json_array_foreach(a, i, r) {
        const json_t *t = json_object_get(r, "transition");
        const char *outcome = json_string_value(json_object_get(r, "outcome"));
        const char *ev = json_string_value(json_object_get(r, "event"));
        if (ev && !strcmp(ev, "Migrated"))
            n = 0; /* the records before index an earlier table version (rebase.c) */
        else if (n < cap && json_is_integer(t) && outcome && !strcmp(outcome, "taken"))
            out[n++] = (uint32_t)json_integer_value(t);
    }
    return n;
}

size_t sc_coord__history_path(sc_coord *c, const sc_session *s, uint32_t *out, size_t cap)
{
    json_t *a = NULL;
    if (history_of(c, sc_session_id(s), &a))
        return 0;
    size_t n = sc_coord__history_path_of(a, out, cap);
    json_decref(a);
    return n;
}
