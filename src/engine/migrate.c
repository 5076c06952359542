/* migrate: moves live sessions to a newly loaded table version when its `migrate:` map names
 * their state: table reference and version counts, state, timers, a `Migrated` history record
 * that observers (the recorder, the event bus) see like any other. */
#include "engine/engine_int.h"
#include "engine/versions_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct migration {
    sc_engine *e;
    sc_table *to;
    json_t *states;  /* old state name -> sessions moved, or NULL */
    sc_diags *diags; /* warnings, may be NULL */
    size_t moved, busy, failed;
} migration;

static const char *diag_file(const sc_table *t)
{
    const char *f = sc_table_path(t) ? sc_table_path(t) : sc_table_name(t);
    return f ? f : "<table>";
}

void sc_engine__migrate_check(const sc_engine *e, const sc_table *t, sc_diags *diags)
{
    const sc_table *cur = e ? e->table : NULL;
    for (size_t i = 0; cur && diags && i < sc_table_migrate_count(t); i++) {
        const sc_migrate_entry *m = sc_table_migrate_entry(t, i);
        int id = sc_table_state_id(cur, m->from);
        const sc_state_info *si = id >= 0 ? sc_table_state(cur, (sc_id)id) : NULL;
        if (!si)
            sc_diags_add(diags, SC_SEV_WARNING, diag_file(t), m->line, m->column,
                         "'migrate' source '%s' is not a state of the current table (version %llu)", m->from,
                         (unsigned long long)sc_engine_current_version(e));
        else if (si->terminal)
            sc_diags_add(diags, SC_SEV_WARNING, diag_file(t), m->line, m->column,
                         "'migrate' source '%s' is terminal in the current table: its sessions have ended "
                         "and do not migrate",
                         m->from);
    }
}

/* The Migrated record: from the old state (named in the new naming) to the new one; the
 * event code is the new version's counter, the text "v<old> <hash> -> v<new> <hash>". */
static void record(sc_engine *e, sc_session *s, sc_id from, const char *text, uint64_t mono, int64_t wall,
                   uint64_t new_version)
{
    sc_engine__note(e, s, from, SC_EV_Migrated, (int32_t)new_version, text, mono, wall);
}

/* Timers for the new state: the same state name keeps its entry time (deadlines count from
 * when the session entered it, under the new durations); a renamed state is entered now
 * (scheduled events bound to the state are cancelled as on any state change). */
static void rearm(sc_engine *e, sc_session *s, bool same_name, uint64_t mono, int64_t wall)
{
    if (same_name) {
        sc_engine__cancel_state_timers(e, s);
        sc_engine__arm_state(e, s, s->entered_mono_us);
    } else {
        sc_engine__enter_state(e, s, s->state, mono, wall);
    }
}

static int migrate_one(migration *m, sc_session *s, sc_id target)
{
    sc_engine *e = m->e;
    sc_table *old = sc_table_ref(s->table);
    char old_name[80], text[SC_HISTORY_TEXT_MAX];
    snprintf(old_name, sizeof old_name, "%s", sc_session_state_name(s));
    uint64_t old_version = sc_engine_table_version_of(e, old), new_version = sc_engine_table_version_of(e, m->to);
    snprintf(text, sizeof text, "v%llu %s -> v%llu %s", (unsigned long long)old_version, sc_table_hash(old),
             (unsigned long long)new_version, sc_table_hash(m->to));
    sc_id from = SC_ID_NONE;
    sc_engine__versions_session(e, m->to, +1);
    int r = sc_store__rebase(s, m->to, target, &from);
    if (r) {
        sc_engine__versions_session(e, m->to, -1);
        sc_table_unref(old);
        return r;
    }
    uint64_t mono = sc_clock_mono_us(e->clock);
    int64_t wall = sc_engine__wall_at(e, mono);
    rearm(e, s, strcmp(old_name, sc_session_state_name(s)) == 0, mono, wall);
    sc_engine__versions_session(e, old, -1); /* may release the old version */
    sc_table_unref(old);                     /* ... and with it the table */
    record(e, s, from, text, mono, wall, new_version);
    if (m->states) {
        json_t *n = json_object_get(m->states, old_name);
        json_object_set_new(m->states, old_name, json_integer(json_integer_value(n) + 1));
    }
    return 0;
}

static int visit(sc_session *s, void *ud)
{
    migration *m = ud;
    if (s->table == m->to || s->removing)
        return 0;
    const sc_state_info *si = sc_table_state(s->table, s->state);
    if (!si || si->terminal)
        return 0; /* ended sessions stay where they are */
    int target = sc_table_migrate_target(m->to, si->name);
    if (target < 0)
        return 0;  /* not named: stays on its version */
    if (s->busy) { /* only if a reload runs from inside a dispatch */
        m->busy++;
        return 0;
    }
    int r = migrate_one(m, s, (sc_id)target);
    if (r) {
        m->failed++;
        sc_log(m->e->logger, SC_LOG_WARN, "engine", "session %s: migration failed: %s", s->id, sc_strerror(r));
    } else {
        m->moved++;
    }
    return 0;
}

size_t sc_engine__migrate(sc_engine *e, sc_table *to, json_t *report, sc_diags *diags)
{
    migration m = {.e = e, .to = to, .diags = diags};
    if (report)
        m.states = json_object();
    if (sc_table_migrate_count(to)) {
        sc_engine__reserve_timers(e, 2 * sc_store_count(e->store) + 8); /* arming copes if not */
        sc_store_foreach(e->store, visit, &m);
    }
    if (e->versions)
        e->versions->sessions_migrated += m.moved;
    if (m.moved)
        sc_log(e->logger, SC_LOG_INFO, "engine", "table reload: %zu session(s) migrated to version %llu", m.moved,
               (unsigned long long)sc_engine_table_version_of(e, to));
    if (diags && (m.busy || m.failed))
        sc_diags_add(diags, SC_SEV_WARNING, diag_file(to), 0, 0,
                     "%zu session(s) in mapped states not migrated (%zu busy, %zu failed)", m.busy + m.failed, m.busy,
                     m.failed);
    if (report) {
        json_object_set_new(report, "migrated", json_integer((json_int_t)m.moved));
        json_object_set_new(report, "migrated_states", m.states ? m.states : json_object());
    }
    return m.moved;
}
