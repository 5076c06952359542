/* config_tls: sessiond's SIP over TLS options (--tls-cert, --tls-key, --tls-ca, --tls-verify):
 * their setters for config.c's option table, the start-up check (files readable, key matching
 * the certificate, a tls: listener has a certificate) and their copy into the coordinator's
 * configuration. */
#ifndef SESSIOND_CONFIG_TLS_H
#define SESSIOND_CONFIG_TLS_H

#include <stddef.h>

#include "config.h"
#include "session_core/coord.h"

int sd_set_tls_cert(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_tls_key(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_tls_ca(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_tls_verify(sd_config *c, const char *v, char *err, size_t errsz); /* yes|no */
int sd_set_tls_handshake_ms(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_sip_keepalive_ms(sd_config *c, const char *v, char *err, size_t errsz); /* 0 or 1000.. */
/* 0, or -1 with one line in err: a file that cannot be read or loaded, a key that does not
 * match its certificate, a tls: listener without --tls-cert and --tls-key. */
int sd_config_tls_check(const sd_config *c, char *err, size_t errsz);
void sd_config_tls_apply(const sd_config *c, sc_coord_config *out);
void sd_config_tls_free(sd_config *c);

#endif
