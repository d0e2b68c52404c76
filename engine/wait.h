/* wait.h: Locust's wait_time functions (locust/user/wait_time.py; locust-behaviour.md section 2)
 * over the plan's struct lc_wait: constant, between, constant_pacing, constant_throughput, and
 * none (constant 0, Locust's default). Pure: the clock is passed in (monotonic microseconds) and
 * randomness comes from the caller's generator, so every value can be tested exactly. */
#ifndef LC_ENGINE_WAIT_H
#define LC_ENGINE_WAIT_H

#include <stdint.h>

#include "config/plan.h"
#include "engine/rng.h"

/* The per-object state Locust keeps for constant_pacing (_cp_last_run, _cp_last_wait_time),
 * plus what the engine needs to measure latency from the intended start (issue 7). Plain data,
 * embedded by its owner and initialised with lc_wait_state_init; callers only read it.
 *
 * Locust keeps the state on the object that owns the wait function: the User for the class's
 * wait (set in User.__init__), and the TaskSet instance for a nested set's own wait (set in
 * TaskSet.__init__, i.e. afresh each time the set is entered). A set without its own wait uses
 * its parent's function, hence its parent's state. The caller mirrors that: one state per user,
 * one per entered taskset frame that has its own wait. */
struct lc_wait_state {
  int64_t last_call_us;  /* Locust's _cp_last_run: when lc_wait_next last ran (or creation) */
  int64_t last_wait_us;  /* Locust's _cp_last_wait_time: the wait it returned (0 at creation) */
  int64_t intended_us;   /* the intended start of the next task: now + the wait last returned
                            (the creation time before the first call) */
  int64_t overrun_us;    /* pacing: by how much the last task ran past its period (busy - T),
                            0 when on time or for other kinds. The unslipped schedule point of
                            the next task is intended_us - overrun_us. */
};

/* Starts a state at the creation of its owner (the user, or a taskset frame when it is
 * entered), so that the first constant_pacing wait counts from creation, as in current Locust
 * (2.12 returned exactly T on the first call instead). */
void lc_wait_state_init(struct lc_wait_state *s, int64_t created_us);

/* The wait, in microseconds (>= 0), that follows a task finishing at now_us. Call it exactly
 * where Locust calls wait_time(): after each task, not after RescheduleTaskImmediately.
 *   LC_WAIT_NONE        0
 *   LC_WAIT_CONSTANT    a_us                                     (constant(c))
 *   LC_WAIT_BETWEEN     a_us + floor(U * (b_us - a_us)), U = lc_rng_double(rng) in [0, 1),
 *                       so the result lies in [a_us, b_us) (exactly a_us when a_us == b_us);
 *                       requires a_us <= b_us, which the compiler checks  (between(a, b))
 *   LC_WAIT_PACING      T = a_us; busy = now - last_call - last_wait; wait = max(0, T - busy);
 *                       then last_wait = wait, last_call = now. A task longer than T gives 0
 *                       and the overrun is forgotten: no catch-up burst   (constant_pacing(T))
 *   LC_WAIT_THROUGHPUT  constant_pacing(1 / rate): T = 1e6 / rate rounded to the nearest
 *                       microsecond (a_us is not read), at most LC_WAIT_MAX_US
 *                       (constant_throughput(rate))
 *   LC_WAIT_INHERIT     must be resolved by the caller to the enclosing set's wait (and that
 *                       set's state) before calling: an assertion in debug builds, 0 otherwise.
 * Only BETWEEN draws from rng (exactly one lc_rng_double per call); rng may be NULL for the
 * other kinds. Every kind also sets s->intended_us = now_us + wait and s->overrun_us, so the
 * engine can measure latency from the intended start; only PACING and THROUGHPUT update the
 * pacing fields. */
int64_t lc_wait_next(const struct lc_wait *w, struct lc_wait_state *s, int64_t now_us,
                     struct lc_rng *rng);

/* The pacing period T of a PACING or THROUGHPUT wait, in microseconds; 0 for other kinds. */
int64_t lc_wait_period_us(const struct lc_wait *w);

/* The longest period a constant_throughput rate is turned into (2^52 us, about 142 years), so
 * that now + wait cannot overflow for any clock value below 2^62. */
#define LC_WAIT_MAX_US (INT64_C(1) << 52)

#endif
