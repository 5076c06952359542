/* cmd_events: `sessionctl events`: reads the server-sent event stream of GET /events and prints
 * each event's JSON on its own line. Without --follow it prints the backlog (the events the
 * server holds from --since on) and stops at its end: at the first event published after the
 * command started (its time_us; the server's clock, so the same host or synchronised clocks), or
 * after a second without events. With --cluster it reads GET /events/cluster (the store's
 * event log of every node) the same way. */
#include "sessionctl/cmd_events.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "sessionctl/cmd_store.h"
#include "sessionctl/http_client.h"

typedef struct ev_reader {
    char line[16384];
    size_t n;
    bool overlong;
    int status;
    char errbody[512];
    size_t errn;
    unsigned long printed;
    int64_t backlog_end_us; /* 0 with --follow: print everything */
    bool done;
} ev_reader;

/* Whether the event's JSON was published after the backlog's end. */
static bool past_backlog(const ev_reader *r, const char *d)
{
    if (!r->backlog_end_us)
        return false;
    json_t *j = json_loads(d, 0, NULL);
    json_int_t t = json_integer_value(json_object_get(j, "time_us"));
    json_decref(j);
    return t > r->backlog_end_us;
}

static void on_line(ev_reader *r)
{
    r->line[r->n] = '\0';
    if (!r->overlong && !r->done && !strncmp(r->line, "data:", 5)) {
        const char *d = r->line + 5;
        if (*d == ' ')
            d++;
        if (past_backlog(r, d)) {
            r->done = true;
            r->n = 0;
            return;
        }
        printf("%s\n", d);
        fflush(stdout);
        r->printed++;
    }
    r->n = 0;
    r->overlong = false;
}

static int on_data(void *ud, int status, const char *data, size_t n)
{
    ev_reader *r = ud;
    r->status = status;
    if (status != 200) { /* keep the error body for the message */
        size_t k = n < sizeof r->errbody - 1 - r->errn ? n : sizeof r->errbody - 1 - r->errn;
        memcpy(r->errbody + r->errn, data, k);
        r->errn += k;
        r->errbody[r->errn] = '\0';
        return 0;
    }
    for (size_t i = 0; i < n && !r->done; i++) {
        char ch = data[i];
        if (ch == '\n') {
            on_line(r);
        } else if (ch != '\r') {
            if (r->n < sizeof r->line - 1)
                r->line[r->n++] = ch;
            else
                r->overlong = true;
        }
    }
    return r->done ? 1 : 0;
}

/* Append "&key=value" (value percent-encoded where needed). */
static void add_param(char *q, size_t cap, const char *key, const char *v)
{
    size_t n = strlen(q);
    n += (size_t)snprintf(q + n, n < cap ? cap - n : 0, "%s%s=", n ? "&" : "?", key);
    for (const char *p = v; *p && n + 4 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-_.,*", c))
            q[n++] = (char)c;
        else
            n += (size_t)snprintf(q + n, cap - n, "%%%02X", c);
    }
    q[n < cap ? n : cap - 1] = '\0';
}

/* `events --cluster`: GET /events/cluster, the store's event log (every node's records) from
 * --since GSEQ (default: the start of the log; with --follow and no --since: new records). */
static int cluster_query(const sctl_args *a, char *query, size_t cap)
{
    static const char *others[] = {"type", "role", "priority", "name", "app", "store", "until"};
    for (size_t f = 0; f < sizeof others / sizeof others[0]; f++)
        if (sctl_opt_value(a, others[f])) {
            fprintf(stderr, "sessionctl events: --%s does not go with --cluster (filters: --session, --state)\n",
                    others[f]);
            return 2;
        }
    const char *since = sctl_opt_value(a, "since");
    if (since && (!*since || strspn(since, "0123456789") != strlen(since))) {
        fprintf(stderr, "sessionctl events: --since: expected a gseq (a number), got '%s'\n", since);
        return 2;
    }
    static const char *filters[] = {"session", "state"};
    for (size_t f = 0; f < 2; f++) {
        const char *v = sctl_opt_value(a, filters[f]);
        if (v)
            add_param(query, cap, filters[f], v);
    }
    if (since || !sctl_opt_flag(a, "follow"))
        add_param(query, cap, "after", since ? since : "0");
    return 0;
}

int sessionctl_cmd_events_live(const sctl_args *a)
{
    bool cluster = sctl_opt_flag(a, "cluster");
    if (sctl_opt_value(a, "store") && !cluster) /* `events --store URL`: the persistent log (cmd_store.c) */
        return sessionctl_cmd_events(a);
    if (sctl_opt_value(a, "until")) {
        fprintf(stderr, "sessionctl events: --until goes with --store\n");
        return 2;
    }
    const char *server = a->server, *token = a->token, *since = sctl_opt_value(a, "since");
    bool follow = sctl_opt_flag(a, "follow");
    char query[2048] = "";
    int qrc = cluster ? cluster_query(a, query, sizeof query) : 0;
    if (qrc)
        return qrc;
    static const char *filters[] = {"type", "session", "role", "state", "priority", "name", "app"};
    for (size_t f = 0; f < sizeof filters / sizeof filters[0] && !cluster; f++) {
        const char *v = sctl_opt_value(a, filters[f]);
        if (v)
            add_param(query, sizeof query, filters[f], v);
    }
    if (!cluster && since && (!*since || strspn(since, "0123456789") != strlen(since))) {
        fprintf(stderr, "sessionctl events: --since: expected a sequence number, got '%s'\n", since);
        return 2;
    }
    /* the output is JSON Lines with or without --json */
    /* Without --follow: what the server still holds (from --since, default the start). */
    if (!cluster && (since || !follow))
        add_param(query, sizeof query, "since", since ? since : "0");
    char path[2100];
    snprintf(path, sizeof path, "%s%s", cluster ? "/events/cluster" : "/events", query);
    ev_reader *r = calloc(1, sizeof *r);
    if (!r)
        return 1;
    if (!follow) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        r->backlog_end_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    }
    char err[256];
    int rc = sctl_http_stream(server, path, NULL, token, 5000, follow ? 0 : 1000, on_data, r, err, sizeof err);
    int code = 0;
    if (rc) {
        fprintf(stderr, "sessionctl events: %s\n", err);
        code = 1;
    } else if (r->status && r->status != 200) {
        fprintf(stderr, "sessionctl events: HTTP %d: %s\n", r->status, r->errbody);
        code = 1;
    }
    free(r);
    return code;
}
