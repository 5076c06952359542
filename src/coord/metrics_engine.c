/* metrics_engine: the engine-side metrics (sessions created, ended and reaped, transitions by
 * event and outcome, failed transitions, transition time, session duration, call setup time)
 * filling the standard families of a registry: the per-run figures from the engine's own
 * counts (sc_engine_metrics_get) at scrape time by a registry collector, the per-session ones
 * (created, ended, CallEstablished, removed) from engine observer callbacks; used by sc_coord
 * (obs.c) and by the transition benchmark. */
#include "coord/metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define OBS_OUTCOMES SC_ENGINE_OUTCOMES

struct sc_coord_obs_engine {
    sc_engine *engine;                          /* borrowed */
    sc_obs_registry *reg;                       /* borrowed (our collector is registered there) */
    const sc_clock *clock;                      /* borrowed */
    sc_obs_std_metrics m;                       /* families, owned by the registry */
    int observer;                               /* engine observer handle, -1 if none */
    bool collecting;                            /* collector registered */
    sc_obs_counter **trans;                     /* cache: [event id * OBS_OUTCOMES + outcome] */
    uint64_t *seen;                             /* engine counts already added: same index as trans */
    size_t ntrans;                              /* slots in trans and seen */
    uint64_t seen_time[SC_ENGINE_TIME_BUCKETS]; /* engine run-time buckets already added */
    uint64_t seen_time_us;                      /* and their sum */
    uint32_t time_slot[SC_ENGINE_TIME_BUCKETS]; /* registry bucket of each engine bucket */
    sc_obs_counter *failed[OBS_OUTCOMES];       /* transitions_failed{kind} by outcome */
    sc_obs_counter *created[2];                 /* sessions_total{role} */
    sc_obs_histogram *duration[2], *setup[2];   /* by role */
    sc_obs_histogram *trans_time;               /* transition_duration_seconds */
};

static int role_ix(const sc_session *s) { return sc_session_role(s) == SC_ROLE_UAS ? 1 : 0; }

static double seconds_since(const sc_coord_obs_engine *o, const sc_session *s)
{
    uint64_t now = sc_clock_mono_us(o->clock), born = sc_session_created_mono_us(s);
    return now > born ? (double)(now - born) / 1e6 : 0;
}

/* ---- Per-run figures: folded in from the engine's counts ------------------------------------ */

/* Grow trans/seen to n slots (zeroed). 0 or -ENOMEM. */
static int grow(sc_coord_obs_engine *o, size_t n)
{
    if (n <= o->ntrans)
        return 0;
    sc_obs_counter **t = realloc(o->trans, n * sizeof *t);
    if (t)
        o->trans = t;
    uint64_t *v = t ? realloc(o->seen, n * sizeof *v) : NULL;
    if (!v)
        return -ENOMEM;
    o->seen = v;
    memset(t + o->ntrans, 0, (n - o->ntrans) * sizeof *t);
    memset(v + o->ntrans, 0, (n - o->ntrans) * sizeof *v);
    o->ntrans = n;
    return 0;
}

/* The transitions{event, outcome} child of slot ix, looked up on first use. */
static sc_obs_counter *trans_counter(sc_coord_obs_engine *o, size_t ix)
{
    if (!o->trans[ix]) {
        static const char *names[OBS_OUTCOMES] = {"ok", "not_accepted", "guards_failed", "action_failed"};
        const char *ev = sc_vocab_name(sc_engine_vocab(o->engine), SC_VOCAB_EVENT, (sc_id)(ix / OBS_OUTCOMES));
        o->trans[ix] = sc_obs_counter_with(o->m.transitions, ev ? ev : "?", names[ix % OBS_OUTCOMES]);
    }
    return o->trans[ix];
}

/* Add what the engine counted since the last fold: transitions{event,outcome},
 * transitions_failed{kind} and the transition-time histogram. */
static void fold(sc_coord_obs_engine *o)
{
    const sc_engine_metrics *em = sc_engine_metrics_get(o->engine);
    size_t n = em->nevents * OBS_OUTCOMES;
    if (grow(o, n) != 0)
        return;
    for (size_t ix = 0; ix < n; ix++) {
        uint64_t d = em->transitions[ix] - o->seen[ix];
        if (!d)
            continue;
        o->seen[ix] = em->transitions[ix];
        sc_obs_counter *c = trans_counter(o, ix);
        if (c)
            sc_obs_counter_add(c, d);
        if (o->failed[ix % OBS_OUTCOMES])
            sc_obs_counter_add(o->failed[ix % OBS_OUTCOMES], d);
    }
    sc_obs_histogram *h = o->trans_time;
    for (unsigned b = 0; b < SC_ENGINE_TIME_BUCKETS; b++) {
        uint64_t d = em->time_buckets[b] - o->seen_time[b];
        o->seen_time[b] = em->time_buckets[b];
        if (h && d) {
            h->counts[o->time_slot[b]] += d;
            h->count += d;
        }
    }
    if (h)
        h->sum += (double)(em->time_sum_us - o->seen_time_us) / 1e6;
    o->seen_time_us = em->time_sum_us;
}

static void collect(void *ud, sc_obs_registry *r)
{
    (void)r;
    fold(ud);
}

/* Start from the engine's counts as they are now (what ran before attaching is not ours);
 * map each engine bucket to the registry bucket holding its upper bound. */
static int baseline(sc_coord_obs_engine *o)
{
    const sc_engine_metrics *em = sc_engine_metrics_get(o->engine);
    if (grow(o, em->nevents * OBS_OUTCOMES) != 0)
        return -ENOMEM;
    memcpy(o->seen, em->transitions, em->nevents * OBS_OUTCOMES * sizeof *o->seen);
    memcpy(o->seen_time, em->time_buckets, sizeof o->seen_time);
    o->seen_time_us = em->time_sum_us;
    const sc_obs_histogram *h = o->trans_time;
    for (unsigned b = 0; h && b < SC_ENGINE_TIME_BUCKETS; b++) {
        uint32_t i = h->nbounds; /* +Inf */
        if (b + 1 < SC_ENGINE_TIME_BUCKETS) {
            double upper = (double)(1ull << b) / 1e6;
            for (i = 0; i < h->nbounds && h->bounds[i] < upper * (1 - 1e-9); i++)
                ;
        }
        o->time_slot[b] = i;
    }
    return 0;
}

/* ---- Per-session figures: observer callbacks (once or twice per session) -------------------- */

static void on_created(void *ud, sc_session *s)
{
    sc_coord_obs_engine *o = ud;
    if (o->created[role_ix(s)])
        sc_obs_counter_inc(o->created[role_ix(s)]);
}

static void on_ended(void *ud, sc_session *s)
{
    sc_coord_obs_engine *o = ud;
    const char *outcome = sc_session_outcome(s);
    sc_obs_counter *e = sc_obs_counter_with(o->m.sessions_ended, sc_role_name(sc_session_role(s)),
                                            outcome ? outcome : "none");
    if (e)
        sc_obs_counter_inc(e);
    if (o->duration[role_ix(s)])
        sc_obs_histogram_observe(o->duration[role_ix(s)], seconds_since(o, s));
}

/* Only CallEstablished reaches here (publish_only). */
static void on_publish(void *ud, sc_session *s, const char *name, int priority)
{
    sc_coord_obs_engine *o = ud;
    (void)name;
    (void)priority;
    if (o->setup[role_ix(s)])
        sc_obs_histogram_observe(o->setup[role_ix(s)], seconds_since(o, s));
}

static void on_removed(void *ud, sc_session *s, const char *reason)
{
    sc_coord_obs_engine *o = ud;
    if (reason && !strcmp(reason, "shutdown"))
        return;
    sc_obs_counter *c = sc_obs_counter_with(o->m.sessions_reaped, reason ? reason : "unknown");
    if (c)
        sc_obs_counter_inc(c);
}

/* ---- Attach / detach ---------------------------------------------------------------------- */

/* The standard families of reg: registered now unless reg already has them. */
static int std_families(sc_obs_registry *reg, sc_obs_std_metrics *m)
{
    if (!sc_obs_registry_find(reg, "sessioncore_transitions_total"))
        return sc_obs_std_metrics_new(reg, m);
#define SC_OBS_STD_FIND(field, type, name, ...)        \
    if (!(m->field = sc_obs_registry_find(reg, name))) \
        return -EINVAL;
    SC_OBS_STD_METRICS(SC_OBS_STD_FIND)
#undef SC_OBS_STD_FIND
    return 0;
}

/* The children every fold or session touches, looked up once. */
static void cache_children(sc_coord_obs_engine *o)
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

int sc_coord__obs_attach_engine(sc_engine *e, sc_obs_registry *reg, const sc_clock *clock, sc_coord_obs_engine **out)
{
    if (!e || !reg || !out)
        return -EINVAL;
    sc_coord_obs_engine *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->engine = e;
    o->reg = reg;
    o->clock = clock ? clock : sc_clock_system();
    o->observer = -1;
    int rc = std_families(reg, &o->m);
    if (rc == 0) {
        cache_children(o);
        rc = baseline(o);
    }
    if (rc == 0 && (rc = sc_obs_registry_add_collector(reg, collect, o)) == 0)
        o->collecting = true;
    if (rc == 0) {
        sc_engine_observer ob = {.on_session_created = on_created,
                                 .on_session_ended = on_ended,
                                 .on_publish = on_publish,
                                 .publish_only = "CallEstablished",
                                 .on_session_removed = on_removed,
                                 .ud = o};
        rc = sc_engine_add_observer(e, &ob);
        if (rc >= 0) {
            o->observer = rc;
            rc = 0;
        }
    }
    if (rc) {
        sc_coord__obs_detach_engine(o);
        return rc;
    }
    *out = o;
    return 0;
}

void sc_coord__obs_detach_engine(sc_coord_obs_engine *o)
{
    if (!o)
        return;
    if (o->collecting) {
        fold(o); /* what ran since the last scrape */
        sc_obs_registry_remove_collector(o->reg, collect, o);
    }
    if (o->observer >= 0)
        sc_engine_remove_observer(o->engine, o->observer);
    free(o->trans);
    free(o->seen);
    free(o);
}

const sc_obs_std_metrics *sc_coord__obs_engine_std(const sc_coord_obs_engine *o) { return o ? &o->m : NULL; }
