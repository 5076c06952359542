/* config_store: sessiond's persistence options (--store, --durability, --node-id,
 * --snapshot-every): their setters, used by config.c's option table. */
#ifndef SESSIOND_CONFIG_STORE_H
#define SESSIOND_CONFIG_STORE_H

#include <stddef.h>

#include "config.h"
#include "session_core/base.h"

#define SD_DEFAULT_STORE "sqlite:sessiond.db" /* in the working directory */

#define SD_STORE_ENV_NAME "SESSIOND_STORE"
/* Where the store URL came from (sd_config.store_src). */
enum { SD_STORE_DEFAULT, SD_STORE_FLAG, SD_STORE_ARGV_SECRET, SD_STORE_FILE, SD_STORE_ENV };

int sd_set_store(sd_config *c, const char *v, char *err, size_t errsz);
/* --store-file FILE: the URL is the file's first line. */
int sd_set_store_file(sd_config *c, const char *v, char *err, size_t errsz);
/* SESSIOND_STORE when neither flag nor config key gave a store. */
int sd_config_store_env(sd_config *c, char *err, size_t errsz);
/* A --store argument on the command line: its password (if any) overwritten with '*' in place,
 * so /proc/PID/cmdline no longer shows it. */
void sd_config_store_mask_argv(sd_config *c, char *arg);
/* At start: a password given on argv, a store file others can read. */
void sd_config_store_warn(const sd_config *c, const sc_logger *logger);
int sd_set_durability(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_node_id(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_snapshot_every(sd_config *c, const char *v, char *err, size_t errsz);
void sd_config_store_free(sd_config *c);

#endif
