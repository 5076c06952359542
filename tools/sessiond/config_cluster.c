/* config_cluster: parsing and checking of sessiond's cluster options (docs/scale-out.md). */
#include "config_cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_bool.h"

int sd_set_cluster(sd_config *c, const char *v, char *err, size_t errsz)
{
    return sd_config_bool("cluster", v, &c->cluster, err, errsz);
}

int sd_set_lease_ms(sd_config *c, const char *v, char *err, size_t errsz)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || !*v || *end || n < 200 || n > 600000)
        return sd_config_bad(err, errsz, "lease-ms", "200..600000", v);
    c->lease_ms = (unsigned)n;
    return 0;
}

int sd_set_drain_handover(sd_config *c, const char *v, char *err, size_t errsz)
{
    return sd_config_bool("drain-handover", v, &c->drain_handover, err, errsz);
}

int sd_set_cluster_url(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
        return sd_config_bad(err, errsz, "cluster-url", "http://HOST:PORT or https://...", v);
    return sd_config_set_str(&c->cluster_url, v) ? sd_config_bad(err, errsz, "cluster-url", "memory", v) : 0;
}

int sd_config_cluster_check(const sd_config *c, char *err, size_t errsz)
{
    if (!c->cluster)
        return 0;
    if (!c->store || !strncmp(c->store, "memory", 6)) {
        snprintf(err, errsz,
                 "--cluster: the nodes share their sessions through the store: use --store "
                 "redis://... or postgresql://... (sqlite:PATH for nodes on one machine)");
        return -1;
    }
    if (c->durability == 2) {
        snprintf(err, errsz, "--cluster: --durability none keeps nothing another node could take over");
        return -1;
    }
    if (c->node_id && strlen(c->node_id) > 40) {
        snprintf(err, errsz, "--node-id: at most 40 characters with --cluster (the incarnation adds its start time)");
        return -1;
    }
    return 0;
}

void sd_config_cluster_free(sd_config *c)
{
    free(c->cluster_url);
    c->cluster_url = NULL;
}
