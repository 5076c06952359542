/* commands: every sessionctl command's grammar (positional arguments and options) in one table. */
#include "sessionctl/commands.h"

#include <string.h>

#include "sessionctl/cmd_conference.h"
#include "sessionctl/cmd_diff.h"
#include "sessionctl/cmd_events.h"
#include "sessionctl/cmd_registrations.h"
#include "sessionctl/cmd_server.h"
#include "sessionctl/cmd_simulate.h"
#include "sessionctl/cmd_store.h"
#include "sessionctl/cmd_table.h"
#include "sessionctl/cmd_transfer.h"
#include "sessionctl/cmd_trunks.h"

static const sctl_opt NONE[] = {{0}};
static const sctl_opt GRAPH[] = {
    {"role", 0, SCTL_VALUE, "uac|uas", "only this role's transitions"},
    {"format", 0, SCTL_VALUE, "dot|mermaid|json", "output format (default dot; --json = json)"},
    {0},
};
static const sctl_opt TRANSITIONS[] = {
    {"role", 0, SCTL_VALUE, "uac|uas", "the role (required)"},
    {"state", 0, SCTL_VALUE, "STATE", "the state (required)"},
    {0},
};
static const sctl_opt SIMULATE[] = {
    {"role", 0, SCTL_VALUE, "uac|uas", "the role (required)"},
    {"guard", 0, SCTL_VALUE, "NAME[=yes|no]", "a guard's answer, repeatable (default: all yes)"},
    {"store", 0, SCTL_VALUE, "URL", "record the run in this store"},
    {"id", 0, SCTL_VALUE, "ID", "the session id recorded with --store"},
    {0},
};
static const sctl_opt HISTORY[] = {
    {"format", 0, SCTL_VALUE, "csv|json", "output format (default a table)"},
    {"store", 0, SCTL_VALUE, "URL", "read the persistent log of this store instead of the server"},
    {0},
};
static const sctl_opt REPLAY[] = {
    {"store", 0, SCTL_VALUE, "URL", "the store (required)"},
    {"table", 0, SCTL_VALUE, "FILE", "replay against this table (default: the built-in one)"},
    {0},
};
static const sctl_opt CALL[] = {{"from", 0, SCTL_VALUE, "URI", "the From URI"}, {0}};
static const sctl_opt REJECT[] = {{"code", 0, SCTL_VALUE, "N", "final response 400..699 (default 486)"}, {0}};
static const sctl_opt SESSIONS[] = {
    {"state", 0, SCTL_VALUE, "STATE", "only sessions in this state"},
    {"role", 0, SCTL_VALUE, "uac|uas", "only sessions of this role"},
    {"live", 0, SCTL_FLAG, NULL, "only sessions not in a terminal state"},
    {"page", 0, SCTL_VALUE, "N", "sessions asked for per request (1..1000, default 1000); every page is read"},
    {0},
};
static const sctl_opt SEND[] = {
    {"code", 0, SCTL_VALUE, "N", "the event's code (default 0)"},
    {"text", 0, SCTL_VALUE, "TEXT", "the event's text (default \"api\")"},
    {0},
};
static const sctl_opt HOLD[] = {{"moh", 0, SCTL_VALUE, "CLASS", "play this music on hold class (--moh-class)"}, {0}};
static const sctl_opt TRANSFER[] = {
    {"attended", 0, SCTL_FLAG, NULL, "attended transfer (to the consultation call)"},
    {"consult", 0, SCTL_VALUE, "ID", "the consultation call of an attended transfer"},
    {"cancel", 0, SCTL_FLAG, NULL, "cancel the transfer in progress"},
    {0},
};
static const sctl_opt EVENTS[] = {
    {"type", 0, SCTL_VALUE, "A,B", "only these event types"},
    {"session", 0, SCTL_VALUE, "GLOB", "only sessions whose id or URI matches"},
    {"role", 0, SCTL_VALUE, "uac|uas", "only this role"},
    {"state", 0, SCTL_VALUE, "S,T", "only these states"},
    {"priority", 0, SCTL_VALUE, "low|normal|critical", "only this priority and above"},
    {"name", 0, SCTL_VALUE, "NAME", "subscriber name in the server's metrics"},
    {"app", 0, SCTL_VALUE, "GLOB,GLOB", "App events only with these publish names (?app=; other types unfiltered)"},
    {"since", 0, SCTL_VALUE, "SEQ|TIME", "from this sequence number (--store: this time)"},
    {"follow", 'f', SCTL_FLAG, NULL, "keep streaming (default: stop at the end of the backlog)"},
    {"store", 0, SCTL_VALUE, "URL", "read the persistent log of this store instead of the server"},
    {"until", 0, SCTL_VALUE, "TIME", "--store: up to this time"},
    {"cluster", 0, SCTL_FLAG, NULL, "the store's event log of every node (GET /events/cluster; --since GSEQ)"},
    {0},
};
static const sctl_opt RELOAD[] = {
    {"file", 0, SCTL_VALUE, "FILE", "load this YAML table (default: the server's --table file)"},
    {0},
};

const sctl_cmd SCTL_COMMANDS[] = {
    {"validate", "FILE...", "check state tables", NONE, 1, -1, false, sessionctl_cmd_validate},
    {"graph", "FILE", "draw a table (dot, mermaid or json)", GRAPH, 1, 1, false, sessionctl_cmd_graph},
    {"transitions", "FILE", "what a state of a table accepts", TRANSITIONS, 1, 1, false, sessionctl_cmd_transitions},
    {"simulate", "FILE [EVENT...]", "run events through a table offline", SIMULATE, 1, -1, false,
     sessionctl_cmd_simulate},
    {"diff", "OLD NEW", "what a table change does (exit 1 if different)", NONE, 2, 2, false, sessionctl_cmd_diff},
    {"sessions", "", "the server's sessions (every page), optionally filtered", SESSIONS, 0, 0, true,
     sessionctl_cmd_sessions},
    {"show", "ID", "a session: record, conditions, history", NONE, 1, 1, true, sessionctl_cmd_show},
    {"history", "ID", "a session's transitions (--store: its persistent log)", HISTORY, 1, 1, true,
     sessionctl_cmd_history_or_store},
    {"replay", "ID", "a session's state path rebuilt from the store's log", REPLAY, 1, 1, false, sessionctl_cmd_replay},
    {"call", "TO", "make an outgoing call", CALL, 1, 1, true, sessionctl_cmd_call},
    {"accept", "ID", "answer an incoming call", NONE, 1, 1, true, sessionctl_cmd_accept},
    {"reject", "ID", "reject an incoming call", REJECT, 1, 1, true, sessionctl_cmd_reject},
    {"hangup", "ID", "end a call", NONE, 1, 1, true, sessionctl_cmd_hangup},
    {"hold", "ID", "put a call on hold", HOLD, 1, 1, true, sessionctl_cmd_hold},
    {"resume", "ID", "resume a held call", NONE, 1, 1, true, sessionctl_cmd_resume},
    {"kill", "ID", "force-remove a session the table will not end (DELETE /sessions/ID: BYE or CANCEL, then removal)",
     NONE, 1, 1, true, sessionctl_cmd_kill},
    {"dtmf", "ID DIGITS", "send DTMF digits (0-9 * # A-D) as RFC 4733 events", NONE, 2, 2, true, sessionctl_cmd_dtmf},
    {"bridge", "ID1 ID2", "bridge two active calls (RTP relayed between them)", NONE, 2, 2, true,
     sessionctl_cmd_bridge},
    {"unbridge", "ID", "split a bridge", NONE, 1, 1, true, sessionctl_cmd_unbridge},
    {"transfer", "ID [TARGET]", "blind or attended transfer, or cancel one", TRANSFER, 1, 2, true,
     sessionctl_cmd_transfer},
    {"trunks", "[NAME]", "trunks and their registration", NONE, 0, 1, true, sessionctl_cmd_trunks},
    {"registrations", "", "the registrar's bindings", NONE, 0, 0, true, sessionctl_cmd_registrations},
    {"events", "", "events as JSON Lines: the server's backlog (--follow: then live), or a store's log", EVENTS, 0, 0,
     true, sessionctl_cmd_events_live},
    {"reload", "", "reload the server's state table (validated first; docs/reload.md)", RELOAD, 0, 0, true,
     sessionctl_cmd_reload},
    {"send", "ID EVENT [NAME=VALUE...]",
     "send one of the table's own events (its vocabulary) to a session, after setting its variables", SEND, 2, 34, true,
     sessionctl_cmd_send},
    {"drain", "", "drain the server: no new calls, the calls up go on, then it exits (as SIGTERM)", NONE, 0, 0, true,
     sessionctl_cmd_drain},
    {"conferences", "[ROOM]", "conference rooms and their participants", NONE, 0, 1, true, sessionctl_cmd_conferences},
    {"mute", "ID", "mute a session in its conference room", NONE, 1, 1, true, sessionctl_cmd_mute},
    {"unmute", "ID", "unmute a session in its conference room", NONE, 1, 1, true, sessionctl_cmd_unmute},
};
const size_t SCTL_NCOMMANDS = sizeof SCTL_COMMANDS / sizeof SCTL_COMMANDS[0];

const sctl_cmd *sctl_command_find(const char *name)
{
    for (size_t i = 0; i < SCTL_NCOMMANDS; i++)
        if (!strcmp(SCTL_COMMANDS[i].name, name))
            return &SCTL_COMMANDS[i];
    return NULL;
}
