/* config_codecs: sessiond's --codecs option (and the config file's codecs key). */
#ifndef SD_CONFIG_CODECS_H
#define SD_CONFIG_CODECS_H

#include "config.h"

int sd_set_codecs(sd_config *c, const char *v, char *err, size_t errsz);

#endif
