/* watch: the debounced file watcher behind `sessiond --watch`: a uv_fs_event on the
 * table file's directory filtered by the file's name, and a uv_timer that collapses a burst
 * of events into one callback. */
#include "session_core/coord.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_DEFAULT_DEBOUNCE_MS 200

struct sc_coord_watch {
    uv_fs_event_t ev;            /* on the directory */
    uv_timer_t timer;            /* debounce */
    char *dir;                   /* directory watched (malloc'd) */
    char *base;                  /* file name filtered on (malloc'd) */
    unsigned debounce_ms;        /* quiet time before the callback */
    void (*on_change)(void *ud); /* the callback */
    void *ud;                    /* its argument */
    bool ev_active;              /* the fs event is started */
    bool stopping;               /* sc_coord_watch_stop() was called */
    int closing;                 /* handles not yet closed */
    unsigned long fired;         /* callbacks run */
};

static void on_closed(uv_handle_t *h)
{
    sc_coord_watch *w = h->data;
    if (--w->closing == 0) {
        free(w->dir);
        free(w->base);
        free(w);
    }
}

static void on_fs(uv_fs_event_t *h, const char *filename, int events, int status);

static int arm(sc_coord_watch *w)
{
    int r = uv_fs_event_start(&w->ev, on_fs, w->dir, 0);
    w->ev_active = r == 0;
    return r;
}

static void on_timer(uv_timer_t *t)
{
    sc_coord_watch *w = t->data;
    if (w->stopping)
        return;
    if (!w->ev_active) { /* re-arm a watch that failed */
        arm(w);
        if (!w->ev_active)
            uv_timer_start(&w->timer, on_timer, w->debounce_ms, 0);
    }
    w->fired++;
    w->on_change(w->ud);
}

static void on_fs(uv_fs_event_t *h, const char *filename, int events, int status)
{
    sc_coord_watch *w = h->data;
    (void)events;
    if (w->stopping)
        return;
    if (status < 0) { /* the watch broke: drop it, re-arm from the timer */
        uv_fs_event_stop(&w->ev);
        w->ev_active = false;
        uv_timer_start(&w->timer, on_timer, w->debounce_ms, 0);
        return;
    }
    if (filename && strcmp(filename, w->base) != 0)
        return;
    uv_timer_start(&w->timer, on_timer, w->debounce_ms, 0); /* restart: trailing edge */
}

/* Split path into a directory and a file name (both malloc'd). */
static int split(const char *path, char **dir, char **base)
{
    const char *slash = strrchr(path, '/');
    if (slash && slash[1] == 0)
        return -EINVAL;
    if (!slash) {
        *dir = strdup(".");
        *base = strdup(path);
    } else {
        *dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
        *base = strdup(slash + 1);
    }
    if (!*dir || !*base) {
        free(*dir);
        free(*base);
        return -ENOMEM;
    }
    return 0;
}

int sc_coord_watch_start(uv_loop_t *loop, const char *path, unsigned debounce_ms, void (*on_change)(void *ud), void *ud,
                         sc_coord_watch **out)
{
    if (!loop || !path || !*path || !on_change || !out)
        return -EINVAL;
    sc_coord_watch *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    int r = split(path, &w->dir, &w->base);
    if (r) {
        free(w);
        return r;
    }
    w->debounce_ms = debounce_ms ? debounce_ms : WATCH_DEFAULT_DEBOUNCE_MS;
    w->on_change = on_change;
    w->ud = ud;
    uv_fs_event_init(loop, &w->ev);
    uv_timer_init(loop, &w->timer);
    w->ev.data = w;
    w->timer.data = w;
    r = arm(w);
    if (r) {
        w->stopping = true;
        w->closing = 2;
        uv_close((uv_handle_t *)&w->ev, on_closed);
        uv_close((uv_handle_t *)&w->timer, on_closed);
        return r;
    }
    *out = w;
    return 0;
}

void sc_coord_watch_stop(sc_coord_watch *w)
{
    if (!w || w->stopping)
        return;
    w->stopping = true;
    w->closing = 2;
    uv_close((uv_handle_t *)&w->ev, on_closed);
    uv_close((uv_handle_t *)&w->timer, on_closed);
}

unsigned long sc_coord_watch_fired(const sc_coord_watch *w) { return w ? w->fired : 0; }
