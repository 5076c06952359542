/* config_srtp: sessiond's SRTP options: --srtp off|optional|mandatory and --srtp-offer avp|savp
 * (config keys srtp, srtp-offer), and a route's ",srtp=POLICY" (--route, routes: srtp:). */
#ifndef SESSIOND_CONFIG_SRTP_H
#define SESSIOND_CONFIG_SRTP_H

#include "config.h"

int sd_set_srtp(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_srtp_offer(sd_config *c, const char *v, char *err, size_t errsz);
/* A route's policy name ("off", "optional", "mandatory") as 1 + sc_coord_srtp: 0, or -1. */
int sd_route_srtp_parse(const char *v, int *out);
/* A --route value without its last ",srtp=POLICY" (the route's last option) into head, and the
 * policy into *out (0 when there is none): 0, or -1 with err set. */
int sd_route_srtp_split(const char *v, char *head, size_t cap, int *out, char *err, size_t errsz);

#endif
