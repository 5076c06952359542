/* main: sessionctl's entry point: the global options, then argv's command run through the
 * one grammar of args.c against its entry in commands.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/args.h"
#include "sessionctl/commands.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: sessionctl [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]\n\n"
               "Checks state tables offline and drives a running sessiond over its HTTP API.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < SCTL_NCOMMANDS; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s %s", SCTL_COMMANDS[i].name, SCTL_COMMANDS[i].synopsis);
        fprintf(f, "  %-26s  %s\n", left, SCTL_COMMANDS[i].summary);
    }
    fprintf(f, "\nGlobal options (before or after the command):\n"
               "  --server URL               sessiond's API (default $SESSIONCTL_SERVER or http://127.0.0.1:8080)\n"
               "  --token T                  bearer token (default $SESSIOND_TOKEN)\n"
               "  --json                     print the data as JSON\n"
               "  --timeout-ms N             HTTP request timeout (default 10000)\n"
               "  -h, --help                 print the usage (of a command: sessionctl COMMAND --help)\n"
               "  --help-all                 print the usage and every command's options\n"
               "  --version                  print the version\n\n"
               "Booleans are spelled yes|no (true/false, on/off and 1/0 are accepted with a warning).\n"
               "Exit status: 0 success, 1 the server refused or a check failed, 2 a usage error.\n");
    return f == stdout ? 0 : 2;
}

/* `sessionctl --help-all`: the usage, then every command's options (help2man's source of
 * sessionctl(1)). */
static int usage_all(void)
{
    usage(stdout);
    for (size_t i = 0; i < SCTL_NCOMMANDS; i++) {
        const sctl_cmd *c = &SCTL_COMMANDS[i];
        if (!c->opts || !c->opts->name)
            continue;
        printf("\nOptions of %s:\n", c->name);
        for (const sctl_opt *o = c->opts; o->name; o++) {
            char left[64], shrt[8] = "";
            if (o->short_name)
                snprintf(shrt, sizeof shrt, "-%c, ", o->short_name);
            snprintf(left, sizeof left, "%s--%s%s%s", shrt, o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
            printf("  %-26s  %s\n", left, o->help);
        }
    }
    return 0;
}

/* `sessionctl __complete [COMMAND]`: the command names, or a command's options, one a line
 * (the bash completion's source; not in the usage). */
static int complete(int argc, char **argv)
{
    static const char *globals[] = {"--server", "--token", "--json", "--timeout-ms", "--help"};
    const sctl_cmd *c = argc > 2 ? sctl_command_find(argv[2]) : NULL;
    if (!c) {
        for (size_t i = 0; i < SCTL_NCOMMANDS; i++)
            printf("%s\n", SCTL_COMMANDS[i].name);
        printf("help\n");
    } else {
        for (const sctl_opt *o = c->opts; o && o->name; o++)
            printf("--%s%s\n", o->name, o->kind == SCTL_VALUE ? "=" : "");
    }
    for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
        printf("%s%s\n", globals[i],
               !strcmp(globals[i], "--server") || !strcmp(globals[i], "--token") || !strcmp(globals[i], "--timeout-ms")
                   ? "="
                   : "");
    return 0;
}

int main(int argc, char **argv)
{
    sctl_globals g;
    int i = sctl_globals_parse(argc, argv, &g);
    if (i < 0)
        return 2;
    if (i >= argc)
        return g.help ? usage(stdout) : usage(stderr);
    const char *name = argv[i];
    if (!strcmp(name, "--version")) {
        printf("sessionctl %s\n", SC_VERSION);
        return 0;
    }
    if (!strcmp(name, "--help-all"))
        return usage_all();
    if (!strcmp(name, "__complete"))
        return complete(argc - i + 1, argv + i - 1);
    if (!strcmp(name, "help")) {
        const sctl_cmd *c = i + 1 < argc ? sctl_command_find(argv[i + 1]) : NULL;
        if (i + 1 < argc && !c) {
            fprintf(stderr, "sessionctl: unknown command '%s' (see sessionctl --help)\n", argv[i + 1]);
            return 2;
        }
        if (c)
            sctl_cmd_usage(c, stdout);
        return c ? 0 : usage(stdout);
    }
    if (name[0] == '-') {
        fprintf(stderr, "sessionctl: unknown option '%s' (see sessionctl --help)\n", name);
        return 2;
    }
    const sctl_cmd *c = sctl_command_find(name);
    if (!c) {
        fprintf(stderr, "sessionctl: unknown command '%s' (see sessionctl --help)\n", name);
        return 2;
    }
    sctl_args a;
    int rc = sctl_args_parse(c, &g, argc - i, argv + i, &a);
    if (rc)
        return rc == 1 ? 0 : 2;
    rc = c->run(&a);
    sctl_args_free(&a);
    return rc;
}
