/* arrival.c: see arrival.h. */
#include "engine/arrival.h"

#include <math.h>
#include <stdlib.h>

#include "engine/base/base.h"

#define EPS 1e-9  /* counts within this of a whole number are taken as that number */

void lc_arrival_init(struct lc_arrival_timeline *t, const struct lc_arrival_stage *stages, size_t n) {
  t->stages = stages;
  t->n = n;
  t->start_count = lc_xcalloc(n + 1, sizeof *t->start_count);
  t->start_us = lc_xcalloc(n + 1, sizeof *t->start_us);
  double c = 0;
  int64_t us = 0;
  for (size_t i = 0; i < n; i++) {
    t->start_count[i] = c;
    t->start_us[i] = us;
    double d = (double)stages[i].duration_us / 1e6;
    c += (stages[i].rate + stages[i].ramp_to) / 2.0 * d;
    us += stages[i].duration_us;
  }
  t->start_count[n] = c;
  t->start_us[n] = us;
  t->total_count = c;
  t->total_us = us;
}

void lc_arrival_release(struct lc_arrival_timeline *t) {
  free(t->start_count);
  free(t->start_us);
  t->start_count = NULL;
  t->start_us = NULL;
}

uint64_t lc_arrival_count(const struct lc_arrival_timeline *t) {
  double c = t->total_count - EPS;
  return c <= 0 ? 0 : (uint64_t)ceil(c);
}

int64_t lc_arrival_due_us(const struct lc_arrival_timeline *t, uint64_t k) {
  double kd = (double)k;
  if (kd >= t->total_count - EPS) return LC_ARRIVAL_END;
  /* the stage holding k: the last one that starts at or before it (few stages: linear) */
  size_t i = 0;
  while (i + 1 < t->n && t->start_count[i + 1] <= kd + EPS) i++;
  const struct lc_arrival_stage *s = &t->stages[i];
  double d = (double)s->duration_us / 1e6;
  double delta = kd - t->start_count[i];
  if (delta < 0) delta = 0;
  double a = d > 0 ? (s->ramp_to - s->rate) / (2.0 * d) : 0, b = s->rate, tau;
  if (fabs(a) < 1e-12) {
    tau = b > 0 ? delta / b : 0;
  } else {
    double disc = b * b + 4.0 * a * delta;
    if (disc < 0) disc = 0;
    double den = b + sqrt(disc);
    tau = den > 0 ? 2.0 * delta / den : d;
  }
  if (tau < 0) tau = 0;
  if (tau > d) tau = d;
  int64_t due = t->start_us[i] + (int64_t)floor(tau * 1e6 + 1e-6);
  return due >= t->total_us ? LC_ARRIVAL_END : due;
}
