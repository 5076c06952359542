/* inspect: a session as JSON for the HTTP API: the summary record, the full inspection with
 * conditions, possible events, history and resources, and the health verdict. */
#include "store/snapshot_int.h"
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sc_health_name(sc_health h)
{
    switch (h) {
    case SC_HEALTH_OK: return "ok";
    case SC_HEALTH_STUCK: return "stuck";
    case SC_HEALTH_ERROR_PRONE: return "error_prone";
    case SC_HEALTH_STALE: return "stale";
    }
    return "unknown";
}

void sc_inspect_opts_default(sc_inspect_opts *opts)
{
    opts->history_last = 64;
    opts->stuck_after_ms = 300000;
    opts->error_threshold = 5;
    opts->stale_after_ms = 3600000;
}

static json_t *str_or_null(const char *s) { return sc_store__json_text(s); }

static json_t *time_json(int64_t wall_us)
{
    char buf[40];
    return json_string(sc_time_format_iso(wall_us, buf, sizeof buf));
}

sc_health sc_session_health(const sc_session *s, const sc_inspect_opts *opts, json_t **reasons)
{
    sc_inspect_opts def;
    if (!opts) {
        sc_inspect_opts_default(&def);
        opts = &def;
    }
    uint64_t now = sc_clock_mono_us(s->store->clock);
    uint64_t in_state_ms = now > s->entered_mono_us ? (now - s->entered_mono_us) / 1000 : 0;
    uint64_t idle_ms = now > s->updated_mono_us ? (now - s->updated_mono_us) / 1000 : 0;
    const sc_state_info *si = sc_table_state(s->table, s->state);
    bool terminal = si && si->terminal;
    json_t *list = reasons ? json_array() : NULL;
    char line[160];
    sc_health verdict = SC_HEALTH_OK;

    bool stale = opts->stale_after_ms && idle_ms >= opts->stale_after_ms;
    if (stale) {
        verdict = SC_HEALTH_STALE;
        snprintf(line, sizeof line, "no update for %llu ms (limit %llu ms)", (unsigned long long)idle_ms,
                 (unsigned long long)opts->stale_after_ms);
        json_array_append_new(list, json_string(line));
    }
    if (opts->error_threshold && s->failed >= opts->error_threshold) {
        verdict = SC_HEALTH_ERROR_PRONE;
        snprintf(line, sizeof line, "%u failed transitions (threshold %u)", (unsigned)s->failed,
                 (unsigned)opts->error_threshold);
        json_array_append_new(list, json_string(line));
    }
    if (!terminal && opts->stuck_after_ms && in_state_ms >= opts->stuck_after_ms) {
        verdict = SC_HEALTH_STUCK;
        snprintf(line, sizeof line, "in non-terminal state %s for %llu ms (limit %llu ms)", si ? si->name : "?",
                 (unsigned long long)in_state_ms, (unsigned long long)opts->stuck_after_ms);
        json_array_append_new(list, json_string(line));
    }
    if (reasons)
        *reasons = list;
    return verdict;
}

int sc_session_to_json(const sc_session *s, json_t **out)
{
    json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    int r = 0;
    r |= json_object_set_new(o, "id", json_string(s->id));
    r |= json_object_set_new(o, "role", json_string(sc_role_name(s->role)));
    r |= json_object_set_new(o, "state", str_or_null(sc_session_state_name(s)));
    r |= json_object_set_new(o, "call_id", str_or_null(s->fields[SC_FIELD_CALL_ID]));
    r |= json_object_set_new(o, "local_uri", str_or_null(s->fields[SC_FIELD_LOCAL_URI]));
    r |= json_object_set_new(o, "remote_uri", str_or_null(s->fields[SC_FIELD_REMOTE_URI]));
    r |= json_object_set_new(o, "created_at", time_json(s->created_wall_us));
    r |= json_object_set_new(o, "updated_at", time_json(s->updated_wall_us));
    r |= json_object_set_new(o, "outcome", str_or_null(s->outcome));
    if (r) {
        json_decref(o);
        return -ENOMEM;
    }
    *out = o;
    return 0;
}

/* Fields as shown: SRTP keys (an SDP offer's a=crypto, the srtp field) are masked. */
static json_t *fields_json(const sc_session *s)
{
    json_t *o = json_object();
    for (int f = 0; o && f < SC_FIELD__COUNT; f++) {
        if (!s->fields[f] || f == SC_FIELD_VARS)
            continue;
        char *masked = NULL;
        if (sc_redact_keys(s->fields[f], &masked) < 0)
            continue;
        json_object_set_new(o, sc_field_name((sc_field)f), sc_store__json_text(masked ? masked : s->fields[f]));
        free(masked);
    }
    return o;
}

/* The session variables as an object of strings ({} when none). */
static json_t *variables_json(const sc_session *s)
{
    const char *text = s->fields[SC_FIELD_VARS];
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (o && json_is_object(o))
        return o;
    json_decref(o);
    return json_object();
}

static json_t *conditions_json(const sc_session *s)
{
    const sc_vocab *v = sc_table_vocab(s->table);
    size_t n = sc_vocab_count(v, SC_VOCAB_CONDITION);
    json_t *o = json_object();
    for (size_t c = 0; o && c < n && c < 64; c++) {
        const char *name = sc_vocab_name(v, SC_VOCAB_CONDITION, (sc_id)c);
        if (name)
            json_object_set_new(o, name, json_boolean(sc_session_condition(s, (sc_id)c)));
    }
    return o;
}

static json_t *possible_events_json(const sc_session *s)
{
    const sc_vocab *v = sc_table_vocab(s->table);
    sc_id ids[512];
    size_t n = sc_table_accepted_events(s->table, s->role, s->state, ids, 512);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n && i < 512; i++) {
        const char *name = sc_vocab_name(v, SC_VOCAB_EVENT, ids[i]);
        if (name)
            json_array_append_new(a, json_string(name));
    }
    return a;
}

int sc_store_inspect(const sc_session *s, const sc_inspect_opts *opts, json_t **out)
{
    sc_inspect_opts def;
    if (!opts) {
        sc_inspect_opts_default(&def);
        opts = &def;
    }
    json_t *o = NULL, *hist = NULL, *reasons = NULL;
    if (sc_session_to_json(s, &o) != 0)
        return -ENOMEM;
    int r = 0;
    uint64_t now = sc_clock_mono_us(s->store->clock);
    r |= json_object_set_new(o, "table_hash", str_or_null(s->fields[SC_FIELD_TABLE_HASH]));
    r |= json_object_set_new(o, "fields", fields_json(s));
    r |= json_object_set_new(o, "variables", variables_json(s));
    r |= json_object_set_new(o, "links",
                             json_pack("{s:o,s:o,s:o}", "peer", str_or_null(s->fields[SC_FIELD_PEER_ID]), "transfer",
                                       str_or_null(s->fields[SC_FIELD_TRANSFER_ID]), "replaces",
                                       str_or_null(s->fields[SC_FIELD_REPLACES_ID])));
    r |= json_object_set_new(o, "conditions", conditions_json(s));
    r |= json_object_set_new(o, "time_in_state_ms",
                             json_integer(
                                 (json_int_t)(now > s->entered_mono_us ? (now - s->entered_mono_us) / 1000 : 0)));
    r |= json_object_set_new(o, "failed_transitions", json_integer(s->failed));
    if (opts->history_last) {
        if (sc_session_history_json(s, opts->history_last, &hist) != 0)
            r = -1;
    } else {
        hist = json_array();
    }
    r |= json_object_set_new(o, "history", hist);
    r |= json_object_set_new(o, "history_dropped", json_integer((json_int_t)s->dropped));
    r |= json_object_set_new(o, "possible_events", possible_events_json(s));
    sc_health h = sc_session_health(s, opts, &reasons);
    r |= json_object_set_new(
        o, "health", json_pack("{s:s,s:o}", "verdict", sc_health_name(h), "reasons", reasons ? reasons : json_array()));
    r |= json_object_set_new(o, "resources",
                             json_pack("{s:I,s:I,s:I}", "bytes", (json_int_t)sc_session_bytes(s), "history_entries",
                                       (json_int_t)sc_session_history_count(s), "history_capacity",
                                       (json_int_t)s->store->history_capacity));
    if (r) {
        json_decref(o);
        return -ENOMEM;
    }
    *out = o;
    return 0;
}
