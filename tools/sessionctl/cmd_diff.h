/* cmd_diff: `sessionctl diff OLD.yaml NEW.yaml [--json]`: what a table change does, before it
 * is applied. Exit status like diff(1): 0 identical behaviour, 1 different, 2 a usage error,
 * an unreadable file or an invalid table (its file:line:col errors on stderr). */
#ifndef SESSIONCTL_CMD_DIFF_H
#define SESSIONCTL_CMD_DIFF_H

#include "sessionctl/args.h"

int sessionctl_cmd_diff(const sctl_args *a);

#endif
