/* users: the registrar's users file (--users): a YAML list of {user, password} or {user, ha1}
 * (ha1: hex MD5 of user:realm:password; ha1_sha256: the SHA-256 one). */
#ifndef SD_USERS_H
#define SD_USERS_H

#include <stddef.h>

#include "session_core/base.h"
#include "session_core/coord.h"

typedef struct sd_users {
    sc_coord_user *list; /* strings owned */
    size_t n;
} sd_users;

/* Reads path into u (warns through logger when the file is readable by others). 0, or -1
 * with "PATH:LINE:COL: message" in err (never a password). */
int sd_users_load(sd_users *u, const char *path, const sc_logger *logger, char *err, size_t errsz);
/* Wipes the secrets and frees. */
void sd_users_free(sd_users *u);

#endif
