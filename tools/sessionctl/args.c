/* args: the one argument parser of every sessionctl command (table-driven, see args.h). */
#include "sessionctl/args.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_SERVER "http://127.0.0.1:8080"

static const sctl_opt GLOBAL_OPTS[] = {
    {"server", 0, SCTL_VALUE, "URL", "sessiond's API (default $SESSIONCTL_SERVER or " DEFAULT_SERVER ")"},
    {"token", 0, SCTL_VALUE, "T", "bearer token (default $SESSIOND_TOKEN)"},
    {"json", 0, SCTL_FLAG, NULL, "print the data as JSON"},
    {"timeout-ms", 0, SCTL_VALUE, "N", "HTTP request timeout (default 10000)"},
    {"help", 'h', SCTL_FLAG, NULL, "print this usage and exit"},
    {0},
};

/* The option spelled by arg ("--name", "--name=v", "-x") in opts, or NULL; *inline_v set for "=v". */
static const sctl_opt *match(const sctl_opt *opts, const char *arg, const char **inline_v)
{
    *inline_v = NULL;
    if (arg[1] != '-') {
        for (const sctl_opt *o = opts; o && o->name; o++)
            if (o->short_name && arg[1] == o->short_name && !arg[2])
                return o;
        return NULL;
    }
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    for (const sctl_opt *o = opts; o && o->name; o++)
        if (strlen(o->name) == n && !strncmp(o->name, name, n)) {
            *inline_v = eq ? eq + 1 : NULL;
            return o;
        }
    return NULL;
}

static int bad(const char *cmd, const char *fmt, const char *x)
{
    fprintf(stderr, "sessionctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, x);
    fprintf(stderr, " (see sessionctl %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
    return 2;
}

/* Applies one global option to g; 0 or 2. */
static int apply_global(const char *cmd, const sctl_opt *o, const char *v, sctl_globals *g)
{
    if (!strcmp(o->name, "server"))
        g->server = v;
    else if (!strcmp(o->name, "token"))
        g->token = v;
    else if (!strcmp(o->name, "json"))
        g->json = true;
    else if (!strcmp(o->name, "help"))
        g->help = true;
    else if (!strcmp(o->name, "timeout-ms")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n <= 0 || n > 3600000)
            return bad(cmd, "--timeout-ms: expected 1..3600000, got '%s'", v);
        g->timeout_ms = (int)n;
    }
    return 0;
}

/* The value of option o at argv[*i] (inline or the next argument); NULL after an error. */
static const char *take_value(const char *cmd, const sctl_opt *o, const char *inline_v, int argc, char **argv, int *i)
{
    if (o->kind == SCTL_FLAG) {
        if (inline_v) {
            bad(cmd, "--%s takes no value", o->name);
            return NULL;
        }
        return "";
    }
    if (inline_v)
        return inline_v;
    if (*i + 1 >= argc) {
        bad(cmd, "--%s: missing value", o->name);
        return NULL;
    }
    return argv[++*i];
}

int sctl_globals_parse(int argc, char **argv, sctl_globals *g)
{
    memset(g, 0, sizeof *g);
    g->server = getenv("SESSIONCTL_SERVER") && *getenv("SESSIONCTL_SERVER") ? getenv("SESSIONCTL_SERVER")
                                                                            : DEFAULT_SERVER;
    g->token = getenv("SESSIOND_TOKEN");
    g->timeout_ms = 10000;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *iv;
        const sctl_opt *o = match(GLOBAL_OPTS, argv[i], &iv);
        if (!o)
            break; /* --version, or an error main reports */
        const char *v = take_value(NULL, o, iv, argc, argv, &i);
        if (!v || apply_global(NULL, o, v, g))
            return -1;
    }
    return i;
}

int sctl_args_parse(const sctl_cmd *cmd, const sctl_globals *g, int argc, char **argv, sctl_args *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    sctl_globals gl = *g;
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    a->hits = calloc((size_t)argc + 1, sizeof *a->hits);
    if (!a->pos || !a->hits) {
        sctl_args_free(a);
        fprintf(stderr, "sessionctl: out of memory\n");
        return 2;
    }
    bool opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (opts_done || arg[0] != '-' || !arg[1]) { /* "-" alone is a file: stdin */
            a->pos[a->npos++] = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            opts_done = true;
            continue;
        }
        const char *iv;
        const sctl_opt *o = match(cmd->opts, arg, &iv);
        bool global = false;
        if (!o && (o = match(GLOBAL_OPTS, arg, &iv)))
            global = true;
        if (!o) {
            sctl_args_free(a);
            return bad(cmd->name, "unknown option '%s'", arg);
        }
        const char *v = take_value(cmd->name, o, iv, argc, argv, &i);
        if (!v) {
            sctl_args_free(a);
            return 2;
        }
        if (global) {
            if (apply_global(cmd->name, o, v, &gl)) {
                sctl_args_free(a);
                return 2;
            }
        } else {
            a->hits[a->nhits++] = (sctl_hit){o, o->kind == SCTL_FLAG ? NULL : v};
        }
    }
    if (gl.help) {
        sctl_cmd_usage(cmd, stdout);
        sctl_args_free(a);
        return 1;
    }
    if (a->npos < cmd->min_pos || (cmd->max_pos >= 0 && a->npos > cmd->max_pos)) {
        fprintf(stderr, "usage: sessionctl %s %s (see sessionctl %s --help)\n", cmd->name, cmd->synopsis, cmd->name);
        sctl_args_free(a);
        return 2;
    }
    a->server = gl.server;
    a->token = gl.token;
    a->json = gl.json;
    a->timeout_ms = gl.timeout_ms;
    return 0;
}

void sctl_args_free(sctl_args *a)
{
    free(a->pos);
    free(a->hits);
    a->pos = NULL;
    a->hits = NULL;
    a->npos = a->nhits = 0;
}

const char *sctl_opt_nth(const sctl_args *a, const char *name, int k)
{
    for (int i = 0; i < a->nhits; i++)
        if (!strcmp(a->hits[i].opt->name, name) && k-- == 0)
            return a->hits[i].value ? a->hits[i].value : "";
    return NULL;
}

const char *sctl_opt_value(const sctl_args *a, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < a->nhits; i++)
        if (!strcmp(a->hits[i].opt->name, name))
            v = a->hits[i].value ? a->hits[i].value : "";
    return v;
}

bool sctl_opt_flag(const sctl_args *a, const char *name) { return sctl_opt_value(a, name) != NULL; }

static void print_opts(const sctl_opt *opts, FILE *f)
{
    for (const sctl_opt *o = opts; o && o->name; o++) {
        char left[64], shrt[8] = "";
        if (o->short_name)
            snprintf(shrt, sizeof shrt, "-%c, ", o->short_name);
        snprintf(left, sizeof left, "%s--%s%s%s", shrt, o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        fprintf(f, "  %-26s  %s\n", left, o->help);
    }
}

void sctl_cmd_usage(const sctl_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: sessionctl %s%s%s%s\n\n%s\n", cmd->name, *cmd->synopsis ? " " : "", cmd->synopsis,
            cmd->opts && cmd->opts->name ? " [OPTIONS]" : "", cmd->summary);
    if (cmd->opts && cmd->opts->name) {
        fprintf(f, "\noptions:\n");
        print_opts(cmd->opts, f);
    }
    fprintf(f, "\nglobal options (before or after the command):\n");
    print_opts(GLOBAL_OPTS, f);
}

int sctl_parse_bool(const char *what, const char *v, bool *out)
{
    static const struct {
        const char *s;
        bool v;
    } other[] = {{"true", true}, {"false", false}, {"on", true}, {"off", false}, {"1", true}, {"0", false}};
    if (!strcmp(v, "yes") || !strcmp(v, "no")) {
        *out = v[0] == 'y';
        return 0;
    }
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (!strcmp(v, other[i].s)) {
            *out = other[i].v;
            fprintf(stderr, "sessionctl: warning: %s: '%s' is spelled %s\n", what, v, other[i].v ? "yes" : "no");
            return 0;
        }
    return -1;
}
