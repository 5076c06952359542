/* http_client: sessionctl's blocking HTTP/1.1 client: parses the server URL, connects with a
 * timeout, writes one request and reads the response to EOF (Content-Length honoured). */
#include "http_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESP_MAX (16 * 1024 * 1024)

void sctl_http_resp_free(sctl_http_resp *resp)
{
    free(resp->body);
    free(resp->next);
    resp->body = NULL;
    resp->next = NULL;
    resp->len = 0;
}

/* The target of `Link: <TARGET>; rel="next"` among the headers (head .. hend), or NULL. */
static char *link_next(const char *head, const char *hend)
{
    for (const char *p = head; p && p < hend; p = strstr(p + 1, "\r\n")) {
        if (strncasecmp(p, "\r\nLink:", 7))
            continue;
        const char *lt = memchr(p + 7, '<', (size_t)(hend - p - 7)), *eol = strstr(p + 2, "\r\n");
        const char *gt = lt ? memchr(lt, '>', (size_t)(hend - lt)) : NULL;
        if (!lt || !gt || !eol || gt > eol)
            continue;
        const char *rel = strstr(gt, "rel=\"next\"");
        if (rel && rel < eol)
            return strndup(lt + 1, (size_t)(gt - lt - 1));
    }
    return NULL;
}

/* The value of the Location header among the headers (head .. hend), or NULL. */
static char *location(const char *head, const char *hend)
{
    for (const char *p = head; p && p < hend; p = strstr(p + 1, "\r\n")) {
        if (strncasecmp(p, "\r\nLocation:", 11))
            continue;
        const char *v = p + 11, *eol = strstr(p + 2, "\r\n");
        while (v < hend && *v == ' ')
            v++;
        return eol && eol > v ? strndup(v, (size_t)(eol - v)) : NULL;
    }
    return NULL;
}

/* "http://host:port/base" -> host, port, base (no trailing '/'). */
static int parse_url(const char *url, char *host, size_t hostsz, char *port, size_t portsz, char *base, size_t basesz)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *p = url + 7, *end;
    const char *slash = strchr(p, '/');
    const char *hend = slash ? slash : p + strlen(p);
    const char *colon;
    if (*p == '[') {
        end = memchr(p, ']', (size_t)(hend - p));
        if (!end)
            return -1;
        snprintf(host, hostsz, "%.*s", (int)(end - p - 1), p + 1);
        colon = end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(hend - p));
        snprintf(host, hostsz, "%.*s", (int)((colon ? colon : hend) - p), p);
    }
    if (colon)
        snprintf(port, portsz, "%.*s", (int)(hend - colon - 1), colon + 1);
    else
        snprintf(port, portsz, "80");
    snprintf(base, basesz, "%s", slash ? slash : "");
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        base[--bl] = '\0';
    return host[0] && port[0] ? 0 : -1;
}

static int connect_to(const char *host, const char *port, int timeout_ms, char *err, size_t errsz)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gr = getaddrinfo(host, port, &hints, &res);
    if (gr) {
        snprintf(err, errsz, "cannot resolve %s: %s", host, gai_strerror(gr));
        return -1;
    }
    int fd = -1, last = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last = errno;
            close(fd);
            fd = -1;
            continue;
        }
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        int so = 0;
        socklen_t sl = sizeof so;
        if (poll(&pf, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) || so) {
            last = so ? so : ETIMEDOUT;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, errsz, "cannot connect to %s:%s: %s", host, port, strerror(last));
    return fd;
}

static int write_all(int fd, const char *s, size_t n, int timeout_ms)
{
    while (n) {
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (poll(&pf, 1, timeout_ms) != 1)
            return -1;
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read until EOF (or Content-Length satisfied) into a malloc'd buffer. */
static char *read_all(int fd, int timeout_ms, size_t *len)
{
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (n + 4096 > cap) {
            if (cap >= RESP_MAX)
                break;
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, timeout_ms) != 1)
            break;
        ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        char *hend = strstr(buf, "\r\n\r\n");
        if (hend) { /* stop once Content-Length bytes are in */
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (cl && cl < hend && n - (size_t)(hend + 4 - buf) >= strtoul(cl + 17, NULL, 10))
                break;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int request_once(const char *url, const char *method, const char *path, const char *body,
                        const char *content_type, const char *token, int timeout_ms, sctl_http_resp *resp, char **loc,
                        char *err, size_t errsz)
{
    char host[256], port[16], base[256];
    memset(resp, 0, sizeof *resp);
    if (parse_url(url, host, sizeof host, port, sizeof port, base, sizeof base)) {
        snprintf(err, errsz, "--server: expected http://HOST:PORT, got '%s'", url);
        return -1;
    }
    int fd = connect_to(host, port, timeout_ms, err, errsz);
    if (fd < 0)
        return -1;
    char hosthdr[272];
    snprintf(hosthdr, sizeof hosthdr, strchr(host, ':') ? "[%s]" : "%s", host);
    char *req = NULL;
    size_t blen = body ? strlen(body) : 0;
    /* every POST says its type (default application/json), with a body or not: sessiond
     * refuses other types (415) */
    bool json = body || !strcmp(method, "POST");
    if (!content_type)
        content_type = "application/json";
    int n = asprintf(&req,
                     "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: sessionctl/%s\r\nAccept: */*\r\n"
                     "Connection: close\r\n%s%s%s%s%s%s%s%zu\r\n\r\n%s",
                     method, base, path, hosthdr, port, SC_VERSION, token ? "Authorization: Bearer " : "",
                     token ? token : "", token ? "\r\n" : "", json ? "Content-Type: " : "", json ? content_type : "",
                     json ? "\r\n" : "", "Content-Length: ", blen, body ? body : "");
    if (n < 0 || write_all(fd, req, (size_t)n, timeout_ms)) {
        snprintf(err, errsz, "cannot send the request to %s:%s", host, port);
        free(req);
        close(fd);
        return -1;
    }
    free(req);
    size_t len = 0;
    char *raw = read_all(fd, timeout_ms, &len);
    close(fd);
    int status = 0;
    char *hend = raw ? strstr(raw, "\r\n\r\n") : NULL;
    if (!raw || !hend || sscanf(raw, "HTTP/1.%*d %d", &status) != 1) {
        snprintf(err, errsz, "no valid HTTP response from %s:%s", host, port);
        free(raw);
        return -1;
    }
    resp->next = link_next(raw, hend);
    *loc = status == 307 || status == 308 ? location(raw, hend) : NULL;
    size_t off = (size_t)(hend + 4 - raw);
    memmove(raw, raw + off, len - off + 1);
    resp->status = status;
    resp->body = raw;
    resp->len = len - off;
    return 0;
}

/* A 307 or 308 (a cluster node sends a client to the node that owns a session) is followed
 * once, to an http:// Location, with the same method, body and token: the nodes of one cluster
 * share their token. */
int sctl_http_request_typed(const char *url, const char *method, const char *path, const char *body,
                            const char *content_type, const char *token, int timeout_ms, sctl_http_resp *resp,
                            char *err, size_t errsz)
{
    char *loc = NULL;
    int rc = request_once(url, method, path, body, content_type, token, timeout_ms, resp, &loc, err, errsz);
    const char *slash = loc && !strncmp(loc, "http://", 7) ? strchr(loc + 7, '/') : NULL;
    if (rc == 0 && slash) {
        char *origin = strndup(loc, (size_t)(slash - loc));
        char *again = NULL;
        sctl_http_resp r2;
        if (origin &&
            request_once(origin, method, slash, body, content_type, token, timeout_ms, &r2, &again, err, errsz) == 0) {
            sctl_http_resp_free(resp);
            *resp = r2;
        }
        free(again);
        free(origin);
    }
    free(loc);
    return rc;
}

int sctl_http_stream(const char *url, const char *path, const char *extra_headers, const char *token,
                     int connect_timeout_ms, int idle_ms,
                     int (*on_data)(void *ud, int status, const char *data, size_t n), void *ud, char *err,
                     size_t errsz)
{
    char host[256], port[16], base[256];
    if (parse_url(url, host, sizeof host, port, sizeof port, base, sizeof base)) {
        snprintf(err, errsz, "--server: expected http://HOST:PORT, got '%s'", url);
        return -1;
    }
    int fd = connect_to(host, port, connect_timeout_ms, err, errsz);
    if (fd < 0)
        return -1;
    char hosthdr[272]; /* an IPv6 literal in brackets, as sessiond's Host check expects */
    snprintf(hosthdr, sizeof hosthdr, strchr(host, ':') ? "[%s]" : "%s", host);
    char *req = NULL;
    int n = asprintf(
        &req,
        "GET %s%s HTTP/1.0\r\nHost: %s:%s\r\nUser-Agent: sessionctl/%s\r\nAccept: text/event-stream\r\n%s%s%s%s\r\n",
        base, path, hosthdr, port, SC_VERSION, token ? "Authorization: Bearer " : "", token ? token : "",
        token ? "\r\n" : "", extra_headers ? extra_headers : "");
    if (n < 0 || write_all(fd, req, (size_t)n, connect_timeout_ms)) {
        snprintf(err, errsz, "cannot send the request to %s:%s", host, port);
        free(req);
        close(fd);
        return -1;
    }
    free(req);
    char head[8192], buf[8192];
    size_t hn = 0;
    int status = 0, rc = 0;
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int pr = poll(&pf, 1, idle_ms > 0 ? idle_ms : -1);
        if (pr == 0)
            break; /* idle: done */
        if (pr < 0 && errno == EINTR)
            continue;
        ssize_t r = pr < 0 ? -1 : recv(fd, buf, sizeof buf, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0)
            break;
        const char *data = buf;
        size_t dn = (size_t)r;
        if (!status) { /* still in the headers */
            size_t take = dn < sizeof head - 1 - hn ? dn : sizeof head - 1 - hn;
            memcpy(head + hn, buf, take);
            hn += take;
            head[hn] = '\0';
            char *hend = strstr(head, "\r\n\r\n");
            if (!hend) {
                if (hn == sizeof head - 1) {
                    snprintf(err, errsz, "response headers too long");
                    rc = -1;
                    break;
                }
                continue;
            }
            if (sscanf(head, "HTTP/1.%*d %d", &status) != 1 || status <= 0) {
                snprintf(err, errsz, "no valid HTTP response from %s:%s", host, port);
                rc = -1;
                break;
            }
            size_t body_off = (size_t)(hend + 4 - head); /* within this recv's bytes */
            size_t before = hn - take;                   /* header bytes from earlier recvs */
            data = buf + (body_off - before);
            dn = (size_t)r - (body_off - before);
        }
        if (dn && on_data(ud, status, data, dn))
            break;
    }
    close(fd);
    return rc;
}

int sctl_http_request(const char *url, const char *method, const char *path, const char *body, const char *token,
                      int timeout_ms, sctl_http_resp *resp, char *err, size_t errsz)
{
    return sctl_http_request_typed(url, method, path, body, NULL, token, timeout_ms, resp, err, errsz);
}
