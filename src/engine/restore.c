/* restore: rebuilds a session after a restart from its snapshot (and the event records
 * logged after it) through the engine, so that its state timers are armed. */
#include "engine/engine_int.h"
#include "engine/restore_int.h"

#include <errno.h>
#include <string.h>

static int restore(sc_engine *e, const json_t *snap, sc_table *table, sc_session **out)
{
    if (!e || !json_is_object(snap) || !out)
        return -EINVAL;
    if (!table)
        table = e->table;
    const char *id = json_string_value(json_object_get(snap, "id"));
    const char *role_name = json_string_value(json_object_get(snap, "role"));
    const char *state_name = json_string_value(json_object_get(snap, "state"));
    sc_role role;
    if (!table || !id || !role_name || !state_name || sc_role_parse(role_name, &role) ||
        role == SC_ROLE_ANY)
        return -EINVAL;
    int state = sc_table_state_id(table, state_name);
    if (state < 0)
        return -EINVAL;
    sc_session *s;
    int r = sc_engine_restore_session(e, table, role, id, (sc_id)state, &s);
    if (r)
        return r;
    r = sc_session_load_snapshot_json(s, snap);
    if (r) {
        e->stats.sessions_created--;
        sc_engine__finish_remove(e, s);
        return r;
    }
    *out = s;
    return 0;
}

int sc_session_restore_json(sc_engine *e, const json_t *snap, sc_table *table, sc_session **out)
{
    sc_session *s;
    int r = restore(e, snap, table, &s);
    if (r)
        return r;
    sc_session_clear_dirty_fields(s);
    *out = s;
    return 0;
}

int sc_engine__restore_tail(sc_engine *e, sc_session *s, const json_t *events)
{
    if (events && !json_is_array(events))
        return -EINVAL;
    sc_id state = s->state;
    int64_t entered = s->entered_wall_us;
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev) {
        int r = sc_session_apply_event_json(s, ev);
        if (r < 0) {
            e->stats.sessions_created--;
            sc_engine__finish_remove(e, s);
            return r;
        }
    }
    if (s->state != state || s->entered_wall_us != entered) {
        /* moved on since the snapshot: arm the timers of the state it is in now */
        sc_id now_state = s->state;
        int64_t now_entered = s->entered_wall_us;
        sc_engine__enter_state(e, s, now_state, sc_clock_mono_us(e->clock), now_entered);
    }
    sc_session_clear_dirty_fields(s);
    return 0;
}

int sc_session_restore_replay_json(sc_engine *e, const json_t *snap, const json_t *events,
                                   sc_table *table, sc_session **out)
{
    if (events && !json_is_array(events))
        return -EINVAL;
    sc_session *s;
    int r = restore(e, snap, table, &s);
    if (!r)
        r = sc_engine__restore_tail(e, s, events);
    if (r)
        return r;
    *out = s;
    return 0;
}
