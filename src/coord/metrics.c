/* metrics: the metrics feature: fills the core's registry (the standard set) from the
 * engine's counts and observer (metrics_engine.c) and, at each scrape, from the SIP agent's
 * counters, the store (sessions by state, oldest age) and the engine's table versions; adds
 * the process metrics and the table-version families; with a store, its writer's queue, ops
 * and transaction times. Nothing without a registry
 * (metrics_off). */
#include "coord/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sc_coord_obs {
    sc_coord *coord;                  /* borrowed (owns us) */
    sc_obs_registry *reg;             /* the core's */
    sc_obs_std_metrics m;             /* the core's standard families (a copy of the pointers) */
    sc_obs_metric *version_sessions;  /* sessioncore_table_version_sessions{version,hash,current} */
    sc_obs_metric *versions_released; /* sessioncore_table_versions_released_total */
    sc_obs_metric *sessions_migrated; /* sessioncore_table_sessions_migrated_total */
    sc_obs_metric *sessions_retained; /* sessioncore_sessions_retained{state,role} */
    sc_obs_metric *unconfirmed_sends; /* sessioncore_sip_unconfirmed_sends_total */
    sc_obs_metric *sip_tx_active;     /* sessioncore_sip_transactions_active */
    sc_obs_metric *sip_tx_sources;    /* sessioncore_sip_transaction_sources */
    sc_obs_metric *sip_reclaims;      /* sessioncore_sip_memory_reclaims_total */
    sc_obs_metric *tls_handshakes;    /* sessioncore_sip_tls_handshakes_total */
    sc_obs_metric *tls_failures;      /* sessioncore_sip_tls_failures_total{reason} */
    sc_obs_metric *keepalives;        /* sessioncore_sip_keepalives_total{kind} */
    sc_coord_obs_engine *eng;         /* the engine observer (metrics_engine.c), owned */
} sc_coord_obs;

/* ---- Collectors (run at each scrape) ------------------------------------------------------- */

typedef struct age_ctx {
    sc_coord_obs *o;
    uint64_t now;
} age_ctx;

static int count_session(sc_session *s, void *ud)
{
    age_ctx *a = ud;
    const char *st = sc_session_state_name(s);
    /* live sessions in sessions_active; ended ones kept for their history in sessions_retained */
    bool ended = sc_coord__is_terminal(s);
    sc_obs_metric *m = ended ? a->o->sessions_retained : a->o->m.sessions_active;
    sc_obs_gauge *g = sc_obs_gauge_with(m, st ? st : "?", sc_role_name(sc_session_role(s)));
    if (g)
        sc_obs_gauge_inc(g);
    if (ended) /* the time in state of live sessions only: retention ends the others */
        return 0;
    uint64_t in = sc_session_state_entered_mono_us(s);
    double age = a->now > in ? (double)(a->now - in) / 1e6 : 0;
    sc_obs_gauge *og = sc_obs_gauge_with(a->o->m.oldest_session_age, st ? st : "?");
    if (og && age > og->value)
        sc_obs_gauge_set(og, age);
    return 0;
}

static void collect_sessions(void *ud, sc_obs_registry *r)
{
    sc_coord_obs *o = ud;
    sc_obs_gauge_reset_all(o->m.sessions_active);
    sc_obs_gauge_reset_all(o->sessions_retained);
    sc_obs_gauge_reset_all(o->m.oldest_session_age);
    age_ctx a = {.o = o, .now = sc_clock_mono_us(o->coord->clock)};
    sc_store_foreach(o->coord->store, count_session, &a);
}

static void set_counter(sc_obs_counter *c, uint64_t v)
{
    if (c && v > c->value)
        c->value = v;
}

/* The transaction table and what a flood left of it (src/sip/source_limit.c, reclaim.c). */
static void collect_sip_flood(sc_coord_obs *o, const sc_sip_stats *st)
{
    sc_obs_gauge *g = sc_obs_gauge_with(o->sip_tx_active);
    if (g)
        sc_obs_gauge_set(g, st->active_transactions);
    if ((g = sc_obs_gauge_with(o->sip_tx_sources)) != NULL)
        sc_obs_gauge_set(g, st->tx_sources);
    set_counter(sc_obs_counter_with(o->sip_reclaims), st->reclaims);
}

/* A store latency histogram from the writer's bucket counts (the same bounds: persist.h). */
static void set_store_histogram(sc_obs_histogram *h, const uint64_t *counts, double sum_s)
{
    uint32_t n = 0;
    const uint64_t *bounds_us = sc_persist_latency_bounds_us(&n);
    if (!h || h->nbounds != n)
        return;
    for (uint32_t i = 0; i < n; i++)
        if ((uint64_t)(h->bounds[i] * 1e6 + 0.5) != bounds_us[i])
            return;
    uint64_t total = 0;
    for (uint32_t i = 0; i <= n; i++) {
        h->counts[i] = counts[i];
        total += counts[i];
    }
    h->count = total;
    h->sum = sum_s;
}

/* The persistent store's writer (only with --store): queue depth, ops per kind and result,
 * transaction times of its batches (op "commit") and event-log prunes (op "prune"). */
static void collect_store(void *ud, sc_obs_registry *r)
{
    (void)r;
    sc_coord_obs *o = ud;
    sc_persist_health h;
    if (sc_coord_store_health(o->coord, &h, NULL) != 0)
        return;
    static const char *kinds[SC_PERSIST_OP_KINDS] = {"save",   "append",    "delete", "table",
                                                     "kv_put", "kv_delete", "prune"};
    sc_obs_gauge *g = sc_obs_gauge_with(o->m.store_queue_depth);
    if (g)
        sc_obs_gauge_set(g, (double)h.queue_depth);
    set_counter(sc_obs_counter_with(o->m.store_fenced_writes), h.fenced_writes);
    for (int k = 0; k < SC_PERSIST_OP_KINDS; k++) {
        set_counter(sc_obs_counter_with(o->m.store_operations, kinds[k], "ok"), h.ops_ok[k]);
        set_counter(sc_obs_counter_with(o->m.store_operations, kinds[k], "error"), h.ops_failed[k]);
    }
    set_store_histogram(sc_obs_histogram_with(o->m.store_duration, "commit"), h.commit_latency_counts,
                        h.commit_latency_sum_s);
    set_store_histogram(sc_obs_histogram_with(o->m.store_duration, "prune"), h.prune_latency_counts,
                        h.prune_latency_sum_s);
}

/* SIP over TLS (src/sip/tls.c): handshakes done, connections closed on an error by reason. */
static void collect_sip_tls(sc_coord_obs *o, const sc_sip_stats *st)
{
    set_counter(sc_obs_counter_with(o->tls_handshakes), st->tls_handshakes);
    for (int f = 0; f < SC_SIP_TLS_FAIL__COUNT; f++)
        set_counter(sc_obs_counter_with(o->tls_failures, sc_sip_tls_failure_name((sc_sip_tls_failure)f)),
                    st->tls_failures[f]);
    set_counter(sc_obs_counter_with(o->keepalives, "ping"), st->keepalive_pings);
    set_counter(sc_obs_counter_with(o->keepalives, "pong"), st->keepalive_pongs);
}

static void collect_sip(void *ud, sc_obs_registry *r)
{
    sc_coord_obs *o = ud;
    if (!o->coord->sip)
        return;
    sc_sip_stats st;
    sc_sip_get_stats(o->coord->sip, &st);
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
    set_counter(sc_obs_counter_with(o->unconfirmed_sends), st.unconfirmed_sends);
    collect_sip_flood(o, &st);
    collect_sip_tls(o, &st);
}

static void collect_table(void *ud, sc_obs_registry *r)
{
    sc_coord_obs *o = ud;
    sc_engine_reload_stats rs;
    sc_engine_get_reload_stats(o->coord->engine, &rs);
    set_counter(sc_obs_counter_with(o->m.table_reloads, "ok"), rs.reloads_ok);
    set_counter(sc_obs_counter_with(o->m.table_reloads, "unchanged"), rs.reloads_unchanged);
    set_counter(sc_obs_counter_with(o->m.table_reloads, "failed"), rs.reloads_failed);
    set_counter(sc_obs_counter_with(o->versions_released), rs.versions_released);
    set_counter(sc_obs_counter_with(o->sessions_migrated), rs.sessions_migrated);
    char ver[32];
    snprintf(ver, sizeof ver, "%llu", (unsigned long long)sc_engine_current_version(o->coord->engine));
    const char *vals[1] = {ver};
    sc_obs_info_set(o->m.table_version, vals);
    json_t *vs = NULL;
    sc_obs_gauge_reset_all(o->version_sessions);
    if (sc_engine_table_versions(o->coord->engine, &vs) != 0)
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

/* ---- Lifecycle ------------------------------------------------------------------------------ */

static int register_sip_flood(sc_coord_obs *o)
{
    sc_obs_desc a = {.type = SC_OBS_GAUGE,
                     .name = "sessioncore_sip_transactions_active",
                     .help = "SIP transactions alive (client and server, lingering ones included)"};
    int rc = sc_obs_register(o->reg, &a, &o->sip_tx_active);
    if (rc)
        return rc;
    sc_obs_desc s = {.type = SC_OBS_GAUGE,
                     .name = "sessioncore_sip_transaction_sources",
                     .help = "Source IPs holding live SIP server transactions (each limited by --sip-tx-per-source)"};
    if ((rc = sc_obs_register(o->reg, &s, &o->sip_tx_sources)) != 0)
        return rc;
    sc_obs_desc r = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_sip_memory_reclaims_total",
                     .help = "Times the SIP agent shrank its tables and gave freed heap back after a burst"};
    return sc_obs_register(o->reg, &r, &o->sip_reclaims);
}

static int register_sip_tls(sc_coord_obs *o)
{
    sc_obs_desc h = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_sip_tls_handshakes_total",
                     .help = "SIP over TLS handshakes completed, both ways"};
    int rc = sc_obs_register(o->reg, &h, &o->tls_handshakes);
    if (rc)
        return rc;
    sc_obs_desc f = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_sip_tls_failures_total",
                     .help = "SIP over TLS connections closed on an error, by reason (handshake, certificate, "
                             "plaintext, truncated, timeout, protocol)",
                     .labels = {"reason"}};
    if ((rc = sc_obs_register(o->reg, &f, &o->tls_failures)) != 0)
        return rc;
    sc_obs_desc k = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_sip_keepalives_total",
                     .help = "RFC 5626 keep-alives sent on SIP TCP/TLS connections: ping (ours, on a quiet connection "
                             "carrying a call), pong (our answer to a peer's ping)",
                     .labels = {"kind"}};
    return sc_obs_register(o->reg, &k, &o->keepalives);
}

static int register_extra(sc_coord_obs *o)
{
    sc_obs_desc k = {.type = SC_OBS_GAUGE,
                     .name = "sessioncore_sessions_retained",
                     .help = "Ended sessions kept for their history until their retention ends, by state and role",
                     .labels = {"state", "role"}};
    int rc = sc_obs_register(o->reg, &k, &o->sessions_retained);
    if (rc)
        return rc;
    sc_obs_desc u = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_sip_unconfirmed_sends_total",
                     .help = "Requests sent once, without retransmissions, to a remote target no request of "
                             "the dialog came from (the BYE after an unACKed 2xx)"};
    if ((rc = sc_obs_register(o->reg, &u, &o->unconfirmed_sends)) != 0)
        return rc;
    sc_obs_desc v = {.type = SC_OBS_GAUGE,
                     .name = "sessioncore_table_version_sessions",
                     .help = "Sessions running on each live state-table version",
                     .labels = {"version", "hash", "current"}};
    if ((rc = sc_obs_register(o->reg, &v, &o->version_sessions)) != 0)
        return rc;
    sc_obs_desc r = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_table_versions_released_total",
                     .help = "State-table versions freed after their last session ended"};
    if ((rc = sc_obs_register(o->reg, &r, &o->versions_released)) != 0)
        return rc;
    sc_obs_desc m = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_table_sessions_migrated_total",
                     .help = "Live sessions moved to a new state-table version by its migrate map"};
    return sc_obs_register(o->reg, &m, &o->sessions_migrated);
}

static int obs_new(sc_coord *coord, sc_coord_obs **out)
{
    sc_coord_obs *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->coord = coord;
    *out = o; /* freed by stop whatever happens next */
    o->reg = coord->reg;
    o->m = coord->std;
    int rc = sc_obs_process_register(o->reg, coord->clock);
    if (rc == 0)
        rc = register_extra(o);
    if (rc == 0)
        rc = register_sip_flood(o);
    if (rc == 0)
        rc = register_sip_tls(o);
    if (rc)
        return rc;
    if ((rc = sc_obs_registry_add_collector(o->reg, collect_sessions, o)) != 0 ||
        (rc = sc_obs_registry_add_collector(o->reg, collect_sip, o)) != 0 ||
        (rc = sc_obs_registry_add_collector(o->reg, collect_table, o)) != 0 ||
        (rc = sc_obs_registry_add_collector(o->reg, collect_store, o)) != 0)
        return rc;
    return sc_coord__obs_attach_engine(coord->engine, o->reg, coord->clock, &o->eng);
}

static void obs_free(sc_coord_obs *o)
{
    if (!o)
        return;
    sc_coord__obs_detach_engine(o->eng);
    free(o);
}

static int start(sc_coord *coord, const sc_coord_config *cfg)
{
    if (!coord->reg)
        return 0;
    sc_coord_obs *o = NULL;
    int rc = obs_new(coord, &o);
    coord->feat[SC_FEAT_METRICS] = o;
    return rc;
}

/* After every session is gone: what the engine counted since the last scrape is added. */
static void stop(sc_coord *coord)
{
    obs_free(coord->feat[SC_FEAT_METRICS]);
    coord->feat[SC_FEAT_METRICS] = NULL;
}

sc_obs_registry *sc_coord_metrics(sc_coord *coord) { return coord ? coord->reg : NULL; }

const sc_coord_feature sc_coord__feature_metrics = {
    .name = "metrics",
    .start = start,
    .stop = stop,
};
