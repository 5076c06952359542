/* systemd: tells the service manager where sessiond is (Type=notify, libsystemd's sd_notify):
 * READY=1 once the store is recovered and every listener is up, a STATUS= line with the calls
 * now, WATCHDOG=1 from a timer on the event loop (so a hung loop stops the pings and systemd
 * restarts the daemon), STOPPING=1 when a signal starts the drain. Outside systemd (no
 * NOTIFY_SOCKET) every call is a no-op that costs one getenv. */
#include "systemd.h"

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define STATUS_EVERY_MS 5000u

struct sd_systemd {
    uv_timer_t watchdog; /* WATCHDOG=1 at half the interval systemd asked for */
    uv_timer_t status;   /* STATUS= every STATUS_EVERY_MS */
    sc_coord *api;
    const char *phase; /* "running", "draining", "shutting down" */
};

static void send_status(sd_systemd *s)
{
    char msg[160];
    snprintf(msg, sizeof msg, "STATUS=%s: %zu active call(s)", s->phase, sc_coord_active_count(s->api));
    sd_notify(0, msg);
}

static void on_watchdog(uv_timer_t *t) { (void)t, sd_notify(0, "WATCHDOG=1"); }

static void on_status(uv_timer_t *t) { send_status(t->data); }

int sd_systemd_ready(sd_systemd **out, uv_loop_t *loop, sc_coord *api)
{
    *out = NULL;
    if (!getenv("NOTIFY_SOCKET"))
        return 0;
    sd_systemd *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->api = api;
    s->phase = "running";
    uv_timer_init(loop, &s->watchdog);
    uv_timer_init(loop, &s->status);
    s->watchdog.data = s->status.data = s;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) /* ping at half the interval */
        uv_timer_start(&s->watchdog, on_watchdog, 0, usec / 2000);
    uv_timer_start(&s->status, on_status, STATUS_EVERY_MS, STATUS_EVERY_MS);
    char msg[200];
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=running: %zu active call(s)\nMAINPID=%ld", sc_coord_active_count(api),
             (long)getpid());
    sd_notify(0, msg);
    *out = s;
    return 0;
}

void sd_systemd_stopping(sd_systemd *s, const char *phase)
{
    if (!s)
        return;
    s->phase = phase;
    sd_notify(0, "STOPPING=1");
    send_status(s);
}

static void free_on_close(uv_handle_t *h)
{
    sd_systemd *s = h->data;
    if (h == (uv_handle_t *)&s->status)
        free(s);
}

void sd_systemd_close(sd_systemd *s)
{
    if (!s)
        return;
    uv_close((uv_handle_t *)&s->watchdog, NULL);
    uv_close((uv_handle_t *)&s->status, free_on_close); /* closed after the watchdog: frees s */
}
