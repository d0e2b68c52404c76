/* cmd_run.c: `loadc run FILE`: compiles the scenario, runs it with the engine and prints the
 * summary. Locust-style options override the scenario's `load:`; exit codes as docs/cli.md. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cmd/cli.h"
#include "cmd/scenario.h"
#include "config/plan.h"
#include "config/units.h"
#include "engine/base/base.h"
#include "engine/engine.h"
#include "report/console.h"
#include "report/html.h"
#include "report/result.h"
#include "report/result_plan.h"

enum {
  OPT_USERS = 1, OPT_SPAWN_RATE, OPT_RUN_TIME, OPT_HOST,
  OPT_STOP_TIMEOUT, OPT_CSV, OPT_CSV_FULL_HISTORY, OPT_HTML, OPT_JSON, OPT_JUNIT,
  OPT_ONLY_SUMMARY, OPT_RESET_STATS, OPT_EXIT_CODE_ON_ERROR, OPT_ITERATIONS, OPT_USER_CLASSES,
  OPT_THREADS, OPT_SEED, OPT_SINGLE_USER, OPT_QUIET, OPT_LOGLEVEL,
};

static const struct lc_opt run_opts[] = {
    {OPT_USERS, "users", 'u', LC_OPT_VALUE, "N", "peak number of concurrent users"},
    {OPT_SPAWN_RATE, "spawn-rate", 'r', LC_OPT_VALUE, "RATE", "users started per second"},
    {OPT_RUN_TIME, "run-time", 't', LC_OPT_VALUE, "TIME", "stop after this long (90s, 5m, 1h30m)"},
    {OPT_HOST, "host", 'H', LC_OPT_VALUE, "URL", "base URL of the target"},
    {LC_OPT_TAGS, "tags", 'T', LC_OPT_VALUE, "TAGS", "only tasks with one of these tags (a,b)"},
    {LC_OPT_EXCLUDE_TAGS, "exclude-tags", 'E', LC_OPT_VALUE, "TAGS", "drop tasks with these tags"},
    {OPT_STOP_TIMEOUT, "stop-timeout", 's', LC_OPT_VALUE, "TIME", "time for running tasks to finish on stop"},
    {OPT_ITERATIONS, "iterations", 'i', LC_OPT_VALUE, "N", "stop after N task runs in all"},
    {OPT_USER_CLASSES, "user-classes", 0, LC_OPT_VALUE, "A,B", "spawn only these user classes"},
    {OPT_RESET_STATS, "reset-stats", 0, LC_OPT_FLAG, NULL, "reset statistics when spawning completes"},
    {OPT_THREADS, "threads", 0, LC_OPT_VALUE, "N", "worker threads (default: one per core)"},
    {OPT_SEED, "seed", 0, LC_OPT_VALUE, "N", "seed for every random choice (reproducible runs)"},
    {LC_OPT_SET, "set", 0, LC_OPT_VALUE, "NAME=VALUE", "override a scenario variable"},
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

static int bad_value(const char *opt, const char *why) {
  fprintf(stderr, "loadc run: option '--%s': %s\n", opt, why);
  return LC_EXIT_USAGE;
}

static int parse_time(const char *opt, const char *v, int64_t *out) {
  struct lc_unit_error err;
  if (lc_parse_duration(v, strlen(v), out, &err) != 0) return bad_value(opt, err.message);
  return 0;
}

/* Options that the engine does not write yet are refused rather than ignored. */
static int not_yet(const char *opt) {
  fprintf(stderr, "loadc run: option '--%s' is not implemented in this version yet\n", opt);
  return LC_EXIT_CANNOT;
}

/* Each user holds a connection: raise the soft limit on open files to the hard one, as Locust
 * and `loadc serve` do, so that a few thousand users do not fail with "too many open files". */
static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) lc_log(LC_LOG_DEBUG, "could not raise the open-files limit");
  }
}

/* What the run's per-second callback drives (the live outputs). */
struct live {
  const struct lc_plan *plan;
};

static int on_second(void *ctx, const struct lc_run_view *v) {
  struct live *lv = ctx;
  (void)lv;
  (void)v;
  return 0;
}

/* The options as given, for the result's metadata (values of --set may be secrets: left out). */
static char *command_line(int argc, char **argv) {
  struct lc_buf b;
  lc_buf_init(&b, 64 * 1024);
  lc_buf_append(&b, "loadc run", 9);
  for (int i = 1; i < argc; i++) {
    bool hide = i > 1 && strcmp(argv[i - 1], "--set") == 0;
    const char *a = hide ? "NAME=(hidden)" : argv[i];
    if (strncmp(argv[i], "--set=", 6) == 0) a = "--set=(hidden)";
    lc_buf_append(&b, " ", 1);
    lc_buf_append(&b, a, strlen(a));
  }
  char *out = lc_xstrdup(b.data ? b.data : "loadc run");
  lc_buf_release(&b);
  return out;
}

static int run_run(const struct lc_command *self, int argc, char **argv) {
  struct lc_scenario_opts so;
  memset(&so, 0, sizeof so);
  struct lc_run_opts ro;
  memset(&ro, 0, sizeof ro);
  char **user_classes = NULL;
  const char *file = NULL, *html = NULL;
  bool quiet = false, only_summary = false;
  long long exit_on_error = 1, n;
  int rc = LC_EXIT_OK;
  struct lc_opts p;
  const char *v;
  int id;
  lc_opts_init(&p, "loadc run", self->opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    if (lc_scenario_opts_take(&so, id, v)) continue;
    switch (id) {
    case OPT_USERS:
      if (lc_opts_int(&p, "users", v, 0, 10000000, &n) < 0) goto usage;
      ro.users = (uint32_t)n;
      ro.has_users = true;
      break;
    case OPT_SPAWN_RATE: {
      struct lc_unit_error err;
      if (lc_parse_rate(v, strlen(v), &ro.spawn_rate, &err) != 0 || ro.spawn_rate <= 0) {
        rc = bad_value("spawn-rate", "expected a rate above 0, like 10 or 0.5");
        goto out;
      }
      ro.has_spawn_rate = true;
      break;
    }
    case OPT_RUN_TIME:
      if ((rc = parse_time("run-time", v, &ro.run_time_us)) != 0) goto out;
      ro.has_run_time = true;
      break;
    case OPT_STOP_TIMEOUT:
      if ((rc = parse_time("stop-timeout", v, &ro.stop_timeout_us)) != 0) goto out;
      ro.has_stop_timeout = true;
      break;
    case OPT_HOST:
      if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
        rc = bad_value("host", "expected a URL starting with http:// or https://");
        goto out;
      }
      ro.host = v;
      break;
    case OPT_ITERATIONS:
      if (lc_opts_int(&p, "iterations", v, 0, INT64_MAX, &n) < 0) goto usage;
      ro.iterations = (uint64_t)n;
      ro.has_iterations = true;
      break;
    case OPT_USER_CLASSES: lc_strv_free(user_classes); user_classes = lc_split_list(v); break;
    case OPT_RESET_STATS: ro.reset_stats = true; break;
    case OPT_THREADS:
      if (lc_opts_int(&p, "threads", v, 1, 1024, &n) < 0) goto usage;
      ro.threads = (unsigned)n;
      break;
    case OPT_SEED:
      if (lc_opts_int(&p, "seed", v, 0, INT64_MAX, &n) < 0) goto usage;
      ro.seed = (uint64_t)n;
      ro.has_seed = true;
      break;
    case OPT_SINGLE_USER:
      ro.single_user = true;
      ro.single_user_class = v;
      break;
    case OPT_ONLY_SUMMARY: only_summary = true; break;
    case OPT_QUIET: quiet = true; break;
    case OPT_EXIT_CODE_ON_ERROR:
      if (lc_opts_int(&p, "exit-code-on-error", v, 0, 255, &exit_on_error) < 0) goto usage;
      break;
    case OPT_LOGLEVEL:
      if (strcmp(v, "error") == 0) lc_log_set_level(LC_LOG_ERROR);
      else if (strcmp(v, "warning") == 0) lc_log_set_level(LC_LOG_WARN);
      else if (strcmp(v, "info") == 0) lc_log_set_level(LC_LOG_INFO);
      else if (strcmp(v, "debug") == 0) lc_log_set_level(LC_LOG_DEBUG);
      else {
        rc = bad_value("loglevel", "expected error, warning, info or debug");
        goto out;
      }
      break;
    case OPT_CSV: rc = not_yet("csv"); goto out;
    case OPT_CSV_FULL_HISTORY: rc = not_yet("csv-full-history"); goto out;
    case OPT_HTML: html = v; break;
    case OPT_JSON: rc = not_yet("json"); goto out;
    case OPT_JUNIT: rc = not_yet("junit"); goto out;
    case LC_OPT_HELP: lc_cli_usage(stdout, self); goto out;
    case LC_OPT_POSITIONAL:
      if (file) {
        fprintf(stderr, "loadc run: one scenario at a time ('%s' and '%s')\n", file, v);
        goto usage;
      }
      file = v;
      break;
    default: goto usage;
    }
  }
  if (!file) {
    fprintf(stderr, "loadc run: no scenario file given\nusage: %s\n", self->synopsis);
    goto usage;
  }

  struct lc_diags *d = lc_diags_new(0);
  struct lc_plan *plan = lc_scenario_compile(file, &so, d);
  lc_diags_sort(d);
  lc_diags_print(d, stderr, LC_DIAG_TEXT);
  lc_diags_free(d);
  if (!plan) {
    rc = LC_EXIT_USAGE;
    goto out;
  }
  if (ro.single_user && ro.single_user_class) {
    bool found = false;
    for (size_t i = 0; i < plan->nclasses; i++)
      if (strcmp(plan->classes[i].name, ro.single_user_class) == 0) found = true;
    if (!found) {
      fprintf(stderr, "loadc run: --single-user: no user class '%s'\n", ro.single_user_class);
      lc_plan_free(plan);
      goto usage;
    }
  }
  bool no_host = false;
  for (size_t i = 0; i < plan->nclasses; i++)
    if (!ro.host && !plan->classes[i].host && !plan->host) no_host = true;
  if (no_host) {
    fprintf(stderr, "loadc run: no host: give 'host:' in the scenario or --host URL\n");
    lc_plan_free(plan);
    goto usage;
  }
  /* outputs: the command line wins over `output:`; an unwritable path stops us before the run */
  if (!html) html = plan->output.html;
  char werr[512];
  if (html && lc_report_html_check(html, werr, sizeof werr) != 0) {
    fprintf(stderr, "loadc run: --html: %s\n", werr);
    lc_plan_free(plan);
    rc = LC_EXIT_CANNOT;
    goto out;
  }
  ro.user_classes = (const char *const *)user_classes;
  ro.progress = quiet || only_summary || ro.single_user ? NULL : stderr;
  lc_plan_jit(plan);
  raise_nofile();

  struct live lv = {plan};
  ro.on_second = on_second;
  ro.on_second_ctx = &lv;

  struct lc_run_result run;
  if (lc_engine_run(plan, &ro, &run) != 0) {
    lc_plan_free(plan);
    rc = LC_EXIT_CANNOT;
    goto out;
  }
  struct lc_result res;
  memset(&res, 0, sizeof res);
  char *cmdline = command_line(argc, argv), *libs = lc_cli_library_versions();
  res.scenario_file = plan->file;
  res.scenario_name = plan->name;
  res.host = ro.host ? ro.host : plan->host;
  res.command_line = cmdline;
  res.loadc_version = LC_VERSION;
  res.library_versions = libs;
  res.start_wall_us = run.start_wall_us;
  res.end_wall_us = run.end_wall_us;
  res.duration_us = run.duration_us;
  res.peak_users = run.peak_users;
  res.end = run.killed ? LC_END_KILLED : run.interrupted ? LC_END_INTERRUPTED
            : run.stopped_by_callback ? LC_END_ABORTED : LC_END_COMPLETED;
  res.totals = run.totals;
  res.history = run.history;
  res.thresholds_passed = true;
  lc_result_classes_from_plan(plan, &res.classes, &res.nclasses);
  res.saturated = lc_result_saturated(res.workers, res.nworkers);

  if (!quiet && !ro.single_user)
    lc_report_console_summary(stdout, res.totals, (double)res.duration_us / 1e6);
  const struct lc_stats_entry *tot = lc_stats_total(res.totals);
  /* Locust's rule without thresholds: any failed request or error inside a user fails the run */
  if (tot->num_failures > 0 || lc_stats_user_error_count(res.totals) > 0) rc = (int)exit_on_error;
  if (html && lc_report_html_write(html, &res, werr, sizeof werr) != 0) {
    fprintf(stderr, "loadc run: --html: %s\n", werr);
    rc = LC_EXIT_CANNOT;
  }
  lc_result_classes_free(res.classes, res.nclasses);
  free(cmdline);
  free(libs);
  lc_run_result_release(&run);
  lc_plan_free(plan);
  goto out;
usage:
  rc = LC_EXIT_USAGE;
out:
  lc_strv_free(user_classes);
  lc_scenario_opts_release(&so);
  return rc;
}

const struct lc_command lc_cmd_run = {
    "run",
    run_run,
    "run a scenario",
    "loadc run FILE [options]",
    "Runs the scenario headless and prints Locust's statistics table. Options override the\n"
    "scenario's `load:` settings. Exit 0 when no request failed, 1 (or --exit-code-on-error)\n"
    "when one did, 2 on a usage or scenario error, 3 when the run could not be carried out.",
    run_opts,
};
