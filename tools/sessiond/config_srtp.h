/* config_srtp: sessiond's SRTP options: --srtp off|optional|mandatory and --srtp-offer avp|savp
 * (config keys srtp, srtp-offer). */
#ifndef SESSIOND_CONFIG_SRTP_H
#define SESSIOND_CONFIG_SRTP_H

#include "config.h"

int sd_set_srtp(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_srtp_offer(sd_config *c, const char *v, char *err, size_t errsz);

#endif
