/* config_transfer: sessiond's call transfer options (--accept-refer, --transfer-timeout-ms):
 * their setters, used by config.c's option table. */
#ifndef SESSIOND_CONFIG_TRANSFER_H
#define SESSIOND_CONFIG_TRANSFER_H

#include <stddef.h>

#include "config.h"

int sd_set_accept_refer(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_transfer_timeout(sd_config *c, const char *v, char *err, size_t errsz);

#endif
