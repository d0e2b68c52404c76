/* test_engine_arrival.c: unit tests for engine/arrival (the open model's timeline): exact
 * counts, even spacing, ramps against the integral of the rate, stage boundaries, zero-rate
 * stages, and workers taking every n-th arrival. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "engine/arrival.h"

static struct lc_arrival_stage st(double secs, double rate, double ramp_to) {
  struct lc_arrival_stage s = {{0, 0, 0}, (int64_t)(secs * 1e6), rate, ramp_to};
  return s;
}

static void constant_rate(void **state) {
  (void)state;
  struct lc_arrival_stage s[] = {st(10, 100, 100)};
  struct lc_arrival_timeline t;
  lc_arrival_init(&t, s, 1);
  assert_int_equal(lc_arrival_count(&t), 1000);
  for (uint64_t k = 0; k < 1000; k++) assert_int_equal(lc_arrival_due_us(&t, k), (int64_t)k * 10000);
  assert_int_equal(lc_arrival_due_us(&t, 1000), LC_ARRIVAL_END);
  lc_arrival_release(&t);
}

/* A ramp from 10/s to 30/s over 10 s: N(t) = 10t + t^2, 200 arrivals; arrival k when N = k. */
static void ramp(void **state) {
  (void)state;
  struct lc_arrival_stage s[] = {st(10, 10, 30)};
  struct lc_arrival_timeline t;
  lc_arrival_init(&t, s, 1);
  assert_int_equal(lc_arrival_count(&t), 200);
  int64_t prev = -1;
  for (uint64_t k = 0; k < 200; k++) {
    double want = (-10.0 + sqrt(100.0 + 4.0 * (double)k)) / 2.0; /* root of t^2 + 10t - k */
    int64_t due = lc_arrival_due_us(&t, k);
    assert_true(llabs(due - (int64_t)(want * 1e6)) <= 1);
    assert_true(due > prev); /* strictly increasing */
    prev = due;
  }
  /* spacing shrinks as the rate grows: about 1/10 s at the start, 1/30 s at the end */
  assert_true(llabs(lc_arrival_due_us(&t, 1) - 99010) < 100);
  assert_true(llabs((lc_arrival_due_us(&t, 199) - lc_arrival_due_us(&t, 198)) - 33389) < 100);
  assert_int_equal(lc_arrival_due_us(&t, 200), LC_ARRIVAL_END);
  /* ramping down works the same way */
  struct lc_arrival_stage d[] = {st(10, 30, 10)};
  lc_arrival_release(&t);
  lc_arrival_init(&t, d, 1);
  assert_int_equal(lc_arrival_count(&t), 200);
  assert_true(llabs(lc_arrival_due_us(&t, 1) - 33370) < 100);
  lc_arrival_release(&t);
}

static void stages_and_zero_rate(void **state) {
  (void)state;
  /* 2 s at 5/s (10), 3 s of nothing, 1 s at 4/s (4) */
  struct lc_arrival_stage s[] = {st(2, 5, 5), st(3, 0, 0), st(1, 4, 4)};
  struct lc_arrival_timeline t;
  lc_arrival_init(&t, s, 3);
  assert_int_equal(lc_arrival_count(&t), 14);
  assert_int_equal(lc_arrival_due_us(&t, 9), 1800000);
  assert_int_equal(lc_arrival_due_us(&t, 10), 5000000); /* the next one waits for stage 3 */
  assert_int_equal(lc_arrival_due_us(&t, 13), 5750000);
  assert_int_equal(lc_arrival_due_us(&t, 14), LC_ARRIVAL_END);
  lc_arrival_release(&t);
  /* a fractional total: 2.5 arrivals scheduled -> k = 0, 1, 2 */
  struct lc_arrival_stage f[] = {st(0.5, 5, 5)};
  lc_arrival_init(&t, f, 1);
  assert_int_equal(lc_arrival_count(&t), 3);
  assert_int_equal(lc_arrival_due_us(&t, 2), 400000);
  assert_int_equal(lc_arrival_due_us(&t, 3), LC_ARRIVAL_END);
  lc_arrival_release(&t);
}

/* Three workers taking k = w, w + 3, ... together schedule every arrival exactly once. */
static void workers_split(void **state) {
  (void)state;
  struct lc_arrival_stage s[] = {st(3, 7, 21)};
  struct lc_arrival_timeline t;
  lc_arrival_init(&t, s, 1);
  uint64_t total = 0;
  for (uint64_t w = 0; w < 3; w++)
    for (uint64_t k = w; lc_arrival_due_us(&t, k) != LC_ARRIVAL_END; k += 3) total++;
  assert_int_equal(total, lc_arrival_count(&t));
  assert_int_equal(total, 42);
  lc_arrival_release(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(constant_rate),
      cmocka_unit_test(ramp),
      cmocka_unit_test(stages_and_zero_rate),
      cmocka_unit_test(workers_split),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
