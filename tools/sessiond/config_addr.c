/* config_addr: what sessiond tells peers: --advertise and --media-advertise, each an IPv4 or
 * IPv6 literal (a public address in front of a NAT, for instance), --credentials, the file
 * of what it answers their digest challenges with, --outbound-proxy, where its INVITEs go, and
 * --dns-server, who it asks where SIP names are (RFC 3263). */
#include "config_addr.h"

#include <arpa/inet.h>
#include <stdbool.h>
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
    if ((strncasecmp(v, "sip:", 4) != 0 && strncasecmp(v, "sips:", 5) != 0) || !v[4] ||
        sd_config_set_str(&c->outbound_proxy, v) != 0) {
        snprintf(err, errsz, "--outbound-proxy: expected a sip: URI (sip:HOST[:PORT][;transport=tcp]), got '%s'", v);
        return -1;
    }
    return 0;
}

/* "IPv4[:PORT]" or "[IPv6][:PORT]" (a bare IPv6 literal too). */
static bool dns_server_ok(const char *v)
{
    char host[64], bin[16];
    const char *port = NULL;
    if (v[0] == '[') {
        const char *rb = strchr(v, ']');
        if (!rb || (size_t)(rb - v - 1) >= sizeof host || (rb[1] && rb[1] != ':'))
            return false;
        snprintf(host, sizeof host, "%.*s", (int)(rb - v - 1), v + 1);
        port = rb[1] ? rb + 2 : NULL;
        if (inet_pton(AF_INET6, host, bin) != 1)
            return false;
    } else if (inet_pton(AF_INET6, v, bin) == 1) {
        return true;
    } else {
        const char *colon = strchr(v, ':');
        size_t n = colon ? (size_t)(colon - v) : strlen(v);
        if (n >= sizeof host)
            return false;
        snprintf(host, sizeof host, "%.*s", (int)n, v);
        port = colon ? colon + 1 : NULL;
        if (inet_pton(AF_INET, host, bin) != 1)
            return false;
    }
    if (!port)
        return true;
    char *end = NULL;
    long p = strtol(port, &end, 10);
    return *port && !*end && p >= 1 && p <= 65535;
}

int sd_set_dns_server(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!dns_server_ok(v)) {
        snprintf(err, errsz, "--dns-server: expected IP[:PORT] ([IPv6]:PORT), got '%s'", v);
        return -1;
    }
    char buf[1024];
    char v6[72];
    if (v[0] != '[' && strchr(v, ':') && strchr(v, ':') != strrchr(v, ':')) { /* a bare IPv6 literal */
        snprintf(v6, sizeof v6, "[%s]", v);
        v = v6;
    }
    int n = snprintf(buf, sizeof buf, "%s%s%s", c->dns_servers ? c->dns_servers : "", c->dns_servers ? "," : "", v);
    if (n < 0 || (size_t)n >= sizeof buf || sd_config_set_str(&c->dns_servers, buf) != 0) {
        snprintf(err, errsz, "--dns-server: too many servers (at '%s')", v);
        return -1;
    }
    return 0;
}

void sd_config_addr_free(sd_config *c)
{
    free(c->outbound_proxy);
    free(c->dns_servers);
    c->outbound_proxy = c->dns_servers = NULL;
    free(c->advertise);
    free(c->media_advertise);
    free(c->credentials);
    c->advertise = c->media_advertise = c->credentials = NULL;
}
