/* fixture: shared setup for the engine tests: a manual clock, vocabulary, store and engine
 * with every built-in guard and action bound to recording test doubles, and a table loaded
 * from inline YAML. */
#ifndef SC_TEST_ENGINE_FIXTURE_H
#define SC_TEST_ENGINE_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/engine.h"

#define FX_UNUSED __attribute__((unused))
#define FX_T0_WALL 1795780800000000LL /* 2026-11-27T12:00:00Z */

typedef struct fx fx;
typedef int (*fx_hook)(fx *f, const sc_exec *x);

struct fx {
    sc_manual_clock *clk;
    sc_vocab *vocab;
    sc_store *store;
    sc_engine *engine;
    sc_table *table;
    sc_diags *diags;
    bool guard_value[128];  /* verdict of each guard id */
    int action_result[128]; /* result of each action id */
    fx_hook hooks[128];     /* optional per-action behaviour, run before returning the result */
    char log[8192];         /* "Action@State " for every action run */
    int nactions;           /* actions run */
    void *ud;               /* for hooks */
};

static bool fx_guard(const sc_exec *x)
{
    fx *f = x->ud;
    return f->guard_value[x->call->id];
}

static int fx_action(const sc_exec *x)
{
    fx *f = x->ud;
    size_t used = strlen(f->log);
    snprintf(f->log + used, sizeof f->log - used, "%s@%s ", sc_vocab_name(f->vocab, SC_VOCAB_ACTION, x->call->id),
             sc_session_state_name(x->session));
    f->nactions++;
    if (f->hooks[x->call->id]) {
        int r = f->hooks[x->call->id](f, x);
        if (r)
            return r;
    }
    return f->action_result[x->call->id];
}

/* Everything but the table and the bindings (a name binds once: for tests that bind their
 * own doubles); cfg may be NULL. */
static FX_UNUSED fx *fx_new_unbound(const sc_engine_config *cfg)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(sc_manual_clock_new(&f->clk, 1000000, FX_T0_WALL), 0);
    assert_int_equal(sc_vocab_new(&f->vocab), 0);
    sc_store_config sc = {.clock = sc_manual_clock_get(f->clk)};
    assert_int_equal(sc_store_new(&f->store, &sc), 0);
    assert_int_equal(sc_engine_new(&f->engine, f->vocab, f->store, cfg), 0);
    assert_int_equal(sc_diags_new(&f->diags), 0);
    return f;
}

/* Everything but the table, every built-in guard and action bound to the doubles above; cfg
 * may be NULL. */
static FX_UNUSED fx *fx_new_cfg(const sc_engine_config *cfg)
{
    fx *f = fx_new_unbound(cfg);
    size_t ng = sc_vocab_count(f->vocab, SC_VOCAB_GUARD);
    size_t na = sc_vocab_count(f->vocab, SC_VOCAB_ACTION);
    for (size_t i = 0; i < ng; i++)
        assert_int_equal(
            sc_engine_bind_guard(f->engine, sc_vocab_name(f->vocab, SC_VOCAB_GUARD, (sc_id)i), fx_guard, f), 0);
    for (size_t i = 0; i < na; i++)
        assert_int_equal(
            sc_engine_bind_action(f->engine, sc_vocab_name(f->vocab, SC_VOCAB_ACTION, (sc_id)i), fx_action, f), 0);
    return f;
}

static FX_UNUSED fx *fx_new(void) { return fx_new_cfg(NULL); }

/* Record i of s's history (sc_session_history_get's copy), or NULL: one of 8 static copies
 * used in turn, so that a few can be held at once. */
static FX_UNUSED const sc_history_record *fx_hist(const sc_session *s, size_t i)
{
    static sc_history_record copies[8];
    static unsigned next;
    sc_history_record *r = &copies[next++ % 8];
    return sc_session_history_get(s, i, r) == 0 ? r : NULL;
}

static FX_UNUSED void fx_print_diags(const sc_diags *d)
{
    char buf[512];
    for (size_t i = 0; i < sc_diags_count(d); i++) {
        sc_diag_format(sc_diags_get(d, i), buf, sizeof buf);
        fprintf(stderr, "%s\n", buf);
    }
}

/* Load yaml as the engine's table; fails the test with the diagnostics if it does not load. */
static FX_UNUSED void fx_load(fx *f, const char *yaml)
{
    sc_table *t = NULL;
    int r = sc_table_load_buffer(&t, "test.yaml", yaml, strlen(yaml), f->vocab, f->diags);
    if (r)
        fx_print_diags(f->diags);
    assert_int_equal(r, 0);
    r = sc_engine_set_table(f->engine, t, f->diags);
    if (r)
        fx_print_diags(f->diags);
    assert_int_equal(r, 0);
    sc_table_unref(f->table);
    f->table = t;
}

static FX_UNUSED void fx_free(fx *f)
{
    sc_engine_free(f->engine);
    sc_store_free(f->store);
    sc_table_unref(f->table);
    sc_diags_free(f->diags);
    sc_vocab_free(f->vocab);
    sc_manual_clock_free(f->clk);
    free(f);
}

static FX_UNUSED int fx_ev(fx *f, sc_session *s, sc_id type)
{
    return sc_engine_dispatch_simple(f->engine, s, type, 0, NULL);
}

static FX_UNUSED int fx_state_id(fx *f, const char *name) { return sc_table_state_id(f->table, name); }

static FX_UNUSED sc_session *fx_session(fx *f, sc_role role)
{
    sc_session *s = NULL;
    assert_int_equal(sc_engine_create_session(f->engine, role, NULL, &s), 0);
    return s;
}

/* Every non-terminal state must handle these three; tests append their rows after this. */
#define FX_EXITS                                                      \
    "  - {role: any, from: '*', event: HangupCall, to: Terminated}\n" \
    "  - {role: any, from: '*', event: DialogBYE, to: Terminated}\n"  \
    "  - {role: any, from: '*', event: DialogError, to: Failed}\n"

#endif
