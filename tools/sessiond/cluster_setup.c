/* cluster_setup: sessiond's part of a cluster: joining it, exiting when fenced, and the HTTP
 * server's answers for sessions other nodes own (a 307 to the owner) and GET /cluster, read on
 * the HTTP threads through a store handle of their own (never the loop's). */
#include "cluster_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sd_cluster {
    sc_persist *p; /* the HTTP threads' handle (it serialises its calls) */
    char inc[160]; /* our incarnation */
    const sc_logger *logger;
};

/* The node lost its lease and let its sessions go: it is out of the cluster. Exit at once
 * (75, EX_TEMPFAIL): the store may be unreachable, so no orderly shutdown can be counted on;
 * the service manager starts it again as a new incarnation. */
static void on_fenced(void *ud, const char *why)
{
    sd_cluster *c = ud;
    sc_log(c->logger, SC_LOG_ERROR, "cluster", "fenced (%s): exiting with status 75 to rejoin as a new incarnation",
           why);
    fflush(stderr);
    _exit(75);
}

int sd_cluster_start(sd_cluster **out, sc_coord *api, const sd_config *cfg, const sc_logger *logger)
{
    *out = NULL;
    if (!cfg->cluster)
        return 0;
    sd_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return 1;
    c->logger = logger;
    char url[300] = "";
    if (cfg->cluster_url)
        snprintf(url, sizeof url, "%s", cfg->cluster_url);
    else if (strcmp(cfg->http, "off") != 0)
        snprintf(url, sizeof url, "http://%s", cfg->http);
    sc_coord_cluster_config cc = {.lease_ms = cfg->lease_ms,
                                  .http_url = url,
                                  .sip_uri = cfg->nsip ? cfg->sip[0] : NULL,
                                  .on_fenced = on_fenced,
                                  .ud = c};
    char err[512];
    int rc = sc_coord_cluster_start(api, &cc, err, sizeof err);
    sc_persist_config pc = {.logger = logger};
    if (rc == 0)
        rc = sc_persist_open(&c->p, cfg->store, &pc, err, sizeof err);
    if (rc) {
        fprintf(stderr, "sessiond: %s\n", err[0] ? err : sc_strerror(rc));
        sd_cluster_free(c);
        return 1;
    }
    snprintf(c->inc, sizeof c->inc, "%s", sc_coord_cluster_incarnation(api));
    json_t *nodes = NULL;
    if (sc_coord_cluster_nodes(c->p, c->inc, &nodes) == 0) {
        sc_log(logger, SC_LOG_INFO, "cluster", "%zu live node(s) in the cluster", json_array_size(nodes));
        json_decref(nodes);
    }
    *out = c;
    return 0;
}

void sd_cluster_free(sd_cluster *c)
{
    if (!c)
        return;
    sc_persist_close(c->p);
    free(c);
}

bool sd_cluster_redirect(void *ud, const char *path, const char *query, char *location, size_t cap)
{
    sd_cluster *c = ud;
    if (!c || strncmp(path, "/sessions/", 10))
        return false;
    char id[SC_SESSION_ID_MAX + 1];
    const char *s = path + 10, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (!n || n >= sizeof id)
        return false;
    memcpy(id, s, n);
    id[n] = '\0';
    char node[160], url[300];
    if (sc_coord_cluster_locate(c->p, id, node, sizeof node, url, sizeof url) != 0 || !strcmp(node, c->inc))
        return false; /* unknown, owner dead, or ours (the 404 was about the route, not the session) */
    size_t ul = strlen(url);
    while (ul && url[ul - 1] == '/')
        url[--ul] = '\0';
    int w = snprintf(location, cap, "%s%s%s%s", url, path, query && *query ? "?" : "", query ? query : "");
    return w > 0 && (size_t)w < cap;
}

json_t *sd_cluster_nodes(void *ud)
{
    sd_cluster *c = ud;
    json_t *nodes = NULL;
    if (!c || sc_coord_cluster_nodes(c->p, c->inc, &nodes) != 0)
        return NULL;
    return json_pack("{s:s, s:o}", "self", c->inc, "nodes", nodes);
}
