/* history_routes: a session's history and its path in the graph, answered in two halves so
 * that no store read runs on the loop: on the loop, sc_coord_history_read_start takes what is
 * in memory (ready at once when the ring is whole); on the HTTP thread, after the loop,
 * sc_coord_history_read_wait waits (--http-timeout-ms) for the coordinator's history reader
 * to read the store. A store that does not answer, cannot be reached, or too many reads
 * waiting for it: 503 with the reason. */
#include "history_routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void drop(void *ud) { sc_coord_history_read_free(ud); }

/* HTTP thread: the store's part, then the response (r->content_type was set on the loop);
 * newline: the body ends with one (a history as JSON, as every JSON reply of the API). */
static void finish_as(sd_http_req *r, void *ud, uint32_t timeout_ms, bool newline)
{
    char *text = NULL, msg[300];
    int rc = sc_coord_history_read_wait(ud, timeout_ms, &text, msg, sizeof msg);
    if (rc == 0) {
        r->status = 200;
        if (newline && asprintf(&r->resp, "%s\n", text) < 0) {
            r->resp = NULL;
            sd_http_reply_error(r, 500, "out of memory");
        } else if (!newline) {
            r->resp = text;
            text = NULL;
        }
        free(text);
    } else if (rc == -ENOENT) {
        sd_http_reply_error(r, 404, "no such session");
    } else if (rc == -ENOMEM || rc == -EINVAL) {
        sd_http_reply_error(r, 500, msg);
    } else { /* the store: unreachable, failing, not answering in time; or shutting down */
        char m[400];
        snprintf(m, sizeof m, "history of a compacted session: %s", msg);
        sd_http_reply_error(r, 503, m);
    }
}

static void finish_json(sd_http_req *r, void *ud, uint32_t timeout_ms) { finish_as(r, ud, timeout_ms, true); }
static void finish_text(sd_http_req *r, void *ud, uint32_t timeout_ms) { finish_as(r, ud, timeout_ms, false); }

/* Loop: start the read; the HTTP thread finishes it. */
static void start(sc_coord *api, sd_http_req *r, const char *id, sc_coord_history_as as, sc_graph_format fmt,
                  const char *ctype)
{
    sc_coord_history_read *rd = NULL;
    int rc = sc_coord_history_read_start(api, id, as, fmt, &rd);
    if (rc == 0) {
        r->content_type = ctype;
        r->finish = as == SC_HISTORY_AS_JSON ? finish_json : finish_text;
        r->finish_ud = rd;
        r->finish_drop = drop;
    } else if (rc == -ENOENT) {
        sd_http_reply_error(r, 404, "no such session");
    } else if (rc == SC_E_OVERLOAD) {
        sd_http_reply_error(r, 503, "too many history reads are waiting for the store; try again");
    } else if (rc == -EAGAIN) {
        sd_http_reply_error(r, 503, "the history reader could not start");
    } else {
        sd_http_reply_error(r, 500, sc_strerror(rc));
    }
}

void sd_history_get(sc_coord *api, sd_http_req *r, const char *id)
{
    const char *f = r->q_format;
    if (f && strcmp(f, "json") != 0 && strcmp(f, "csv") != 0) {
        sd_http_reply_error(r, 400, "format must be json or csv");
        return;
    }
    bool csv = f && !strcmp(f, "csv");
    start(api, r, id, csv ? SC_HISTORY_AS_CSV : SC_HISTORY_AS_JSON, SC_GRAPH_JSON,
          csv ? "text/csv; charset=utf-8" : SD_HTTP_CT_JSON);
}

void sd_history_graph(sc_coord *api, sd_http_req *r, sc_graph_format fmt)
{
    start(api, r, r->q_session, SC_HISTORY_AS_GRAPH, fmt,
          fmt == SC_GRAPH_JSON  ? SD_HTTP_CT_JSON
          : fmt == SC_GRAPH_DOT ? "text/vnd.graphviz"
                                : "text/plain; charset=utf-8");
}
