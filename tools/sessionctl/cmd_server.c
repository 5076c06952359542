/* cmd_server: sessionctl's server commands: each builds one HTTP request to sessiond's API,
 * then prints the JSON answer raw (--json) or as a readable table. */
#include "sessionctl/cmd_server.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/http_client.h"

typedef struct srv_opts {
    const char *server;
    const char *token;
    bool json;
    int timeout_ms;
} srv_opts;

static srv_opts opts_of(const sctl_args *a)
{
    return (srv_opts){.server = a->server, .token = a->token, .json = a->json, .timeout_ms = a->timeout_ms};
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

/* GET /sessions with the command's filters, every page (following the Link headers). */
int sessionctl_cmd_sessions(const sctl_args *a)
{
    srv_opts o = opts_of(a);
    const char *state = sctl_opt_value(a, "state"), *role = sctl_opt_value(a, "role");
    char path[512];
    snprintf(path, sizeof path, "/sessions?limit=%s%s%s%s%s%s",
             sctl_opt_value(a, "page") ? sctl_opt_value(a, "page") : "1000", state ? "&state=" : "", state ? state : "",
             role ? "&role=" : "", role ? role : "", sctl_opt_flag(a, "live") ? "&live=true" : "");
    if (strpbrk(path + 10, " #")) {
        fprintf(stderr, "sessionctl sessions: a filter cannot contain spaces or #\n");
        return 2;
    }
    size_t total = 0;
    int rc = 0;
    bool header = true;
    while (!rc) {
        sctl_http_resp r;
        if (call_server(&o, "GET", path, NULL, &r))
            return 1;
        json_t *j = parse_or_print(&o, &r, &rc);
        if (j) {
            size_t i;
            json_t *s;
            if (header && !o.json)
                printf("%-18s %-4s %-18s %-30s %-27s %s\n", "ID", "ROLE", "STATE", "REMOTE", "CREATED", "OUTCOME");
            header = false;
            json_array_foreach(j, i, s)
                printf("%-18s %-4s %-18s %-30s %-27s %s\n", str_or(s, "id", "?"), str_or(s, "role", "?"),
                       str_or(s, "state", "?"), str_or(s, "remote_uri", "-"), str_or(s, "created_at", "-"),
                       str_or(s, "outcome", "-"));
            total += json_array_size(j);
        }
        json_decref(j);
        bool more = !rc && r.next && strlen(r.next) < sizeof path; /* --json: one array a page */
        if (more)
            snprintf(path, sizeof path, "%s", r.next);
        sctl_http_resp_free(&r);
        if (!more)
            break;
    }
    if (!rc && !o.json)
        printf("%zu session(s)\n", total);
    return rc;
}

int sessionctl_cmd_show(const sctl_args *a)
{
    srv_opts o = opts_of(a);
    char path[256];
    snprintf(path, sizeof path, "/sessions/%s", a->pos[0]);
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

int sessionctl_cmd_history(const sctl_args *a)
{
    srv_opts o = opts_of(a);
    const char *format = sctl_opt_value(a, "format");
    if (format && strcmp(format, "csv") && strcmp(format, "json")) {
        fprintf(stderr, "sessionctl history: --format: expected csv or json, got '%s'\n", format);
        return 2;
    }
    bool csv = format && !strcmp(format, "csv");
    char path[256];
    snprintf(path, sizeof path, "/sessions/%s/history%s", a->pos[0], csv ? "?format=csv" : "");
    sctl_http_resp r;
    if (call_server(&o, "GET", path, NULL, &r))
        return 1;
    int rc = 0;
    if (csv && r.status < 400) {
        fputs(r.body, stdout);
    } else {
        if (format && !strcmp(format, "json"))
            o.json = true;
        json_t *j = parse_or_print(&o, &r, &rc);
        if (j)
            print_history(j);
        json_decref(j);
    }
    sctl_http_resp_free(&r);
    return rc;
}

/* POST path with body (JSON or NULL); prints the answer raw (--json), ok_line on success, or the
 * server's error. Returns the exit status. */
static int post_and_report(const sctl_args *a, const char *path, const char *body, const char *ok_fmt,
                           const char *ok_arg)
{
    srv_opts o = opts_of(a);
    sctl_http_resp r;
    if (call_server(&o, "POST", path, body ? body : "{}", &r))
        return 1;
    int rc;
    json_t *j = parse_or_print(&o, &r, &rc);
    if (j)
        printf(ok_fmt, ok_arg);
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}

int sessionctl_cmd_call(const sctl_args *a)
{
    srv_opts o = opts_of(a);
    json_t *b = json_pack("{s:s}", "to", a->pos[0]);
    const char *from = sctl_opt_value(a, "from");
    if (from)
        json_object_set_new(b, "from", json_string(from));
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

/* POST /sessions/ID/cmd with body; "ID cmd: ok". */
static int session_command(const sctl_args *a, const char *cmd, const char *body)
{
    char path[256], ok[320];
    snprintf(path, sizeof path, "/sessions/%s/%s", a->pos[0], cmd);
    snprintf(ok, sizeof ok, "%%s %s: ok\n", cmd);
    return post_and_report(a, path, body, ok, a->pos[0]);
}

int sessionctl_cmd_accept(const sctl_args *a) { return session_command(a, "accept", NULL); }
int sessionctl_cmd_hangup(const sctl_args *a) { return session_command(a, "hangup", NULL); }
/* A command whose body is {"key": "value"} (the value JSON-escaped). */
static int session_command_str(const sctl_args *a, const char *cmd, const char *key, const char *value)
{
    json_t *b = json_pack("{s:s}", key, value);
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!body)
        return 1;
    int rc = session_command(a, cmd, body);
    free(body);
    return rc;
}

int sessionctl_cmd_hold(const sctl_args *a)
{
    const char *moh = sctl_opt_value(a, "moh");
    return moh ? session_command_str(a, "hold", "moh", moh) : session_command(a, "hold", NULL);
}
int sessionctl_cmd_resume(const sctl_args *a) { return session_command(a, "resume", NULL); }
int sessionctl_cmd_unbridge(const sctl_args *a) { return session_command(a, "unbridge", NULL); }

int sessionctl_cmd_reject(const sctl_args *a)
{
    const char *code = sctl_opt_value(a, "code");
    char body[64] = "{}";
    if (code) {
        char *end;
        long c = strtol(code, &end, 10);
        if (!*code || *end || c < 400 || c > 699) {
            fprintf(stderr, "sessionctl reject: --code: expected 400..699, got '%s'\n", code);
            return 2;
        }
        snprintf(body, sizeof body, "{\"code\":%ld}", c);
    }
    return session_command(a, "reject", body);
}

int sessionctl_cmd_dtmf(const sctl_args *a)
{
    const char *d = a->pos[1];
    if (!*d || strspn(d, "0123456789*#ABCDabcd") != strlen(d)) {
        fprintf(stderr, "sessionctl dtmf: DIGITS: expected 0-9 * # A-D, got '%s'\n", d);
        return 2;
    }
    return session_command_str(a, "dtmf", "digits", d);
}

int sessionctl_cmd_kill(const sctl_args *a)
{
    srv_opts o = opts_of(a);
    char path[256];
    snprintf(path, sizeof path, "/sessions/%s", a->pos[0]);
    sctl_http_resp r;
    if (call_server(&o, "DELETE", path, NULL, &r))
        return 1;
    int rc;
    json_t *j = parse_or_print(&o, &r, &rc);
    if (j)
        printf("%s killed (was in %s)\n", a->pos[0], str_or(j, "state", "?"));
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}

int sessionctl_cmd_bridge(const sctl_args *a)
{
    json_t *b = json_pack("{s:s}", "with", a->pos[1]);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    int rc = session_command(a, "bridge", body);
    free(body);
    return rc;
}

static char *read_file(const char *path, char *err, size_t errsz)
{
    FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open", path);
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, 2 * cap + 1) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                snprintf(err, errsz, "%s: too large", path);
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (f != stdin)
        fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

int sessionctl_cmd_reload(const sctl_args *a)
{
    const char *file = sctl_opt_value(a, "file");
    char err[256] = "out of memory";
    char *yaml = file ? read_file(file, err, sizeof err) : NULL;
    if (file && !yaml) {
        fprintf(stderr, "sessionctl reload: %s\n", err);
        return 1;
    }
    sctl_http_resp r;
    int rc = sctl_http_request_typed(a->server, "POST", "/table/reload", yaml ? yaml : "",
                                     yaml ? "application/yaml" : "application/json", a->token, a->timeout_ms, &r, err,
                                     sizeof err);
    free(yaml);
    if (rc) {
        fprintf(stderr, "sessionctl: %s\n", err);
        return 1;
    }
    json_t *j = json_loads(r.body ? r.body : "", 0, NULL);
    if (a->json) {
        fputs(r.body ? r.body : "", stdout);
        if (r.len && r.body[r.len - 1] != '\n')
            fputc('\n', stdout);
    } else if (r.status == 200) {
        printf("reload: %s\n", str_or(j, "result", "ok"));
    } else if (r.status == 422) {
        size_t i;
        json_t *e;
        fprintf(stderr, "sessionctl reload: refused, nothing changed:\n");
        json_array_foreach(json_object_get(j, "errors"), i, e)
            fprintf(stderr, "  %s:%lld:%lld: %s\n", str_or(e, "file", "?"),
                    (long long)json_integer_value(json_object_get(e, "line")),
                    (long long)json_integer_value(json_object_get(e, "column")), str_or(e, "message", "?"));
    }
    if (r.status >= 400 && r.status != 422 && !a->json)
        print_error(&r);
    rc = r.status >= 400 ? 1 : 0;
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}

int sessionctl_cmd_send(const sctl_args *a)
{
    const char *code = sctl_opt_value(a, "code"), *text = sctl_opt_value(a, "text");
    char *end = NULL;
    long c = code ? strtol(code, &end, 10) : 0;
    if (code && (!*code || *end || c < -2147483647L || c > 2147483647L)) {
        fprintf(stderr, "sessionctl send: --code: expected an integer, got '%s'\n", code);
        return 2;
    }
    json_t *vars = json_object();
    for (int i = 2; vars && i < a->npos; i++) { /* NAME=VALUE */
        const char *eq = strchr(a->pos[i], '=');
        if (!eq || eq == a->pos[i]) {
            fprintf(stderr, "sessionctl send: expected NAME=VALUE, got '%s'\n", a->pos[i]);
            json_decref(vars);
            return 2;
        }
        char name[80]; /* longer names are refused by the server */
        snprintf(name, sizeof name, "%.*s", (int)(eq - a->pos[i]), a->pos[i]);
        json_object_set_new(vars, name, json_string(eq + 1));
    }
    json_t *b = json_pack("{s:I,s:o}", "code", (json_int_t)c, "variables", vars);
    if (b && text)
        json_object_set_new(b, "text", json_string(text));
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!body)
        return 1;
    int rc = 2;
    if (strpbrk(a->pos[0], "/?#%") || strpbrk(a->pos[1], "/?#%")) {
        fprintf(stderr, "sessionctl send: an ID or EVENT cannot contain / ? # or %%\n");
    } else {
        char path[512], ok[320];
        snprintf(path, sizeof path, "/sessions/%s/events/%s", a->pos[0], a->pos[1]);
        snprintf(ok, sizeof ok, "%%s %s: ok\n", a->pos[1]);
        rc = post_and_report(a, path, body, ok, a->pos[0]);
    }
    free(body);
    return rc;
}

int sessionctl_cmd_drain(const sctl_args *a)
{
    srv_opts o = opts_of(a);
    sctl_http_resp r;
    if (call_server(&o, "POST", "/drain", "", &r))
        return 1;
    int rc;
    json_t *j = parse_or_print(&o, &r, &rc);
    if (j)
        printf("%s (%lld active call(s))\n", str_or(j, "phase", "?"),
               (long long)json_integer_value(json_object_get(j, "active_calls")));
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}
