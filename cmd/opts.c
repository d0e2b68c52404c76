/* opts.c: table-driven option parsing for the loadc commands (see opts.h). Written here rather
 * than with getopt_long so that errors carry suggestions and the same table prints the usage. */
#include "cmd/opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

void lc_opts_init(struct lc_opts *p, const char *prog, const struct lc_opt *opts, int argc,
                  char **argv, int first) {
  memset(p, 0, sizeof *p);
  p->prog = prog;
  p->opts = opts;
  p->argc = argc;
  p->argv = argv;
  p->i = first;
}

static FILE *err_out(const struct lc_opts *p) { return p->err ? p->err : stderr; }

static const struct lc_opt *find_long(const struct lc_opt *opts, const char *name, size_t n) {
  for (const struct lc_opt *o = opts; o->name; o++)
    if (strlen(o->name) == n && memcmp(o->name, name, n) == 0) return o;
  return NULL;
}

static const struct lc_opt *find_short(const struct lc_opt *opts, char c) {
  for (const struct lc_opt *o = opts; o->name; o++)
    if (o->short_name && o->short_name == c) return o;
  return NULL;
}

static int unknown_long(const struct lc_opts *p, const char *name, size_t n) {
  const char *names[128];
  size_t k = 0;
  for (const struct lc_opt *o = p->opts; o->name && k + 1 < LC_ARRAY_LEN(names); o++)
    names[k++] = o->name;
  names[k] = NULL;
  char *word = lc_xstrndup(name, n);
  const char *s = lc_suggest(word, names);
  if (s)
    fprintf(err_out(p), "%s: unknown option '--%s' (did you mean '--%s'?)\n", p->prog, word, s);
  else
    fprintf(err_out(p), "%s: unknown option '--%s'\n", p->prog, word);
  free(word);
  return LC_OPT_ERROR;
}

static int parse_long(struct lc_opts *p, const char *arg, const char **value) {
  const char *name = arg + 2;
  const char *eq = strchr(name, '=');
  size_t n = eq ? (size_t)(eq - name) : strlen(name);
  const struct lc_opt *o = find_long(p->opts, name, n);
  if (!o) return unknown_long(p, name, n);
  switch (o->arg) {
  case LC_OPT_FLAG:
    if (eq) {
      fprintf(err_out(p), "%s: option '--%s' takes no value\n", p->prog, o->name);
      return LC_OPT_ERROR;
    }
    *value = NULL;
    return o->id;
  case LC_OPT_OPTIONAL:
    *value = eq ? eq + 1 : NULL;
    return o->id;
  case LC_OPT_VALUE:
    if (eq) {
      *value = eq + 1;
      return o->id;
    }
    if (p->i >= p->argc) {
      fprintf(err_out(p), "%s: option '--%s' needs a value (%s)\n", p->prog, o->name,
              o->metavar ? o->metavar : "VALUE");
      return LC_OPT_ERROR;
    }
    *value = p->argv[p->i++];
    return o->id;
  }
  return LC_OPT_ERROR;
}

static int parse_short(struct lc_opts *p, const char **value) {
  char c = *p->short_rest++;
  const struct lc_opt *o = find_short(p->opts, c);
  if (!o) {
    fprintf(err_out(p), "%s: unknown option '-%c'\n", p->prog, c);
    p->short_rest = NULL;
    return LC_OPT_ERROR;
  }
  if (o->arg == LC_OPT_VALUE) {
    if (*p->short_rest) {
      *value = p->short_rest;
    } else if (p->i < p->argc) {
      *value = p->argv[p->i++];
    } else {
      fprintf(err_out(p), "%s: option '-%c' needs a value (%s)\n", p->prog, c,
              o->metavar ? o->metavar : "VALUE");
      p->short_rest = NULL;
      return LC_OPT_ERROR;
    }
    p->short_rest = NULL;
    return o->id;
  }
  *value = NULL;
  if (!*p->short_rest) p->short_rest = NULL;
  return o->id;
}

int lc_opts_next(struct lc_opts *p, const char **value) {
  *value = NULL;
  if (p->short_rest) return parse_short(p, value);
  if (p->i >= p->argc) return LC_OPT_END;
  const char *arg = p->argv[p->i++];
  if (p->only_positional || arg[0] != '-' || arg[1] == '\0') {
    *value = arg;
    return LC_OPT_POSITIONAL;
  }
  if (arg[1] == '-') {
    if (arg[2] == '\0') {
      p->only_positional = 1;
      return lc_opts_next(p, value);
    }
    return parse_long(p, arg, value);
  }
  p->short_rest = arg + 1;
  return parse_short(p, value);
}

void lc_opts_print_help(FILE *out, const struct lc_opt *opts) {
  for (const struct lc_opt *o = opts; o->name; o++) {
    char left[64];
    const char *mv = o->metavar ? o->metavar : "VALUE";
    if (o->arg == LC_OPT_VALUE)
      snprintf(left, sizeof left, "%s%c%s--%s %s", o->short_name ? "-" : "   ",
               o->short_name ? o->short_name : ' ', o->short_name ? ", " : "", o->name, mv);
    else if (o->arg == LC_OPT_OPTIONAL)
      snprintf(left, sizeof left, "%s%c%s--%s[=%s]", o->short_name ? "-" : "   ",
               o->short_name ? o->short_name : ' ', o->short_name ? ", " : "", o->name, mv);
    else
      snprintf(left, sizeof left, "%s%c%s--%s", o->short_name ? "-" : "   ",
               o->short_name ? o->short_name : ' ', o->short_name ? ", " : "", o->name);
    fprintf(out, "  %-30s %s\n", left, o->help);
  }
}

int lc_opts_int(const struct lc_opts *p, const char *name, const char *value, long long min,
                long long max, long long *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(value, &end, 10);
  if (errno || end == value || *end != '\0') {
    fprintf(err_out(p), "%s: option '--%s': expected an integer, got '%s'\n", p->prog, name,
            value);
    return -1;
  }
  if (v < min || v > max) {
    fprintf(err_out(p), "%s: option '--%s': %lld is out of range (%lld to %lld)\n", p->prog,
            name, v, min, max);
    return -1;
  }
  *out = v;
  return 0;
}
