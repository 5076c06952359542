/* bench_metrics_cost: cost of the engine-side metrics on the transition loop of bench_engine
 * (tables/default.yaml, no-op actions, Active -> Holding -> OnHold -> Resuming -> Active via
 * sc_engine_dispatch), three ways in the same run, rounds interleaved: "bare" (an engine made
 * with counts_off: no metric counting at all), "off" (the default engine, which keeps its
 * metric counts, with nothing attached: sessiond's `--metrics off`) and "on" (that engine
 * with what sc_coord attaches: sc_coord__obs_attach_engine on a registry with the standard set).
 * Median ns/event of each and the ratios. The loops are separate non-inlined functions
 * (loop_bare, loop_off, loop_on) so that under `valgrind --tool=callgrind` their inclusive
 * instruction counts give a noise-free ratio.
 * Usage: bench_metrics_cost [TABLE] [EVENTS_PER_RUN] [ROUNDS]  (default tables/default.yaml
 * 1000000 11) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coord/metrics.h"
#include "bench_util.h"
#include "session_core/engine.h"
#include "session_core/obs.h"

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

/* Three copies so that a profiler tells them apart (the distinct stores keep the compiler from
 * folding them into one); the engine and what is attached to it differ. */
static volatile int last_loop;

__attribute__((noinline)) static long loop_bare(sc_engine *e, sc_session *s, long events)
{
    last_loop = 2;
    return dispatch_loop(e, s, events);
}

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
    sc_engine *e, *e0;  /* counting (default) / counts_off */
    sc_session *s, *s0; /* one session on each */
    sc_obs_registry *reg;
    long errors;
} bench;

enum { BARE = 0, OFF = 1, ON = 2 };

/* ns/event of one run: BARE (counts_off engine), OFF (counting engine, nothing attached), ON
 * (counting engine with the metrics attached). */
static double run(bench *b, int mode, long events)
{
    sc_coord_obs_engine *h = NULL;
    if (mode == ON && sc_coord__obs_attach_engine(b->e, b->reg, NULL, &h) != 0) {
        b->errors++;
        return 0;
    }
    double t0 = bench_now_ns();
    b->errors += mode == ON    ? loop_on(b->e, b->s, events)
                 : mode == OFF ? loop_off(b->e, b->s, events)
                               : loop_bare(b->e0, b->s0, events);
    double t = (bench_now_ns() - t0) / (double)events;
    sc_coord__obs_detach_engine(h);
    return t;
}

/* An engine on table with every guard false and every action a no-op, one UAS session in Active. */
static int engine_setup(sc_engine **e, sc_session **s, sc_vocab *vocab, sc_table *table, sc_diags *diags,
                        sc_store *store, bool counts_off)
{
    sc_engine_config cfg;
    sc_engine_config_default(&cfg);
    cfg.counts_off = counts_off;
    if (sc_engine_new(e, vocab, store, &cfg))
        return -1;
    bench_bind_noops(*e, vocab);
    int r;
    if ((r = sc_engine_set_table(*e, table, diags)) != 0) {
        fprintf(stderr, "bench_metrics_cost: %s\n", sc_strerror(r));
        return -1;
    }
    if (sc_engine_create_session(*e, SC_ROLE_UAS, NULL, s))
        return -1;
    static const sc_id to_active[] = {SC_EV_IncomingCall, SC_EV_AcceptCall, SC_EV_DialogACK};
    for (size_t i = 0; i < 3; i++)
        if (sc_engine_dispatch_simple(*e, *s, to_active[i], 0, NULL) != 0)
            return -1;
    if (strcmp(sc_session_state_name(*s), "Active") != 0) {
        fprintf(stderr, "bench_metrics_cost: session is in %s, not Active\n", sc_session_state_name(*s));
        return -1;
    }
    return 0;
}

static int setup(bench *b, const char *path, sc_vocab **vocab, sc_table **table, sc_diags **diags, sc_store **store,
                 sc_store **store0)
{
    if (sc_vocab_new(vocab) || sc_diags_new(diags) || sc_obs_registry_new(&b->reg))
        return -1;
    int r = sc_table_load_file(table, path, *vocab, *diags);
    if (r) {
        fprintf(stderr, "bench_metrics_cost: %s: %s\n", path, sc_strerror(r));
        return -1;
    }
    if (sc_store_new(store, NULL) || sc_store_new(store0, NULL))
        return -1;
    if (engine_setup(&b->e, &b->s, *vocab, *table, *diags, *store, false) ||
        engine_setup(&b->e0, &b->s0, *vocab, *table, *diags, *store0, true))
        return -1;
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
    sc_store *store = NULL, *store0 = NULL;
    if (setup(&b, path, &vocab, &table, &diags, &store, &store0) != 0)
        return 1;
    run(&b, BARE, 100000); /* warm up: the history ring, the timer heap, the counter children */
    run(&b, OFF, 100000);
    run(&b, ON, 100000);
    double *t[3], *on_off = calloc((size_t)rounds, sizeof(double)), *off_bare = calloc((size_t)rounds, sizeof(double));
    for (int m = 0; m < 3; m++)
        t[m] = calloc((size_t)rounds, sizeof(double));
    if (!t[0] || !t[1] || !t[2] || !on_off || !off_bare)
        return 1;
    static const int order[2][3] = {{BARE, OFF, ON}, {ON, OFF, BARE}};
    for (int r = 0; r < rounds; r++) { /* ABC CBA ... */
        for (int k = 0; k < 3; k++) {
            int m = order[r % 2][k];
            t[m][r] = run(&b, m, events);
        }
        on_off[r] = t[ON][r] / t[OFF][r];
        off_bare[r] = t[OFF][r] / t[BARE][r];
    }
    sc_obs_metric *tm = sc_obs_registry_find(b.reg, "sessioncore_transitions_total");
    sc_obs_counter *held = sc_obs_counter_with(tm, "HoldCall", "ok");
    unsigned long long expect = (unsigned long long)(100000 + (long)rounds * events) / NCYCLE;
    double mb = bench_median(t[BARE], (size_t)(rounds)), mo = bench_median(t[OFF], (size_t)(rounds)),
           mn = bench_median(t[ON], (size_t)(rounds));
    printf("table              %s\n", path);
    printf("events per run     %ld, rounds %d (bare/off/on interleaved), medians\n", events, rounds);
    printf("bare (counts_off)  %.1f ns/event  (min %.1f, max %.1f)\n", mb, t[BARE][0], t[BARE][rounds - 1]);
    printf("metrics off        %.1f ns/event  (min %.1f, max %.1f)\n", mo, t[OFF][0], t[OFF][rounds - 1]);
    printf("metrics on         %.1f ns/event  (min %.1f, max %.1f)\n", mn, t[ON][0], t[ON][rounds - 1]);
    printf("ratio on/off       %.3f  (median of per-round ratios %.3f)\n", mn / mo,
           bench_median(on_off, (size_t)(rounds)));
    printf("ratio off/bare     %.3f  (median of per-round ratios %.3f)\n", mo / mb,
           bench_median(off_bare, (size_t)(rounds)));
    printf("ratio on/bare      %.3f\n", mn / mb);
    printf("HoldCall counted   %llu (expected %llu)\n", held ? (unsigned long long)held->value : 0ULL, expect);
    printf("errors             %ld\n", b.errors);
    int rc = b.errors || !held || held->value != expect ? 1 : 0;
    for (int m = 0; m < 3; m++)
        free(t[m]);
    free(on_off);
    free(off_bare);
    sc_engine_free(b.e);
    sc_engine_free(b.e0);
    sc_obs_registry_free(b.reg);
    sc_store_free(store);
    sc_store_free(store0);
    sc_table_unref(table);
    sc_diags_free(diags);
    sc_vocab_free(vocab);
    return rc;
}
