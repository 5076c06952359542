/* http_client: a tiny blocking HTTP/1.1 client over TCP for sessionctl (one request per
 * connection, Content-Length bodies, "Connection: close"). */
#ifndef SESSIONCTL_HTTP_CLIENT_H
#define SESSIONCTL_HTTP_CLIENT_H

#include <stddef.h>

typedef struct sctl_http_resp {
    int status; /* HTTP status */
    char *body; /* malloc'd, NUL-terminated */
    size_t len;
    char *next; /* the target of a Link header's rel="next" (a path), malloc'd, or NULL */
} sctl_http_resp;

/* Send method url (http://host:port[/base]) + path with body (may be NULL, sent as JSON) and
 * optional bearer token. 0 and *resp filled (free with sctl_http_resp_free), or -1 with a
 * one-line reason in err. */
int sctl_http_request(const char *url, const char *method, const char *path, const char *body, const char *token,
                      int timeout_ms, sctl_http_resp *resp, char *err, size_t errsz);
/* The same with the body's Content-Type (NULL: application/json). */
int sctl_http_request_typed(const char *url, const char *method, const char *path, const char *body,
                            const char *content_type, const char *token, int timeout_ms, sctl_http_resp *resp,
                            char *err, size_t errsz);
void sctl_http_resp_free(sctl_http_resp *resp);

/* Streaming GET (HTTP/1.0, so the body is raw until the server closes): on_data(ud, status,
 * bytes, n) runs for each piece of the body as it arrives (status = the response's); a
 * non-zero return stops. idle_ms: give up after that long without data (0 = never), which
 * returns 0 like EOF. extra_headers: "Name: value\r\n..." or NULL. 0, or -1 with err. */
int sctl_http_stream(const char *url, const char *path, const char *extra_headers, const char *token,
                     int connect_timeout_ms, int idle_ms,
                     int (*on_data)(void *ud, int status, const char *data, size_t n), void *ud, char *err,
                     size_t errsz);

#endif
