/* cluster_setup: sessiond in a cluster (--cluster, docs/scale-out.md): joins it after the store
 * is open, exits when the node is fenced, and gives the HTTP server what it needs to answer for
 * any session: a redirect to the node that owns it, and GET /cluster. */
#ifndef SESSIOND_CLUSTER_SETUP_H
#define SESSIOND_CLUSTER_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "session_core/coord.h"

typedef struct sd_cluster sd_cluster;

/* Join the cluster (the store is open). 0, or 1 with a line on stderr. *out NULL without
 * --cluster. */
int sd_cluster_start(sd_cluster **out, sc_coord *api, const sd_config *cfg, const sc_logger *logger);
void sd_cluster_free(sd_cluster *c);

/* HTTP thread: where a request for a session this node does not have should go: true with
 * location (the owner's base URL, the path and the query string given) when another live
 * node owns it. */
bool sd_cluster_redirect(void *ud, const char *path, const char *query, char *location, size_t cap);
/* HTTP thread: GET /cluster, the live nodes; a new JSON object or NULL (store error). */
struct json_t;
struct json_t *sd_cluster_nodes(void *ud);

#endif
