/* cmd_store: audit commands that read a persistent store directly (no sessiond needed):
 * `history ID --store URL`, `events --store URL [--since T] [--until T]`, `replay ID --store URL`. */
#ifndef SESSIONCTL_CMD_STORE_H
#define SESSIONCTL_CMD_STORE_H

#include "sessionctl/args.h"

/* `history`: with --store, the session's event records from the log as JSON Lines; without,
 * the server command sessionctl_cmd_history. */
int sessionctl_cmd_history_or_store(const sctl_args *a);
/* `events --store URL [--since T] [--until T]`: event records of all sessions in time order,
 * JSON Lines; T is ISO-8601 (2026-11-27T12:00:00[.123456]Z) or epoch microseconds. (The
 * server command sessionctl_cmd_events_live, cmd_events.c, hands `--store` here.) */
int sessionctl_cmd_events(const sctl_args *a);
/* `replay ID --store URL [--table FILE]`: the state path rebuilt from the events and whether
 * it matches the stored snapshot. Exit 0 matches (or no snapshot), 1 differs, 2 usage/store. */
int sessionctl_cmd_replay(const sctl_args *a);

#endif
