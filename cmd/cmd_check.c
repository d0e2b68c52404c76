/* cmd_check.c: `loadc check FILE...`: validates scenarios without running them and prints
 * every diagnostic (text with source line and caret, JSON, or GitHub annotations). */
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/scenario.h"
#include "config/plan.h"

enum { OPT_FORMAT = 1, OPT_QUIET };

static const struct lc_opt check_opts[] = {
    {OPT_FORMAT, "format", 0, LC_OPT_VALUE, "FMT", "text (default), json or github"},
    {LC_OPT_TAGS, "tags", 'T', LC_OPT_VALUE, "TAGS", "check as if run with --tags"},
    {LC_OPT_EXCLUDE_TAGS, "exclude-tags", 'E', LC_OPT_VALUE, "TAGS", "check as if run with --exclude-tags"},
    {LC_OPT_SET, "set", 0, LC_OPT_VALUE, "NAME=VALUE", "override a scenario variable"},
    {OPT_QUIET, "quiet", 'q', LC_OPT_FLAG, NULL, "no 'FILE: ok' lines for valid files"},
    LC_OPT_HELP_ENTRY,
    {0},
};

static int check_run(const struct lc_command *self, int argc, char **argv) {
  struct lc_scenario_opts so;
  memset(&so, 0, sizeof so);
  enum lc_diag_format format = LC_DIAG_TEXT;
  char **files = NULL;
  size_t nfiles = 0;
  int quiet = 0, rc = LC_EXIT_OK;
  struct lc_opts p;
  const char *v;
  int id;
  lc_opts_init(&p, "loadc check", self->opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    if (lc_scenario_opts_take(&so, id, v)) continue;
    switch (id) {
    case OPT_FORMAT:
      if (lc_diag_format_parse(v, &format) != 0) {
        fprintf(stderr, "loadc check: unknown format '%s' (text, json or github)\n", v);
        rc = LC_EXIT_USAGE;
        goto out;
      }
      break;
    case OPT_QUIET: quiet = 1; break;
    case LC_OPT_HELP: lc_cli_usage(stdout, self); goto out;
    case LC_OPT_POSITIONAL: lc_strv_push(&files, &nfiles, v); break;
    default: rc = LC_EXIT_USAGE; goto out;
    }
  }
  if (nfiles == 0) {
    fprintf(stderr, "loadc check: no scenario file given\nusage: %s\n", self->synopsis);
    rc = LC_EXIT_USAGE;
    goto out;
  }
  /* One collector for all files, so that JSON output is one document. */
  struct lc_diags *d = lc_diags_new(0);
  for (size_t i = 0; i < nfiles; i++) {
    size_t before = lc_diags_errors(d);
    struct lc_plan *plan = lc_scenario_compile(files[i], &so, d);
    if (!plan || lc_diags_errors(d) > before) rc = LC_EXIT_FAILED;
    lc_plan_free(plan);
  }
  lc_diags_sort(d);
  if (lc_diags_print(d, stdout, format) != 0) rc = LC_EXIT_CANNOT;
  if (format == LC_DIAG_TEXT) {
    size_t e = lc_diags_errors(d), w = lc_diags_warnings(d);
    if (e || w)
      printf("%zu error%s, %zu warning%s\n", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
    else if (!quiet)
      printf("%zu scenario%s ok\n", nfiles, nfiles == 1 ? "" : "s");
  }
  lc_diags_free(d);
out:
  lc_strv_free(files);
  lc_scenario_opts_release(&so);
  return rc;
}

const struct lc_command lc_cmd_check = {
    "check",
    check_run,
    "validate scenarios without running them",
    "loadc check [options] FILE...",
    "Reports every error at once, each as file:line:col with the source line and a caret.\n"
    "Exit 0 when valid (warnings allowed), 1 when invalid, 2 on a usage error.",
    check_opts,
};
