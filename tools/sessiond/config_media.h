/* config_media: sessiond's media and B2BUA options (--media-address, --rtp-timeout-ms,
 * --rtp-latch, --moh, --moh-class, --route) and their config-file forms (moh_classes: map, routes: list). */
#ifndef SESSIOND_CONFIG_MEDIA_H
#define SESSIOND_CONFIG_MEDIA_H

#include <yaml.h>

#include "config.h"

int sd_set_media_address(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_rtp_timeout(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_rtp_park(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_rtp_latch(sd_config *c, const char *v, char *err, size_t errsz); /* no value */
int sd_set_media(sd_config *c, const char *v, char *err, size_t errsz);     /* on|off */
int sd_set_moh(sd_config *c, const char *v, char *err, size_t errsz);       /* FILE: class default */
int sd_set_moh_class(sd_config *c, const char *v, char *err, size_t errsz); /* NAME=FILE */
int sd_set_route(sd_config *c, const char *v, char *err, size_t errsz);     /* PATTERN=TARGET */
/* --sounds-dir DIR: where PlayFile finds relative paths */
int sd_set_sounds_dir(sd_config *c, const char *v, char *err, size_t errsz);
/* A config-file key with a structured value: moh_classes (map name: file), routes (list of
 * {match, target}), route / moh_class (lists of strings). 1: not ours, 0: applied, -1: error
 * (err set as "path:line:col: message"). */
int sd_config_media_node(sd_config *c, const char *key, yaml_document_t *doc, yaml_node_t *v, const char *path,
                         char *err, size_t errsz);
void sd_config_media_free(sd_config *c);

#endif
