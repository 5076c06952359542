/* config_bool: the one spelling of sessiond's boolean options (yes|no), shared by the flags and
 * the config file; the older spellings are accepted with a warning. */
#ifndef SD_CONFIG_BOOL_H
#define SD_CONFIG_BOOL_H

#include <stdbool.h>
#include <stddef.h>

/* The value v of option flag (without "--"; or a config key path like "trunks: register"): yes|no; true/false, on/off and 1/0 are accepted
 * with a warning on stderr; v NULL (a switch given alone) is yes. 0 and *out, or -1 with err. */
int sd_config_bool(const char *flag, const char *v, bool *out, char *err, size_t errsz);

/* Whether option name is a switch (no value needed) that also takes --name=yes|no. */
bool sd_config_is_switch(const char *name);

#endif
