/* config_store: sessiond's persistence options (--store, --durability, --node-id,
 * --snapshot-every): their setters, used by config.c's option table. */
#ifndef SESSIOND_CONFIG_STORE_H
#define SESSIOND_CONFIG_STORE_H

#include <stddef.h>

#include "config.h"

#define SD_DEFAULT_STORE "sqlite:sessiond.db" /* in the working directory */

int sd_set_store(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_durability(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_node_id(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_snapshot_every(sd_config *c, const char *v, char *err, size_t errsz);
void sd_config_store_free(sd_config *c);

#endif
