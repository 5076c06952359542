/* resources: the core's measure of what each session holds (bytes, history, engine timers, RTP/RTCP
 * sockets) for GET /sessions/{id} and sums it over the store for /healthz. */
#include "coord/coord_int.h"

#include <errno.h>
#include <string.h>

/* The SIP leg attachment: the leg, its strings and pending offer, and what each feature's
 * part of it holds (leg_usage hooks: bytes, and the sockets a media stream keeps open). */
static size_t leg_bytes(const sc_coord_leg *leg, unsigned *sockets)
{
    *sockets = 0;
    if (!leg)
        return 0;
    size_t n = sizeof *leg;
    const char *strs[] = {leg->to, leg->from, leg->early_sdp, leg->invite_headers};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (strs[i])
            n += strlen(strs[i]) + 1;
    if (leg->offer)
        n += sizeof *leg->offer;
    for (size_t i = 0; i < SC_FEAT__COUNT; i++)
        if (sc_coord__features[i]->leg_usage)
            sc_coord__features[i]->leg_usage(leg, &n, sockets);
    return n;
}

typedef struct usage {
    size_t record_bytes, attachment_bytes, history_entries, timers, sockets;
} usage;

static void measure(sc_coord *coord, const sc_session *s, usage *u)
{
    const sc_coord_leg *leg = sc_coord__leg(s);
    u->record_bytes = sc_session_bytes(s);
    unsigned sockets = 0;
    u->attachment_bytes = leg_bytes(leg, &sockets);
    u->history_entries = sc_session_history_count(s);
    u->timers = sc_engine_session_timer_count(coord->engine, s);
    u->sockets = sockets; /* the SIP transport is shared */
}

void sc_coord__resources_inspect(sc_coord *coord, const sc_session *s, json_t *out)
{
    if (!json_is_object(out))
        return;
    usage u;
    measure(coord, s, &u);
    json_t *r = json_object_get(out, "resources");
    json_t *cap = r ? json_object_get(r, "history_capacity") : NULL;
    json_int_t capacity = json_is_integer(cap) ? json_integer_value(cap) : 0;
    json_object_set_new(out, "resources",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "bytes",
                                  (json_int_t)(u.record_bytes + u.attachment_bytes), "record_bytes",
                                  (json_int_t)u.record_bytes, "attachment_bytes", (json_int_t)u.attachment_bytes,
                                  "history_entries", (json_int_t)u.history_entries, "history_capacity", capacity,
                                  "timers", (json_int_t)u.timers, "sockets", (json_int_t)u.sockets));
}

static int add_session(sc_session *s, void *ud)
{
    void **a = ud;
    sc_coord *coord = a[0];
    sc_coord_resources *t = a[1];
    usage u;
    measure(coord, s, &u);
    t->sessions++;
    t->bytes += u.record_bytes + u.attachment_bytes;
    t->history_entries += u.history_entries;
    t->timers += u.timers;
    t->rtp_sockets += u.sockets;
    return 0;
}

int sc_coord_resources_walk(sc_coord *coord, uint64_t *cursor, size_t max, sc_coord_resources *acc)
{
    if (!coord || !cursor || !acc || !max)
        return -EINVAL;
    sc_session *page[256];
    void *a[2] = {coord, acc};
    while (max > 0) {
        size_t want = max < 256 ? max : 256;
        uint64_t next = 0;
        size_t n = sc_store_page(coord->store, *cursor, NULL, NULL, want, want, page, &next);
        for (size_t i = 0; i < n; i++)
            add_session(page[i], a);
        max -= want;
        *cursor = next;
        if (!next)
            return 1;
    }
    return 0;
}

int sc_coord_resources_total(sc_coord *coord, sc_coord_resources *out)
{
    if (!coord || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    void *a[2] = {coord, out};
    return sc_store_foreach(coord->store, add_session, a);
}
