/* cmd_conference: `sessionctl conferences [ROOM]` (the rooms and their participants, GET
 * /conferences) and `sessionctl mute ID` / `sessionctl unmute ID` (POST
 * /sessions/ID/conference/mute). */
#ifndef SESSIONCTL_CMD_CONFERENCE_H
#define SESSIONCTL_CMD_CONFERENCE_H

#include "sessionctl/args.h"

/* --server URL, --token T and --json anywhere. Exit status: 0, 1 (the server refused, e.g. no
 * such room or a session in no room, or could not be reached), 2 (usage). */
int sessionctl_cmd_conferences(const sctl_args *a);
int sessionctl_cmd_mute(const sctl_args *a);
int sessionctl_cmd_unmute(const sctl_args *a);

#endif
