/* config_transfer: sessiond's call transfer options (--accept-refer, --transfer-timeout-ms,
 * --trust, --refer-allow): their setters, used by config.c's option table. */
#ifndef SESSIOND_CONFIG_TRANSFER_H
#define SESSIOND_CONFIG_TRANSFER_H

#include <stddef.h>

#include "config.h"

int sd_set_accept_refer(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_transfer_timeout(sd_config *c, const char *v, char *err, size_t errsz);
/* --trust ADDR[/LEN] (IPv4 or IPv6, no host bits past LEN), repeatable. */
int sd_set_trust(sd_config *c, const char *v, char *err, size_t errsz);
/* --refer-allow GLOB on a REFER target's [user@]host:port, repeatable. */
int sd_set_refer_allow(sd_config *c, const char *v, char *err, size_t errsz);
void sd_config_transfer_free(sd_config *c);

#endif
