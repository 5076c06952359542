/* bench_events: cost of one publish with 0, 1, 100 and 1,000 subscribers (most filtered out by
 * type or pattern, a few matching), in ns/event and as a ratio to the 0-subscriber baseline
 * measured in the same run; then the cost of formatting one event as JSON, the jansson
 * reference writer against the direct one, in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/events_int.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static unsigned long sink;
static void count_cb(void *ud, const sc_bus_event *ev)
{
    (void)ud;
    sink += (unsigned long)ev->seq;
}

/* nsubs subscribers: 1 in 100 matches (callback, all StateChanged of its session glob); the
 * others want other types or other sessions. Returns ns per publish. */
static double run(int nsubs, int nevents)
{
    sc_events_bus *bus = NULL;
    sc_events_bus_cfg cfg = {.ring_capacity = 4096};
    if (sc_events_bus_new(&bus, &cfg) != 0)
        exit(1);
    sc_events_sub **subs = calloc((size_t)nsubs + 1, sizeof *subs);
    char pat[64];
    for (int i = 0; i < nsubs; i++) {
        sc_events_sub_cfg sc = {.name = "b", .callback = count_cb};
        if (i % 100 == 0) {
            sc.filter.types = SC_EVENT_BIT(SC_EVT_StateChanged); /* matching: all sessions */
        } else if (i % 2) {
            sc.filter.types = SC_EVENT_BIT(SC_EVT_TableReloaded) | SC_EVENT_BIT(SC_EVT_StoreHealthChanged);
        } else {
            snprintf(pat, sizeof pat, "other-%d-*", i); /* same type, other session: glob rejects */
            sc.filter.types = SC_EVENT_BIT(SC_EVT_StateChanged);
            sc.filter.patterns[0] = pat;
        }
        if (sc_events_subscribe(bus, &sc, &subs[i]) != 0)
            exit(1);
    }
    sc_bus_event ev;
    sc_bus_event_init(&ev, SC_EVT_StateChanged, "call-42", SC_EVENT_ROLE_UAC, "Talking");
    snprintf(ev.u.state_changed.from, sizeof ev.u.state_changed.from, "Ringing");
    snprintf(ev.u.state_changed.event, sizeof ev.u.state_changed.event, "Dialog200OK");
    snprintf(ev.u.state_changed.to, sizeof ev.u.state_changed.to, "Talking");
    ev.wall_us = 1; /* skip the clock read: we measure the bus */
    for (int i = 0; i < nevents / 10; i++)
        sc_events_publish(bus, &ev, NULL);
    double t0 = now_ns();
    for (int i = 0; i < nevents; i++)
        sc_events_publish(bus, &ev, NULL);
    double ns = (now_ns() - t0) / nevents;
    for (int i = 0; i < nsubs; i++)
        sc_events_unsubscribe(subs[i]);
    free(subs);
    sc_events_bus_free(bus);
    return ns;
}

/* ns per event formatted: jansson (built, dumped, freed) or direct into a reused buffer. */
static double format_run(const sc_bus_event *evs, int nev, int n, bool jansson)
{
    char buf[SC_BUS_EVENT_JSON_MAX];
    double t0 = now_ns();
    for (int i = 0; i < n; i++) {
        const sc_bus_event *ev = &evs[i % nev];
        if (jansson) {
            char *s = sc_events__to_json_jansson(ev);
            sink += s ? (unsigned long)s[1] : 0;
            free(s);
        } else {
            sink += (unsigned long)sc_bus_event_format_json(ev, buf, sizeof buf);
        }
    }
    return (now_ns() - t0) / n;
}

/* The events of one typical call as sessiond publishes them. */
static int call_events(sc_bus_event *evs)
{
    static const char *const chain[][3] = {{"Idle", "InviteReceived", "Ringing"},
                                           {"Ringing", "AcceptCall", "Answering"},
                                           {"Answering", "AckReceived", "Active"},
                                           {"Active", "ByeReceived", "Terminated"}};
    int n = 0;
    sc_bus_event_init(&evs[n++], SC_EVT_SessionCreated, "c0a8-7f1c-42", SC_EVENT_ROLE_UAS, "Idle");
    for (int i = 0; i < 4; i++) {
        sc_bus_event *ev = &evs[n++];
        sc_bus_event_init(ev, SC_EVT_StateChanged, "c0a8-7f1c-42", SC_EVENT_ROLE_UAS, chain[i][2]);
        snprintf(ev->u.state_changed.from, sizeof ev->u.state_changed.from, "%s", chain[i][0]);
        snprintf(ev->u.state_changed.event, sizeof ev->u.state_changed.event, "%s", chain[i][1]);
        snprintf(ev->u.state_changed.to, sizeof ev->u.state_changed.to, "%s", chain[i][2]);
    }
    sc_bus_event_init(&evs[n++], SC_EVT_CallEstablished, "c0a8-7f1c-42", SC_EVENT_ROLE_UAS, "Active");
    sc_bus_event *m = &evs[n++];
    sc_bus_event_init(m, SC_EVT_MediaStarted, "c0a8-7f1c-42", SC_EVENT_ROLE_UAS, "Active");
    snprintf(m->u.media.codec, sizeof m->u.media.codec, "PCMU");
    snprintf(m->u.media.remote, sizeof m->u.media.remote, "127.0.0.1:20002");
    sc_bus_event *e = &evs[n++];
    sc_bus_event_init(e, SC_EVT_SessionEnded, "c0a8-7f1c-42", SC_EVENT_ROLE_UAS, "Terminated");
    snprintf(e->u.ended.outcome, sizeof e->u.ended.outcome, "normal");
    e->u.ended.sip_cause = 200;
    e->u.ended.duration_us = 1002345;
    for (int i = 0; i < n; i++) {
        snprintf(evs[i].uri, sizeof evs[i].uri, "sip:sipp@127.0.0.1:5061");
        evs[i].seq = 1000 + (uint64_t)i;
        evs[i].wall_us = 1714557600123456 + i * 1000;
        evs[i].priority = sc_bus_event_type_default_priority(evs[i].type);
    }
    return n;
}

static void bench_format(int n)
{
    sc_bus_event evs[16];
    int nev = call_events(evs);
    double best[2] = {1e18, 1e18};
    for (int rep = 0; rep < 3; rep++)
        for (int j = 0; j < 2; j++) { /* interleaved: jansson, direct, jansson, ... */
            double ns = format_run(evs, nev, n, j == 0);
            if (ns < best[j])
                best[j] = ns;
        }
    printf("\n# event JSON: the %d events of a call (SessionCreated, 4 StateChanged, ...), %d formats\n", nev, n);
    printf("%-28s %12s %10s\n", "writer", "ns/event", "ratio");
    printf("%-28s %12.1f %10.2f\n", "jansson (reference)", best[0], 1.0);
    printf("%-28s %12.1f %10.3f\n", "sc_bus_event_format_json", best[1], best[1] / best[0]);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int counts[] = {0, 1, 100, 1000};
    double base = 0;
    printf("# bench_events: %d publishes per case; 1 in 100 subscribers matches,\n"
           "# the rest want other types (half) or other sessions (half, glob)\n",
           n);
    printf("%-12s %12s %10s\n", "subscribers", "ns/publish", "ratio");
    for (int i = 0; i < 4; i++) {
        double best = 1e18;
        for (int rep = 0; rep < 3; rep++) {
            double ns = run(counts[i], counts[i] >= 1000 ? n / 4 : n);
            if (ns < best)
                best = ns;
        }
        if (i == 0)
            base = best;
        printf("%-12d %12.1f %10.2f\n", counts[i], best, best / base);
    }
    bench_format(n / 4);
    return sink == 42 ? 1 : 0;
}
