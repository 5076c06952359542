/* curl_uv: HTTP POSTs from the loop thread without blocking it: libcurl's multi interface
 * driven by the libuv loop (one uv_poll per socket libcurl opens, one uv_timer for its
 * timeouts). Used by the webhooks feature; knows nothing of sessions. */
#ifndef SC_COORD_CURL_UV_H
#define SC_COORD_CURL_UV_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define SC_HTTP_BODY_MAX (64u * 1024u) /* bytes of an answer kept; a longer one fails */
#define SC_HTTP_HOST_CONNECTIONS 128   /* connections to one host at once (kept alive between calls) */

typedef struct sc_http sc_http;
typedef struct sc_http_req sc_http_req;

/* The end of one request, on the loop thread. status: the HTTP status (any, also non-2xx),
 * or 0 when no answer came (err then says why: a negative errno, -ETIMEDOUT, -ECONNREFUSED,
 * -EMSGSIZE for an answer past SC_HTTP_BODY_MAX, -EIO for the rest; why is libcurl's words).
 * body (NUL-terminated) and why are borrowed for the call. The request is gone after it. */
typedef void (*sc_http_done_fn)(void *ud, int status, int err, const char *why, const char *body, size_t len,
                                uint64_t elapsed_us);

/* A client on loop. *out only on success; -ENOMEM, -EIO (libcurl would not start). */
int sc_http_new(sc_http **out, uv_loop_t *loop);
/* Cancels every request (no callback) and closes the handles; the memory goes in their close
 * callbacks (the loop must run once more). NULL is fine. */
void sc_http_free(sc_http *h);
/* POST body (copied) to url with the extra header lines (NULL-terminated list, copied), within
 * timeout_ms (connection and answer). *out (may be NULL) for sc_http_cancel, until done runs.
 * 0, -EINVAL, -ENOMEM, -EIO. */
int sc_http_post(sc_http *h, const char *url, const char *const *headers, const char *body, size_t len,
                 uint32_t timeout_ms, sc_http_done_fn done, void *ud, sc_http_req **out);
/* Drop a request that has not ended: done is never called. */
void sc_http_cancel(sc_http_req *r);
/* Requests in flight. */
size_t sc_http_pending(const sc_http *h);

#endif
