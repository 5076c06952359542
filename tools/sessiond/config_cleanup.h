/* config_cleanup: sessiond's cleanup and session-timer options (--max-session-age-ms,
 * --retention-ms, --failed-retention-ms, --session-expires, --min-se, --event-log-retention-ms): their setters, used by
 * config.c's option table, and their copy into the api config. */
#ifndef SESSIOND_CONFIG_CLEANUP_H
#define SESSIOND_CONFIG_CLEANUP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "session_core/coord.h"

int sd_set_max_session_age(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_retention(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_failed_retention(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_session_expires(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_min_se(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_event_log_retention(sd_config *c, const char *v, char *err, size_t errsz);
/* The store's event log retention (--event-log-retention-ms, default 7 days) and the period of
 * its pruning (60 s; 1 s with SESSIOND_TEST_SHORT_TIMERS=1) for sc_coord_store_config. */
void sd_event_log_retention(const sd_config *c, uint64_t *retention_ms, unsigned *interval_ms);
/* Copy the options that were given into api (the others keep sc_coord_config_default's). */
void sd_cleanup_apply(const sd_config *c, sc_coord_config *api);

#endif
