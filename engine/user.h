/* user.h: a simulated user, a small state machine interpreting one user class of the plan with
 * Locust's semantics (locust-behaviour.md sections 1-2): on_start, weighted or sequential
 * picks, nested tasksets entered fresh with their own on_start, interrupt with and without
 * reschedule, reschedule / reschedule immediately, stop_user, waits after each task, the
 * on_stop chain innermost first. It does no I/O itself: the worker that owns it provides the
 * hooks below (send a request, wake me at, record a result), so the machine can be driven by
 * a real libuv worker or by a unit test with a fake clock. A waiting user holds no buffers. */
#ifndef LC_ENGINE_USER_H
#define LC_ENGINE_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "config/plan.h"
#include "engine/http.h"
#include "engine/rng.h"
#include "engine/feeder.h"
#include "engine/vars.h"

struct lc_user;

/* What a worker gives its users. `w` is passed back to every hook. */
struct lc_user_hooks {
  /* Start req for u; the worker later calls lc_user_on_response(u, resp) exactly once.
   * Returns 0, or a negative code (the user then records the failure and goes on). */
  int (*send)(void *w, struct lc_user *u, const struct lc_http_request *req);
  /* Cancel u's request in flight, if any; lc_user_on_response will not be called for it. */
  void (*cancel)(void *w, struct lc_user *u);
  /* Wake u (lc_user_wake) at due_us on the monotonic clock; replaces an earlier wake-up. */
  void (*wake_at)(void *w, struct lc_user *u, int64_t due_us);
  void (*cancel_wake)(void *w, struct lc_user *u);
  /* A finished request: stats name, method, status (0 when none came), response time, bytes,
   * failure message or NULL; intended_us: its time from the intended start (-1: the user has
   * no schedule), interval_us: the user's pacing interval for the intended-start correction
   * (0: none; see lc_stats_record_intended). */
  void (*record)(void *w, const char *name, const char *method, int status,
                 int64_t response_time_us, uint64_t content_length, const char *failure,
                 int64_t intended_us, int64_t interval_us);
  /* An error inside the user that is not a request failure (Locust's user_error). */
  void (*user_error)(void *w, struct lc_user *u, const char *message);
  /* Asks whether another task may start (--iterations); false ends the user gracefully.
   * count: the task is a task run; false for entering a taskset or sequence, which, as in
   * locust-plugins, is no run of its own but is refused once the limit is reached. */
  bool (*task_allowed)(void *w, bool count);
  /* A `log:` step's rendered text. */
  void (*log)(void *w, struct lc_user *u, const char *text);
  /* The user has finished its on_stop chain and may be freed. */
  void (*stopped)(void *w, struct lc_user *u);
  /* The monotonic clock in microseconds. */
  int64_t (*now_us)(void *w);
  void *w;
  unsigned response_keep;         /* what users keep of responses: lc_plan_response_needs */
  const struct lc_feeders *feeders;  /* the run's data feeders, or NULL */
  /* a unique feeder with on_exhausted: stop_test ran out: the run must stop */
  void (*stop_test)(void *w, struct lc_user *u);
  const struct lc_vars *globals;  /* globals captured in setup (vars.NAME), or NULL */
};

/* A new user of class uc (owned by the caller's plan, which outlives the user). base_url is
 * the host requests are joined to (class host, scenario host or --host); id numbers users from
 * 1 across the run; rng is seeded by the caller. Nothing runs until lc_user_start. */
struct lc_user *lc_user_new(const struct lc_plan *plan, const struct lc_user_class *uc,
                            const char *base_url, uint64_t id, const struct lc_rng *rng,
                            const struct lc_user_hooks *hooks);
void lc_user_free(struct lc_user *u);
/* A user that runs `steps` once (setup or teardown: Locust's test_start / test_stop), with no
 * class, tasks or on_stop; hooks->stopped follows the last step. */
struct lc_user *lc_user_new_script(const struct lc_plan *plan, const struct lc_steps *steps,
                                   const char *base_url, uint64_t id, const struct lc_rng *rng,
                                   const struct lc_user_hooks *hooks);
/* The user's variables (for setup: they become the globals read as vars.NAME). */
struct lc_vars *lc_user_vars(struct lc_user *u);

/* Runs on_start and the first task, up to its first wait for I/O or time. */
void lc_user_start(struct lc_user *u);
/* Starts an open-model arrival: on_start, one task run (entering tasksets does not count,
 * as with --iterations), then the on_stop chain at once, without a wait. lateness_us, how late
 * the arrival starts against its intended time, is added to the intended-start time of each of
 * its requests. */
void lc_user_start_arrival(struct lc_user *u, int64_t lateness_us);
bool lc_user_is_arrival(const struct lc_user *u);
/* The worker's wake-up for a wake_at. */
void lc_user_wake(struct lc_user *u);
/* The response to the request sent through hooks->send. resp is valid during the call. */
void lc_user_on_response(struct lc_user *u, const struct lc_http_response *resp);
/* Stop the user (Locust's User.stop): a waiting user stops at once; a running one stops at once
 * when force, else after its current task (at its next wait). Either way the on_stop chain runs
 * (innermost taskset first, then the class's on_stop) and hooks->stopped follows. Calling it
 * again with force while the on_stop chain runs ends the user now. */
void lc_user_stop(struct lc_user *u, bool force);

uint64_t lc_user_id(const struct lc_user *u);
const struct lc_user_class *lc_user_class(const struct lc_user *u);
/* Task runs started by this user so far. */
uint64_t lc_user_iterations(const struct lc_user *u);
bool lc_user_is_waiting(const struct lc_user *u);
/* Asked to stop already (its task is finishing, or its on_stop chain runs), or done. */
bool lc_user_is_stopping(const struct lc_user *u);

/* Worker-owned links, so that a worker can keep users in its own lists without allocating. */
struct lc_user_links {
  struct lc_user *prev, *next;
  int64_t due_us;     /* the pending wake-up, 0 when none */
  size_t heap_index;  /* position in the worker's timer heap, SIZE_MAX when not in it */
  void *request;      /* the worker's request in flight for this user */
  bool fast;          /* request is a fast-client session (else a curl one) */
};
struct lc_user_links *lc_user_links(struct lc_user *u);

#endif
