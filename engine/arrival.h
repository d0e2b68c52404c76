/* arrival.h: the open model's timeline (load.arrival). Arrivals are numbered k = 0, 1, 2, ...;
 * arrival k is due when the cumulative number of arrivals N(t) reaches k, where N is the
 * integral of the rate: constant within a stage, or linear from `rate` to `ramp_to` (so N is
 * quadratic there). Arrival 0 is due at t = 0; a stage of rate r and duration D holds about r*D
 * arrivals, evenly spaced (no bursts at second boundaries). The last arrival is the last k due
 * strictly before the end of the last stage, so 100/s for 10 s schedules exactly 1,000.
 *
 * Pure arithmetic on the plan's stages: no clock, no allocation after lc_arrival_init. Workers
 * take every n-th arrival (k = worker, worker + n, ...) and each computes its own due times. */
#ifndef LC_ENGINE_ARRIVAL_H
#define LC_ENGINE_ARRIVAL_H

#include <stddef.h>
#include <stdint.h>

#include "config/plan.h"

#define LC_ARRIVAL_END INT64_MAX  /* no such arrival: the timeline is over */

struct lc_arrival_timeline {
  const struct lc_arrival_stage *stages;
  size_t n;
  double *start_count;   /* N at the start of each stage */
  int64_t *start_us;     /* each stage's start, from the start of the run */
  double total_count;    /* N at the end of the last stage */
  int64_t total_us;
};

/* Prepares the timeline of `stages` (borrowed: they must outlive it). */
void lc_arrival_init(struct lc_arrival_timeline *t, const struct lc_arrival_stage *stages, size_t n);
void lc_arrival_release(struct lc_arrival_timeline *t);

/* When arrival k is due, in microseconds from the start of the run (rounded down), or
 * LC_ARRIVAL_END when it falls at or after the end of the last stage. */
int64_t lc_arrival_due_us(const struct lc_arrival_timeline *t, uint64_t k);

/* How many arrivals the whole timeline schedules. */
uint64_t lc_arrival_count(const struct lc_arrival_timeline *t);

#endif
