/* queue: a subscription's bounded queue, its overflow policies, pause, drain, counters and
 * idle reaping. */
#include <errno.h>
#include <string.h>

#include "events/events_int.h"

const char *sc_events_overflow_name(sc_events_overflow p)
{
    switch (p) {
    case SC_EVENTS_DROP_OLDEST: return "drop-oldest";
    case SC_EVENTS_COALESCE: return "coalesce";
    case SC_EVENTS_DISCONNECT: return "disconnect";
    }
    return "?";
}

int sc_events_overflow_parse(const char *name, sc_events_overflow *out)
{
    for (int p = SC_EVENTS_DROP_OLDEST; name && p <= SC_EVENTS_DISCONNECT; p++)
        if (strcmp(name, sc_events_overflow_name((sc_events_overflow)p)) == 0) {
            *out = (sc_events_overflow)p;
            return 0;
        }
    return -EINVAL;
}

const char *sc_events_drop_reason_name(sc_events_drop_reason r)
{
    static const char *const names[] = {"overflow", "coalesced", "paused", "closed"};
    return (unsigned)r < SC_EVENTS_DROP_REASONS ? names[r] : "?";
}

static sc_events_qent *at(sc_events_sub *s, uint32_t k) { return &s->entries[s->order[(s->head + k) % s->cap]]; }

static void push(sc_events_sub *s, const sc_bus_event *ev)
{
    uint32_t slot = s->freeslots[--s->nfree];
    s->entries[slot].ev = *ev;
    s->entries[slot].mono_us = sc_clock_mono_us(s->bus->clock);
    s->order[(s->head + s->count) % s->cap] = slot;
    if (s->count++ == 0)
        s->nonempty_since_us = s->entries[slot].mono_us;
    if (s->count > s->high_water)
        s->high_water = s->count;
}

/* Remove the k-th oldest queued event (shifting the slot numbers behind it). */
static void remove_at(sc_events_sub *s, uint32_t k)
{
    uint32_t slot = s->order[(s->head + k) % s->cap];
    if (k == 0) {
        s->head = (s->head + 1) % s->cap;
    } else {
        for (uint32_t i = k; i + 1 < s->count; i++)
            s->order[(s->head + i) % s->cap] = s->order[(s->head + i + 1) % s->cap];
    }
    s->count--;
    s->freeslots[s->nfree++] = slot;
}

static bool uncoalescable(const sc_bus_event *ev)
{
    return ev->type == SC_EVT_SessionEnded || ev->priority >= SC_PRIO_CRITICAL;
}

static void close_sub(sc_events_sub *s, const char *reason)
{
    sc_events_bus *bus = s->bus;
    s->closed = true;
    sc_bus_event_strcpy(s->close_reason, sizeof s->close_reason, reason);
    bus->needs_sweep = true;
    sc_bus_event ev;
    sc_bus_event_init(&ev, SC_EVT_SubscriberReaped, NULL, SC_EVENT_ROLE_NONE, NULL);
    sc_bus_event_strcpy(ev.u.subscriber.name, sizeof ev.u.subscriber.name, s->name);
    sc_bus_event_strcpy(ev.u.subscriber.reason, sizeof ev.u.subscriber.reason, reason);
    for (int i = 0; i < SC_EVENTS_DROP_REASONS; i++)
        ev.u.subscriber.dropped += s->dropped[i];
    sc_events_publish(bus, &ev, NULL); /* deferred if delivering; best effort */
}

/* Full coalesce queue: make room, or return false if the incoming event is not queued: a
 * non-critical one is dropped; a critical one, with nothing left to drop but other critical
 * events, closes the subscription (it is never lost silently: the consumer drains what is
 * queued, sees the stream end, and resumes from its last sequence number). */
static bool coalesce_room(sc_events_sub *s, const sc_bus_event *in)
{
    if (in->type == SC_EVT_StateChanged && !uncoalescable(in)) {
        for (uint32_t k = 0; k < s->count; k++) {
            const sc_bus_event *q = &at(s, k)->ev;
            if (q->type == SC_EVT_StateChanged && !uncoalescable(q) && strcmp(q->session_id, in->session_id) == 0) {
                remove_at(s, k);
                s->dropped[SC_EVENTS_DROP_COALESCED]++;
                return true;
            }
        }
    }
    for (uint32_t k = 0; k < s->count; k++)
        if (!uncoalescable(&at(s, k)->ev)) {
            remove_at(s, k);
            s->dropped[SC_EVENTS_DROP_OVERFLOW]++;
            return true;
        }
    if (!uncoalescable(in)) {
        s->dropped[SC_EVENTS_DROP_OVERFLOW]++;
        return false;
    }
    s->dropped[SC_EVENTS_DROP_CLOSED]++; /* only critical events left */
    close_sub(s, "overflow");
    return false;
}

void sc_events__offer(sc_events_sub *s, const sc_bus_event *ev)
{
    if (s->callback && !s->paused) {
        s->delivered++;
        s->last_consumed_seq = ev->seq;
        s->callback(s->ud, ev);
        return;
    }
    if (s->count == s->cap) {
        if (s->paused || s->cap == 0) {
            s->dropped[SC_EVENTS_DROP_PAUSED]++;
            return;
        }
        switch (s->overflow) {
        case SC_EVENTS_DROP_OLDEST:
            remove_at(s, 0);
            s->dropped[SC_EVENTS_DROP_OVERFLOW]++;
            break;
        case SC_EVENTS_COALESCE:
            if (!coalesce_room(s, ev))
                return;
            break;
        case SC_EVENTS_DISCONNECT:
            s->dropped[SC_EVENTS_DROP_CLOSED]++;
            close_sub(s, "overflow");
            return;
        }
    }
    push(s, ev);
}

int sc_events_sub_next(sc_events_sub *s, sc_bus_event *out)
{
    s->last_drain_us = sc_clock_mono_us(s->bus->clock);
    if (s->count == 0)
        return s->closed ? -EPIPE : -EAGAIN;
    *out = at(s, 0)->ev;
    remove_at(s, 0);
    s->delivered++;
    s->last_consumed_seq = out->seq;
    return 0;
}

uint32_t sc_events_sub_pending(const sc_events_sub *s) { return s->count; }

uint32_t sc_events_sub_discard(sc_events_sub *s)
{
    uint32_t n = s->count;
    while (s->count)
        remove_at(s, 0);
    s->dropped[SC_EVENTS_DROP_CLOSED] += n;
    return n;
}

const char *sc_events_sub_name(const sc_events_sub *s) { return s->name; }

void sc_events_pause(sc_events_sub *s) { s->paused = true; }

void sc_events_resume(sc_events_sub *s)
{
    s->paused = false;
    if (!s->callback || s->count == 0)
        return;
    sc_events_bus *bus = s->bus;
    sc_events__enter(bus);
    while (s->count && !s->paused && !s->dead) {
        sc_bus_event ev = at(s, 0)->ev;
        remove_at(s, 0);
        s->delivered++;
        s->last_consumed_seq = ev.seq;
        s->callback(s->ud, &ev);
    }
    sc_events__leave(bus);
}

void sc_events_sub_stats_get(const sc_events_sub *s, sc_events_sub_stats *st)
{
    memset(st, 0, sizeof *st);
    st->delivered = s->delivered;
    memcpy(st->dropped, s->dropped, sizeof st->dropped);
    st->queue_depth = s->count;
    st->queue_capacity = s->cap;
    st->queue_high_water = s->high_water;
    if (s->count) {
        sc_events_sub *m = (sc_events_sub *)s;
        uint64_t now = sc_clock_mono_us(s->bus->clock);
        uint64_t first = at(m, 0)->ev.seq;
        uint64_t consumed = s->last_consumed_seq < first ? s->last_consumed_seq : first - 1;
        st->lag_events = s->bus->last_seq - consumed;
        uint64_t t = at(m, 0)->mono_us;
        st->lag_seconds = now > t ? (double)(now - t) / 1e6 : 0;
    }
    st->paused = s->paused;
    st->closed = s->closed;
    sc_bus_event_strcpy(st->close_reason, sizeof st->close_reason, s->close_reason);
}

int sc_events_reap_idle(sc_events_bus *bus)
{
    int reaped = 0;
    uint64_t now = sc_clock_mono_us(bus->clock);
    sc_events__enter(bus);
    for (sc_events_sub *s = bus->subs; s; s = s->next) {
        if (s->dead || s->closed || s->callback || s->count == 0)
            continue;
        uint64_t since = s->last_drain_us > s->nonempty_since_us ? s->last_drain_us : s->nonempty_since_us;
        if (now > since && now - since > s->idle_limit_us) {
            close_sub(s, "idle");
            reaped++;
        }
    }
    sc_events__leave(bus);
    return reaped;
}
