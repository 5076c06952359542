/* cmd_table: the offline table commands of sessionctl (validate, graph, transitions). Each
 * takes the subcommand's argv (argv[0] = its name) and returns the process exit status:
 * 0 success, 1 an invalid table or unreadable file, 2 a usage error. */
#ifndef SESSIONCTL_CMD_TABLE_H
#define SESSIONCTL_CMD_TABLE_H

#include "sessionctl/args.h"

#include "session_core/table.h"

int sessionctl_cmd_validate(const sctl_args *a);
int sessionctl_cmd_graph(const sctl_args *a);
int sessionctl_cmd_transitions(const sctl_args *a);

/* Every diagnostic in d, one a line on stderr ("file:line:col: severity: message"), as
 * validate prints them; for the other commands that load tables. */
void sessionctl_print_diags(const sc_diags *d);

#endif
