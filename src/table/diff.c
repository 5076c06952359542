/* diff: compares two compiled tables (states, initial state, established conditions and
 * transitions keyed by role, from state, event and guards) and describes the differences as
 * JSON, for `sessionctl diff` and the reload report. */
#include "table/table_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ---- Canonical text of the parts of a row -------------------------------------------------- */

static const char *prio_name(int p)
{
    switch (p) {
    case SC_PRIO_LOW: return "low";
    case SC_PRIO_NORMAL: return "normal";
    case SC_PRIO_CRITICAL: return "critical";
    default: return NULL;
    }
}

/* "!Name(a=1,b=x)" for one guard or action use, malloc'd; NULL on ENOMEM. */
static char *call_text(const sc_vocab *v, sc_vocab_kind kind, const sc_call *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const char *name = sc_vocab_name(v, kind, c->id);
    fprintf(f, "%s%s", c->negate ? "!" : "", name ? name : "?");
    if (c->nparams) {
        fputc('(', f);
        for (uint16_t i = 0; i < c->nparams; i++) {
            const sc_param_value *p = &c->params[i];
            fprintf(f, "%s%s=", i ? "," : "", p->name);
            if (p->type == SC_PARAM_INT)
                fprintf(f, "%lld", (long long)p->i);
            else if (p->type == SC_PARAM_BOOL)
                fputs(p->b ? "true" : "false", f);
            else
                fputs(p->s ? p->s : "", f);
        }
        fputc(')', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The calls as a JSON array of strings; sorted when `sorted` (guards: order does not matter). */
static json_t *calls_json(const sc_vocab *v, sc_vocab_kind kind, const sc_call *calls, size_t n, bool sorted)
{
    json_t *arr = json_array();
    char **txt = n ? calloc(n, sizeof *txt) : NULL;
    if (!arr || (n && !txt))
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (!(txt[i] = call_text(v, kind, &calls[i])))
            goto fail;
    if (sorted && n > 1)
        qsort(txt, n, sizeof *txt, cmp_str);
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, json_string(txt[i])) != 0)
            goto fail;
    for (size_t i = 0; i < n; i++)
        free(txt[i]);
    free(txt);
    return arr;
fail:
    for (size_t i = 0; txt && i < n; i++)
        free(txt[i]);
    free(txt);
    json_decref(arr);
    return NULL;
}

static const char *state_name(const sc_table *t, sc_id id)
{
    const sc_state_info *s = sc_table_state(t, id);
    return s ? s->name : NULL;
}

/* Everything that describes a transition, by name: key fields and the compared parts. */
static json_t *transition_json(const sc_table *t, const sc_transition *tr)
{
    const sc_vocab *v = sc_table_vocab(t);
    json_t *o = json_object();
    json_t *set = json_array(), *pub = json_array();
    if (!o || !set || !pub)
        goto fail;
    const char *ev = sc_vocab_name(v, SC_VOCAB_EVENT, tr->event);
    json_object_set_new(o, "role", json_string(sc_role_name(tr->role)));
    json_object_set_new(o, "from", json_string(state_name(t, tr->from)));
    json_object_set_new(o, "event", json_string(ev ? ev : "?"));
    json_object_set_new(o, "guards", calls_json(v, SC_VOCAB_GUARD, tr->guards, tr->nguards, true));
    json_object_set_new(o, "to", tr->to == SC_ID_NONE ? json_null() : json_string(state_name(t, tr->to)));
    json_object_set_new(o, "actions", calls_json(v, SC_VOCAB_ACTION, tr->actions, tr->nactions, false));
    for (uint16_t i = 0; i < tr->nset; i++) {
        const char *c = sc_vocab_name(v, SC_VOCAB_CONDITION, tr->set[i].cond);
        char buf[256];
        snprintf(buf, sizeof buf, "%s=%s", c ? c : "?", tr->set[i].value ? "true" : "false");
        json_array_append_new(set, json_string(buf));
    }
    for (uint16_t i = 0; i < tr->npublish; i++) {
        const char *p = prio_name(tr->publish[i].priority);
        char buf[256];
        snprintf(buf, sizeof buf, "%s%s%s", tr->publish[i].name, p ? ":" : "", p ? p : "");
        json_array_append_new(pub, json_string(buf));
    }
    json_object_set_new(o, "set", set);
    json_object_set_new(o, "publish", pub);
    json_object_set_new(o, "line", json_integer(tr->line));
    json_object_set_new(o, "column", json_integer(tr->column));
    if (!json_is_array(json_object_get(o, "guards")) || !json_is_array(json_object_get(o, "actions")) ||
        !json_is_string(json_object_get(o, "from")))
        goto fail_o;
    return o;
fail:
    json_decref(set);
    json_decref(pub);
fail_o:
    json_decref(o);
    return NULL;
}

/* ---- Keys -------------------------------------------------------------------------------- */

typedef struct diff_row {
    char *key;  /* "role|from|event|guard,guard" */
    json_t *js; /* transition_json */
    size_t pos; /* file order */
} diff_row;

typedef struct diff_side {
    diff_row *rows; /* by file order */
    diff_row **byk; /* sorted by key */
    size_t n;
} diff_side;

static void side_free(diff_side *s)
{
    for (size_t i = 0; s->rows && i < s->n; i++) {
        free(s->rows[i].key);
        json_decref(s->rows[i].js);
    }
    free(s->rows);
    free(s->byk);
}

static char *row_key(json_t *js)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "%s|%s|%s|", json_string_value(json_object_get(js, "role")),
            json_string_value(json_object_get(js, "from")), json_string_value(json_object_get(js, "event")));
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(js, "guards"), i, g)
        fprintf(f, "%s%s", i ? "," : "", json_string_value(g));
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int cmp_row(const void *a, const void *b)
{
    const diff_row *x = *(diff_row *const *)a, *y = *(diff_row *const *)b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static int side_build(diff_side *s, const sc_table *t)
{
    size_t n = sc_table_transition_count(t);
    s->n = 0;
    s->rows = calloc(n ? n : 1, sizeof *s->rows);
    s->byk = calloc(n ? n : 1, sizeof *s->byk);
    if (!s->rows || !s->byk)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        diff_row *r = &s->rows[i];
        r->pos = i;
        r->js = transition_json(t, sc_table_transition(t, i));
        s->n = i + 1;
        if (!r->js || !(r->key = row_key(r->js)))
            return -ENOMEM;
        s->byk[i] = r;
    }
    qsort(s->byk, s->n, sizeof *s->byk, cmp_row);
    return 0;
}

static diff_row *side_find(const diff_side *s, const char *key)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->byk[mid]->key, key);
        if (c == 0)
            return s->byk[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- Comparison -------------------------------------------------------------------------- */

static const char *const COMPARED[] = {"to", "actions", "set", "publish"};

/* {"field": {"old": x, "new": y}} for every compared field that differs; NULL if none. */
static json_t *changes_of(json_t *a, json_t *b)
{
    json_t *ch = NULL;
    for (size_t i = 0; i < sizeof COMPARED / sizeof COMPARED[0]; i++) {
        json_t *x = json_object_get(a, COMPARED[i]), *y = json_object_get(b, COMPARED[i]);
        if (json_equal(x, y))
            continue;
        if (!ch && !(ch = json_object()))
            return NULL;
        json_object_set_new(ch, COMPARED[i], json_pack("{sOsO}", "old", x, "new", y));
    }
    return ch;
}

/* A copy of a row's description without line/column (those go into old_line/new_line). */
static json_t *key_json(json_t *js)
{
    return json_pack("{sOsOsOsO}", "role", json_object_get(js, "role"), "from", json_object_get(js, "from"), "event",
                     json_object_get(js, "event"), "guards", json_object_get(js, "guards"));
}

static int diff_transitions(const sc_table *a, const sc_table *b, json_t *out, size_t *ndiff)
{
    diff_side sa = {0}, sb = {0};
    int r = side_build(&sa, a);
    if (!r)
        r = side_build(&sb, b);
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    if (r || !added || !removed || !changed) {
        r = -ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < sa.n; i++)
        if (!side_find(&sb, sa.rows[i].key)) {
            json_array_append(removed, sa.rows[i].js);
            (*ndiff)++;
        }
    for (size_t i = 0; i < sb.n; i++) {
        diff_row *old = side_find(&sa, sb.rows[i].key);
        if (!old) {
            json_array_append(added, sb.rows[i].js);
            (*ndiff)++;
            continue;
        }
        json_t *ch = changes_of(old->js, sb.rows[i].js);
        if (!ch)
            continue;
        json_t *k = key_json(sb.rows[i].js);
        if (!k) {
            json_decref(ch);
            r = -ENOMEM;
            goto done;
        }
        json_object_set_new(k, "changes", ch);
        json_object_set(k, "old_line", json_object_get(old->js, "line"));
        json_object_set(k, "new_line", json_object_get(sb.rows[i].js, "line"));
        json_array_append_new(changed, k);
        (*ndiff)++;
    }
    json_object_set_new(out, "transitions",
                        json_pack("{sOsOsO}", "added", added, "removed", removed, "changed", changed));
done:
    json_decref(added);
    json_decref(removed);
    json_decref(changed);
    side_free(&sa);
    side_free(&sb);
    return r;
}

static json_t *state_json(const sc_table *t, const sc_state_info *s)
{
    const char *tev = s->timer_ms ? sc_vocab_name(sc_table_vocab(t), SC_VOCAB_EVENT, s->timer_event) : NULL;
    return json_pack("{sssbsIsosIsisi}", "state", s->name, "terminal", s->terminal, "timer_ms", (json_int_t)s->timer_ms,
                     "timer_event", tev ? json_string(tev) : json_null(), "max_ms", (json_int_t)s->max_ms, "line",
                     (int)s->line, "column", (int)s->column);
}

static const char *const STATE_COMPARED[] = {"terminal", "timer_ms", "timer_event", "max_ms"};

static int diff_states(const sc_table *a, const sc_table *b, json_t *out, size_t *ndiff)
{
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    int r = 0;
    if (!added || !removed || !changed) {
        r = -ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < sc_table_state_count(a); i++) {
        const sc_state_info *s = sc_table_state(a, (sc_id)i);
        if (sc_table_state_id(b, s->name) < 0) {
            json_array_append_new(removed, state_json(a, s));
            (*ndiff)++;
        }
    }
    for (size_t i = 0; i < sc_table_state_count(b); i++) {
        const sc_state_info *s = sc_table_state(b, (sc_id)i);
        int ia = sc_table_state_id(a, s->name);
        if (ia < 0) {
            json_array_append_new(added, state_json(b, s));
            (*ndiff)++;
            continue;
        }
        json_t *x = state_json(a, sc_table_state(a, (sc_id)ia)), *y = state_json(b, s);
        json_t *ch = NULL;
        for (size_t k = 0; x && y && k < sizeof STATE_COMPARED / sizeof STATE_COMPARED[0]; k++) {
            json_t *ox = json_object_get(x, STATE_COMPARED[k]), *oy = json_object_get(y, STATE_COMPARED[k]);
            if (json_equal(ox, oy))
                continue;
            if (!ch)
                ch = json_object();
            json_object_set_new(ch, STATE_COMPARED[k], json_pack("{sOsO}", "old", ox, "new", oy));
        }
        if (ch) {
            json_array_append_new(changed, json_pack("{sssosIsI}", "state", s->name, "changes", ch, "old_line",
                                                     json_integer_value(json_object_get(x, "line")), "new_line",
                                                     (json_int_t)s->line));
            (*ndiff)++;
        }
        json_decref(x);
        json_decref(y);
    }
    json_object_set_new(out, "states", json_pack("{sOsOsO}", "added", added, "removed", removed, "changed", changed));
done:
    json_decref(added);
    json_decref(removed);
    json_decref(changed);
    return r;
}

/* The `migrate:` map as [{from, to, line, column}] in file order; with other (the table the
 * sessions run on), each entry also says whether other has that state ("known"). */
static json_t *migrate_json(const sc_table *t, const sc_table *other)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < sc_table_migrate_count(t); i++) {
        const sc_migrate_entry *m = sc_table_migrate_entry(t, i);
        const char *to = state_name(t, m->to);
        json_t *e = json_pack("{sssssisi}", "from", m->from, "to", to ? to : "?", "line", (int)m->line, "column",
                              (int)m->column);
        if (e && other)
            json_object_set_new(e, "known", json_boolean(sc_table_state_id(other, m->from) >= 0));
        json_array_append_new(arr, e);
    }
    return arr;
}

/* "migrate": present when the maps differ (as from -> to pairs); "new" is what a reload from
 * a to b does to live sessions, each entry marked known/unknown in a. */
static void diff_migrate(const sc_table *a, const sc_table *b, json_t *out, size_t *ndiff)
{
    bool same = sc_table_migrate_count(a) == sc_table_migrate_count(b);
    for (size_t i = 0; same && i < sc_table_migrate_count(a); i++) {
        const sc_migrate_entry *x = sc_table_migrate_entry(a, i), *y = sc_table_migrate_entry(b, i);
        const char *tx = state_name(a, x->to), *ty = state_name(b, y->to);
        same = !strcmp(x->from, y->from) && tx && ty && !strcmp(tx, ty);
    }
    if (same)
        return;
    json_object_set_new(out, "migrate", json_pack("{soso}", "old", migrate_json(a, NULL), "new", migrate_json(b, a)));
    (*ndiff)++;
}

static json_t *established_json(const sc_table *t)
{
    size_t n = 0;
    const sc_id *ids = sc_table_established_conditions(t, &n);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        const char *c = sc_vocab_name(sc_table_vocab(t), SC_VOCAB_CONDITION, ids[i]);
        json_array_append_new(arr, json_string(c ? c : "?"));
    }
    return arr;
}

static json_t *opt_str(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *header_json(const sc_table *t)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "name", opt_str(sc_table_name(t)));
    json_object_set_new(o, "version", opt_str(sc_table_version(t)));
    json_object_set_new(o, "path", opt_str(sc_table_path(t)));
    json_object_set_new(o, "hash", opt_str(sc_table_hash(t)));
    return o;
}

int sc_table_diff(const sc_table *a, const sc_table *b, json_t **out)
{
    if (!a || !b || !out)
        return -EINVAL;
    json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    size_t ndiff = 0;
    json_t *ha = header_json(a), *hb = header_json(b);
    json_object_set(o, "old", ha);
    json_object_set(o, "new", hb);
    const char *ia = state_name(a, sc_table_initial_state(a)), *ib = state_name(b, sc_table_initial_state(b));
    if (!ia || !ib || strcmp(ia, ib) != 0) {
        json_object_set_new(o, "initial", json_pack("{ssss}", "old", ia ? ia : "", "new", ib ? ib : ""));
        ndiff++;
    }
    json_t *ea = established_json(a), *eb = established_json(b);
    if (!json_equal(ea, eb)) {
        json_object_set_new(o, "established_when", json_pack("{sOsO}", "old", ea, "new", eb));
        ndiff++;
    }
    json_decref(ea);
    json_decref(eb);
    int r = diff_states(a, b, o, &ndiff);
    if (!r)
        r = diff_transitions(a, b, o, &ndiff);
    if (!r)
        diff_migrate(a, b, o, &ndiff);
    if (!r)
        sc_table__webhooks_diff(a, b, o, &ndiff); /* webhook.c */
    bool nomem = !ha || !hb;
    json_decref(ha);
    json_decref(hb);
    if (r || nomem) {
        json_decref(o);
        return r ? r : -ENOMEM;
    }
    json_object_set_new(o, "identical", json_boolean(ndiff == 0));
    json_object_set_new(o, "differences", json_integer((json_int_t)ndiff));
    *out = o;
    return ndiff > (size_t)INT32_MAX ? INT32_MAX : (int)ndiff;
}

json_t *sc_diags_json(const sc_diags *d, bool errors_only)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && d && i < sc_diags_count(d); i++) {
        const sc_diag *g = sc_diags_get(d, i);
        if (errors_only && g->severity != SC_SEV_ERROR)
            continue;
        json_t *e = json_pack("{sssIsIssss}", "file", g->file ? g->file : "", "line", (json_int_t)g->line, "column",
                              (json_int_t)g->column, "severity", g->severity == SC_SEV_ERROR ? "error" : "warning",
                              "message", g->message ? g->message : "");
        if (!e || json_array_append_new(arr, e) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
