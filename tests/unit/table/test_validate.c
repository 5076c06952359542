/* Tests for validation: every file of the broken-table corpus fails with the diagnostic its
 * first line announces (`# expect: LINE:COL: message`), and the shipped tables pass. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "table_test_util.h"

#define INVALID_DIR DATA_DIR "/invalid"

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Checks one corpus file; returns 0 when it fails exactly as announced. */
static int check_file(const sc_vocab *v, const char *name)
{
    char path[1024], first[512] = "";
    snprintf(path, sizeof(path), INVALID_DIR "/%s", name);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(first, sizeof(first), f)) {
        if (f)
            fclose(f);
        fprintf(stderr, "%s: unreadable\n", name);
        return -1;
    }
    fclose(f);
    first[strcspn(first, "\n")] = '\0';
    unsigned line = 0, col = 0;
    int off = 0;
    if (sscanf(first, "# expect: %u:%u: %n", &line, &col, &off) != 2 || off == 0) {
        fprintf(stderr, "%s: first line is not '# expect: L:C: message'\n", name);
        return -1;
    }
    const char *msg = first + off;
    sc_diags *d = NULL;
    sc_table *t = NULL;
    if (sc_diags_new(&d) < 0)
        return -1;
    int rc = sc_table_load_file(&t, path, v, d), result = -1;
    if (rc != SC_E_INVALID_TABLE) {
        fprintf(stderr, "%s: load returned %d (%s), want an invalid table\n", name, rc, sc_strerror(rc));
        sc_table_unref(t);
    } else {
        for (size_t i = 0; i < sc_diags_count(d); i++) {
            const sc_diag *g = sc_diags_get(d, i);
            if (g->severity == SC_SEV_ERROR && g->line == line && g->column == col && strstr(g->message, msg))
                result = 0;
            if (strchr(g->message, '\n') || strcmp(g->file, path) != 0)
                result = -1; /* one line each, naming the file */
        }
        if (result < 0) {
            fprintf(stderr, "%s: want %u:%u: %s, got:\n", name, line, col, msg);
            dump_diags(d);
        }
    }
    sc_diags_free(d);
    return result;
}

static void test_invalid_corpus(void **state)
{
    (void)state;
    DIR *dir = opendir(INVALID_DIR);
    assert_non_null(dir);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof(names[0]), by_name);
    assert_true(n >= 22);
    sc_vocab *v = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        failures += check_file(v, names[i]) != 0;
        free(names[i]);
    }
    sc_vocab_free(v);
    assert_int_equal(failures, 0);
}

/* Each semantic rule on a small table, independent of the corpus files. */
static const char *HEAD = "states:\n  Idle: {}\n  Active: {}\n  Done: {terminal: true}\n"
                          "transitions:\n"
                          "  - {role: uac, from: Idle, event: MakeCall, to: Active}\n"
                          "  - {from: '*', event: HangupCall, to: Done}\n"
                          "  - {from: '*', event: DialogBYE, to: Done}\n"
                          "  - {from: '*', event: DialogError, to: Done}\n";

static void expect_error(const char *extra, const char *msg, uint32_t line)
{
    char yaml[2048];
    snprintf(yaml, sizeof(yaml), "%s%s", HEAD, extra);
    sc_vocab *v = NULL;
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_diags_new(&d), 0);
    int rc = load_str(v, yaml, &t, d);
    bool found = false;
    for (size_t i = 0; i < sc_diags_count(d); i++)
        found = found || (strstr(sc_diags_get(d, i)->message, msg) && sc_diags_get(d, i)->line == line);
    if (!found || rc != SC_E_INVALID_TABLE) {
        dump_diags(d);
        fail_msg("want line %u: %s (rc %d)", line, msg, rc);
    }
    sc_diags_free(d);
    sc_vocab_free(v);
}

static void test_rules_one_by_one(void **state)
{
    (void)state;
    expect_error("  - {from: Active, event: Dialog200Ok}\n", "unknown event 'Dialog200Ok'", 10);
    expect_error("  - {from: Active, event: HoldCall, guards: [Nope]}\n", "unknown guard 'Nope'", 10);
    expect_error("  - {from: Active, event: HoldCall, actions: [{SendReInvite: {}}]}\n",
                 "missing required parameter 'direction'", 10);
    expect_error("  - {from: Active, event: HoldCall, actions: [{SendReInvite: {direction: 3, x: 1}}]}\n",
                 "unknown parameter 'x'", 10);
    expect_error("  - {from: Active, event: HoldCall, actions: [{ScheduleAutoAnswer: {delay_ms: \"5\"}}]}\n",
                 "parameter 'delay_ms' must be an int", 10);
    expect_error("  - {from: Active, event: HoldCall, guards: [{ConditionIs: {name: MediaReady, value: 1}}]}\n",
                 "parameter 'value' must be a bool", 10);
    expect_error("  - {from: Active, event: HoldCall, actions: [SendBye]}\n"
                 "  - {from: Active, event: HoldCall}\n",
                 "at line 10 and line 11", 11);
    expect_error("  - {from: Active, event: ActionFailed, actions: [SendBye]}\n", "internal event loop", 10);
    expect_error("  - {from: Active, event: HoldCall, publish: [{name: 'no good'}]}\n", "invalid published event name",
                 10);
    expect_error("  - {from: [Active, Active], event: HoldCall}\n", "listed twice", 10);
    expect_error("  - {from: Active, event: HoldCall, set: {MediaReady: maybe}}\n", "must be true or false", 10);
}

static void test_rules_that_hold(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_diags_new(&d), 0);
    char yaml[2048];
    /* same key, different guards or role: not duplicates; ActionFailed that leaves: no loop;
     * an explicit row overrides a "*" row with the same key */
    snprintf(yaml, sizeof(yaml), "%s%s", HEAD,
             "  - {from: Active, event: HoldCall, guards: [HasPeer]}\n"
             "  - {from: Active, event: HoldCall, guards: ['!HasPeer']}\n"
             "  - {role: uac, from: Active, event: HoldCall}\n"
             "  - {from: Active, event: ActionFailed, actions: [SendBye], to: Done}\n"
             "  - {from: Active, event: HangupCall, actions: [SendBye], to: Done}\n");
    int rc = load_str(v, yaml, &t, d);
    dump_diags(d);
    assert_int_equal(rc, 0);
    assert_int_equal(sc_diags_count(d), 0);
    sc_table_unref(t);
    sc_diags_free(d);
    sc_vocab_free(v);
}

static void test_shipped_tables_pass(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    sc_diags *d = NULL;
    sc_table *t = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_diags_new(&d), 0);
    int rc = sc_table_load_file(&t, DEFAULT_TABLE, v, d);
    dump_diags(d);
    assert_int_equal(rc, 0);
    assert_int_equal(sc_diags_count(d), 0); /* not even a warning */
    sc_table_unref(t);
    sc_diags_free(d);
    sc_vocab_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_corpus),
        cmocka_unit_test(test_rules_one_by_one),
        cmocka_unit_test(test_rules_that_hold),
        cmocka_unit_test(test_shipped_tables_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
