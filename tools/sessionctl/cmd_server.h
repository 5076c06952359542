/* cmd_server: sessionctl's commands against a running sessiond over its HTTP API (sessions,
 * show, history, call, accept, reject, hangup, hold, resume). Each takes the subcommand's argv
 * (argv[0] = its name; --server URL, --json and --token may appear anywhere) and returns the
 * exit status: 0 success, 1 the server refused or could not be reached, 2 a usage error. */
#ifndef SESSIONCTL_CMD_SERVER_H
#define SESSIONCTL_CMD_SERVER_H

int sessionctl_cmd_sessions(int argc, char **argv);
int sessionctl_cmd_show(int argc, char **argv);
int sessionctl_cmd_history(int argc, char **argv);
int sessionctl_cmd_call(int argc, char **argv);
int sessionctl_cmd_accept(int argc, char **argv);
int sessionctl_cmd_reject(int argc, char **argv);
int sessionctl_cmd_hangup(int argc, char **argv);
int sessionctl_cmd_hold(int argc, char **argv);
int sessionctl_cmd_resume(int argc, char **argv);

#endif
