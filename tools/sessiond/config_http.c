/* config_http: setters of sessiond's HTTP API options. The bearer token comes from
 * --http-token-file FILE (its first line), the SESSIOND_HTTP_TOKEN environment variable, or
 * --http-token / the config key http-token; no error message or log line ever shows it. */
#include "config_http.h"
#include "config_bool.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_guard.h"

#define TOKEN_FILE_MAX 4096 /* bytes read from a token file: its first line is the token */

/* A usable token: 8..1024 visible ASCII characters (no spaces or control characters). */
static bool token_ok(const char *v, size_t n)
{
    if (n < 8 || n > 1024)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
            return false;
    return true;
}

static int put_token(sd_config *c, const char *v, size_t n, int src)
{
    char *d = strndup(v, n);
    if (!d)
        return -1;
    if (c->http_token) { /* wipe the old copy before freeing it */
        memset(c->http_token, 0, strlen(c->http_token));
        free(c->http_token);
    }
    c->http_token = d;
    c->http_token_src = src;
    return 0;
}

int sd_set_http_token(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!token_ok(v, strlen(v))) {
        snprintf(err, errsz, "--http-token: expected 8..1024 visible characters without spaces");
        return -1;
    }
    if (put_token(c, v, strlen(v), SD_TOKEN_CONFIG)) {
        snprintf(err, errsz, "--http-token: out of memory");
        return -1;
    }
    return 0;
}

int sd_set_http_token_file(sd_config *c, const char *v, char *err, size_t errsz)
{
    char buf[TOKEN_FILE_MAX + 1];
    int fd = open(v, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not hang the start */
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errsz, "--http-token-file: cannot open '%s': %s", v, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t n = 0;
    while (n < TOKEN_FILE_MAX) {
        ssize_t r = read(fd, buf + n, TOKEN_FILE_MAX - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    size_t len = strcspn(buf, "\n"); /* the first line, without its newline (and a CR before it) */
    if (len && buf[len - 1] == '\r')
        len--;
    int rc = 0;
    if (!S_ISREG(st.st_mode) || !token_ok(buf, len)) {
        snprintf(err, errsz,
                 "--http-token-file: '%s': the first line must be a token of 8..1024 visible characters "
                 "without spaces",
                 v);
        rc = -1;
    } else if (put_token(c, buf, len, SD_TOKEN_FILE) || sd_config_set_str(&c->http_token_file, v)) {
        snprintf(err, errsz, "--http-token-file: out of memory");
        rc = -1;
    } else {
        c->http_token_file_mode = (unsigned)(st.st_mode & 07777);
    }
    memset(buf, 0, sizeof buf);
    return rc;
}

int sd_set_metrics_public(sd_config *c, const char *v, char *err, size_t errsz)
{
    return sd_config_bool("metrics-public", v, &c->metrics_public, err, errsz); /* config_bool.c */
}

/* A DNS name or an IP literal (IPv6 with or without brackets), without a port. */
int sd_set_http_host(sd_config *c, const char *v, char *err, size_t errsz)
{
    size_t n = strlen(v);
    bool bracketed = n > 2 && v[0] == '[' && v[n - 1] == ']';
    const char *name = bracketed ? v + 1 : v;
    size_t len = bracketed ? n - 2 : n;
    bool v6 = memchr(name, ':', len) != NULL;
    bool ok = len > 0 && len <= 253 && name[0] != '-' && name[0] != '.';
    for (size_t i = 0; ok && i < len; i++) {
        char ch = name[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
             ch == '.' || (v6 && ch == ':');
    }
    if (!ok || (bracketed && !v6)) {
        snprintf(err, errsz, "--http-host: expected a host name or IP address without a port, got '%s'", v);
        return -1;
    }
    if (c->nhttp_hosts == SD_MAX_HTTP_HOSTS) {
        snprintf(err, errsz, "--http-host: at most %d names", SD_MAX_HTTP_HOSTS);
        return -1;
    }
    if (!(c->http_hosts[c->nhttp_hosts] = strndup(name, len))) {
        snprintf(err, errsz, "--http-host: out of memory");
        return -1;
    }
    c->nhttp_hosts++;
    return 0;
}

static int set_u32(const char *flag, const char *v, uint64_t lo, uint64_t hi, uint32_t *out, char *err, size_t errsz)
{
    uint64_t n;
    char expect[48];
    snprintf(expect, sizeof expect, "%llu..%llu", (unsigned long long)lo, (unsigned long long)hi);
    if (sd_config_parse_u64(v, hi, &n) || n < lo)
        return sd_config_bad(err, errsz, flag, expect, v);
    *out = (uint32_t)n;
    return 0;
}

int sd_set_http_max_connections(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32("http-max-connections", v, 1, 10000, &c->http_max_connections, err, errsz);
}

int sd_set_http_max_per_client(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32("http-max-per-client", v, 1, 10000, &c->http_max_per_client, err, errsz);
}

int sd_set_http_max_streams(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32("http-max-streams", v, 1, 10000, &c->http_max_streams, err, errsz);
}

int sd_set_http_read_timeout(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32("http-read-timeout-ms", v, 100, 600000, &c->http_read_timeout_ms, err, errsz);
}

int sd_config_http_env(sd_config *c, char *err, size_t errsz)
{
    const char *v = getenv(SD_TOKEN_ENV_NAME);
    if (c->http_token || !v || !*v)
        return 0;
    if (!token_ok(v, strlen(v))) {
        snprintf(err, errsz, "%s: expected 8..1024 visible characters without spaces", SD_TOKEN_ENV_NAME);
        return -1;
    }
    if (put_token(c, v, strlen(v), SD_TOKEN_ENV)) {
        snprintf(err, errsz, "%s: out of memory", SD_TOKEN_ENV_NAME);
        return -1;
    }
    return 0;
}

void sd_config_http_warn(const sd_config *c, const sc_logger *logger)
{
    if (c->http_token && c->http_token_src == SD_TOKEN_ARGV)
        sc_log(logger, SC_LOG_WARN, "http",
               "--http-token given on the command line: other local users can read it in /proc/PID/cmdline "
               "(and ps) until sessiond has masked it, and it stays in shell history; use --http-token-file FILE "
               "or the %s environment variable",
               SD_TOKEN_ENV_NAME);
    if (c->http_token && c->http_token_src == SD_TOKEN_FILE && (c->http_token_file_mode & 066))
        sc_log(logger, SC_LOG_WARN, "http",
               "--http-token-file %s: group or others may read or write it (mode %04o); chmod 600 it",
               c->http_token_file, c->http_token_file_mode);
    if (c->http_token)
        sc_log(logger, SC_LOG_INFO, "http", "bearer token required on every endpoint but /livez, /readyz, /healthz%s",
               c->metrics_public ? " and /metrics (--metrics-public)" : "");
}

int sd_config_http_loopback(const char *host, char *err, size_t errsz)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gr = getaddrinfo(host, NULL, &hints, &res);
    if (gr || !res) {
        snprintf(err, errsz, "--http: cannot resolve '%s': %s", host, gr ? gai_strerror(gr) : "no address");
        return -1;
    }
    int all = 1;
    for (struct addrinfo *ai = res; ai && all; ai = ai->ai_next)
        if (!sd_sockaddr_is_loopback(ai->ai_addr)) {
            char num[INET6_ADDRSTRLEN] = "?";
            getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof num, NULL, 0, NI_NUMERICHOST);
            snprintf(err, errsz, "%s", num);
            all = 0;
        }
    freeaddrinfo(res);
    return all;
}

void sd_config_http_free(sd_config *c)
{
    if (c->http_token) {
        memset(c->http_token, 0, strlen(c->http_token));
        free(c->http_token);
        c->http_token = NULL;
    }
    free(c->http_token_file);
    c->http_token_file = NULL;
    for (size_t i = 0; i < c->nhttp_hosts; i++)
        free(c->http_hosts[i]);
    c->nhttp_hosts = 0;
}
