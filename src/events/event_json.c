/* event_json: writes an event's JSON wire format (docs/events.md) straight into a buffer, no
 * allocation: the same document as the jansson reference (event_jansson.c), key for key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events_int.h"

/* Worst case of a document: every string field at its longest, each byte written as a
 * 6-byte escape, plus keys, numbers and the time (generously bounded by 512). */
#define PAYLOAD_STR_MAX (SC_EVENT_NAME_MAX + SC_EVENT_TEXT_MAX) /* App, TableReloaded */
#define WORST_STRINGS (SC_EVENT_ID_MAX + SC_EVENT_URI_MAX + SC_EVENT_NAME_MAX + PAYLOAD_STR_MAX)
#define WORST_DOC (512 + 6 * WORST_STRINGS)
_Static_assert(WORST_DOC <= SC_BUS_EVENT_JSON_MAX, "SC_BUS_EVENT_JSON_MAX too small");
_Static_assert(3 * SC_EVENT_NAME_MAX <= PAYLOAD_STR_MAX && SC_EVENT_ID_MAX + SC_EVENT_NAME_MAX <= PAYLOAD_STR_MAX &&
                   SC_EVENT_TEXT_MAX <= PAYLOAD_STR_MAX,
               "a payload has more string bytes than PAYLOAD_STR_MAX");

#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    char *t = tmp + sizeof tmp;
    while (v >= 100) {
        t -= 2;
        memcpy(t, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        t -= 2;
        memcpy(t, digit_pairs + 2 * v, 2);
    } else
        *--t = (char)('0' + v);
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(p, t, n);
    return p + n;
}

static char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

/* v in [0, 10^width) with leading zeros. */
static char *put_fixed(char *p, unsigned v, int width)
{
    int i = width;
    while (i >= 2) {
        i -= 2;
        memcpy(p + i, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (i)
        p[0] = (char)('0' + v % 10);
    return p + width;
}

/* A fixed field (it stops at its NUL or its size) as a JSON string; at most 2 + 6 * cap bytes. */
static char *put_str(char *p, const char *s, size_t cap)
{
    size_t len = strnlen(s, cap);
    return p + sc_json_quote(p, SC_JSON_QUOTED_MAX(len), s, len);
}

#define STR_FIELD(p, key, field) put_str(LIT((p), ",\"" key "\":"), (field), sizeof(field))

/* The "YYYY-MM-DDTHH:MM:SS" of the last second formatted, per thread. */
static _Thread_local struct {
    int64_t secs;
    char text[19];
} time_cache = {-1, {0}};

#define TIME_FAST_END INT64_C(253402300800000000) /* 10000-01-01T00:00:00Z in µs */

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC) of microseconds since the epoch, as
 * sc_time_format_iso8601 writes it; within years 1970-9999 the date and time of day come from
 * the cache, which that function fills once a second. At most 2 + SC_TIME_ISO8601_MAX bytes. */
static char *put_time(char *p, int64_t us)
{
    *p++ = '"';
    if (us < 0 || us >= TIME_FAST_END) {
        p += sc_time_format_iso8601(p, SC_TIME_ISO8601_MAX, us, 6);
        *p++ = '"';
        return p;
    }
    int64_t secs = us / 1000000;
    if (secs != time_cache.secs) {
        char text[SC_TIME_ISO8601_MAX];
        sc_time_format_iso8601(text, sizeof text, us, 0); /* "YYYY-MM-DDTHH:MM:SSZ" */
        memcpy(time_cache.text, text, sizeof time_cache.text);
        time_cache.secs = secs;
    }
    memcpy(p, time_cache.text, sizeof time_cache.text);
    p += sizeof time_cache.text;
    *p++ = '.';
    p = put_fixed(p, (unsigned)(us % 1000000), 6);
    *p++ = 'Z';
    *p++ = '"';
    return p;
}

/* Microseconds as a JSON real number of seconds: the exact decimal, trailing zeros dropped, at
 * least one fractional digit ("12.5", "3.0"). It parses to the same double as us / 1e6 when
 * |us| < 2^53 (both are the correctly rounded value of the same rational); beyond, the
 * reference's %.17g. At most 32 bytes. */
static char *put_seconds(char *p, int64_t us)
{
    const int64_t exact = INT64_C(1) << 53;
    if (us <= -exact || us >= exact) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%.17g", (double)us / 1e6);
        char *e = strchr(buf, 'e');
        if (!e && !strchr(buf, '.')) {
            memcpy(p, buf, (size_t)n);
            return LIT(p + n, ".0");
        }
        if (e) { /* jansson: "1e+20" -> "1e20", "1e-07" -> "1e-7" */
            size_t head = (size_t)(e + 1 - buf);
            memcpy(p, buf, head);
            p += head;
            const char *x = e + 1;
            if (*x == '+')
                x++;
            else if (*x == '-')
                *p++ = *x++;
            while (*x == '0' && x[1])
                x++;
            size_t tail = strlen(x);
            memcpy(p, x, tail);
            return p + tail;
        }
        memcpy(p, buf, (size_t)n);
        return p + n;
    }
    uint64_t a = us < 0 ? (uint64_t)-us : (uint64_t)us;
    if (us < 0)
        *p++ = '-';
    p = put_u64(p, a / 1000000);
    *p++ = '.';
    unsigned f = (unsigned)(a % 1000000);
    int width = 6;
    while (width > 1 && f % 10 == 0) {
        f /= 10;
        width--;
    }
    return put_fixed(p, f, width);
}

static char *put_bool(char *p, bool v) { return v ? LIT(p, "true") : LIT(p, "false"); }

/* The type-specific fields, in the reference's order. */
static char *put_payload(char *p, const sc_bus_event *ev)
{
    switch (ev->type) {
    case SC_EVT_StateChanged:
        p = STR_FIELD(p, "from", ev->u.state_changed.from);
        p = STR_FIELD(p, "event", ev->u.state_changed.event);
        return STR_FIELD(p, "to", ev->u.state_changed.to);
    case SC_EVT_TransitionFailed:
        p = STR_FIELD(p, "kind", ev->u.transition_failed.kind);
        return STR_FIELD(p, "event", ev->u.transition_failed.event);
    case SC_EVT_MediaStarted:
    case SC_EVT_MediaStopped:
        p = STR_FIELD(p, "codec", ev->u.media.codec);
        p = STR_FIELD(p, "remote", ev->u.media.remote);
        return STR_FIELD(p, "reason", ev->u.media.reason);
    case SC_EVT_DtmfReceived: {
        char d[2] = {ev->u.dtmf.digit, '\0'};
        p = STR_FIELD(p, "digit", d);
        return put_i64(LIT(p, ",\"duration_ms\":"), ev->u.dtmf.duration_ms);
    }
    case SC_EVT_TransferProgress:
        p = STR_FIELD(p, "status", ev->u.transfer.status);
        p = put_i64(LIT(p, ",\"sip_code\":"), ev->u.transfer.sip_code);
        return put_i64(LIT(p, ",\"percent\":"), ev->u.transfer.percent);
    case SC_EVT_BridgeCreated:
    case SC_EVT_BridgeEnded: return STR_FIELD(p, "peer", ev->u.bridge.peer_id);
    case SC_EVT_SessionEnded:
        p = STR_FIELD(p, "outcome", ev->u.ended.outcome);
        p = put_i64(LIT(p, ",\"sip_cause\":"), ev->u.ended.sip_cause);
        return put_seconds(LIT(p, ",\"duration_seconds\":"), ev->u.ended.duration_us);
    case SC_EVT_SessionReaped: return STR_FIELD(p, "reason", ev->u.reaped.reason);
    case SC_EVT_TableReloaded:
        p = STR_FIELD(p, "version", ev->u.table.version);
        p = put_bool(LIT(p, ",\"ok\":"), ev->u.table.ok);
        return STR_FIELD(p, "error", ev->u.table.error);
    case SC_EVT_StoreHealthChanged:
        p = put_bool(LIT(p, ",\"ok\":"), ev->u.store.ok);
        return STR_FIELD(p, "reason", ev->u.store.reason);
    case SC_EVT_SubscriberReaped:
        p = STR_FIELD(p, "subscriber", ev->u.subscriber.name);
        p = STR_FIELD(p, "reason", ev->u.subscriber.reason);
        return put_i64(LIT(p, ",\"dropped\":"), (int64_t)ev->u.subscriber.dropped);
    case SC_EVT_Gap:
        p = put_i64(LIT(p, ",\"from_seq\":"), (int64_t)ev->u.gap.from_seq);
        return put_i64(LIT(p, ",\"to_seq\":"), (int64_t)ev->u.gap.to_seq);
    case SC_EVT_StreamReset:
        p = put_i64(LIT(p, ",\"epoch\":"), (int64_t)ev->u.reset.epoch);
        return STR_FIELD(p, "reason", ev->u.reset.reason);
    case SC_EVT_App: p = STR_FIELD(p, "name", ev->u.app.name); return STR_FIELD(p, "detail", ev->u.app.detail);
    default: return p;
    }
}

static char *put_name(char *p, const char *name)
{
    size_t n = strlen(name); /* a constant of ours: type or priority name */
    *p++ = '"';
    memcpy(p, name, n);
    p += n;
    *p++ = '"';
    return p;
}

/* The document into buf, which has room for SC_BUS_EVENT_JSON_MAX bytes; returns its end. */
static char *put_event(char *p, const sc_bus_event *ev)
{
    p = put_i64(LIT(p, "{\"seq\":"), (int64_t)ev->seq);
    p = put_name(LIT(p, ",\"type\":"), sc_bus_event_type_name(ev->type));
    p = put_time(LIT(p, ",\"time\":"), ev->wall_us);
    p = put_i64(LIT(p, ",\"time_us\":"), ev->wall_us);
    p = put_name(LIT(p, ",\"priority\":"), sc_bus_event_priority_name(ev->priority));
    if (ev->session_id[0])
        p = STR_FIELD(p, "session", ev->session_id);
    if (ev->role == SC_EVENT_ROLE_UAC)
        p = LIT(p, ",\"role\":\"uac\"");
    else if (ev->role == SC_EVENT_ROLE_UAS)
        p = LIT(p, ",\"role\":\"uas\"");
    if (ev->state[0])
        p = STR_FIELD(p, "state", ev->state);
    if (ev->uri[0])
        p = STR_FIELD(p, "uri", ev->uri);
    p = put_payload(p, ev);
    *p++ = '}';
    return p;
}

int sc_bus_event_format_json(const sc_bus_event *ev, char *buf, size_t cap)
{
    if (cap >= SC_BUS_EVENT_JSON_MAX) {
        char *end = put_event(buf, ev);
        *end = '\0';
        return (int)(end - buf);
    }
    char tmp[SC_BUS_EVENT_JSON_MAX];
    size_t n = (size_t)(put_event(tmp, ev) - tmp);
    if (n + 1 > cap)
        return -ENOSPC;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return (int)n;
}

char *sc_bus_event_to_json(const sc_bus_event *ev)
{
    char tmp[SC_BUS_EVENT_JSON_MAX];
    int n = sc_bus_event_format_json(ev, tmp, sizeof tmp);
    char *s = malloc((size_t)n + 1);
    if (s)
        memcpy(s, tmp, (size_t)n + 1);
    return s;
}
