/* engine.c: the coordinator and its workers (engine.h). The coordinator owns the dispatcher,
 * the timers of the load (spawn steps, stages, run time, stop timeout, stats every second) and
 * the signals; it talks to each worker through a locked command queue and uv_async, and the
 * workers answer through the coordinator's queue the same way. A worker owns its users (in
 * per-class lists, most recent first, for Locust's LIFO ramp-down), one timer heap for all of
 * their wake-ups, an HTTP client, and a statistics shard. No locks on a request's path. */
#include "engine/engine.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "engine/arrival.h"
#include "engine/base/base.h"
#include "engine/dispatch.h"
#include "engine/feeder.h"
#include "engine/http.h"
#include "engine/http_fast.h"
#include "engine/render.h"
#include "engine/redact.h"
#include "engine/request.h"
#include "engine/rng.h"
#include "engine/user.h"

/* ---- messages ---- */

enum cmd_kind {
  CMD_SPAWN,       /* start a user of class_index with id */
  CMD_STOP_ONE,    /* stop the most recent user of class_index (graceful) */
  CMD_STOP_ALL,    /* stop every user; force as given */
  CMD_ABORT,       /* drop every user now, without on_stop */
  CMD_STATS,       /* hand the statistics delta over (into shard, which the worker keeps) */
  CMD_RESET,       /* zero the statistics (reset_stats), epoch as given */
  CMD_QUIT,        /* hand the last delta over and end the loop */
  CMD_SCRIPT,      /* run setup (force false) or teardown (force true) on this worker */
  CMD_ARRIVALS,    /* start taking arrivals of the open model; t0: the timeline's start */
};

struct cmd {
  enum cmd_kind kind;
  size_t class_index;
  uint64_t id;
  bool force;
  unsigned epoch;
  struct lc_stats *shard;
  int64_t t0;
};

enum note_kind {
  NOTE_DELTA,      /* a statistics delta (shard), from epoch */
  NOTE_STOPPED,    /* a user of class_index stopped by itself or was stopped */
  NOTE_EMPTY,      /* the worker has no user left after a stop-all */
  NOTE_FINAL,      /* the last delta; the worker's loop is ending */
  NOTE_SCRIPT,     /* setup or teardown has finished */
  NOTE_STOP_TEST,  /* a unique feeder ran out with on_exhausted: stop_test */
};

struct note {
  enum note_kind kind;
  unsigned worker;
  size_t class_index;
  unsigned epoch;
  struct lc_stats *shard;
  /* with a delta: the worker's health since its previous delta */
  double cpu;              /* thread CPU time / wall time */
  uint64_t lag_p99_us, lag_max_us;
  uint32_t arrival_alive;  /* open model: arrival users running now */
  uint64_t dropped;        /* open model: arrivals dropped so far */
};

/* A queue guarded by a mutex; the receiving loop is woken by an async handle. */
struct queue {
  uv_mutex_t lock;
  void *items;
  size_t n, cap, size;
};

static void queue_init(struct queue *q, size_t size) {
  uv_mutex_init(&q->lock);
  q->items = NULL;
  q->n = q->cap = 0;
  q->size = size;
}

static void queue_release(struct queue *q) {
  free(q->items);
  uv_mutex_destroy(&q->lock);
}

static void queue_push(struct queue *q, const void *item, uv_async_t *wake) {
  uv_mutex_lock(&q->lock);
  if (q->n == q->cap) {
    q->cap = q->cap ? q->cap * 2 : 64;
    q->items = lc_xrealloc(q->items, q->cap * q->size);
  }
  memcpy((char *)q->items + q->n * q->size, item, q->size);
  q->n++;
  uv_mutex_unlock(&q->lock);
  uv_async_send(wake);
}

/* Takes every queued item: returns a heap array of *n items (free it), or NULL. */
static void *queue_take(struct queue *q, size_t *n) {
  uv_mutex_lock(&q->lock);
  void *items = q->items;
  *n = q->n;
  q->items = NULL;
  q->n = q->cap = 0;
  uv_mutex_unlock(&q->lock);
  return items;
}

struct engine;

/* ---- workers ---- */

struct worker {
  struct engine *e;
  unsigned index;
  uv_thread_t thread;
  uv_loop_t loop;
  uv_async_t async;
  uv_timer_t timer;      /* the earliest wake-up of the heap */
  uv_check_t reaper;     /* frees users that stopped, after the callbacks that stopped them */
  struct queue inbox;
  struct lc_http_client *http;
  struct lc_fast_client *fast;  /* when a class uses the fast client */
  struct lc_stats *stats;
  struct lc_user_hooks hooks;
  struct lc_user **heap; /* wake-ups, by links.due_us */
  size_t nheap, capheap;
  struct lc_user **by_class;  /* per class: most recent user first (links.next) */
  struct lc_user *dead;       /* stopped users waiting for the reaper */
  struct lc_user *script;     /* a running setup or teardown */
  /* users stopped gracefully by a ramp-down, to kill when stop_timeout passes (Locust) */
  struct kill { struct lc_user *u; int64_t due_us; } *kills;
  size_t nkills, capkills;
  uv_timer_t kill_timer;
  size_t alive;
  bool stopping;         /* a stop-all came: report NOTE_EMPTY when alive reaches 0 */
  bool quitting;
  bool empty_sent;       /* NOTE_EMPTY went out: at most once, or the coordinator miscounts */
  int64_t armed_us;      /* what the uv timer is set for, 0 when idle */
  /* health: timer lag (run time - due time of each wake-up) and CPU use */
  struct lc_hist lag, lag_second;
  int64_t cpu_mark_us, wall_mark_us;
  /* the open model: this worker takes arrivals k = index, index + nworkers, ... */
  uv_timer_t arrival_timer;
  /* commands not run yet (see run_cmds) */
  struct cmd *backlog;
  size_t nbacklog, capbacklog, backlog_pos;
  uv_idle_t resume;
  bool arrivals_on;
  uint64_t next_k;
  int64_t t0_us, next_due_us;  /* monotonic; next_due_us LC_ARRIVAL_END when none is left */
  uint32_t arrival_cap, arrival_alive;
  uint64_t arrivals_started, arrivals_dropped, arrivals_late;
  struct lc_hist lateness;
  struct lc_rng rng;           /* class picks of arrivals */
};

/* ---- the coordinator ---- */

struct engine {
  const struct lc_plan *plan;
  struct lc_run_opts o;
  uv_loop_t loop;
  uv_async_t async;
  uv_timer_t step_timer, stats_timer, run_timer, stop_timer, shape_timer;
  uv_signal_t sigint, sigterm;
  struct queue inbox;
  struct worker *workers;
  unsigned nworkers;
  struct lc_dispatch *dispatch;
  struct lc_shape shape;
  bool use_shape;
  const struct lc_user_class *classes;  /* the classes users are made of (the plan's) */
  size_t nclasses;
  const char **class_hosts;             /* base URL per class */
  bool *class_fast;                     /* per class: its users use the fast client */
  bool any_fast;
  unsigned response_keep;
  struct lc_stats *totals;
  struct lc_stats *second;              /* the deltas of the current stats round */
  struct lc_history *history;
  unsigned pending;                     /* deltas of the current round not arrived yet */
  int64_t round_wall, round_mono;       /* when the current round was asked for */
  bool callback_stop;                   /* o.on_second asked to stop */
  struct lc_worker_health *health;      /* per worker */
  bool open_model;                      /* load.arrival */
  struct lc_arrival_timeline timeline;
  uint64_t *class_cum;                  /* cumulative class weights, for arrivals' picks */
  uint32_t *arrival_alive;              /* per worker, from its last delta */
  uint64_t *arrival_dropped;
  bool warned_drops;
  struct lc_redactor *redact;           /* the scenario's secrets, or NULL */
  struct lc_stats **spare;              /* per worker: the shard to hand back for its next delta */
  unsigned epoch;
  uint64_t next_user_id;
  uint32_t alive;                       /* users started and not yet reported stopped */
  uint32_t peak;
  atomic_uint_fast64_t task_runs;
  bool limit_iterations;
  uint64_t iterations;
  int64_t start_mono, start_wall;
  bool spawn_complete;
  bool stopping, killed;
  unsigned signals;
  unsigned empty_workers, final_workers;
  bool interrupted;
  struct lc_vars globals;               /* captured by setup: vars.NAME for every user */
  bool in_setup;                        /* setup runs: a stop waits for it before teardown */
  bool in_teardown;
  bool quit_sent;
  struct lc_feeders *feeders;
};

static int64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void notify(struct worker *w, const struct note *n) {
  queue_push(&w->e->inbox, n, &w->e->async);
}

/* Tells the coordinator, once, that this worker has no user left after a stop-all. */
static void report_empty(struct worker *w) {
  if (w->empty_sent) return;
  w->empty_sent = true;
  struct note empty = {.kind = NOTE_EMPTY, .worker = w->index, .class_index = 0};
  notify(w, &empty);
}

/* ---- the worker's timer heap ---- */

static bool heap_less(struct lc_user *a, struct lc_user *b) {
  return lc_user_links(a)->due_us < lc_user_links(b)->due_us;
}

static void heap_set(struct worker *w, size_t i, struct lc_user *u) {
  w->heap[i] = u;
  lc_user_links(u)->heap_index = i;
}

static void heap_up(struct worker *w, size_t i) {
  struct lc_user *u = w->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!heap_less(u, w->heap[parent])) break;
    heap_set(w, i, w->heap[parent]);
    i = parent;
  }
  heap_set(w, i, u);
}

static void heap_down(struct worker *w, size_t i) {
  struct lc_user *u = w->heap[i];
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    struct lc_user *best = u;
    if (l < w->nheap && heap_less(w->heap[l], best)) {
      m = l;
      best = w->heap[l];
    }
    if (r < w->nheap && heap_less(w->heap[r], best)) m = r;
    if (m == i) break;
    heap_set(w, i, w->heap[m]);
    i = m;
  }
  heap_set(w, i, u);
}

static void heap_remove(struct worker *w, struct lc_user *u) {
  size_t i = lc_user_links(u)->heap_index;
  if (i == SIZE_MAX) return;
  lc_user_links(u)->heap_index = SIZE_MAX;
  struct lc_user *last = w->heap[--w->nheap];
  if (i == w->nheap) return;
  heap_set(w, i, last);
  heap_up(w, i);
  heap_down(w, lc_user_links(last)->heap_index);
}

static void on_worker_timer(uv_timer_t *t);

/* Sets the uv timer for the heap's earliest wake-up. */
static void arm(struct worker *w) {
  if (w->nheap == 0) {
    if (w->armed_us) uv_timer_stop(&w->timer);
    w->armed_us = 0;
    return;
  }
  int64_t due = lc_user_links(w->heap[0])->due_us;
  if (due == w->armed_us) return;
  int64_t wait_us = due - lc_now_us();
  /* at least 1 ms: libuv 1.44 runs a 0 ms timer started from a timer callback again at once,
     without polling for I/O in between (libuv #4245), which would starve the loop */
  uint64_t ms = wait_us <= 1000 ? 1 : (uint64_t)((wait_us + 999) / 1000);
  w->armed_us = due;
  uv_timer_start(&w->timer, on_worker_timer, ms, 0);
}

static void on_worker_timer(uv_timer_t *t) {
  struct worker *w = t->data;
  w->armed_us = 0;
  int64_t now = lc_now_us();
  while (w->nheap > 0 && lc_user_links(w->heap[0])->due_us <= now + 1000) {
    struct lc_user *u = w->heap[0];
    int64_t lag = now - lc_user_links(u)->due_us;
    lc_hist_record(&w->lag_second, lag > 0 ? (uint64_t)lag : 0);
    heap_remove(w, u);
    lc_user_links(u)->due_us = 0;
    lc_user_wake(u);
  }
  arm(w);
}

/* ---- hooks ---- */

static void on_http_done(void *ctx, const struct lc_http_response *resp) {
  lc_user_on_response(ctx, resp);
}

/* The user's session with the client of its class (the fast one or curl), freed here. */
static void session_free(struct lc_user *u) {
  struct lc_user_links *l = lc_user_links(u);
  if (!l->request) return;
  if (l->fast) lc_fast_session_free(l->request);
  else lc_http_session_free(l->request);
  l->request = NULL;
}

static int hook_send(void *wp, struct lc_user *u, const struct lc_http_request *req) {
  struct worker *w = wp;
  struct lc_user_links *l = lc_user_links(u);
  if (!l->request) {
    const struct lc_user_class *uc = lc_user_class(u);
    l->fast = uc && w->fast && w->e->class_fast[uc - w->e->classes];
    l->request = l->fast ? (void *)lc_fast_session_new(w->fast) : (void *)lc_http_session_new(w->http);
  }
  if (l->fast) return lc_fast_send(l->request, req, on_http_done, u);
  return lc_http_send(l->request, req, on_http_done, u);
}

static void hook_cancel(void *wp, struct lc_user *u) {
  (void)wp;
  session_free(u);
}

static void hook_wake_at(void *wp, struct lc_user *u, int64_t due_us) {
  struct worker *w = wp;
  struct lc_user_links *l = lc_user_links(u);
  heap_remove(w, u);
  l->due_us = due_us;
  if (w->nheap == w->capheap) {
    w->capheap = w->capheap ? w->capheap * 2 : 256;
    w->heap = lc_xrealloc(w->heap, w->capheap * sizeof *w->heap);
  }
  heap_set(w, w->nheap++, u);
  heap_up(w, w->nheap - 1);
  arm(w);
}

static void hook_cancel_wake(void *wp, struct lc_user *u) {
  struct worker *w = wp;
  heap_remove(w, u);
  lc_user_links(u)->due_us = 0;
  arm(w);
}

static void hook_record(void *wp, const char *name, const char *method, int status,
                        int64_t rt_us, uint64_t len, const char *failure, int64_t intended_us,
                        int64_t interval_us) {
  struct worker *w = wp;
  struct engine *e = w->e;
  char clean[LC_STATS_MAX_MESSAGE + 1];
  if (failure && e->redact) { /* secrets never reach the errors table or the output */
    snprintf(clean, sizeof clean, "%s", failure);
    lc_redact(e->redact, clean);
    failure = clean;
  }
  if (e->o.single_user) {
    FILE *out = e->o.out ? e->o.out : stdout;
    /* Locust's run_single_user line: method, name, status, time, size, error */
    fprintf(out, "%-7s %-40s %3d %8.2f ms %9" PRIu64 " B  %s\n", method, name, status,
            (double)rt_us / 1000.0, len, failure ? failure : "ok");
    fflush(out);
  }
  struct lc_stats_key key;
  lc_stats_key_init(&key, name, method);
  lc_stats_record(w->stats, &key, rt_us > 0 ? (uint64_t)rt_us : 0, len, failure != NULL, failure,
                  wall_us());
  if (intended_us >= 0)
    lc_stats_record_intended(w->stats, &key, (uint64_t)intended_us,
                             interval_us > 0 ? (uint64_t)interval_us : 0);
}

static void hook_user_error(void *wp, struct lc_user *u, const char *message) {
  struct worker *w = wp;
  char clean[LC_STATS_MAX_MESSAGE + 1];
  if (w->e->redact) {
    snprintf(clean, sizeof clean, "%s", message);
    lc_redact(w->e->redact, clean);
    message = clean;
  }
  lc_stats_record_user_error(w->stats, message, wall_us());
  lc_log(LC_LOG_INFO, "user %" PRIu64 ": %s", lc_user_id(u), message);
  if (w->e->o.single_user) {
    FILE *out = w->e->o.out ? w->e->o.out : stdout;
    fprintf(out, "error   %s\n", message);
  }
}

static bool hook_task_allowed(void *wp, bool count) {
  struct worker *w = wp;
  struct engine *e = w->e;
  if (!count) return !e->limit_iterations || atomic_load(&e->task_runs) < e->iterations;
  uint64_t runs = atomic_fetch_add(&e->task_runs, 1);
  return !e->limit_iterations || runs < e->iterations;
}

static size_t class_of(struct worker *w, struct lc_user *u) {
  return (size_t)(lc_user_class(u) - w->e->classes);
}

static void unlink_user(struct worker *w, struct lc_user *u) {
  struct lc_user_links *l = lc_user_links(u);
  size_t c = class_of(w, u);
  if (l->prev)
    lc_user_links(l->prev)->next = l->next;
  else if (w->by_class[c] == u)
    w->by_class[c] = l->next;
  if (l->next) lc_user_links(l->next)->prev = l->prev;
  l->prev = l->next = NULL;
}

static void forget_kill(struct worker *w, struct lc_user *u) {
  for (size_t i = 0; i < w->nkills; i++)
    if (w->kills[i].u == u) w->kills[i--] = w->kills[--w->nkills];
}

static void on_kill_timer(uv_timer_t *t);

static void arm_kills(struct worker *w) {
  if (w->nkills == 0) {
    uv_timer_stop(&w->kill_timer);
    return;
  }
  int64_t due = w->kills[0].due_us;
  for (size_t i = 1; i < w->nkills; i++)
    if (w->kills[i].due_us < due) due = w->kills[i].due_us;
  int64_t wait_us = due - lc_now_us();
  uv_timer_start(&w->kill_timer, on_kill_timer, wait_us <= 1000 ? 1 : (uint64_t)(wait_us + 999) / 1000, 0);
}

/* stop_timeout has passed for users a ramp-down stopped gracefully: kill those still running
 * (Locust's stop_users: stop(force=False), then kill after stop_timeout). */
static void on_kill_timer(uv_timer_t *t) {
  struct worker *w = t->data;
  int64_t now = lc_now_us();
  for (size_t i = 0; i < w->nkills;) {
    if (w->kills[i].due_us > now + 1000) {
      i++;
      continue;
    }
    struct lc_user *u = w->kills[i].u;
    w->kills[i] = w->kills[--w->nkills];
    lc_user_stop(u, true); /* may call hook_stopped, which forgets it (already gone here) */
  }
  arm_kills(w);
}

static void hook_stopped(void *wp, struct lc_user *u) {
  struct worker *w = wp;
  forget_kill(w, u);
  if (u == w->script) {
    /* setup's captures become the globals: copied before any user is spawned, read-only
       afterwards (the coordinator starts users only once it has this note) */
    struct lc_vars *vars = lc_user_vars(u);
    for (size_t i = 0; i < lc_vars_count(vars); i++)
      lc_vars_set(&w->e->globals, lc_vars_name(vars, i), lc_vars_value(vars, i));
    heap_remove(w, u);
    session_free(u);
    lc_user_links(u)->next = w->dead;
    w->dead = u;
    w->script = NULL;
    struct note n = {.kind = NOTE_SCRIPT, .worker = w->index, .class_index = 0};
    notify(w, &n);
    return;
  }
  heap_remove(w, u);
  unlink_user(w, u);
  struct lc_user_links *l = lc_user_links(u);
  session_free(u);
  l->next = w->dead; /* freed by the reaper, once the user's own call stack has unwound */
  w->dead = u;
  w->alive--;
  if (lc_user_is_arrival(u)) {
    /* arrivals come and go by the thousand: counted here, reported with the deltas */
    w->arrival_alive--;
  } else {
    struct note n = {.kind = NOTE_STOPPED, .worker = w->index, .class_index = class_of(w, u)};
    notify(w, &n);
  }
  if (w->stopping && w->alive == 0) report_empty(w);
}

static void hook_log(void *wp, struct lc_user *u, const char *text) {
  struct worker *w = wp;
  char *clean = NULL;
  if (w->e->redact) {
    clean = lc_xstrdup(text);
    lc_redact(w->e->redact, clean);
    text = clean;
  }
  fprintf(stderr, "[user %" PRIu64 "] %s\n", lc_user_id(u), text);
  free(clean);
}

static void hook_stop_test(void *wp, struct lc_user *u) {
  struct worker *w = wp;
  (void)u;
  struct note n = {.kind = NOTE_STOP_TEST, .worker = w->index, .class_index = 0};
  notify(w, &n);
}

static int64_t hook_now(void *wp) {
  (void)wp;
  return lc_now_us();
}

static void on_reaper(uv_check_t *c) {
  struct worker *w = c->data;
  while (w->dead) {
    struct lc_user *u = w->dead;
    w->dead = lc_user_links(u)->next;
    lc_user_free(u);
  }
}

/* ---- worker commands ---- */

static struct lc_user *spawn_user(struct worker *w, size_t class_index, uint64_t id) {
  struct engine *e = w->e;
  struct lc_rng rng;
  lc_rng_seed(&rng, e->o.seed, id);
  struct lc_user *u = lc_user_new(e->plan, &e->classes[class_index], e->class_hosts[class_index],
                                  id, &rng, &w->hooks);
  struct lc_user_links *l = lc_user_links(u);
  l->next = w->by_class[class_index];
  if (l->next) lc_user_links(l->next)->prev = u;
  w->by_class[class_index] = u;
  w->alive++;
  return u;
}

static void spawn(struct worker *w, size_t class_index, uint64_t id) {
  lc_user_start(spawn_user(w, class_index, id));
}

/* ---- the open model ---- */

#define SPAWN_BATCH 256        /* users a worker starts per loop turn */
#define TRIM_EVERY 2           /* seconds between malloc_trim calls of the coordinator */
#define ARRIVAL_EARLY_US 1000  /* arrivals due within this are started now (timers tick in ms) */
#define ARRIVAL_LATE_US 1000   /* an arrival started later than this is counted as late */

static void arm_arrivals(struct worker *w);

static size_t pick_class(struct worker *w) {
  struct engine *e = w->e;
  uint64_t total = e->class_cum[e->nclasses - 1];
  if (e->nclasses == 1 || total == 0) return 0;
  uint64_t r = lc_rng_below(&w->rng, total);
  size_t c = 0;
  while (c + 1 < e->nclasses && r >= e->class_cum[c]) c++;
  return c;
}

static void on_arrival_timer(uv_timer_t *t) {
  struct worker *w = t->data;
  struct engine *e = w->e;
  if (!w->arrivals_on) return;
  int64_t now = lc_now_us();
  while (w->arrivals_on && w->next_due_us != LC_ARRIVAL_END &&
         w->next_due_us <= now + ARRIVAL_EARLY_US) {
    uint64_t k = w->next_k;
    int64_t late = now - w->next_due_us;
    if (late < 0) late = 0;
    lc_hist_record(&w->lateness, (uint64_t)late);
    if (late > ARRIVAL_LATE_US) w->arrivals_late++;
    if (w->arrival_alive >= w->arrival_cap) {
      w->arrivals_dropped++;
    } else {
      w->arrivals_started++;
      w->arrival_alive++;
      lc_user_start_arrival(spawn_user(w, pick_class(w), k + 1), late);
    }
    w->next_k += e->nworkers;
    int64_t due = lc_arrival_due_us(&e->timeline, w->next_k);
    w->next_due_us = due == LC_ARRIVAL_END ? LC_ARRIVAL_END : w->t0_us + due;
  }
  arm_arrivals(w);
}

static void arm_arrivals(struct worker *w) {
  if (!w->arrivals_on || w->next_due_us == LC_ARRIVAL_END) return;
  int64_t wait = w->next_due_us - lc_now_us();
  /* at least 1 ms: libuv 1.44 spins on 0 ms timers (#4245); early ones start with the batch */
  uint64_t ms = wait <= 1000 ? 1 : (uint64_t)(wait / 1000);
  uv_timer_start(&w->arrival_timer, on_arrival_timer, ms, 0);
}

static void start_arrivals(struct worker *w, int64_t t0) {
  struct engine *e = w->e;
  uint32_t max = e->plan->load.max_users;
  w->arrival_cap = max / e->nworkers + (w->index < max % e->nworkers ? 1 : 0);
  w->t0_us = t0;
  w->next_k = w->index;
  int64_t due = lc_arrival_due_us(&e->timeline, w->next_k);
  w->next_due_us = due == LC_ARRIVAL_END ? LC_ARRIVAL_END : t0 + due;
  w->arrivals_on = true;
  on_arrival_timer(&w->arrival_timer);
}

static void run_script(struct worker *w, bool teardown) {
  struct engine *e = w->e;
  const struct lc_steps *steps = teardown ? &e->plan->teardown : &e->plan->setup;
  struct lc_rng rng;
  lc_rng_seed(&rng, e->o.seed, teardown ? UINT64_MAX : UINT64_MAX - 1);
  const char *host = e->o.host ? e->o.host : e->plan->host;
  w->script = lc_user_new_script(e->plan, steps, host, 0, &rng, &w->hooks);
  lc_user_start(w->script);
}

/* Arrivals whose time has come but that a saturated worker had not started yet when the run
 * stops: they count as dropped, so that started + dropped is every arrival that was due. */
static void drop_overdue_arrivals(struct worker *w) {
  struct engine *e = w->e;
  int64_t now = lc_now_us();
  while (w->next_due_us != LC_ARRIVAL_END && w->next_due_us <= now) {
    w->arrivals_dropped++;
    w->next_k += e->nworkers;
    int64_t due = lc_arrival_due_us(&e->timeline, w->next_k);
    w->next_due_us = due == LC_ARRIVAL_END ? LC_ARRIVAL_END : w->t0_us + due;
  }
}

static void stop_all(struct worker *w, bool force) {
  w->stopping = true;
  if (w->arrivals_on) drop_overdue_arrivals(w);
  w->arrivals_on = false;
  uv_timer_stop(&w->arrival_timer);
  if (w->alive == 0) {
    report_empty(w); /* a second stop-all (the stop timeout's) must not count this worker twice */
    return;
  }
  for (size_t c = 0; c < w->e->nclasses; c++) {
    struct lc_user *u = w->by_class[c];
    while (u) {
      struct lc_user *next = lc_user_links(u)->next;
      lc_user_stop(u, force);
      u = next;
    }
  }
}

/* Drops every user now: requests cancelled, no on_stop (the second Ctrl-C). */
static void abort_all(struct worker *w) {
  w->nkills = 0; /* every user goes below, without hook_stopped */
  uv_timer_stop(&w->kill_timer);
  if (w->script) {
    struct lc_user *u = w->script;
    w->script = NULL;
    heap_remove(w, u);
    session_free(u);
    lc_user_free(u);
  }
  for (size_t c = 0; c < w->e->nclasses; c++) {
    while (w->by_class[c]) {
      struct lc_user *u = w->by_class[c];
      heap_remove(w, u);
      unlink_user(w, u);
      session_free(u);
      lc_user_free(u);
      w->alive--;
    }
  }
  arm(w);
  w->stopping = true;
  report_empty(w);
}

static int64_t thread_cpu_us(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void hand_over(struct worker *w, struct lc_stats *into, enum note_kind kind,
                      unsigned epoch) {
  if (!into) into = lc_stats_new(0, 0);
  lc_stats_take(w->stats, into);
  struct note n = {kind, w->index, 0, epoch, into, 0, 0, 0, w->arrival_alive, w->arrivals_dropped};
  int64_t cpu = thread_cpu_us(), wall = lc_now_us();
  if (wall > w->wall_mark_us) n.cpu = (double)(cpu - w->cpu_mark_us) / (double)(wall - w->wall_mark_us);
  w->cpu_mark_us = cpu;
  w->wall_mark_us = wall;
  if (w->lag_second.count) {
    n.lag_p99_us = lc_hist_percentile(&w->lag_second, 0.99);
    n.lag_max_us = w->lag_second.max;
    lc_hist_merge(&w->lag, &w->lag_second);
    lc_hist_reset(&w->lag_second);
  }
  notify(w, &n);
}

static void close_cb(uv_handle_t *h) { (void)h; }

static void exec_cmd(struct worker *w, const struct cmd *c) {
  {
    switch (c->kind) {
    case CMD_SPAWN: spawn(w, c->class_index, c->id); break;
    case CMD_STOP_ONE: {
      /* the most recent user not stopping yet: one whose on_stop still runs stays listed */
      struct lc_user *u = w->by_class[c->class_index];
      while (u && lc_user_is_stopping(u)) u = lc_user_links(u)->next;
      if (!u) break;
      bool deadline = !c->force && w->e->o.stop_timeout_us > 0;
      if (deadline) {
        /* registered first: stopping may end the user at once, and then forgets it */
        if (w->nkills == w->capkills) {
          w->capkills = w->capkills ? w->capkills * 2 : 16;
          w->kills = lc_xrealloc(w->kills, w->capkills * sizeof *w->kills);
        }
        w->kills[w->nkills++] = (struct kill){u, lc_now_us() + w->e->o.stop_timeout_us};
      }
      lc_user_stop(u, c->force);
      if (deadline) arm_kills(w);
      break;
    }
    case CMD_STOP_ALL: stop_all(w, c->force); break;
    case CMD_ABORT: abort_all(w); break;
    case CMD_STATS: hand_over(w, c->shard, NOTE_DELTA, c->epoch); break;
    case CMD_RESET: lc_stats_reset(w->stats); break;
    case CMD_SCRIPT: run_script(w, c->force); break;
    case CMD_ARRIVALS: if (!w->stopping) start_arrivals(w, c->t0); break;
    case CMD_QUIT:
      if (!w->quitting) {
        w->quitting = true;
        abort_all(w);
        hand_over(w, c->shard, NOTE_FINAL, c->epoch);
        lc_http_client_free(w->http);
        w->http = NULL;
        lc_fast_client_free(w->fast);
        w->fast = NULL;
        uv_close((uv_handle_t *)&w->timer, close_cb);
        uv_close((uv_handle_t *)&w->kill_timer, close_cb);
        uv_close((uv_handle_t *)&w->arrival_timer, close_cb);
        uv_close((uv_handle_t *)&w->reaper, close_cb);
        uv_close((uv_handle_t *)&w->async, close_cb);
        uv_close((uv_handle_t *)&w->resume, close_cb);
      }
      break;
    }
  }
}

static void on_resume(uv_idle_t *h);

/* Runs the commands in order; after SPAWN_BATCH users started, the rest waits for the next
 * loop turn, so that a spawn step of thousands of users (Locust starts k = spawn rate users per
 * step) does not hold up the timers and responses of the users already running. */
static void run_cmds(struct worker *w) {
  unsigned spawned = 0;
  while (w->backlog_pos < w->nbacklog) {
    struct cmd c = w->backlog[w->backlog_pos];
    if (c.kind == CMD_SPAWN && spawned == SPAWN_BATCH) break;
    w->backlog_pos++;
    if (c.kind == CMD_SPAWN) spawned++;
    exec_cmd(w, &c);
  }
  if (w->backlog_pos < w->nbacklog) {
    if (!w->quitting) uv_idle_start(&w->resume, on_resume);
    return;
  }
  w->nbacklog = w->backlog_pos = 0;
  if (!w->quitting) uv_idle_stop(&w->resume);
}

static void on_resume(uv_idle_t *h) { run_cmds(h->data); }

static void on_worker_async(uv_async_t *a) {
  struct worker *w = a->data;
  size_t n;
  struct cmd *cmds = queue_take(&w->inbox, &n);
  if (n) {
    if (w->nbacklog + n > w->capbacklog) {
      while (w->nbacklog + n > w->capbacklog) w->capbacklog = w->capbacklog ? 2 * w->capbacklog : 64;
      w->backlog = lc_xrealloc(w->backlog, w->capbacklog * sizeof *w->backlog);
    }
    memcpy(w->backlog + w->nbacklog, cmds, n * sizeof *cmds);
    w->nbacklog += n;
  }
  free(cmds);
  run_cmds(w);
}

static void worker_main(void *arg) {
  struct worker *w = arg;
  w->cpu_mark_us = thread_cpu_us();
  w->wall_mark_us = lc_now_us();
  uv_run(&w->loop, UV_RUN_DEFAULT);
  lc_request_thread_release();
  on_reaper(&w->reaper);
  if (uv_loop_close(&w->loop) != 0) lc_log(LC_LOG_DEBUG, "worker %u: loop not closed", w->index);
}

/* Nothing is sent once the workers were told to quit: their async handles are closing. */
static void send_cmd(struct worker *w, const struct cmd *c) {
  if (w->e->quit_sent) return;
  queue_push(&w->inbox, c, &w->async);
}

static int worker_init(struct engine *e, struct worker *w, unsigned index) {
  memset(w, 0, sizeof *w);
  w->e = e;
  w->index = index;
  if (uv_loop_init(&w->loop) != 0) return LC_EIO;
  w->http = lc_http_client_new(&w->loop);
  if (!w->http) {
    uv_loop_close(&w->loop);
    return LC_EIO;
  }
  if (e->any_fast) w->fast = lc_fast_client_new(&w->loop);
  queue_init(&w->inbox, sizeof(struct cmd));
  uv_async_init(&w->loop, &w->async, on_worker_async);
  w->async.data = w;
  uv_timer_init(&w->loop, &w->timer);
  w->timer.data = w;
  uv_timer_init(&w->loop, &w->kill_timer);
  w->kill_timer.data = w;
  uv_timer_init(&w->loop, &w->arrival_timer);
  w->arrival_timer.data = w;
  uv_idle_init(&w->loop, &w->resume);
  w->resume.data = w;
  lc_hist_init(&w->lateness);
  lc_rng_seed(&w->rng, e->o.seed, UINT64_MAX - 2 - index);
  uv_check_init(&w->loop, &w->reaper);
  w->reaper.data = w;
  uv_check_start(&w->reaper, on_reaper);
  w->stats = lc_stats_new(0, 0);
  lc_hist_init(&w->lag);
  lc_hist_init(&w->lag_second);
  w->by_class = lc_xcalloc(e->nclasses ? e->nclasses : 1, sizeof *w->by_class);
  w->hooks = (struct lc_user_hooks){
      .send = hook_send, .cancel = hook_cancel, .wake_at = hook_wake_at,
      .cancel_wake = hook_cancel_wake, .record = hook_record, .user_error = hook_user_error,
      .task_allowed = hook_task_allowed, .stopped = hook_stopped, .now_us = hook_now,
      .log = hook_log, .w = w, .response_keep = e->response_keep, .globals = &e->globals,
      .feeders = e->feeders, .stop_test = hook_stop_test,
  };
  return 0;
}

static void worker_release(struct worker *w) {
  free(w->backlog);
  lc_stats_free(w->stats);
  free(w->kills);
  free(w->heap);
  free(w->by_class);
  queue_release(&w->inbox);
}

/* ---- the coordinator's side ---- */

static void begin_stop(struct engine *e);
static void on_step(uv_timer_t *t);
static void start_load(struct engine *e);

static void dispatch_cb(void *arg, enum lc_dispatch_action action, size_t class_index,
                        unsigned worker) {
  struct engine *e = arg;
  struct cmd c = {0};
  c.class_index = class_index;
  if (action == LC_DISPATCH_SPAWN) {
    c.kind = CMD_SPAWN;
    c.id = ++e->next_user_id;
    e->alive++;
    if (e->alive > e->peak) e->peak = e->alive;
  } else {
    c.kind = CMD_STOP_ONE;
    /* Locust's ramp-down: stop_timeout 0 kills the user at once, even mid-request */
    c.force = e->o.stop_timeout_us <= 0;
  }
  send_cmd(&e->workers[worker], &c);
}

static void schedule_step(struct engine *e) {
  int64_t due = lc_dispatch_next_event_us(e->dispatch);
  if (due == LC_DISPATCH_IDLE || e->stopping) return;
  int64_t wait_us = due - lc_now_us();
  uv_timer_start(&e->step_timer, on_step, wait_us <= 0 ? 0 : (uint64_t)(wait_us + 999) / 1000, 0);
}

static void spawning_complete(struct engine *e) {
  if (e->spawn_complete) return;
  e->spawn_complete = true;
  if (e->o.reset_stats) {
    /* Locust resets requests, errors and history when spawning completes */
    e->epoch++;
    lc_stats_reset(e->totals);
    lc_stats_reset(e->second);
    lc_history_reset(e->history);
    e->pending = 0;
    for (unsigned i = 0; i < e->nworkers; i++) {
      struct cmd c = {.kind = CMD_RESET, .epoch = e->epoch};
      send_cmd(&e->workers[i], &c);
    }
  }
}

static void on_step(uv_timer_t *t) {
  struct engine *e = t->data;
  if (e->stopping) return;
  if (lc_dispatch_step(e->dispatch, lc_now_us(), dispatch_cb, e) == 1) spawning_complete(e);
  schedule_step(e);
}

static void apply_stage(struct engine *e, const struct lc_stage *st) {
  if (lc_dispatch_set_target(e->dispatch, st->users, st->spawn_rate, &st->user_classes,
                             lc_now_us()) != 0)
    lc_log(LC_LOG_WARN, "stage at line %u could not be applied", st->mark.line);
  e->spawn_complete = false;
  on_step(&e->step_timer);
}

static void on_shape(uv_timer_t *t) {
  struct engine *e = t->data;
  if (e->stopping) return;
  int64_t elapsed = lc_now_us() - e->start_mono;
  const struct lc_stage *st = NULL;
  switch (lc_shape_tick(&e->shape, elapsed, &st)) {
  case LC_SHAPE_START: apply_stage(e, st); break;
  case LC_SHAPE_END: begin_stop(e); return;
  case LC_SHAPE_SAME: break;
  }
  /* tick once a second, and exactly at stage boundaries */
  int64_t next = lc_shape_next_change_us(&e->shape, elapsed);
  int64_t wait_us = 1000000;
  if (next >= 0 && next - elapsed < wait_us) wait_us = next - elapsed;
  uv_timer_start(&e->shape_timer, on_shape, wait_us <= 0 ? 0 : (uint64_t)(wait_us + 999) / 1000, 0);
}

static void request_stats(struct engine *e) {
  e->pending += e->nworkers;
  e->round_wall = wall_us();
  e->round_mono = lc_now_us();
  for (unsigned i = 0; i < e->nworkers; i++) {
    struct cmd c = {.kind = CMD_STATS, .epoch = e->epoch, .shard = e->spare[i]};
    e->spare[i] = NULL;
    send_cmd(&e->workers[i], &c);
  }
}

static void on_stats(uv_timer_t *t) { request_stats(t->data); }

static void close_coordinator(struct engine *e) {
  uv_close((uv_handle_t *)&e->step_timer, close_cb);
  uv_close((uv_handle_t *)&e->stats_timer, close_cb);
  uv_close((uv_handle_t *)&e->run_timer, close_cb);
  uv_close((uv_handle_t *)&e->stop_timer, close_cb);
  uv_close((uv_handle_t *)&e->shape_timer, close_cb);
  uv_close((uv_handle_t *)&e->sigint, close_cb);
  uv_close((uv_handle_t *)&e->sigterm, close_cb);
  uv_close((uv_handle_t *)&e->async, close_cb);
}

static void quit_workers(struct engine *e) {
  if (e->quit_sent) return;
  uv_timer_stop(&e->stats_timer);
  uv_timer_stop(&e->stop_timer);
  for (unsigned i = 0; i < e->nworkers; i++) {
    struct cmd c = {.kind = CMD_QUIT, .epoch = e->epoch, .shard = e->spare[i]};
    e->spare[i] = NULL;
    send_cmd(&e->workers[i], &c);
  }
  e->quit_sent = true;
}

static void on_kill_timeout(uv_timer_t *t) {
  struct engine *e = t->data;
  /* stop_timeout is over: the users still running are killed (their on_stop still runs) */
  for (unsigned i = 0; i < e->nworkers; i++) {
    struct cmd c = {.kind = CMD_STOP_ALL, .force = true};
    send_cmd(&e->workers[i], &c);
  }
}

static void begin_stop(struct engine *e) {
  if (e->stopping) return;
  e->stopping = true;
  uv_timer_stop(&e->step_timer);
  uv_timer_stop(&e->shape_timer);
  uv_timer_stop(&e->run_timer);
  bool force = e->o.stop_timeout_us <= 0;
  for (unsigned i = 0; i < e->nworkers; i++) {
    struct cmd c = {.kind = CMD_STOP_ALL, .force = force};
    send_cmd(&e->workers[i], &c);
  }
  if (!force)
    uv_timer_start(&e->stop_timer, on_kill_timeout, (uint64_t)(e->o.stop_timeout_us + 999) / 1000, 0);
}

static void on_run_time(uv_timer_t *t) { begin_stop(t->data); }

static void on_signal(uv_signal_t *s, int signum) {
  struct engine *e = s->data;
  e->signals++;
  e->interrupted = true;
  if (e->signals == 1) {
    lc_log(LC_LOG_WARN, "%s: stopping (again to stop at once)", signum == SIGINT ? "interrupt" : "terminated");
    begin_stop(e);
    return;
  }
  if (!e->killed) {
    e->killed = true;
    e->stopping = true;
    for (unsigned i = 0; i < e->nworkers; i++) {
      struct cmd c = {.kind = CMD_ABORT};
      send_cmd(&e->workers[i], &c);
    }
    /* workers that reported empty already (a stop during setup or teardown) will not again */
    if (e->empty_workers == e->nworkers) quit_workers(e);
  }
}

/* A round's deltas are all in (or the last ones came): one history row, then the caller's
 * per-second callback, which may stop the run. */
static void close_round(struct engine *e, bool final) {
  int64_t wall = final ? wall_us() : e->round_wall;
  int64_t mono = final ? lc_now_us() : e->round_mono;
  int64_t elapsed = e->start_mono ? mono - e->start_mono : 0;
  lc_history_add(e->history, e->second, e->totals, wall, elapsed < 0 ? 0 : elapsed, e->alive);
  lc_stats_reset(e->second);
  /* every few seconds, hand the pages freed by bursts (a ramp's requests in flight, users gone)
   * back to the system, so that memory follows the users alive rather than the peak */
  if (!final && lc_history_row_count(e->history) % TRIM_EVERY == 0) malloc_trim(0);
  if (!e->o.on_second) return;
  struct lc_run_view v = {e->totals, e->history, e->start_wall, elapsed, e->alive, final,
                          e->health, e->nworkers};
  if (e->o.on_second(e->o.on_second_ctx, &v) != 0 && !final && !e->stopping) {
    e->callback_stop = true;
    begin_stop(e);
  }
}

static void note_health(struct engine *e, const struct note *n) {
  struct lc_worker_health *h = &e->health[n->worker];
  double cpu = n->cpu > 1.0 ? 1.0 : n->cpu < 0 ? 0 : n->cpu;
  h->cpu_last = cpu;
  if (cpu > h->cpu_max) h->cpu_max = cpu;
  h->cpu_mean = (h->cpu_mean * (double)h->seconds + cpu) / (double)(h->seconds + 1);
  h->seconds++;
  h->lag_p99_last_us = n->lag_p99_us;
  if (n->lag_max_us > h->lag_max_us) h->lag_max_us = n->lag_max_us;
  if (!e->open_model) return;
  e->arrival_alive[n->worker] = n->arrival_alive;
  e->arrival_dropped[n->worker] = n->dropped;
  uint32_t alive = 0;
  uint64_t dropped = 0;
  for (unsigned i = 0; i < e->nworkers; i++) {
    alive += e->arrival_alive[i];
    dropped += e->arrival_dropped[i];
  }
  e->alive = alive;
  if (alive > e->peak) e->peak = alive;
  if (dropped && !e->warned_drops) {
    e->warned_drops = true;
    lc_log(LC_LOG_WARN, "max_users (%u) reached: arrivals are dropped (counted in the summary)",
           e->plan->load.max_users);
  }
}

static void merge_delta(struct engine *e, const struct note *n) {
  if (n->epoch == e->epoch) {
    lc_stats_merge(e->totals, n->shard);
    lc_stats_merge(e->second, n->shard);
  }
  if (e->spare[n->worker])
    lc_stats_free(n->shard);
  else
    e->spare[n->worker] = n->shard;
}

/* Every worker is empty after a stop, and setup is over: teardown (once), then quit. */
static void workers_empty(struct engine *e) {
  if (e->plan->teardown.n && !e->killed && !e->in_teardown) {
    e->in_teardown = true;
    struct cmd c = {.kind = CMD_SCRIPT, .force = true};
    send_cmd(&e->workers[0], &c);
  } else {
    quit_workers(e);
  }
}

static void on_coordinator_async(uv_async_t *a) {
  struct engine *e = a->data;
  size_t count;
  struct note *notes = queue_take(&e->inbox, &count);
  for (size_t i = 0; i < count; i++) {
    struct note *n = &notes[i];
    switch (n->kind) {
    case NOTE_DELTA:
      note_health(e, n);
      merge_delta(e, n);
      if (e->pending && --e->pending == 0 && !e->quit_sent) close_round(e, false);
      break;
    case NOTE_STOPPED:
      if (e->alive) e->alive--;
      /* users that end by themselves (stop_user, iterations) are not replaced; once every
         user is gone after spawning completed, the run is over */
      if (!e->stopping && e->alive == 0 && e->spawn_complete && !e->use_shape) begin_stop(e);
      break;
    case NOTE_EMPTY:
      /* a stop during setup waits for setup to end (teardown must not run beside it) */
      if (++e->empty_workers == e->nworkers && (!e->in_setup || e->killed)) workers_empty(e);
      break;
    case NOTE_STOP_TEST:
      if (!e->stopping) {
        lc_log(LC_LOG_WARN, "a unique feeder has handed out every row (on_exhausted: stop_test): "
                            "stopping the run");
        begin_stop(e);
      }
      break;
    case NOTE_SCRIPT:
      if (e->in_setup) {
        e->in_setup = false;
        if (!e->stopping)
          start_load(e);
        else if (e->empty_workers == e->nworkers && !e->killed)
          workers_empty(e);
      } else {
        quit_workers(e); /* the teardown has ended */
      }
      break;
    case NOTE_FINAL:
      merge_delta(e, n);
      if (++e->final_workers == e->nworkers) {
        close_round(e, true); /* the last row, with everything measured */
        close_coordinator(e);
      }
      break;
    }
  }
  free(notes);
}

/* Starts the users (after setup, if any): one for --single-user, the stages, or the ramp. */
static void start_load(struct engine *e) {
  /* the run's clock starts with the users, after setup */
  e->start_mono = lc_now_us();
  e->start_wall = wall_us();
  if (e->o.single_user) {
    size_t k = 0;
    for (size_t i = 0; i < e->nclasses; i++)
      if (e->o.single_user_class && strcmp(e->classes[i].name, e->o.single_user_class) == 0) k = i;
    struct cmd c = {.kind = CMD_SPAWN, .class_index = k, .id = ++e->next_user_id};
    e->alive = e->peak = 1;
    e->spawn_complete = true;
    send_cmd(&e->workers[0], &c);
  } else if (e->open_model) {
    e->spawn_complete = true;
    for (unsigned i = 0; i < e->nworkers; i++) {
      struct cmd c = {.kind = CMD_ARRIVALS, .t0 = e->start_mono};
      send_cmd(&e->workers[i], &c);
    }
    /* the run ends with the timeline (or earlier with --run-time) */
    int64_t end = e->timeline.total_us;
    if (e->o.run_time_us > 0 && e->o.run_time_us < end) end = e->o.run_time_us;
    uv_timer_start(&e->run_timer, on_run_time, (uint64_t)(end + 999) / 1000, 0);
  } else if (e->use_shape) {
    lc_shape_init(&e->shape, e->plan->load.stages, e->plan->load.nstages);
    on_shape(&e->shape_timer);
  } else {
    struct lc_strs only = {NULL, 0};
    size_t nonly = 0;
    if (e->o.user_classes) {
      while (e->o.user_classes[nonly]) nonly++;
      only.items = (const char **)e->o.user_classes;
      only.n = nonly;
    }
    if (lc_dispatch_set_target(e->dispatch, e->o.users, e->o.spawn_rate, &only, e->start_mono) != 0) {
      lc_log(LC_LOG_ERROR, "invalid users, spawn rate or --user-classes");
      begin_stop(e);
    } else {
      on_step(&e->step_timer);
    }
  }
  if (e->o.run_time_us > 0 && !e->use_shape && !e->open_model)
    uv_timer_start(&e->run_timer, on_run_time, (uint64_t)(e->o.run_time_us + 999) / 1000, 0);

}

/* ---- setting up ---- */

static unsigned cpu_count(void) {
  uv_cpu_info_t *info;
  int n = 0;
  if (uv_cpu_info(&info, &n) == 0) uv_free_cpu_info(info, n);
  return n > 0 ? (unsigned)n : 1;
}

static const char *class_host(const struct lc_plan *p, const struct lc_user_class *uc,
                              const struct lc_run_opts *o) {
  if (o->host) return o->host;
  if (uc->host) return uc->host;
  return p->host;
}

static uint64_t random_seed(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)uv_os_getpid();
  return s * 0x9E3779B97F4A7C15ull;
}

int lc_engine_run(const struct lc_plan *plan, const struct lc_run_opts *opts,
                  struct lc_run_result *out) {
  memset(out, 0, sizeof *out);
  lc_hist_init(&out->arrivals.lateness);
  struct engine *e = lc_xcalloc(1, sizeof *e);
  e->plan = plan;
  e->o = *opts;
  const struct lc_load *L = &plan->load;
  if (!e->o.has_users) e->o.users = L->users;
  if (!e->o.has_spawn_rate) e->o.spawn_rate = L->spawn_rate;
  if (!e->o.has_run_time) e->o.run_time_us = L->run_time_us;
  if (!e->o.has_iterations) e->o.iterations = L->iterations;
  if (!e->o.has_stop_timeout) e->o.stop_timeout_us = L->stop_timeout_us;
  e->o.reset_stats = e->o.reset_stats || L->reset_stats;
  if (!e->o.has_seed) e->o.seed = random_seed();
  e->limit_iterations = e->o.iterations > 0;
  e->iterations = e->o.iterations;
  atomic_init(&e->task_runs, 0);
  e->classes = plan->classes;
  e->nclasses = plan->nclasses;
  e->use_shape = L->model == LC_LOAD_STAGES && !e->o.has_users && !e->o.single_user;
  e->open_model = L->model == LC_LOAD_ARRIVAL && !e->o.has_users && !e->o.single_user;
  struct lc_buf ferr;
  lc_buf_init(&ferr, 8192);
  e->feeders = lc_feeders_load(plan, &ferr);
  if (!e->feeders) {
    lc_log(LC_LOG_ERROR, "%s", ferr.data ? ferr.data : "cannot load the data feeders");
    lc_buf_release(&ferr);
    free(e);
    return LC_EIO;
  }
  lc_buf_release(&ferr);
  e->nworkers = e->o.single_user ? 1 : e->o.threads ? e->o.threads : cpu_count();
  e->class_hosts = lc_xcalloc(e->nclasses ? e->nclasses : 1, sizeof *e->class_hosts);
  e->class_fast = lc_xcalloc(e->nclasses ? e->nclasses : 1, sizeof *e->class_fast);
  for (size_t i = 0; i < e->nclasses; i++) {
    e->class_hosts[i] = class_host(plan, &plan->classes[i], &e->o);
    /* the compiler chose by the requests; an https host given at run time goes to curl */
    bool fast = e->o.client == LC_CLIENT_AUTO ? plan->classes[i].client == LC_CLIENT_FAST
                : e->o.client == LC_CLIENT_FAST ? plan->classes[i].fast_ok
                                                : false;
    e->class_fast[i] = fast && e->class_hosts[i] && strncmp(e->class_hosts[i], "http://", 7) == 0;
    e->any_fast = e->any_fast || e->class_fast[i];
  }
  e->response_keep = lc_plan_response_needs(plan);
  e->totals = lc_stats_new(0, 0);
  e->second = lc_stats_new(0, 0);
  e->history = lc_history_new();
  lc_vars_init(&e->globals);
  e->spare = lc_xcalloc(e->nworkers, sizeof *e->spare);
  e->health = lc_xcalloc(e->nworkers, sizeof *e->health);
  e->redact = lc_redactor_new(plan);
  if (e->open_model) {
    lc_arrival_init(&e->timeline, L->arrivals, L->narrivals);
    e->arrival_alive = lc_xcalloc(e->nworkers, sizeof *e->arrival_alive);
    e->arrival_dropped = lc_xcalloc(e->nworkers, sizeof *e->arrival_dropped);
    e->class_cum = lc_xcalloc(e->nclasses ? e->nclasses : 1, sizeof *e->class_cum);
    uint64_t cum = 0;
    for (size_t i = 0; i < e->nclasses; i++) {
      cum += plan->classes[i].weight ? plan->classes[i].weight : plan->classes[i].fixed_count;
      e->class_cum[i] = cum;
    }
  }

  int rc = lc_dispatch_new(&e->dispatch, plan->classes, plan->nclasses, e->nworkers);
  if (rc != 0) {
    lc_log(LC_LOG_ERROR, "no user class to spawn");
    goto fail_dispatch;
  }
  uv_loop_init(&e->loop);
  queue_init(&e->inbox, sizeof(struct note));
  uv_async_init(&e->loop, &e->async, on_coordinator_async);
  e->async.data = e;
  uv_timer_t *timers[] = {&e->step_timer, &e->stats_timer, &e->run_timer,
                          &e->stop_timer, &e->shape_timer};
  for (size_t i = 0; i < LC_ARRAY_LEN(timers); i++) {
    uv_timer_init(&e->loop, timers[i]);
    timers[i]->data = e;
  }
  uv_signal_init(&e->loop, &e->sigint);
  uv_signal_init(&e->loop, &e->sigterm);
  e->sigint.data = e->sigterm.data = e;
  uv_signal_start(&e->sigint, on_signal, SIGINT);
  uv_signal_start(&e->sigterm, on_signal, SIGTERM);

  e->workers = lc_xcalloc(e->nworkers, sizeof *e->workers);
  unsigned started = 0;
  for (; started < e->nworkers; started++) {
    if (worker_init(e, &e->workers[started], started) != 0) break;
    if (uv_thread_create(&e->workers[started].thread, worker_main, &e->workers[started]) != 0) {
      worker_release(&e->workers[started]);
      break;
    }
  }
  if (started < e->nworkers) {
    lc_log(LC_LOG_ERROR, "could not start worker %u", started);
    e->nworkers = started;
    quit_workers(e);
    if (started == 0) close_coordinator(e);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    rc = LC_EIO;
    goto joined;
  }

  e->start_mono = lc_now_us();
  e->start_wall = wall_us();
  uv_timer_start(&e->stats_timer, on_stats, 1000, 1000);
  if (plan->setup.n) {
    e->in_setup = true;
    struct cmd c = {.kind = CMD_SCRIPT, .force = false};
    send_cmd(&e->workers[0], &c);
  } else {
    start_load(e);
  }

  uv_run(&e->loop, UV_RUN_DEFAULT);
  rc = 0;
joined:
  for (unsigned i = 0; i < e->nworkers; i++) {
    uv_thread_join(&e->workers[i].thread);
    struct worker *w = &e->workers[i];
    lc_hist_merge(&w->lag, &w->lag_second);
    e->health[i].lag_p99_us = lc_hist_percentile(&w->lag, 0.99);
    if (w->lag.count && w->lag.max > e->health[i].lag_max_us) e->health[i].lag_max_us = w->lag.max;
    e->health[i].wakeups = w->lag.count;
    if (e->open_model) {
      out->arrivals.started += w->arrivals_started;
      out->arrivals.dropped += w->arrivals_dropped;
      out->arrivals.late += w->arrivals_late;
      lc_hist_merge(&out->arrivals.lateness, &w->lateness);
    }
    worker_release(w);
  }
  if (uv_loop_close(&e->loop) != 0) lc_log(LC_LOG_DEBUG, "coordinator loop not closed");
  queue_release(&e->inbox);
  lc_dispatch_free(e->dispatch);
fail_dispatch:
  out->totals = e->totals;
  out->history = e->history;
  out->stopped_by_callback = e->callback_stop;
  out->health = e->health;
  out->nworkers = e->nworkers;
  out->open_model = e->open_model;
  if (e->open_model) {
    out->arrivals.scheduled = lc_arrival_count(&e->timeline);
    lc_arrival_release(&e->timeline);
  }
  lc_redactor_free(e->redact);
  free(e->arrival_alive);
  free(e->arrival_dropped);
  free(e->class_cum);
  lc_stats_free(e->second);
  out->start_wall_us = e->start_wall;
  out->end_wall_us = wall_us();
  out->duration_us = e->start_mono ? lc_now_us() - e->start_mono : 0;
  out->peak_users = e->peak;
  out->interrupted = e->interrupted;
  out->killed = e->killed;
  out->task_runs = atomic_load(&e->task_runs);
  for (unsigned i = 0; e->spare && i < e->nworkers; i++) lc_stats_free(e->spare[i]);
  free(e->spare);
  free(e->workers);
  free(e->class_hosts);
  free(e->class_fast);
  lc_vars_release(&e->globals);
  lc_feeders_free(e->feeders);
  free(e);
  return rc;
}

void lc_run_result_release(struct lc_run_result *r) {
  lc_stats_free(r->totals);
  lc_history_free(r->history);
  free(r->health);
  memset(r, 0, sizeof *r);
}
