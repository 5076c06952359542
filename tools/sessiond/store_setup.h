/* store_setup: sessiond's persistence start-up: opens the configured store through the api
 * (recovering the sessions of this node), reports the recovery and the store's health to
 * the readiness checks, and keeps the store-health check current. */
#ifndef SESSIOND_STORE_SETUP_H
#define SESSIOND_STORE_SETUP_H

#include <uv.h>

#include "config.h"
#include "ops_routes.h"
#include "session_core/coord.h"

typedef struct sd_store sd_store;

/* Open cfg->store with its durability and node id, recover, start recording. health (may
 * be NULL) gets the "store" and "recovery" checks. Returns 0, or an exit code (1: the store
 * cannot be opened or recovered; the message is printed). */
int sd_store_start(sd_store **out, uv_loop_t *loop, sc_coord *api, const sd_config *cfg, struct sc_obs_health *health,
                   const sc_logger *logger);
/* Stop the health timer (its memory goes with the loop's close callbacks). NULL ok. */
void sd_store_stop(sd_store *s);

#endif
