/* cmd_transfer: sessionctl's transfer command against a running sessiond: blind, attended
 * (complete with a consultation call, or start one) and cancel, over POST
 * /sessions/{id}/transfer[/cancel]. Returns 0, 1 (refused/unreachable) or 2 (usage). */
#ifndef SESSIONCTL_CMD_TRANSFER_H
#define SESSIONCTL_CMD_TRANSFER_H

#include "sessionctl/args.h"

int sessionctl_cmd_transfer(const sctl_args *a);

#endif
