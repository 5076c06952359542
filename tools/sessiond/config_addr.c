/* config_addr: --advertise and --media-advertise, each an IPv4 or IPv6 literal (what peers are
 * told to reach; a public address in front of a NAT, for instance). */
#include "config_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_addr(char **slot, const char *flag, const char *v, char *err, size_t errsz)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1) {
        snprintf(err, errsz, "%s: expected an IPv4 or IPv6 address, got '%s'", flag, v);
        return -1;
    }
    if (sd_config_set_str(slot, v) != 0) {
        snprintf(err, errsz, "%s: out of memory", flag);
        return -1;
    }
    return 0;
}

int sd_set_advertise(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_addr(&c->advertise, "--advertise", v, err, errsz);
}

int sd_set_media_advertise(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_addr(&c->media_advertise, "--media-advertise", v, err, errsz);
}

void sd_config_addr_free(sd_config *c)
{
    free(c->advertise);
    free(c->media_advertise);
    c->advertise = c->media_advertise = NULL;
}
