/* cmd_server: sessionctl's commands against a running sessiond over its HTTP API (sessions,
 * show, history, call, accept, reject, hangup, hold, resume, dtmf, bridge, unbridge, reload, kill).
 * Each takes its parsed arguments (args.h) and returns the exit status: 0 success, 1 the server refused or could not be reached, 2 a usage error. */
#ifndef SESSIONCTL_CMD_SERVER_H
#define SESSIONCTL_CMD_SERVER_H

#include "sessionctl/args.h"

int sessionctl_cmd_sessions(const sctl_args *a);
int sessionctl_cmd_show(const sctl_args *a);
int sessionctl_cmd_history(const sctl_args *a);
int sessionctl_cmd_call(const sctl_args *a);
int sessionctl_cmd_accept(const sctl_args *a);
int sessionctl_cmd_reject(const sctl_args *a);
int sessionctl_cmd_hangup(const sctl_args *a);
int sessionctl_cmd_hold(const sctl_args *a);
int sessionctl_cmd_resume(const sctl_args *a);
int sessionctl_cmd_dtmf(const sctl_args *a);
int sessionctl_cmd_bridge(const sctl_args *a);
int sessionctl_cmd_unbridge(const sctl_args *a);
int sessionctl_cmd_reload(const sctl_args *a);
int sessionctl_cmd_kill(const sctl_args *a);
int sessionctl_cmd_send(const sctl_args *a);  /* POST /sessions/ID/send {"event","code","text"} */
int sessionctl_cmd_drain(const sctl_args *a); /* POST /drain */

#endif
