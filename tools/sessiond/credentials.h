/* credentials: the --credentials file (YAML: a list of {realm, user, password}) whose entries
 * answer digest challenges to our requests (sc_coord_add_credentials). */
#ifndef SD_CREDENTIALS_H
#define SD_CREDENTIALS_H

#include <stddef.h>

#include "session_core/base.h"
#include "session_core/coord.h"

/* Load path into coord. 0, or -1 with a one-line "path:line:col: message" in err. A file
 * readable by group or others is loaded with a warning through logger. */
int sd_credentials_load(sc_coord *coord, const char *path, const sc_logger *logger, char *err, size_t errsz);

/* What sd_credentials_load does with each entry (realm NULL: any realm): 0, or nonzero to
 * refuse the file ("cannot keep these credentials"). */
typedef int (*sd_credentials_add_fn)(void *ud, const char *realm, const char *user, const char *password);
/* sd_credentials_load with add(ud, ...) for each entry instead of the coordinator. */
int sd_credentials_read(const char *path, sd_credentials_add_fn add, void *ud, const sc_logger *logger, char *err,
                        size_t errsz);

#endif
