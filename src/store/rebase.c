/* rebase: moves a session record onto another table version (a migration after a reload):
 * history states re-resolved by name, names the new table lacks kept as foreign states,
 * table reference and table_hash swapped. */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sc_store__xstate_name(const sc_session *s, sc_id id)
{
    if (id > SC_XSTATE_FIRST || (size_t)(SC_XSTATE_FIRST - id) >= s->nxstates)
        return NULL;
    return s->xstates[SC_XSTATE_FIRST - id];
}

static int xstate_find(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -ENOENT;
}

/* Whether n foreign ids stay clear of the table's state ids. */
static bool room_for(const sc_table *t, size_t n)
{
    return n <= SC_XSTATE_MAX && sc_table_state_count(t) + n < SC_XSTATE_FIRST;
}

int sc_store__history_state_id(const sc_session *s, const char *name, sc_id *out)
{
    if (!name)
        return -EINVAL;
    int id = sc_table_state_id(s->table, name);
    if (id < 0) {
        int i = xstate_find(s->xstates, s->nxstates, name);
        if (i < 0)
            return -EINVAL;
        id = SC_XSTATE_FIRST - i;
    }
    *out = (sc_id)id;
    return 0;
}

int sc_store__xstate_add(sc_session *s, const char *name, sc_id *out)
{
    int i = xstate_find(s->xstates, s->nxstates, name);
    if (i < 0) {
        if (!room_for(s->table, (size_t)s->nxstates + 1))
            return -ENOSPC;
        char **nx = realloc(s->xstates, ((size_t)s->nxstates + 1) * sizeof *nx);
        if (!nx)
            return -ENOMEM;
        s->xstates = nx;
        if (!(nx[s->nxstates] = strdup(name)))
            return -ENOMEM;
        s->strings_bytes += strlen(name) + 1 + sizeof *nx;
        i = s->nxstates++;
    }
    *out = (sc_id)(SC_XSTATE_FIRST - i);
    return 0;
}

/* The names a rebase needs to keep as foreign states. */
typedef struct names {
    char **v;
    size_t n, cap;
    size_t bytes; /* strings and slots, for the session's accounting */
} names;

static void names_free(names *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->v[i]);
    free(x->v);
}

/* The name of id under s's current naming ("#id" when unknown) into tmp. */
static const char *old_name(const sc_session *s, sc_id id, char *tmp, size_t n)
{
    const sc_state_info *si = sc_table_state(s->table, id);
    const char *x = si ? NULL : sc_store__xstate_name(s, id);
    if (si)
        return si->name;
    if (x)
        return x;
    snprintf(tmp, n, "#%u", (unsigned)id);
    return tmp;
}

/* Add id's name to x when the new table lacks it; 0, -ENOSPC, -ENOMEM. */
static int need(const sc_session *s, const sc_table *t, sc_id id, names *x)
{
    char tmp[16];
    const char *name = old_name(s, id, tmp, sizeof tmp);
    if (sc_table_state_id(t, name) >= 0 || xstate_find(x->v, x->n, name) >= 0)
        return 0;
    if (!room_for(t, x->n + 1))
        return -ENOSPC;
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 8;
        char **nv = realloc(x->v, cap * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        x->v = nv;
        x->cap = cap;
    }
    if (!(x->v[x->n] = strdup(name)))
        return -ENOMEM;
    x->bytes += strlen(name) + 1 + sizeof(char *);
    x->n++;
    return 0;
}

/* id (old naming) -> id in the new naming: a state of t or a foreign index into x. */
static sc_id remap(const sc_session *s, const sc_table *t, const names *x, sc_id id)
{
    char tmp[16];
    const char *name = old_name(s, id, tmp, sizeof tmp);
    int nid = sc_table_state_id(t, name);
    if (nid >= 0)
        return (sc_id)nid;
    int i = xstate_find(x->v, x->n, name);
    return i >= 0 ? (sc_id)(SC_XSTATE_FIRST - i) : SC_ID_NONE;
}

int sc_store__rebase(sc_session *s, sc_table *table, sc_id state, sc_id *from_out)
{
    if (!s || !table || !sc_table_state(table, state))
        return -EINVAL;
    names x = {0};
    int r = need(s, table, s->state, &x);
    sc_history_record h;
    for (size_t i = 0; !r && sc_session_history_get(s, i, &h) == 0; i++) {
        r = need(s, table, h.from, &x);
        if (!r)
            r = need(s, table, h.to, &x);
    }
    const char *hash = sc_table_hash(table);
    if (!r && hash)
        r = sc_session_set_field(s, SC_FIELD_TABLE_HASH, hash); /* the only other allocation */
    if (r) {
        names_free(&x);
        return r;
    }
    for (size_t i = 0; sc_session_history_get(s, i, &h) == 0; i++) /* the transition indexed the old table's rows */
        sc_store__history_set_states(s, i, remap(s, table, &x, h.from), remap(s, table, &x, h.to), UINT32_MAX);
    if (from_out)
        *from_out = remap(s, table, &x, s->state);
    for (size_t i = 0; i < s->nxstates; i++) {
        s->strings_bytes -= strlen(s->xstates[i]) + 1 + sizeof(char *);
        free(s->xstates[i]);
    }
    free(s->xstates);
    s->xstates = x.v;
    s->nxstates = (uint16_t)x.n;
    s->strings_bytes += x.bytes;
    sc_table *old = s->table;
    s->table = sc_table_ref(table);
    sc_table_unref(old);
    s->state = state;
    return 0;
}
