/* args: sessionctl's one argument grammar. Every command describes its options and positional
 * arguments in a sctl_cmd (commands.c); sctl_args_parse reads argv against it, with the global
 * options (--server URL, --token T, --json, --timeout-ms N, -h/--help) accepted before or after
 * the command. Booleans are spelled yes|no (sctl_parse_bool). */
#ifndef SESSIONCTL_ARGS_H
#define SESSIONCTL_ARGS_H

#include <stdbool.h>
#include <stdio.h>

typedef enum { SCTL_FLAG, SCTL_VALUE } sctl_opt_kind;

typedef struct sctl_opt {
    const char *name; /* long name without "--" */
    char short_name;  /* -x, or 0 */
    sctl_opt_kind kind;
    const char *metavar; /* SCTL_VALUE: what the value is ("URL") */
    const char *help;
} sctl_opt;

struct sctl_args;

typedef struct sctl_cmd {
    const char *name;
    const char *synopsis; /* positional part: "ID DIGITS" */
    const char *summary;  /* one line */
    const sctl_opt *opts; /* ended by {0} */
    int min_pos, max_pos; /* max_pos -1: no limit */
    bool server;          /* talks to a running sessiond */
    int (*run)(const struct sctl_args *a);
} sctl_cmd;

typedef struct sctl_hit {
    const sctl_opt *opt;
    const char *value; /* NULL for a flag */
} sctl_hit;

typedef struct sctl_args {
    const sctl_cmd *cmd;
    const char *server, *token;
    bool json;
    int timeout_ms;
    const char **pos; /* positional arguments */
    int npos;
    sctl_hit *hits; /* options in the order given */
    int nhits;
} sctl_args;

/* The global options given before the command (main.c), the defaults of every parse. */
typedef struct sctl_globals {
    const char *server, *token;
    bool json, help;
    int timeout_ms;
} sctl_globals;

/* Reads the global options at the front of argv[1..]; returns the index of the first other
 * argument, or -1 after printing a one-line error (exit 2). */
int sctl_globals_parse(int argc, char **argv, sctl_globals *g);

/* Parses argv[1..] (argv[0] = the command's name) against cmd. Returns 0 (a filled, free with
 * sctl_args_free), 1 when --help was asked and the usage printed on stdout (exit 0), or 2 after
 * one line on stderr (unknown option, missing value, wrong number of arguments). */
int sctl_args_parse(const sctl_cmd *cmd, const sctl_globals *g, int argc, char **argv, sctl_args *a);
void sctl_args_free(sctl_args *a);

/* The last value of option name (NULL when absent; "" for a flag given); whether a flag was
 * given; the k-th value of a repeatable option (NULL past the end). */
const char *sctl_opt_value(const sctl_args *a, const char *name);
bool sctl_opt_flag(const sctl_args *a, const char *name);
const char *sctl_opt_nth(const sctl_args *a, const char *name, int k);

/* A command's usage: synopsis, summary, its options and the global ones. */
void sctl_cmd_usage(const sctl_cmd *cmd, FILE *f);

/* yes|no; true/false, on/off and 1/0 accepted with a warning on stderr naming what. 0 and *out,
 * or -1 (not a boolean). */
int sctl_parse_bool(const char *what, const char *v, bool *out);

#endif
