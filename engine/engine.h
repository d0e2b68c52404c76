/* engine.h: running a plan. A coordinator (the calling thread, its own libuv loop) drives the
 * load (users and spawn rate, stages, run time, iterations, stop timeout, signals) through
 * Locust's dispatcher, and N worker threads (one libuv loop each) run the users; once a second
 * the workers hand their statistics deltas to the coordinator, which merges them. */
#ifndef LC_ENGINE_ENGINE_H
#define LC_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/plan.h"
#include "engine/history.h"
#include "engine/stats.h"

/* A worker thread's health: is the generator itself the bottleneck? */
struct lc_worker_health {
  double cpu_last, cpu_max, cpu_mean;  /* thread CPU / wall per second, 0..1 */
  uint64_t seconds;                    /* seconds measured */
  uint64_t lag_p99_last_us;            /* timer lag p99 in the last second */
  uint64_t lag_p99_us, lag_max_us;     /* over the run (lag_p99_us: set at the end) */
  uint64_t wakeups;                    /* wake-ups measured (set at the end) */
};

/* What the per-second callback sees: the run so far, read-only, on the coordinator thread. */
struct lc_run_view {
  const struct lc_stats *totals;
  const struct lc_history *history;  /* its last row is the second that just ended */
  int64_t start_wall_us;
  int64_t elapsed_us;
  uint32_t users;
  bool final;                        /* the last call: the run is over */
  const struct lc_worker_health *health;  /* per worker, nworkers of them */
  unsigned nworkers;
};

/* What the command line may override of the plan's load, and how to run. A field is used only
 * when its has_ flag is set; otherwise the plan's value applies. */
struct lc_run_opts {
  const char *host;              /* --host: base URL for every class; NULL: the plan's */
  bool has_users, has_spawn_rate, has_run_time, has_iterations, has_stop_timeout;
  uint32_t users;
  double spawn_rate;
  int64_t run_time_us;
  uint64_t iterations;
  int64_t stop_timeout_us;
  bool reset_stats;              /* --reset-stats (or the plan's) */
  unsigned threads;              /* 0: one per core */
  bool has_seed;
  uint64_t seed;
  enum lc_client client;         /* --client: AUTO keeps each class's choice; CURL forces curl;
                                    FAST the fast client wherever its requests allow */
  const char *const *user_classes; /* --user-classes: spawn only these (NULL: all) */
  bool single_user;              /* --single-user: one user, a line per request on `out` */
  const char *single_user_class; /* its class, NULL: the first */
  FILE *out;                     /* single-user lines; NULL: stdout */
  /* called once a second, after the second's history row, and once at the end (final); a
   * nonzero return stops the run gracefully, as the first SIGINT does (abort_on_fail) */
  int (*on_second)(void *ctx, const struct lc_run_view *v);
  void *on_second_ctx;
};

/* What a run measured. The caller frees it with lc_run_result_release. */
struct lc_run_result {
  struct lc_stats *totals;       /* every request of the run (after --reset-stats: since it) */
  struct lc_history *history;    /* a row per second, and a last one at the end */
  bool stopped_by_callback;      /* on_second asked to stop */
  struct lc_worker_health *health;  /* per worker */
  unsigned nworkers;
  bool open_model;               /* load.arrival ran */
  struct lc_arrival_counts {
    uint64_t scheduled;          /* on the whole timeline */
    uint64_t started, dropped;   /* of those whose time came before the run stopped */
    uint64_t late;               /* started more than 1 ms after their time */
    struct lc_hist lateness;     /* start minus intended start, us, of every arrival */
  } arrivals;
  int64_t start_wall_us, end_wall_us;
  int64_t duration_us;           /* monotonic, from the first spawn to the end */
  uint32_t peak_users;
  bool interrupted;              /* stopped by SIGINT/SIGTERM */
  bool killed;                   /* a second signal stopped it at once */
  uint64_t task_runs;
};

/* Runs plan with o until the run time passes, the stages end, the iterations are used up,
 * every user stopped, or a signal arrives (the first stops gracefully within the stop timeout,
 * a second at once). Blocks. Returns 0 and fills *out (also after a signal: nothing measured is
 * lost), or a negative LC_E* code after logging why the run could not start. */
int lc_engine_run(const struct lc_plan *plan, const struct lc_run_opts *o,
                  struct lc_run_result *out);
void lc_run_result_release(struct lc_run_result *r);

#endif
