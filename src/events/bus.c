/* bus: publishing, the per-type subscriber index, deferred publishes and the sweep of closed
 * subscriptions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events/events_int.h"

int sc_events_bus_new(sc_events_bus **out, const sc_events_bus_cfg *cfg)
{
    sc_events_bus_cfg def = {0};
    if (!cfg)
        cfg = &def;
    sc_events_bus *bus = calloc(1, sizeof *bus);
    if (!bus)
        return -ENOMEM;
    bus->clock = cfg->clock ? cfg->clock : sc_clock_system();
    bus->ring_cap = cfg->ring_capacity ? cfg->ring_capacity : 4096;
    bus->ring = calloc(bus->ring_cap, sizeof *bus->ring);
    if (!bus->ring) {
        free(bus);
        return -ENOMEM;
    }
    bus->last_seq = cfg->start_seq;
    bus->epoch = cfg->epoch ? cfg->epoch : (uint64_t)sc_clock_wall_us(bus->clock);
    bus->idle_limit_us = cfg->idle_limit_us ? cfg->idle_limit_us : 30u * 1000000u;
    bus->history = cfg->history_reader;
    bus->history_ud = cfg->history_ud;
    *out = bus;
    return 0;
}

static void sub_free(sc_events_sub *sub)
{
    free(sub->entries);
    free(sub->order);
    free(sub->freeslots);
    free(sub);
}

void sc_events_bus_free(sc_events_bus *bus)
{
    if (!bus)
        return;
    sc_events_sub *s = bus->subs;
    while (s) {
        sc_events_sub *next = s->next;
        sub_free(s);
        s = next;
    }
    for (int t = 0; t < SC_EVT__COUNT; t++)
        free(bus->index[t]);
    free(bus->ring);
    free(bus);
}

void sc_events_set_history_reader(sc_events_bus *bus, sc_events_history_fn fn, void *ud)
{
    bus->history = fn;
    bus->history_ud = ud;
}

uint64_t sc_events_last_seq(const sc_events_bus *bus) { return bus->last_seq; }

uint64_t sc_events_oldest_in_ring(const sc_events_bus *bus)
{
    return bus->ring_count ? bus->last_seq - bus->ring_count + 1 : 0;
}

/* Remove closed and unsubscribed subscriptions from the index; free the unsubscribed. */
static void sweep(sc_events_bus *bus)
{
    bus->needs_sweep = false;
    for (int t = 0; t < SC_EVT__COUNT; t++) {
        uint32_t w = 0;
        for (uint32_t r = 0; r < bus->index_len[t]; r++) {
            sc_events_sub *s = bus->index[t][r];
            if (!s->dead && !s->closed)
                bus->index[t][w++] = s;
        }
        bus->index_len[t] = w;
    }
    sc_events_sub *s = bus->subs;
    while (s) {
        sc_events_sub *next = s->next;
        if (s->dead) {
            if (s->prev)
                s->prev->next = s->next;
            else
                bus->subs = s->next;
            if (s->next)
                s->next->prev = s->prev;
            sub_free(s);
        }
        s = next;
    }
}

static void deliver(sc_events_bus *bus, const sc_bus_event *ev)
{
    uint32_t n = bus->index_len[ev->type]; /* subscribers added meanwhile wait for the next */
    int p = ev->priority;                  /* set by publish: an sc_priority */
    for (uint32_t i = 0; i < n; i++) {
        sc_events_sub *s = bus->index[ev->type][i]; /* re-read: a callback may grow it */
        /* O(1) checks first; patterns and states only for the few that pass. */
        if (s->dead || s->closed || p < (int)s->filter.min_priority)
            continue;
        if (!sc_events_filter_match(&s->filter, ev))
            continue;
        sc_events__offer(s, ev);
    }
}

void sc_events__enter(sc_events_bus *bus) { bus->depth++; }

void sc_events__leave(sc_events_bus *bus)
{
    if (bus->depth > 1) {
        bus->depth--;
        return;
    }
    /* Outermost: deliver deferred publishes in order, still marked as delivering. */
    while (bus->pending_count) {
        sc_bus_event ev = bus->pending[bus->pending_head];
        bus->pending_head = (bus->pending_head + 1) % SC_EVENTS_PENDING_MAX;
        bus->pending_count--;
        deliver(bus, &ev);
    }
    bus->depth = 0;
    if (bus->needs_sweep)
        sweep(bus);
}

int sc_events_publish(sc_events_bus *bus, const sc_bus_event *in, uint64_t *seq_out)
{
    if (!bus || !in || (unsigned)in->type >= SC_EVT__COUNT)
        return -EINVAL;
    if (bus->depth && bus->pending_count == SC_EVENTS_PENDING_MAX)
        return -EAGAIN;
    sc_bus_event *slot = &bus->ring[(bus->last_seq + 1) % bus->ring_cap];
    *slot = *in;
    slot->seq = ++bus->last_seq;
    if (!slot->wall_us)
        slot->wall_us = sc_clock_wall_us(bus->clock);
    if (slot->priority < SC_PRIO_LOW || slot->priority > SC_PRIO_CRITICAL)
        slot->priority = sc_bus_event_type_default_priority(slot->type);
    if (bus->ring_count < bus->ring_cap)
        bus->ring_count++;
    if (seq_out)
        *seq_out = slot->seq;
    if (bus->depth) {
        bus->pending[(bus->pending_head + bus->pending_count) % SC_EVENTS_PENDING_MAX] = *slot;
        bus->pending_count++;
        return 0;
    }
    sc_bus_event ev = *slot; /* the ring slot may be overwritten by publishes from callbacks */
    sc_events__enter(bus);
    deliver(bus, &ev);
    sc_events__leave(bus);
    return 0;
}

/* ---- subscriptions ------------------------------------------------------------------- */

static int copy_filter(sc_events_sub *s, const sc_events_filter *f)
{
    s->filter.types = f->types;
    s->filter.min_priority = f->min_priority;
    s->filter.roles = f->roles;
    for (int i = 0; i < SC_EVENTS_MAX_PATTERNS && f->patterns[i]; i++) {
        if (strlen(f->patterns[i]) >= SC_EVENTS_PATTERN_MAX)
            return -EINVAL;
        sc_bus_event_strcpy(s->patterns[i], SC_EVENTS_PATTERN_MAX, f->patterns[i]);
        s->filter.patterns[i] = s->patterns[i];
    }
    for (int i = 0; i < SC_EVENTS_MAX_STATES && f->states[i]; i++) {
        if (strlen(f->states[i]) >= SC_EVENT_NAME_MAX)
            return -EINVAL;
        sc_bus_event_strcpy(s->states[i], SC_EVENT_NAME_MAX, f->states[i]);
        s->filter.states[i] = s->states[i];
    }
    for (int i = 0; i < SC_EVENTS_MAX_NAMES && f->names[i]; i++) {
        if (strlen(f->names[i]) >= SC_EVENT_NAME_MAX)
            return -EINVAL;
        sc_bus_event_strcpy(s->names[i], SC_EVENT_NAME_MAX, f->names[i]);
        s->filter.names[i] = s->names[i];
    }
    s->types = f->types ? f->types & SC_EVENT_ALL : SC_EVENT_ALL;
    return 0;
}

static int index_add(sc_events_bus *bus, sc_events_sub *s)
{
    /* Reserve everywhere first so a failure leaves the index untouched. */
    for (int t = 0; t < SC_EVT__COUNT; t++) {
        if (!(s->types & SC_EVENT_BIT(t)) || bus->index_len[t] < bus->index_cap[t])
            continue;
        uint32_t cap = bus->index_cap[t] ? bus->index_cap[t] * 2 : 8;
        sc_events_sub **p = realloc(bus->index[t], cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        bus->index[t] = p;
        bus->index_cap[t] = cap;
    }
    for (int t = 0; t < SC_EVT__COUNT; t++)
        if (s->types & SC_EVENT_BIT(t))
            bus->index[t][bus->index_len[t]++] = s;
    return 0;
}

static int sub_create(sc_events_bus *bus, const sc_events_sub_cfg *cfg, sc_events_sub **out)
{
    if (!bus || !cfg || !out || cfg->overflow > SC_EVENTS_DISCONNECT)
        return -EINVAL;
    sc_events_sub *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->bus = bus;
    sc_bus_event_strcpy(s->name, sizeof s->name, cfg->name ? cfg->name : "anonymous");
    int rc = copy_filter(s, &cfg->filter);
    if (rc != 0) {
        free(s);
        return rc;
    }
    s->callback = cfg->callback;
    s->ud = cfg->ud;
    s->overflow = cfg->overflow;
    s->idle_limit_us = cfg->idle_limit_us ? cfg->idle_limit_us : bus->idle_limit_us;
    s->cap = cfg->queue_capacity ? cfg->queue_capacity : (cfg->callback ? 0 : 1024);
    if (s->cap) {
        s->entries = calloc(s->cap, sizeof *s->entries);
        s->order = calloc(s->cap, sizeof *s->order);
        s->freeslots = calloc(s->cap, sizeof *s->freeslots);
        if (!s->entries || !s->order || !s->freeslots) {
            sub_free(s);
            return -ENOMEM;
        }
        for (uint32_t i = 0; i < s->cap; i++)
            s->freeslots[i] = s->cap - 1 - i;
        s->nfree = s->cap;
    }
    s->last_drain_us = sc_clock_mono_us(bus->clock);
    s->last_consumed_seq = bus->last_seq;
    if ((rc = index_add(bus, s)) != 0) {
        sub_free(s);
        return rc;
    }
    s->next = bus->subs;
    if (bus->subs)
        bus->subs->prev = s;
    bus->subs = s;
    *out = s;
    return 0;
}

int sc_events_subscribe(sc_events_bus *bus, const sc_events_sub_cfg *cfg, sc_events_sub **out)
{
    return sub_create(bus, cfg, out);
}

int sc_events_subscribe_from(sc_events_bus *bus, const sc_events_sub_cfg *cfg, uint64_t last_seq, sc_events_sub **out)
{
    sc_events_sub *s = NULL;
    int rc = sub_create(bus, cfg, &s);
    if (rc != 0)
        return rc;
    s->last_consumed_seq = last_seq < bus->last_seq ? last_seq : bus->last_seq;
    sc_events__enter(bus);
    sc_events__replay(bus, s, last_seq);
    sc_events__leave(bus);
    *out = s;
    return 0;
}

uint64_t sc_events_epoch(const sc_events_bus *bus) { return bus ? bus->epoch : 0; }

int sc_events_subscribe_resume(sc_events_bus *bus, const sc_events_sub_cfg *cfg, uint64_t epoch, uint64_t last_seq,
                               sc_events_sub **out)
{
    if (epoch == bus->epoch)
        return sc_events_subscribe_from(bus, cfg, last_seq, out);
    sc_events_sub *s = NULL;
    int rc = sub_create(bus, cfg, &s);
    if (rc != 0)
        return rc;
    sc_events__enter(bus);
    sc_bus_event reset;
    sc_bus_event_init(&reset, SC_EVT_StreamReset, NULL, SC_EVENT_ROLE_NONE, NULL);
    reset.priority = SC_PRIO_CRITICAL;
    reset.seq = 0;
    reset.wall_us = sc_clock_wall_us(bus->clock);
    reset.u.reset.epoch = bus->epoch;
    sc_bus_event_strcpy(reset.u.reset.reason, sizeof reset.u.reset.reason, "other_run");
    if (sc_events_filter_match(&s->filter, &reset))
        sc_events__offer(s, &reset);
    sc_events__replay(bus, s, 0); /* this run's events from its first */
    sc_events__leave(bus);
    *out = s;
    return 0;
}

void sc_events_unsubscribe(sc_events_sub *sub)
{
    if (!sub)
        return;
    sc_events_bus *bus = sub->bus;
    sub->dead = true;
    bus->needs_sweep = true;
    if (!bus->depth)
        sweep(bus);
}

void sc_events_foreach_sub(sc_events_bus *bus, void (*fn)(void *ud, sc_events_sub *sub), void *ud)
{
    sc_events__enter(bus);
    for (sc_events_sub *s = bus->subs; s; s = s->next)
        if (!s->dead)
            fn(ud, s);
    sc_events__leave(bus);
}
