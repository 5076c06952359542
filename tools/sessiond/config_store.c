/* config_store: parsing and checking of sessiond's persistence options. */
#include "config_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sd_set_store(sd_config *c, const char *v, char *err, size_t errsz)
{
    const char *expect = "memory:, sqlite:PATH, redis://HOST:PORT[/DB] or postgresql://...";
    if (!strcmp(v, "memory") || !strcmp(v, "memory:"))
        return sd_config_set_str(&c->store, "memory:") ? sd_config_bad(err, errsz, "store", "memory", v) : 0;
    bool ok = (!strncmp(v, "sqlite:", 7) && v[7]) || !strncmp(v, "redis://", 8) || !strncmp(v, "postgresql://", 13) ||
              !strncmp(v, "postgres://", 11);
    if (!ok)
        return sd_config_bad(err, errsz, "store", expect, v);
    return sd_config_set_str(&c->store, v) ? sd_config_bad(err, errsz, "store", "memory", v) : 0;
}

int sd_set_durability(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "strict"))
        c->durability = 0;
    else if (!strcmp(v, "batched"))
        c->durability = 1;
    else if (!strcmp(v, "none"))
        c->durability = 2;
    else
        return sd_config_bad(err, errsz, "durability", "strict, batched or none", v);
    return 0;
}

int sd_set_node_id(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v || strlen(v) >= 64)
        return sd_config_bad(err, errsz, "node-id", "1 to 63 characters", v);
    return sd_config_set_str(&c->node_id, v) ? sd_config_bad(err, errsz, "node-id", "memory", v) : 0;
}

int sd_set_snapshot_every(sd_config *c, const char *v, char *err, size_t errsz)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || !*v || *end || n < 1 || n > 1000000)
        return sd_config_bad(err, errsz, "snapshot-every", "1..1000000", v);
    c->snapshot_every = (unsigned)n;
    return 0;
}

void sd_config_store_free(sd_config *c)
{
    free(c->node_id);
    c->node_id = NULL;
}
