/* config_transfer: setters of sessiond's call transfer options, each checked with a
 * one-line error naming the flag. */
#include "config_transfer.h"
#include "config_bool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sd_set_accept_refer(sd_config *c, const char *v, char *err, size_t errsz)
{
    bool accept;
    if (!v || sd_config_bool("accept-refer", v, &accept, err, errsz)) /* config_bool.c */
        return v ? -1 : sd_config_bad(err, errsz, "accept-refer", "yes or no", v);
    c->refuse_refer = !accept;
    return 0;
}

int sd_set_transfer_timeout(sd_config *c, const char *v, char *err, size_t errsz)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || n < 100 || n > 3600000 || v[0] == '-') {
        snprintf(err, errsz, "--transfer-timeout-ms: expected 100..3600000, got '%s'", v);
        return -1;
    }
    c->transfer_timeout_ms = (uint32_t)n;
    return 0;
}

/* ADDR or ADDR/LEN with no bit set past LEN (the coordinator checks the same at start). */
static bool cidr_ok(const char *v)
{
    char addr[64];
    unsigned char bin[16];
    const char *slash = strchr(v, '/');
    size_t n = slash ? (size_t)(slash - v) : strlen(v);
    if (n == 0 || n >= sizeof addr)
        return false;
    memcpy(addr, v, n);
    addr[n] = '\0';
    unsigned max = 32;
    if (inet_pton(AF_INET, addr, bin) != 1) {
        if (inet_pton(AF_INET6, addr, bin) != 1)
            return false;
        max = 128;
    }
    unsigned long bits = max;
    if (slash) {
        char *end = NULL;
        if (!slash[1] || slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
            return false;
        bits = strtoul(slash + 1, &end, 10);
        if (*end || bits > max)
            return false;
    }
    for (unsigned long i = bits; i < max; i++)
        if (bin[i / 8] & (0x80u >> (i % 8)))
            return false;
    return true;
}

int sd_set_trust(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!cidr_ok(v))
        return sd_config_bad(err, errsz, "trust", "ADDR or ADDR/LEN, IPv4 or IPv6, no host bits past LEN", v);
    if (c->ntrust == SD_MAX_TRUST)
        return sd_config_bad(err, errsz, "trust", "at most 32 networks", v);
    if (!(c->trust[c->ntrust] = strdup(v)))
        return sd_config_bad(err, errsz, "trust", "memory", v);
    c->ntrust++;
    return 0;
}

int sd_set_refer_allow(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v || strlen(v) >= 256 || strpbrk(v, " \t\r\n<>") || !strncmp(v, "sip:", 4))
        return sd_config_bad(err, errsz, "refer-allow", "a glob on [user@]host:port (no sip:, no spaces)", v);
    if (c->nrefer_allow == SD_MAX_ALLOW)
        return sd_config_bad(err, errsz, "refer-allow", "at most 32 patterns", v);
    if (!(c->refer_allow[c->nrefer_allow] = strdup(v)))
        return sd_config_bad(err, errsz, "refer-allow", "memory", v);
    c->nrefer_allow++;
    return 0;
}

void sd_config_transfer_free(sd_config *c)
{
    for (size_t i = 0; i < c->ntrust; i++)
        free(c->trust[i]);
    for (size_t i = 0; i < c->nrefer_allow; i++)
        free(c->refer_allow[i]);
    c->ntrust = c->nrefer_allow = 0;
}
