/* bench_engine: transition throughput of the engine on tables/default.yaml with no-op actions:
 * ns per event (median of runs) for the raw dispatcher (lookup + guards + actions + set + next
 * state, no history) and for the full sc_engine_dispatch() (plus history record, clock reads,
 * action timing, timers, counters; once as the events come, back to back, and once as if each
 * came 1 µs or more after the last (no burst: docs/architecture.md, "Action durations")), and
 * the ratios.
 * Usage: bench_engine [TABLE] [EVENTS_PER_RUN] [RUNS]  (default tables/default.yaml 1000000 11) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "engine/engine_int.h"
#include "session_core/engine.h"

/* Active -> Holding -> OnHold -> Resuming -> Active: four state changes, with actions, publish
 * entries and the idle-limit timers of Active and OnHold re-armed on each entry. */
static const sc_id CYCLE[] = {SC_EV_HoldCall, SC_EV_DialogReINVITEAccepted, SC_EV_ResumeCall,
                              SC_EV_DialogReINVITEAccepted};
#define NCYCLE (sizeof CYCLE / sizeof CYCLE[0])

typedef int (*dispatch_fn)(sc_engine *e, sc_session *s, const sc_event *ev);

static int full(sc_engine *e, sc_session *s, const sc_event *ev) { return sc_engine_dispatch(e, s, ev, NULL); }

static double run(dispatch_fn fn, sc_engine *e, sc_session *s, long events, int *errors)
{
    sc_event ev = {0};
    double t0 = bench_now_ns();
    for (long i = 0; i < events; i++) {
        ev.type = CYCLE[i % NCYCLE];
        if (fn(e, s, &ev) != 0)
            (*errors)++;
    }
    return (bench_now_ns() - t0) / (double)events;
}

/* Full dispatch with action timing from the clock (the engine's cycle counter turned off). */
static int full_clock(sc_engine *e, sc_session *s, const sc_event *ev) { return sc_engine_dispatch(e, s, ev, NULL); }

/* Full dispatch as if each event came 1 µs or more after the last read of action time (not in
 * a burst: every run with actions reads the counter after them, as in a daemon that is not
 * saturated with sub-µs runs; docs/architecture.md, "Action durations"). */
static int full_spaced(sc_engine *e, sc_session *s, const sc_event *ev)
{
    e->tk.read_until = 0;
    return sc_engine_dispatch(e, s, ev, NULL);
}

#define NLOOPS 4

/* The loops, rounds interleaved (so that a load change hits them alike); medians. */
static void medians(sc_engine *e, sc_session *s, long events, int runs, int *errors, double out[NLOOPS])
{
    double *v = calloc((size_t)runs * NLOOPS, sizeof *v);
    for (int r = 0; r < runs; r++) {
        v[r] = run(sc_engine__dispatch_raw, e, s, events, errors);
        sc_engine__ticks_set(e, false);
        v[runs + r] = run(full_clock, e, s, events, errors);
        sc_engine__ticks_set(e, true);
        v[2 * runs + r] = run(full, e, s, events, errors);
        v[3 * runs + r] = run(full_spaced, e, s, events, errors);
    }
    for (int k = 0; k < NLOOPS; k++)
        out[k] = bench_median(v + (size_t)k * (size_t)runs, (size_t)runs);
    free(v);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tables/default.yaml";
    long events = argc > 2 ? atol(argv[2]) : 1000000;
    int runs = argc > 3 ? atoi(argv[3]) : 11;
    events -= events % (long)NCYCLE;
    sc_vocab *vocab;
    sc_table *table;
    sc_diags *diags;
    sc_store *store;
    sc_engine *e;
    if (sc_vocab_new(&vocab) || sc_diags_new(&diags))
        return 1;
    int r = sc_table_load_file(&table, path, vocab, diags);
    if (r) {
        fprintf(stderr, "bench_engine: %s: %s\n", path, sc_strerror(r));
        return 1;
    }
    if (sc_store_new(&store, NULL) || sc_engine_new(&e, vocab, store, NULL))
        return 1;
    bench_bind_noops(e, vocab);
    if ((r = sc_engine_set_table(e, table, diags)) != 0) {
        fprintf(stderr, "bench_engine: %s\n", sc_strerror(r));
        return 1;
    }
    sc_session *s;
    if (sc_engine_create_session(e, SC_ROLE_UAS, NULL, &s))
        return 1;
    static const sc_id to_active[] = {SC_EV_IncomingCall, SC_EV_AcceptCall, SC_EV_DialogACK};
    for (size_t i = 0; i < 3; i++)
        if (sc_engine_dispatch_simple(e, s, to_active[i], 0, NULL) != 0) {
            fprintf(stderr, "bench_engine: could not walk the session to Active\n");
            return 1;
        }
    if (strcmp(sc_session_state_name(s), "Active") != 0) {
        fprintf(stderr, "bench_engine: session is in %s, not Active\n", sc_session_state_name(s));
        return 1;
    }
    int errors = 0;
    run(full, e, s, 100000, &errors); /* warm up: grows the history ring and the timer heap */
    run(sc_engine__dispatch_raw, e, s, 100000, &errors);
    double m[NLOOPS];
    medians(e, s, events, runs, &errors, m);
    double raw = m[0], clocked = m[1], with_history = m[2], spaced = m[3];
    sc_engine_stats st;
    sc_engine_get_stats(e, &st);
    printf("table            %s (%zu transitions)\n", path, sc_table_transition_count(table));
    printf("events per run   %ld, runs %d (interleaved), median reported\n", events, runs);
    printf("raw dispatcher   %.1f ns/event  (lookup + guards + actions + set + state, no history)\n", raw);
    printf("full, clock      %.1f ns/event  (the engine's clock read per run and per action)\n", clocked);
    printf("full dispatch    %.1f ns/event  (+ history record, clock, action timing, timers)%s\n", with_history,
           e->tk.on ? "" : "  [cycle counter not usable: same as above]");
    printf("full, spaced     %.1f ns/event  (the same, every run reading after its actions: not in a burst)\n", spaced);
    printf("ratio full/raw   %.2f   full/full-clock %.2f\n", with_history / raw, with_history / clocked);
    printf("history          %zu records kept, %llu dropped (ring capacity %zu)\n", sc_session_history_count(s),
           (unsigned long long)sc_session_history_dropped(s), sc_store_history_capacity(store));
    printf("errors           %d\n", errors);
    sc_engine_free(e);
    sc_store_free(store);
    sc_table_unref(table);
    sc_diags_free(diags);
    sc_vocab_free(vocab);
    return errors ? 1 : 0;
}
