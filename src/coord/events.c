/* events: the event-bus feature: turns engine observations into bus events, reaps idle subscribers on a loop
 * timer, keeps each subscriber name's drop totals across unsubscribes, and exports the bus's
 * metrics (published, drops, subscribers, reaped) at each scrape. */
#include "coord/coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/events.h"

#define REAP_INTERVAL_MS 250
#define RETIRED_MAX 64 /* subscriber names whose drop totals are kept */

typedef struct retired {
    char name[SC_EVENT_ID_MAX];
    uint64_t dropped[SC_EVENTS_DROP_REASONS];
} retired;

typedef struct sc_coord_events sc_coord_events;

struct sc_coord_events {
    sc_coord *coord;           /* borrowed */
    sc_events_bus *bus;        /* owned */
    sc_events_sub *reaped_sub; /* our callback on SubscriberReaped */
    uv_timer_t timer;          /* idle reaping */
    bool timer_open;
    sc_obs_counter *published[SC_EVT__COUNT];
    retired retired[RETIRED_MAX];
    size_t nretired;
    sc_obs_metric *lag_events;  /* sessioncore_event_subscriber_lag_events{subscriber} */
    sc_obs_metric *lag_seconds; /* sessioncore_event_subscriber_lag_seconds{subscriber} */
    int store_ok;               /* the store's health last seen: 1 up, 0 down, -1 no store yet */
};

static int ev_role(const sc_session *s)
{
    return sc_session_role(s) == SC_ROLE_UAS ? SC_EVENT_ROLE_UAS : SC_EVENT_ROLE_UAC;
}

static void publish(sc_coord_events *e, sc_bus_event *ev)
{
    if (sc_events_publish(e->bus, ev, NULL) == 0 && ev->type < SC_EVT__COUNT && e->published[ev->type])
        sc_obs_counter_inc(e->published[ev->type]);
}

/* An event about s with its id, role, state and remote URI filled in. */
static void init_for(sc_bus_event *ev, sc_bus_event_type type, const sc_session *s)
{
    sc_bus_event_init(ev, type, sc_session_id(s), ev_role(s), sc_session_state_name(s));
    sc_bus_event_strcpy(ev->uri, sizeof ev->uri, sc_session_field(s, SC_FIELD_REMOTE_URI));
}

static const char *state_name(const sc_session *s, sc_id st)
{
    const sc_state_info *si = sc_table_state(sc_session_table(s), st);
    return si ? si->name : "?";
}

static void on_created(sc_coord *c, sc_session *s)
{
    sc_coord_events *e = sc_coord__feat(c, SC_FEAT_EVENTS);
    if (!e)
        return;
    sc_bus_event ev;
    init_for(&ev, SC_EVT_SessionCreated, s);
    publish(e, &ev);
}

/* ---- Typed events from what a run did: DTMF, transfer progress, media, bridges ------------------ */

#define TOLD_MEDIA 0x1u  /* MediaStarted published, no MediaStopped yet */
#define TOLD_BRIDGE 0x2u /* BridgeCreated published, no BridgeEnded yet */

/* A transfer's state as the bus shows it: status and percentage from the engine event and its
 * SIP code (the sipfrag status of a NOTIFY, or the transfer call's response). */
static void transfer_status(sc_id event, int code, const char **status, int *percent)
{
    if (event == SC_EV_TransferAccepted) {
        *status = "accepted", *percent = 10;
    } else if (event == SC_EV_TransferSucceeded) {
        *status = "succeeded", *percent = 100;
    } else if (event == SC_EV_TransferFailed) {
        *status = "failed", *percent = 100;
    } else if (code < 180) {
        *status = "trying", *percent = 25;
    } else if (code == 180 || code == 183) {
        *status = "ringing", *percent = 50;
    } else {
        *status = code < 200 ? "progress" : code < 300 ? "succeeded" : "failed";
        *percent = code < 200 ? 50 : 100;
    }
}

static void publish_media(sc_coord_events *e, sc_session *s, sc_bus_event_type type, const char *reason)
{
    sc_bus_event ev;
    init_for(&ev, type, s);
    sc_bus_event_strcpy(ev.u.media.codec, sizeof ev.u.media.codec, sc_session_field(s, SC_FIELD_CODEC));
    sc_bus_event_strcpy(ev.u.media.remote, sizeof ev.u.media.remote, sc_session_field(s, SC_FIELD_REMOTE_RTP));
    sc_bus_event_strcpy(ev.u.media.reason, sizeof ev.u.media.reason, reason);
    publish(e, &ev);
}

static void publish_bridge(sc_coord_events *e, sc_session *s, sc_bus_event_type type)
{
    sc_bus_event ev;
    init_for(&ev, type, s);
    sc_bus_event_strcpy(ev.u.bridge.peer_id, sizeof ev.u.bridge.peer_id, sc_session_field(s, SC_FIELD_PEER_ID));
    publish(e, &ev);
}

/* The media and bridge actions of a run that succeeded, in order; each change told once. */
static void publish_actions(sc_coord_events *e, sc_session *s, sc_coord_leg *leg, const sc_history_record *rec,
                            const char *evname)
{
    for (unsigned i = 0; i < rec->nactions && i < SC_HISTORY_MAX_ACTIONS; i++) {
        if (rec->actions[i].result != 0)
            continue;
        sc_id a = rec->actions[i].id;
        if (a == SC_ACTION_StartMedia && !(leg->bus_told & TOLD_MEDIA)) {
            leg->bus_told |= TOLD_MEDIA;
            publish_media(e, s, SC_EVT_MediaStarted, evname);
        } else if (a == SC_ACTION_StopMedia && (leg->bus_told & TOLD_MEDIA)) {
            leg->bus_told &= (uint8_t)~TOLD_MEDIA;
            publish_media(e, s, SC_EVT_MediaStopped, "stopped");
        } else if ((a == SC_ACTION_BridgeMedia || a == SC_ACTION_BridgeEarlyMedia) && !(leg->bus_told & TOLD_BRIDGE)) {
            leg->bus_told |= TOLD_BRIDGE;
            publish_bridge(e, s, SC_EVT_BridgeCreated);
        } else if (a == SC_ACTION_UnbridgeMedia && (leg->bus_told & TOLD_BRIDGE)) {
            leg->bus_told &= (uint8_t)~TOLD_BRIDGE;
            publish_bridge(e, s, SC_EVT_BridgeEnded);
        }
    }
}

/* What the run says beyond its transition: a digit, a transfer's progress (whatever the table
 * does with them), media and bridges started and ended (by the actions that do it, an RTP
 * timeout, or the end of the session). */
static void publish_typed(sc_coord_events *e, sc_session *s, const sc_history_record *rec, const char *evname)
{
    sc_bus_event ev;
    if (rec->event == SC_EV_DtmfReceived && rec->event_text[0]) {
        init_for(&ev, SC_EVT_DtmfReceived, s);
        ev.u.dtmf.digit = rec->event_text[0];
        ev.u.dtmf.duration_ms = rec->event_code;
        publish(e, &ev);
    } else if (rec->event == SC_EV_TransferAccepted || rec->event == SC_EV_TransferProgress ||
               rec->event == SC_EV_TransferSucceeded || rec->event == SC_EV_TransferFailed) {
        const char *status;
        int percent;
        transfer_status(rec->event, rec->event_code, &status, &percent);
        init_for(&ev, SC_EVT_TransferProgress, s);
        sc_bus_event_strcpy(ev.u.transfer.status, sizeof ev.u.transfer.status, status);
        ev.u.transfer.sip_code = rec->event_code;
        ev.u.transfer.percent = percent;
        publish(e, &ev);
    }
    sc_coord_leg *leg = sc_coord__leg(s);
    if (!leg)
        return;
    if (rec->event == SC_EV_RtpTimeout && (leg->bus_told & TOLD_MEDIA)) {
        leg->bus_told &= (uint8_t)~TOLD_MEDIA;
        publish_media(e, s, SC_EVT_MediaStopped, "timeout");
    }
    publish_actions(e, s, leg, rec, evname);
    if (rec->outcome == SC_OUTCOME_TAKEN && sc_coord__entered_terminal(s, rec)) {
        if (leg->bus_told & TOLD_BRIDGE)
            publish_bridge(e, s, SC_EVT_BridgeEnded);
        if (leg->bus_told & TOLD_MEDIA)
            publish_media(e, s, SC_EVT_MediaStopped, "ended");
        leg->bus_told = 0;
    }
}

static void on_transition(sc_coord *c, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    sc_coord_events *e = sc_coord__feat(c, SC_FEAT_EVENTS);
    if (!e)
        return;
    const char *evname = sc_vocab_name(sc_table_vocab(sc_session_table(s)), SC_VOCAB_EVENT, rec->event);
    sc_bus_event ev;
    if (rec->outcome != SC_OUTCOME_TAKEN) {
        init_for(&ev, SC_EVT_TransitionFailed, s);
        sc_bus_event_strcpy(ev.u.transition_failed.kind, sizeof ev.u.transition_failed.kind,
                            sc_outcome_name(rec->outcome));
        sc_bus_event_strcpy(ev.u.transition_failed.event, sizeof ev.u.transition_failed.event, evname);
        publish(e, &ev);
        publish_typed(e, s, rec, evname);
        return;
    }
    if (rec->from != rec->to) {
        init_for(&ev, SC_EVT_StateChanged, s);
        sc_bus_event_strcpy(ev.u.state_changed.from, sizeof ev.u.state_changed.from, state_name(s, rec->from));
        sc_bus_event_strcpy(ev.u.state_changed.event, sizeof ev.u.state_changed.event, evname);
        sc_bus_event_strcpy(ev.u.state_changed.to, sizeof ev.u.state_changed.to, state_name(s, rec->to));
        publish(e, &ev);
    }
    publish_typed(e, s, rec, evname); /* after the state it brought, before the session's end */
    if (rec->from != rec->to && sc_coord__entered_terminal(s, rec)) {
        init_for(&ev, SC_EVT_SessionEnded, s);
        const char *oc = sc_session_outcome(s);
        sc_bus_event_strcpy(ev.u.ended.outcome, sizeof ev.u.ended.outcome, oc ? oc : "none");
        ev.u.ended.sip_cause = rec->event_code;
        uint64_t now = sc_clock_mono_us(e->coord->clock), born = sc_session_created_mono_us(s);
        ev.u.ended.duration_us = now > born ? (int64_t)(now - born) : 0;
        publish(e, &ev);
    }
}

static void on_publish(sc_coord *c, sc_session *s, const char *name, int priority)
{
    sc_coord_events *e = sc_coord__feat(c, SC_FEAT_EVENTS);
    if (!e)
        return;
    sc_bus_event ev;
    if (!strcmp(name, "DtmfReceived")) {
        return; /* the typed DtmfReceived, with its digit, is published for every digit */
    } else if (!strcmp(name, "CallEstablished")) {
        init_for(&ev, SC_EVT_CallEstablished, s);
    } else if (!strcmp(name, "CallHeld")) {
        init_for(&ev, SC_EVT_HoldStarted, s);
    } else if (!strcmp(name, "CallResumed")) {
        init_for(&ev, SC_EVT_HoldEnded, s);
    } else {
        init_for(&ev, SC_EVT_App, s);
        sc_bus_event_strcpy(ev.u.app.name, sizeof ev.u.app.name, name);
    }
    /* an sc_priority, or -1 = the type's default (the bus's SC_BUS_PRIO_DEFAULT) */
    if (priority >= SC_PRIO_LOW && priority <= SC_PRIO_CRITICAL)
        ev.priority = priority;
    publish(e, &ev);
}

static void on_removed(sc_coord *c, sc_session *s, const char *reason)
{
    sc_coord_events *e = sc_coord__feat(c, SC_FEAT_EVENTS);
    if (!e)
        return;
    if (reason && !strcmp(reason, "shutdown"))
        return;
    sc_coord_leg *leg = sc_coord__leg(s);
    if (leg && (leg->bus_told & TOLD_BRIDGE)) /* removed before its end (killed) */
        publish_bridge(e, s, SC_EVT_BridgeEnded);
    if (leg && (leg->bus_told & TOLD_MEDIA))
        publish_media(e, s, SC_EVT_MediaStopped, "ended");
    if (leg)
        leg->bus_told = 0;
    sc_bus_event ev;
    init_for(&ev, SC_EVT_SessionReaped, s);
    sc_bus_event_strcpy(ev.u.reaped.reason, sizeof ev.u.reaped.reason, reason ? reason : "unknown");
    publish(e, &ev);
}

static void table_reloaded(sc_coord *coord, bool ok, const char *version, const char *error)
{
    if (!sc_coord__feat(coord, SC_FEAT_EVENTS))
        return;
    sc_bus_event ev;
    sc_bus_event_init(&ev, SC_EVT_TableReloaded, NULL, SC_EVENT_ROLE_NONE, NULL);
    sc_bus_event_strcpy(ev.u.table.version, sizeof ev.u.table.version, version);
    ev.u.table.ok = ok;
    sc_bus_event_strcpy(ev.u.table.error, sizeof ev.u.table.error, error);
    publish(sc_coord__feat(coord, SC_FEAT_EVENTS), &ev);
}

/* ---- Subscriber metrics ---------------------------------------------------------------------- */

static void on_sub_reaped(void *ud, const sc_bus_event *ev)
{
    sc_coord_events *e = ud;
    sc_obs_std_metrics *m = (e->coord->reg ? &e->coord->std : NULL);
    sc_obs_counter *c = m ? sc_obs_counter_with(m->subscribers_reaped, ev->u.subscriber.reason) : NULL;
    if (c)
        sc_obs_counter_inc(c);
    if (e->published[SC_EVT_SubscriberReaped]) /* the bus published it itself */
        sc_obs_counter_inc(e->published[SC_EVT_SubscriberReaped]);
}

static retired *retired_for(sc_coord_events *e, const char *name)
{
    for (size_t i = 0; i < e->nretired; i++)
        if (!strcmp(e->retired[i].name, name))
            return &e->retired[i];
    if (e->nretired == RETIRED_MAX)
        return NULL;
    retired *r = &e->retired[e->nretired++];
    sc_bus_event_strcpy(r->name, sizeof r->name, name);
    memset(r->dropped, 0, sizeof r->dropped);
    return r;
}

typedef struct drop_ctx {
    sc_coord_events *e;
    uint64_t live[RETIRED_MAX][SC_EVENTS_DROP_REASONS];
    unsigned nsubs;
} drop_ctx;

static void add_live(void *ud, sc_events_sub *sub)
{
    drop_ctx *d = ud;
    sc_events_sub_stats st;
    sc_events_sub_stats_get(sub, &st);
    if (sub == d->e->reaped_sub)
        return;
    if (!st.closed) {
        d->nsubs++;
        /* the worst subscription of each name: how far behind the bus it is */
        sc_obs_gauge *g = d->e->lag_events ? sc_obs_gauge_with(d->e->lag_events, sc_events_sub_name(sub)) : NULL;
        if (g && (double)st.lag_events > g->value)
            sc_obs_gauge_set(g, (double)st.lag_events);
        g = d->e->lag_seconds ? sc_obs_gauge_with(d->e->lag_seconds, sc_events_sub_name(sub)) : NULL;
        if (g && st.lag_seconds > g->value)
            sc_obs_gauge_set(g, st.lag_seconds);
    }
    retired *r = retired_for(d->e, sc_events_sub_name(sub));
    if (!r)
        return;
    for (int k = 0; k < SC_EVENTS_DROP_REASONS; k++)
        d->live[r - d->e->retired][k] += st.dropped[k];
}

static void collect_bus(void *ud, sc_obs_registry *reg)
{
    sc_coord_events *e = ud;
    sc_obs_std_metrics *m = (e->coord->reg ? &e->coord->std : NULL);
    if (!m)
        return;
    drop_ctx *d = calloc(1, sizeof *d);
    if (!d)
        return;
    d->e = e;
    if (e->lag_events)
        sc_obs_gauge_reset_all(e->lag_events);
    if (e->lag_seconds)
        sc_obs_gauge_reset_all(e->lag_seconds);
    sc_events_foreach_sub(e->bus, add_live, d);
    sc_obs_gauge_set(sc_obs_gauge_with(m->event_subscribers), d->nsubs);
    for (size_t i = 0; i < e->nretired; i++)
        for (int k = 0; k < SC_EVENTS_DROP_REASONS; k++) {
            uint64_t v = e->retired[i].dropped[k] + d->live[i][k];
            if (!v)
                continue;
            sc_obs_counter *c = sc_obs_counter_with(m->event_drops, e->retired[i].name,
                                                    sc_events_drop_reason_name((sc_events_drop_reason)k));
            if (c && v > c->value)
                c->value = v;
        }
    free(d);
}

/* The per-subscriber lag gauges (filled by collect_bus at each scrape). */
static int register_lag(sc_coord_events *e, sc_obs_registry *reg)
{
    sc_obs_desc d = {.type = SC_OBS_GAUGE,
                     .name = "sessioncore_event_subscriber_lag_events",
                     .help = "Events published that a subscriber has not consumed yet (its worst "
                             "subscription of that name)",
                     .labels = {"subscriber"}};
    int rc = sc_obs_register(reg, &d, &e->lag_events);
    if (rc)
        return rc;
    d.name = "sessioncore_event_subscriber_lag_seconds";
    d.help = "Age of the oldest event waiting in a subscriber's queue (its worst subscription of that name)";
    return sc_obs_register(reg, &d, &e->lag_seconds);
}

/* ---- Public subscription API ------------------------------------------------------------------ */

sc_events_bus *sc_coord_events_bus(sc_coord *coord)
{
    return coord && coord->feat[SC_FEAT_EVENTS] ? ((sc_coord_events *)coord->feat[SC_FEAT_EVENTS])->bus : NULL;
}

int sc_coord_subscribe(sc_coord *coord, const sc_events_sub_cfg *cfg, const uint64_t *since, sc_events_sub **out)
{
    sc_coord_events *e = sc_coord__feat(coord, SC_FEAT_EVENTS);
    if (!e || !cfg || !out)
        return -EINVAL;
    if (since)
        return sc_events_subscribe_from(e->bus, cfg, *since, out);
    return sc_events_subscribe(e->bus, cfg, out);
}

int sc_coord_subscribe_resume(sc_coord *coord, const sc_events_sub_cfg *cfg, uint64_t epoch, uint64_t last_seq,
                              sc_events_sub **out)
{
    sc_coord_events *e = sc_coord__feat(coord, SC_FEAT_EVENTS);
    if (!e || !cfg || !out)
        return -EINVAL;
    return sc_events_subscribe_resume(e->bus, cfg, epoch, last_seq, out);
}

void sc_coord_unsubscribe(sc_coord *coord, sc_events_sub *sub)
{
    if (!sub)
        return;
    sc_coord_events *e = sc_coord__feat(coord, SC_FEAT_EVENTS);
    if (e) {
        sc_events_sub_stats st;
        sc_events_sub_stats_get(sub, &st);
        retired *r = retired_for(e, sc_events_sub_name(sub));
        for (int k = 0; r && k < SC_EVENTS_DROP_REASONS; k++)
            r->dropped[k] += st.dropped[k];
    }
    sc_events_unsubscribe(sub);
}

/* ---- Lifecycle ------------------------------------------------------------------------------- */

/* StoreHealthChanged: the writer's connection went down or came back (seen at each tick). */
static void check_store(sc_coord_events *e)
{
    sc_persist_health h;
    const char *backend = NULL;
    if (sc_coord_store_health(e->coord, &h, &backend) != 0) {
        e->store_ok = -1;
        return;
    }
    int ok = h.connected ? 1 : 0;
    if (e->store_ok == ok || (e->store_ok < 0 && ok)) { /* an open store starts up: nothing to say */
        e->store_ok = ok;
        return;
    }
    e->store_ok = ok;
    sc_bus_event ev;
    sc_bus_event_init(&ev, SC_EVT_StoreHealthChanged, NULL, SC_EVENT_ROLE_NONE, NULL);
    ev.u.store.ok = ok;
    char reason[SC_EVENT_TEXT_MAX];
    if (ok)
        snprintf(reason, sizeof reason, "%.16s: connected", backend ? backend : "store");
    else
        snprintf(reason, sizeof reason, "%.16s: %.120s", backend ? backend : "store",
                 h.last_error_msg[0] ? h.last_error_msg : sc_strerror(h.last_error));
    sc_bus_event_strcpy(ev.u.store.reason, sizeof ev.u.store.reason, reason);
    publish(e, &ev);
}

static void on_reap_timer(uv_timer_t *t)
{
    sc_coord_events *e = t->data;
    sc_events_reap_idle(e->bus);
    check_store(e);
}

static void on_timer_closed(uv_handle_t *h)
{
    sc_coord_events *e = h->data;
    e->coord->closing_handles--;
    free(e);
}

static int start(sc_coord *coord, const sc_coord_config *cfg)
{
    sc_coord_events *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    e->coord = coord;
    e->store_ok = -1;
    coord->feat[SC_FEAT_EVENTS] = e;
    sc_events_bus_cfg bc = {.clock = coord->clock,
                            .ring_capacity = cfg->events_ring,
                            .idle_limit_us = (uint64_t)cfg->events_idle_ms * 1000};
    int rc = sc_events_bus_new(&e->bus, &bc);
    if (rc)
        return rc;
    sc_obs_std_metrics *m = (coord->reg ? &coord->std : NULL);
    for (int t = 0; m && t < SC_EVT__COUNT; t++)
        e->published[t] = sc_obs_counter_with(m->events_published, sc_bus_event_type_name((sc_bus_event_type)t));
    sc_events_sub_cfg sc = {.name = "sessiond-metrics",
                            .callback = on_sub_reaped,
                            .ud = e,
                            .filter = {.types = SC_EVENT_BIT(SC_EVT_SubscriberReaped)}};
    if ((rc = sc_events_subscribe(e->bus, &sc, &e->reaped_sub)) != 0)
        return rc;
    if (coord->reg && (rc = register_lag(e, coord->reg)) != 0)
        return rc;
    if (coord->reg && (rc = sc_obs_registry_add_collector(coord->reg, collect_bus, e)) != 0)
        return rc;
    uv_timer_init(coord->loop, &e->timer);
    e->timer.data = e;
    e->timer_open = true;
    uv_timer_start(&e->timer, on_reap_timer, REAP_INTERVAL_MS, REAP_INTERVAL_MS);
    uv_unref((uv_handle_t *)&e->timer);
    return 0;
}

/* The bus goes (subscriptions still open become invalid); the timer closes in the loop runs
 * of sc_coord_free. */
static void stop(sc_coord *coord)
{
    sc_coord_events *e = sc_coord__feat(coord, SC_FEAT_EVENTS);
    if (!e)
        return;
    coord->feat[SC_FEAT_EVENTS] = NULL;
    sc_events_unsubscribe(e->reaped_sub);
    sc_events_bus_free(e->bus);
    if (!e->timer_open) {
        free(e);
        return;
    }
    coord->closing_handles++;
    uv_close((uv_handle_t *)&e->timer, on_timer_closed);
}

const sc_coord_feature sc_coord__feature_events = {
    .name = "events",
    .start = start,
    .stop = stop,
    .on_created = on_created,
    .on_transition = on_transition,
    .on_publish = on_publish,
    .on_removed = on_removed,
    .table_reloaded = table_reloaded,
};
