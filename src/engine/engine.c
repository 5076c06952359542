/* engine: lifecycle, guard/action registries, table checking, session creation and removal,
 * observers, counters and the parameter helpers of sc_exec. */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sc_engine_config_default(sc_engine_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_queue_per_session = SC_ENGINE_DEFAULT_QUEUE;
    cfg->terminal_retention_ms = 30000;
}

int sc_engine_new(sc_engine **out, const sc_vocab *vocab, sc_store *store, const sc_engine_config *cfg)
{
    if (!out || !vocab || !store)
        return -EINVAL;
    sc_engine_config def;
    if (!cfg) {
        sc_engine_config_default(&def);
        cfg = &def;
    }
    if (cfg->history_capacity && sc_store_set_history_capacity(store, cfg->history_capacity) != 0)
        return -EINVAL;
    sc_engine *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    e->vocab = vocab;
    e->store = store;
    e->clock = cfg->clock ? cfg->clock : sc_store_clock(store);
    e->logger = cfg->logger;
    e->max_queue = cfg->max_queue_per_session ? cfg->max_queue_per_session : SC_ENGINE_DEFAULT_QUEUE;
    e->retention_ms = cfg->terminal_retention_ms;
    e->counting = !cfg->counts_off;
    sc_engine__ticks_init(e);
    if (e->counting)
        sc_engine__count_grow(e, 0);
    *out = e;
    return 0;
}

static int release_session_sched(sc_session *s, void *ud)
{
    sc_engine *e = ud;
    sc_engine__cancel_timers(e, s, true);
    sc_engine__drop_queue(s);
    return 0;
}

void sc_engine_free(sc_engine *e)
{
    if (!e)
        return;
    sc_engine__pending_free(e);
    sc_store_foreach(e->store, release_session_sched, e);
    free(e->heap);
    free(e->guards);
    free(e->actions);
    sc_engine__versions_free(e);
    sc_engine__pubcache_clear(e);
    free(e->trans_counts);
    sc_table_unref(e->table);
    free(e);
}

sc_store *sc_engine_store(const sc_engine *e) { return e->store; }
const sc_vocab *sc_engine_vocab(const sc_engine *e) { return e->vocab; }

/* Grow a binding array to at least n entries (zeroed). */
static int grow_bindings(void **arr, size_t *count, size_t elem, size_t n)
{
    if (n <= *count)
        return 0;
    void *na = realloc(*arr, n * elem);
    if (!na)
        return -ENOMEM;
    memset((char *)na + *count * elem, 0, (n - *count) * elem);
    *arr = na;
    *count = n;
    return 0;
}

int sc_engine_bind_guard(sc_engine *e, const char *name, sc_guard_fn fn, void *ud)
{
    if (!e || !name || !fn)
        return -EINVAL;
    int id = sc_vocab_lookup(e->vocab, SC_VOCAB_GUARD, name);
    if (id < 0)
        return -ENOENT;
    if ((size_t)id < e->nguards && e->guards[id].fn)
        return -EEXIST; /* bound once: the first binding stays */
    int r = grow_bindings((void **)&e->guards, &e->nguards, sizeof *e->guards,
                          sc_vocab_count(e->vocab, SC_VOCAB_GUARD));
    if (r)
        return r;
    e->guards[id].fn = fn;
    e->guards[id].ud = ud;
    return 0;
}

int sc_engine_bind_action(sc_engine *e, const char *name, sc_action_fn fn, void *ud)
{
    if (!e || !name || !fn)
        return -EINVAL;
    int id = sc_vocab_lookup(e->vocab, SC_VOCAB_ACTION, name);
    if (id < 0)
        return -ENOENT;
    if ((size_t)id < e->nactions && e->actions[id].fn)
        return -EEXIST; /* bound once: the first binding stays */
    int r = grow_bindings((void **)&e->actions, &e->nactions, sizeof *e->actions,
                          sc_vocab_count(e->vocab, SC_VOCAB_ACTION));
    if (r)
        return r;
    e->actions[id].fn = fn;
    e->actions[id].ud = ud;
    return 0;
}

bool sc_engine_guard_bound(const sc_engine *e, sc_id guard) { return guard < e->nguards && e->guards[guard].fn; }

bool sc_engine_action_bound(const sc_engine *e, sc_id action) { return action < e->nactions && e->actions[action].fn; }

/* Report the first use of each unbound name once. seen: one bit per id of that kind. */
static int check_calls(const sc_engine *e, const sc_table *t, const sc_transition *tr, const sc_call *calls, size_t n,
                       sc_vocab_kind kind, uint8_t *seen, sc_diags *diags)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        sc_id id = calls[i].id;
        bool bound = kind == SC_VOCAB_GUARD ? sc_engine_guard_bound(e, id) : sc_engine_action_bound(e, id);
        if (bound)
            continue;
        bad = 1;
        if (seen[id / 8] & (1u << (id % 8)))
            continue;
        seen[id / 8] |= (uint8_t)(1u << (id % 8));
        if (diags) {
            const char *file = sc_table_path(t) ? sc_table_path(t) : sc_table_name(t);
            sc_diags_add(diags, SC_SEV_ERROR, file ? file : "<table>", tr->line, tr->column,
                         "%s '%s' is used by the table but has no binding", kind == SC_VOCAB_GUARD ? "guard" : "action",
                         sc_vocab_name(e->vocab, kind, id));
        }
    }
    return bad;
}

int sc_engine_check_table(const sc_engine *e, const sc_table *table, sc_diags *diags)
{
    if (!e || !table)
        return -EINVAL;
    if (sc_table_vocab(table) != e->vocab)
        return -EINVAL;
    uint8_t seen_g[SC_ID_NONE / 8 + 1], seen_a[SC_ID_NONE / 8 + 1];
    memset(seen_g, 0, sizeof seen_g);
    memset(seen_a, 0, sizeof seen_a);
    int bad = 0;
    size_t n = sc_table_transition_count(table);
    for (size_t i = 0; i < n; i++) {
        const sc_transition *tr = sc_table_transition(table, i);
        bad |= check_calls(e, table, tr, tr->guards, tr->nguards, SC_VOCAB_GUARD, seen_g, diags);
        bad |= check_calls(e, table, tr, tr->actions, tr->nactions, SC_VOCAB_ACTION, seen_a, diags);
    }
    return bad ? SC_E_UNBOUND : 0;
}

int sc_engine_set_table(sc_engine *e, sc_table *table, sc_diags *diags)
{
    int r = sc_engine_check_table(e, table, diags);
    if (r)
        return r;
    r = sc_engine__versions_set(e, table);
    if (r)
        return r;
    sc_table *old = e->table;
    e->table = sc_table_ref(table);
    sc_table_unref(old);
    return 0;
}

sc_table *sc_engine_table(const sc_engine *e) { return e->table; }

static void notify_created(sc_engine *e, sc_session *s)
{
    s->dirty_late = 0;
    for (int i = 0; i < e->nobs; i++)
        if (e->obs_used[i] && e->obs[i].on_session_created)
            e->obs[i].on_session_created(e->obs[i].ud, s);
    /* the creation record carried the fields set so far; keep only those set since */
    s->dirty_fields = s->dirty_late;
    s->dirty_late = 0;
}

int sc_engine_restore_session(sc_engine *e, sc_table *table, sc_role role, const char *id, sc_id state,
                              sc_session **out)
{
    if (!e || !out)
        return -EINVAL;
    if (!table)
        table = e->table;
    if (!table || !sc_table_state(table, state))
        return -EINVAL;
    sc_engine__reserve_timers(e, 2 * sc_store_count(e->store) + 8);
    sc_session *s;
    int r = sc_store_create(e->store, table, role, id, &s);
    if (r)
        return r;
    s->state = state;
    sc_engine__versions_session(e, table, +1);
    sc_engine__arm_state(e, s, s->entered_mono_us);
    e->stats.sessions_created++;
    notify_created(e, s);
    *out = s;
    return 0;
}

int sc_engine_create_session(sc_engine *e, sc_role role, const char *id, sc_session **out)
{
    if (!e || !e->table)
        return -EINVAL;
    return sc_engine_restore_session(e, e->table, role, id, sc_table_initial_state(e->table), out);
}

void sc_engine_remove_session(sc_engine *e, sc_session *s, const char *reason)
{
    if (!e || !s || s->removing)
        return;
    s->removing = true;
    sc_engine__cancel_timers(e, s, true);
    for (int i = 0; i < e->nobs; i++)
        if (e->obs_used[i] && e->obs[i].on_session_removed)
            e->obs[i].on_session_removed(e->obs[i].ud, s, reason ? reason : "removed");
    e->stats.sessions_removed++;
    if (s->pending)
        sc_engine__cancel_pending(e, s);
    if (!s->busy)
        sc_engine__finish_remove(e, s);
}

void sc_engine__note(sc_engine *e, sc_session *s, sc_id from, sc_id event, int32_t code, const char *text,
                     uint64_t mono, int64_t wall)
{
    sc_history_record record;
    sc_history_record *rec = &record;
    sc_history_record_init(rec);
    rec->wall_us = wall;
    rec->mono_us = mono;
    rec->from = from;
    rec->to = s->state;
    rec->event = event;
    rec->event_code = code;
    snprintf(rec->event_text, sizeof rec->event_text, "%s", text ? text : "");
    rec->outcome = SC_OUTCOME_TAKEN;
    sc_session_history_commit(s, rec);
    s->updated_mono_us = mono;
    s->updated_wall_us = wall;
    /* the observers see it as they see a run (the recorder, the event bus) */
    s->dirty_late = 0;
    for (int i = 0; i < e->nobs; i++)
        if (e->obs_used[i] && e->obs[i].on_transition)
            e->obs[i].on_transition(e->obs[i].ud, s, rec, NULL);
    s->dirty_fields = s->dirty_late;
    s->dirty_late = 0;
}

int sc_engine_note(sc_engine *e, sc_session *s, sc_id event, int32_t code, const char *text)
{
    if (!e || !s)
        return -EINVAL;
    if (s->removing)
        return SC_E_TERMINATED;
    if (s->busy)
        return -EBUSY;
    uint64_t mono = sc_clock_mono_us(e->clock);
    sc_engine__note(e, s, s->state, event, code, text, mono, sc_engine__wall_at(e, mono));
    return 0;
}

int sc_engine_remove_session_id(sc_engine *e, const char *id, const char *reason)
{
    sc_session *s = e ? sc_store_get(e->store, id) : NULL;
    if (!s || s->removing)
        return -ENOENT;
    sc_engine_remove_session(e, s, reason);
    return 0;
}

void sc_engine__finish_remove(sc_engine *e, sc_session *s)
{
    sc_engine__cancel_timers(e, s, true);
    sc_engine__drop_queue(s);
    sc_engine__versions_session(e, s->table, -1);
    sc_store_remove(e->store, s);
}

bool sc_engine_session_busy(const sc_engine *e, const sc_session *s)
{
    (void)e;
    return s->busy;
}

/* Rebuild the per-run list (observers with on_transition or an unfiltered on_publish) and
 * the filtered list (on_publish with publish_only); forget cached publish answers. */
static void index_observers(sc_engine *e)
{
    e->notify_mask = e->filtered_mask = 0;
    for (int i = 0; i < e->nobs; i++) {
        const sc_engine_observer *o = &e->obs[i];
        if (!e->obs_used[i])
            continue;
        if (o->on_transition || (o->on_publish && !o->publish_only))
            e->notify_mask |= (uint8_t)(1u << i);
        if (o->on_publish && o->publish_only)
            e->filtered_mask |= (uint8_t)(1u << i);
    }
    sc_engine__pubcache_clear(e);
}

int sc_engine_add_observer(sc_engine *e, const sc_engine_observer *obs)
{
    if (!e || !obs)
        return -EINVAL;
    for (int i = 0; i < SC_ENGINE_MAX_OBSERVERS; i++) {
        if (!e->obs_used[i]) {
            e->obs[i] = *obs;
            e->obs_used[i] = true;
            if (i + 1 > e->nobs)
                e->nobs = i + 1;
            index_observers(e);
            return i;
        }
    }
    return -ENOSPC;
}

int sc_engine_remove_observer(sc_engine *e, int handle)
{
    if (!e || handle < 0 || handle >= SC_ENGINE_MAX_OBSERVERS || !e->obs_used[handle])
        return -ENOENT;
    e->obs_used[handle] = false;
    memset(&e->obs[handle], 0, sizeof e->obs[handle]);
    while (e->nobs > 0 && !e->obs_used[e->nobs - 1])
        e->nobs--;
    index_observers(e);
    return 0;
}

void sc_engine_get_stats(const sc_engine *e, sc_engine_stats *out) { *out = e->stats; }

static const sc_param_value *find_param(const sc_exec *x, const char *name)
{
    if (!x || !x->call || !name)
        return NULL;
    for (uint16_t i = 0; i < x->call->nparams; i++)
        if (x->call->params[i].name && strcmp(x->call->params[i].name, name) == 0)
            return &x->call->params[i];
    return NULL;
}

int64_t sc_exec_param_int(const sc_exec *x, const char *name, int64_t dflt)
{
    const sc_param_value *p = find_param(x, name);
    return p && p->type == SC_PARAM_INT ? p->i : dflt;
}

const char *sc_exec_param_str(const sc_exec *x, const char *name, const char *dflt)
{
    const sc_param_value *p = find_param(x, name);
    return p && p->type == SC_PARAM_STRING ? p->s : dflt;
}

bool sc_exec_param_bool(const sc_exec *x, const char *name, bool dflt)
{
    const sc_param_value *p = find_param(x, name);
    return p && p->type == SC_PARAM_BOOL ? p->b : dflt;
}
