/* Tests for the compiler: O(1) lookup, exact-role rows before `any` rows, lists of states in
 * `from`, "*" rows as fallback, accepted events, and the default table's key flows. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "table_test_util.h"

typedef struct fixture {
    sc_vocab *v;
    sc_table *t;
} fixture;

static int setup_file(void **state, const char *path)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_int_equal(sc_vocab_new(&f->v), 0);
    sc_diags *d = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    int rc = sc_table_load_file(&f->t, path, f->v, d);
    dump_diags(d);
    sc_diags_free(d);
    assert_int_equal(rc, 0);
    *state = f;
    return 0;
}

static int setup_roles(void **state) { return setup_file(state, DATA_DIR "/valid/roles-and-lists.yaml"); }

static int setup_default(void **state) { return setup_file(state, DEFAULT_TABLE); }

static int teardown(void **state)
{
    fixture *f = *state;
    sc_table_unref(f->t);
    sc_vocab_free(f->v);
    free(f);
    return 0;
}

static const sc_transition *const *look(const sc_table *t, sc_role r, const char *state, const char *event, size_t *n)
{
    int s = st(t, state), e = ev(t, event);
    assert_true(s >= 0);
    assert_true(e >= 0);
    return sc_table_lookup(t, r, (sc_id)s, (sc_id)e, n);
}

/* The id of guard G<i> in t's vocabulary. */
static int ev_guard(const sc_table *t, size_t i)
{
    char name[32];
    snprintf(name, sizeof name, "G%zu", i);
    return sc_vocab_lookup(sc_table_vocab(t), SC_VOCAB_GUARD, name);
}

static void test_exact_role_before_any(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t n = 0;
    const sc_transition *const *tr = look(t, SC_ROLE_UAC, "Ringing", "HangupCall", &n);
    assert_int_equal(n, 2);
    assert_int_equal(tr[0]->role, SC_ROLE_UAC);
    assert_int_equal(tr[0]->actions[0].id, SC_ACTION_SendCancel);
    assert_int_equal(tr[1]->role, SC_ROLE_ANY);
    assert_int_equal(tr[1]->actions[0].id, SC_ACTION_SendBye);
    assert_true(tr[0]->line > tr[1]->line); /* written later, tried first */
    tr = look(t, SC_ROLE_UAS, "Ringing", "HangupCall", &n);
    assert_int_equal(n, 1);
    assert_int_equal(tr[0]->role, SC_ROLE_ANY);
}

static void test_any_role_applies_to_both(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t nu = 0, ns = 0;
    const sc_transition *const *a = look(t, SC_ROLE_UAC, "Active", "DialogBYE", &nu);
    const sc_transition *const *b = look(t, SC_ROLE_UAS, "Active", "DialogBYE", &ns);
    assert_int_equal(nu, 1);
    assert_int_equal(ns, 1);
    assert_ptr_equal(a[0], b[0]);
    assert_int_equal(a[0]->to, st(t, "Done"));
}

static void test_list_of_states_and_guard_order(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    const char *states[] = {"Ringing", "Active"};
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        const sc_transition *const *tr = look(t, SC_ROLE_UAS, states[i], "DialogReINVITE", &n);
        assert_int_equal(n, 2);
        assert_int_equal(tr[0]->from, st(t, states[i]));
        assert_int_equal(tr[0]->nguards, 1);
        assert_int_equal(tr[0]->guards[0].id, SC_GUARD_IsHoldOffer);
        assert_int_equal(tr[1]->nguards, 0);
        assert_int_equal(tr[0]->to, SC_ID_NONE);
        assert_int_equal(tr[1]->actions[0].params[0].i, 488);
    }
    size_t n = 0;
    look(t, SC_ROLE_UAS, "Idle", "DialogReINVITE", &n);
    assert_int_equal(n, 0);
}

static void test_wildcard_rows(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t n = 0;
    /* "*" covers non-terminal states without their own row */
    const sc_transition *const *tr = look(t, SC_ROLE_UAS, "Idle", "HangupCall", &n);
    assert_int_equal(n, 1);
    assert_int_equal(tr[0]->from, st(t, "Idle"));
    /* never terminal states */
    assert_null(look(t, SC_ROLE_UAC, "Done", "HangupCall", &n));
    assert_int_equal(n, 0);
    /* per-role "*" rows */
    tr = look(t, SC_ROLE_UAC, "Active", "DialogError", &n);
    assert_int_equal(n, 1);
    assert_int_equal(tr[0]->nactions, 0);
    assert_int_equal(tr[0]->to, st(t, "Failed"));
    assert_true(tr[0]->failure);
    tr = look(t, SC_ROLE_UAS, "Active", "DialogError", &n);
    assert_int_equal(n, 1);
    assert_int_equal(tr[0]->actions[0].id, SC_ACTION_StopMedia);
}

static void test_out_of_range_and_accepted(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t n = 42;
    assert_null(sc_table_lookup(t, SC_ROLE_UAC, 999, SC_EV_HangupCall, &n));
    assert_int_equal(n, 0);
    n = 42;
    assert_null(sc_table_lookup(t, SC_ROLE_UAC, 0, 9999, &n));
    assert_int_equal(n, 0);
    n = 42;
    assert_null(sc_table_lookup(t, SC_ROLE_ANY, 0, SC_EV_HangupCall, &n));
    assert_int_equal(n, 0);
    sc_id evs[64];
    size_t k = sc_table_accepted_events(t, SC_ROLE_UAC, (sc_id)st(t, "Idle"), evs, 64);
    assert_int_equal(k, 4); /* MakeCall, HangupCall, DialogBYE, DialogError */
    for (size_t i = 1; i < k; i++)
        assert_true(evs[i - 1] < evs[i]);
    assert_int_equal(evs[0], SC_EV_MakeCall);
    assert_int_equal(sc_table_accepted_events(t, SC_ROLE_UAC, (sc_id)st(t, "Idle"), evs, 2), 2);
    assert_int_equal(sc_table_accepted_events(t, SC_ROLE_UAS, (sc_id)st(t, "Done"), evs, 64), 0);
}

static void test_transitions_in_file_order(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t n = sc_table_transition_count(t);
    assert_true(n > 10);
    uint32_t last_line = 0;
    for (size_t i = 0; i < n; i++) {
        const sc_transition *tr = sc_table_transition(t, i);
        assert_int_equal(tr->index, i);
        assert_true(tr->line >= last_line);
        last_line = tr->line;
    }
    assert_null(sc_table_transition(t, n));
}

static void test_default_outgoing_call(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t n = 0;
    const sc_transition *const *tr = look(t, SC_ROLE_UAC, "Idle", "MakeCall", &n);
    assert_int_equal(n, 1);
    assert_int_equal(tr[0]->actions[0].id, SC_ACTION_SendInvite);
    assert_int_equal(tr[0]->to, st(t, "Initiating"));
    assert_null(look(t, SC_ROLE_UAS, "Idle", "MakeCall", &n));
    /* guarded rows (B2BUA) come first; the plain answer is the last, unguarded row */
    tr = look(t, SC_ROLE_UAC, "Ringing", "Dialog200OK", &n);
    assert_true(n >= 1);
    assert_int_equal(tr[n - 1]->nguards, 0);
    assert_int_equal(tr[n - 1]->to, st(t, "Active"));
    assert_int_equal(tr[n - 1]->nset, 2);
    assert_int_equal(tr[n - 1]->actions[0].id, SC_ACTION_SendAck);
    for (size_t i = 0; i + 1 < n; i++)
        assert_true(tr[i]->nguards > 0);
    tr = look(t, SC_ROLE_UAC, "Ringing", "HangupCall", &n);
    assert_int_equal(tr[0]->actions[0].id, SC_ACTION_SendCancel);
    assert_int_equal(tr[0]->to, st(t, "Cancelling"));
    tr = look(t, SC_ROLE_UAC, "Cancelling", "Dialog200OK", &n);
    assert_int_equal(tr[0]->nactions, 2);
    assert_int_equal(tr[0]->actions[1].id, SC_ACTION_SendBye);
    tr = look(t, SC_ROLE_UAC, "Cancelling", "Dialog487RequestTerminated", &n);
    assert_int_equal(tr[0]->to, st(t, "Cancelled"));
    tr = look(t, SC_ROLE_UAC, "Initiating", "Dialog4xx", &n);
    assert_int_equal(tr[0]->to, st(t, "Failed"));
    assert_true(tr[0]->failure);
}

static void test_default_incoming_call(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t n = 0;
    const sc_transition *const *tr = look(t, SC_ROLE_UAS, "Idle", "IncomingCall", &n);
    /* Replaces first, then the other guarded rows in file order, the plain 180 row last */
    assert_true(n >= 3);
    assert_int_equal(tr[0]->guards[0].id, SC_GUARD_HasReplaces);
    bool auto_answer = false;
    for (size_t i = 1; i + 1 < n; i++) {
        assert_true(tr[i]->nguards > 0);
        auto_answer |= tr[i]->guards[0].id == SC_GUARD_AutoAnswer;
    }
    assert_true(auto_answer);
    assert_int_equal(tr[n - 1]->nguards, 0);
    assert_int_equal(tr[n - 1]->actions[0].params[0].i, 180);
    tr = look(t, SC_ROLE_UAS, "Ringing", "RejectCall", &n);
    assert_int_equal(n, 2);
    assert_int_equal(tr[0]->actions[0].params[0].i, 0);
    assert_int_equal(tr[1]->actions[0].params[0].i, 486);
    tr = look(t, SC_ROLE_UAS, "Answering", "DialogACK", &n);
    assert_true(n >= 1);
    assert_int_equal(tr[n - 1]->nguards, 0);
    assert_int_equal(tr[n - 1]->to, st(t, "Active"));
    assert_int_equal(tr[n - 1]->set[0].cond, SC_COND_DialogEstablished);
    assert_true(tr[n - 1]->set[0].value);
    /* hangup, BYE and errors everywhere that is not terminal, for both roles */
    for (size_t s = 0; s < sc_table_state_count(t); s++) {
        if (sc_table_state(t, (sc_id)s)->terminal)
            continue;
        for (int r = 0; r < SC_ROLE_COUNT; r++) {
            sc_id evs[] = {SC_EV_HangupCall,     SC_EV_DialogBYE, SC_EV_DialogError,
                           SC_EV_SessionExpired, SC_EV_Shutdown,  SC_EV_ActionFailed};
            for (size_t k = 0; k < sizeof(evs) / sizeof(evs[0]); k++) {
                sc_table_lookup(t, (sc_role)r, (sc_id)s, evs[k], &n);
                if (n == 0)
                    fail_msg("%s does not handle event %u for role %d", sc_table_state(t, (sc_id)s)->name, evs[k], r);
            }
        }
    }
    tr = look(t, SC_ROLE_UAS, "Active", "CheckConditions", &n);
    assert_int_equal(tr[0]->npublish, 1);
    assert_string_equal(tr[0]->publish[0].name, "CallEstablished");
    assert_int_equal(tr[0]->publish[0].priority, SC_PRIO_CRITICAL);
}

static void test_large_generated_table(void **state)
{
    (void)state;
    /* 2,000 states in a chain: the lookup stays a couple of array reads per event */
    size_t cap = 400000, len = 0;
    char *y = malloc(cap);
    len += (size_t)snprintf(y + len, cap - len, "states:\n  Idle: {}\n");
    for (int i = 0; i < 2000; i++)
        len += (size_t)snprintf(y + len, cap - len, "  S%d: {}\n", i);
    len += (size_t)snprintf(y + len, cap - len,
                            "  Done: {terminal: true}\ntransitions:\n"
                            "  - {from: Idle, event: MakeCall, to: S0}\n");
    for (int i = 0; i < 1999; i++)
        len += (size_t)snprintf(y + len, cap - len, "  - {from: S%d, event: DialogUPDATE, to: S%d}\n", i, i + 1);
    len += (size_t)snprintf(y + len, cap - len,
                            "  - {from: '*', event: HangupCall, to: Done}\n"
                            "  - {from: '*', event: DialogBYE, to: Done}\n"
                            "  - {from: '*', event: DialogError, to: Done}\n");
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    sc_diags *d = NULL;
    assert_int_equal(sc_diags_new(&d), 0);
    int rc = sc_table_load_buffer(&t, "big", y, len, v, d);
    dump_diags(d);
    assert_int_equal(rc, 0);
    size_t n = 0;
    const sc_transition *const *tr = sc_table_lookup(t, SC_ROLE_UAC, (sc_id)st(t, "S1234"), SC_EV_DialogUPDATE, &n);
    assert_int_equal(n, 1);
    assert_int_equal(tr[0]->to, st(t, "S1235"));
    sc_table_unref(t);
    sc_diags_free(d);
    sc_vocab_free(v);
    free(y);
}

/* The lookup index against the transitions: every row a lookup returns is one of that key
 * (from, event, a matching role), each at most once; every transition is returned by the
 * lookup of its key for its role(s), except "*" rows where an explicit row of that role
 * shadows them; events no row uses and ids past the vocabulary give nothing. */
static void test_lookup_matches_transitions(void **state)
{
    const sc_table *t = ((fixture *)*state)->t;
    size_t ntrans = sc_table_transition_count(t), nstates = sc_table_state_count(t);
    size_t nevents = sc_vocab_count(sc_table_vocab(t), SC_VOCAB_EVENT);
    unsigned char *seen = calloc(ntrans, 1);
    size_t empty = 0;
    for (int r = 0; r < SC_ROLE_COUNT; r++) {
        for (size_t s = 0; s < nstates; s++) {
            for (size_t e = 0; e < nevents; e++) {
                size_t n = 99;
                const sc_transition *const *rows = sc_table_lookup(t, (sc_role)r, (sc_id)s, (sc_id)e, &n);
                if (!n) {
                    assert_null(rows);
                    empty++;
                    continue;
                }
                for (size_t i = 0; i < n; i++) {
                    assert_int_equal(rows[i]->from, s);
                    assert_int_equal(rows[i]->event, e);
                    assert_true(rows[i]->role == (sc_role)r || rows[i]->role == SC_ROLE_ANY);
                    for (size_t j = 0; j < i; j++)
                        assert_ptr_not_equal(rows[i], rows[j]);
                    seen[rows[i]->index] |= (unsigned char)(1u << r);
                }
            }
            size_t n = 99;
            assert_null(sc_table_lookup(t, (sc_role)r, (sc_id)s, (sc_id)nevents, &n));
            assert_int_equal(n, 0);
        }
    }
    assert_true(empty > 0);
    size_t unseen = 0;
    for (size_t i = 0; i < ntrans; i++)
        unseen += !seen[i];
    assert_int_equal(unseen, 0); /* the default table has no fully shadowed "*" row */
    free(seen);
}

/* A key with more rows than a lookup cell counts (255 and more: the count is kept aside) keeps
 * all of them, in file order; the keys around it are unaffected. */
static void test_key_with_many_rows(void **state)
{
    (void)state;
    enum { NG = 300 };
    size_t cap = 64000, len = 0;
    char *y = malloc(cap);
    len += (size_t)snprintf(y + len, cap - len, "vocabulary:\n  guards: [");
    for (int i = 0; i < NG; i++)
        len += (size_t)snprintf(y + len, cap - len, "%sG%d", i ? ", " : "", i);
    len += (size_t)snprintf(y + len, cap - len,
                            "]\nstates:\n  Idle: {}\n  Busy: {}\n  Done: {terminal: true}\ntransitions:\n"
                            "  - {from: Idle, event: DialogUPDATE, to: Busy}\n");
    for (int i = 0; i < NG; i++)
        len += (size_t)snprintf(y + len, cap - len, "  - {from: Idle, event: MakeCall, guards: [G%d], to: Busy}\n", i);
    len += (size_t)snprintf(y + len, cap - len,
                            "  - {from: Busy, event: MakeCall, to: Idle}\n"
                            "  - {from: '*', event: HangupCall, to: Done}\n"
                            "  - {from: '*', event: DialogBYE, to: Done}\n"
                            "  - {from: '*', event: DialogError, to: Done}\n");
    assert_true(len < cap);
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    sc_diags *d = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_diags_new(&d), 0);
    int rc = sc_table_load_buffer(&t, "many", y, len, v, d);
    dump_diags(d);
    assert_int_equal(rc, 0);
    for (int r = 0; r < SC_ROLE_COUNT; r++) {
        size_t n = 0;
        const sc_transition *const *tr = sc_table_lookup(t, (sc_role)r, (sc_id)st(t, "Idle"), SC_EV_MakeCall, &n);
        assert_int_equal(n, NG);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(tr[i]->nguards, 1);
            assert_int_equal(tr[i]->guards[0].id, ev_guard(t, i));
            assert_true(i == 0 || tr[i]->line > tr[i - 1]->line);
        }
        tr = sc_table_lookup(t, (sc_role)r, (sc_id)st(t, "Idle"), SC_EV_DialogUPDATE, &n);
        assert_int_equal(n, 1);
        assert_int_equal(tr[0]->to, st(t, "Busy"));
        tr = sc_table_lookup(t, (sc_role)r, (sc_id)st(t, "Busy"), SC_EV_MakeCall, &n);
        assert_int_equal(n, 1);
        assert_int_equal(tr[0]->to, st(t, "Idle"));
        assert_null(sc_table_lookup(t, (sc_role)r, (sc_id)st(t, "Busy"), SC_EV_DialogUPDATE, &n));
        assert_int_equal(n, 0);
    }
    sc_id acc[8];
    assert_int_equal(sc_table_accepted_events(t, SC_ROLE_UAS, (sc_id)st(t, "Idle"), acc, 8), 5);
    sc_table_unref(t);
    sc_diags_free(d);
    sc_vocab_free(v);
    free(y);
}

/* A state with more single-row keys than a byte spans (300 events of its own) and a state
 * with a few: every key found, with its own row. */
static void test_state_with_many_events(void **state)
{
    (void)state;
    enum { NE = 300 };
    size_t cap = 64000, len = 0;
    char *y = malloc(cap);
    len += (size_t)snprintf(y + len, cap - len, "vocabulary:\n  events: [");
    for (int i = 0; i < NE; i++)
        len += (size_t)snprintf(y + len, cap - len, "%sE%d", i ? ", " : "", i);
    len += (size_t)snprintf(y + len, cap - len,
                            "]\nstates:\n  Idle: {}\n  Wide: {}\n  Done: {terminal: true}\ntransitions:\n"
                            "  - {from: Idle, event: E7, to: Wide}\n  - {from: Idle, event: E299, to: Done}\n");
    for (int i = 0; i < NE; i++)
        len += (size_t)snprintf(y + len, cap - len, "  - {from: Wide, event: E%d, to: %s}\n", i,
                                i % 2 ? "Idle" : "Wide");
    len += (size_t)snprintf(y + len, cap - len,
                            "  - {from: '*', event: HangupCall, to: Done}\n"
                            "  - {from: '*', event: DialogBYE, to: Done}\n"
                            "  - {from: '*', event: DialogError, to: Done}\n");
    assert_true(len < cap);
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    sc_diags *d = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_diags_new(&d), 0);
    int rc = sc_table_load_buffer(&t, "wide", y, len, v, d);
    dump_diags(d);
    assert_int_equal(rc, 0);
    int idle = st(t, "Idle"), wide = st(t, "Wide");
    for (int r = 0; r < SC_ROLE_COUNT; r++) {
        for (int i = 0; i < NE; i++) {
            char name[32];
            snprintf(name, sizeof name, "E%d", i);
            int e = ev(t, name);
            assert_true(e >= 0);
            size_t n = 0;
            const sc_transition *const *tr = sc_table_lookup(t, (sc_role)r, (sc_id)wide, (sc_id)e, &n);
            assert_int_equal(n, 1);
            assert_int_equal(tr[0]->from, wide);
            assert_int_equal(tr[0]->event, e);
            assert_int_equal(tr[0]->to, i % 2 ? idle : wide);
            tr = sc_table_lookup(t, (sc_role)r, (sc_id)idle, (sc_id)e, &n);
            assert_int_equal(n, i == 7 || i == NE - 1);
            if (n)
                assert_int_equal(tr[0]->event, e);
            else
                assert_null(tr);
        }
    }
    sc_table_unref(t);
    sc_diags_free(d);
    sc_vocab_free(v);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exact_role_before_any, setup_roles, teardown),
        cmocka_unit_test_setup_teardown(test_any_role_applies_to_both, setup_roles, teardown),
        cmocka_unit_test_setup_teardown(test_list_of_states_and_guard_order, setup_roles, teardown),
        cmocka_unit_test_setup_teardown(test_wildcard_rows, setup_roles, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_and_accepted, setup_roles, teardown),
        cmocka_unit_test_setup_teardown(test_transitions_in_file_order, setup_roles, teardown),
        cmocka_unit_test_setup_teardown(test_default_outgoing_call, setup_default, teardown),
        cmocka_unit_test_setup_teardown(test_default_incoming_call, setup_default, teardown),
        cmocka_unit_test(test_large_generated_table),
        cmocka_unit_test_setup_teardown(test_lookup_matches_transitions, setup_default, teardown),
        cmocka_unit_test(test_key_with_many_rows),
        cmocka_unit_test(test_state_with_many_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
