/* cmd_diff: sessionctl diff: loads two state tables, compares them with sc_table_diff() and
 * prints the added, removed and changed states and transitions as text or JSON. */
#include "sessionctl/cmd_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "session_core/table.h"

/* Loads path, printing its diagnostics on stderr; NULL when it does not load. */
static sc_table *diff_load(const char *path, const sc_vocab *vocab)
{
    sc_diags *d = NULL;
    if (sc_diags_new(&d) < 0) {
        fprintf(stderr, "sessionctl: out of memory\n");
        return NULL;
    }
    sc_table *t = NULL;
    int rc = sc_table_load_file(&t, path, vocab, d);
    char line[1024];
    for (size_t i = 0; i < sc_diags_count(d); i++) {
        const sc_diag *g = sc_diags_get(d, i);
        if (rc == 0 && g->severity != SC_SEV_ERROR)
            continue; /* warnings of a table that loads are validate's business */
        sc_diag_format(g, line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    if (rc < 0 && rc != SC_E_INVALID_TABLE && sc_diags_errors(d) == 0)
        fprintf(stderr, "%s: error: %s\n", path, sc_strerror(rc));
    sc_diags_free(d);
    return rc == 0 ? t : NULL;
}

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* A JSON value as compact text (strings unquoted); returns buf. */
static const char *val_text(json_t *v, char *buf, size_t size)
{
    if (!v || json_is_null(v))
        snprintf(buf, size, "-");
    else if (json_is_string(v))
        snprintf(buf, size, "%s", json_string_value(v));
    else {
        char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, size, "%s", d ? d : "?");
        free(d);
    }
    return buf;
}

static void print_list(const char *label, json_t *arr)
{
    if (json_array_size(arr) == 0)
        return;
    char buf[2048];
    printf(" %s %s", label, val_text(arr, buf, sizeof buf));
}

/* "uac Idle --MakeCall [guards]" */
static void print_key(json_t *t)
{
    char buf[2048];
    printf("%s %s --%s", js(t, "role"), js(t, "from"), js(t, "event"));
    if (json_array_size(json_object_get(t, "guards")))
        printf(" %s", val_text(json_object_get(t, "guards"), buf, sizeof buf));
}

static void print_transition(char sign, json_t *t, const char *file)
{
    char buf[512];
    printf("%c ", sign);
    print_key(t);
    printf(" --> %s", val_text(json_object_get(t, "to"), buf, sizeof buf));
    print_list("actions", json_object_get(t, "actions"));
    print_list("set", json_object_get(t, "set"));
    print_list("publish", json_object_get(t, "publish"));
    printf("  (%s:%lld)\n", file, (long long)json_integer_value(json_object_get(t, "line")));
}

static void print_changes(json_t *ch)
{
    const char *field;
    json_t *v;
    char a[1024], b[1024];
    int n = 0;
    json_object_foreach(ch, field, v) {
        printf("%s %s: %s -> %s", n++ ? ";" : "", field, val_text(json_object_get(v, "old"), a, sizeof a),
               val_text(json_object_get(v, "new"), b, sizeof b));
    }
}

static void print_state(char sign, json_t *s, const char *file)
{
    printf("%c state %s", sign, js(s, "state"));
    if (json_is_true(json_object_get(s, "terminal")))
        printf(" terminal");
    if (json_integer_value(json_object_get(s, "timer_ms")))
        printf(" timer %lldms %s", (long long)json_integer_value(json_object_get(s, "timer_ms")), js(s, "timer_event"));
    if (json_integer_value(json_object_get(s, "max_ms")))
        printf(" max %lldms", (long long)json_integer_value(json_object_get(s, "max_ms")));
    printf("  (%s:%lld)\n", file, (long long)json_integer_value(json_object_get(s, "line")));
}

/* "~ migrate: on reload, live sessions move: Active -> Active (new.yaml:40), ..." */
static void print_migrate(json_t *m, const char *old_path, const char *new_path)
{
    if (!m)
        return;
    json_t *n = json_object_get(m, "new");
    size_t i;
    json_t *e;
    if (json_array_size(n) == 0) {
        printf("~ migrate: the map of %s is gone: a reload moves no live session\n", old_path);
        return;
    }
    printf("~ migrate: on reload, live sessions in these states of %s move:", old_path);
    json_array_foreach(n, i, e) {
        printf("%s %s -> %s", i ? "," : "", js(e, "from"), js(e, "to"));
        if (json_is_false(json_object_get(e, "known")))
            printf(" (no such state in %s)", old_path);
    }
    printf("  (%s:%lld)\n", new_path, (long long)json_integer_value(json_object_get(json_array_get(n, 0), "line")));
}

/* "~ webhook action NotifyCRM: http://a -> http://b (new.yaml:7)", "+ webhook ...", "- webhook ..." */
static void print_webhooks(json_t *w, const char *old_path, const char *new_path)
{
    json_t *o = json_object_get(w, "old"), *n = json_object_get(w, "new"), *x, *y;
    size_t i, j;
    json_array_foreach(o, i, x) {
        bool kept = false;
        json_array_foreach(n, j, y)
            kept = kept || (!strcmp(js(x, "name"), js(y, "name")) && !strcmp(js(x, "kind"), js(y, "kind")));
        if (!kept)
            printf("- webhook %s %s: %s  (%s:%lld)\n", js(x, "kind"), js(x, "name"), js(x, "url"), old_path,
                   (long long)json_integer_value(json_object_get(x, "line")));
    }
    json_array_foreach(n, j, y) {
        json_t *was = NULL;
        json_array_foreach(o, i, x)
            if (!strcmp(js(x, "name"), js(y, "name")) && !strcmp(js(x, "kind"), js(y, "kind")))
                was = x;
        json_t *a = was ? json_deep_copy(was) : NULL, *b = json_deep_copy(y);
        json_object_del(a, "line");
        json_object_del(b, "line");
        if (!was)
            printf("+ webhook %s %s: %s", js(y, "kind"), js(y, "name"), js(y, "url"));
        else if (!json_equal(a, b)) {
            json_t *ch = json_object(), *v;
            const char *k;
            json_object_foreach(b, k, v)
                if (!json_equal(v, json_object_get(a, k)))
                    json_object_set_new(ch, k, json_pack("{sOsO}", "old", json_object_get(a, k), "new", v));
            printf("~ webhook %s %s:", js(y, "kind"), js(y, "name"));
            print_changes(ch);
            json_decref(ch);
        }
        if (!was || !json_equal(a, b))
            printf("  (%s:%lld)\n", new_path, (long long)json_integer_value(json_object_get(y, "line")));
        json_decref(a);
        json_decref(b);
    }
}

static void print_text(json_t *d, const char *old_path, const char *new_path)
{
    json_t *o = json_object_get(d, "old"), *n = json_object_get(d, "new");
    printf("--- %s (%s %s, hash %s)\n", old_path, js(o, "name"), js(o, "version"), js(o, "hash"));
    printf("+++ %s (%s %s, hash %s)\n", new_path, js(n, "name"), js(n, "version"), js(n, "hash"));
    json_t *x;
    char a[512], b[512];
    if ((x = json_object_get(d, "initial")))
        printf("~ initial: %s -> %s\n", js(x, "old"), js(x, "new"));
    if ((x = json_object_get(d, "established_when")))
        printf("~ established_when: %s -> %s\n", val_text(json_object_get(x, "old"), a, sizeof a),
               val_text(json_object_get(x, "new"), b, sizeof b));
    json_t *st = json_object_get(d, "states"), *tr = json_object_get(d, "transitions");
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(st, "removed"), i, e)
        print_state('-', e, old_path);
    json_array_foreach(json_object_get(st, "added"), i, e)
        print_state('+', e, new_path);
    json_array_foreach(json_object_get(st, "changed"), i, e) {
        printf("~ state %s:", js(e, "state"));
        print_changes(json_object_get(e, "changes"));
        printf("  (%s:%lld)\n", new_path, (long long)json_integer_value(json_object_get(e, "new_line")));
    }
    json_array_foreach(json_object_get(tr, "removed"), i, e)
        print_transition('-', e, old_path);
    json_array_foreach(json_object_get(tr, "added"), i, e)
        print_transition('+', e, new_path);
    json_array_foreach(json_object_get(tr, "changed"), i, e) {
        printf("~ ");
        print_key(e);
        printf(":");
        print_changes(json_object_get(e, "changes"));
        printf("  (%s:%lld)\n", new_path, (long long)json_integer_value(json_object_get(e, "new_line")));
    }
    print_migrate(json_object_get(d, "migrate"), old_path, new_path);
    print_webhooks(json_object_get(d, "webhooks"), old_path, new_path);
    long long nd = (long long)json_integer_value(json_object_get(d, "differences"));
    printf("%lld difference%s\n", nd, nd == 1 ? "" : "s");
}

int sessionctl_cmd_diff(const sctl_args *sa)
{
    const char *files[2] = {sa->pos[0], sa->pos[1]};
    bool as_json = sa->json;
    sc_vocab *vocab = NULL;
    if (sc_vocab_new(&vocab) < 0) {
        fprintf(stderr, "sessionctl: out of memory\n");
        return 2;
    }
    sc_table *a = diff_load(files[0], vocab);
    sc_table *b = diff_load(files[1], vocab);
    int status = 2;
    json_t *d = NULL;
    if (a && b) {
        int r = sc_table_diff(a, b, &d);
        if (r < 0) {
            fprintf(stderr, "sessionctl diff: %s\n", sc_strerror(r));
        } else {
            status = r > 0 ? 1 : 0;
            if (as_json) {
                char *s = json_dumps(d, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                if (s)
                    printf("%s\n", s);
                free(s);
            } else {
                print_text(d, files[0], files[1]);
            }
        }
    }
    json_decref(d);
    sc_table_unref(a);
    sc_table_unref(b);
    sc_vocab_free(vocab);
    return status;
}
