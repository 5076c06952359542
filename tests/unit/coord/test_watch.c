/* Tests for the table file watcher: an in-place write, a write-to-temp + rename-over and a
 * burst of writes each give exactly one callback; other files in the directory give none;
 * after stop nothing fires. Real files in a temporary directory, a real libuv loop. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "session_core/coord.h"

#define DEBOUNCE_MS 100

typedef struct wfx {
    uv_loop_t loop;
    char dir[64];
    char path[128];
    int calls;
    sc_coord_watch *w;
    int burst_left; /* writes still to do in the burst */
    uv_timer_t burst;
} wfx;

static void on_change(void *ud) { ((wfx *)ud)->calls++; }

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static void on_stop_timer(uv_timer_t *t) { uv_stop(t->loop); }

/* Run the loop for ms milliseconds. */
static void run_for(wfx *f, unsigned ms)
{
    uv_timer_t t;
    uv_timer_init(&f->loop, &t);
    uv_timer_start(&t, on_stop_timer, ms, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int setup(void **state)
{
    wfx *f = calloc(1, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    strcpy(f->dir, "/tmp/sc-watch-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/table.yaml", f->dir);
    write_file(f->path, "version: 1\n");
    assert_int_equal(sc_coord_watch_start(&f->loop, f->path, DEBOUNCE_MS, on_change, f, &f->w), 0);
    run_for(f, 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    wfx *f = *state;
    sc_coord_watch_stop(f->w);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* closes the handles, frees the watcher */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void test_in_place_write_fires_once(void **state)
{
    wfx *f = *state;
    write_file(f->path, "version: 2\n# a longer text written in place\n");
    run_for(f, 3 * DEBOUNCE_MS);
    assert_int_equal(f->calls, 1);
    assert_int_equal(sc_coord_watch_fired(f->w), 1);
    /* quiet afterwards */
    run_for(f, 2 * DEBOUNCE_MS);
    assert_int_equal(f->calls, 1);
}

static void test_rename_over_fires_once(void **state)
{
    wfx *f = *state;
    for (int round = 1; round <= 2; round++) { /* and again: the watch survives a rename */
        char tmp[160];
        snprintf(tmp, sizeof tmp, "%s/.table.yaml.swp", f->dir);
        write_file(tmp, round == 1 ? "version: 3\n" : "version: 4\n");
        assert_int_equal(rename(tmp, f->path), 0);
        run_for(f, 3 * DEBOUNCE_MS);
        assert_int_equal(f->calls, round);
    }
}

static void on_burst(uv_timer_t *t)
{
    wfx *f = t->data;
    char text[64];
    snprintf(text, sizeof text, "version: %d\n", 100 + f->burst_left);
    write_file(f->path, text);
    if (--f->burst_left == 0)
        uv_timer_stop(t);
}

static void test_burst_fires_once(void **state)
{
    wfx *f = *state;
    f->burst_left = 20;
    uv_timer_init(&f->loop, &f->burst);
    f->burst.data = f;
    uv_timer_start(&f->burst, on_burst, 5, 5); /* 20 writes over ~100 ms, 5 ms apart */
    run_for(f, 100 + 3 * DEBOUNCE_MS);
    assert_int_equal(f->burst_left, 0);
    assert_int_equal(f->calls, 1);
    uv_close((uv_handle_t *)&f->burst, NULL);
}

static void test_other_files_ignored(void **state)
{
    wfx *f = *state;
    char other[160];
    snprintf(other, sizeof other, "%s/other.yaml", f->dir);
    write_file(other, "x: 1\n");
    assert_int_equal(unlink(other), 0);
    run_for(f, 3 * DEBOUNCE_MS);
    assert_int_equal(f->calls, 0);
}

static void test_delete_and_recreate(void **state)
{
    wfx *f = *state;
    assert_int_equal(unlink(f->path), 0);
    run_for(f, 3 * DEBOUNCE_MS);
    assert_int_equal(f->calls, 1); /* the owner sees the file gone (the reload fails, old table stays) */
    write_file(f->path, "version: 5\n");
    run_for(f, 3 * DEBOUNCE_MS);
    assert_int_equal(f->calls, 2);
}

static void test_stop_silences(void **state)
{
    wfx *f = *state;
    write_file(f->path, "version: 6\n");
    sc_coord_watch_stop(f->w);
    f->w = NULL;
    run_for(f, 3 * DEBOUNCE_MS);
    assert_int_equal(f->calls, 0);
}

static void test_bad_arguments(void **state)
{
    wfx *f = *state;
    sc_coord_watch *w = NULL;
    assert_int_equal(sc_coord_watch_start(&f->loop, "", 10, on_change, f, &w), -EINVAL);
    assert_int_equal(sc_coord_watch_start(&f->loop, "/tmp/", 10, on_change, f, &w), -EINVAL);
    assert_int_equal(sc_coord_watch_start(&f->loop, f->path, 10, NULL, f, &w), -EINVAL);
    assert_true(sc_coord_watch_start(&f->loop, "/nonexistent-dir-sc/table.yaml", 10, on_change, f, &w) < 0);
    assert_null(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_place_write_fires_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_over_fires_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_fires_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_files_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_recreate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_silences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
