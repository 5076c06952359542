/* cmd_server: sessionctl's server commands: each builds one HTTP request to sessiond's API,
 * then prints the JSON answer raw (--json) or as a readable table. */
#include "sessionctl/cmd_server.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/http_client.h"

#define DEFAULT_SERVER "http://127.0.0.1:8080"

typedef struct srv_opts {
    const char *server;
    const char *token;
    const char *from;
    const char *format;
    int code;
    bool json;
    int timeout_ms;
    const char *pos[4]; /* positional arguments after the command name */
    int npos;
} srv_opts;

/* Parse options anywhere in argv[1..]; -1 after printing a usage error. */
static int parse_opts(int argc, char **argv, srv_opts *o, int want_pos, const char *usage)
{
    memset(o, 0, sizeof *o);
    o->server = getenv("SESSIONCTL_SERVER") ? getenv("SESSIONCTL_SERVER") : DEFAULT_SERVER;
    o->token = getenv("SESSIOND_TOKEN");
    o->timeout_ms = 10000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--server") && has_next) {
            o->server = argv[++i];
        } else if (!strcmp(a, "--token") && has_next) {
            o->token = argv[++i];
        } else if (!strcmp(a, "--from") && has_next) {
            o->from = argv[++i];
        } else if (!strcmp(a, "--format") && has_next) {
            o->format = argv[++i];
            if (strcmp(o->format, "csv") && strcmp(o->format, "json")) {
                fprintf(stderr, "sessionctl: --format: expected csv or json, got '%s'\n", o->format);
                return -1;
            }
        } else if (!strcmp(a, "--code") && has_next) {
            char *end;
            long c = strtol(argv[++i], &end, 10);
            if (*end || c < 400 || c > 699) {
                fprintf(stderr, "sessionctl: --code: expected 400..699, got '%s'\n", argv[i]);
                return -1;
            }
            o->code = (int)c;
        } else if (!strcmp(a, "--timeout-ms") && has_next) {
            o->timeout_ms = atoi(argv[++i]);
            if (o->timeout_ms <= 0)
                o->timeout_ms = 10000;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "sessionctl %s: unknown or incomplete option '%s'\nusage: sessionctl %s\n", argv[0], a,
                    usage);
            return -1;
        } else if (o->npos < 4) {
            o->pos[o->npos++] = a;
        }
    }
    if (o->npos != want_pos) {
        fprintf(stderr, "usage: sessionctl [--server URL] [--json] %s\n", usage);
        return -1;
    }
    return 0;
}

/* Run one request; prints transport errors. Returns 0 with resp filled, or 1. */
static int call_server(const srv_opts *o, const char *method, const char *path, const char *body, sctl_http_resp *resp)
{
    char err[256];
    if (sctl_http_request(o->server, method, path, body, o->token, o->timeout_ms, resp, err, sizeof err)) {
        fprintf(stderr, "sessionctl: %s\n", err);
        return 1;
    }
    return 0;
}

/* Print a server error (4xx/5xx) readably; returns 1. */
static int print_error(const sctl_http_resp *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    const char *e = json_string_value(json_object_get(j, "error"));
    const char *m = json_string_value(json_object_get(j, "message"));
    const char *st = json_string_value(json_object_get(j, "state"));
    fprintf(stderr, "sessionctl: server answered %d: %s%s%s", r->status, e ? e : r->body, m ? ": " : "", m ? m : "");
    if (st) {
        fprintf(stderr, " (state %s; accepted:", st);
        json_t *a = json_object_get(j, "accepted_events"), *v;
        size_t i;
        json_array_foreach(a, i, v)
            fprintf(stderr, " %s", json_string_value(v));
        fprintf(stderr, ")");
    }
    fprintf(stderr, "\n");
    json_decref(j);
    return 1;
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

/* Raw output, or NULL-safe parse for the readable form. */
static json_t *parse_or_print(const srv_opts *o, const sctl_http_resp *r, int *rc)
{
    *rc = 0;
    if (r->status >= 400) {
        if (o->json)
            fputs(r->body, stdout);
        *rc = print_error(r);
        return NULL;
    }
    if (o->json) {
        fputs(r->body, stdout);
        if (r->len && r->body[r->len - 1] != '\n')
            fputc('\n', stdout);
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loads(r->body, 0, &e);
    if (!j) {
        fprintf(stderr, "sessionctl: the server's answer is not JSON: %s\n", e.text);
        *rc = 1;
    }
    return j;
}

static void print_history(json_t *h)
{
    size_t i;
    json_t *r;
    printf("%-4s %-27s %-16s %-26s %-16s %s\n", "SEQ", "TIME", "FROM", "EVENT", "TO", "OUTCOME");
    json_array_foreach(h, i, r) {
        char ev[64];
        json_int_t code = json_integer_value(json_object_get(r, "event_code"));
        if (code)
            snprintf(ev, sizeof ev, "%s(%lld)", str_or(r, "event", "?"), (long long)code);
        else
            snprintf(ev, sizeof ev, "%s", str_or(r, "event", "?"));
        printf("%-4lld %-27s %-16s %-26s %-16s %s", (long long)json_integer_value(json_object_get(r, "seq")),
               str_or(r, "time", "-"), str_or(r, "from", "?"), ev, str_or(r, "to", "?"), str_or(r, "outcome", "?"));
        json_t *acts = json_object_get(r, "actions"), *a;
        size_t k;
        json_array_foreach(acts, k, a) {
            json_int_t res = json_integer_value(json_object_get(a, "result"));
            printf("%s%s%s", k ? "," : "  [", str_or(a, "name", "?"), res ? "!" : "");
        }
        printf("%s\n", json_array_size(acts) ? "]" : "");
    }
}

int sessionctl_cmd_sessions(int argc, char **argv)
{
    srv_opts o;
    if (parse_opts(argc, argv, &o, 0, "sessions"))
        return 2;
    sctl_http_resp r;
    if (call_server(&o, "GET", "/sessions", NULL, &r))
        return 1;
    int rc;
    json_t *j = parse_or_print(&o, &r, &rc);
    if (j) {
        size_t i;
        json_t *s;
        printf("%-18s %-4s %-18s %-30s %-27s %s\n", "ID", "ROLE", "STATE", "REMOTE", "CREATED", "OUTCOME");
        json_array_foreach(j, i, s)
            printf("%-18s %-4s %-18s %-30s %-27s %s\n", str_or(s, "id", "?"), str_or(s, "role", "?"),
                   str_or(s, "state", "?"), str_or(s, "remote_uri", "-"), str_or(s, "created_at", "-"),
                   str_or(s, "outcome", "-"));
        printf("%zu session(s)\n", json_array_size(j));
    }
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}

int sessionctl_cmd_show(int argc, char **argv)
{
    srv_opts o;
    if (parse_opts(argc, argv, &o, 1, "show ID"))
        return 2;
    char path[256];
    snprintf(path, sizeof path, "/sessions/%s", o.pos[0]);
    sctl_http_resp r;
    if (call_server(&o, "GET", path, NULL, &r))
        return 1;
    int rc;
    json_t *j = parse_or_print(&o, &r, &rc);
    if (j) {
        static const char *keys[] = {"id",        "role",       "state",      "outcome",   "call_id",
                                     "local_uri", "remote_uri", "created_at", "updated_at"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            printf("%-16s %s\n", keys[i], str_or(j, keys[i], "-"));
        json_t *f = json_object_get(j, "fields"), *v;
        const char *k;
        json_object_foreach(f, k, v)
            if (json_is_string(v))
                printf("%-16s %s\n", k, json_string_value(v));
        printf("%-16s", "conditions");
        json_object_foreach(json_object_get(j, "conditions"), k, v)
            printf(" %s=%s", k, json_is_true(v) ? "yes" : "no");
        printf("\n%-16s", "possible events");
        size_t i;
        json_array_foreach(json_object_get(j, "possible_events"), i, v)
            printf(" %s", json_string_value(v));
        printf("\nhistory:\n");
        print_history(json_object_get(j, "history"));
    }
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}

int sessionctl_cmd_history(int argc, char **argv)
{
    srv_opts o;
    if (parse_opts(argc, argv, &o, 1, "history ID [--format csv|json]"))
        return 2;
    bool csv = o.format && !strcmp(o.format, "csv");
    char path[256];
    snprintf(path, sizeof path, "/sessions/%s/history%s", o.pos[0], csv ? "?format=csv" : "");
    sctl_http_resp r;
    if (call_server(&o, "GET", path, NULL, &r))
        return 1;
    int rc = 0;
    if (csv && r.status < 400) {
        fputs(r.body, stdout);
    } else {
        if (o.format && !strcmp(o.format, "json"))
            o.json = true;
        json_t *j = parse_or_print(&o, &r, &rc);
        if (j)
            print_history(j);
        json_decref(j);
    }
    sctl_http_resp_free(&r);
    return rc;
}

int sessionctl_cmd_call(int argc, char **argv)
{
    srv_opts o;
    if (parse_opts(argc, argv, &o, 1, "call TO [--from URI]"))
        return 2;
    json_t *b = json_pack("{s:s}", "to", o.pos[0]);
    if (o.from)
        json_object_set_new(b, "from", json_string(o.from));
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    sctl_http_resp r;
    int rc = call_server(&o, "POST", "/calls", body, &r);
    free(body);
    if (rc)
        return 1;
    json_t *j = parse_or_print(&o, &r, &rc);
    if (j)
        printf("%s\n", str_or(j, "id", "?"));
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}

static int simple_command(int argc, char **argv, const char *cmd, const char *usage)
{
    srv_opts o;
    if (parse_opts(argc, argv, &o, 1, usage))
        return 2;
    char path[256], body[64] = "{}";
    snprintf(path, sizeof path, "/sessions/%s/%s", o.pos[0], cmd);
    if (!strcmp(cmd, "reject") && o.code)
        snprintf(body, sizeof body, "{\"code\":%d}", o.code);
    sctl_http_resp r;
    if (call_server(&o, "POST", path, body, &r))
        return 1;
    int rc;
    json_t *j = parse_or_print(&o, &r, &rc);
    if (j)
        printf("%s %s: ok\n", o.pos[0], cmd);
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}

int sessionctl_cmd_accept(int argc, char **argv) { return simple_command(argc, argv, "accept", "accept ID"); }
int sessionctl_cmd_reject(int argc, char **argv)
{
    return simple_command(argc, argv, "reject", "reject ID [--code N]");
}
int sessionctl_cmd_hangup(int argc, char **argv) { return simple_command(argc, argv, "hangup", "hangup ID"); }
int sessionctl_cmd_hold(int argc, char **argv) { return simple_command(argc, argv, "hold", "hold ID"); }
int sessionctl_cmd_resume(int argc, char **argv) { return simple_command(argc, argv, "resume", "resume ID"); }
