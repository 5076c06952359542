/* bench_events: cost of one publish with 0, 1, 100 and 1,000 subscribers (most filtered out by
 * type or pattern, a few matching), in ns/event and as a ratio to the 0-subscriber baseline
 * measured in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_core/events.h"

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

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int counts[] = {0, 1, 100, 1000};
    double base = 0;
    printf("# bench_events: %d publishes per case; 1 in 100 subscribers matches,\n"
           "# the rest want other types (half) or other sessions (half, glob)\n", n);
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
    return sink == 42 ? 1 : 0;
}
