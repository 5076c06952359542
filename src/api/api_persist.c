/* api_persist: the recorder (engine observer -> event records and snapshots through the
 * asynchronous persist writer) and recovery of live sessions from a store at start. */
#include "api/api_persist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sc_api_persist {
    sc_engine *engine;        /* borrowed */
    sc_persist_writer *writer; /* borrowed */
    char *node_id;            /* malloc'd or NULL */
    unsigned every;           /* snapshot every this many history records */
    int handle;               /* observer handle, -1 when detached */
    sc_api_persist_stats st;  /* counters */
};

static void count_submit(sc_api_persist *r, int rc, uint64_t *ok)
{
    if (rc == 0)
        (*ok)++;
    else if (rc == -EAGAIN)
        r->st.rejected++;
    else
        r->st.errors++;
}

int sc_api_persist_snapshot(sc_api_persist *r, sc_session *s)
{
    json_t *snap;
    int rc = sc_session_snapshot_json(s, &snap);
    if (rc) {
        r->st.errors++;
        return rc;
    }
    if (r->node_id)
        json_object_set_new(snap, "node", json_string(r->node_id));
    rc = sc_persist_writer_save(r->writer, sc_session_id(s), snap, r->node_id,
                                sc_table_hash(sc_session_table(s)), NULL);
    json_decref(snap);
    count_submit(r, rc, &r->st.snapshots);
    return rc;
}

static void on_created(void *ud, sc_session *s)
{
    sc_api_persist *r = ud;
    json_t *rec;
    if (sc_session_created_json(s, &rec)) {
        r->st.errors++;
        return;
    }
    int rc = sc_persist_writer_append(r->writer, sc_session_id(s), 0, sc_session_created_wall_us(s), rec,
                                      NULL);
    json_decref(rec);
    count_submit(r, rc, &r->st.events);
    sc_api_persist_snapshot(r, s);
}

static bool entered_terminal(const sc_session *s, const sc_history_record *h)
{
    if (h->outcome != SC_OUTCOME_TAKEN || h->to == h->from)
        return false;
    const sc_state_info *si = sc_table_state(sc_session_table(s), h->to);
    return si && si->terminal;
}

static void on_transition(void *ud, sc_session *s, const sc_history_record *h, const sc_transition *t)
{
    (void)t;
    sc_api_persist *r = ud;
    json_t *rec;
    if (sc_session_event_json(s, h, &rec)) {
        r->st.errors++;
        return;
    }
    int rc = sc_persist_writer_append(r->writer, sc_session_id(s), h->seq, h->wall_us, rec, NULL);
    json_decref(rec);
    count_submit(r, rc, &r->st.events);
    if (h->seq % r->every == 0 || entered_terminal(s, h))
        sc_api_persist_snapshot(r, s);
}

static void on_removed(void *ud, sc_session *s, const char *reason)
{
    (void)reason;
    sc_api_persist *r = ud;
    count_submit(r, sc_persist_writer_delete(r->writer, sc_session_id(s), NULL), &r->st.deletes);
}

int sc_api_persist_attach(sc_engine *e, sc_persist_writer *w, const char *node_id, unsigned snapshot_every,
                          sc_api_persist **out)
{
    if (!e || !w || !out)
        return -EINVAL;
    sc_api_persist *r = calloc(1, sizeof *r);
    if (!r || (node_id && !(r->node_id = strdup(node_id)))) {
        free(r);
        return -ENOMEM;
    }
    r->engine = e;
    r->writer = w;
    r->every = snapshot_every ? snapshot_every : SC_API_PERSIST_DEFAULT_EVERY;
    sc_engine_observer obs = {.on_session_created = on_created, .on_transition = on_transition,
                              .on_session_removed = on_removed, .ud = r};
    r->handle = sc_engine_add_observer(e, &obs);
    if (r->handle < 0) {
        int rc = r->handle;
        free(r->node_id);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void sc_api_persist_detach(sc_api_persist *r)
{
    if (r && r->handle >= 0) {
        sc_engine_remove_observer(r->engine, r->handle);
        r->handle = -1;
    }
}

void sc_api_persist_free(sc_api_persist *r)
{
    if (!r)
        return;
    sc_api_persist_detach(r);
    free(r->node_id);
    free(r);
}

void sc_api_persist_get_stats(const sc_api_persist *r, sc_api_persist_stats *out)
{
    *out = r->st;
}

/* ---- Recovery ---------------------------------------------------------------------------- */

static int collect_snapshot(const char *id, const json_t *snapshot, void *ud)
{
    (void)id;
    if (snapshot && json_array_append((json_t *)ud, (json_t *)snapshot))
        return -ENOMEM;
    return 0;
}

static int collect_event(const sc_persist_event *ev, void *ud)
{
    return json_array_append((json_t *)ud, (json_t *)ev->record) ? -ENOMEM : 0;
}

/* Restore one snapshot and the events after it; 1 = skipped, 0 = restored, < 0 failed. */
static int recover_one(sc_engine *e, sc_persist *p, const json_t *snap, const char *node_id,
                       sc_table *table, sc_session **out)
{
    const char *id = json_string_value(json_object_get(snap, "id"));
    const char *node = json_string_value(json_object_get(snap, "node"));
    if (!id)
        return -EINVAL;
    if ((node_id && node && strcmp(node, node_id)) || sc_store_get(sc_engine_store(e), id))
        return 1;
    json_int_t last = json_integer_value(json_object_get(snap, "last_seq"));
    json_t *events = json_array();
    if (!events)
        return -ENOMEM;
    int rc = sc_persist_read_events(p, id, (uint64_t)last + 1, collect_event, events);
    if (!rc)
        rc = sc_session_restore_replay_json(e, snap, events, table, out);
    json_decref(events);
    return rc;
}

int sc_api_persist_recover(sc_engine *e, sc_persist *p, const char *node_id, sc_table *table,
                           sc_api_recovered_fn on_recovered, void *ud, size_t *recovered, size_t *failed)
{
    size_t ok = 0, bad = 0;
    if (!e || !p)
        return -EINVAL;
    json_t *snaps = json_array();
    if (!snaps)
        return -ENOMEM;
    int rc = sc_persist_list(p, SC_PERSIST_LIST_LIVE, true, collect_snapshot, snaps);
    size_t i;
    json_t *snap;
    json_array_foreach(snaps, i, snap) {
        if (rc)
            break;
        sc_session *s = NULL;
        int r1 = recover_one(e, p, snap, node_id, table, &s);
        if (r1 == 0) {
            ok++;
            if (on_recovered)
                on_recovered(s, ud);
        } else if (r1 < 0) {
            bad++;
        }
    }
    json_decref(snaps);
    if (recovered)
        *recovered = ok;
    if (failed)
        *failed = bad;
    return rc;
}
