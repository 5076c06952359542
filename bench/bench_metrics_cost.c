/* bench_metrics_cost: cost of the engine-side metrics on the transition loop of bench_engine
 * (tables/default.yaml, no-op actions, Active -> Holding -> OnHold -> Resuming -> Active via
 * sc_engine_dispatch): the same loop with no metrics observer and with the one sc_api
 * attaches (sc_api__obs_attach_engine on a registry with the standard set), in the same run,
 * rounds interleaved (off on, on off, ...), median ns/event of each and the ratio on/off.
 * The two loops are separate non-inlined functions (loop_off, loop_on) so that under
 * `valgrind --tool=callgrind` their inclusive instruction counts give a noise-free ratio.
 * Usage: bench_metrics_cost [TABLE] [EVENTS_PER_RUN] [ROUNDS]  (default tables/default.yaml
 * 1000000 11) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_obs.h"
#include "session_core/engine.h"
#include "session_core/obs.h"

static bool guard_false(const sc_exec *x)
{
    (void)x;
    return false;
}

static int action_noop(const sc_exec *x)
{
    (void)x;
    return 0;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* As bench_engine: four state changes per cycle, with actions, publish entries and timers. */
static const sc_id CYCLE[] = {SC_EV_HoldCall, SC_EV_DialogReINVITEAccepted, SC_EV_ResumeCall,
                              SC_EV_DialogReINVITEAccepted};
#define NCYCLE (sizeof CYCLE / sizeof CYCLE[0])

static long dispatch_loop(sc_engine *e, sc_session *s, long events)
{
    sc_event ev = {0};
    long errors = 0;
    for (long i = 0; i < events; i++) {
        ev.type = CYCLE[i % NCYCLE];
        if (sc_engine_dispatch(e, s, &ev, NULL) != 0)
            errors++;
    }
    return errors;
}

/* Two copies so that a profiler tells them apart (the distinct stores keep the compiler from
 * folding them into one); the observer is what differs. */
static volatile int last_loop;

__attribute__((noinline)) static long loop_off(sc_engine *e, sc_session *s, long events)
{
    last_loop = 0;
    return dispatch_loop(e, s, events);
}

__attribute__((noinline)) static long loop_on(sc_engine *e, sc_session *s, long events)
{
    last_loop = 1;
    return dispatch_loop(e, s, events);
}

typedef struct bench {
    sc_engine *e;
    sc_session *s;
    sc_obs_registry *reg;
    long errors;
} bench;

/* ns/event of one run, with (on) or without the metrics observer attached. */
static double run(bench *b, bool on, long events)
{
    sc_api_obs_engine *h = NULL;
    if (on && sc_api__obs_attach_engine(b->e, b->reg, NULL, &h) != 0) {
        b->errors++;
        return 0;
    }
    double t0 = now_ns();
    b->errors += on ? loop_on(b->e, b->s, events) : loop_off(b->e, b->s, events);
    double t = (now_ns() - t0) / (double)events;
    sc_api__obs_detach_engine(h);
    return t;
}

static int setup(bench *b, const char *path, sc_vocab **vocab, sc_table **table, sc_diags **diags, sc_store **store)
{
    if (sc_vocab_new(vocab) || sc_diags_new(diags) || sc_obs_registry_new(&b->reg))
        return -1;
    int r = sc_table_load_file(table, path, *vocab, *diags);
    if (r) {
        fprintf(stderr, "bench_metrics_cost: %s: %s\n", path, sc_strerror(r));
        return -1;
    }
    if (sc_store_new(store, NULL) || sc_engine_new(&b->e, *vocab, *store, NULL))
        return -1;
    for (size_t i = 0; i < sc_vocab_count(*vocab, SC_VOCAB_GUARD); i++)
        sc_engine_bind_guard(b->e, sc_vocab_name(*vocab, SC_VOCAB_GUARD, (sc_id)i), guard_false, NULL);
    for (size_t i = 0; i < sc_vocab_count(*vocab, SC_VOCAB_ACTION); i++)
        sc_engine_bind_action(b->e, sc_vocab_name(*vocab, SC_VOCAB_ACTION, (sc_id)i), action_noop, NULL);
    if ((r = sc_engine_set_table(b->e, *table, *diags)) != 0) {
        fprintf(stderr, "bench_metrics_cost: %s\n", sc_strerror(r));
        return -1;
    }
    if (sc_engine_create_session(b->e, SC_ROLE_UAS, NULL, &b->s))
        return -1;
    static const sc_id to_active[] = {SC_EV_IncomingCall, SC_EV_AcceptCall, SC_EV_DialogACK};
    for (size_t i = 0; i < 3; i++)
        if (sc_engine_dispatch_simple(b->e, b->s, to_active[i], 0, NULL) != 0)
            return -1;
    if (strcmp(sc_session_state_name(b->s), "Active") != 0) {
        fprintf(stderr, "bench_metrics_cost: session is in %s, not Active\n", sc_session_state_name(b->s));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tables/default.yaml";
    long events = argc > 2 ? atol(argv[2]) : 1000000;
    int rounds = argc > 3 ? atoi(argv[3]) : 11;
    events -= events % (long)NCYCLE;
    if (events <= 0 || rounds <= 0)
        return 2;
    bench b = {0};
    sc_vocab *vocab = NULL;
    sc_table *table = NULL;
    sc_diags *diags = NULL;
    sc_store *store = NULL;
    if (setup(&b, path, &vocab, &table, &diags, &store) != 0)
        return 1;
    run(&b, false, 100000); /* warm up: the history ring, the timer heap, the counter children */
    run(&b, true, 100000);
    double *off = calloc((size_t)rounds, sizeof *off), *on = calloc((size_t)rounds, sizeof *on);
    double *ratio = calloc((size_t)rounds, sizeof *ratio);
    if (!off || !on || !ratio)
        return 1;
    for (int r = 0; r < rounds; r++) { /* ABBA: off on, on off, ... */
        bool on_first = r % 2;
        double a = run(&b, on_first, events), c = run(&b, !on_first, events);
        off[r] = on_first ? c : a;
        on[r] = on_first ? a : c;
        ratio[r] = on[r] / off[r];
    }
    sc_obs_metric *tm = sc_obs_registry_find(b.reg, "sessioncore_transitions_total");
    sc_obs_counter *held = sc_obs_counter_with(tm, "HoldCall", "ok");
    unsigned long long expect = (unsigned long long)(100000 + (long)rounds * events) / NCYCLE;
    qsort(off, (size_t)rounds, sizeof *off, cmp_double);
    qsort(on, (size_t)rounds, sizeof *on, cmp_double);
    qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
    printf("table              %s\n", path);
    printf("events per run     %ld, rounds %d (off/on interleaved), medians\n", events, rounds);
    printf("metrics off        %.1f ns/event  (min %.1f, max %.1f)\n", off[rounds / 2], off[0], off[rounds - 1]);
    printf("metrics on         %.1f ns/event  (min %.1f, max %.1f)\n", on[rounds / 2], on[0], on[rounds - 1]);
    printf("ratio on/off       %.3f  (median of per-round ratios %.3f, range %.3f-%.3f)\n",
           on[rounds / 2] / off[rounds / 2], ratio[rounds / 2], ratio[0], ratio[rounds - 1]);
    printf("HoldCall counted   %llu (expected %llu)\n", held ? (unsigned long long)held->value : 0ULL, expect);
    printf("errors             %ld\n", b.errors);
    int rc = b.errors || !held || held->value != expect ? 1 : 0;
    free(off);
    free(on);
    free(ratio);
    sc_engine_free(b.e);
    sc_obs_registry_free(b.reg);
    sc_store_free(store);
    sc_table_unref(table);
    sc_diags_free(diags);
    sc_vocab_free(vocab);
    return rc;
}
