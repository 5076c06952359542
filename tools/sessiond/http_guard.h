/* http_guard: who may use sessiond's HTTP API, decided from a request's headers before it
 * runs: the bearer token; the Host names the server answers to (against DNS rebinding); the
 * Origin it trusts (against pages of other sites); the media types a POST body may have
 * (against cross-site "simple requests", which cannot send application/json). Used by http.c
 * on the HTTP threads; read-only after sd_guard_init. */
#ifndef SESSIOND_HTTP_GUARD_H
#define SESSIOND_HTTP_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SD_GUARD_MAX_NAMES 20

struct sockaddr;

typedef struct sd_http_guard {
    char *names[SD_GUARD_MAX_NAMES]; /* Host names answered to: lowercase, IPv6 without brackets */
    size_t nnames;
    uint16_t port; /* the bound port: a Host or Origin port must be this one */
    bool any_host; /* bound to 0.0.0.0 or [::] with no --http-host: any Host (the token guards) */
    char *token;   /* NULL: none configured */
    size_t token_len;
} sd_http_guard;

/* The names: bound_host as given in --http (a literal or a name), the bound address in its
 * numeric form, localhost when that address is loopback, and the --http-host names. 0 or
 * -ENOMEM. */
int sd_guard_init(sd_http_guard *g, const struct sockaddr *bound, const char *bound_host, uint16_t port,
                  const char *const *names, size_t nnames, const char *token);
void sd_guard_free(sd_http_guard *g);

/* A Host header (NULL: none, as from an HTTP/1.0 client) the server answers to. */
bool sd_guard_host_ok(const sd_http_guard *g, const char *host);
/* An Origin header (NULL: none, as from curl or sessionctl) of the server itself:
 * http://NAME:PORT with one of the names and the bound port. */
bool sd_guard_origin_ok(const sd_http_guard *g, const char *origin);
/* An Authorization header with "Bearer TOKEN" (scheme word in any case), compared in a time
 * that does not depend on where it differs; true when no token is configured. */
bool sd_guard_token_ok(const sd_http_guard *g, const char *authorization);

/* A POST's Content-Type: 1 acceptable (application/json, or a YAML type when yaml_ok; any
 * parameters), 0 absent (acceptable only with an empty body), -1 anything else. */
int sd_guard_content_type(const char *ctype, bool yaml_ok);

/* True for a loopback address (127/8, ::1, ::ffff:127/104). */
bool sd_sockaddr_is_loopback(const struct sockaddr *sa);
/* True for 0.0.0.0 and ::. */
bool sd_sockaddr_is_any(const struct sockaddr *sa);

#endif
