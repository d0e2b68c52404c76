/* pending.c: the command whose engine is still being built (run).
 * Their options are declared here in full, so usage, help and option errors are already real;
 * running one says it is not implemented yet (exit 3). Each moves to its own file when its
 * engine lands. */
#include "cmd/cli.h"

enum {
  OPT_USERS = 1, OPT_SPAWN_RATE, OPT_RUN_TIME, OPT_HOST, OPT_TAGS, OPT_EXCLUDE_TAGS,
  OPT_STOP_TIMEOUT, OPT_CSV, OPT_CSV_FULL_HISTORY, OPT_HTML, OPT_JSON, OPT_JUNIT,
  OPT_ONLY_SUMMARY, OPT_RESET_STATS, OPT_EXIT_CODE_ON_ERROR, OPT_ITERATIONS, OPT_USER_CLASSES,
  OPT_THREADS, OPT_SEED, OPT_SET, OPT_SINGLE_USER, OPT_QUIET, OPT_LOGLEVEL,
};

static const struct lc_opt run_opts[] = {
    {OPT_USERS, "users", 'u', LC_OPT_VALUE, "N", "peak number of concurrent users"},
    {OPT_SPAWN_RATE, "spawn-rate", 'r', LC_OPT_VALUE, "RATE", "users started per second"},
    {OPT_RUN_TIME, "run-time", 't', LC_OPT_VALUE, "TIME", "stop after this long (90s, 5m, 1h30m)"},
    {OPT_HOST, "host", 'H', LC_OPT_VALUE, "URL", "base URL of the target"},
    {OPT_TAGS, "tags", 'T', LC_OPT_VALUE, "TAGS", "only tasks with one of these tags (a,b)"},
    {OPT_EXCLUDE_TAGS, "exclude-tags", 'E', LC_OPT_VALUE, "TAGS", "drop tasks with these tags"},
    {OPT_STOP_TIMEOUT, "stop-timeout", 's', LC_OPT_VALUE, "TIME", "time for running tasks to finish on stop"},
    {OPT_ITERATIONS, "iterations", 'i', LC_OPT_VALUE, "N", "stop after N task runs in all"},
    {OPT_USER_CLASSES, "user-classes", 0, LC_OPT_VALUE, "A,B", "spawn only these user classes"},
    {OPT_RESET_STATS, "reset-stats", 0, LC_OPT_FLAG, NULL, "reset statistics when spawning completes"},
    {OPT_THREADS, "threads", 0, LC_OPT_VALUE, "N", "worker threads (default: one per core)"},
    {OPT_SEED, "seed", 0, LC_OPT_VALUE, "N", "seed for every random choice (reproducible runs)"},
    {OPT_SET, "set", 0, LC_OPT_VALUE, "NAME=VALUE", "override a scenario variable"},
    {OPT_SINGLE_USER, "single-user", 0, LC_OPT_OPTIONAL, "CLASS", "run one user and print each request"},
    {OPT_CSV, "csv", 0, LC_OPT_VALUE, "PREFIX", "write PREFIX_stats.csv and friends"},
    {OPT_CSV_FULL_HISTORY, "csv-full-history", 0, LC_OPT_FLAG, NULL, "history rows for every entry"},
    {OPT_HTML, "html", 0, LC_OPT_VALUE, "FILE", "write a self-contained HTML report"},
    {OPT_JSON, "json", 0, LC_OPT_VALUE, "FILE", "write the versioned JSON result"},
    {OPT_JUNIT, "junit", 0, LC_OPT_VALUE, "FILE", "write thresholds and checks as JUnit XML"},
    {OPT_ONLY_SUMMARY, "only-summary", 0, LC_OPT_FLAG, NULL, "print only the final summary"},
    {OPT_QUIET, "quiet", 'q', LC_OPT_FLAG, NULL, "print nothing but errors"},
    {OPT_EXIT_CODE_ON_ERROR, "exit-code-on-error", 0, LC_OPT_VALUE, "N", "exit code when requests failed (default 1)"},
    {OPT_LOGLEVEL, "loglevel", 'L', LC_OPT_VALUE, "LEVEL", "error, warning, info or debug"},
    LC_OPT_HELP_ENTRY,
    {0},
};

static int pending_run(const struct lc_command *self, int argc, char **argv) {
  char prog[32];
  struct lc_opts p;
  const char *v;
  int id;
  snprintf(prog, sizeof prog, "loadc %s", self->name);
  lc_opts_init(&p, prog, self->opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    if (id == LC_OPT_ERROR) return LC_EXIT_USAGE;
    if (id == LC_OPT_HELP) {
      lc_cli_usage(stdout, self);
      return LC_EXIT_OK;
    }
  }
  fprintf(stderr, "%s: not implemented yet in loadc %s\n", prog, LC_VERSION);
  return LC_EXIT_CANNOT;
}

const struct lc_command lc_cmd_run = {
    "run", pending_run, "run a scenario", "loadc run FILE [options]",
    "Runs the scenario headless and prints Locust's statistics table. Options override the\n"
    "scenario's `load:` and `output:` settings; LOADC_* environment variables mirror them.",
    run_opts,
};
