/* config_addr: what sessiond tells peers: --advertise and --media-advertise, each an IPv4 or
 * IPv6 literal (a public address in front of a NAT, for instance), --credentials, the file
 * of what it answers their digest challenges with, and --outbound-proxy, where its INVITEs go. */
#include "config_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

int sd_set_credentials(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v || sd_config_set_str(&c->credentials, v) != 0) {
        snprintf(err, errsz, "--credentials: expected a file path%s", "");
        return -1;
    }
    return 0;
}

int sd_set_outbound_proxy(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (strncasecmp(v, "sip:", 4) != 0 || !v[4] || sd_config_set_str(&c->outbound_proxy, v) != 0) {
        snprintf(err, errsz, "--outbound-proxy: expected a sip: URI (sip:HOST[:PORT][;transport=tcp]), got '%s'", v);
        return -1;
    }
    return 0;
}

void sd_config_addr_free(sd_config *c)
{
    free(c->outbound_proxy);
    c->outbound_proxy = NULL;
    free(c->advertise);
    free(c->media_advertise);
    free(c->credentials);
    c->advertise = c->media_advertise = c->credentials = NULL;
}
