/* parse: turns the YAML tree into the table's header, states and rows, checking structure
 * (types, required and unknown keys) and resolving every name against the vocabulary. */
#include "table/table_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct sc_table__node node;

typedef struct parser {
    sc_table__ctx *ctx;
    sc_table *t;
    const sc_vocab *v;
} parser;

static const char *const TOP_KEYS[] = {"version",    "name",   "initial",     "description", "established_when",
                                       "vocabulary", "states", "transitions", "migrate",     NULL};
static const char *const STATE_KEYS[] = {"description", "terminal", "failure", "timer", "max_ms", NULL};
static const char *const TIMER_KEYS[] = {"after_ms", "event", NULL};
static const char *const ROW_KEYS[] = {"role", "from", "event",   "guards",      "actions",
                                       "to",   "set",  "publish", "description", NULL};
static const char *const VOCAB_KEYS[] = {"events", "guards", "actions", "conditions", NULL};
static const char *const PUBLISH_KEYS[] = {"name", "priority", NULL};
static const char *const KIND_NAMES[] = {"event", "guard", "action", "condition"};

static void *palloc(parser *p, size_t size)
{
    void *m = sc_table__alloc(&p->t->arena, size ? size : 1);
    if (!m)
        p->ctx->nomem = true;
    return m;
}

static const char *pstrdup(parser *p, const char *s)
{
    char *m = sc_table__strdup(&p->t->arena, s);
    if (!m)
        p->ctx->nomem = true;
    return m;
}

static const char *kind_word(sc_table__nkind k)
{
    return k == SCT_MAP ? "a mapping" : k == SCT_SEQ ? "a list" : "a scalar";
}

static bool want(parser *p, const node *n, sc_table__nkind kind, const char *what)
{
    if (n->kind == kind)
        return true;
    sc_table__error(p->ctx, n->line, n->column, "%s must be %s, not %s", what, kind_word(kind), kind_word(n->kind));
    return false;
}

static const node *map_get(const node *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++) {
        const node *k = map->items[2 * i];
        if (k->kind == SCT_SCALAR && strcmp(k->str, key) == 0)
            return map->items[2 * i + 1];
    }
    return NULL;
}

/* Reports every key of map not in allowed; false if any. */
static bool check_keys(parser *p, const node *map, const char *const *allowed, const char *where)
{
    bool ok = true;
    for (size_t i = 0; i < map->n; i++) {
        const node *k = map->items[2 * i];
        bool known = false;
        for (size_t j = 0; k->kind == SCT_SCALAR && allowed[j]; j++)
            known = known || strcmp(k->str, allowed[j]) == 0;
        if (known)
            continue;
        char list[256] = "";
        size_t used = 0;
        for (size_t j = 0; allowed[j] && used < sizeof(list); j++)
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", j ? ", " : "", allowed[j]);
        sc_table__error(p->ctx, k->line, k->column, "unknown key '%s' in %s (allowed: %s)",
                        k->kind == SCT_SCALAR ? k->str : "?", where, list);
        ok = false;
    }
    return ok;
}

static bool get_int(const node *n, int64_t *out)
{
    if (n->kind != SCT_SCALAR || !n->plain || !*n->str)
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(n->str, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool get_bool(const node *n, bool *out)
{
    if (n->kind != SCT_SCALAR || !n->plain)
        return false;
    if (!strcmp(n->str, "true") || !strcmp(n->str, "True") || !strcmp(n->str, "TRUE")) {
        *out = true;
        return true;
    }
    if (!strcmp(n->str, "false") || !strcmp(n->str, "False") || !strcmp(n->str, "FALSE")) {
        *out = false;
        return true;
    }
    return false;
}

static bool want_bool(parser *p, const node *n, const char *what, bool *out)
{
    if (get_bool(n, out))
        return true;
    sc_table__error(p->ctx, n->line, n->column, "%s must be true or false", what);
    return false;
}

static bool want_uint(parser *p, const node *n, const char *what, int64_t min, int64_t *out)
{
    if (get_int(n, out) && *out >= min)
        return true;
    sc_table__error(p->ctx, n->line, n->column, "%s must be an integer >= %" PRId64, what, min);
    return false;
}

/* A scalar string (not null); reports and returns NULL otherwise. */
static const char *want_str(parser *p, const node *n, const char *what)
{
    if (n->kind != SCT_SCALAR || sc_table__is_null(n)) {
        sc_table__error(p->ctx, n->line, n->column, "%s must be a string", what);
        return NULL;
    }
    return n->str;
}

static int resolve(parser *p, sc_vocab_kind kind, const node *n, const char *name)
{
    int id = sc_vocab_lookup(p->v, kind, name);
    if (id < 0)
        sc_table__error(p->ctx, n->line, n->column, "unknown %s '%s'", KIND_NAMES[kind], name);
    return id;
}

static int resolve_state(parser *p, const node *n)
{
    const char *name = want_str(p, n, "a state name");
    if (!name)
        return -1;
    int id = sc_table_state_id(p->t, name);
    if (id < 0)
        sc_table__error(p->ctx, n->line, n->column, "unknown state '%s'", name);
    return id;
}

/* ---- header ------------------------------------------------------------------------------ */

/* The built-in names of kind (ids below this count): a table cannot declare them again. */
static size_t builtin_count(sc_vocab_kind kind)
{
    static const size_t counts[] = {SC_EV__BUILTIN_COUNT, SC_GUARD__BUILTIN_COUNT, SC_ACTION__BUILTIN_COUNT,
                                    SC_COND__BUILTIN_COUNT};
    return counts[kind];
}

/* The entries of one vocabulary list: its items (a list of names, or of one-pair mappings
 * `Name: spec`) or, for guards and actions, a mapping `Name: spec-or-null`. For each, key is
 * the name's node and spec the value (NULL in a plain list). Returns how many, or 0 when the
 * list has the wrong shape (reported). */
static size_t vocab_entries(parser *p, sc_vocab_kind kind, const node *list, const node **keys, const node **specs,
                            size_t cap)
{
    bool mappable = kind == SC_VOCAB_GUARD || kind == SC_VOCAB_ACTION;
    size_t n = 0;
    if (list->kind == SCT_MAP && mappable) {
        for (size_t i = 0; i < list->n && n < cap; i++, n++) {
            keys[n] = list->items[2 * i];
            specs[n] = sc_table__is_null(list->items[2 * i + 1]) ? NULL : list->items[2 * i + 1];
        }
        return n;
    }
    if (!want(p, list, SCT_SEQ,
              mappable ? "a vocabulary list (or a mapping of names to webhooks)" : "a vocabulary list"))
        return 0;
    for (size_t i = 0; i < list->n && n < cap; i++, n++) {
        const node *it = list->items[i];
        bool pair = mappable && it->kind == SCT_MAP && it->n == 1;
        keys[n] = pair ? it->items[0] : it;
        specs[n] = pair && !sc_table__is_null(it->items[1]) ? it->items[1] : NULL;
    }
    return n;
}

/* Declare one name of kind. A name the base vocabulary already holds and that is not built
 * in (declared by the table a reload replaces, or by the host program) is the same name
 * again, not an error; a name written twice in this table is. Returns its id or -1. */
static int declare(parser *p, sc_vocab_kind kind, const node *key, size_t base_count)
{
    const char *name = want_str(p, key, "a vocabulary name");
    if (!name)
        return -1;
    int id = sc_vocab_lookup(p->t->own_vocab, kind, name);
    if (id >= 0 && (size_t)id >= builtin_count(kind) && (size_t)id < base_count)
        return id;
    int rc = id >= 0 ? -EEXIST : sc_vocab_add(p->t->own_vocab, kind, name, NULL, 0);
    if (rc == -EEXIST)
        sc_table__error(p->ctx, key->line, key->column, "%s '%s' is already declared", KIND_NAMES[kind], name);
    else if (rc == -EINVAL)
        sc_table__error(p->ctx, key->line, key->column, "invalid %s name '%s'", KIND_NAMES[kind], name);
    else if (rc < 0)
        p->ctx->nomem = true;
    return rc;
}

/* No name was new: the table uses the base vocabulary itself (a reload of a table with the
 * same vocabulary binds against the engine's). */
static bool vocab_grew(const sc_vocab *base, const sc_vocab *own)
{
    for (int k = 0; k < SC_VOCAB_KIND_COUNT; k++)
        if (sc_vocab_count(own, (sc_vocab_kind)k) != sc_vocab_count(base, (sc_vocab_kind)k))
            return true;
    return false;
}

static void parse_vocabulary(parser *p, const node *voc)
{
    static const sc_vocab_kind kinds[] = {SC_VOCAB_EVENT, SC_VOCAB_GUARD, SC_VOCAB_ACTION, SC_VOCAB_CONDITION};
    if (!want(p, voc, SCT_MAP, "'vocabulary'") || !check_keys(p, voc, VOCAB_KEYS, "vocabulary"))
        return;
    const sc_vocab *base = p->v;
    if (sc_table__vocab_clone(base, &p->t->own_vocab) < 0) {
        p->ctx->nomem = true;
        return;
    }
    p->t->vocab = p->t->own_vocab;
    p->v = p->t->own_vocab;
    for (size_t k = 0; k < 4; k++) {
        const node *list = map_get(voc, VOCAB_KEYS[k]);
        if (!list || sc_table__is_null(list))
            continue;
        size_t cap = list->n ? list->n : 1;
        const node **keys = palloc(p, cap * sizeof *keys), **specs = palloc(p, cap * sizeof *specs);
        if (!keys || !specs)
            return;
        size_t n = vocab_entries(p, kinds[k], list, keys, specs, cap);
        size_t base_count = sc_vocab_count(base, kinds[k]);
        for (size_t i = 0; i < n; i++) {
            int id = declare(p, kinds[k], keys[i], base_count);
            if (id >= 0 && specs[i])
                sc_table__webhook_parse(p->ctx, p->t, kinds[k], (sc_id)id, keys[i]->str, keys[i], specs[i]);
        }
    }
    if (!p->ctx->errors && !p->ctx->nomem && !vocab_grew(base, p->t->own_vocab)) {
        sc_vocab_free(p->t->own_vocab);
        p->t->own_vocab = NULL;
        p->t->vocab = p->v = base;
    }
}

static void parse_state(parser *p, const node *key, const node *val, sc_state_info *s, bool *failure)
{
    s->name = pstrdup(p, key->str);
    s->line = key->line;
    s->column = key->column;
    s->timer_event = SC_EV_StateTimer;
    if (!sc_table__valid_name(key->str))
        sc_table__error(p->ctx, key->line, key->column, "invalid state name '%s'", key->str);
    if (sc_table__is_null(val))
        return;
    if (!want(p, val, SCT_MAP, "a state's properties"))
        return;
    check_keys(p, val, STATE_KEYS, "state");
    const node *n;
    int64_t iv;
    if ((n = map_get(val, "description")) && !sc_table__is_null(n))
        s->description = pstrdup(p, want_str(p, n, "'description'"));
    if ((n = map_get(val, "terminal")))
        want_bool(p, n, "'terminal'", &s->terminal);
    if ((n = map_get(val, "failure")))
        want_bool(p, n, "'failure'", failure);
    if ((n = map_get(val, "max_ms")) && want_uint(p, n, "'max_ms'", 0, &iv))
        s->max_ms = (uint64_t)iv;
    if ((n = map_get(val, "timer")) && want(p, n, SCT_MAP, "'timer'")) {
        check_keys(p, n, TIMER_KEYS, "timer");
        const node *ms = map_get(n, "after_ms"), *ev = map_get(n, "event");
        if (!ms)
            sc_table__error(p->ctx, n->line, n->column, "missing required key 'after_ms' in timer");
        else if (want_uint(p, ms, "'after_ms'", 1, &iv)) {
            if (iv > UINT32_MAX)
                sc_table__error(p->ctx, ms->line, ms->column, "'after_ms' is too large");
            s->timer_ms = (uint32_t)iv;
        }
        const char *name = ev ? want_str(p, ev, "timer 'event'") : NULL;
        int id = name ? resolve(p, SC_VOCAB_EVENT, ev, name) : -1;
        if (id >= 0)
            s->timer_event = (sc_id)id;
    }
}

static void parse_states(parser *p, const node *states)
{
    if (!want(p, states, SCT_MAP, "'states'"))
        return;
    if (states->n == 0) {
        sc_table__error(p->ctx, states->line, states->column, "'states' must declare at least one state");
        return;
    }
    if (states->n >= SC_ID_NONE) {
        sc_table__error(p->ctx, states->line, states->column, "too many states");
        return;
    }
    p->t->states = palloc(p, states->n * sizeof(*p->t->states));
    p->t->state_failure = palloc(p, states->n * sizeof(bool));
    if (!p->t->states || !p->t->state_failure)
        return;
    for (size_t i = 0; i < states->n; i++) {
        const node *key = states->items[2 * i];
        if (!want(p, key, SCT_SCALAR, "a state name"))
            continue;
        size_t idx = p->t->nstates++;
        parse_state(p, key, states->items[2 * i + 1], &p->t->states[idx], &p->t->state_failure[idx]);
        if (!p->t->states[idx].name)
            p->t->nstates--;
    }
}

static void parse_established(parser *p, const node *n)
{
    if (!want(p, n, SCT_SEQ, "'established_when'"))
        return;
    p->t->established = palloc(p, n->n * sizeof(sc_id));
    for (size_t i = 0; p->t->established && i < n->n; i++) {
        const char *name = want_str(p, n->items[i], "a condition name");
        int id = name ? resolve(p, SC_VOCAB_CONDITION, n->items[i], name) : -1;
        if (id >= 0)
            p->t->established[p->t->nestablished++] = (sc_id)id;
    }
}

/* `migrate: {OldState: NewState, ...}`: old names are free (they name states of the tables
 * live sessions run on), targets are live states of this table; a state this table declares
 * terminal cannot be a source (an ended session does not come back). Duplicate keys are
 * refused by the YAML reader. */
static void parse_migrate(parser *p, const node *n)
{
    if (!want(p, n, SCT_MAP, "'migrate'") || n->n == 0)
        return;
    p->t->migrate = palloc(p, n->n * sizeof(*p->t->migrate));
    for (size_t i = 0; p->t->migrate && i < n->n; i++) {
        const node *k = n->items[2 * i], *v = n->items[2 * i + 1];
        const char *from = want_str(p, k, "a 'migrate' source state");
        if (!from)
            continue;
        if (!sc_table__valid_name(from)) {
            sc_table__error(p->ctx, k->line, k->column, "invalid state name '%s' in 'migrate'", from);
            continue;
        }
        int old = sc_table_state_id(p->t, from);
        if (old >= 0 && p->t->states[old].terminal) {
            sc_table__error(p->ctx, k->line, k->column,
                            "'migrate' source '%s' is a terminal state: ended sessions do not migrate", from);
            continue;
        }
        const char *to = want_str(p, v, "a 'migrate' target state");
        int id = to ? sc_table_state_id(p->t, to) : -1;
        if (to && id < 0)
            sc_table__error(p->ctx, v->line, v->column, "'migrate' target '%s' is not a state of this table", to);
        else if (id >= 0 && p->t->states[id].terminal)
            sc_table__error(p->ctx, v->line, v->column,
                            "'migrate' target '%s' is a terminal state: sessions migrate into live states only", to);
        if (id < 0 || p->t->states[id].terminal)
            continue;
        p->t->migrate[p->t->nmigrate++] = (sc_migrate_entry){
            .from = pstrdup(p, from), .to = (sc_id)id, .line = k->line, .column = k->column};
    }
}

/* ---- rows ------------------------------------------------------------------------------ */

static bool parse_param(parser *p, const char *owner, const sc_param_spec *spec, const node *val, sc_param_value *out)
{
    out->name = spec->name;
    out->type = spec->type;
    static const char *const type_words[] = {"an int", "a string", "a bool (true or false)"};
    bool ok = false;
    switch (spec->type) {
    case SC_PARAM_INT: ok = get_int(val, &out->i); break;
    case SC_PARAM_BOOL: ok = get_bool(val, &out->b); break;
    case SC_PARAM_STRING:
        ok = val->kind == SCT_SCALAR && !sc_table__is_null(val);
        if (ok)
            out->s = pstrdup(p, val->str);
        break;
    }
    if (!ok)
        sc_table__error(p->ctx, val->line, val->column, "%s: parameter '%s' must be %s", owner, spec->name,
                        type_words[spec->type]);
    return ok;
}

/* One guard or action use: "Name", "!Name" (guards) or {Name: {param: value}}. */
static bool parse_call(parser *p, sc_vocab_kind kind, const node *item, sc_call *out)
{
    const node *name_node = item, *params = NULL;
    if (item->kind == SCT_MAP) {
        if (item->n != 1) {
            sc_table__error(p->ctx, item->line, item->column,
                            "a %s with parameters is a mapping of one name to its parameters", KIND_NAMES[kind]);
            return false;
        }
        name_node = item->items[0];
        params = item->items[1];
    }
    const char *name = want_str(p, name_node, kind == SC_VOCAB_GUARD ? "a guard" : "an action");
    if (!name)
        return false;
    if (kind == SC_VOCAB_GUARD && name[0] == '!') {
        out->negate = true;
        name++;
        while (*name == ' ')
            name++;
    }
    int id = resolve(p, kind, name_node, name);
    if (id < 0)
        return false;
    out->id = (sc_id)id;
    char owner[96];
    snprintf(owner, sizeof(owner), "%s '%s'", KIND_NAMES[kind], name);
    size_t nspec = 0;
    const sc_param_spec *spec = sc_vocab_params(p->v, kind, out->id, &nspec);
    bool ok = true;
    if (params && !sc_table__is_null(params)) {
        if (!want(p, params, SCT_MAP, "parameters"))
            return false;
        sc_param_value *vals = palloc(p, params->n * sizeof(*vals));
        if (!vals)
            return false;
        for (size_t i = 0; i < params->n; i++) {
            const node *k = params->items[2 * i];
            size_t j = 0;
            while (j < nspec && !(k->kind == SCT_SCALAR && strcmp(spec[j].name, k->str) == 0))
                j++;
            if (j == nspec) {
                char list[200] = "";
                size_t used = 0;
                for (size_t s = 0; s < nspec && used < sizeof(list); s++)
                    used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", s ? ", " : "", spec[s].name);
                sc_table__error(p->ctx, k->line, k->column, "%s: unknown parameter '%s' (%s%s)", owner,
                                k->kind == SCT_SCALAR ? k->str : "?", nspec ? "allowed: " : "it takes none", list);
                ok = false;
                continue;
            }
            ok = parse_param(p, owner, &spec[j], params->items[2 * i + 1], &vals[out->nparams]) && ok;
            out->nparams++;
        }
        out->params = vals;
    }
    for (size_t j = 0; j < nspec; j++) {
        if (!spec[j].required || (params && map_get(params, spec[j].name)))
            continue;
        sc_table__error(p->ctx, item->line, item->column, "%s: missing required parameter '%s'", owner, spec[j].name);
        ok = false;
    }
    return ok;
}

static sc_call *parse_calls(parser *p, sc_vocab_kind kind, const node *list, uint16_t *count)
{
    *count = 0;
    if (sc_table__is_null(list))
        return NULL;
    if (!want(p, list, SCT_SEQ, kind == SC_VOCAB_GUARD ? "'guards'" : "'actions'"))
        return NULL;
    sc_call *calls = palloc(p, list->n * sizeof(*calls));
    for (size_t i = 0; calls && i < list->n && i < UINT16_MAX; i++)
        if (parse_call(p, kind, list->items[i], &calls[*count]))
            (*count)++;
    return calls;
}

static void parse_set(parser *p, sc_table__row *r, const node *n)
{
    if (!want(p, n, SCT_MAP, "'set'"))
        return;
    r->set = palloc(p, n->n * sizeof(*r->set));
    for (size_t i = 0; r->set && i < n->n && i < UINT16_MAX; i++) {
        const node *k = n->items[2 * i], *v = n->items[2 * i + 1];
        const char *name = want_str(p, k, "a condition name");
        int id = name ? resolve(p, SC_VOCAB_CONDITION, k, name) : -1;
        bool value = false;
        if (!want_bool(p, v, "a condition value", &value) || id < 0)
            continue;
        r->set[r->nset++] = (sc_cond_update){.cond = (sc_id)id, .value = value};
    }
}

static bool parse_publish_item(parser *p, const node *item, sc_publish *out)
{
    out->priority = -1;
    const node *name_node = item;
    if (item->kind == SCT_MAP) {
        if (!check_keys(p, item, PUBLISH_KEYS, "publish"))
            return false;
        name_node = map_get(item, "name");
        if (!name_node) {
            sc_table__error(p->ctx, item->line, item->column, "missing required key 'name' in publish");
            return false;
        }
        const node *prio = map_get(item, "priority");
        if (prio) {
            static const char *const prios[] = {"low", "normal", "critical"};
            for (int i = 0; i < 3; i++)
                if (prio->kind == SCT_SCALAR && strcmp(prio->str, prios[i]) == 0)
                    out->priority = i;
            if (out->priority < 0) {
                sc_table__error(p->ctx, prio->line, prio->column,
                                "invalid priority '%s' (expected low, normal or critical)",
                                prio->kind == SCT_SCALAR ? prio->str : "?");
                return false;
            }
        }
    }
    const char *name = want_str(p, name_node, "a published event name");
    if (!name)
        return false;
    if (!sc_table__valid_name(name)) {
        sc_table__error(p->ctx, name_node->line, name_node->column, "invalid published event name '%s'", name);
        return false;
    }
    out->name = pstrdup(p, name);
    return out->name != NULL;
}

static void parse_from(parser *p, sc_table__row *r, const node *n)
{
    if (n->kind == SCT_SCALAR && strcmp(n->str, "*") == 0) {
        r->wildcard = true;
        return;
    }
    const node *const *items = (const node *const *)&n;
    size_t count = 1;
    if (n->kind == SCT_SEQ) {
        items = (const node *const *)n->items;
        count = n->n;
        if (count == 0)
            sc_table__error(p->ctx, n->line, n->column, "'from' lists no state");
    } else if (n->kind != SCT_SCALAR) {
        sc_table__error(p->ctx, n->line, n->column, "'from' must be a state, a list of states or \"*\"");
        return;
    }
    r->from = palloc(p, count * sizeof(sc_id));
    for (size_t i = 0; r->from && i < count; i++) {
        int id = resolve_state(p, items[i]);
        if (id < 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < r->nfrom; j++)
            seen = seen || r->from[j] == id;
        if (seen)
            sc_table__error(p->ctx, items[i]->line, items[i]->column, "state '%s' is listed twice in 'from'",
                            items[i]->str);
        else
            r->from[r->nfrom++] = (sc_id)id;
    }
}

static void parse_row(parser *p, const node *row, sc_table__row *r)
{
    r->line = row->line;
    r->column = row->column;
    r->role = SC_ROLE_ANY;
    r->to = SC_ID_NONE;
    r->event = SC_ID_NONE;
    check_keys(p, row, ROW_KEYS, "transition");
    const node *n;
    if ((n = map_get(row, "role"))) {
        const char *s = want_str(p, n, "'role'");
        if (s && sc_role_parse(s, &r->role) < 0)
            sc_table__error(p->ctx, n->line, n->column, "invalid role '%s' (expected uac, uas or any)", s);
    }
    if ((n = map_get(row, "from")))
        parse_from(p, r, n);
    else
        sc_table__error(p->ctx, row->line, row->column, "missing required key 'from' in transition");
    if ((n = map_get(row, "event"))) {
        const char *s = want_str(p, n, "'event'");
        int id = s ? resolve(p, SC_VOCAB_EVENT, n, s) : -1;
        if (id >= 0)
            r->event = (sc_id)id;
    } else {
        sc_table__error(p->ctx, row->line, row->column, "missing required key 'event' in transition");
    }
    if ((n = map_get(row, "to")) && !sc_table__is_null(n)) {
        int id = resolve_state(p, n);
        if (id >= 0)
            r->to = (sc_id)id;
    }
    if ((n = map_get(row, "guards")))
        r->guards = parse_calls(p, SC_VOCAB_GUARD, n, &r->nguards);
    if ((n = map_get(row, "actions")))
        r->actions = parse_calls(p, SC_VOCAB_ACTION, n, &r->nactions);
    if ((n = map_get(row, "set")) && !sc_table__is_null(n))
        parse_set(p, r, n);
    if ((n = map_get(row, "publish")) && !sc_table__is_null(n) && want(p, n, SCT_SEQ, "'publish'")) {
        r->publish = palloc(p, n->n * sizeof(*r->publish));
        for (size_t i = 0; r->publish && i < n->n && i < UINT16_MAX; i++)
            if (parse_publish_item(p, n->items[i], &r->publish[r->npublish]))
                r->npublish++;
    }
    if ((n = map_get(row, "description")) && !sc_table__is_null(n))
        r->description = pstrdup(p, want_str(p, n, "'description'"));
}

static void parse_rows(parser *p, const node *list)
{
    if (!want(p, list, SCT_SEQ, "'transitions'"))
        return;
    p->t->rows = palloc(p, list->n * sizeof(*p->t->rows));
    for (size_t i = 0; p->t->rows && i < list->n; i++) {
        if (!want(p, list->items[i], SCT_MAP, "a transition"))
            continue;
        parse_row(p, list->items[i], &p->t->rows[p->t->nrows++]);
    }
}

static const char *scalar_or_null(parser *p, const node *root, const char *key)
{
    const node *n = map_get(root, key);
    if (!n || sc_table__is_null(n))
        return NULL;
    return pstrdup(p, want_str(p, n, key));
}

int sc_table__parse(sc_table__ctx *ctx, sc_table *t, const node *root, const sc_vocab *vocab)
{
    parser p = {.ctx = ctx, .t = t, .v = vocab};
    t->vocab = vocab;
    t->initial = SC_ID_NONE;
    if (!root) {
        sc_table__error(ctx, 1, 1, "the table is empty");
        return SC_E_INVALID_TABLE;
    }
    if (root->kind != SCT_MAP) {
        sc_table__error(ctx, root->line, root->column, "a state table must be a YAML mapping");
        return SC_E_INVALID_TABLE;
    }
    check_keys(&p, root, TOP_KEYS, "table");
    const node *n;
    t->version = scalar_or_null(&p, root, "version");
    t->name = scalar_or_null(&p, root, "name");
    t->description = scalar_or_null(&p, root, "description");
    if ((n = map_get(root, "vocabulary")) && !sc_table__is_null(n))
        parse_vocabulary(&p, n);
    if ((n = map_get(root, "states")))
        parse_states(&p, n);
    else
        sc_table__error(ctx, root->line, root->column, "missing required key 'states'");
    if ((n = map_get(root, "established_when")) && !sc_table__is_null(n))
        parse_established(&p, n);
    n = map_get(root, "initial");
    if (n) {
        int id = resolve_state(&p, n);
        if (id >= 0)
            t->initial = (sc_id)id;
        t->initial_line = n->line;
        t->initial_col = n->column;
    } else if (t->nstates) {
        int id = sc_table_state_id(t, "Idle");
        if (id < 0)
            sc_table__error(ctx, root->line, root->column,
                            "no 'initial' state and no state named 'Idle' (the default)");
        else
            t->initial = (sc_id)id;
        t->initial_line = t->nstates && id >= 0 ? t->states[id].line : root->line;
        t->initial_col = t->nstates && id >= 0 ? t->states[id].column : root->column;
    }
    if ((n = map_get(root, "migrate")) && !sc_table__is_null(n) && t->nstates)
        parse_migrate(&p, n);
    if ((n = map_get(root, "transitions")) && t->nstates)
        parse_rows(&p, n); /* without states every row would only repeat "unknown state" */
    else if (n)
        ;
    else
        sc_table__error(ctx, root->line, root->column, "missing required key 'transitions'");
    if (ctx->nomem)
        return -ENOMEM;
    return ctx->errors ? SC_E_INVALID_TABLE : 0;
}
