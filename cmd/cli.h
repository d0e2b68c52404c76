/* cli.h: what the loadc commands share: the command descriptor that main.c dispatches on,
 * exit codes, and the usage printer. */
#ifndef LC_CLI_H
#define LC_CLI_H

#include <stdio.h>

#include "cmd/opts.h"

/* Exit codes of every command (docs/cli.md). */
enum {
  LC_EXIT_OK = 0,        /* done; for run: the criteria were met */
  LC_EXIT_FAILED = 1,    /* run: thresholds not met / requests failed; check: invalid */
  LC_EXIT_USAGE = 2,     /* usage or scenario error: nothing was run */
  LC_EXIT_CANNOT = 3,    /* could not be carried out */
};

/* Option id every command uses for -h/--help. */
enum { LC_OPT_HELP = 1000 };
#define LC_OPT_HELP_ENTRY {LC_OPT_HELP, "help", 'h', LC_OPT_FLAG, NULL, "show this help"}

struct lc_command {
  const char *name;
  int (*run)(const struct lc_command *self, int argc, char **argv); /* argv[0]: the name */
  const char *summary;     /* one line for `loadc --help` */
  const char *synopsis;    /* "loadc serve [options]" */
  const char *description; /* a paragraph or two, may be NULL */
  const struct lc_opt *opts;
};

/* The commands, each defined in its own file. */
extern const struct lc_command lc_cmd_run, lc_cmd_check, lc_cmd_graph, lc_cmd_schema,
    lc_cmd_serve, lc_cmd_help, lc_cmd_version, lc_cmd_report;

/* Prints a command's usage: synopsis, description, options. */
void lc_cli_usage(FILE *out, const struct lc_command *cmd);
/* Prints the version of loadc and of the libraries it is linked with. */
void lc_cli_print_version(FILE *out);
/* The libraries' versions on one line ("libcurl/7.88.1 OpenSSL/3.0.x libuv/1.44.2 ..."),
 * for results; the caller frees it. */
char *lc_cli_library_versions(void);
/* Looks a command up by name; NULL if there is none. */
const struct lc_command *lc_cli_find(const char *name);
/* Prints `loadc: unknown command 'X' (did you mean 'Y'?)` and the hint to run help. */
void lc_cli_unknown_command(FILE *out, const char *name);

#endif
