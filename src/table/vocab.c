/* vocab: the names a table may use (built-in events, guards, actions, conditions plus the
 * application's own), their ids and parameter specs; also role names. */
#include "table/table_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct vocab_entry {
    const char *name;      /* in the vocab's arena */
    sc_param_spec *params; /* in the vocab's arena */
    size_t nparams;
} vocab_entry;

typedef struct vocab_list {
    vocab_entry *v; /* malloc'd */
    size_t n, cap;
} vocab_list;

struct sc_vocab {
    sc_table__arena arena; /* names and specs */
    vocab_list kinds[SC_VOCAB_KIND_COUNT];
};

const char *sc_role_name(sc_role role)
{
    switch (role) {
    case SC_ROLE_UAC: return "uac";
    case SC_ROLE_UAS: return "uas";
    case SC_ROLE_ANY: return "any";
    }
    return "?";
}

int sc_role_parse(const char *name, sc_role *out)
{
    static const sc_role roles[] = {SC_ROLE_UAC, SC_ROLE_UAS, SC_ROLE_ANY};
    if (!name || !out)
        return -EINVAL;
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(name, sc_role_name(roles[i])) == 0) {
            *out = roles[i];
            return 0;
        }
    }
    return -EINVAL;
}

bool sc_table__valid_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return false;
    if (!((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') || *name == '_'))
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static int list_push(sc_vocab *v, vocab_list *l, const char *name, const sc_param_spec *params, size_t nparams)
{
    if (l->n >= SC_ID_NONE)
        return -ENOSPC;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        vocab_entry *nv = realloc(l->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    vocab_entry *e = &l->v[l->n];
    e->name = sc_table__strdup(&v->arena, name);
    e->params = nparams ? sc_table__alloc(&v->arena, nparams * sizeof(*params)) : NULL;
    if (!e->name || (nparams && !e->params))
        return -ENOMEM;
    for (size_t i = 0; i < nparams; i++) {
        e->params[i] = params[i];
        e->params[i].name = sc_table__strdup(&v->arena, params[i].name);
        if (!e->params[i].name)
            return -ENOMEM;
    }
    e->nparams = nparams;
    return (int)l->n++;
}

/* Parses a built-in spec ("code:int!,reason:string") into specs (at most cap). */
static size_t parse_spec(const char *spec, sc_param_spec *out, char names[][32], size_t cap)
{
    size_t n = 0;
    const char *p = spec;
    while (*p && n < cap) {
        const char *colon = strchr(p, ':');
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        if (!colon || colon > end)
            break;
        size_t nl = (size_t)(colon - p) < 31 ? (size_t)(colon - p) : 31;
        memcpy(names[n], p, nl);
        names[n][nl] = '\0';
        const char *type = colon + 1;
        size_t tl = (size_t)(end - type);
        out[n].required = tl > 0 && type[tl - 1] == '!';
        if (out[n].required)
            tl--;
        if (tl == 3 && strncmp(type, "int", 3) == 0)
            out[n].type = SC_PARAM_INT;
        else if (tl == 4 && strncmp(type, "bool", 4) == 0)
            out[n].type = SC_PARAM_BOOL;
        else
            out[n].type = SC_PARAM_STRING;
        out[n].name = names[n];
        n++;
        p = *end ? end + 1 : end;
    }
    return n;
}

static int add_builtin(sc_vocab *v, sc_vocab_kind kind, const char *name, const char *spec)
{
    sc_param_spec specs[8];
    char names[8][32];
    size_t n = spec ? parse_spec(spec, specs, names, 8) : 0;
    int rc = list_push(v, &v->kinds[kind], name, specs, n);
    return rc < 0 ? rc : 0;
}

int sc_vocab_new(sc_vocab **out)
{
    sc_vocab *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    int rc = 0;
#define ADD_EVENT(name) \
    if (rc == 0)        \
        rc = add_builtin(v, SC_VOCAB_EVENT, #name, NULL);
    SC_BUILTIN_EVENTS(ADD_EVENT)
#undef ADD_EVENT
#define ADD_GUARD(name, spec) \
    if (rc == 0)              \
        rc = add_builtin(v, SC_VOCAB_GUARD, #name, spec);
    SC_BUILTIN_GUARDS(ADD_GUARD)
#undef ADD_GUARD
#define ADD_ACTION(name, spec) \
    if (rc == 0)               \
        rc = add_builtin(v, SC_VOCAB_ACTION, #name, spec);
    SC_BUILTIN_ACTIONS(ADD_ACTION)
#undef ADD_ACTION
#define ADD_COND(name) \
    if (rc == 0)       \
        rc = add_builtin(v, SC_VOCAB_CONDITION, #name, NULL);
    SC_BUILTIN_CONDITIONS(ADD_COND)
#undef ADD_COND
    if (rc < 0) {
        sc_vocab_free(v);
        return -ENOMEM;
    }
    *out = v;
    return 0;
}

void sc_vocab_free(sc_vocab *v)
{
    if (!v)
        return;
    for (int k = 0; k < SC_VOCAB_KIND_COUNT; k++)
        free(v->kinds[k].v);
    sc_table__arena_free(&v->arena);
    free(v);
}

static bool kind_ok(int kind) { return kind >= 0 && kind < SC_VOCAB_KIND_COUNT; }

int sc_vocab_add(sc_vocab *v, sc_vocab_kind kind, const char *name, const sc_param_spec *params, size_t nparams)
{
    if (!v || !kind_ok((int)kind) || !sc_table__valid_name(name))
        return -EINVAL;
    if (nparams && (kind == SC_VOCAB_EVENT || kind == SC_VOCAB_CONDITION || !params))
        return -EINVAL;
    for (size_t i = 0; i < nparams; i++)
        if (!sc_table__valid_name(params[i].name))
            return -EINVAL;
    if (sc_vocab_lookup(v, kind, name) >= 0)
        return -EEXIST;
    return list_push(v, &v->kinds[kind], name, params, nparams);
}

int sc_vocab_lookup(const sc_vocab *v, sc_vocab_kind kind, const char *name)
{
    if (!v || !kind_ok((int)kind) || !name)
        return -ENOENT;
    const vocab_list *l = &v->kinds[kind];
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return (int)i;
    return -ENOENT;
}

const char *sc_vocab_name(const sc_vocab *v, sc_vocab_kind kind, sc_id id)
{
    if (!v || !kind_ok((int)kind) || id >= v->kinds[kind].n)
        return NULL;
    return v->kinds[kind].v[id].name;
}

size_t sc_vocab_count(const sc_vocab *v, sc_vocab_kind kind) { return v && kind_ok((int)kind) ? v->kinds[kind].n : 0; }

const sc_param_spec *sc_vocab_params(const sc_vocab *v, sc_vocab_kind kind, sc_id id, size_t *n)
{
    if (n)
        *n = 0;
    if (!v || !kind_ok((int)kind) || id >= v->kinds[kind].n)
        return NULL;
    if (n)
        *n = v->kinds[kind].v[id].nparams;
    return v->kinds[kind].v[id].params;
}

int sc_table__vocab_clone(const sc_vocab *src, sc_vocab **out)
{
    sc_vocab *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (int k = 0; k < SC_VOCAB_KIND_COUNT; k++) {
        const vocab_list *l = &src->kinds[k];
        for (size_t i = 0; i < l->n; i++) {
            if (list_push(v, &v->kinds[k], l->v[i].name, l->v[i].params, l->v[i].nparams) < 0) {
                sc_vocab_free(v);
                return -ENOMEM;
            }
        }
    }
    *out = v;
    return 0;
}
