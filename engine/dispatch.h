/* dispatch.h: Locust's user dispatch (locust/dispatch.py, runners.py, shape.py;
 * locust-behaviour.md sections 4-5) as pure state machines the coordinator drives: which class
 * the next user has, on which worker it runs, when each spawn-rate step is due, which user a
 * ramp-down stops, and which stage of a load shape applies. No clock, threads or I/O here:
 * times are passed in (monotonic microseconds) and actions come back through a callback. */
#ifndef LC_ENGINE_DISPATCH_H
#define LC_ENGINE_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/plan.h"

/* ---- the dispatcher ---- */

struct lc_dispatch;

enum lc_dispatch_action {
  LC_DISPATCH_SPAWN,  /* start a user of the class on the worker */
  LC_DISPATCH_STOP,   /* stop a user of the class on the worker (which one is the worker's
                         choice; its most recent one keeps the LIFO spirit) */
};

/* One user to start or stop. class_index indexes the array given to lc_dispatch_new; worker is
 * in [0, nworkers). Called synchronously from lc_dispatch_step and lc_dispatch_stop_all after
 * the dispatcher's counts include the change; it may call the read-only functions below but
 * must not call lc_dispatch_set_target, _step, _stop_all or _free. */
typedef void (*lc_dispatch_cb)(void *arg, enum lc_dispatch_action action, size_t class_index,
                               unsigned worker);

/* A dispatcher over the user classes classes[0..nclasses) (normally plan->classes), spreading
 * users over nworkers workers. It borrows `classes` (names included), which must outlive it.
 * Classes with weight 0 and fixed_count 0 are dropped and the rest are ordered by name
 * (byte order, as Python's sort of the class names), as Locust's UsersDispatcher does.
 * Returns 0 and *out (free with lc_dispatch_free), or LC_EINVAL when no class is left (Locust
 * refuses to run then), two classes share a name, or nworkers is 0. */
int lc_dispatch_new(struct lc_dispatch **out, const struct lc_user_class *classes,
                    size_t nclasses, unsigned nworkers);
void lc_dispatch_free(struct lc_dispatch *d);

/* Starts a ramp to `users` at `rate` users per second (Locust's new_dispatch / Runner.start):
 * k = max(1, floor(rate)) users per step, a step every k / rate seconds, the first one due at
 * now_us; the last step is clamped at the target; ramping down stops k users per step in the
 * same rhythm. A ramp still in progress is abandoned, and the new one starts from the current
 * count (Locust kills the spawning greenlet and dispatches again).
 *
 * `only` restricts the classes of the users added from now on (a stage's user_classes);
 * NULL or empty means every class. Users already running are not touched, and ramp-down stays
 * LIFO over all users. When the set differs from the previous one the class order starts over
 * (Locust creates a new user generator), and the fixed_count classes of the new set are topped
 * up first.
 *
 * Returns 0, or LC_EINVAL (rate not a finite number above 0, or so small that a step interval
 * exceeds LC_DISPATCH_MAX_INTERVAL_US) or LC_ENOENT (a name in `only` is none of the dispatcher's
 * classes: unknown, or dropped for weight 0 without fixed_count); on error nothing changes. Nothing is spawned or stopped until lc_dispatch_step. */
int lc_dispatch_set_target(struct lc_dispatch *d, uint32_t users, double rate,
                           const struct lc_strs *only, int64_t now_us);

/* When the next ramp step is due (monotonic us), or LC_DISPATCH_IDLE when no ramp is running.
 * Step j of a ramp started at t0 is due at t0 + round(j * k / rate seconds): an absolute
 * schedule, so a late coordinator does not slow the ramp down (see lc_dispatch_step). */
int64_t lc_dispatch_next_event_us(const struct lc_dispatch *d);
#define LC_DISPATCH_IDLE INT64_C(-1)

/* Runs every ramp step due at or before now_us, in order, calling cb (which may be NULL) for
 * each user started or stopped. Driving it at exact step times gives one step per call; driving it from a 1 s tick
 * runs the steps that fell due since the last tick, so the mean rate holds.
 * Returns 1 when this call completed the ramp (Locust's spawning_complete: the target was
 * reached, or no class can give another user, as when every class has a fixed_count and the
 * target exceeds their sum), else 0. A ramp to the current count completes at its first step
 * with no callback, as Locust's does. */
int lc_dispatch_step(struct lc_dispatch *d, int64_t now_us, lc_dispatch_cb cb, void *arg);

/* Ends any ramp and stops every user at once, most recent first (the end of a test: Locust's
 * runner stops all users together, without a spawn rate). */
void lc_dispatch_stop_all(struct lc_dispatch *d, lc_dispatch_cb cb, void *arg);

bool lc_dispatch_ramping(const struct lc_dispatch *d);
uint32_t lc_dispatch_target(const struct lc_dispatch *d);
uint32_t lc_dispatch_user_count(const struct lc_dispatch *d);
/* Users of classes[class_index] (0 for a dropped class or an index out of range). */
uint32_t lc_dispatch_class_count(const struct lc_dispatch *d, size_t class_index);
/* Users on a worker: the counts of any two workers differ by at most one. */
uint32_t lc_dispatch_worker_count(const struct lc_dispatch *d, unsigned worker);
/* The i-th running user in the order it was added (0 = oldest); ramp-down takes the last one.
 * Returns 0, or LC_EINVAL when i >= lc_dispatch_user_count. */
int lc_dispatch_user_at(const struct lc_dispatch *d, size_t i, size_t *class_index,
                        unsigned *worker);

/* The longest step interval a spawn rate may give (2^52 us, about 142 years). */
#define LC_DISPATCH_MAX_INTERVAL_US (INT64_C(1) << 52)

/* ---- stages: a LoadTestShape from the plan's stages ---- */

/* Locust's stages shape (examples/custom_shape/stages.py) driven as runners.py's shape_worker
 * does: each tick maps the time since the test started to the stage it falls in (stages run one
 * after the other, each for its own duration), the test ends once the last stage is over, and a
 * tick whose (users, spawn_rate, user_classes) equals the last one applied does nothing. Plain
 * data, embedded by the coordinator; the stages are borrowed from the plan. */
struct lc_shape {
  const struct lc_stage *stages;
  size_t n;
  const struct lc_stage *last;  /* the stage whose tuple was applied last; NULL before the first */
  bool ended;
};

enum lc_shape_tick {
  LC_SHAPE_SAME,   /* nothing to do */
  LC_SHAPE_START,  /* call lc_dispatch_set_target with the stage's users, spawn_rate and
                      user_classes */
  LC_SHAPE_END,    /* the last stage is over: stop the test (Locust's tick() returning None) */
};

void lc_shape_init(struct lc_shape *s, const struct lc_stage *stages, size_t n);
/* The tick at elapsed_us since the test started (Locust polls about once a second; calling
 * it at each stage boundary as well, lc_shape_next_change_us, makes the stages exact). On
 * LC_SHAPE_START *stage is the stage to apply; otherwise it is left alone. Once it has returned
 * LC_SHAPE_END it always does. */
enum lc_shape_tick lc_shape_tick(struct lc_shape *s, int64_t elapsed_us,
                                 const struct lc_stage **stage);
/* The index of the stage that applies at elapsed_us (negative counts as 0), or n when every
 * stage is over. Stage i covers [d0 + ... + d(i-1), d0 + ... + di). */
size_t lc_shape_stage_at(const struct lc_stage *stages, size_t n, int64_t elapsed_us);
/* The end of the stage that applies at elapsed_us (when a tick may next change something), or
 * -1 after the last stage. */
int64_t lc_shape_next_change_us(const struct lc_shape *s, int64_t elapsed_us);
/* The sum of the stages' durations: the test's length. */
int64_t lc_shape_duration_us(const struct lc_shape *s);

#endif
