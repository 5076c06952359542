/* snapshot: the persisted form of a session record (snapshot JSON and its loader), the
 * history record parser, and the recovery setters they need. */
#include "store/snapshot_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Recovery setters ------------------------------------------------------------------ */

uint32_t sc_session_dirty_fields(const sc_session *s) { return s->dirty_fields; }

void sc_session_clear_dirty_fields(sc_session *s)
{
    s->dirty_fields = 0;
    s->dirty_late = 0;
}

void sc_session_set_times(sc_session *s, int64_t created_wall_us, int64_t updated_wall_us, int64_t entered_wall_us)
{
    s->created_wall_us = created_wall_us;
    s->updated_wall_us = updated_wall_us;
    s->entered_wall_us = entered_wall_us;
}

void sc_session_set_failed_transitions(sc_session *s, uint32_t n) { s->failed = n; }

int sc_session_history_skip_to(sc_session *s, uint64_t next_seq)
{
    if (next_seq < s->next_seq)
        return -EINVAL;
    s->dropped += next_seq - s->next_seq;
    s->next_seq = next_seq;
    return 0;
}

int sc_session_history_append_raw(sc_session *s, const sc_history_record *r)
{
    if (r->seq < s->next_seq || r->seq == 0)
        return -EINVAL;
    if (sc_store__history_put_raw(s, r))
        return -ENOMEM;
    s->dropped += r->seq - s->next_seq; /* the seqs skipped */
    s->next_seq = r->seq + 1;
    return 0;
}

/* ---- Small JSON helpers shared with event_record.c -------------------------------------- */

int sc_store__get_i64(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return -EINVAL;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

const char *sc_store__get_str(const json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* A name resolved through the vocabulary, or "#<id>" as the exporter writes unknown ids. */
static int vocab_id(const sc_session *s, sc_vocab_kind kind, const char *name, sc_id *out)
{
    if (!name)
        return -EINVAL;
    int id = sc_vocab_lookup(sc_table_vocab(s->table), kind, name);
    if (id < 0 && name[0] == '#')
        id = atoi(name + 1);
    if (id < 0 || id >= SC_ID_NONE)
        return -EINVAL;
    *out = (sc_id)id;
    return 0;
}

int sc_store__state_id(const sc_session *s, const char *name, sc_id *out)
{
    if (!name)
        return -EINVAL;
    int id = sc_table_state_id(s->table, name);
    if (id < 0)
        return -EINVAL;
    *out = (sc_id)id;
    return 0;
}

static int outcome_parse(const char *name, sc_outcome *out)
{
    for (int o = SC_OUTCOME_TAKEN; o <= SC_OUTCOME_ACTION_FAILED; o++)
        if (name && !strcmp(name, sc_outcome_name((sc_outcome)o))) {
            *out = (sc_outcome)o;
            return 0;
        }
    return -EINVAL;
}

static int parse_guards(const sc_session *s, const json_t *arr, sc_history_record *r)
{
    size_t i;
    const json_t *g;
    if (!json_is_array(arr) || json_array_size(arr) > SC_HISTORY_MAX_GUARDS)
        return -EINVAL;
    json_array_foreach(arr, i, g) {
        sc_history_guard *hg = &r->guards[i];
        if (vocab_id(s, SC_VOCAB_GUARD, sc_store__get_str(g, "name"), &hg->id))
            return -EINVAL;
        hg->negate = json_is_true(json_object_get(g, "negate"));
        hg->passed = json_is_true(json_object_get(g, "passed"));
        hg->cached = json_is_true(json_object_get(g, "cached"));
    }
    r->nguards = (uint8_t)json_array_size(arr);
    return 0;
}

static int parse_actions(const sc_session *s, const json_t *arr, sc_history_record *r)
{
    size_t i;
    const json_t *a;
    if (!json_is_array(arr) || json_array_size(arr) > SC_HISTORY_MAX_ACTIONS)
        return -EINVAL;
    json_array_foreach(arr, i, a) {
        sc_history_action *ha = &r->actions[i];
        int64_t result, dur;
        if (vocab_id(s, SC_VOCAB_ACTION, sc_store__get_str(a, "name"), &ha->id) ||
            sc_store__get_i64(a, "result", &result) || sc_store__get_i64(a, "duration_us", &dur))
            return -EINVAL;
        ha->result = (int32_t)result;
        ha->duration_us = (uint32_t)dur;
    }
    r->nactions = (uint8_t)json_array_size(arr);
    return 0;
}

int sc_history_record_from_json(const sc_session *s, const json_t *j, sc_history_record *out)
{
    sc_history_record r;
    int64_t seq, mono, code;
    memset(&r, 0, sizeof r);
    if (!json_is_object(j) || sc_store__get_i64(j, "seq", &seq) || seq < 1 || sc_store__get_i64(j, "mono_us", &mono) ||
        sc_store__get_i64(j, "event_code", &code) || sc_time_parse_iso8601(sc_store__get_str(j, "time"), &r.wall_us) ||
        sc_store__history_state_id(s, sc_store__get_str(j, "from"), &r.from) ||
        sc_store__history_state_id(s, sc_store__get_str(j, "to"), &r.to) ||
        vocab_id(s, SC_VOCAB_EVENT, sc_store__get_str(j, "event"), &r.event) ||
        outcome_parse(sc_store__get_str(j, "outcome"), &r.outcome) ||
        parse_guards(s, json_object_get(j, "guards"), &r) || parse_actions(s, json_object_get(j, "actions"), &r))
        return -EINVAL;
    r.seq = (uint64_t)seq;
    r.mono_us = (uint64_t)mono;
    r.event_code = (int32_t)code;
    const char *text = sc_store__get_str(j, "event_text");
    if (text)
        snprintf(r.event_text, sizeof r.event_text, "%s", text);
    const json_t *tr = json_object_get(j, "transition");
    r.transition = json_is_integer(tr) ? (uint32_t)json_integer_value(tr) : UINT32_MAX;
    *out = r;
    return 0;
}

/* ---- Snapshot --------------------------------------------------------------------------- */

json_t *sc_store__json_text(const char *s)
{
    if (!s)
        return json_null();
    size_t len = strlen(s);
    if (sc_text_is_plain(s, len))
        return json_string(s);
    char *t = malloc(SC_TEXT_ESCAPED_MAX(len));
    json_t *j = t && sc_text_escape(t, SC_TEXT_ESCAPED_MAX(len), s, len) ? json_string(t) : NULL;
    free(t);
    return j;
}

/* A field's bytes from its JSON text (sc_store__json_text's inverse) into s. */
static int set_field_text(sc_session *s, sc_field f, const char *text)
{
    if (!text || (!strstr(text, "\xef\x9e") && !strstr(text, "\xef\x9f")))
        return sc_session_set_field(s, f, text);
    size_t len = strlen(text);
    char *b = malloc(len + 1);
    if (!b)
        return -ENOMEM;
    sc_text_unescape(b, len + 1, text, len);
    int r = sc_session_set_field(s, f, b);
    free(b);
    return r;
}

int sc_store__fields_json(const sc_session *s, uint32_t mask, bool nulls, json_t *obj)
{
    for (int f = 0; f < SC_FIELD__COUNT; f++) {
        if (!(mask & ((uint32_t)1 << f)))
            continue;
        if (!s->fields[f] && !nulls)
            continue;
        if (json_object_set_new(obj, sc_field_name((sc_field)f), sc_store__json_text(s->fields[f])))
            return -ENOMEM;
    }
    return 0;
}

int sc_store__load_fields(sc_session *s, const json_t *obj)
{
    const char *key;
    const json_t *v;
    if (!json_is_object(obj))
        return -EINVAL;
    json_object_foreach((json_t *)obj, key, v) {
        sc_field f;
        if (sc_field_parse(key, &f) || (!json_is_string(v) && !json_is_null(v)))
            return -EINVAL;
        if (f == SC_FIELD_TABLE_HASH)
            continue; /* always the hash of the table the session runs on */
        int r = set_field_text(s, f, json_string_value(v));
        if (r)
            return r;
    }
    return 0;
}

static json_t *conditions_json(const sc_session *s)
{
    const sc_vocab *v = sc_table_vocab(s->table);
    json_t *o = json_object();
    size_t n = sc_vocab_count(v, SC_VOCAB_CONDITION);
    for (size_t i = 0; o && i < n && i < 64; i++)
        if (json_object_set_new(o, sc_vocab_name(v, SC_VOCAB_CONDITION, (sc_id)i),
                                json_boolean(sc_session_condition(s, (sc_id)i)))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

bool sc_store__history_in_log(const sc_session *s)
{
    const sc_state_info *si = sc_table_state(s->table, s->state);
    return si && si->terminal;
}

int sc_session_snapshot_json(const sc_session *s, json_t **out)
{
    bool in_log = sc_store__history_in_log(s);
    json_t *hist = NULL, *fields = json_object(), *conds = conditions_json(s);
    if (!fields || !conds || sc_store__fields_json(s, UINT32_MAX, false, fields) ||
        (in_log ? !(hist = json_true()) : sc_session_history_json(s, 0, &hist) != 0))
        goto fail;
    json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:s?,s:o,s:b,s:s?,s:o,s:I,s:I,s:I,s:I,s:I,s:o}", "v", 1, "id", s->id,
                          "role", sc_role_name(s->role), "state", sc_session_state_name(s), "table_hash",
                          sc_table_hash(s->table), "conditions", conds, "established_fired", s->established_fired,
                          "outcome", s->outcome, "fields", fields, "created_us", (json_int_t)s->created_wall_us,
                          "updated_us", (json_int_t)s->updated_wall_us, "state_entered_us",
                          (json_int_t)s->entered_wall_us, "failed_transitions", (json_int_t)s->failed, "last_seq",
                          (json_int_t)(s->next_seq - 1), in_log ? "history_in_log" : "history", hist);
    if (!o)
        return -ENOMEM; /* json_pack's "o" stole the references even on failure */
    if (s->nxstates) {  /* states of earlier table versions the history names (rebase.c) */
        json_t *xs = json_array();
        for (size_t i = 0; xs && i < s->nxstates; i++)
            if (json_array_append_new(xs, json_string(s->xstates[i]))) {
                json_decref(xs);
                xs = NULL;
            }
        if (!xs || json_object_set_new(o, "foreign_states", xs)) {
            json_decref(o);
            return -ENOMEM;
        }
    }
    *out = o;
    return 0;
fail:
    json_decref(hist);
    json_decref(fields);
    json_decref(conds);
    return -ENOMEM;
}

static int load_conditions(sc_session *s, const json_t *obj)
{
    const char *key;
    const json_t *v;
    uint64_t bits = 0;
    if (!json_is_object(obj))
        return -EINVAL;
    json_object_foreach((json_t *)obj, key, v) {
        sc_id id;
        if (!json_is_boolean(v) || vocab_id(s, SC_VOCAB_CONDITION, key, &id) || id >= 64)
            return -EINVAL;
        if (json_is_true(v))
            bits |= (uint64_t)1 << id;
    }
    s->conditions = bits;
    return 0;
}

/* The snapshot's "foreign_states": names of earlier table versions its history uses
 * (written after a migration, rebase.c); each must not be a state of s's table. */
static int load_foreign(sc_session *s, const json_t *arr)
{
    size_t i;
    const json_t *j;
    if (!arr)
        return 0;
    if (!json_is_array(arr))
        return -EINVAL;
    json_array_foreach(arr, i, j) {
        sc_id id;
        const char *name = json_string_value(j);
        if (!name || sc_table_state_id(s->table, name) >= 0)
            return -EINVAL;
        int rc = sc_store__xstate_add(s, name, &id);
        if (rc)
            return rc;
    }
    return 0;
}

static int load_history(sc_session *s, const json_t *arr, bool in_log, uint64_t last_seq)
{
    size_t i;
    const json_t *j;
    if (!arr && in_log) { /* the log has the records (none dropped): read from the store (history_read.c) */
        if (last_seq + 1 < s->next_seq)
            return -EINVAL;
        s->next_seq = last_seq + 1;
        sc_session_history_release(s);
        return 0;
    }
    if (!json_is_array(arr))
        return -EINVAL;
    json_array_foreach(arr, i, j) {
        sc_history_record r;
        int rc = sc_history_record_from_json(s, j, &r);
        if (!rc)
            rc = sc_session_history_append_raw(s, &r);
        if (rc)
            return rc;
    }
    return sc_session_history_skip_to(s, last_seq + 1);
}

int sc_session_load_snapshot_json(sc_session *s, const json_t *snap)
{
    int64_t created, updated, entered, failed, last_seq;
    sc_id state;
    const char *id = sc_store__get_str(snap, "id");
    const json_t *outcome = json_object_get(snap, "outcome");
    if (!json_is_object(snap) || !id || strcmp(id, s->id) || sc_session_history_count(s) || s->next_seq != 1 ||
        sc_store__state_id(s, sc_store__get_str(snap, "state"), &state) ||
        sc_store__get_i64(snap, "created_us", &created) || sc_store__get_i64(snap, "updated_us", &updated) ||
        sc_store__get_i64(snap, "state_entered_us", &entered) ||
        sc_store__get_i64(snap, "failed_transitions", &failed) || sc_store__get_i64(snap, "last_seq", &last_seq) ||
        last_seq < 0 || (!json_is_string(outcome) && !json_is_null(outcome) && outcome))
        return -EINVAL;
    int r = load_conditions(s, json_object_get(snap, "conditions"));
    if (!r)
        r = sc_store__load_fields(s, json_object_get(snap, "fields"));
    if (!r)
        r = sc_session_set_outcome(s, json_string_value(outcome));
    if (!r)
        r = load_foreign(s, json_object_get(snap, "foreign_states"));
    if (!r)
        r = load_history(s, json_object_get(snap, "history"), json_is_true(json_object_get(snap, "history_in_log")),
                         (uint64_t)last_seq);
    if (r)
        return r;
    s->state = state;
    s->established_fired = json_is_true(json_object_get(snap, "established_fired"));
    s->failed = (uint32_t)failed;
    sc_session_set_times(s, created, updated, entered);
    return 0;
}
