/* cmd_simulate: `sessionctl simulate FILE --role R [--guard Name=true|false]... EVENT[:code[:text]]...`
 * runs events through the engine with no I/O (actions are no-ops that succeed, guards are false
 * unless set with --guard) and prints each transition. Takes the subcommand's argv (argv[0] =
 * its name); returns 0 when every event given was taken, 1 otherwise (or an invalid table),
 * 2 on a usage error. */
#ifndef SESSIONCTL_CMD_SIMULATE_H
#define SESSIONCTL_CMD_SIMULATE_H

#include "sessionctl/args.h"

int sessionctl_cmd_simulate(const sctl_args *a);

#endif
