/* cmd_registrations: `sessionctl registrations`: the registrar's bindings of a running
 * sessiond (GET /registrations), one line per contact or --json. Returns 0, 1 (refused or
 * unreachable) or 2 (usage). */
#ifndef SESSIONCTL_CMD_REGISTRATIONS_H
#define SESSIONCTL_CMD_REGISTRATIONS_H

#include "sessionctl/args.h"

int sessionctl_cmd_registrations(const sctl_args *a);

#endif
