/* restore: rebuilds a session after a restart from its snapshot (and the event records
 * logged after it) through the engine, so that its state timers are armed. */
#include "engine/engine_int.h"

#include <errno.h>
#include <string.h>

/* Re-arm the timers of the state the session is in as if it had never stopped: a state
 * entered T ago (wall clock, which survives the restart) gets its timers from now - T on the
 * monotonic clock, so a 30 s timer of a state entered 20 s before the crash fires 10 s after
 * the restore, and one that expired while the process was down fires on the next turn. */
static void rearm_elapsed(sc_engine *e, sc_session *s)
{
    uint64_t mono = sc_clock_mono_us(e->clock);
    int64_t wall = sc_clock_wall_us(e->clock);
    uint64_t elapsed = wall > s->entered_wall_us ? (uint64_t)(wall - s->entered_wall_us) : 0;
    uint64_t base = mono > elapsed ? mono - elapsed : 0;
    sc_engine__enter_state(e, s, s->state, base, s->entered_wall_us);
}

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
    if (!table || !id || !role_name || !state_name || sc_role_parse(role_name, &role) || role == SC_ROLE_ANY)
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
    rearm_elapsed(e, s);
    sc_session_clear_dirty_fields(s);
    *out = s;
    return 0;
}

int sc_engine_restore_tail(sc_engine *e, sc_session *s, const json_t *events)
{
    if (events && !json_is_array(events))
        return -EINVAL;
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
    rearm_elapsed(e, s); /* the state it is in now, from the time it entered it */
    sc_session_clear_dirty_fields(s);
    return 0;
}

int sc_session_restore_replay_json(sc_engine *e, const json_t *snap, const json_t *events, sc_table *table,
                                   sc_session **out)
{
    if (events && !json_is_array(events))
        return -EINVAL;
    sc_session *s;
    int r = restore(e, snap, table, &s);
    if (!r)
        r = sc_engine_restore_tail(e, s, events);
    if (r)
        return r;
    *out = s;
    return 0;
}
