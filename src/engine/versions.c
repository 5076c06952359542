/* versions: the registry of live table versions: which table objects the engine made current
 * or runs sessions on, their counters, session counts and load times, and the release of a
 * version when it is no longer current and its last session ends. */
#include "engine/engine_int.h"
#include "engine/versions_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static sc_engine__versions *registry(sc_engine *e)
{
    if (!e->versions)
        e->versions = calloc(1, sizeof *e->versions);
    return e->versions;
}

static sc_engine__version *find(const sc_engine__versions *r, const sc_table *t)
{
    for (size_t i = 0; r && t && i < r->n; i++)
        if (r->v[i].table == t)
            return &r->v[i];
    return NULL;
}

/* Append an entry for t with the next counter; NULL on ENOMEM. */
static sc_engine__version *add(sc_engine *e, sc_engine__versions *r, sc_table *t)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 4;
        sc_engine__version *nv = realloc(r->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        r->v = nv;
        r->cap = cap;
    }
    sc_engine__version *v = &r->v[r->n++];
    memset(v, 0, sizeof *v);
    v->table = sc_table_ref(t);
    v->version = ++r->next;
    v->loaded_at_us = sc_clock_wall_us(e->clock);
    return v;
}

/* Release entry i (keeps the others in order). */
static void release(sc_engine__versions *r, size_t i)
{
    sc_table *t = r->v[i].table;
    memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof r->v[0]);
    r->n--;
    r->released++;
    sc_table_unref(t);
}

/* Release every version that is not current and has no session. */
static void sweep(sc_engine__versions *r)
{
    for (size_t i = r->n; i-- > 0;)
        if (r->v[i].table != r->current && r->v[i].sessions == 0)
            release(r, i);
}

int sc_engine__versions_set(sc_engine *e, sc_table *table)
{
    sc_engine__versions *r = registry(e);
    if (!r)
        return -ENOMEM;
    if (table == r->current)
        return 0;
    if (!find(r, table) && !add(e, r, table))
        return -ENOMEM;
    r->current = table;
    sweep(r);
    return 0;
}

void sc_engine__versions_session(sc_engine *e, sc_table *table, int delta)
{
    sc_engine__versions *r = registry(e);
    if (!r || !table)
        return;
    sc_engine__version *v = find(r, table);
    if (!v && delta > 0)
        v = add(e, r, table);
    if (!v)
        return;
    if (delta > 0)
        v->sessions++;
    else if (v->sessions > 0)
        v->sessions--;
    if (v->sessions == 0 && v->table != r->current)
        sweep(r);
}

void sc_engine__versions_free(sc_engine *e)
{
    sc_engine__versions *r = e->versions;
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        sc_table_unref(r->v[i].table);
    free(r->v);
    free(r);
    e->versions = NULL;
}

uint64_t sc_engine_table_version_of(const sc_engine *e, const sc_table *table)
{
    const sc_engine__version *v = e ? find(e->versions, table) : NULL;
    return v ? v->version : 0;
}

uint64_t sc_engine_current_version(const sc_engine *e)
{
    return e && e->versions ? sc_engine_table_version_of(e, e->versions->current) : 0;
}

static json_t *iso_time(int64_t wall_us)
{
    char buf[SC_TIME_ISO8601_MAX];
    return sc_time_format_iso8601(buf, sizeof buf, wall_us, 3) ? json_string(buf) : json_null();
}

int sc_engine_table_versions(const sc_engine *e, json_t **out)
{
    if (!e || !out)
        return -EINVAL;
    json_t *arr = json_array();
    if (!arr)
        return -ENOMEM;
    const sc_engine__versions *r = e->versions;
    for (size_t i = 0; r && i < r->n; i++) {
        const sc_engine__version *v = &r->v[i];
        const char *name = sc_table_name(v->table), *tv = sc_table_version(v->table);
        const char *path = sc_table_path(v->table);
        json_t *o = json_object();
        if (o) {
            json_object_set_new(o, "version", json_integer((json_int_t)v->version));
            json_object_set_new(o, "hash", json_string(sc_table_hash(v->table)));
            json_object_set_new(o, "name", name ? json_string(name) : json_null());
            json_object_set_new(o, "table_version", tv ? json_string(tv) : json_null());
            json_object_set_new(o, "path", path ? json_string(path) : json_null());
            json_object_set_new(o, "sessions", json_integer((json_int_t)v->sessions));
            json_object_set_new(o, "current", json_boolean(v->table == r->current));
            json_object_set_new(o, "loaded_at", json_integer((json_int_t)v->loaded_at_us));
            json_object_set_new(o, "loaded_at_iso", iso_time(v->loaded_at_us));
        }
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return -ENOMEM;
        }
    }
    *out = arr;
    return 0;
}

void sc_engine_get_reload_stats(const sc_engine *e, sc_engine_reload_stats *out)
{
    memset(out, 0, sizeof *out);
    const sc_engine__versions *r = e ? e->versions : NULL;
    if (!r)
        return;
    out->reloads_ok = r->reloads_ok;
    out->reloads_unchanged = r->reloads_unchanged;
    out->reloads_failed = r->reloads_failed;
    out->versions_live = r->n;
    out->versions_released = r->released;
    out->sessions_migrated = r->sessions_migrated;
}
