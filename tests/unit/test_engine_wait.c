/* test_engine_wait.c: unit tests for engine/wait, Locust's wait_time functions, with a fixed
 * clock: exact values for each kind, constant_pacing's first wait counted from creation, its
 * overrun giving 0 and then being forgotten, and the intended start of the next task. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "engine/wait.h"

#define MS INT64_C(1000)
#define SEC INT64_C(1000000)

static struct lc_wait mkwait(enum lc_wait_kind kind, int64_t a, int64_t b, double rate) {
  struct lc_wait w = {kind, a, b, rate};
  return w;
}

static void none_is_zero(void **state) {
  (void)state;
  struct lc_wait w = mkwait(LC_WAIT_NONE, 0, 0, 0);
  struct lc_wait_state s;
  lc_wait_state_init(&s, 5 * SEC);
  assert_int_equal(s.intended_us, 5 * SEC);
  assert_int_equal(lc_wait_next(&w, &s, 7 * SEC, NULL), 0);
  assert_int_equal(s.intended_us, 7 * SEC);
  assert_int_equal(s.overrun_us, 0);
}

static void constant_is_constant(void **state) {
  (void)state;
  struct lc_wait w = mkwait(LC_WAIT_CONSTANT, 1500 * MS, 0, 0);
  struct lc_wait_state s;
  lc_wait_state_init(&s, 0);
  /* Whatever the task took: constant(c) ignores the clock. */
  assert_int_equal(lc_wait_next(&w, &s, 100 * MS, NULL), 1500 * MS);
  assert_int_equal(s.intended_us, 1600 * MS);
  assert_int_equal(lc_wait_next(&w, &s, 60 * SEC, NULL), 1500 * MS);
  assert_int_equal(s.intended_us, 61500 * MS);
}

static void between_is_a_plus_u_times_span(void **state) {
  (void)state;
  struct lc_wait w = mkwait(LC_WAIT_BETWEEN, 1 * SEC, 3 * SEC, 0);
  struct lc_wait_state s;
  lc_wait_state_init(&s, 0);
  struct lc_rng r, twin;
  lc_rng_seed(&r, 2024, 1);
  twin = r;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int i = 0; i < 20000; i++) {
    /* Exactly a + floor(U (b - a)) with the U the generator gives next, one draw per call. */
    double u = lc_rng_double(&twin);
    int64_t want = 1 * SEC + (int64_t)floor(u * (double)(2 * SEC));
    int64_t got = lc_wait_next(&w, &s, i * MS, &r);
    assert_int_equal(got, want);
    assert_int_equal(s.intended_us, i * MS + got);
    assert_true(got >= 1 * SEC && got < 3 * SEC);
    if (got < lo) lo = got;
    if (got > hi) hi = got;
  }
  /* Both ends are approached: P(all 20000 draws miss a 10 ms edge band) = (1 - 1/200)^20000. */
  assert_true(lo < 1 * SEC + 10 * MS);
  assert_true(hi > 3 * SEC - 10 * MS);
  /* between(a, a) = a (and still one draw, so sequences stay aligned). */
  struct lc_wait same = mkwait(LC_WAIT_BETWEEN, 250 * MS, 250 * MS, 0);
  assert_int_equal(lc_wait_next(&same, &s, 0, &r), 250 * MS);
  (void)lc_rng_double(&twin);
  assert_true(lc_rng_next(&r) == lc_rng_next(&twin));
}

/* Locust's constant_pacing with T = 1 s for a user created at t = 10 s. */
static void pacing_counts_from_creation_and_forgets_overruns(void **state) {
  (void)state;
  struct lc_wait w = mkwait(LC_WAIT_PACING, 1 * SEC, 0, 0);
  struct lc_wait_state s;
  lc_wait_state_init(&s, 10 * SEC);
  /* First task (on_start included) ends 300 ms after creation: wait 700 ms, not T. */
  assert_int_equal(lc_wait_next(&w, &s, 10300 * MS, NULL), 700 * MS);
  assert_int_equal(s.intended_us, 11 * SEC);
  assert_int_equal(s.overrun_us, 0);
  /* Woken at 11.0 s, the task takes 200 ms: busy = 11.2 - 10.3 - 0.7 = 0.2 -> 800 ms. */
  assert_int_equal(lc_wait_next(&w, &s, 11200 * MS, NULL), 800 * MS);
  assert_int_equal(s.intended_us, 12 * SEC);
  /* A task of exactly T: no wait. */
  assert_int_equal(lc_wait_next(&w, &s, 13 * SEC, NULL), 0);
  assert_int_equal(s.intended_us, 13 * SEC);
  assert_int_equal(s.overrun_us, 0);
  /* Overrun: the task takes 1.5 s: wait 0, 500 ms late. */
  assert_int_equal(lc_wait_next(&w, &s, 14500 * MS, NULL), 0);
  assert_int_equal(s.intended_us, 14500 * MS);
  assert_int_equal(s.overrun_us, 500 * MS);
  /* ... and forgotten: the next 400 ms task waits 600 ms (a catch-up would give 100 ms). */
  assert_int_equal(lc_wait_next(&w, &s, 14900 * MS, NULL), 600 * MS);
  assert_int_equal(s.intended_us, 15500 * MS);
  assert_int_equal(s.overrun_us, 0);
  /* The fields Locust keeps. */
  assert_int_equal(s.last_call_us, 14900 * MS);
  assert_int_equal(s.last_wait_us, 600 * MS);
}

static void pacing_first_wait_edges(void **state) {
  (void)state;
  struct lc_wait w = mkwait(LC_WAIT_PACING, 2 * SEC, 0, 0);
  struct lc_wait_state s;
  /* A first task ending at creation gets exactly T (Locust 2.12's first call, as a case). */
  lc_wait_state_init(&s, 0);
  assert_int_equal(lc_wait_next(&w, &s, 0, NULL), 2 * SEC);
  /* An on_start longer than T: no wait before the second task, overrun counted. */
  lc_wait_state_init(&s, 0);
  assert_int_equal(lc_wait_next(&w, &s, 5 * SEC, NULL), 0);
  assert_int_equal(s.overrun_us, 3 * SEC);
  /* A taskset entered later gets its own state from its entry time. */
  lc_wait_state_init(&s, 100 * SEC);
  assert_int_equal(lc_wait_next(&w, &s, 100500 * MS, NULL), 1500 * MS);
}

static void throughput_is_pacing_of_the_inverse(void **state) {
  (void)state;
  /* constant_throughput(4) = constant_pacing(0.25); a_us is not read. */
  struct lc_wait w = mkwait(LC_WAIT_THROUGHPUT, 0, 0, 4.0);
  assert_int_equal(lc_wait_period_us(&w), 250 * MS);
  struct lc_wait_state s;
  lc_wait_state_init(&s, 0);
  assert_int_equal(lc_wait_next(&w, &s, 100 * MS, NULL), 150 * MS);
  assert_int_equal(s.intended_us, 250 * MS);
  assert_int_equal(lc_wait_next(&w, &s, 400 * MS, NULL), 100 * MS);
  assert_int_equal(lc_wait_next(&w, &s, 900 * MS, NULL), 0);     /* 400 ms task: overrun */
  assert_int_equal(s.overrun_us, 150 * MS);
  assert_int_equal(lc_wait_next(&w, &s, 1000 * MS, NULL), 150 * MS); /* forgotten */
  /* Periods round to the nearest microsecond. */
  struct lc_wait third = mkwait(LC_WAIT_THROUGHPUT, 0, 0, 3.0);
  assert_int_equal(lc_wait_period_us(&third), 333333);
  struct lc_wait two_thirds = mkwait(LC_WAIT_THROUGHPUT, 0, 0, 1.5);
  assert_int_equal(lc_wait_period_us(&two_thirds), 666667);
  /* A vanishing rate is capped, not overflowed. */
  struct lc_wait slow = mkwait(LC_WAIT_THROUGHPUT, 0, 0, 1e-30);
  assert_int_equal(lc_wait_period_us(&slow), LC_WAIT_MAX_US);
  /* Other kinds have no period. */
  struct lc_wait c = mkwait(LC_WAIT_CONSTANT, 5 * SEC, 0, 0);
  assert_int_equal(lc_wait_period_us(&c), 0);
  struct lc_wait p = mkwait(LC_WAIT_PACING, 5 * SEC, 0, 0);
  assert_int_equal(lc_wait_period_us(&p), 5 * SEC);
}

static void other_kinds_leave_pacing_state_alone(void **state) {
  (void)state;
  struct lc_wait w = mkwait(LC_WAIT_CONSTANT, 1 * SEC, 0, 0);
  struct lc_wait_state s;
  lc_wait_state_init(&s, 3 * SEC);
  (void)lc_wait_next(&w, &s, 9 * SEC, NULL);
  assert_int_equal(s.last_call_us, 3 * SEC);
  assert_int_equal(s.last_wait_us, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(none_is_zero),
      cmocka_unit_test(constant_is_constant),
      cmocka_unit_test(between_is_a_plus_u_times_span),
      cmocka_unit_test(pacing_counts_from_creation_and_forgets_overruns),
      cmocka_unit_test(pacing_first_wait_edges),
      cmocka_unit_test(throughput_is_pacing_of_the_inverse),
      cmocka_unit_test(other_kinds_leave_pacing_state_alone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
