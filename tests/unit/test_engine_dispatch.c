/* test_engine_dispatch.c: unit tests for engine/dispatch against Locust's documented behaviour
 * (locust-behaviour.md sections 4-5): the class order (weights, fixed_count, class subsets),
 * spawn-rate steps, ramp-down LIFO, worker spreading, retargets mid-ramp, and stages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "engine/base/base.h"
#include "engine/dispatch.h"

#define MS INT64_C(1000)
#define SEC INT64_C(1000000)

/* ---- helpers ---- */

struct spec {
  const char *name;
  uint32_t weight, fixed;
};

static void mkclasses(struct lc_user_class *out, const struct spec *s, size_t n) {
  memset(out, 0, n * sizeof *out);
  for (size_t i = 0; i < n; i++) {
    out[i].name = s[i].name;
    out[i].weight = s[i].weight;
    out[i].fixed_count = s[i].fixed;
  }
}

/* Records what the dispatcher asks for. */
#define MAX_EVENTS 4096
struct rec {
  const struct lc_user_class *classes;
  size_t n;
  enum lc_dispatch_action action[MAX_EVENTS];
  size_t cls[MAX_EVENTS];
  unsigned worker[MAX_EVENTS];
  char names[MAX_EVENTS + 1];  /* first letters of the class names, in order */
  const struct lc_dispatch *d;
  bool counts_ok;              /* the dispatcher's counts already include each change */
  uint32_t last_count;
};

static void record(void *arg, enum lc_dispatch_action action, size_t cls, unsigned worker) {
  struct rec *r = arg;
  assert_true(r->n < MAX_EVENTS);
  r->action[r->n] = action;
  r->cls[r->n] = cls;
  r->worker[r->n] = worker;
  r->names[r->n] = r->classes[cls].name[0];
  r->n++;
  r->names[r->n] = '\0';
  if (r->d) {
    uint32_t c = lc_dispatch_user_count(r->d);
    if (c != (action == LC_DISPATCH_SPAWN ? r->last_count + 1 : r->last_count - 1))
      r->counts_ok = false;
    r->last_count = c;
  }
}

static void rec_init(struct rec *r, const struct lc_user_class *classes,
                     const struct lc_dispatch *d) {
  memset(r, 0, sizeof *r);
  r->classes = classes;
  r->d = d;
  r->counts_ok = true;
  r->last_count = d ? lc_dispatch_user_count(d) : 0;
}

static void rec_clear(struct rec *r) {
  r->n = 0;
  r->names[0] = '\0';
}

static struct lc_dispatch *mk(const struct lc_user_class *c, size_t n, unsigned workers) {
  struct lc_dispatch *d = NULL;
  assert_int_equal(lc_dispatch_new(&d, c, n, workers), 0);
  assert_non_null(d);
  return d;
}

/* Spawns `users` at once (a rate high enough for one step) and returns the class letters. */
static const char *spawn_all(struct lc_dispatch *d, struct rec *r, uint32_t users,
                             int64_t now) {
  assert_int_equal(lc_dispatch_set_target(d, users, 1e6, NULL, now), 0);
  assert_int_equal(lc_dispatch_step(d, now, record, r), 1);
  return r->names;
}

/* ---- class order ---- */

static void weights_5_1_give_locust_sequence(void **state) {
  (void)state;
  struct lc_user_class c[2];
  mkclasses(c, (const struct spec[]){{"B", 1, 0}, {"A", 5, 0}}, 2);  /* sorted by name */
  struct lc_dispatch *d = mk(c, 2, 1);
  struct rec r;
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 12, 0), "AABAAAAABAAA");
  assert_int_equal(lc_dispatch_class_count(d, 1), 10);  /* A */
  assert_int_equal(lc_dispatch_class_count(d, 0), 2);   /* B */
  assert_true(r.counts_ok);
  lc_dispatch_free(d);
}

static void equal_weights_round_robin(void **state) {
  (void)state;
  struct lc_user_class c[3];
  mkclasses(c, (const struct spec[]){{"C", 1, 0}, {"A", 1, 0}, {"B", 1, 0}}, 3);
  struct lc_dispatch *d = mk(c, 3, 1);
  struct rec r;
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 6, 0), "ABCABC");
  lc_dispatch_free(d);
  /* Equal weights other than 1 give the same order. */
  mkclasses(c, (const struct spec[]){{"C", 7, 0}, {"A", 7, 0}, {"B", 7, 0}}, 3);
  d = mk(c, 3, 1);
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 9, 0), "ABCABCABC");
  lc_dispatch_free(d);
}

static void more_weighted_sequences(void **state) {
  (void)state;
  /* Locust's _kl_generator on (3, 2, 1) and (2, 5, 6); counts are exact after a full cycle. */
  struct lc_user_class c[3];
  mkclasses(c, (const struct spec[]){{"A", 3, 0}, {"B", 2, 0}, {"C", 1, 0}}, 3);
  struct lc_dispatch *d = mk(c, 3, 1);
  struct rec r;
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 12, 0), "ABCABAABCABA");
  lc_dispatch_free(d);
  mkclasses(c, (const struct spec[]){{"A", 2, 0}, {"B", 5, 0}, {"C", 6, 0}}, 3);
  d = mk(c, 3, 1);
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 13, 0), "CBACBCBCBACBC");
  assert_int_equal(lc_dispatch_class_count(d, 0), 2);
  assert_int_equal(lc_dispatch_class_count(d, 1), 5);
  assert_int_equal(lc_dispatch_class_count(d, 2), 6);
  lc_dispatch_free(d);
}

static void zero_weight_classes_are_dropped(void **state) {
  (void)state;
  struct lc_user_class c[3];
  mkclasses(c, (const struct spec[]){{"A", 1, 0}, {"Z", 0, 0}, {"B", 1, 0}}, 3);
  struct lc_dispatch *d = mk(c, 3, 1);
  struct rec r;
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 4, 0), "ABAB");
  assert_int_equal(lc_dispatch_class_count(d, 1), 0);
  /* Naming a dropped class in a subset is an error and changes nothing. */
  const char *z[] = {"Z"};
  struct lc_strs only = {z, 1};
  assert_int_equal(lc_dispatch_set_target(d, 8, 1, &only, 0), LC_ENOENT);
  assert_false(lc_dispatch_ramping(d));
  lc_dispatch_free(d);

  /* Nothing left (or no worker, or two classes of one name): refused. */
  struct lc_dispatch *none = (struct lc_dispatch *)&r;
  mkclasses(c, (const struct spec[]){{"A", 0, 0}, {"B", 0, 0}}, 2);
  assert_int_equal(lc_dispatch_new(&none, c, 2, 1), LC_EINVAL);
  assert_null(none);
  mkclasses(c, (const struct spec[]){{"A", 1, 0}, {"A", 2, 0}}, 2);
  assert_int_equal(lc_dispatch_new(&none, c, 2, 1), LC_EINVAL);
  mkclasses(c, (const struct spec[]){{"A", 1, 0}}, 1);
  assert_int_equal(lc_dispatch_new(&none, c, 1, 0), LC_EINVAL);
}

static void fixed_users_come_first_interleaved(void **state) {
  (void)state;
  /* Fixed A = 3 and B = 2 first, interleaved by the same generator with the missing counts as
   * weights (KL(3, 2) = ABABA), then the weighted C = 1, D = 3 (KL = DCDDDCDD...). */
  struct lc_user_class c[4];
  mkclasses(c, (const struct spec[]){{"D", 3, 0}, {"B", 9, 2}, {"C", 1, 0}, {"A", 0, 3}}, 4);
  struct lc_dispatch *d = mk(c, 4, 1);
  struct rec r;
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 13, 0), "ABABADCDDDCDD");
  lc_dispatch_free(d);

  /* Fewer users than the fixed sum: only fixed users, still interleaved. */
  d = mk(c, 4, 1);
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 3, 0), "ABA");
  lc_dispatch_free(d);
}

static void all_fixed_stops_at_their_sum(void **state) {
  (void)state;
  struct lc_user_class c[2];
  mkclasses(c, (const struct spec[]){{"A", 0, 2}, {"B", 0, 1}}, 2);
  struct lc_dispatch *d = mk(c, 2, 1);
  struct rec r;
  rec_init(&r, c, d);
  /* One step: three users, and the ramp is complete below its target. */
  assert_string_equal(spawn_all(d, &r, 10, 0), "ABA");
  assert_int_equal(lc_dispatch_user_count(d), 3);
  assert_false(lc_dispatch_ramping(d));
  lc_dispatch_free(d);

  /* At 1 user/s: one user per second, and at the fourth step nothing more can come. */
  d = mk(c, 2, 1);
  rec_init(&r, c, d);
  assert_int_equal(lc_dispatch_set_target(d, 10, 1, NULL, 0), 0);
  assert_int_equal(lc_dispatch_step(d, 0, record, &r), 0);
  assert_int_equal(lc_dispatch_step(d, 1 * SEC, record, &r), 0);
  assert_int_equal(lc_dispatch_step(d, 2 * SEC, record, &r), 0);
  assert_int_equal(lc_dispatch_next_event_us(d), 3 * SEC);
  assert_int_equal(lc_dispatch_step(d, 3 * SEC, record, &r), 1);
  assert_string_equal(r.names, "ABA");
  assert_int_equal(lc_dispatch_next_event_us(d), LC_DISPATCH_IDLE);
  lc_dispatch_free(d);
}

static void removal_tops_fixed_up_and_generator_continues(void **state) {
  (void)state;
  /* Fixed A = 1, weighted B, C. Locust's weighted generator keeps its position across ramps:
   * after 4 users (A B C B) and a ramp-down to 2 (C and B leave, LIFO), ramping up again
   * continues the weighted order (C, B), not a replay of what was removed. */
  struct lc_user_class c[3];
  mkclasses(c, (const struct spec[]){{"A", 0, 1}, {"B", 1, 0}, {"C", 1, 0}}, 3);
  struct lc_dispatch *d = mk(c, 3, 1);
  struct rec r;
  rec_init(&r, c, d);
  assert_string_equal(spawn_all(d, &r, 4, 0), "ABCB");
  rec_clear(&r);
  assert_string_equal(spawn_all(d, &r, 2, 1 * SEC), "BC");
  assert_int_equal(r.action[0], LC_DISPATCH_STOP);
  rec_clear(&r);
  assert_string_equal(spawn_all(d, &r, 4, 2 * SEC), "CB");
  assert_int_equal(r.action[0], LC_DISPATCH_SPAWN);

  /* Removing the fixed user: the next ramp-up puts it back first. */
  rec_clear(&r);
  assert_string_equal(spawn_all(d, &r, 0, 3 * SEC), "BCBA");
  rec_clear(&r);
  assert_string_equal(spawn_all(d, &r, 3, 4 * SEC), "ACB");
  assert_int_equal(lc_dispatch_class_count(d, 0), 1);
  lc_dispatch_free(d);
}

static void class_subsets_affect_new_users_only(void **state) {
  (void)state;
  struct lc_user_class c[3];
  mkclasses(c, (const struct spec[]){{"A", 1, 0}, {"B", 1, 0}, {"C", 0, 1}}, 3);
  struct lc_dispatch *d = mk(c, 3, 1);
  struct rec r;
  rec_init(&r, c, d);
  const char *only_b[] = {"B"};
  struct lc_strs sb = {only_b, 1};
  /* Stage 1: only B (the fixed C is not in the set). */
  assert_int_equal(lc_dispatch_set_target(d, 4, 100, &sb, 0), 0);
  assert_int_equal(lc_dispatch_step(d, 0, record, &r), 1);
  assert_string_equal(r.names, "BBBB");
  /* Stage 2: every class; the B users stay, the new set starts with its fixed C, then a fresh
   * weighted order over A and B. */
  rec_clear(&r);
  assert_int_equal(lc_dispatch_set_target(d, 7, 100, NULL, 1 * SEC), 0);
  assert_int_equal(lc_dispatch_step(d, 1 * SEC, record, &r), 1);
  assert_string_equal(r.names, "CAB");
  /* Stage 3: only A, fewer users: ramp-down is LIFO over everyone, whatever the set. */
  const char *only_a[] = {"A"};
  struct lc_strs sa = {only_a, 1};
  rec_clear(&r);
  assert_int_equal(lc_dispatch_set_target(d, 3, 100, &sa, 2 * SEC), 0);
  assert_int_equal(lc_dispatch_step(d, 2 * SEC, record, &r), 1);
  assert_string_equal(r.names, "BACB");
  assert_int_equal(lc_dispatch_class_count(d, 1), 3);
  /* ... and up again: only A. */
  rec_clear(&r);
  assert_int_equal(lc_dispatch_set_target(d, 5, 100, &sa, 3 * SEC), 0);
  assert_int_equal(lc_dispatch_step(d, 3 * SEC, record, &r), 1);
  assert_string_equal(r.names, "AA");
  /* An unknown name is refused and changes nothing. */
  const char *bad[] = {"A", "Nope"};
  struct lc_strs sx = {bad, 2};
  assert_int_equal(lc_dispatch_set_target(d, 9, 100, &sx, 4 * SEC), LC_ENOENT);
  assert_false(lc_dispatch_ramping(d));
  lc_dispatch_free(d);
}

/* ---- spawn steps ---- */

/* Steps a fresh ramp from 0 to `target` at `rate` from t = 0, calling the dispatcher exactly at
 * each due time; checks the count after each step and when it falls due. */
static void check_steps(double rate, uint32_t target, const int64_t *due, const uint32_t *count,
                        size_t nsteps) {
  struct lc_user_class c[1];
  mkclasses(c, (const struct spec[]){{"A", 1, 0}}, 1);
  struct lc_dispatch *d = mk(c, 1, 1);
  struct rec r;
  rec_init(&r, c, d);
  assert_int_equal(lc_dispatch_set_target(d, target, rate, NULL, 0), 0);
  for (size_t i = 0; i < nsteps; i++) {
    assert_int_equal(lc_dispatch_next_event_us(d), due[i]);
    /* Just before its time a step does nothing. */
    if (due[i] > 0) assert_int_equal(lc_dispatch_step(d, due[i] - 1, record, &r), 0);
    assert_int_equal(lc_dispatch_user_count(d), i ? count[i - 1] : 0);
    int done = lc_dispatch_step(d, due[i], record, &r);
    assert_int_equal(lc_dispatch_user_count(d), count[i]);
    assert_int_equal(done, i + 1 == nsteps);
  }
  assert_false(lc_dispatch_ramping(d));
  assert_int_equal(lc_dispatch_next_event_us(d), LC_DISPATCH_IDLE);
  assert_int_equal(r.n, target);
  lc_dispatch_free(d);
}

static void spawn_rate_2_5_is_2_users_every_800ms(void **state) {
  (void)state;
  const int64_t due[] = {0, 800 * MS, 1600 * MS, 2400 * MS, 3200 * MS, 4000 * MS};
  const uint32_t count[] = {2, 4, 6, 8, 10, 11};  /* the last step clamps at the target */
  check_steps(2.5, 11, due, count, 6);
}

static void spawn_rate_0_5_is_1_user_every_2s(void **state) {
  (void)state;
  const int64_t due[] = {0, 2 * SEC, 4 * SEC};
  const uint32_t count[] = {1, 2, 3};
  check_steps(0.5, 3, due, count, 3);
}

static void spawn_rate_10(void **state) {
  (void)state;
  const int64_t due[] = {0, 1 * SEC, 2 * SEC};
  const uint32_t count[] = {10, 20, 25};
  check_steps(10, 25, due, count, 3);
}

static void spawn_rate_150(void **state) {
  (void)state;
  const int64_t due[] = {0, 1 * SEC, 2 * SEC, 3 * SEC, 4 * SEC, 5 * SEC, 6 * SEC};
  const uint32_t count[] = {150, 300, 450, 600, 750, 900, 1000};
  check_steps(150, 1000, due, count, 7);
  /* A target below one step: a single clamped step. */
  const int64_t due1[] = {0};
  const uint32_t count1[] = {40};
  check_steps(150, 40, due1, count1, 1);
}

static void late_ticks_catch_up(void **state) {
  (void)state;
  /* Rate 2.5 driven from a 1 s tick: the steps that fell due since the last tick all run, so
   * the ramp keeps its schedule (2 users at 0, 0.8, 1.6, 2.4 s ...). */
  struct lc_user_class c[1];
  mkclasses(c, (const struct spec[]){{"A", 1, 0}}, 1);
  struct lc_dispatch *d = mk(c, 1, 1);
  struct rec r;
  rec_init(&r, c, d);
  assert_int_equal(lc_dispatch_set_target(d, 100, 2.5, NULL, 10 * SEC), 0);
  lc_dispatch_step(d, 10 * SEC, record, &r);
  assert_int_equal(lc_dispatch_user_count(d), 2);
  lc_dispatch_step(d, 12 * SEC, record, &r);      /* steps at 10.8 and 11.6 */
  assert_int_equal(lc_dispatch_user_count(d), 6);
  assert_int_equal(lc_dispatch_next_event_us(d), 12400 * MS);
  lc_dispatch_step(d, 20 * SEC, record, &r);      /* 12.4 ... 19.6: ten steps */
  assert_int_equal(lc_dispatch_user_count(d), 26);
  assert_true(r.counts_ok);
  lc_dispatch_free(d);
}

static void same_target_completes_at_once(void **state) {
  (void)state;
  struct lc_user_class c[1];
  mkclasses(c, (const struct spec[]){{"A", 1, 0}}, 1);
  struct lc_dispatch *d = mk(c, 1, 1);
  struct rec r;
  rec_init(&r, c, d);
  spawn_all(d, &r, 5, 0);
  rec_clear(&r);
  assert_int_equal(lc_dispatch_set_target(d, 5, 1, NULL, 1 * SEC), 0);
  assert_true(lc_dispatch_ramping(d));
  assert_int_equal(lc_dispatch_step(d, 1 * SEC, record, &r), 1);
  assert_int_equal(r.n, 0);
  /* Bad rates are refused. */
  assert_int_equal(lc_dispatch_set_target(d, 5, 0, NULL, 0), LC_EINVAL);
  assert_int_equal(lc_dispatch_set_target(d, 5, -1, NULL, 0), LC_EINVAL);
  assert_int_equal(lc_dispatch_set_target(d, 5, 1e-30, NULL, 0), LC_EINVAL);
  assert_int_equal(lc_dispatch_set_target(d, 5, INFINITY, NULL, 0), LC_EINVAL);
  assert_int_equal(lc_dispatch_set_target(d, 5, NAN, NULL, 0), LC_EINVAL);
  assert_false(lc_dispatch_ramping(d));
  lc_dispatch_free(d);
}

/* ---- ramp-down, workers, retargets ---- */

static void ramp_down_is_lifo_in_steps(void **state) {
  (void)state;
  struct lc_user_class c[2];
  mkclasses(c, (const struct spec[]){{"A", 5, 0}, {"B", 1, 0}}, 2);
  struct lc_dispatch *d = mk(c, 2, 3);
  struct rec up, down;
  rec_init(&up, c, d);
  spawn_all(d, &up, 12, 0);
  assert_string_equal(up.names, "AABAAAAABAAA");
  /* Down to 4 at 3 users/s: 3 at once, 3 more a second later, then the last 2. */
  rec_init(&down, c, d);
  assert_int_equal(lc_dispatch_set_target(d, 4, 3, NULL, 10 * SEC), 0);
  assert_int_equal(lc_dispatch_step(d, 10 * SEC, record, &down), 0);
  assert_int_equal(lc_dispatch_user_count(d), 9);
  assert_int_equal(lc_dispatch_step(d, 11 * SEC, record, &down), 0);
  assert_int_equal(lc_dispatch_user_count(d), 6);
  assert_int_equal(lc_dispatch_step(d, 12 * SEC, record, &down), 1);
  assert_int_equal(lc_dispatch_user_count(d), 4);
  /* Each stop is the most recent (class, worker) still running. */
  assert_int_equal(down.n, 8);
  for (size_t i = 0; i < down.n; i++) {
    assert_int_equal(down.action[i], LC_DISPATCH_STOP);
    assert_int_equal(down.cls[i], up.cls[11 - i]);
    assert_int_equal(down.worker[i], up.worker[11 - i]);
  }
  assert_true(down.counts_ok);
  /* What is left is the oldest four, as they were. */
  for (size_t i = 0; i < 4; i++) {
    size_t ci;
    unsigned w;
    assert_int_equal(lc_dispatch_user_at(d, i, &ci, &w), 0);
    assert_int_equal(ci, up.cls[i]);
    assert_int_equal(w, up.worker[i]);
  }
  size_t ci;
  unsigned w;
  assert_int_equal(lc_dispatch_user_at(d, 4, &ci, &w), LC_EINVAL);
  /* Stopping everything: most recent first, at once. */
  rec_init(&down, c, d);
  lc_dispatch_stop_all(d, record, &down);
  assert_int_equal(down.n, 4);
  for (size_t i = 0; i < 4; i++) assert_int_equal(down.cls[i], up.cls[3 - i]);
  assert_int_equal(lc_dispatch_user_count(d), 0);
  assert_false(lc_dispatch_ramping(d));
  lc_dispatch_free(d);
}

static void workers_stay_within_one(void **state) {
  (void)state;
  struct lc_user_class c[2];
  mkclasses(c, (const struct spec[]){{"A", 3, 0}, {"B", 1, 0}}, 2);
  const unsigned nw = 4;
  struct lc_dispatch *d = mk(c, 2, nw);
  struct rec r;
  rec_init(&r, c, d);
  /* Up, down and up again through odd counts: per-worker counts never differ by more than one,
   * and the dispatcher's counts match the callbacks. */
  const uint32_t targets[] = {7, 3, 10, 1, 6, 0, 5};
  uint32_t per[4] = {0};
  int64_t t = 0;
  for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
    assert_int_equal(lc_dispatch_set_target(d, targets[k], 2, NULL, t), 0);
    while (lc_dispatch_ramping(d)) {
      size_t before = r.n;
      lc_dispatch_step(d, t, record, &r);
      for (size_t i = before; i < r.n; i++) {
        if (r.action[i] == LC_DISPATCH_SPAWN) per[r.worker[i]]++;
        else per[r.worker[i]]--;
      }
      uint32_t lo = UINT32_MAX, hi = 0;
      for (unsigned w = 0; w < nw; w++) {
        assert_int_equal(per[w], lc_dispatch_worker_count(d, w));
        if (per[w] < lo) lo = per[w];
        if (per[w] > hi) hi = per[w];
      }
      assert_true(hi - lo <= 1);
      t += 1 * SEC;
    }
    assert_int_equal(lc_dispatch_user_count(d), targets[k]);
  }
  /* Round robin in dispatch order: the i-th running user is on worker i mod N. */
  rec_init(&r, c, d);
  spawn_all(d, &r, 9, t);
  assert_int_equal(r.n, 4);
  for (size_t i = 0; i < 4; i++) assert_int_equal(r.worker[i], (5 + i) % nw);
  assert_int_equal(lc_dispatch_worker_count(d, 0), 3);
  assert_int_equal(lc_dispatch_worker_count(d, 3), 2);
  assert_int_equal(lc_dispatch_worker_count(d, 4), 0);
  lc_dispatch_free(d);
}

static void retarget_mid_ramp(void **state) {
  (void)state;
  struct lc_user_class c[1];
  mkclasses(c, (const struct spec[]){{"A", 1, 0}}, 1);
  struct lc_dispatch *d = mk(c, 1, 1);
  struct rec r;
  rec_init(&r, c, d);
  /* Ramping to 10 at 1/s: 3 users by t = 2 s. */
  assert_int_equal(lc_dispatch_set_target(d, 10, 1, NULL, 0), 0);
  lc_dispatch_step(d, 2 * SEC, record, &r);
  assert_int_equal(lc_dispatch_user_count(d), 3);
  assert_int_equal(lc_dispatch_next_event_us(d), 3 * SEC);
  /* At 2.5 s a new target of 1: the old ramp is abandoned; the new one starts at once from 3. */
  assert_int_equal(lc_dispatch_set_target(d, 1, 1, NULL, 2500 * MS), 0);
  assert_int_equal(lc_dispatch_target(d), 1);
  assert_int_equal(lc_dispatch_next_event_us(d), 2500 * MS);
  assert_int_equal(lc_dispatch_step(d, 2500 * MS, record, &r), 0);
  assert_int_equal(lc_dispatch_user_count(d), 2);
  assert_int_equal(lc_dispatch_step(d, 3 * SEC, record, &r), 0);  /* the old 3 s step is gone */
  assert_int_equal(lc_dispatch_user_count(d), 2);
  assert_int_equal(lc_dispatch_step(d, 3500 * MS, record, &r), 1);
  assert_int_equal(lc_dispatch_user_count(d), 1);
  /* Up again mid-ramp with a new rate: 1 -> 20 at 4/s, retargeted to 7 at 10/s after one
   * step: the rest comes in one step of its own schedule. */
  assert_int_equal(lc_dispatch_set_target(d, 20, 4, NULL, 5 * SEC), 0);
  lc_dispatch_step(d, 5 * SEC, record, &r);
  assert_int_equal(lc_dispatch_user_count(d), 5);
  assert_int_equal(lc_dispatch_set_target(d, 7, 10, NULL, 5100 * MS), 0);
  assert_int_equal(lc_dispatch_step(d, 5100 * MS, record, &r), 1);
  assert_int_equal(lc_dispatch_user_count(d), 7);
  assert_true(r.counts_ok);
  lc_dispatch_free(d);
}

/* ---- stages ---- */

static void stages_select_and_end(void **state) {
  (void)state;
  const char *a[] = {"A"};
  struct lc_stage st[4];
  memset(st, 0, sizeof st);
  st[0].duration_us = 10 * SEC, st[0].users = 10, st[0].spawn_rate = 2;
  st[1].duration_us = 20 * SEC, st[1].users = 10, st[1].spawn_rate = 2;   /* same tuple */
  st[2].duration_us = 5 * SEC, st[2].users = 10, st[2].spawn_rate = 2;
  st[2].user_classes.items = a, st[2].user_classes.n = 1;                 /* classes differ */
  st[3].duration_us = 5 * SEC, st[3].users = 0, st[3].spawn_rate = 5;

  assert_int_equal(lc_shape_stage_at(st, 4, -5), 0);
  assert_int_equal(lc_shape_stage_at(st, 4, 0), 0);
  assert_int_equal(lc_shape_stage_at(st, 4, 10 * SEC - 1), 0);
  assert_int_equal(lc_shape_stage_at(st, 4, 10 * SEC), 1);
  assert_int_equal(lc_shape_stage_at(st, 4, 30 * SEC), 2);
  assert_int_equal(lc_shape_stage_at(st, 4, 39 * SEC), 3);
  assert_int_equal(lc_shape_stage_at(st, 4, 40 * SEC), 4);

  struct lc_shape s;
  lc_shape_init(&s, st, 4);
  assert_int_equal(lc_shape_duration_us(&s), 40 * SEC);
  const struct lc_stage *got = NULL;
  assert_int_equal(lc_shape_tick(&s, 0, &got), LC_SHAPE_START);
  assert_ptr_equal(got, &st[0]);
  got = NULL;
  assert_int_equal(lc_shape_tick(&s, 1 * SEC, &got), LC_SHAPE_SAME);
  assert_null(got);
  assert_int_equal(lc_shape_next_change_us(&s, 1 * SEC), 10 * SEC);
  /* Stage 1 has the same (users, rate, classes): Locust does nothing. */
  assert_int_equal(lc_shape_tick(&s, 10 * SEC, &got), LC_SHAPE_SAME);
  assert_int_equal(lc_shape_tick(&s, 29 * SEC, &got), LC_SHAPE_SAME);
  /* Stage 2 differs only in its classes. */
  assert_int_equal(lc_shape_tick(&s, 30 * SEC, &got), LC_SHAPE_START);
  assert_ptr_equal(got, &st[2]);
  assert_int_equal(lc_shape_tick(&s, 36 * SEC, &got), LC_SHAPE_START);
  assert_ptr_equal(got, &st[3]);
  assert_int_equal(lc_shape_next_change_us(&s, 36 * SEC), 40 * SEC);
  /* After the last stage: the end, for good. */
  assert_int_equal(lc_shape_tick(&s, 40 * SEC, &got), LC_SHAPE_END);
  assert_int_equal(lc_shape_tick(&s, 5 * SEC, &got), LC_SHAPE_END);
  assert_int_equal(lc_shape_next_change_us(&s, 40 * SEC), -1);
}

struct spawn_counter {
  uint32_t spawned, stopped;
};
static void count_cb(void *arg, enum lc_dispatch_action action, size_t cls, unsigned worker) {
  struct spawn_counter *k = arg;
  (void)cls, (void)worker;
  if (action == LC_DISPATCH_SPAWN) k->spawned++; else k->stopped++;
}

static void stages_drive_the_dispatcher(void **state) {
  (void)state;
  /* A 1 s coordinator tick over a shape: 4 users at 2/s for 5 s, then down to 1 at 1/s for
   * 5 s; the count over time follows the stages and the test ends at 10 s. */
  struct lc_user_class c[1];
  mkclasses(c, (const struct spec[]){{"A", 1, 0}}, 1);
  struct lc_dispatch *d = mk(c, 1, 2);
  struct lc_stage st[2];
  memset(st, 0, sizeof st);
  st[0].duration_us = 5 * SEC, st[0].users = 4, st[0].spawn_rate = 2;
  st[1].duration_us = 5 * SEC, st[1].users = 1, st[1].spawn_rate = 1;
  struct lc_shape s;
  lc_shape_init(&s, st, 2);
  struct spawn_counter k = {0, 0};
  const uint32_t want[] = {2, 4, 4, 4, 4, 3, 2, 1, 1, 1};
  int64_t t = 0;
  for (;; t += 1 * SEC) {
    const struct lc_stage *stg;
    enum lc_shape_tick tick = lc_shape_tick(&s, t, &stg);
    if (tick == LC_SHAPE_END) break;
    if (tick == LC_SHAPE_START)
      assert_int_equal(lc_dispatch_set_target(d, stg->users, stg->spawn_rate,
                                              &stg->user_classes, t), 0);
    lc_dispatch_step(d, t, count_cb, &k);
    assert_int_equal(lc_dispatch_user_count(d), want[t / SEC]);
  }
  assert_int_equal(t, 10 * SEC);
  assert_int_equal(k.spawned, 4);
  assert_int_equal(k.stopped, 3);
  lc_dispatch_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(weights_5_1_give_locust_sequence),
      cmocka_unit_test(equal_weights_round_robin),
      cmocka_unit_test(more_weighted_sequences),
      cmocka_unit_test(zero_weight_classes_are_dropped),
      cmocka_unit_test(fixed_users_come_first_interleaved),
      cmocka_unit_test(all_fixed_stops_at_their_sum),
      cmocka_unit_test(removal_tops_fixed_up_and_generator_continues),
      cmocka_unit_test(class_subsets_affect_new_users_only),
      cmocka_unit_test(spawn_rate_2_5_is_2_users_every_800ms),
      cmocka_unit_test(spawn_rate_0_5_is_1_user_every_2s),
      cmocka_unit_test(spawn_rate_10),
      cmocka_unit_test(spawn_rate_150),
      cmocka_unit_test(late_ticks_catch_up),
      cmocka_unit_test(same_target_completes_at_once),
      cmocka_unit_test(ramp_down_is_lifo_in_steps),
      cmocka_unit_test(workers_stay_within_one),
      cmocka_unit_test(retarget_mid_ramp),
      cmocka_unit_test(stages_select_and_end),
      cmocka_unit_test(stages_drive_the_dispatcher),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
