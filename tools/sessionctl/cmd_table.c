/* cmd_table: sessionctl validate, graph and transitions: load state tables offline, print
 * their diagnostics, draw them, and list what a state accepts. */
#include "sessionctl/cmd_table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "session_core/table.h"

void sessionctl_print_diags(const sc_diags *d)
{
    char line[1024];
    for (size_t i = 0; i < sc_diags_count(d); i++) {
        sc_diag_format(sc_diags_get(d, i), line, sizeof(line));
        fprintf(stderr, "%s\n", line);
    }
}

/* Loads path, printing its diagnostics; returns the table or NULL. */
static sc_table *load(const char *path, const sc_vocab *vocab, size_t *warnings)
{
    sc_diags *d = NULL;
    if (sc_diags_new(&d) < 0) {
        fprintf(stderr, "sessionctl: out of memory\n");
        return NULL;
    }
    sc_table *t = NULL;
    int rc = sc_table_load_file(&t, path, vocab, d);
    sessionctl_print_diags(d);
    if (warnings)
        *warnings = sc_diags_count(d) - sc_diags_errors(d);
    if (rc < 0 && rc != SC_E_INVALID_TABLE)
        fprintf(stderr, "%s: error: %s\n", path, sc_strerror(rc));
    sc_diags_free(d);
    return rc == 0 ? t : NULL;
}

/* --json: one object per file: {"file", "ok", "warnings", "diagnostics": [text...]}. */
static json_t *validate_json(const char *path, const sc_vocab *vocab)
{
    sc_diags *d = NULL;
    if (sc_diags_new(&d) < 0)
        return NULL;
    sc_table *t = NULL;
    int rc = sc_table_load_file(&t, path, vocab, d);
    json_t *diags = json_array();
    char line[1024];
    for (size_t i = 0; i < sc_diags_count(d); i++) {
        sc_diag_format(sc_diags_get(d, i), line, sizeof(line));
        json_array_append_new(diags, json_string(line));
    }
    if (rc < 0 && rc != SC_E_INVALID_TABLE) {
        snprintf(line, sizeof line, "%s: error: %s", path, sc_strerror(rc));
        json_array_append_new(diags, json_string(line));
    }
    json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:o}", "file", path, "ok", rc == 0, "errors",
                          (json_int_t)sc_diags_errors(d), "warnings",
                          (json_int_t)(sc_diags_count(d) - sc_diags_errors(d)), "diagnostics", diags);
    sc_diags_free(d);
    sc_table_unref(t);
    return o;
}

int sessionctl_cmd_validate(const sctl_args *a)
{
    sc_vocab *vocab = NULL;
    if (sc_vocab_new(&vocab) < 0) {
        fprintf(stderr, "sessionctl: out of memory\n");
        return 1;
    }
    int status = 0;
    json_t *all = a->json ? json_array() : NULL;
    for (int i = 0; i < a->npos; i++) {
        if (all) {
            json_t *o = validate_json(a->pos[i], vocab);
            if (!o || !json_is_true(json_object_get(o, "ok")))
                status = 1;
            json_array_append_new(all, o ? o : json_null());
            continue;
        }
        size_t warnings = 0;
        sc_table *t = load(a->pos[i], vocab, &warnings);
        if (!t) {
            status = 1;
            continue;
        }
        if (warnings)
            printf("%s: ok (%zu warning%s)\n", a->pos[i], warnings, warnings == 1 ? "" : "s");
        else
            printf("%s: ok\n", a->pos[i]);
        sc_table_unref(t);
    }
    if (all) {
        char *out = json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (out)
            printf("%s\n", out);
        free(out);
        json_decref(all);
    }
    sc_vocab_free(vocab);
    return status;
}

int sessionctl_cmd_graph(const sctl_args *a)
{
    const char *file = a->pos[0], *role = sctl_opt_value(a, "role"), *f = sctl_opt_value(a, "format");
    sc_graph_opts opts = {.format = a->json ? SC_GRAPH_JSON : SC_GRAPH_DOT, .role = -1};
    if (role) {
        sc_role r;
        if (sc_role_parse(role, &r) < 0 || r == SC_ROLE_ANY) {
            fprintf(stderr, "sessionctl graph: --role must be uac or uas\n");
            return 2;
        }
        opts.role = (int)r;
    }
    if (f) {
        if (!strcmp(f, "dot"))
            opts.format = SC_GRAPH_DOT;
        else if (!strcmp(f, "mermaid"))
            opts.format = SC_GRAPH_MERMAID;
        else if (!strcmp(f, "json"))
            opts.format = SC_GRAPH_JSON;
        else {
            fprintf(stderr, "sessionctl graph: --format must be dot, mermaid or json\n");
            return 2;
        }
    }
    sc_vocab *vocab = NULL;
    if (sc_vocab_new(&vocab) < 0)
        return 1;
    sc_table *t = load(file, vocab, NULL);
    int status = 1;
    char *out = NULL;
    if (t && sc_table_export(t, &opts, &out) == 0) {
        fputs(out, stdout);
        status = 0;
    }
    free(out);
    sc_table_unref(t);
    sc_vocab_free(vocab);
    return status;
}

static void print_calls(const sc_vocab *v, sc_vocab_kind kind, const sc_call *calls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%s%s%s", i ? ", " : "", calls[i].negate ? "!" : "", sc_vocab_name(v, kind, calls[i].id));
        for (size_t k = 0; k < calls[i].nparams; k++) {
            const sc_param_value *p = &calls[i].params[k];
            printf("%s%s=", k ? " " : "(", p->name);
            if (p->type == SC_PARAM_INT)
                printf("%" PRId64, p->i);
            else if (p->type == SC_PARAM_BOOL)
                printf("%s", p->b ? "true" : "false");
            else
                printf("%s", p->s);
        }
        if (calls[i].nparams)
            printf(")");
    }
}

static void print_transition(const sc_table *t, const sc_transition *tr)
{
    const sc_vocab *v = sc_table_vocab(t);
    printf("  %-26s", sc_vocab_name(v, SC_VOCAB_EVENT, tr->event));
    if (tr->nguards) {
        printf(" if ");
        print_calls(v, SC_VOCAB_GUARD, tr->guards, tr->nguards);
    }
    if (tr->nactions) {
        printf(" do ");
        print_calls(v, SC_VOCAB_ACTION, tr->actions, tr->nactions);
    }
    for (size_t i = 0; i < tr->nset; i++)
        printf("%s%s=%s", i ? ", " : " set ", sc_vocab_name(v, SC_VOCAB_CONDITION, tr->set[i].cond),
               tr->set[i].value ? "true" : "false");
    for (size_t i = 0; i < tr->npublish; i++)
        printf("%s%s", i ? ", " : " publish ", tr->publish[i].name);
    if (tr->to == SC_ID_NONE)
        printf(" -> (stay)");
    else
        printf(" -> %s", sc_table_state(t, tr->to)->name);
    printf("  [%s, line %u]\n", sc_role_name(tr->role), tr->line);
}

/* A list of guard or action names ("!" before a negated guard). */
static json_t *calls_json(const sc_vocab *v, sc_vocab_kind kind, const sc_call *calls, size_t n)
{
    json_t *arr = json_array();
    char name[256];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%s", calls[i].negate ? "!" : "", sc_vocab_name(v, kind, calls[i].id));
        json_array_append_new(arr, json_string(name));
    }
    return arr;
}

static json_t *transition_json(const sc_table *t, const sc_transition *tr)
{
    const sc_vocab *v = sc_table_vocab(t);
    return json_pack("{s:s, s:o, s:o, s:s?, s:s, s:I}", "event", sc_vocab_name(v, SC_VOCAB_EVENT, tr->event), "guards",
                     calls_json(v, SC_VOCAB_GUARD, tr->guards, tr->nguards), "actions",
                     calls_json(v, SC_VOCAB_ACTION, tr->actions, tr->nactions), "to",
                     tr->to == SC_ID_NONE ? NULL : sc_table_state(t, tr->to)->name, "role", sc_role_name(tr->role),
                     "line", (json_int_t)tr->line);
}

int sessionctl_cmd_transitions(const sctl_args *a)
{
    const char *file = a->pos[0], *role_name = sctl_opt_value(a, "role"), *state_name = sctl_opt_value(a, "state");
    sc_role role;
    if (!role_name || !state_name || sc_role_parse(role_name, &role) < 0 || role == SC_ROLE_ANY) {
        fprintf(stderr, "usage: sessionctl transitions FILE --role uac|uas --state STATE\n");
        return 2;
    }
    sc_vocab *vocab = NULL;
    if (sc_vocab_new(&vocab) < 0)
        return 1;
    sc_table *t = load(file, vocab, NULL);
    int status = 1;
    if (!t)
        goto out;
    int state = sc_table_state_id(t, state_name);
    if (state < 0) {
        fprintf(stderr, "sessionctl transitions: unknown state '%s'\n", state_name);
        status = 2;
        goto out;
    }
    const sc_vocab *v = sc_table_vocab(t);
    size_t nev = sc_vocab_count(v, SC_VOCAB_EVENT);
    sc_id *events = calloc(nev ? nev : 1, sizeof(*events));
    if (!events)
        goto out;
    size_t n = sc_table_accepted_events(t, role, (sc_id)state, events, nev);
    json_t *list = a->json ? json_array() : NULL;
    if (!list)
        printf("%s (%s) accepts %zu event%s:\n", state_name, role_name, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        size_t cnt = 0;
        const sc_transition *const *trs = sc_table_lookup(t, role, (sc_id)state, events[i], &cnt);
        for (size_t k = 0; k < cnt; k++) {
            if (list)
                json_array_append_new(list, transition_json(t, trs[k]));
            else
                print_transition(t, trs[k]);
        }
    }
    if (list) {
        json_t *o = json_pack("{s:s, s:s, s:o}", "state", state_name, "role", role_name, "transitions", list);
        char *out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (out)
            printf("%s\n", out);
        free(out);
        json_decref(o);
    }
    free(events);
    status = 0;
out:
    sc_table_unref(t);
    sc_vocab_free(vocab);
    return status;
}
