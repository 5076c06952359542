/* config_ops: parsing and checking of the operations options of sessiond. */
#include "config_ops.h"
#include "config_bool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sd_set_watch(sd_config *c, const char *v, char *err, size_t errsz)
{
    return sd_config_bool("watch", v, &c->watch, err, errsz); /* config_bool.c */
}

int sd_set_statsd(sd_config *c, const char *v, char *err, size_t errsz)
{
    char host[128];
    uint16_t port;
    if (sd_split_hostport(v, host, sizeof host, &port) || port == 0)
        return sd_config_bad(err, errsz, "statsd", "HOST:PORT", v);
    char *d = strdup(v);
    if (!d)
        return sd_config_bad(err, errsz, "statsd", "memory", v);
    free(c->statsd);
    c->statsd = d;
    return 0;
}

int sd_set_statsd_interval(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, 3600000, &n) || n < 10)
        return sd_config_bad(err, errsz, "statsd-interval-ms", "10..3600000", v);
    c->statsd_interval_ms = (uint32_t)n;
    return 0;
}

int sd_set_metrics(sd_config *c, const char *v, char *err, size_t errsz)
{
    bool on;
    if (!v || sd_config_bool("metrics", v, &on, err, errsz)) /* yes|no (on/off: a warning) */
        return v ? -1 : sd_config_bad(err, errsz, "metrics", "yes or no", v);
    c->metrics_off = !on;
    return 0;
}

int sd_config_ops_check(const sd_config *c, char *err, size_t errsz)
{
    if (c->metrics_off && c->statsd) {
        snprintf(err, errsz, "--statsd: needs metrics, but --metrics is off");
        return -1;
    }
    return 0;
}

int sd_set_max_cps(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, 1000000, &n))
        return sd_config_bad(err, errsz, "max-cps", "0..1000000 (0 = unlimited)", v);
    c->max_cps = (uint32_t)n;
    return 0;
}

/* Bytes with an optional K, M or G suffix (powers of 1024). */
int sd_set_max_memory(sd_config *c, const char *v, char *err, size_t errsz)
{
    char num[32];
    size_t n = v ? strlen(v) : 0;
    uint64_t mult = 1;
    if (n && n < sizeof num) {
        char last = v[n - 1];
        if (last == 'K' || last == 'k')
            mult = 1024;
        else if (last == 'M' || last == 'm')
            mult = 1024 * 1024;
        else if (last == 'G' || last == 'g')
            mult = 1024ULL * 1024 * 1024;
        memcpy(num, v, n - (mult > 1));
        num[n - (mult > 1)] = '\0';
    } else {
        return sd_config_bad(err, errsz, "max-memory", "BYTES[K|M|G] (0 = unlimited)", v);
    }
    uint64_t b;
    if (sd_config_parse_u64(num, UINT64_MAX / (1024ULL * 1024 * 1024), &b))
        return sd_config_bad(err, errsz, "max-memory", "BYTES[K|M|G] (0 = unlimited)", v);
    c->max_memory = b * mult;
    return 0;
}

int sd_set_events_idle(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, 86400000, &n) || n < 100)
        return sd_config_bad(err, errsz, "events-idle-ms", "100..86400000", v);
    c->events_idle_ms = (uint32_t)n;
    return 0;
}

int sd_set_events_ring(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, 1048576, &n) || n < 8)
        return sd_config_bad(err, errsz, "events-ring", "8..1048576", v);
    c->events_ring = (uint32_t)n;
    return 0;
}

void sd_config_ops_free(sd_config *c)
{
    free(c->statsd);
    c->statsd = NULL;
}
