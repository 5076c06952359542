/* cmd_events: `sessionctl events --server`: reads the server-sent event stream of GET /events and prints each event's JSON
 * on its own line; without --follow it stops once the stream has been quiet for a second. */
#include "sessionctl/cmd_events.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/cmd_store.h"
#include "sessionctl/http_client.h"

#define USAGE                                                                                 \
    "events [--server URL] [--token T] [--type A,B] [--session GLOB] [--role R] [--state S] " \
    "[--priority P] [--since SEQ] [--follow]"

typedef struct ev_reader {
    char line[16384];
    size_t n;
    bool overlong;
    int status;
    char errbody[512];
    size_t errn;
    unsigned long printed;
} ev_reader;

static void on_line(ev_reader *r)
{
    r->line[r->n] = '\0';
    if (!r->overlong && !strncmp(r->line, "data:", 5)) {
        const char *d = r->line + 5;
        if (*d == ' ')
            d++;
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
    for (size_t i = 0; i < n; i++) {
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
    return 0;
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

int sessionctl_cmd_events_live(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) /* `events --store URL`: the persistent log (cmd_store.c) */
        if (!strcmp(argv[i], "--store"))
            return sessionctl_cmd_events(argc, argv);
    const char *server = getenv("SESSIONCTL_SERVER") ? getenv("SESSIONCTL_SERVER") : "http://127.0.0.1:8080";
    const char *token = getenv("SESSIOND_TOKEN"), *since = NULL;
    bool follow = false;
    char query[2048] = "";
    static const char *filters[] = {"--type", "--session", "--role", "--state", "--priority", "--name"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        bool matched = false;
        for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++)
            if (!strcmp(a, filters[f]) && has_next) {
                add_param(query, sizeof query, filters[f] + 2, argv[++i]);
                matched = true;
            }
        if (matched)
            continue;
        if (!strcmp(a, "--server") && has_next) {
            server = argv[++i];
        } else if (!strcmp(a, "--token") && has_next) {
            token = argv[++i];
        } else if (!strcmp(a, "--since") && has_next) {
            since = argv[++i];
            if (!*since || strspn(since, "0123456789") != strlen(since)) {
                fprintf(stderr, "sessionctl events: --since: expected a sequence number, got '%s'\n", since);
                return 2;
            }
        } else if (!strcmp(a, "--follow") || !strcmp(a, "-f")) {
            follow = true;
        } else if (!strcmp(a, "--json")) {
            /* the output is JSON Lines anyway */
        } else {
            fprintf(stderr, "usage: sessionctl %s\n", USAGE);
            return 2;
        }
    }
    /* Without --follow: what the server still holds (from --since, default the start). */
    if (since || !follow)
        add_param(query, sizeof query, "since", since ? since : "0");
    char path[2100];
    snprintf(path, sizeof path, "/events%s", query);
    ev_reader *r = calloc(1, sizeof *r);
    if (!r)
        return 1;
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
