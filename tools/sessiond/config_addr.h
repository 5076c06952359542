/* config_addr: the options that say which addresses sessiond announces to peers: --advertise
 * (Via, Contact and From) and --media-advertise (the address in our SDP). */
#ifndef SD_CONFIG_ADDR_H
#define SD_CONFIG_ADDR_H

#include "config.h"

int sd_set_advertise(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_media_advertise(sd_config *c, const char *v, char *err, size_t errsz);
void sd_config_addr_free(sd_config *c);

#endif
