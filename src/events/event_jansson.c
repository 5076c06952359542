/* event_jansson: the first JSON writer of events, one jansson object built and dumped per
 * event; kept as the reference the direct writer (event_json.c) is tested and benchmarked
 * against. */

#include <jansson.h>

#include "events/events_int.h"

static const char *role_name(int role)
{
    return role == SC_EVENT_ROLE_UAC ? "uac" : role == SC_EVENT_ROLE_UAS ? "uas" : NULL;
}

static json_t *iso_time(int64_t us)
{
    char buf[SC_TIME_ISO8601_MAX];
    sc_time_format_iso8601(buf, sizeof buf, us, 6);
    return json_string(buf);
}

static void set_str(json_t *o, const char *key, const char *v) { json_object_set_new(o, key, json_string(v)); }
static void set_int(json_t *o, const char *key, json_int_t v) { json_object_set_new(o, key, json_integer(v)); }

/* The type-specific fields, documented one shape per type in docs/events.md. */
static void payload_to_json(json_t *o, const sc_bus_event *ev)
{
    switch (ev->type) {
    case SC_EVT_StateChanged:
        set_str(o, "from", ev->u.state_changed.from);
        set_str(o, "event", ev->u.state_changed.event);
        set_str(o, "to", ev->u.state_changed.to);
        break;
    case SC_EVT_TransitionFailed:
        set_str(o, "kind", ev->u.transition_failed.kind);
        set_str(o, "event", ev->u.transition_failed.event);
        break;
    case SC_EVT_MediaStarted:
    case SC_EVT_MediaStopped:
        set_str(o, "codec", ev->u.media.codec);
        set_str(o, "remote", ev->u.media.remote);
        set_str(o, "reason", ev->u.media.reason);
        break;
    case SC_EVT_DtmfReceived: {
        char d[2] = {ev->u.dtmf.digit, '\0'};
        set_str(o, "digit", d);
        set_int(o, "duration_ms", ev->u.dtmf.duration_ms);
        break;
    }
    case SC_EVT_TransferProgress:
        set_str(o, "status", ev->u.transfer.status);
        set_int(o, "sip_code", ev->u.transfer.sip_code);
        set_int(o, "percent", ev->u.transfer.percent);
        break;
    case SC_EVT_BridgeCreated:
    case SC_EVT_BridgeEnded: set_str(o, "peer", ev->u.bridge.peer_id); break;
    case SC_EVT_SessionEnded:
        set_str(o, "outcome", ev->u.ended.outcome);
        set_int(o, "sip_cause", ev->u.ended.sip_cause);
        json_object_set_new(o, "duration_seconds", json_real((double)ev->u.ended.duration_us / 1e6));
        break;
    case SC_EVT_SessionReaped: set_str(o, "reason", ev->u.reaped.reason); break;
    case SC_EVT_TableReloaded:
        set_str(o, "version", ev->u.table.version);
        json_object_set_new(o, "ok", json_boolean(ev->u.table.ok));
        set_str(o, "error", ev->u.table.error);
        break;
    case SC_EVT_StoreHealthChanged:
        json_object_set_new(o, "ok", json_boolean(ev->u.store.ok));
        set_str(o, "reason", ev->u.store.reason);
        break;
    case SC_EVT_SubscriberReaped:
        set_str(o, "subscriber", ev->u.subscriber.name);
        set_str(o, "reason", ev->u.subscriber.reason);
        set_int(o, "dropped", (json_int_t)ev->u.subscriber.dropped);
        break;
    case SC_EVT_Gap:
        set_int(o, "from_seq", (json_int_t)ev->u.gap.from_seq);
        set_int(o, "to_seq", (json_int_t)ev->u.gap.to_seq);
        break;
    case SC_EVT_StreamReset:
        set_int(o, "epoch", (json_int_t)ev->u.reset.epoch);
        set_str(o, "reason", ev->u.reset.reason);
        break;
    case SC_EVT_App:
        set_str(o, "name", ev->u.app.name);
        set_str(o, "detail", ev->u.app.detail);
        break;
    default: break;
    }
}

char *sc_events__to_json_jansson(const sc_bus_event *ev)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    set_int(o, "seq", (json_int_t)ev->seq);
    set_str(o, "type", sc_bus_event_type_name(ev->type));
    json_object_set_new(o, "time", iso_time(ev->wall_us));
    set_int(o, "time_us", ev->wall_us);
    set_str(o, "priority", sc_bus_event_priority_name(ev->priority));
    if (ev->session_id[0])
        set_str(o, "session", ev->session_id);
    if (role_name(ev->role))
        set_str(o, "role", role_name(ev->role));
    if (ev->state[0])
        set_str(o, "state", ev->state);
    if (ev->uri[0])
        set_str(o, "uri", ev->uri);
    payload_to_json(o, ev);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
