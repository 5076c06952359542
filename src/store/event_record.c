/* event_record: the persisted event records of a session (its creation, then one per history
 * record) and their application to a record, which is how a session is replayed. */
#include "store/snapshot_int.h"

#include <errno.h>
#include <string.h>

/* The keys every event record carries: who, and the record's state after the event. */
static int add_common(const sc_session *s, json_t *o, const char *kind)
{
    const char *hash = sc_table_hash(s->table);
    int r = 0;
    r |= json_object_set_new(o, "kind", json_string(kind));
    r |= json_object_set_new(o, "session_id", json_string(s->id));
    r |= json_object_set_new(o, "role", json_string(sc_role_name(s->role)));
    r |= json_object_set_new(o, "table_hash", hash ? json_string(hash) : json_null());
    r |= json_object_set_new(o, "state_after", json_string(sc_session_state_name(s)));
    r |= json_object_set_new(o, "conditions_after", json_integer((json_int_t)s->conditions));
    r |= json_object_set_new(o, "established_fired", json_boolean(s->established_fired));
    r |= json_object_set_new(o, "session_outcome", s->outcome ? json_string(s->outcome) : json_null());
    r |= json_object_set_new(o, "failed_transitions", json_integer((json_int_t)s->failed));
    r |= json_object_set_new(o, "updated_us", json_integer((json_int_t)s->updated_wall_us));
    r |= json_object_set_new(o, "entered_us", json_integer((json_int_t)s->entered_wall_us));
    return r ? -ENOMEM : 0;
}

int sc_session_created_json(const sc_session *s, json_t **out)
{
    char tbuf[40];
    json_t *o = json_object(), *fields = json_object();
    if (!o || !fields || sc_store__fields_json(s, UINT32_MAX, false, fields))
        goto fail;
    if (json_object_set_new(o, "seq", json_integer(0)) ||
        json_object_set_new(o, "time", json_string(sc_time_format_iso(s->created_wall_us, tbuf, sizeof tbuf))) ||
        add_common(s, o, "created") ||
        json_object_set_new(o, "created_us", json_integer((json_int_t)s->created_wall_us)))
        goto fail;
    if (json_object_set_new(o, "fields", fields)) {
        json_decref(o);
        return -ENOMEM;
    }
    *out = o;
    return 0;
fail:
    json_decref(o);
    json_decref(fields);
    return -ENOMEM;
}

int sc_session_event_json(const sc_session *s, const sc_history_record *rec, json_t **out)
{
    json_t *o = NULL, *fields = json_object();
    if (!fields || sc_store__fields_json(s, s->dirty_fields, true, fields) || sc_history_record_to_json(s, rec, &o) ||
        add_common(s, o, "transition"))
        goto fail;
    if (json_object_set_new(o, "fields", fields)) {
        json_decref(o);
        return -ENOMEM;
    }
    *out = o;
    return 0;
fail:
    json_decref(o);
    json_decref(fields);
    return -ENOMEM;
}

/* The keys of add_common, checked before anything changes. */
typedef struct common_vals {
    sc_id state;
    int64_t conds, failed, updated, entered;
    const json_t *outcome;
} common_vals;

static int parse_common(const sc_session *s, const json_t *rec, common_vals *c)
{
    const char *id = sc_store__get_str(rec, "session_id");
    const char *role = sc_store__get_str(rec, "role");
    c->outcome = json_object_get(rec, "session_outcome");
    if (!id || strcmp(id, s->id) || !role || strcmp(role, sc_role_name(s->role)) ||
        sc_store__state_id(s, sc_store__get_str(rec, "state_after"), &c->state) ||
        sc_store__get_i64(rec, "conditions_after", &c->conds) ||
        sc_store__get_i64(rec, "failed_transitions", &c->failed) || sc_store__get_i64(rec, "updated_us", &c->updated) ||
        sc_store__get_i64(rec, "entered_us", &c->entered) ||
        !(json_is_string(c->outcome) || json_is_null(c->outcome)) || !json_is_object(json_object_get(rec, "fields")))
        return -EINVAL;
    return 0;
}

int sc_session_apply_event_json(sc_session *s, const json_t *rec)
{
    common_vals c;
    int64_t seq, created = s->created_wall_us;
    const char *kind = sc_store__get_str(rec, "kind");
    if (!json_is_object(rec) || !kind || sc_store__get_i64(rec, "seq", &seq) || seq < 0 || parse_common(s, rec, &c))
        return -EINVAL;
    bool is_created = !strcmp(kind, "created");
    if (is_created != (seq == 0) || (!is_created && strcmp(kind, "transition")))
        return -EINVAL;
    if ((uint64_t)seq < s->next_seq && !(is_created && s->next_seq == 1 && !sc_session_history_count(s)))
        return 1; /* already applied */
    if (is_created && sc_store__get_i64(rec, "created_us", &created))
        return -EINVAL;
    int r = sc_store__load_fields(s, json_object_get(rec, "fields"));
    if (!r)
        r = sc_session_set_outcome(s, json_string_value(c.outcome));
    if (!r && !is_created) {
        sc_history_record h;
        r = sc_history_record_from_json(s, rec, &h);
        if (!r)
            r = sc_session_history_append_raw(s, &h);
    }
    if (r)
        return r;
    s->state = c.state;
    s->conditions = (uint64_t)c.conds;
    s->established_fired = json_is_true(json_object_get(rec, "established_fired"));
    s->failed = (uint32_t)c.failed;
    sc_session_set_times(s, created, c.updated, c.entered);
    return 0;
}
