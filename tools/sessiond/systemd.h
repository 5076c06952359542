/* systemd: the service manager's notifications (Type=notify): ready, status, watchdog,
 * stopping. Loop thread only; a no-op when sessiond does not run under systemd. */
#ifndef SESSIOND_SYSTEMD_H
#define SESSIOND_SYSTEMD_H

#include <uv.h>

#include "session_core/coord.h"

typedef struct sd_systemd sd_systemd;

/* Tells systemd the daemon is ready (READY=1 and a first STATUS=), starts the watchdog pings
 * (WATCHDOG=1 at half of WATCHDOG_USEC, from a loop timer) and a STATUS= line every 5 s.
 * Without NOTIFY_SOCKET: *out = NULL, nothing sent. 0, or -1 when out of memory. */
int sd_systemd_ready(sd_systemd **out, uv_loop_t *loop, sc_coord *api);
/* STOPPING=1 and a STATUS= naming phase ("draining", "shutting down"); NULL s: nothing. */
void sd_systemd_stopping(sd_systemd *s, const char *phase);
/* Closes the timers (the memory goes with their close callbacks: run the loop). NULL ok. */
void sd_systemd_close(sd_systemd *s);

#endif
