/* config_cleanup: sessiond's cleanup and session-timer options (--max-session-age-ms,
 * --retention-ms, --failed-retention-ms, --session-expires, --min-se): their setters, used by
 * config.c's option table, and their copy into the api config. */
#ifndef SESSIOND_CONFIG_CLEANUP_H
#define SESSIOND_CONFIG_CLEANUP_H

#include <stddef.h>

#include "config.h"
#include "session_core/coord.h"

int sd_set_max_session_age(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_retention(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_failed_retention(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_session_expires(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_min_se(sd_config *c, const char *v, char *err, size_t errsz);
/* Copy the options that were given into api (the others keep sc_coord_config_default's). */
void sd_cleanup_apply(const sd_config *c, sc_coord_config *api);

#endif
