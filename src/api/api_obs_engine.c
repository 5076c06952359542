/* api_obs_engine: the engine-side metrics (sessions created, ended and reaped, transitions by
 * event and outcome, failed transitions, transition time, session duration, call setup time),
 * one engine observer on a bare sc_engine filling the standard families of a registry; used by
 * sc_api (api_obs.c) and by the transition benchmark. */
#include "api/api_obs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define OBS_OUTCOMES 4 /* sc_outcome values */

struct sc_api_obs_engine {
    sc_engine *engine;            /* borrowed */
    const sc_clock *clock;        /* borrowed */
    sc_obs_std_metrics m;         /* families, owned by the registry */
    int observer;                 /* engine observer handle, -1 if none */
    sc_obs_counter **trans;       /* cache: [event id * OBS_OUTCOMES + outcome] */
    size_t ntrans;                /* slots in trans */
    sc_obs_counter *failed[OBS_OUTCOMES]; /* transitions_failed{kind} by outcome */
    sc_obs_counter *created[2];   /* sessions_total{role} */
    sc_obs_histogram *duration[2], *setup[2]; /* by role */
    sc_obs_histogram *trans_time; /* transition_duration_seconds */
};

static int role_ix(const sc_session *s) { return sc_session_role(s) == SC_ROLE_UAS ? 1 : 0; }

static bool terminal(const sc_session *s, sc_id state)
{
    const sc_state_info *si = sc_table_state(sc_session_table(s), state);
    return si && si->terminal;
}

static double seconds_since(const sc_api_obs_engine *o, const sc_session *s)
{
    uint64_t now = sc_clock_mono_us(o->clock), born = sc_session_created_mono_us(s);
    return now > born ? (double)(now - born) / 1e6 : 0;
}

/* The transitions{event, outcome} child of a pair seen for the first time: grows the cache
 * and looks the child up (once per pair; the hot path reads the cache inline). */
__attribute__((noinline)) static sc_obs_counter *trans_counter_new(sc_api_obs_engine *o, const sc_session *s,
                                                                   sc_id event, unsigned oc)
{
    size_t ix = (size_t)event * OBS_OUTCOMES + oc;
    if (ix >= o->ntrans) {
        size_t n = (ix + 1) * 2;
        sc_obs_counter **t = realloc(o->trans, n * sizeof *t);
        if (!t)
            return NULL;
        memset(t + o->ntrans, 0, (n - o->ntrans) * sizeof *t);
        o->trans = t;
        o->ntrans = n;
    }
    if (!o->trans[ix]) {
        static const char *names[OBS_OUTCOMES] = {"ok", "not_accepted", "guards_failed", "action_failed"};
        const char *ev = sc_vocab_name(sc_table_vocab(sc_session_table(s)), SC_VOCAB_EVENT, event);
        o->trans[ix] = sc_obs_counter_with(o->m.transitions, ev ? ev : "?", names[oc]);
    }
    return o->trans[ix];
}

static void on_created(void *ud, sc_session *s)
{
    sc_api_obs_engine *o = ud;
    if (o->created[role_ix(s)])
        sc_obs_counter_inc(o->created[role_ix(s)]);
}

__attribute__((noinline)) static void on_ended(sc_api_obs_engine *o, sc_session *s)
{
    const char *outcome = sc_session_outcome(s);
    sc_obs_counter *e = sc_obs_counter_with(o->m.sessions_ended, sc_role_name(sc_session_role(s)),
                                            outcome ? outcome : "none");
    if (e)
        sc_obs_counter_inc(e);
    if (o->duration[role_ix(s)])
        sc_obs_histogram_observe(o->duration[role_ix(s)], seconds_since(o, s));
}

/* Per dispatch run, so kept short: a cached counter, the failure counter, the histogram of
 * the run's action time, and the terminal-state check only for a taken row that moves. */
static void on_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    sc_api_obs_engine *o = ud;
    unsigned oc = rec->outcome < OBS_OUTCOMES ? (unsigned)rec->outcome : SC_OUTCOME_NOT_ACCEPTED;
    size_t ix = (size_t)rec->event * OBS_OUTCOMES + oc;
    sc_obs_counter *c = ix < o->ntrans && o->trans[ix] ? o->trans[ix] : trans_counter_new(o, s, rec->event, oc);
    if (c)
        sc_obs_counter_inc(c);
    if (oc != SC_OUTCOME_TAKEN && o->failed[oc])
        sc_obs_counter_inc(o->failed[oc]);
    uint64_t us = 0;
    for (unsigned i = 0; i < rec->nactions; i++)
        us += rec->actions[i].duration_us;
    if (o->trans_time)
        sc_obs_histogram_observe(o->trans_time, (double)us / 1e6);
    if (oc == SC_OUTCOME_TAKEN && rec->from != rec->to && terminal(s, rec->to) && !terminal(s, rec->from))
        on_ended(o, s);
}

/* name == "CallEstablished", inline: most published names differ within the first bytes. */
static bool is_call_established(const char *name)
{
    static const char want[] = "CallEstablished";
    for (size_t i = 0; i < sizeof want; i++)
        if (name[i] != want[i])
            return false;
    return true;
}

static void on_publish(void *ud, sc_session *s, const char *name, int priority)
{
    sc_api_obs_engine *o = ud;
    if (!is_call_established(name) || !o->setup[role_ix(s)])
        return;
    sc_obs_histogram_observe(o->setup[role_ix(s)], seconds_since(o, s));
}

static void on_removed(void *ud, sc_session *s, const char *reason)
{
    sc_api_obs_engine *o = ud;
    if (reason && !strcmp(reason, "shutdown"))
        return;
    sc_obs_counter *c = sc_obs_counter_with(o->m.sessions_reaped, reason ? reason : "unknown");
    if (c)
        sc_obs_counter_inc(c);
}

/* The standard families of reg: registered now unless reg already has them. */
static int std_families(sc_obs_registry *reg, sc_obs_std_metrics *m)
{
    if (!sc_obs_registry_find(reg, "sessioncore_transitions_total"))
        return sc_obs_std_metrics_new(reg, m);
#define SC_OBS_STD_FIND(field, type, name, ...)         \
    if (!(m->field = sc_obs_registry_find(reg, name))) \
        return -EINVAL;
    SC_OBS_STD_METRICS(SC_OBS_STD_FIND)
#undef SC_OBS_STD_FIND
    return 0;
}

/* The children updated on every event, looked up once. */
static void cache_children(sc_api_obs_engine *o)
{
    static const char *roles[2] = {"uac", "uas"};
    for (int i = 0; i < 2; i++) {
        o->created[i] = sc_obs_counter_with(o->m.sessions_created, roles[i]);
        o->duration[i] = sc_obs_histogram_with(o->m.session_duration, roles[i]);
        o->setup[i] = sc_obs_histogram_with(o->m.call_setup, roles[i]);
    }
    o->failed[SC_OUTCOME_NOT_ACCEPTED] = sc_obs_counter_with(o->m.transitions_failed, "not_accepted");
    o->failed[SC_OUTCOME_GUARDS_FAILED] = sc_obs_counter_with(o->m.transitions_failed, "guards_failed");
    o->failed[SC_OUTCOME_ACTION_FAILED] = sc_obs_counter_with(o->m.transitions_failed, "action_failed");
    o->trans_time = sc_obs_histogram_with(o->m.transition_duration);
}

int sc_api__obs_attach_engine(sc_engine *e, sc_obs_registry *reg, const sc_clock *clock, sc_api_obs_engine **out)
{
    if (!e || !reg || !out)
        return -EINVAL;
    sc_api_obs_engine *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->engine = e;
    o->clock = clock ? clock : sc_clock_system();
    o->observer = -1;
    int rc = std_families(reg, &o->m);
    if (rc) {
        free(o);
        return rc;
    }
    cache_children(o);
    sc_engine_observer ob = {.on_session_created = on_created, .on_transition = on_transition,
                             .on_publish = on_publish, .on_session_removed = on_removed, .ud = o};
    rc = sc_engine_add_observer(e, &ob);
    if (rc < 0) {
        free(o);
        return rc;
    }
    o->observer = rc;
    *out = o;
    return 0;
}

void sc_api__obs_detach_engine(sc_api_obs_engine *o)
{
    if (!o)
        return;
    if (o->observer >= 0)
        sc_engine_remove_observer(o->engine, o->observer);
    free(o->trans);
    free(o);
}

const sc_obs_std_metrics *sc_api__obs_engine_std(const sc_api_obs_engine *o) { return o ? &o->m : NULL; }
