/* cmd_events: `sessionctl events`: a server's session events (GET /events) as JSON Lines. */
#ifndef SESSIONCTL_CMD_EVENTS_H
#define SESSIONCTL_CMD_EVENTS_H

#include "sessionctl/args.h"

/* `events --store URL ...` is handed to sessionctl_cmd_events (cmd_store.c, the persistent log). */
int sessionctl_cmd_events_live(const sctl_args *a);

#endif
