/* opts.h: the command-line option parser shared by every loadc command. Options are declared
 * in a table; unknown options get a "did you mean" suggestion from the same table. */
#ifndef LC_OPTS_H
#define LC_OPTS_H

#include <stdio.h>

enum lc_opt_arg {
  LC_OPT_FLAG,      /* --quiet */
  LC_OPT_VALUE,     /* --port 8080, --port=8080, -p 8080, -p8080 */
  LC_OPT_OPTIONAL,  /* --single-user or --single-user=CLASS (the value only after '=') */
};

struct lc_opt {
  int id;              /* > 0, returned by lc_opts_next */
  const char *name;    /* long name without "--" */
  char short_name;     /* 0 when none */
  enum lc_opt_arg arg;
  const char *metavar; /* for the usage text: "N", "FILE" */
  const char *help;    /* one line */
};

/* A parse in progress over argv. `opts` ends with an entry whose name is NULL. */
struct lc_opts {
  const char *prog;            /* "loadc serve": prefix of error messages */
  const struct lc_opt *opts;
  int argc;
  char **argv;
  int i;                       /* next argv index */
  const char *short_rest;      /* rest of a bundle of short flags (-qv) */
  int only_positional;         /* after "--" */
  FILE *err;                   /* where errors go; stderr when NULL */
};

enum { LC_OPT_END = 0, LC_OPT_POSITIONAL = -1, LC_OPT_ERROR = -2 };

/* Starts a parse of argv[first..argc). */
void lc_opts_init(struct lc_opts *p, const char *prog, const struct lc_opt *opts, int argc,
                  char **argv, int first);
/* Returns the id of the next option (with *value set for options that take one, NULL for a
 * flag or an optional value not given), LC_OPT_POSITIONAL with *value the argument,
 * LC_OPT_END, or LC_OPT_ERROR after printing `PROG: unknown option '--x' (did you mean
 * '--y'?)` or a missing/unexpected value. *value points into argv. */
int lc_opts_next(struct lc_opts *p, const char **value);

/* Prints the option table as usage lines ("  -p, --port N   help"). */
void lc_opts_print_help(FILE *out, const struct lc_opt *opts);

/* Strict decimal integer in [min, max]; on error prints `PROG: option '--NAME': ...` and
 * returns -1. */
int lc_opts_int(const struct lc_opts *p, const char *name, const char *value, long long min,
                long long max, long long *out);

#endif
