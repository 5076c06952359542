/* signals: a thread that sigwait()s for SIGTERM/SIGINT (blocked in every other thread), tells
 * the loop through a uv_async, and enforces the hard shutdown deadline on its own clock with
 * sigtimedwait, independent of the loop. */
#include "signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session_core/base.h"

struct sd_signals {
    uv_async_t async; /* wakes the loop */
    pthread_t thread;
    uint32_t deadline_ms; /* hard deadline after the first signal */
    bool json;            /* log format of the deadline line */
    sd_signal_fn fn;
    void *ud;
    _Atomic int last;      /* last signal received */
    _Atomic int count;     /* signals received */
    _Atomic bool stopping; /* sd_signals_free: the thread must return */
    int delivered;         /* loop side: signals already handed to fn */
};

static void sigset_term(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
}

void sd_signals_block(void)
{
    sigset_t set;
    sigset_term(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void on_async(uv_async_t *a)
{
    sd_signals *s = a->data;
    int count = atomic_load(&s->count);
    while (s->delivered < count) {
        s->delivered++;
        s->fn(s->ud, atomic_load(&s->last), s->delivered);
    }
}

static uint64_t mono_ms(void) { return sc_clock_mono_us(sc_clock_system()) / 1000; }

static void record(sd_signals *s, int sig)
{
    atomic_store(&s->last, sig);
    atomic_fetch_add(&s->count, 1);
    uv_async_send(&s->async);
}

static void *run(void *arg)
{
    sd_signals *s = arg;
    sigset_t set;
    sigset_term(&set);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    if (atomic_load(&s->stopping))
        return NULL;
    record(s, sig);
    /* The hard deadline, counted here: the loop may be the thing that is stuck. */
    uint64_t end = mono_ms() + s->deadline_ms;
    for (;;) {
        uint64_t now = mono_ms();
        if (now >= end)
            break;
        uint64_t left = end - now;
        struct timespec to = {.tv_sec = (time_t)(left / 1000), .tv_nsec = (long)(left % 1000) * 1000000L};
        int got = sigtimedwait(&set, NULL, &to);
        if (atomic_load(&s->stopping))
            return NULL;
        if (got > 0)
            record(s, got);
    }
    static const char text[] = "sessiond: the shutdown did not finish within the hard deadline; exiting";
    static const char json[] = "{\"level\":\"error\",\"module\":\"sessiond\",\"msg\":\"the shutdown did not "
                               "finish within the hard deadline; exiting\"}";
    const char *line = s->json ? json : text;
    ssize_t w = write(STDERR_FILENO, line, strlen(line));
    w = write(STDERR_FILENO, "\n", 1);
    (void)w;
    _exit(1);
}

int sd_signals_start(sd_signals **out, uv_loop_t *loop, uint32_t hard_deadline_ms, bool json_log, sd_signal_fn fn,
                     void *ud)
{
    sd_signals *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->deadline_ms = hard_deadline_ms;
    s->json = json_log;
    s->fn = fn;
    s->ud = ud;
    int rc = uv_async_init(loop, &s->async, on_async);
    if (rc) {
        free(s);
        return rc;
    }
    s->async.data = s;
    rc = pthread_create(&s->thread, NULL, run, s);
    if (rc) {
        uv_close((uv_handle_t *)&s->async, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        free(s);
        return -rc;
    }
    *out = s;
    return 0;
}

void sd_signals_close(sd_signals *s)
{
    if (s && !uv_is_closing((uv_handle_t *)&s->async))
        uv_close((uv_handle_t *)&s->async, NULL);
}

void sd_signals_free(sd_signals *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    pthread_kill(s->thread, SIGTERM); /* wakes sigwait/sigtimedwait; blocked everywhere else */
    pthread_join(s->thread, NULL);
    free(s);
}
