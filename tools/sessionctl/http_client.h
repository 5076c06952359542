/* http_client: a tiny blocking HTTP/1.1 client over TCP for sessionctl (one request per
 * connection, Content-Length bodies, "Connection: close"). */
#ifndef SESSIONCTL_HTTP_CLIENT_H
#define SESSIONCTL_HTTP_CLIENT_H

#include <stddef.h>

typedef struct sctl_http_resp {
    int status;   /* HTTP status */
    char *body;   /* malloc'd, NUL-terminated */
    size_t len;
} sctl_http_resp;

/* Send method url (http://host:port[/base]) + path with body (may be NULL, sent as JSON) and
 * optional bearer token. 0 and *resp filled (free with sctl_http_resp_free), or -1 with a
 * one-line reason in err. */
int sctl_http_request(const char *url, const char *method, const char *path, const char *body,
                      const char *token, int timeout_ms, sctl_http_resp *resp, char *err, size_t errsz);
void sctl_http_resp_free(sctl_http_resp *resp);

#endif
