/* config_addr: what sessiond tells peers: --advertise (Via, Contact and From),
 * --media-advertise (the address in our SDP) and --credentials (digest answers). */
#ifndef SD_CONFIG_ADDR_H
#define SD_CONFIG_ADDR_H

#include "config.h"

int sd_set_advertise(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_media_advertise(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_credentials(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_outbound_proxy(sd_config *c, const char *v, char *err, size_t errsz);
void sd_config_addr_free(sd_config *c);

#endif
