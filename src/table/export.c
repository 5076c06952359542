/* export: draws a compiled table as Graphviz DOT, Mermaid stateDiagram-v2 or JSON, for the
 * whole table or one role, styling terminal states and failure edges and highlighting a path. */
#include "table/table_int.h"

#include "session_core/base.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* What to draw: which transitions (for the role), which are on the path. */
typedef struct view {
    const sc_table *t;
    const sc_graph_opts *o;
    bool *show;    /* per transition */
    bool *on_path; /* per transition */
    bool *visited; /* per state */
} view;

static bool row_wild(const sc_table *t, const sc_transition *tr) { return t->rows[t->trans_row[tr->index]].wildcard; }

static int view_init(view *v, const sc_table *t, const sc_graph_opts *o)
{
    *v = (view){.t = t, .o = o};
    size_t n = t->ntrans ? t->ntrans : 1;
    v->show = calloc(n, sizeof(bool));
    v->on_path = calloc(n, sizeof(bool));
    v->visited = calloc(t->nstates, sizeof(bool));
    if (!v->show || !v->on_path || !v->visited)
        return -ENOMEM;
    for (int r = 0; r < SC_ROLE_COUNT; r++) {
        if (o->role >= 0 && o->role != r)
            continue;
        for (size_t s = 0; s < t->nstates; s++) {
            for (size_t e = 0; e < t->nevents; e++) {
                size_t cnt;
                const sc_transition *const *rows = sc_table__rows_at(t, r, s, e, &cnt);
                for (size_t i = 0; i < cnt; i++)
                    v->show[rows[i]->index] = true;
            }
        }
    }
    for (size_t i = 0; o->path && i < o->npath; i++) {
        if (o->path[i] >= t->ntrans)
            continue;
        const sc_transition *tr = &t->trans[o->path[i]];
        v->on_path[tr->index] = true;
        v->visited[tr->from] = true;
        if (tr->to != SC_ID_NONE)
            v->visited[tr->to] = true;
    }
    if (o->npath)
        v->visited[t->initial] = true;
    return 0;
}

static void view_free(view *v)
{
    free(v->show);
    free(v->on_path);
    free(v->visited);
}

/* "uac: Event [G, !H] / A(code=486), B" with characters unsafe for the format replaced. */
static void edge_label(const view *v, const sc_transition *tr, char *buf, size_t size)
{
    const sc_vocab *voc = v->t->vocab;
    size_t used = 0;
#define APPEND(...)                                                         \
    do {                                                                    \
        if (used < size)                                                    \
            used += (size_t)snprintf(buf + used, size - used, __VA_ARGS__); \
    } while (0)
    if (v->o->role < 0 && tr->role != SC_ROLE_ANY)
        APPEND("(%s) ", sc_role_name(tr->role));
    APPEND("%s", sc_vocab_name(voc, SC_VOCAB_EVENT, tr->event));
    for (size_t i = 0; i < tr->nguards; i++)
        APPEND("%s%s%s", i ? ", " : " [", tr->guards[i].negate ? "!" : "",
               sc_vocab_name(voc, SC_VOCAB_GUARD, tr->guards[i].id));
    if (tr->nguards)
        APPEND("]");
    for (size_t i = 0; i < tr->nactions; i++) {
        const sc_call *a = &tr->actions[i];
        APPEND("%s%s", i ? ", " : " / ", sc_vocab_name(voc, SC_VOCAB_ACTION, a->id));
        for (size_t k = 0; k < a->nparams; k++) {
            const sc_param_value *p = &a->params[k];
            APPEND("%s", k ? " " : "(");
            if (p->type == SC_PARAM_INT)
                APPEND("%" PRId64, p->i);
            else if (p->type == SC_PARAM_BOOL)
                APPEND("%s", p->b ? "true" : "false");
            else
                APPEND("%s", p->s);
        }
        if (a->nparams)
            APPEND(")");
    }
#undef APPEND
    for (char *c = buf; *c; c++)
        if (*c == '"' || *c == '\\' || *c == ':' || *c == ';' || *c == '#' || *c == '\n' || *c == '{' || *c == '}' ||
            *c == '<' || *c == '>')
            *c = ' ';
}

/* Calls fn for each edge to draw: wildcard rows once each (from "*"), unless on the path. */
typedef void (*edge_fn)(const view *v, sc_buf *b, const sc_transition *tr, bool from_any);

static void for_each_edge(const view *v, sc_buf *b, edge_fn fn)
{
    const sc_table *t = v->t;
    uint32_t last_wild_row = UINT32_MAX;
    for (size_t i = 0; i < t->ntrans; i++) {
        const sc_transition *tr = &t->trans[i];
        if (!v->show[i])
            continue;
        if (row_wild(t, tr) && !v->on_path[i]) {
            if (t->trans_row[i] == last_wild_row)
                continue;
            last_wild_row = t->trans_row[i];
            fn(v, b, tr, true);
            continue;
        }
        fn(v, b, tr, false);
    }
}

static bool any_wild_shown(const view *v)
{
    for (size_t i = 0; i < v->t->ntrans; i++)
        if (v->show[i] && row_wild(v->t, &v->t->trans[i]))
            return true;
    return false;
}

/* ---- DOT ----------------------------------------------------------------------------- */

static void dot_edge(const view *v, sc_buf *b, const sc_transition *tr, bool from_any)
{
    char label[512];
    edge_label(v, tr, label, sizeof(label));
    const sc_table *t = v->t;
    const char *from = from_any ? "*" : t->states[tr->from].name;
    const char *to = tr->to == SC_ID_NONE ? from : t->states[tr->to].name;
    sc_buf_printf(b, "  \"%s\" -> \"%s\" [label=\"%s\"", from, to, label);
    if (v->on_path[tr->index])
        sc_buf_printf(b, ", color=\"#1f6feb\", penwidth=3, fontcolor=\"#1f6feb\"");
    else if (tr->failure)
        sc_buf_printf(b, ", color=\"#c62828\", fontcolor=\"#c62828\"");
    if (tr->to == SC_ID_NONE)
        sc_buf_printf(b, ", style=dashed");
    sc_buf_printf(b, "];\n");
}

static void export_dot(const view *v, sc_buf *b)
{
    const sc_table *t = v->t;
    sc_buf_printf(b, "digraph \"%s\" {\n", t->name ? t->name : "state-table");
    sc_buf_printf(b, "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
                     "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    sc_buf_printf(b, "  \"__start\" [shape=point, label=\"\"];\n  \"__start\" -> \"%s\";\n",
                  t->states[t->initial].name);
    for (size_t s = 0; s < t->nstates; s++) {
        const sc_state_info *st = &t->states[s];
        sc_buf_printf(b, "  \"%s\" [", st->name);
        if (st->terminal)
            sc_buf_printf(b, "peripheries=2, style=\"rounded,filled\", fillcolor=\"%s\"",
                          t->state_failure[s] ? "#ffcdd2" : "#e0e0e0");
        else if (t->state_failure[s])
            sc_buf_printf(b, "color=\"#c62828\"");
        else
            sc_buf_printf(b, "style=rounded");
        if (v->visited[s])
            sc_buf_printf(b, ", color=\"#1f6feb\", penwidth=3");
        sc_buf_printf(b, "];\n");
    }
    if (any_wild_shown(v))
        sc_buf_printf(b, "  \"*\" [label=\"any non-terminal state\", style=dashed];\n");
    for_each_edge(v, b, dot_edge);
    sc_buf_printf(b, "}\n");
}

/* ---- Mermaid --------------------------------------------------------------------------- */

static void mermaid_edge(const view *v, sc_buf *b, const sc_transition *tr, bool from_any)
{
    char label[512];
    edge_label(v, tr, label, sizeof(label));
    const sc_table *t = v->t;
    const char *from = from_any ? "AnyState" : t->states[tr->from].name;
    const char *to = tr->to == SC_ID_NONE ? from : t->states[tr->to].name;
    sc_buf_printf(b, "    %s --> %s : %s%s%s\n", from, to, v->on_path[tr->index] ? "▶ " : "", tr->failure ? "✖ " : "",
                  label);
}

static void mermaid_class(const view *v, sc_buf *b, const char *cls, int which)
{
    const sc_table *t = v->t;
    bool first = true;
    for (size_t s = 0; s < t->nstates; s++) {
        bool in = which == 0   ? t->states[s].terminal && !t->state_failure[s]
                  : which == 1 ? t->state_failure[s]
                               : v->visited[s];
        if (!in)
            continue;
        sc_buf_printf(b, "%s%s", first ? "    class " : ",", t->states[s].name);
        first = false;
    }
    if (!first)
        sc_buf_printf(b, " %s\n", cls);
}

static void export_mermaid(const view *v, sc_buf *b)
{
    const sc_table *t = v->t;
    sc_buf_printf(b, "stateDiagram-v2\n");
    if (any_wild_shown(v))
        sc_buf_printf(b, "    state \"any non-terminal state\" as AnyState\n");
    sc_buf_printf(b, "    [*] --> %s\n", t->states[t->initial].name);
    for_each_edge(v, b, mermaid_edge);
    for (size_t s = 0; s < t->nstates; s++)
        if (t->states[s].terminal)
            sc_buf_printf(b, "    %s --> [*]\n", t->states[s].name);
    sc_buf_printf(b, "    classDef terminal fill:#e0e0e0,stroke:#555\n"
                     "    classDef failure fill:#ffcdd2,stroke:#c62828\n"
                     "    classDef visited stroke:#1f6feb,stroke-width:3px\n");
    mermaid_class(v, b, "terminal", 0);
    mermaid_class(v, b, "failure", 1);
    mermaid_class(v, b, "visited", 2);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static json_t *json_calls(const sc_table *t, sc_vocab_kind kind, const sc_call *calls, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "name", json_string(sc_vocab_name(t->vocab, kind, calls[i].id)));
        if (kind == SC_VOCAB_GUARD)
            json_object_set_new(c, "negate", json_boolean(calls[i].negate));
        json_t *params = json_object();
        for (size_t k = 0; k < calls[i].nparams; k++) {
            const sc_param_value *p = &calls[i].params[k];
            json_object_set_new(params, p->name,
                                p->type == SC_PARAM_INT    ? json_integer(p->i)
                                : p->type == SC_PARAM_BOOL ? json_boolean(p->b)
                                                           : json_string(p->s));
        }
        json_object_set_new(c, "params", params);
        json_array_append_new(arr, c);
    }
    return arr;
}

static json_t *json_transition(const view *v, const sc_transition *tr)
{
    const sc_table *t = v->t;
    static const char *const prios[] = {"low", "normal", "critical"};
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(tr->index));
    json_object_set_new(o, "role", json_string(sc_role_name(tr->role)));
    json_object_set_new(o, "from", json_string(t->states[tr->from].name));
    json_object_set_new(o, "wildcard", json_boolean(row_wild(t, tr)));
    json_object_set_new(o, "event", json_string(sc_vocab_name(t->vocab, SC_VOCAB_EVENT, tr->event)));
    json_object_set_new(o, "to", tr->to == SC_ID_NONE ? json_null() : json_string(t->states[tr->to].name));
    json_object_set_new(o, "guards", json_calls(t, SC_VOCAB_GUARD, tr->guards, tr->nguards));
    json_object_set_new(o, "actions", json_calls(t, SC_VOCAB_ACTION, tr->actions, tr->nactions));
    json_t *set = json_object();
    for (size_t i = 0; i < tr->nset; i++)
        json_object_set_new(set, sc_vocab_name(t->vocab, SC_VOCAB_CONDITION, tr->set[i].cond),
                            json_boolean(tr->set[i].value));
    json_object_set_new(o, "set", set);
    json_t *pub = json_array();
    for (size_t i = 0; i < tr->npublish; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "name", json_string(tr->publish[i].name));
        if (tr->publish[i].priority >= 0 && tr->publish[i].priority <= 2)
            json_object_set_new(p, "priority", json_string(prios[tr->publish[i].priority]));
        json_array_append_new(pub, p);
    }
    json_object_set_new(o, "publish", pub);
    json_object_set_new(o, "failure", json_boolean(tr->failure));
    json_object_set_new(o, "on_path", json_boolean(v->on_path[tr->index]));
    json_object_set_new(o, "line", json_integer(tr->line));
    json_object_set_new(o, "column", json_integer(tr->column));
    if (tr->description)
        json_object_set_new(o, "description", json_string(tr->description));
    return o;
}

static char *export_json(const view *v)
{
    const sc_table *t = v->t;
    json_t *root = json_object();
    json_object_set_new(root, "name", t->name ? json_string(t->name) : json_null());
    json_object_set_new(root, "version", t->version ? json_string(t->version) : json_null());
    json_object_set_new(root, "hash", json_string(t->hash));
    json_object_set_new(root, "role",
                        v->o->role < 0 ? json_string("all") : json_string(sc_role_name((sc_role)v->o->role)));
    json_object_set_new(root, "initial", json_string(t->states[t->initial].name));
    json_t *est = json_array();
    for (size_t i = 0; i < t->nestablished; i++)
        json_array_append_new(est, json_string(sc_vocab_name(t->vocab, SC_VOCAB_CONDITION, t->established[i])));
    json_object_set_new(root, "established_when", est);
    json_t *states = json_array();
    for (size_t s = 0; s < t->nstates; s++) {
        const sc_state_info *st = &t->states[s];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(st->name));
        json_object_set_new(o, "terminal", json_boolean(st->terminal));
        json_object_set_new(o, "failure", json_boolean(t->state_failure[s]));
        if (st->timer_ms) {
            json_object_set_new(o, "timer_ms", json_integer(st->timer_ms));
            json_object_set_new(o, "timer_event",
                                json_string(sc_vocab_name(t->vocab, SC_VOCAB_EVENT, st->timer_event)));
        }
        if (st->max_ms)
            json_object_set_new(o, "max_ms", json_integer((json_int_t)st->max_ms));
        if (st->description)
            json_object_set_new(o, "description", json_string(st->description));
        json_object_set_new(o, "visited", json_boolean(v->visited[s]));
        json_array_append_new(states, o);
    }
    json_object_set_new(root, "states", states);
    json_t *trans = json_array();
    for (size_t i = 0; i < t->ntrans; i++)
        if (v->show[i])
            json_array_append_new(trans, json_transition(v, &t->trans[i]));
    json_object_set_new(root, "transitions", trans);
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s)
        return NULL;
    /* jansson allocates with malloc by default; copy anyway so the caller may free() it */
    char *copy = strdup(s);
    free(s);
    return copy;
}

int sc_table_export(const sc_table *t, const sc_graph_opts *opts, char **out)
{
    if (!t || !opts || !out || opts->role < -1 || opts->role >= SC_ROLE_COUNT)
        return -EINVAL;
    if (opts->format != SC_GRAPH_DOT && opts->format != SC_GRAPH_MERMAID && opts->format != SC_GRAPH_JSON)
        return -EINVAL;
    view v;
    int rc = view_init(&v, t, opts);
    if (rc < 0) {
        view_free(&v);
        return rc;
    }
    sc_buf b = {0};
    char *result = NULL;
    if (opts->format == SC_GRAPH_JSON) {
        result = export_json(&v);
    } else {
        if (opts->format == SC_GRAPH_DOT)
            export_dot(&v, &b);
        else
            export_mermaid(&v, &b);
        if (b.err)
            sc_buf_free(&b);
        else
            result = b.p;
    }
    view_free(&v);
    if (!result)
        return -ENOMEM;
    *out = result;
    return 0;
}
