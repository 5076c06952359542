/* persist: the recorder (engine observer -> event records and snapshots through the
 * asynchronous persist writer) and recovery of live sessions from a store at start. */

#include "coord/recover.h"
#include "session_core/coord.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sc_coord_persist {
    sc_engine *engine;         /* borrowed */
    sc_persist_writer *writer; /* borrowed */
    char *node_id;             /* malloc'd or NULL */
    unsigned every;            /* snapshot every this many history records */
    int handle;                /* observer handle, -1 when detached */
    sc_coord_persist_stats st; /* counters */
    sc_buf buf;                /* reused for every document (loop thread only) */
    char **hashes;             /* table versions whose text was submitted (malloc'd each) */
    size_t nhashes;
    const char *last_hash; /* one of hashes: the table of the last record */
    bool muted;            /* sc_coord__persist_mute: sessions restored by a takeover */
};

void sc_coord__persist_mute(sc_coord_persist *r, bool muted)
{
    if (r)
        r->muted = muted;
}

/* The first time a session on a table version is recorded, the table's text goes to the
 * store (sc_persist_save_table through the writer), so that recovery can rebuild the
 * session under that version even after a reload made another one current. */
static void ensure_table(sc_coord_persist *r, const sc_session *s)
{
    const sc_table *t = sc_session_table(s);
    const char *hash = t ? sc_table_hash(t) : NULL;
    if (!hash || !*hash || (r->last_hash && !strcmp(r->last_hash, hash)))
        return;
    for (size_t i = 0; i < r->nhashes; i++)
        if (!strcmp(r->hashes[i], hash)) {
            r->last_hash = r->hashes[i];
            return;
        }
    size_t len = 0;
    const char *text = sc_table_source(t, &len);
    char **nh = realloc(r->hashes, (r->nhashes + 1) * sizeof *nh);
    if (!nh || !text || !len) {
        if (nh)
            r->hashes = nh;
        r->st.errors++;
        return;
    }
    r->hashes = nh;
    sc_persist_text_op op = {SC_PERSIST_OP_TABLE, hash, text, len, NULL, NULL, 0, 0, NULL, 0};
    int rc = sc_persist_writer_submit_text(r->writer, &op, NULL);
    if (rc) { /* try again with the next record */
        if (rc == -EAGAIN)
            r->st.rejected++;
        else
            r->st.errors++;
        return;
    }
    if (!(r->hashes[r->nhashes] = strdup(hash))) {
        r->st.errors++;
        return;
    }
    r->st.tables++;
    r->last_hash = r->hashes[r->nhashes++];
}

static void count_submit(sc_coord_persist *r, int rc, uint64_t *ok)
{
    if (rc == 0)
        (*ok)++;
    else if (rc == -EAGAIN)
        r->st.rejected++;
    else
        r->st.errors++;
}

static int submit(sc_coord_persist *r, sc_persist_op_kind kind, const sc_session *s, uint64_t seq, int64_t wall_us)
{
    sc_persist_text_op op = {kind,       sc_session_id(s), r->buf.p,
                             r->buf.len, r->node_id,       sc_table_hash(sc_session_table(s)),
                             seq,        wall_us,          NULL,
                             0};
    return sc_persist_writer_submit_text(r->writer, &op, NULL);
}

int sc_coord_persist_snapshot(sc_coord_persist *r, sc_session *s)
{
    ensure_table(r, s);
    int rc = sc_session_snapshot_text(s, r->node_id, &r->buf);
    if (rc) {
        r->st.errors++;
        return rc;
    }
    rc = submit(r, SC_PERSIST_OP_SAVE, s, 0, 0);
    count_submit(r, rc, &r->st.snapshots);
    return rc;
}

static void on_created(void *ud, sc_session *s)
{
    sc_coord_persist *r = ud;
    if (r->muted) /* restored while the recorder runs: its records are in the store already */
        return;
    ensure_table(r, s);
    if (sc_session_created_text(s, &r->buf)) {
        r->st.errors++;
        return;
    }
    count_submit(r, submit(r, SC_PERSIST_OP_APPEND, s, 0, sc_session_created_wall_us(s)), &r->st.events);
    sc_coord_persist_snapshot(r, s);
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
    sc_coord_persist *r = ud;
    ensure_table(r, s);
    /* After a migration the snapshot carries the new table hash, so recovery restores the
     * session under the new version. It goes first: a crash between the two ops then loses
     * only the log's copy of the Migrated record (the snapshot's history has it), never the
     * migration itself. */
    bool migrated = h->event == SC_EV_Migrated;
    if (migrated)
        sc_coord_persist_snapshot(r, s);
    if (sc_session_event_text(s, h, &r->buf)) {
        r->st.errors++;
        return;
    }
    count_submit(r, submit(r, SC_PERSIST_OP_APPEND, s, h->seq, h->wall_us), &r->st.events);
    if (!migrated && (h->seq % r->every == 0 || entered_terminal(s, h)))
        sc_coord_persist_snapshot(r, s);
}

static void on_removed(void *ud, sc_session *s, const char *reason)
{
    (void)reason;
    sc_coord_persist *r = ud;
    /* fenced by this node: a session another node has taken over keeps its snapshot */
    count_submit(r, sc_persist_writer_delete_owned(r->writer, sc_session_id(s), r->node_id, NULL), &r->st.deletes);
}

int sc_coord_persist_attach(sc_engine *e, sc_persist_writer *w, const char *node_id, unsigned snapshot_every,
                            sc_coord_persist **out)
{
    if (!e || !w || !out)
        return -EINVAL;
    sc_coord_persist *r = calloc(1, sizeof *r);
    if (!r || (node_id && !(r->node_id = strdup(node_id)))) {
        free(r);
        return -ENOMEM;
    }
    r->engine = e;
    r->writer = w;
    r->every = snapshot_every ? snapshot_every : SC_COORD_PERSIST_DEFAULT_EVERY;
    sc_engine_observer obs = {
        .on_session_created = on_created, .on_transition = on_transition, .on_session_removed = on_removed, .ud = r};
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

void sc_coord_persist_detach(sc_coord_persist *r)
{
    if (r && r->handle >= 0) {
        sc_engine_remove_observer(r->engine, r->handle);
        r->handle = -1;
    }
}

void sc_coord_persist_free(sc_coord_persist *r)
{
    if (!r)
        return;
    sc_coord_persist_detach(r);
    sc_buf_free(&r->buf);
    for (size_t i = 0; i < r->nhashes; i++)
        free(r->hashes[i]);
    free(r->hashes);
    free(r->node_id);
    free(r);
}

void sc_coord_persist_get_stats(const sc_coord_persist *r, sc_coord_persist_stats *out) { *out = r->st; }

/* ---- Recovery ---------------------------------------------------------------------------- */

/* Sessions restored from their snapshots (phase 1), waiting for their logged tails. */
typedef struct rec_item {
    sc_session *s;
    uint64_t last_seq;
} rec_item;

/* Table versions met in the snapshots (hash -> table loaded from its stored text). */
typedef struct rec_table {
    char hash[80];
    sc_table *table; /* one reference; NULL: the text is not stored or does not load */
} rec_table;

typedef struct rec_ctx {
    sc_engine *e;
    sc_persist *p;  /* the caller's handle (locked during the list walk) */
    sc_persist *tp; /* second handle for table texts, opened on first need */
    const char *node_id;
    sc_table *table; /* forced table, or NULL: each session's own version */
    rec_item *items;
    size_t n, cap;
    size_t bad;
    rec_table *tables;
    size_t ntables;
} rec_ctx;

/* The table a snapshot recorded under hash runs on: the current one if hash is current (or
 * unknown), else that version rebuilt from the text in the store (NULL = current when the
 * text is missing or no longer loads, e.g. a store written before table texts were kept). */
static sc_table *table_for(rec_ctx *c, const char *hash)
{
    sc_table *cur = sc_engine_table(c->e);
    if (c->table)
        return c->table;
    if (!hash || !*hash || (cur && !strcmp(sc_table_hash(cur), hash)))
        return NULL;
    for (size_t i = 0; i < c->ntables; i++)
        if (!strcmp(c->tables[i].hash, hash))
            return c->tables[i].table;
    rec_table *nt = realloc(c->tables, (c->ntables + 1) * sizeof *nt);
    if (!nt)
        return NULL;
    c->tables = nt;
    rec_table *t = &c->tables[c->ntables++];
    snprintf(t->hash, sizeof t->hash, "%s", hash);
    t->table = NULL;
    char *text = NULL;
    if (!c->tp && sc_persist_open_same(&c->tp, c->p, NULL, 0))
        return NULL;
    if (sc_persist_load_table(c->tp, hash, &text) == 0) {
        char name[96];
        snprintf(name, sizeof name, "store:%s", hash);
        if (sc_table_load_buffer(&t->table, name, text, strlen(text), sc_engine_vocab(c->e), NULL) ||
            strcmp(sc_table_hash(t->table), hash)) {
            sc_table_unref(t->table);
            t->table = NULL;
        }
    }
    free(text);
    return t->table;
}

static int restore_one(rec_ctx *c, const char *id, const json_t *snap);

/* Phase 1, once per live snapshot (p is locked): restore it right away, so that only one
 * parsed document is alive at a time. */
static int restore_snapshot(const char *id, const json_t *snap, void *ud)
{
    rec_ctx *c = ud;
    if (!snap)
        return 0;
    const char *node = json_string_value(json_object_get(snap, "node"));
    if (c->node_id && node && strcmp(node, c->node_id))
        return 0;
    return restore_one(c, id, snap);
}

/* One snapshot restored (phase 1), unless its session is here already. */
static int restore_one(rec_ctx *c, const char *id, const json_t *snap)
{
    if (sc_store_get(sc_engine_store(c->e), id))
        return 0;
    json_int_t last = json_integer_value(json_object_get(snap, "last_seq"));
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 256;
        rec_item *ni = realloc(c->items, ncap * sizeof *ni);
        if (!ni)
            return -ENOMEM;
        c->items = ni;
        c->cap = ncap;
    }
    sc_session *s = NULL;
    sc_table *t = table_for(c, json_string_value(json_object_get(snap, "table_hash")));
    if (sc_session_restore_json(c->e, snap, t, &s)) {
        c->bad++;
        return 0;
    }
    c->items[c->n++] = (rec_item){s, last < 0 ? 0 : (uint64_t)last};
    return 0;
}

static int collect_event(const sc_persist_event *ev, void *ud)
{
    return json_array_append((json_t *)ud, (json_t *)ev->record) ? -ENOMEM : 0;
}

/* Phase 2: the events logged after the snapshot; 0 or < 0 (the session is gone then). */
static int apply_tail(sc_engine *e, sc_persist *p, const rec_item *it)
{
    json_t *events = json_array();
    if (!events)
        return -ENOMEM;
    int rc = sc_persist_read_events(p, sc_session_id(it->s), it->last_seq + 1, collect_event, events);
    if (rc) { /* the store failed: keep the session as its snapshot left it */
        json_decref(events);
        return 0;
    }
    rc = sc_engine_restore_tail(e, it->s, json_array_size(events) ? events : NULL);
    json_decref(events);
    return rc;
}

/* Phase 2 for every session phase 1 restored, then the context's memory freed. */
static void finish_all(rec_ctx *c, sc_coord_recovered_fn on_recovered, void *ud, size_t *recovered, size_t *failed)
{
    size_t ok = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (apply_tail(c->e, c->p, &c->items[i]) < 0) {
            c->bad++;
            continue;
        }
        ok++;
        if (on_recovered)
            on_recovered(c->items[i].s, ud);
    }
    free(c->items);
    for (size_t i = 0; i < c->ntables; i++)
        sc_table_unref(c->tables[i].table); /* the sessions and the engine's versions hold theirs */
    free(c->tables);
    sc_persist_close(c->tp);
    if (recovered)
        *recovered = ok;
    if (failed)
        *failed = c->bad;
}

int sc_coord__persist_recover_ids(sc_engine *e, sc_persist *p, const char *const *ids, size_t n,
                                  sc_coord_recovered_fn on_recovered, void *ud, size_t *recovered, size_t *failed)
{
    if (!e || !p || (n && !ids))
        return -EINVAL;
    rec_ctx c = {.e = e, .p = p};
    int rc = 0;
    for (size_t i = 0; i < n && rc != -ENOMEM; i++) {
        json_t *snap = NULL;
        int lrc = sc_persist_load(p, ids[i], &snap, NULL);
        if (lrc == 0)
            rc = restore_one(&c, ids[i], snap);
        else if (lrc != -ENOENT)
            c.bad++, rc = lrc;
        json_decref(snap);
    }
    finish_all(&c, on_recovered, ud, recovered, failed);
    return rc == -ENOMEM ? rc : 0;
}

int sc_coord_persist_recover(sc_engine *e, sc_persist *p, const char *node_id, sc_table *table,
                             sc_coord_recovered_fn on_recovered, void *ud, size_t *recovered, size_t *failed)
{
    if (!e || !p)
        return -EINVAL;
    rec_ctx c = {.e = e, .p = p, .node_id = node_id, .table = table};
    int rc = sc_persist_list(p, SC_PERSIST_LIST_LIVE, true, restore_snapshot, &c);
    finish_all(&c, on_recovered, ud, recovered, failed);
    return rc;
}
