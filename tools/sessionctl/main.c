/* main: sessionctl's entry point: dispatches argv[1] to a subcommand from one table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/cmd_diff.h"
#include "sessionctl/cmd_events.h"
#include "sessionctl/cmd_server.h"
#include "sessionctl/cmd_simulate.h"
#include "sessionctl/cmd_store.h"
#include "sessionctl/cmd_table.h"
#include "sessionctl/cmd_transfer.h"
#include "sessionctl/cmd_trunks.h"
#include "sessionctl/cmd_registrations.h"

typedef struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the subcommand's name */
    const char *usage;
} subcommand;

static const subcommand COMMANDS[] = {
    {"validate", sessionctl_cmd_validate, "validate FILE...                        check state tables"},
    {"graph", sessionctl_cmd_graph, "graph FILE [--role R] [--format F]      draw a table (dot|mermaid|json)"},
    {"transitions", sessionctl_cmd_transitions, "transitions FILE --role R --state S     what a state accepts"},
    {"simulate", sessionctl_cmd_simulate, "simulate FILE --role R EVENT...         run events through a table offline"},
    /* against a running sessiond: [--server URL] [--json] [--token T] before or after */
    {"sessions", sessionctl_cmd_sessions, "sessions                                live sessions of the server"},
    {"show", sessionctl_cmd_show, "show ID                                 a session: record, conditions, history"},
    {"history", sessionctl_cmd_history_or_store, "history ID [--format csv|json] | history ID --store URL"},
    {"replay", sessionctl_cmd_replay, "replay ID --store URL [--table FILE]   state path rebuilt from the log"},
    {"call", sessionctl_cmd_call, "call TO [--from URI]                    make an outgoing call"},
    {"accept", sessionctl_cmd_accept, "accept ID                               answer an incoming call"},
    {"reject", sessionctl_cmd_reject, "reject ID [--code N]                    reject an incoming call (486)"},
    {"hangup", sessionctl_cmd_hangup, "hangup ID                               end a call"},
    {"hold", sessionctl_cmd_hold, "hold ID                                 put a call on hold"},
    {"resume", sessionctl_cmd_resume, "resume ID                               resume a held call"},
    {"transfer", sessionctl_cmd_transfer,
     "transfer ID [TARGET] [--attended [--consult ID]] [--cancel]  blind/attended transfer"},
    {"trunks", sessionctl_cmd_trunks, "trunks [NAME]                           trunks and their registration"},
    {"events", sessionctl_cmd_events_live,
     "events [--type A,B] [--session GLOB] [--follow] [--since SEQ]  live events as JSON Lines (--store URL: the log)"},
    {"registrations", sessionctl_cmd_registrations, "registrations                           the registrar's bindings"},
    {"diff", sessionctl_cmd_diff, "diff OLD NEW [--json]   what a table change does (exit 1 if different)"},
};

static int usage(FILE *f)
{
    fprintf(f, "usage: sessionctl [--server URL] [--json] [--token T] COMMAND [ARGS]\ncommands:\n");
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++)
        fprintf(f, "  %s\n", COMMANDS[i].usage);
    return f == stdout ? 0 : 2;
}

/* Server options written before the command (--server URL, --json, --token T) are moved
 * after its name, where the server commands read them. */
static char **hoist_globals(int *argc, char **argv)
{
    int n = 1;
    while (n < *argc && (!strcmp(argv[n], "--json") ||
                         ((!strcmp(argv[n], "--server") || !strcmp(argv[n], "--token")) && n + 1 < *argc)))
        n += strcmp(argv[n], "--json") ? 2 : 1;
    if (n == 1 || n >= *argc)
        return NULL;
    char **nv = calloc((size_t)*argc + 1, sizeof *nv);
    if (!nv)
        return NULL;
    int k = 0;
    nv[k++] = argv[0];
    nv[k++] = argv[n]; /* the command */
    for (int i = 1; i < n; i++)
        nv[k++] = argv[i];
    for (int i = n + 1; i < *argc; i++)
        nv[k++] = argv[i];
    return nv;
}

int main(int argc, char **argv)
{
    char **hoisted = hoist_globals(&argc, argv);
    if (hoisted) {
        int rc = main(argc, hoisted);
        free(hoisted);
        return rc;
    }
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
        return usage(stdout);
    if (!strcmp(argv[1], "--version")) {
        printf("sessionctl %s\n", SC_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++)
        if (!strcmp(argv[1], COMMANDS[i].name))
            return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "sessionctl: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
