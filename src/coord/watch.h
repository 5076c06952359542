/* watch: watches one file for changes through libuv file-system events on its directory
 * (so an editor's write-to-temp + rename-over is seen as well as an in-place write), and
 * calls back once per burst of changes, after the file has been quiet for debounce_ms. */
#ifndef SC_COORD_WATCH_H
#define SC_COORD_WATCH_H

#include <uv.h>

typedef struct sc_coord_watch sc_coord_watch;

/* Start watching path (its directory must exist; the file need not yet). on_change(ud) runs
 * on loop once per burst of events naming the file (create, write, rename onto it, delete,
 * attribute change), debounce_ms (0 = 200) after the last one. If the directory watch fails
 * (e.g. the directory was replaced) it is re-armed on the next debounce tick. path is copied.
 * *out set only on success; -EINVAL, -ENOMEM, or a libuv error (negative errno). */
int sc_coord_watch_start(uv_loop_t *loop, const char *path, unsigned debounce_ms,
                       void (*on_change)(void *ud), void *ud, sc_coord_watch **out);
/* Stop: no callback after this returns. The memory is freed once libuv has closed the
 * handles (the loop must run once more). NULL is fine. */
void sc_coord_watch_stop(sc_coord_watch *w);
/* How many callbacks have run (for tests and metrics). */
unsigned long sc_coord_watch_fired(const sc_coord_watch *w);

#endif
