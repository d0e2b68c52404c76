/* result.h: what every report writer reads: one run's results. `loadc run` fills it from the
 * engine (report/result.c: lc_result_from_run), `loadc report` from a JSON result
 * (report/json.h: lc_report_json_load); the writers (console, CSV, JSON, HTML, JUnit) take it
 * read-only and never reach into the engine or the plan, so a re-rendered report equals the
 * one written by the run.
 *
 * Times: wall clock in microseconds since the epoch, durations in microseconds. */
#ifndef LC_REPORT_RESULT_H
#define LC_REPORT_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/history.h"
#include "engine/stats.h"

#define LC_RESULT_FORMAT_VERSION 1

enum lc_result_end {
  LC_END_COMPLETED,    /* run time, stages, iterations or every user stopped */
  LC_END_INTERRUPTED,  /* the first SIGINT/SIGTERM: stopped gracefully */
  LC_END_KILLED,       /* a second signal: stopped at once */
  LC_END_ABORTED,      /* a threshold with abort_on_fail failed */
};

/* One threshold and its outcome. */
struct lc_threshold_result {
  const char *source;       /* as written in the scenario ("p95 < 500ms") */
  const char *metric;       /* its metric as written: "p95", "error_rate", "rps", ... */
  const char *filter;       /* "name=/items/[id]", "method=POST", "tag=api", or NULL */
  const char *op;           /* "<", "<=", ">", ">=", "==", "!=" */
  double limit;             /* in `unit` */
  double measured;          /* in `unit`; NaN when nothing was measured (no request matched) */
  const char *unit;         /* "ms" for durations, "%" for percentages, "" for plain numbers */
  bool passed;              /* false also when nothing was measured */
  bool abort_on_fail;
  bool aborted_run;         /* this one stopped the run */
  bool skipped;             /* not measured by design: passed stays true (no metric uses it now) */
  const char *note;         /* why it was not measured or skipped, or NULL */
};

/* A user class of the scenario and its tasks, for the report's "classes and task shares". */
struct lc_result_task {
  const char *name;
  double share;             /* probability of a pick in its class, 0..1 */
};
struct lc_result_class {
  const char *name;
  uint32_t weight;          /* 0 with fixed_count */
  uint32_t fixed_count;
  double share;             /* its share of the users, 0..1 */
  struct lc_result_task *tasks;
  size_t ntasks;
};

/* Generator health, per worker thread. */
struct lc_result_worker {
  double cpu_max;           /* highest CPU use over one second, 0..1 (1 = one whole core) */
  double cpu_mean;
  uint64_t lag_p99_us;      /* scheduler lag: a timer's run time minus its due time */
  uint64_t lag_max_us;
};

struct lc_result {
  /* the run */
  const char *scenario_file, *scenario_name;
  const char *host;                /* NULL when classes have hosts of their own */
  const char *command_line;        /* the options as given, secrets not included */
  const char *loadc_version;
  const char *library_versions;    /* "libcurl/7.88.1 OpenSSL/3.0 libuv/1.44.2 ..." */
  int64_t start_wall_us, end_wall_us, duration_us;
  uint32_t peak_users;
  enum lc_result_end end;
  /* what was measured */
  const struct lc_stats *totals;
  const struct lc_history *history;
  /* judgements */
  struct lc_threshold_result *thresholds;
  size_t nthresholds;
  bool thresholds_passed;          /* every threshold passed (true when there are none) */
  /* the scenario */
  struct lc_result_class *classes;
  size_t nclasses;
  /* the open model (load.arrival) */
  bool open_model;
  struct lc_result_arrivals {
    uint64_t scheduled, started, dropped, late;
    uint32_t max_users;
    uint64_t lateness_p99_us, lateness_max_us;
  } arrivals;
  /* the generator */
  struct lc_result_worker *workers;
  size_t nworkers;
  bool saturated;                  /* a worker's cpu_max > 0.9 or lag_p99_us > 10 ms */
};

/* The saturation rule (issue 6/7): true when any worker's CPU went over 90 % in a second or its
 * scheduler lag p99 is over 10 ms. */
bool lc_result_saturated(const struct lc_result_worker *w, size_t n);

/* The name of an `end` value as the JSON result spells it ("completed", "interrupted",
 * "killed", "aborted"), and back (-1 for an unknown name). */
const char *lc_result_end_name(enum lc_result_end end);
int lc_result_end_parse(const char *name);

#endif
