/* wait.c: Locust's wait_time functions with an injected clock and generator (see wait.h). */
#include "engine/wait.h"

#include <assert.h>
#include <math.h>

void lc_wait_state_init(struct lc_wait_state *s, int64_t created_us) {
  s->last_call_us = created_us;
  s->last_wait_us = 0;
  s->intended_us = created_us;
  s->overrun_us = 0;
}

int64_t lc_wait_period_us(const struct lc_wait *w) {
  switch (w->kind) {
  case LC_WAIT_PACING:
    return w->a_us;
  case LC_WAIT_THROUGHPUT: {
    assert(w->rate > 0);
    if (!(w->rate > 0)) return 0;              /* also NaN: no pacing rather than garbage */
    double t = 1e6 / w->rate;
    if (!(t < (double)LC_WAIT_MAX_US)) return LC_WAIT_MAX_US;
    return (int64_t)llround(t);
  }
  default:
    return 0;
  }
}

/* constant_pacing: Locust's current wait_time_func, in integer microseconds. */
static int64_t pacing(int64_t period, struct lc_wait_state *s, int64_t now_us) {
  int64_t busy = now_us - s->last_call_us - s->last_wait_us;
  int64_t wait = period - busy;
  if (wait < 0) wait = 0;
  s->overrun_us = busy > period ? busy - period : 0;
  s->last_wait_us = wait;
  s->last_call_us = now_us;
  return wait;
}

static int64_t between(const struct lc_wait *w, struct lc_rng *rng) {
  assert(w->a_us <= w->b_us);
  double u = lc_rng_double(rng);
  if (w->b_us <= w->a_us) return w->a_us;
  int64_t span = w->b_us - w->a_us;
  int64_t off = (int64_t)floor(u * (double)span);
  /* u * span can round up to span itself when u is the largest double below 1; the interval
   * is half-open, as U is. */
  if (off >= span) off = span - 1;
  return w->a_us + off;
}

int64_t lc_wait_next(const struct lc_wait *w, struct lc_wait_state *s, int64_t now_us,
                     struct lc_rng *rng) {
  int64_t wait = 0;
  s->overrun_us = 0;
  assert(w->kind != LC_WAIT_INHERIT);  /* the caller resolves it to the enclosing set's wait */
  switch (w->kind) {
  case LC_WAIT_INHERIT:  /* release builds: no wait */
  case LC_WAIT_NONE:
    break;
  case LC_WAIT_CONSTANT:
    wait = w->a_us;
    break;
  case LC_WAIT_BETWEEN:
    wait = between(w, rng);
    break;
  case LC_WAIT_PACING:
  case LC_WAIT_THROUGHPUT:
    wait = pacing(lc_wait_period_us(w), s, now_us);
    break;
  }
  s->intended_us = now_us + wait;
  return wait;
}
