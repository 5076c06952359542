/* event: event type and priority names, event construction and reading the JSON wire format
 * back (event_json.c writes it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "session_core/events.h"

static const char *const type_names[] = {
#define SC_EVENT_TYPE_NAME(name, prio) #name,
    SC_EVENT_TYPES(SC_EVENT_TYPE_NAME)
#undef SC_EVENT_TYPE_NAME
};

static const sc_priority type_prios[] = {
#define SC_EVENT_TYPE_PRIO(name, prio) SC_PRIO_##prio,
    SC_EVENT_TYPES(SC_EVENT_TYPE_PRIO)
#undef SC_EVENT_TYPE_PRIO
};

const char *sc_bus_event_type_name(sc_bus_event_type t) { return (unsigned)t < SC_EVT__COUNT ? type_names[t] : "?"; }

int sc_bus_event_type_parse(const char *name, sc_bus_event_type *out)
{
    for (int i = 0; name && i < SC_EVT__COUNT; i++)
        if (strcmp(name, type_names[i]) == 0) {
            *out = (sc_bus_event_type)i;
            return 0;
        }
    return -EINVAL;
}

sc_priority sc_bus_event_type_default_priority(sc_bus_event_type t)
{
    return (unsigned)t < SC_EVT__COUNT ? type_prios[t] : SC_PRIO_NORMAL;
}

const char *sc_bus_event_priority_name(int p)
{
    switch (p) {
    case SC_PRIO_LOW: return "low";
    case SC_PRIO_NORMAL: return "normal";
    case SC_PRIO_CRITICAL: return "critical";
    case SC_BUS_PRIO_DEFAULT: return "default";
    default: return "?";
    }
}

int sc_bus_event_priority_parse(const char *name, sc_priority *out)
{
    static const sc_priority all[] = {SC_PRIO_LOW, SC_PRIO_NORMAL, SC_PRIO_CRITICAL};
    for (size_t i = 0; name && i < 3; i++)
        if (strcmp(name, sc_bus_event_priority_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return -EINVAL;
}

void sc_bus_event_strcpy(char *dst, size_t cap, const char *src)
{
    if (!cap)
        return;
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void sc_bus_event_init(sc_bus_event *ev, sc_bus_event_type type, const char *session_id, int role, const char *state)
{
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->priority = SC_BUS_PRIO_DEFAULT;
    ev->role = role;
    sc_bus_event_strcpy(ev->session_id, sizeof ev->session_id, session_id);
    sc_bus_event_strcpy(ev->state, sizeof ev->state, state);
}

static void get_str(json_t *o, const char *key, char *dst, size_t cap)
{
    sc_bus_event_strcpy(dst, cap, json_string_value(json_object_get(o, key)));
}

static int64_t get_int(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

static void payload_from_json(json_t *o, sc_bus_event *ev)
{
    switch (ev->type) {
    case SC_EVT_StateChanged:
        get_str(o, "from", ev->u.state_changed.from, sizeof ev->u.state_changed.from);
        get_str(o, "event", ev->u.state_changed.event, sizeof ev->u.state_changed.event);
        get_str(o, "to", ev->u.state_changed.to, sizeof ev->u.state_changed.to);
        break;
    case SC_EVT_TransitionFailed:
        get_str(o, "kind", ev->u.transition_failed.kind, sizeof ev->u.transition_failed.kind);
        get_str(o, "event", ev->u.transition_failed.event, sizeof ev->u.transition_failed.event);
        break;
    case SC_EVT_MediaStarted:
    case SC_EVT_MediaStopped:
        get_str(o, "codec", ev->u.media.codec, sizeof ev->u.media.codec);
        get_str(o, "remote", ev->u.media.remote, sizeof ev->u.media.remote);
        get_str(o, "reason", ev->u.media.reason, sizeof ev->u.media.reason);
        break;
    case SC_EVT_DtmfReceived: {
        const char *d = json_string_value(json_object_get(o, "digit"));
        ev->u.dtmf.digit = d ? d[0] : '\0';
        ev->u.dtmf.duration_ms = (int)get_int(o, "duration_ms");
        break;
    }
    case SC_EVT_TransferProgress:
        get_str(o, "status", ev->u.transfer.status, sizeof ev->u.transfer.status);
        ev->u.transfer.sip_code = (int)get_int(o, "sip_code");
        ev->u.transfer.percent = (int)get_int(o, "percent");
        break;
    case SC_EVT_BridgeCreated:
    case SC_EVT_BridgeEnded: get_str(o, "peer", ev->u.bridge.peer_id, sizeof ev->u.bridge.peer_id); break;
    case SC_EVT_SessionEnded:
        get_str(o, "outcome", ev->u.ended.outcome, sizeof ev->u.ended.outcome);
        ev->u.ended.sip_cause = (int)get_int(o, "sip_cause");
        ev->u.ended.duration_us = (int64_t)(json_number_value(json_object_get(o, "duration_seconds")) * 1e6 + 0.5);
        break;
    case SC_EVT_SessionReaped: get_str(o, "reason", ev->u.reaped.reason, sizeof ev->u.reaped.reason); break;
    case SC_EVT_TableReloaded:
        get_str(o, "version", ev->u.table.version, sizeof ev->u.table.version);
        ev->u.table.ok = json_is_true(json_object_get(o, "ok"));
        get_str(o, "error", ev->u.table.error, sizeof ev->u.table.error);
        break;
    case SC_EVT_StoreHealthChanged:
        ev->u.store.ok = json_is_true(json_object_get(o, "ok"));
        get_str(o, "reason", ev->u.store.reason, sizeof ev->u.store.reason);
        break;
    case SC_EVT_SubscriberReaped:
        get_str(o, "subscriber", ev->u.subscriber.name, sizeof ev->u.subscriber.name);
        get_str(o, "reason", ev->u.subscriber.reason, sizeof ev->u.subscriber.reason);
        ev->u.subscriber.dropped = (uint64_t)get_int(o, "dropped");
        break;
    case SC_EVT_Gap:
        ev->u.gap.from_seq = (uint64_t)get_int(o, "from_seq");
        ev->u.gap.to_seq = (uint64_t)get_int(o, "to_seq");
        break;
    case SC_EVT_StreamReset:
        ev->u.reset.epoch = (uint64_t)get_int(o, "epoch");
        get_str(o, "reason", ev->u.reset.reason, sizeof ev->u.reset.reason);
        break;
    case SC_EVT_App:
        get_str(o, "name", ev->u.app.name, sizeof ev->u.app.name);
        get_str(o, "detail", ev->u.app.detail, sizeof ev->u.app.detail);
        break;
    default: break;
    }
}

int sc_bus_event_from_json(const char *json, sc_bus_event *out)
{
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return -EINVAL;
    }
    sc_bus_event ev;
    memset(&ev, 0, sizeof ev);
    int rc = sc_bus_event_type_parse(json_string_value(json_object_get(o, "type")), &ev.type);
    if (rc == 0 && !json_is_integer(json_object_get(o, "seq")))
        rc = -EINVAL;
    if (rc == 0) {
        ev.seq = (uint64_t)get_int(o, "seq");
        ev.wall_us = get_int(o, "time_us");
        sc_priority prio;
        ev.priority = sc_bus_event_priority_parse(json_string_value(json_object_get(o, "priority")), &prio) == 0
                          ? (int)prio
                          : SC_BUS_PRIO_DEFAULT;
        const char *role = json_string_value(json_object_get(o, "role"));
        ev.role = role && strcmp(role, "uac") == 0   ? SC_EVENT_ROLE_UAC
                  : role && strcmp(role, "uas") == 0 ? SC_EVENT_ROLE_UAS
                                                     : SC_EVENT_ROLE_NONE;
        get_str(o, "session", ev.session_id, sizeof ev.session_id);
        get_str(o, "state", ev.state, sizeof ev.state);
        get_str(o, "uri", ev.uri, sizeof ev.uri);
        payload_from_json(o, &ev);
        *out = ev;
    }
    json_decref(o);
    return rc;
}
