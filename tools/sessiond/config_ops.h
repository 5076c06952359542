/* config_ops: sessiond's operations options (--watch, --statsd, --metrics, --max-cps,
 * --max-memory, --events-idle-ms, --events-ring): their setters, used by config.c's option
 * table, and their cross-checks. */
#ifndef SESSIOND_CONFIG_OPS_H
#define SESSIOND_CONFIG_OPS_H

#include <stddef.h>

#include "config.h"

int sd_set_watch(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_statsd(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_statsd_interval(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_metrics(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_max_cps(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_max_memory(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_events_idle(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_events_ring(sd_config *c, const char *v, char *err, size_t errsz);
/* Checks across the operations options (--statsd needs --metrics on): 0, or -1 and one line. */
int sd_config_ops_check(const sd_config *c, char *err, size_t errsz);
void sd_config_ops_free(sd_config *c);

#endif
