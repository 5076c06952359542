/* commands: the table of sessionctl's commands: name, positional arguments, options, summary
 * and the function that runs it. main.c dispatches through it, --help and the bash
 * completion read it, so a command's grammar is written once. */
#ifndef SESSIONCTL_COMMANDS_H
#define SESSIONCTL_COMMANDS_H

#include <stddef.h>

#include "sessionctl/args.h"

extern const sctl_cmd SCTL_COMMANDS[];
extern const size_t SCTL_NCOMMANDS;

/* The command called name, or NULL. */
const sctl_cmd *sctl_command_find(const char *name);

#endif
