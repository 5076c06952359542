/* config_cluster: sessiond's cluster options (--cluster, --lease-ms, --drain-handover,
 * --cluster-url): their setters for config.c's option table and the start-up check. */
#ifndef SESSIOND_CONFIG_CLUSTER_H
#define SESSIOND_CONFIG_CLUSTER_H

#include <stddef.h>

#include "config.h"

int sd_set_cluster(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_lease_ms(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_drain_handover(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_cluster_url(sd_config *c, const char *v, char *err, size_t errsz);
/* A cluster needs a store the nodes share and that keeps what it is given: one line in err. */
int sd_config_cluster_check(const sd_config *c, char *err, size_t errsz);
void sd_config_cluster_free(sd_config *c);

#endif
