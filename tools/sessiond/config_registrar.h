/* config_registrar: sessiond's registrar options: --realm (our SIP domain and digest realm),
 * --users FILE (users.c), registration intervals and the brute-force limits. */
#ifndef SD_CONFIG_REGISTRAR_H
#define SD_CONFIG_REGISTRAR_H

#include "config.h"

#include "session_core/coord.h"

int sd_set_realm(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_users(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_users_store(sd_config *c, const char *v, char *err, size_t errsz); /* --users-store yes|no */
int sd_set_reg_min_expires(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_reg_max_expires(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_reg_default_expires(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_auth_max_failures(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_auth_window(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_auth_block(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_auth_algorithms(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_auth_nonce_ttl(sd_config *c, const char *v, char *err, size_t errsz);
/* --users needs --realm: 0, or -1 with a line in err. */
int sd_config_registrar_check(const sd_config *c, char *err, size_t errsz);
/* The registrar part of the coordinator's config (users are set by the caller). */
void sd_registrar_apply(const sd_config *c, sc_coord_config *cc);
void sd_config_registrar_free(sd_config *c);

#endif
