/* cmd_store: sessionctl's audit commands over a persistent store: a session's event records,
 * event records across sessions by time, and replay of a session against its snapshot. */
#include "sessionctl/cmd_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/cmd_server.h"
#include "session_core/engine.h"
#include "session_core/persist.h"

typedef struct store_args {
    const char *id, *url, *since, *until, *table;
} store_args;

/* --store (required), --since, --until, --table and the positional ID (when the command has one). */
static int parse_args(const sctl_args *sa, store_args *a)
{
    memset(a, 0, sizeof *a);
    a->url = sctl_opt_value(sa, "store");
    a->since = sctl_opt_value(sa, "since");
    a->until = sctl_opt_value(sa, "until");
    a->table = sctl_opt_value(sa, "table");
    a->id = sa->npos ? sa->pos[0] : NULL;
    if (!a->url) {
        fprintf(stderr, "sessionctl %s: --store URL is required (see sessionctl %s --help)\n", sa->cmd->name,
                sa->cmd->name);
        return 2;
    }
    return 0;
}

static sc_persist *open_store(const char *url)
{
    char err[256] = "";
    sc_persist *p = NULL;
    int r = sc_persist_open(&p, url, NULL, err, sizeof err);
    if (r) {
        fprintf(stderr, "sessionctl: cannot open store %s: %s\n", url, err[0] ? err : sc_strerror(r));
        return NULL;
    }
    return p;
}

/* ISO-8601 UTC ("2026-11-27T12:00:00Z", optional .fraction, optional Z) or epoch µs. */
static int parse_time(const char *text, int64_t *out)
{
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*text && !*end) {
        *out = v;
        return 0;
    }
    return sc_time_parse_iso8601(text, out);
}

static int print_event(const sc_persist_event *ev, void *ud)
{
    (void)ud;
    char *line = json_dumps(ev->record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!line)
        return -ENOMEM;
    printf("%s\n", line);
    free(line);
    return 0;
}

static int collect_event(const sc_persist_event *ev, void *ud)
{
    return json_array_append((json_t *)ud, (json_t *)ev->record) ? -ENOMEM : 0;
}

int sessionctl_cmd_history_or_store(const sctl_args *sa)
{
    if (!sctl_opt_value(sa, "store"))
        return sessionctl_cmd_history(sa);
    store_args a;
    int r = parse_args(sa, &a);
    if (r)
        return r;
    sc_persist *p = open_store(a.url);
    if (!p)
        return 2;
    size_t n = 0;
    json_t *events = json_array();
    r = sc_persist_read_events(p, a.id, 0, collect_event, events);
    if (!r) {
        size_t i;
        json_t *ev;
        json_array_foreach(events, i, ev) {
            sc_persist_event pe = {.session_id = a.id, .record = ev};
            print_event(&pe, NULL);
            n++;
        }
    }
    json_decref(events);
    sc_persist_close(p);
    if (r) {
        fprintf(stderr, "sessionctl: reading the log: %s\n", sc_strerror(r));
        return 2;
    }
    if (!n) {
        fprintf(stderr, "sessionctl: no events for session %s\n", a.id);
        return 1;
    }
    return 0;
}

int sessionctl_cmd_events(const sctl_args *sa)
{
    store_args a;
    int r = parse_args(sa, &a);
    if (r)
        return r;
    int64_t since = INT64_MIN, until = INT64_MAX;
    if ((a.since && parse_time(a.since, &since)) || (a.until && parse_time(a.until, &until))) {
        fprintf(stderr, "sessionctl: bad time (want ISO-8601 like 2026-11-27T12:00:00Z or epoch µs)\n");
        return 2;
    }
    sc_persist *p = open_store(a.url);
    if (!p)
        return 2;
    r = sc_persist_read_events_range(p, since, until, print_event, NULL);
    sc_persist_close(p);
    if (r) {
        fprintf(stderr, "sessionctl: reading the log: %s\n", sc_strerror(r));
        return 2;
    }
    return 0;
}

/* ---- replay ------------------------------------------------------------------------------ */

static const char *jstr(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "?";
}

static void print_path(const json_t *events)
{
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
        if (!strcmp(jstr(ev, "kind"), "created")) {
            printf("%" JSON_INTEGER_FORMAT " %s (created, %s)\n", seq, jstr(ev, "state_after"), jstr(ev, "role"));
            continue;
        }
        const char *outcome = jstr(ev, "outcome");
        if (!strcmp(outcome, "taken"))
            printf("%" JSON_INTEGER_FORMAT " %s --%s--> %s\n", seq, jstr(ev, "from"), jstr(ev, "event"),
                   jstr(ev, "to"));
        else
            printf("%" JSON_INTEGER_FORMAT " %s --%s--x (%s)\n", seq, jstr(ev, "from"), jstr(ev, "event"), outcome);
    }
}

/* Compare s with the stored snapshot (its "node" key aside); prints the verdict, or sets it in
 * report (--json). Returns 0. */
static int compare(const sc_session *s, const json_t *snap, json_int_t snap_seq, int *status, json_t *report)
{
    json_t *mine = NULL, *theirs = json_deep_copy(snap);
    json_object_del(theirs, "node");
    bool same = sc_session_snapshot_json(s, &mine) == 0 && json_equal(mine, theirs);
    if (report) {
        json_object_set_new(report, "snapshot", json_string(same ? "matches" : "differs"));
        json_object_set_new(report, "snapshot_seq", json_integer(snap_seq));
        if (!same) {
            json_object_set(report, "stored", theirs);
            json_object_set(report, "rebuilt", mine ? mine : json_null());
            *status = 1;
        }
    } else if (same) {
        printf("snapshot: matches at seq %" JSON_INTEGER_FORMAT " (state %s)\n", snap_seq, jstr(snap, "state"));
    } else {
        char *a = json_dumps(theirs, JSON_SORT_KEYS | JSON_COMPACT);
        char *b = mine ? json_dumps(mine, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        printf("snapshot: DIFFERS at seq %" JSON_INTEGER_FORMAT "\n  stored:  %s\n  rebuilt: %s\n", snap_seq,
               a ? a : "?", b ? b : "?");
        free(a);
        free(b);
        *status = 1;
    }
    json_decref(mine);
    json_decref(theirs);
    return 0;
}

/* Rebuild the session from events on table; compare with snap (when not NULL) once the
 * events up to its last_seq are applied. Returns 0 match / no snapshot, 1 differs, 2 error. */
static int rebuild(sc_table *table, const sc_vocab *vocab, const json_t *events, const json_t *snap, json_t *report)
{
    int status = 2;
    sc_store *store = NULL;
    sc_engine *e = NULL;
    const json_t *first = json_array_get(events, 0);
    sc_role role;
    if (!first || strcmp(jstr(first, "kind"), "created") || sc_role_parse(jstr(first, "role"), &role)) {
        fprintf(stderr, "sessionctl: the log does not start with the session's creation record\n");
        return 2;
    }
    sc_session *s = NULL;
    if (sc_store_new(&store, NULL) || sc_engine_new(&e, vocab, store, NULL) ||
        sc_engine_restore_session(e, table, role, jstr(first, "session_id"), sc_table_initial_state(table), &s))
        goto out;
    json_int_t snap_seq = snap ? json_integer_value(json_object_get(snap, "last_seq")) : INT64_MAX;
    size_t i;
    json_t *ev;
    status = 0;
    json_array_foreach(events, i, ev) {
        json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
        if (snap && seq > snap_seq && status == 0 && !compare(s, snap, snap_seq, &status, report))
            snap = NULL; /* compared */
        int r = sc_session_apply_event_json(s, ev);
        if (r < 0) {
            fprintf(stderr, "sessionctl: event %" JSON_INTEGER_FORMAT " does not apply: %s\n", seq, sc_strerror(r));
            status = 2;
            goto out;
        }
    }
    if (snap)
        compare(s, snap, snap_seq, &status, report);
    else if (snap_seq == INT64_MAX && report)
        json_object_set_new(report, "snapshot", json_string("none"));
    else if (snap_seq == INT64_MAX)
        printf("snapshot: none (the session has ended)\n");
    if (report)
        json_object_set_new(report, "final_state", json_string(sc_session_state_name(s)));
    else
        printf("final state: %s\n", sc_session_state_name(s));
out:
    sc_engine_free(e);
    sc_store_free(store);
    return status;
}

int sessionctl_cmd_replay(const sctl_args *sa)
{
    store_args a;
    int r = parse_args(sa, &a);
    if (r)
        return r;
    sc_persist *p = open_store(a.url);
    if (!p)
        return 2;
    json_t *events = json_array(), *snap = NULL, *report = NULL;
    r = sc_persist_read_events(p, a.id, 0, collect_event, events);
    int lr = r ? 0 : sc_persist_load(p, a.id, &snap, NULL);
    sc_persist_close(p);
    int status = 2;
    sc_vocab *vocab = NULL;
    sc_table *table = NULL;
    if (r || (lr && lr != -ENOENT)) {
        fprintf(stderr, "sessionctl: reading the store: %s\n", sc_strerror(r ? r : lr));
        goto out;
    }
    if (!json_array_size(events)) {
        fprintf(stderr, "sessionctl: no events for session %s\n", a.id);
        status = 1;
        goto out;
    }
    report = sa->json ? json_pack("{s:s, s:O}", "id", a.id, "events", events) : NULL;
    if (!report)
        print_path(events);
    const char *file = a.table ? a.table : "tables/default.yaml";
    if (sc_vocab_new(&vocab) || sc_table_load_file(&table, file, vocab, NULL)) {
        fprintf(stderr, "sessionctl: cannot load table %s (give --table FILE): snapshot not checked\n", file);
        status = a.table ? 2 : 0;
        if (report)
            json_object_set_new(report, "snapshot", json_string("unchecked"));
        goto out;
    }
    const char *hash = jstr(json_array_get(events, 0), "table_hash");
    if (strcmp(hash, sc_table_hash(table)))
        fprintf(stderr, "sessionctl: note: the session ran on table %s, replaying on %s\n", hash, sc_table_hash(table));
    status = rebuild(table, vocab, events, snap, report);
out:
    if (report && status != 2) {
        char *out = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (out)
            printf("%s\n", out);
        free(out);
    }
    json_decref(report);
    sc_table_unref(table);
    sc_vocab_free(vocab);
    json_decref(events);
    json_decref(snap);
    return status;
}
