/* reload: replaces the engine's current table with a candidate only after it loaded,
 * validated, compiled and bound in full (then migrates the sessions its `migrate:` map names);
 * refuses a broken one with file:line:column reasons, and checks candidates without applying
 * them. */
#include "engine/engine_int.h"
#include "engine/versions_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RELOAD_MAX_LOGGED 20 /* error lines logged per refused reload */

typedef struct candidate {
    const char *path; /* file, or NULL for a buffer */
    const char *name; /* buffer name */
    const char *buf;
    size_t len;
} candidate;

/* A candidate that declares names the engine's vocabulary lacks cannot be bound by a reload:
 * each such name is an error (0, or SC_E_UNBOUND). */
static int new_names(const sc_engine *e, const sc_table *t, sc_diags *d)
{
    const sc_vocab *tv = sc_table_vocab(t);
    if (tv == e->vocab)
        return 0;
    static const char *const words[] = {"event", "guard", "action", "condition"};
    const char *file = sc_table_path(t) ? sc_table_path(t) : "<table>";
    size_t before = sc_diags_count(d);
    for (int k = 0; k < SC_VOCAB_KIND_COUNT; k++)
        for (size_t id = sc_vocab_count(e->vocab, (sc_vocab_kind)k); id < sc_vocab_count(tv, (sc_vocab_kind)k); id++)
            sc_diags_add(d, SC_SEV_ERROR, file, 0, 0,
                         "%s '%s' is new: a reload cannot add names to the vocabulary (restart to add it)", words[k],
                         sc_vocab_name(tv, (sc_vocab_kind)k, (sc_id)id));
    if (sc_diags_count(d) == before)
        sc_diags_add(d, SC_SEV_ERROR, file, 0, 0, "the table was not loaded with the running vocabulary");
    return SC_E_UNBOUND;
}

/* Load + validate + compile + bound check. *out set only on success. */
static int prepare(const sc_engine *e, const candidate *c, sc_diags *d, sc_table **out)
{
    sc_table *t = NULL;
    int r = c->path ? sc_table_load_file(&t, c->path, e->vocab, d)
                    : sc_table_load_buffer(&t, c->name ? c->name : "<buffer>", c->buf, c->len, e->vocab, d);
    if (r) {
        if (r != SC_E_INVALID_TABLE && r != SC_E_PARSE && sc_diags_errors(d) == 0)
            sc_diags_add(d, SC_SEV_ERROR, c->path ? c->path : (c->name ? c->name : "<buffer>"), 0, 0,
                         "cannot load the table: %s", sc_strerror(r));
        return r;
    }
    if ((r = new_names(e, t, d)) != 0 || (r = sc_engine_check_table(e, t, d)) != 0) {
        sc_table_unref(t);
        return r;
    }
    sc_engine__migrate_check(e, t, d);
    *out = t;
    return 0;
}

static json_t *version_json(const sc_engine *e, const sc_table *t)
{
    if (!t)
        return json_null();
    const char *name = sc_table_name(t);
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "version", json_integer((json_int_t)sc_engine_table_version_of(e, t)));
    json_object_set_new(o, "hash", json_string(sc_table_hash(t)));
    json_object_set_new(o, "name", name ? json_string(name) : json_null());
    return o;
}

static json_t *counts(json_t *section)
{
    return json_pack("{sIsIsI}", "added", (json_int_t)json_array_size(json_object_get(section, "added")), "removed",
                     (json_int_t)json_array_size(json_object_get(section, "removed")), "changed",
                     (json_int_t)json_array_size(json_object_get(section, "changed")));
}

/* {"states": {added, removed, changed}, "transitions": {...}} between old and t, or null. */
static json_t *changes_json(const sc_table *old, const sc_table *t)
{
    json_t *d = NULL;
    if (!old || sc_table_diff(old, t, &d) < 0)
        return json_null();
    json_t *o = json_pack("{soso}", "states", counts(json_object_get(d, "states")), "transitions",
                          counts(json_object_get(d, "transitions")));
    json_decref(d);
    return o ? o : json_null();
}

static void log_refusal(const sc_engine *e, const sc_diags *d, int r)
{
    char line[1024];
    size_t logged = 0;
    for (size_t i = 0; i < sc_diags_count(d) && logged < RELOAD_MAX_LOGGED; i++) {
        const sc_diag *g = sc_diags_get(d, i);
        if (g->severity != SC_SEV_ERROR)
            continue;
        sc_diag_format(g, line, sizeof line);
        sc_log(e->logger, SC_LOG_WARN, "engine", "table reload refused: %s", line);
        logged++;
    }
    if (sc_diags_errors(d) > logged)
        sc_log(e->logger, SC_LOG_WARN, "engine", "table reload refused: %zu more errors", sc_diags_errors(d) - logged);
    if (!logged)
        sc_log(e->logger, SC_LOG_WARN, "engine", "table reload refused: %s", sc_strerror(r));
}

/* Fill the report for a refused candidate. */
static json_t *refused_report(const sc_engine *e, const sc_diags *d)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "result", json_string("refused"));
    json_object_set_new(o, "old", version_json(e, e->table));
    json_object_set_new(o, "errors", sc_diags_json(d, true));
    return o;
}

static json_t *warnings_json(const sc_diags *d)
{
    json_t *all = sc_diags_json(d, false), *w = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x)
        if (strcmp(json_string_value(json_object_get(x, "severity")), "warning") == 0)
            json_array_append(w, x);
    json_decref(all);
    return w;
}

/* Append src's diagnostics to dst (may be NULL). */
static void copy_diags(sc_diags *dst, const sc_diags *src)
{
    for (size_t i = 0; dst && i < sc_diags_count(src); i++) {
        const sc_diag *g = sc_diags_get(src, i);
        sc_diags_add(dst, g->severity, g->file, g->line, g->column, "%s", g->message);
    }
}

static int reload(sc_engine *e, const candidate *c, sc_diags *diags, json_t **report)
{
    if (!e || (!c->path && !c->buf))
        return -EINVAL;
    sc_engine__versions *reg = e->versions;
    if (!reg && !(reg = e->versions = calloc(1, sizeof *e->versions)))
        return -ENOMEM;
    sc_diags *caller = diags, *own = NULL; /* own: this reload's diagnostics only */
    if (sc_diags_new(&own) < 0)
        return -ENOMEM;
    diags = own;
    sc_table *t = NULL;
    sc_table *old = e->table ? sc_table_ref(e->table) : NULL;
    json_t *old_json = report ? version_json(e, old) : NULL; /* before the old version may go */
    int r = prepare(e, c, diags, &t);
    bool unchanged = false;
    if (!r && old && strcmp(sc_table_hash(old), sc_table_hash(t)) == 0)
        unchanged = true;
    else if (!r)
        r = sc_engine_set_table(e, t, diags);
    if (r) {
        reg->reloads_failed++;
        log_refusal(e, diags, r);
        if (report)
            *report = refused_report(e, diags);
    } else {
        if (unchanged)
            reg->reloads_unchanged++;
        else
            reg->reloads_ok++;
        const sc_table *now = unchanged ? old : t;
        json_t *o = report ? json_object() : NULL;
        if (!unchanged)
            sc_engine__migrate(e, t, o, diags);
        sc_log(e->logger, SC_LOG_INFO, "engine", "table %s: version %llu, hash %s",
               unchanged ? "unchanged" : "reloaded", (unsigned long long)sc_engine_table_version_of(e, now),
               sc_table_hash(now));
        if (report) {
            if (o) {
                json_object_set_new(o, "result", json_string(unchanged ? "unchanged" : "applied"));
                json_object_set_new(o, "old", old_json);
                old_json = NULL;
                json_object_set_new(o, "new", version_json(e, now));
                json_object_set_new(o, "changes", changes_json(old, t));
                json_object_set_new(o, "warnings", warnings_json(diags));
                if (unchanged)
                    json_object_set_new(o, "migrated", json_integer(0));
            }
            *report = o;
        }
    }
    json_decref(old_json);
    sc_table_unref(t);
    sc_table_unref(old);
    copy_diags(caller, own);
    sc_diags_free(own);
    return r;
}

int sc_engine_reload_file(sc_engine *e, const char *path, sc_diags *diags, json_t **report)
{
    candidate c = {.path = path};
    return path ? reload(e, &c, diags, report) : -EINVAL;
}

int sc_engine_reload_buffer(sc_engine *e, const char *name, const char *buf, size_t len, sc_diags *diags,
                            json_t **report)
{
    candidate c = {.name = name, .buf = buf, .len = len};
    return reload(e, &c, diags, report);
}

static int validate(const sc_engine *e, const candidate *c, sc_diags *diags, json_t **report)
{
    if (!e || (!c->path && !c->buf))
        return -EINVAL;
    sc_diags *caller = diags, *own = NULL; /* own: this check's diagnostics only */
    if (sc_diags_new(&own) < 0)
        return -ENOMEM;
    diags = own;
    sc_table *t = NULL;
    int r = prepare(e, c, diags, &t);
    if (report) {
        json_t *o = json_object();
        if (o) {
            json_object_set_new(o, "valid", json_boolean(r == 0));
            if (t) {
                const char *name = sc_table_name(t);
                json_object_set_new(o, "hash", json_string(sc_table_hash(t)));
                json_object_set_new(o, "name", name ? json_string(name) : json_null());
                json_object_set_new(o, "changes", changes_json(e->table, t));
                json_t *d = NULL; /* the full diff (sc_table_diff): the inspector's Reload view */
                if (e->table && sc_table_diff(e->table, t, &d) >= 0)
                    json_object_set_new(o, "diff", d);
            }
            json_object_set_new(o, "errors", sc_diags_json(diags, true));
            json_object_set_new(o, "warnings", warnings_json(diags));
        }
        *report = o;
    }
    sc_table_unref(t);
    copy_diags(caller, own);
    sc_diags_free(own);
    return r;
}

int sc_engine_validate_buffer(const sc_engine *e, const char *name, const char *buf, size_t len, sc_diags *diags,
                              json_t **report)
{
    candidate c = {.name = name, .buf = buf, .len = len};
    return validate(e, &c, diags, report);
}

int sc_engine_validate_file(const sc_engine *e, const char *path, sc_diags *diags, json_t **report)
{
    candidate c = {.path = path};
    return path ? validate(e, &c, diags, report) : -EINVAL;
}
