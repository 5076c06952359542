/* resume: replays missed events to a new subscription from the ring, the history hook and,
 * for what neither holds, a Gap event, so that it sees every seq exactly once. */
#include <string.h>

#include "events/events_int.h"

typedef struct replay_ctx {
    sc_events_bus *bus;
    sc_events_sub *sub;
    uint64_t expected; /* the next seq the subscriber should see */
    uint64_t to;       /* last seq of this range */
} replay_ctx;

static void offer_gap(replay_ctx *c, uint64_t from, uint64_t to)
{
    sc_bus_event gap;
    sc_bus_event_init(&gap, SC_EVT_Gap, NULL, SC_EVENT_ROLE_NONE, NULL);
    gap.priority = SC_PRIO_CRITICAL;
    gap.seq = to;
    gap.wall_us = sc_clock_wall_us(c->bus->clock);
    gap.u.gap.from_seq = from;
    gap.u.gap.to_seq = to;
    sc_events__offer(c->sub, &gap);
}

static void offer_one(replay_ctx *c, const sc_bus_event *ev)
{
    if (ev->seq < c->expected || ev->seq > c->to)
        return; /* duplicate or out of range: exactly once */
    if (ev->seq > c->expected)
        offer_gap(c, c->expected, ev->seq - 1);
    c->expected = ev->seq + 1;
    if (!c->sub->dead && !c->sub->closed && sc_events_filter_match(&c->sub->filter, ev))
        sc_events__offer(c->sub, ev);
}

static void emit(void *ctx, const sc_bus_event *ev) { offer_one(ctx, ev); }

void sc_events__replay(sc_events_bus *bus, sc_events_sub *sub, uint64_t last_seq)
{
    uint64_t upto = bus->last_seq; /* publishes during replay are deferred and delivered live */
    if (last_seq >= upto)
        return;
    replay_ctx c = {bus, sub, last_seq + 1, upto};
    uint64_t ring_lo = bus->ring_count ? upto - bus->ring_count + 1 : upto + 1;
    if (c.expected < ring_lo) {
        c.to = ring_lo - 1;
        if (bus->history)
            bus->history(bus->history_ud, c.expected, c.to, emit, &c);
        if (c.expected <= c.to)
            offer_gap(&c, c.expected, c.to);
        c.expected = ring_lo;
        c.to = upto;
    }
    for (uint64_t seq = c.expected; seq <= upto; seq++)
        offer_one(&c, &bus->ring[seq % bus->ring_cap]);
    if (c.expected <= upto) /* ring slots overwritten meanwhile (tiny ring): say so */
        offer_gap(&c, c.expected, upto);
}
