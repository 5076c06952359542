/* api_obs: fills the standard metric set from the engine's observers (sessions created and
 * ended, transitions, durations, reaping) and, at each scrape, from the SIP agent's counters,
 * the store (sessions by state, oldest age) and the engine's table versions; it also owns the
 * init/free of the coordinator's operations parts (metrics, event bridge, limits). */
#include "api/api_obs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_events.h"
#include "api/api_limits.h"

#define OBS_OUTCOMES 4 /* sc_outcome values */

struct sc_api_obs {
    sc_api *api;                  /* borrowed (owns us) */
    sc_obs_registry *reg;         /* owned */
    sc_obs_std_metrics m;         /* families, owned by reg */
    sc_obs_metric *admission;     /* sessioncore_admission_rejected_total{reason,source} */
    sc_obs_metric *version_sessions; /* sessioncore_table_version_sessions{version,hash,current} */
    sc_obs_metric *versions_released; /* sessioncore_table_versions_released_total */
    int observer;                 /* engine observer handle, -1 if none */
    sc_obs_counter **trans;       /* cache: [event id * OBS_OUTCOMES + outcome] */
    size_t ntrans;                /* slots in trans */
    sc_obs_counter *failed[OBS_OUTCOMES]; /* transitions_failed{kind} by outcome */
    sc_obs_counter *created[2];   /* sessions_total{role} */
    sc_obs_histogram *duration[2], *setup[2]; /* by role */
    sc_obs_histogram *trans_time; /* transition_duration_seconds */
};

sc_obs_std_metrics *sc_api_obs_std(sc_api_obs *o) { return o ? &o->m : NULL; }

static int role_ix(const sc_session *s) { return sc_session_role(s) == SC_ROLE_UAS ? 1 : 0; }

static bool terminal(const sc_session *s, sc_id state)
{
    const sc_state_info *si = sc_table_state(sc_session_table(s), state);
    return si && si->terminal;
}

/* The cached transitions{event, outcome} child (looked up once per pair). */
static sc_obs_counter *trans_counter(sc_api_obs *o, const sc_session *s, sc_id event, sc_outcome oc)
{
    size_t ix = (size_t)event * OBS_OUTCOMES + (size_t)oc;
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
    sc_api_obs *o = ud;
    if (o->created[role_ix(s)])
        sc_obs_counter_inc(o->created[role_ix(s)]);
}

static void on_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    sc_api_obs *o = ud;
    sc_outcome oc = rec->outcome < OBS_OUTCOMES ? rec->outcome : SC_OUTCOME_NOT_ACCEPTED;
    sc_obs_counter *c = trans_counter(o, s, rec->event, oc);
    if (c)
        sc_obs_counter_inc(c);
    if (oc != SC_OUTCOME_TAKEN && o->failed[oc])
        sc_obs_counter_inc(o->failed[oc]);
    uint64_t us = 0;
    for (unsigned i = 0; i < rec->nactions; i++)
        us += rec->actions[i].duration_us;
    if (o->trans_time)
        sc_obs_histogram_observe(o->trans_time, (double)us / 1e6);
    if (oc == SC_OUTCOME_TAKEN && !terminal(s, rec->from) && terminal(s, rec->to)) {
        const char *outcome = sc_session_outcome(s);
        sc_obs_counter *e = sc_obs_counter_with(o->m.sessions_ended, sc_role_name(sc_session_role(s)),
                                                outcome ? outcome : "none");
        if (e)
            sc_obs_counter_inc(e);
        uint64_t now = sc_clock_mono_us(o->api->clock), born = sc_session_created_mono_us(s);
        if (o->duration[role_ix(s)])
            sc_obs_histogram_observe(o->duration[role_ix(s)], now > born ? (double)(now - born) / 1e6 : 0);
    }
}

static void on_publish(void *ud, sc_session *s, const char *name, int priority)
{
    sc_api_obs *o = ud;
    if (strcmp(name, "CallEstablished") != 0 || !o->setup[role_ix(s)])
        return;
    uint64_t now = sc_clock_mono_us(o->api->clock), born = sc_session_created_mono_us(s);
    sc_obs_histogram_observe(o->setup[role_ix(s)], now > born ? (double)(now - born) / 1e6 : 0);
}

static void on_removed(void *ud, sc_session *s, const char *reason)
{
    sc_api_obs *o = ud;
    if (reason && !strcmp(reason, "shutdown"))
        return;
    sc_obs_counter *c = sc_obs_counter_with(o->m.sessions_reaped, reason ? reason : "unknown");
    if (c)
        sc_obs_counter_inc(c);
}

/* ---- Collectors (run at each scrape) ------------------------------------------------------- */

typedef struct age_ctx {
    sc_api_obs *o;
    uint64_t now;
} age_ctx;

static int count_session(sc_session *s, void *ud)
{
    age_ctx *a = ud;
    const char *st = sc_session_state_name(s);
    sc_obs_gauge *g = sc_obs_gauge_with(a->o->m.sessions_active, st ? st : "?", sc_role_name(sc_session_role(s)));
    if (g)
        sc_obs_gauge_inc(g);
    uint64_t in = sc_session_state_entered_mono_us(s);
    double age = a->now > in ? (double)(a->now - in) / 1e6 : 0;
    sc_obs_gauge *og = sc_obs_gauge_with(a->o->m.oldest_session_age, st ? st : "?");
    if (og && age > og->value)
        sc_obs_gauge_set(og, age);
    return 0;
}

static void collect_sessions(void *ud, sc_obs_registry *r)
{
    sc_api_obs *o = ud;
    sc_obs_gauge_reset_all(o->m.sessions_active);
    sc_obs_gauge_reset_all(o->m.oldest_session_age);
    age_ctx a = {.o = o, .now = sc_clock_mono_us(o->api->clock)};
    sc_store_foreach(o->api->store, count_session, &a);
}

static void set_counter(sc_obs_counter *c, uint64_t v)
{
    if (c && v > c->value)
        c->value = v;
}

static void collect_sip(void *ud, sc_obs_registry *r)
{
    sc_api_obs *o = ud;
    if (!o->api->sip)
        return;
    sc_sip_stats st;
    sc_sip_get_stats(o->api->sip, &st);
    static const char *cls[7] = {"", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx"};
    for (int m = 0; m < SC_SIP_M__COUNT; m++) {
        if (st.requests_in[m])
            set_counter(sc_obs_counter_with(o->m.sip_messages, "in", sc_sip_method_name((sc_sip_method)m), "request"),
                        st.requests_in[m]);
        if (st.requests_out[m])
            set_counter(sc_obs_counter_with(o->m.sip_messages, "out", sc_sip_method_name((sc_sip_method)m), "request"),
                        st.requests_out[m]);
    }
    for (int c = 1; c < 7; c++) {
        if (st.responses_in[c])
            set_counter(sc_obs_counter_with(o->m.sip_messages, "in", "any", cls[c]), st.responses_in[c]);
        if (st.responses_out[c])
            set_counter(sc_obs_counter_with(o->m.sip_messages, "out", "any", cls[c]), st.responses_out[c]);
    }
    set_counter(sc_obs_counter_with(o->m.sip_retransmissions, "out", "any"), st.retransmissions_sent);
    set_counter(sc_obs_counter_with(o->m.sip_retransmissions, "in", "any"), st.retransmissions_absorbed);
    for (int j = 0; j < SC_SIP_REJ__COUNT; j++)
        if (st.rejected[j])
            set_counter(sc_obs_counter_with(o->m.sip_malformed, sc_sip_reject_name((sc_sip_reject)j)), st.rejected[j]);
}

static void collect_table(void *ud, sc_obs_registry *r)
{
    sc_api_obs *o = ud;
    sc_engine_reload_stats rs;
    sc_engine_get_reload_stats(o->api->engine, &rs);
    set_counter(sc_obs_counter_with(o->m.table_reloads, "ok"), rs.reloads_ok);
    set_counter(sc_obs_counter_with(o->m.table_reloads, "unchanged"), rs.reloads_unchanged);
    set_counter(sc_obs_counter_with(o->m.table_reloads, "failed"), rs.reloads_failed);
    set_counter(sc_obs_counter_with(o->versions_released), rs.versions_released);
    char ver[32];
    snprintf(ver, sizeof ver, "%llu", (unsigned long long)sc_engine_current_version(o->api->engine));
    const char *vals[1] = {ver};
    sc_obs_info_set(o->m.table_version, vals);
    json_t *vs = NULL;
    sc_obs_gauge_reset_all(o->version_sessions);
    if (sc_engine_table_versions(o->api->engine, &vs) != 0)
        return;
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) {
        snprintf(ver, sizeof ver, "%lld", (long long)json_integer_value(json_object_get(v, "version")));
        const char *hash = json_string_value(json_object_get(v, "hash"));
        sc_obs_gauge *g = sc_obs_gauge_with(o->version_sessions, ver, hash ? hash : "",
                                            json_is_true(json_object_get(v, "current")) ? "true" : "false");
        if (g)
            sc_obs_gauge_set(g, (double)json_integer_value(json_object_get(v, "sessions")));
    }
    json_decref(vs);
}

/* ---- Hooks ---------------------------------------------------------------------------------- */

void sc_api_obs_admission_rejected(sc_api_obs *o, const char *reason, const char *source)
{
    if (!o)
        return;
    sc_obs_counter *c = sc_obs_counter_with(o->admission, reason, source);
    if (c)
        sc_obs_counter_inc(c);
}

void sc_api_obs_store_op(sc_api_obs *o, const char *op, bool ok, double seconds)
{
    if (!o)
        return;
    sc_obs_counter *c = sc_obs_counter_with(o->m.store_operations, op, ok ? "ok" : "error");
    if (c)
        sc_obs_counter_inc(c);
    sc_obs_histogram *h = sc_obs_histogram_with(o->m.store_duration, op);
    if (h)
        sc_obs_histogram_observe(h, seconds);
}

void sc_api_obs_store_queue(sc_api_obs *o, size_t depth)
{
    if (o)
        sc_obs_gauge_set(sc_obs_gauge_with(o->m.store_queue_depth), (double)depth);
}

/* ---- Lifecycle ------------------------------------------------------------------------------ */

static int register_extra(sc_api_obs *o)
{
    sc_obs_desc d = {.type = SC_OBS_COUNTER, .name = "sessioncore_admission_rejected_total",
                     .help = "New sessions refused by admission control, by limit and source (sip, api)",
                     .labels = {"reason", "source"}};
    int rc = sc_obs_register(o->reg, &d, &o->admission);
    if (rc)
        return rc;
    sc_obs_desc v = {.type = SC_OBS_GAUGE, .name = "sessioncore_table_version_sessions",
                     .help = "Sessions running on each live state-table version",
                     .labels = {"version", "hash", "current"}};
    if ((rc = sc_obs_register(o->reg, &v, &o->version_sessions)) != 0)
        return rc;
    sc_obs_desc r = {.type = SC_OBS_COUNTER, .name = "sessioncore_table_versions_released_total",
                     .help = "State-table versions freed after their last session ended"};
    return sc_obs_register(o->reg, &r, &o->versions_released);
}

static int obs_new(sc_api *api, sc_api_obs **out)
{
    sc_api_obs *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->api = api;
    o->observer = -1;
    *out = o; /* freed by obs_free whatever happens next */
    int rc = sc_obs_registry_new(&o->reg);
    if (rc == 0)
        rc = sc_obs_std_metrics_new(o->reg, &o->m);
    if (rc == 0)
        rc = sc_obs_process_register(o->reg, api->clock);
    if (rc == 0)
        rc = register_extra(o);
    if (rc)
        return rc;
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
    if ((rc = sc_obs_registry_add_collector(o->reg, collect_sessions, o)) != 0 ||
        (rc = sc_obs_registry_add_collector(o->reg, collect_sip, o)) != 0 ||
        (rc = sc_obs_registry_add_collector(o->reg, collect_table, o)) != 0)
        return rc;
    sc_engine_observer ob = {.on_session_created = on_created, .on_transition = on_transition,
                             .on_publish = on_publish, .on_session_removed = on_removed, .ud = o};
    rc = sc_engine_add_observer(api->engine, &ob);
    if (rc < 0)
        return rc;
    o->observer = rc;
    return 0;
}

static void obs_free(sc_api_obs *o)
{
    if (!o)
        return;
    if (o->observer >= 0)
        sc_engine_remove_observer(o->api->engine, o->observer);
    sc_obs_registry_free(o->reg);
    free(o->trans);
    free(o);
}

int sc_api__ops_init(sc_api *api, const sc_api_config *cfg)
{
    int rc = obs_new(api, &api->obs);
    if (rc == 0)
        rc = sc_api__events_new(api, cfg);
    if (rc == 0)
        rc = sc_api__limits_new(api, cfg);
    return rc;
}

void sc_api__ops_free(sc_api *api)
{
    sc_api__limits_free(api);
    sc_api__events_free(api);
    obs_free(api->obs);
    api->obs = NULL;
}

sc_obs_registry *sc_api_metrics(sc_api *api) { return api && api->obs ? api->obs->reg : NULL; }
