/* signals: SIGTERM/SIGINT for sessiond, taken by a dedicated thread (sigwait) rather than on
 * the event loop, so that the hard shutdown deadline holds even when the loop is stuck. */
#ifndef SESSIOND_SIGNALS_H
#define SESSIOND_SIGNALS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct sd_signals sd_signals;

/* Runs on the loop: signum is SIGTERM or SIGINT, count how many have arrived so far. */
typedef void (*sd_signal_fn)(void *ud, int signum, int count);

/* Block SIGTERM and SIGINT in the calling thread; call it before any thread is created so
 * every thread inherits the mask and only the signal thread takes them. */
void sd_signals_block(void);
/* Start the signal thread. On the first signal it wakes the loop (fn runs there) and starts a
 * hard deadline of hard_deadline_ms: if the process is still running then, it writes one log
 * line and calls _exit(1). Later signals also reach fn. 0 or a negative errno. */
int sd_signals_start(sd_signals **out, uv_loop_t *loop, uint32_t hard_deadline_ms, bool json_log, sd_signal_fn fn,
                     void *ud);
/* Close the loop handle (the loop must run afterwards to finish closing). NULL is fine. */
void sd_signals_close(sd_signals *s);
/* Stop and join the thread and free everything (after the loop closed the handle). NULL ok. */
void sd_signals_free(sd_signals *s);

#endif
