/* bench_guard_cache: what caching an expensive guard saves. A guard that costs about 20 us per
 * evaluation stands for a webhook (an in-process busy loop, so the figure is the guard's own cost
 * and not the loopback's noise); the state's rows ask it three times per event (two rows fail
 * on a later guard, the third is taken), as tables that branch on one application answer do.
 * The same events run with the guard's answer not cached, cached per row (`cache: transition`)
 * and per session (`cache: session`): the cache is kept as the webhooks feature keeps it (per
 * session, keyed by guard and row, the hit marked with sc_exec_mark_cached), and the run with a
 * free guard is the floor. Ratios are against the uncached run of the same process.
 * Usage: bench_guard_cache [runs]   (median of runs, default 5) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

#define SESSIONS 50
#define EVENTS 200    /* per session and run */
#define COST_NS 20000 /* one evaluation of the expensive guard */
#define CACHE_MAX 16

static const char *TABLE = "name: bench\n"
                           "vocabulary: {guards: [Expensive, Never, Nope], events: [Tick]}\n"
                           "states: {Idle: {}, Active: {}, Done: {terminal: true}}\n"
                           "transitions:\n"
                           "  - {role: any, from: Idle, event: IncomingCall, to: Active}\n"
                           "  - {role: any, from: Active, event: Tick, guards: [Expensive, Never], to: Done}\n"
                           "  - {role: any, from: Active, event: Tick, guards: [Expensive, Nope], to: Done}\n"
                           "  - {role: any, from: Active, event: Tick, guards: [Expensive]}\n"
                           "  - {role: any, from: \"*\", event: HangupCall, to: Done}\n"
                           "  - {role: any, from: \"*\", event: DialogBYE, to: Done}\n"
                           "  - {role: any, from: \"*\", event: DialogError, to: Done}\n";

typedef enum mode { FREE, NONE, TRANSITION, SESSION } mode;
static mode g_mode;
static unsigned long g_asked; /* evaluations that paid the cost */

typedef struct cache {
    size_t n;
    struct {
        sc_id guard;
        uint32_t row;
        bool value;
    } e[CACHE_MAX];
} cache;

static bool ask(void)
{
    g_asked++;
    double t0 = bench_now_ns();
    while (bench_now_ns() - t0 < COST_NS)
        ;
    return true;
}

static bool g_expensive(const sc_exec *x)
{
    if (g_mode == FREE)
        return true;
    if (g_mode == NONE)
        return ask();
    uint32_t row = g_mode == TRANSITION ? x->transition->index : UINT32_MAX;
    cache *c = sc_session_get_attachment(x->session, SC_ATTACH_APP);
    for (size_t i = 0; c && i < c->n; i++)
        if (c->e[i].guard == x->call->id && c->e[i].row == row) {
            sc_exec_mark_cached(x);
            return c->e[i].value;
        }
    bool v = ask();
    if (!c) {
        c = calloc(1, sizeof *c);
        sc_session_set_attachment(x->session, SC_ATTACH_APP, c, free);
    }
    if (c->n < CACHE_MAX) {
        c->e[c->n].guard = x->call->id;
        c->e[c->n].row = row;
        c->e[c->n].value = v;
        c->n++;
    }
    return v;
}

/* One run: SESSIONS sessions, EVENTS Ticks each; ns per event. */
static double run(sc_engine *e, sc_id tick)
{
    sc_session *s[SESSIONS];
    for (int i = 0; i < SESSIONS; i++) {
        if (sc_engine_create_session(e, SC_ROLE_UAS, NULL, &s[i]) != 0 ||
            sc_engine_dispatch_simple(e, s[i], SC_EV_IncomingCall, 0, NULL) != 0)
            exit(1);
    }
    double t0 = bench_now_ns();
    for (int k = 0; k < EVENTS; k++)
        for (int i = 0; i < SESSIONS; i++)
            if (sc_engine_dispatch_simple(e, s[i], tick, 0, NULL) != 0)
                exit(1);
    double ns = (bench_now_ns() - t0) / (SESSIONS * EVENTS);
    for (int i = 0; i < SESSIONS; i++)
        sc_engine_remove_session(e, s[i], "bench");
    return ns;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 15)
        runs = 5;
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    sc_store *st = NULL;
    sc_engine *e = NULL;
    sc_diags *d = NULL;
    sc_diags_new(&d);
    if (sc_vocab_new(&v) || sc_table_load_buffer(&t, "bench.yaml", TABLE, strlen(TABLE), v, d) ||
        sc_store_new(&st, NULL) || sc_engine_new(&e, sc_table_vocab(t), st, NULL)) {
        char line[256];
        for (size_t i = 0; i < sc_diags_count(d); i++) {
            sc_diag_format(sc_diags_get(d, i), line, sizeof line);
            fprintf(stderr, "%s\n", line);
        }
        return 1;
    }
    sc_diags_free(d);
    sc_engine_bind_guard(e, "Expensive", g_expensive, NULL);
    sc_engine_bind_guard(e, "Never", bench_guard_false, NULL);
    sc_engine_bind_guard(e, "Nope", bench_guard_false, NULL);
    if (sc_engine_set_table(e, t, NULL))
        return 1;
    sc_id tick = (sc_id)sc_vocab_lookup(sc_table_vocab(t), SC_VOCAB_EVENT, "Tick");
    static const char *const names[] = {"free guard (floor)", "no cache", "cache: transition", "cache: session"};
    printf("An expensive guard (%d us an evaluation, standing for a webhook) asked by 3 rows per event;\n"
           "%d sessions x %d events a run, median of %d runs\n",
           COST_NS / 1000, SESSIONS, EVENTS, runs);
    printf("%-22s %12s %14s %8s\n", "guard", "us/event", "asked/event", "ratio");
    double base = 0;
    for (int m = FREE; m <= SESSION; m++) {
        g_mode = (mode)m;
        double v_ns[15];
        unsigned long asked = 0;
        for (int r = 0; r < runs; r++) {
            g_asked = 0;
            v_ns[r] = run(e, tick);
            asked = g_asked;
        }
        double med = bench_median(v_ns, (size_t)runs);
        if (m == NONE)
            base = med;
        printf("%-22s %12.2f %14.3f ", names[m], med / 1e3, (double)asked / (SESSIONS * EVENTS));
        if (m == FREE)
            printf("%8s\n", "-");
        else
            printf("%8.3f\n", med / base);
    }
    sc_engine_free(e);
    sc_store_free(st);
    sc_table_unref(t);
    sc_vocab_free(v);
    return 0;
}
