/* config_trunks: the `trunks:` section of sessiond's config file (a list of accounts at
 * carriers: name, uri, proxy, username, password_file or password, register, expires), each
 * entry checked with file:line:column, handed to the coordinator at start. */
#ifndef SESSIOND_CONFIG_TRUNKS_H
#define SESSIOND_CONFIG_TRUNKS_H

#include <yaml.h>

#include "config.h"
#include "session_core/coord.h"

typedef struct sd_trunk {
    char *name, *uri, *proxy, *username, *password;
    bool do_register;
    bool password_inline; /* `password:` in the config file: warned about at start */
    unsigned expires_s, retry_min_ms, retry_max_ms;
    int srtp; /* srtp: off|optional|mandatory as 1 + sc_coord_srtp; 0 = the global --srtp */
} sd_trunk;

/* The config-file key `trunks` (a list of maps). 1: not ours, 0: applied, -1: error (err set as
 * "path:line:col: message"). */
int sd_config_trunks_node(sd_config *c, const char *key, yaml_document_t *doc, yaml_node_t *v, const char *path,
                          char *err, size_t errsz);
/* Routes naming "trunk:NAME" need that trunk: -1 with err otherwise. */
int sd_config_trunks_check(const sd_config *c, char *err, size_t errsz);
/* Fill cc->trunks from c (out: at least c->ntrunks entries, kept while cc is used); warns
 * about passwords written in the config file. */
void sd_config_trunks_apply(const sd_config *c, sc_coord_config *cc, sc_coord_trunk_config *out,
                            const sc_logger *logger);
void sd_config_trunks_free(sd_config *c);

#endif
