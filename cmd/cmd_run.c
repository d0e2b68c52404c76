/* cmd_run.c: `loadc run FILE`: compiles the scenario, runs it with the engine and prints the
 * summary. Locust-style options override the scenario's `load:`; exit codes as docs/cli.md. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/scenario.h"
#include "config/plan.h"
#include "config/units.h"
#include "engine/base/base.h"
#include "engine/engine.h"
#include "report/console.h"
#include "report/csv.h"
#include "report/junit.h"
#include "report/json.h"
#include "report/html.h"
#include "report/result.h"
#include "report/result_plan.h"
#include "report/thresholds.h"

enum {
  OPT_USERS = 1, OPT_SPAWN_RATE, OPT_RUN_TIME, OPT_HOST,
  OPT_STOP_TIMEOUT, OPT_CSV, OPT_CSV_FULL_HISTORY, OPT_HTML, OPT_JSON, OPT_JUNIT,
  OPT_ONLY_SUMMARY, OPT_RESET_STATS, OPT_EXIT_CODE_ON_ERROR, OPT_ITERATIONS, OPT_USER_CLASSES,
  OPT_THREADS, OPT_SEED, OPT_SINGLE_USER, OPT_QUIET, OPT_LOGLEVEL, OPT_CLIENT,
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
    {OPT_CLIENT, "client", 0, LC_OPT_VALUE, "C", "HTTP client for every class: auto, fast or curl"},
    {LC_OPT_SET, "set", 0, LC_OPT_VALUE, "NAME=VALUE", "override a scenario variable"},
    {OPT_SINGLE_USER, "single-user", 0, LC_OPT_OPTIONAL, "CLASS", "run one user and print each request"},
    {OPT_CSV, "csv", 0, LC_OPT_VALUE, "PREFIX", "write PREFIX_stats.csv and friends"},
    {OPT_CSV_FULL_HISTORY, "csv-full-history", 0, LC_OPT_FLAG, NULL, "history rows for every entry"},
    {OPT_HTML, "html", 0, LC_OPT_VALUE, "FILE", "write a self-contained HTML report"},
    {OPT_JSON, "json", 0, LC_OPT_VALUE, "FILE", "write the versioned JSON result"},
    {OPT_JUNIT, "junit", 0, LC_OPT_VALUE, "FILE", "write thresholds and checks as JUnit XML"},
    {OPT_ONLY_SUMMARY, "only-summary", 0, LC_OPT_FLAG, NULL, "print only the final summary"},
    {OPT_QUIET, "quiet", 'q', LC_OPT_FLAG, NULL, "print nothing but errors"},
    {OPT_EXIT_CODE_ON_ERROR, "exit-code-on-error", 0, LC_OPT_VALUE, "N", "exit code when the run fails its criteria (default 1)"},
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

/* Each user holds a connection: raise the soft limit on open files to the hard one, as Locust
 * and `loadc serve` do, so that a few thousand users do not fail with "too many open files".
 * When even that is too low for `users` (a connection each, and a few dozen descriptors of
 * loadc's own), say so once before the run: the requests would fail one by one otherwise. */
static void raise_nofile(uint64_t users) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) lc_log(LC_LOG_DEBUG, "could not raise the open-files limit");
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  }
  if (rl.rlim_cur != RLIM_INFINITY && users + 32 > (uint64_t)rl.rlim_cur)
    lc_log(LC_LOG_WARN, "the open-files limit (%llu) is too low for %llu users (one "
           "connection each): raise it with `ulimit -n`", (unsigned long long)rl.rlim_cur,
           (unsigned long long)users);
}

/* What the run's per-second callback drives (the live outputs). */
struct live {
  const struct lc_plan *plan;
  bool table;            /* Locust's table every 2 s on stderr */
  bool status;           /* a status line on stderr (a terminal) */
  bool color;
  bool warnings;         /* live warnings (saturation) */
  int width;
  int64_t run_time_us;   /* 0: unknown */
  uint64_t seconds;
  bool warned_saturation;
  struct lc_report_csv *csv;  /* --csv: rewritten every second; NULL without */
  bool csv_warned;            /* a failed rewrite is reported once; the final write decides */
  const struct lc_threshold_index *ix;
  /* abort_on_fail: the threshold that stopped the run (-1: none) and its outcome then */
  long aborted;
  struct lc_threshold_result abort_result;
};

static int terminal_width(void) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

static int on_second(void *ctx, const struct lc_run_view *v) {
  struct live *lv = ctx;
  char err[512];
  if (lv->csv && !v->final &&
      lc_report_csv_update(lv->csv, v->totals, v->history, v->elapsed_us, err, sizeof err) != 0 &&
      !lv->csv_warned) {
    lc_log(LC_LOG_WARN, "%s", err);
    lv->csv_warned = true;
  }
  if (v->final) {
    if (lv->status && lv->seconds) lc_report_console_status_clear(stderr);
    return 0;
  }
  lv->seconds++;
  for (unsigned i = 0; lv->warnings && !lv->warned_saturation && i < v->nworkers; i++) {
    const struct lc_worker_health *h = &v->health[i];
    if (h->cpu_last <= 0.9 && h->lag_p99_last_us <= 10000) continue;
    lv->warned_saturation = true;
    if (lv->status) lc_report_console_status_clear(stderr);
    lc_log(LC_LOG_WARN, "worker %u is saturated (CPU %.0f %% of a core, timer lag p99 %.1f ms): "
                        "results measure loadc as much as the target", i + 1,
           100.0 * h->cpu_last, (double)h->lag_p99_last_us / 1000.0);
  }
  if (lv->table && lv->seconds % 2 == 0) {
    if (lv->status) lc_report_console_status_clear(stderr);
    lc_report_console_table(stderr, v->totals, v->history, (double)v->elapsed_us / 1e6);
    fputc('\n', stderr);
  }
  if (lv->status) {
    const struct lc_stats_entry *tot = lc_stats_total(v->totals);
    struct lc_console_status st = {v->elapsed_us, lv->run_time_us, v->users, 0, 0};
    size_t rows = lc_history_row_count(v->history);
    if (rows) {
      const struct lc_history_row *row = lc_history_row_at(v->history, rows - 1);
      st.rps = lc_history_point_at(v->history, row->first)->rps;
    }
    if (tot->num_requests) st.fail_ratio = (double)tot->num_failures / (double)tot->num_requests;
    lc_report_console_status(stderr, &st, lv->color, lv->width);
  }
  if (lv->aborted >= 0) return 0;
  for (size_t i = 0; i < lv->plan->nthresholds; i++) {
    const struct lc_threshold *t = &lv->plan->thresholds[i];
    if (!t->abort_on_fail || v->elapsed_us < t->delay_us) continue;
    struct lc_threshold_result r;
    lc_threshold_eval(lv->ix, t, v->totals, v->elapsed_us, &r);
    if (r.passed) {
      lc_threshold_result_release(&r);
      continue;
    }
    char measured[64];
    lc_threshold_format(measured, sizeof measured, r.measured, r.unit);
    fprintf(stderr, "loadc run: threshold '%s' failed at %.0fs (measured %s%s%s): stopping the run\n",
            t->source, (double)v->elapsed_us / 1e6, measured, r.note ? ", " : "",
            r.note ? r.note : "");
    r.aborted_run = true;
    lv->abort_result = r;
    lv->aborted = (long)i;
    return 1;
  }
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
  const char *file = NULL, *json_path = NULL, *html = NULL;
  bool quiet = false, only_summary = false;
  const char *csv = NULL;
  bool csv_full_history = false;
  const char *junit = NULL;
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
    case OPT_CLIENT:
      if (strcmp(v, "auto") == 0) ro.client = LC_CLIENT_AUTO;
      else if (strcmp(v, "fast") == 0) ro.client = LC_CLIENT_FAST;
      else if (strcmp(v, "curl") == 0) ro.client = LC_CLIENT_CURL;
      else {
        rc = bad_value("client", "expected auto, fast or curl");
        goto out;
      }
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
    case OPT_CSV: csv = v; break;
    case OPT_CSV_FULL_HISTORY: csv_full_history = true; break;
    case OPT_HTML: html = v; break;
    case OPT_JSON: json_path = v; break;
    case OPT_JUNIT: junit = v; break;
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
  if (!junit) junit = plan->output.junit;
  char perr[512];
  if (junit && lc_report_junit_prepare(junit, perr, sizeof perr) != 0) {
    fprintf(stderr, "loadc run: JUnit report: %s\n", perr);
    lc_plan_free(plan);
    rc = LC_EXIT_CANNOT;
    goto out;
  }
  /* the JSON result: --json wins over the scenario's output.json; checked before the run */
  if (!json_path) json_path = plan->output.json;
  if (json_path) {
    char err[512];
    if (lc_report_check_writable(json_path, err, sizeof err) != 0) {
      fprintf(stderr, "loadc run: --json: %s\n", err);
      lc_plan_free(plan);
      rc = LC_EXIT_CANNOT;
      goto out;
    }
  }
  for (size_t i = 0; ro.client == LC_CLIENT_FAST && i < plan->nclasses; i++)
    if (!plan->classes[i].fast_ok)
      lc_log(LC_LOG_WARN, "--client fast: class '%s' keeps curl (%s)", plan->classes[i].name,
             plan->classes[i].client_reason);
  if (plan->insecure.file)
    lc_log(LC_LOG_WARN, "TLS certificate verification is off (verify_tls: false at %s:%u): the "
                        "target's identity is not checked", plan->insecure.file, plan->insecure.line);
  ro.user_classes = (const char *const *)user_classes;
  lc_plan_jit(plan);
  uint64_t peak = ro.has_users ? ro.users : plan->load.users;
  for (size_t i = 0; !ro.has_users && i < plan->load.nstages; i++)
    if (plan->load.stages[i].users > peak) peak = plan->load.stages[i].users;
  if (plan->load.model == LC_LOAD_ARRIVAL && plan->load.max_users > peak)
    peak = plan->load.max_users;
  raise_nofile(peak);

  struct live lv = {.plan = plan};
  bool tty = isatty(STDERR_FILENO);
  const char *no_color = getenv("NO_COLOR");
  lv.table = !quiet && !only_summary && !ro.single_user;
  lv.status = lv.table && tty;
  lv.color = tty && !(no_color && *no_color);
  lv.warnings = !quiet;
  lv.width = tty ? terminal_width() : 80;
  lv.run_time_us = ro.has_run_time ? ro.run_time_us : plan->load.run_time_us;
  struct lc_threshold_index *ix = lc_threshold_index_new(plan);
  lv.ix = ix;
  lv.aborted = -1;
  ro.on_second = on_second;
  ro.on_second_ctx = &lv;
  /* the command line wins over the scenario's output:; paths relative to the working directory */
  if (!csv) csv = plan->output.csv;
  csv_full_history = csv_full_history || plan->output.csv_full_history;
  char csv_err[512];
  if (csv && lc_report_csv_open(&lv.csv, csv, csv_full_history, csv_err, sizeof csv_err) != 0) {
    fprintf(stderr, "loadc run: %s\n", csv_err);
    lc_threshold_index_free(ix);
    lc_plan_free(plan);
    rc = LC_EXIT_CANNOT;
    goto out;
  }

  struct lc_run_result run;
  if (lc_engine_run(plan, &ro, &run) != 0) {
    lc_report_csv_free(lv.csv);
    lc_threshold_index_free(ix);
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
  res.thresholds = lc_thresholds_eval(ix, plan->thresholds, plan->nthresholds, res.totals,
                                      res.duration_us, &res.thresholds_passed);
  res.nthresholds = plan->nthresholds;
  if (lv.aborted >= 0) {
    /* the threshold that stopped the run failed then, whatever the totals say at the end */
    lc_threshold_result_release(&res.thresholds[lv.aborted]);
    res.thresholds[lv.aborted] = lv.abort_result;
    res.thresholds_passed = false;
  }
  lc_result_classes_from_plan(plan, &res.classes, &res.nclasses);
  res.nworkers = run.nworkers;
  res.workers = lc_xcalloc(run.nworkers ? run.nworkers : 1, sizeof *res.workers);
  for (unsigned i = 0; i < run.nworkers; i++)
    res.workers[i] = (struct lc_result_worker){run.health[i].cpu_max, run.health[i].cpu_mean,
                                               run.health[i].lag_p99_us, run.health[i].lag_max_us};
  res.saturated = lc_result_saturated(res.workers, res.nworkers);
  res.open_model = run.open_model;
  if (run.open_model) {
    res.arrivals = (struct lc_result_arrivals){run.arrivals.scheduled, run.arrivals.started,
                                               run.arrivals.dropped, run.arrivals.late,
                                               plan->load.max_users,
                                               lc_hist_percentile(&run.arrivals.lateness, 0.99),
                                               run.arrivals.lateness.count ? run.arrivals.lateness.max : 0};
  }
  /* the files first (every one of them, also after Ctrl-C), then the summary and the verdict */
  bool write_failed = false;
  if (lv.csv && lc_report_csv_finish(lv.csv, &res, csv_err, sizeof csv_err) != 0) {
    fprintf(stderr, "loadc run: %s\n", csv_err);
    write_failed = true;
  }
  lc_report_csv_free(lv.csv);
  if (json_path) {
    char err[512];
    if (lc_report_json_write(json_path, &res, err, sizeof err) != 0) {
      fprintf(stderr, "loadc run: %s\n", err);
      write_failed = true;
    }
  }
  if (html && lc_report_html_write(html, &res, werr, sizeof werr) != 0) {
    fprintf(stderr, "loadc run: --html: %s\n", werr);
    write_failed = true;
  }
  if (junit && lc_report_junit_write(junit, &res, perr, sizeof perr) != 0) {
    fprintf(stderr, "loadc run: JUnit report: %s\n", perr);
    write_failed = true;
  }

  if (!quiet && !ro.single_user) {
    lc_report_console_summary(stdout, &res);
    lc_report_console_thresholds(stdout, &res);
  }
  const struct lc_stats_entry *tot = lc_stats_total(res.totals);
  if (res.nthresholds > 0) {
    /* with thresholds, they alone judge the run */
    if (!res.thresholds_passed) rc = (int)exit_on_error;
  } else if (tot->num_failures > 0 || lc_stats_user_error_count(res.totals) > 0) {
    /* Locust's rule without thresholds: any failed request or error inside a user fails it */
    rc = (int)exit_on_error;
  }
  if (write_failed) rc = LC_EXIT_CANNOT;
  lc_threshold_results_free(res.thresholds, res.nthresholds);
  lc_threshold_index_free(ix);
  lc_result_classes_free(res.classes, res.nclasses);
  free(res.workers);
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
    "scenario's `load:` settings. Exit 0 when every threshold passed (without thresholds: when\n"
    "no request failed), 1 (or --exit-code-on-error) when not, 2 on a usage or scenario error,\n"
    "3 when the run could not be carried out (an output file could not be written).",
    run_opts,
};
