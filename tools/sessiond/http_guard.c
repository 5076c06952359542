/* http_guard: the checks of a request's Authorization, Host, Origin and Content-Type headers
 * (see http_guard.h). Pure functions over the guard's fixed lists. */
#include "http_guard.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

bool sd_sockaddr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

bool sd_sockaddr_is_any(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

static int add_name(sd_http_guard *g, const char *name)
{
    if (g->nnames == SD_GUARD_MAX_NAMES || !*name)
        return 0;
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '[' && name[n - 1] == ']') { /* [v6] -> v6 */
        name++;
        n -= 2;
    }
    for (size_t i = 0; i < g->nnames; i++)
        if (strlen(g->names[i]) == n && !strncasecmp(g->names[i], name, n))
            return 0;
    char *d = strndup(name, n);
    if (!d)
        return -ENOMEM;
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    g->names[g->nnames++] = d;
    return 0;
}

int sd_guard_init(sd_http_guard *g, const struct sockaddr *bound, const char *bound_host, uint16_t port,
                  const char *const *names, size_t nnames, const char *token)
{
    memset(g, 0, sizeof *g);
    g->port = port;
    int rc = 0;
    bool any = bound && sd_sockaddr_is_any(bound);
    char num[INET6_ADDRSTRLEN] = "";
    if (!any && bound_host)
        rc = add_name(g, bound_host);
    if (rc == 0 && !any && bound) { /* the address itself, however --http spelled it */
        const void *a = bound->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)bound)->sin_addr
                                                    : (const void *)&((const struct sockaddr_in6 *)bound)->sin6_addr;
        if (inet_ntop(bound->sa_family, a, num, sizeof num))
            rc = add_name(g, num);
    }
    if (rc == 0 && bound && sd_sockaddr_is_loopback(bound))
        rc = add_name(g, "localhost");
    for (size_t i = 0; rc == 0 && i < nnames; i++)
        rc = add_name(g, names[i]);
    g->any_host = any && nnames == 0;
    if (rc == 0 && token) {
        if (!(g->token = strdup(token)))
            rc = -ENOMEM;
        else
            g->token_len = strlen(token);
    }
    if (rc)
        sd_guard_free(g);
    return rc;
}

void sd_guard_free(sd_http_guard *g)
{
    for (size_t i = 0; i < g->nnames; i++)
        free(g->names[i]);
    if (g->token)
        memset(g->token, 0, g->token_len);
    free(g->token);
    memset(g, 0, sizeof *g);
}

/* s[0..n) = "name", "name:port", "[v6]" or "[v6]:port": the name (brackets removed) in
 * name[0..*nlen) and the port (-1 when absent); false when malformed. */
static bool split_authority(const char *s, size_t n, const char **name, size_t *nlen, long *port)
{
    const char *end = s + n, *colon;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb)
            return false;
        *name = s + 1;
        *nlen = (size_t)(rb - s - 1);
        colon = rb + 1 < end ? rb + 1 : NULL;
        if (colon && *colon != ':')
            return false;
    } else {
        colon = memchr(s, ':', n);
        *name = s;
        *nlen = colon ? (size_t)(colon - s) : n;
    }
    *port = -1;
    if (colon) {
        const char *p = colon + 1;
        if (p == end || end - p > 5)
            return false;
        long v = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return false;
            v = v * 10 + (*p - '0');
        }
        *port = v;
    }
    return *nlen > 0;
}

static bool known_name(const sd_http_guard *g, const char *name, size_t n)
{
    for (size_t i = 0; i < g->nnames; i++)
        if (strlen(g->names[i]) == n && !strncasecmp(g->names[i], name, n))
            return true;
    return false;
}

bool sd_guard_host_ok(const sd_http_guard *g, const char *host)
{
    if (!host || g->any_host)
        return true;
    const char *name;
    size_t n;
    long port;
    if (!split_authority(host, strlen(host), &name, &n, &port))
        return false;
    return known_name(g, name, n) && (port < 0 || port == g->port);
}

bool sd_guard_origin_ok(const sd_http_guard *g, const char *origin)
{
    if (!origin)
        return true;
    if (strncasecmp(origin, "http://", 7) != 0)
        return false; /* "null", https://..., anything else */
    const char *a = origin + 7;
    size_t n = strlen(a);
    if (n && a[n - 1] == '/')
        n--;
    const char *name;
    size_t nlen;
    long port;
    if (!split_authority(a, n, &name, &nlen, &port))
        return false;
    return known_name(g, name, nlen) && (port < 0 ? 80 : port) == g->port;
}

/* given == token, in a time that depends on the token's length only. */
static bool token_equal(const char *given, size_t glen, const char *token, size_t tlen)
{
    volatile unsigned diff = glen != tlen;
    for (size_t i = 0; i < tlen; i++)
        diff |= (unsigned)((unsigned char)token[i] ^ (unsigned char)(i < glen ? given[i] : 0));
    return diff == 0;
}

bool sd_guard_token_ok(const sd_http_guard *g, const char *a)
{
    if (!g->token)
        return true;
    if (!a)
        return false;
    a += strspn(a, " \t");
    if (strncasecmp(a, "Bearer", 6) != 0 || (a[6] != ' ' && a[6] != '\t'))
        return false;
    a += 6;
    a += strspn(a, " \t");
    size_t n = strlen(a);
    while (n && (a[n - 1] == ' ' || a[n - 1] == '\t'))
        n--;
    return token_equal(a, n, g->token, g->token_len);
}

int sd_guard_content_type(const char *ctype, bool yaml_ok)
{
    static const char *const yaml[] = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"};
    if (!ctype)
        return 0;
    const char *t = ctype + strspn(ctype, " \t");
    size_t n = strcspn(t, ";");
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    if (n == 16 && !strncasecmp(t, "application/json", 16))
        return 1;
    for (size_t i = 0; yaml_ok && i < sizeof yaml / sizeof yaml[0]; i++)
        if (strlen(yaml[i]) == n && !strncasecmp(t, yaml[i], n))
            return 1;
    return -1;
}
