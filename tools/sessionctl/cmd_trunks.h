/* cmd_trunks: `sessionctl trunks [NAME]`: the server's trunks and their registration
 * (GET /trunks, GET /trunks/NAME). */
#ifndef SESSIONCTL_CMD_TRUNKS_H
#define SESSIONCTL_CMD_TRUNKS_H

#include "sessionctl/args.h"

/* argv[0] = "trunks"; --server URL, --token T and --json anywhere. Exit status: 0, 1 (the
 * server refused or could not be reached), 2 (usage). */
int sessionctl_cmd_trunks(const sctl_args *a);

#endif
