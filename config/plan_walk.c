/* plan_walk.c: visiting every request of a plan (see plan.h: lc_plan_each_request). */
#include "config/plan.h"

void lc_steps_each_request(const struct lc_steps *steps, lc_request_visit_cb fn, void *ctx) {
  for (size_t i = 0; i < steps->n; i++) {
    const struct lc_step *st = &steps->items[i];
    switch (st->kind) {
    case LC_STEP_REQUEST: fn(ctx, st->u.request); break;
    case LC_STEP_LOOP: lc_steps_each_request(&st->u.loop.body, fn, ctx); break;
    case LC_STEP_IF:
      lc_steps_each_request(&st->u.if_.then_steps, fn, ctx);
      lc_steps_each_request(&st->u.if_.else_steps, fn, ctx);
      break;
    default: break;
    }
  }
}

void lc_taskset_each_request(const struct lc_taskset *set, lc_request_visit_cb fn, void *ctx) {
  lc_steps_each_request(&set->on_start, fn, ctx);
  lc_steps_each_request(&set->on_stop, fn, ctx);
  for (size_t i = 0; i < set->n; i++) {
    lc_steps_each_request(&set->tasks[i].steps, fn, ctx);
    if (set->tasks[i].set) lc_taskset_each_request(set->tasks[i].set, fn, ctx);
  }
}

void lc_class_each_request(const struct lc_user_class *uc, lc_request_visit_cb fn, void *ctx) {
  lc_steps_each_request(&uc->on_start, fn, ctx);
  lc_steps_each_request(&uc->on_stop, fn, ctx);
  lc_taskset_each_request(&uc->root, fn, ctx);
}

void lc_plan_each_request(const struct lc_plan *p, lc_request_visit_cb fn, void *ctx) {
  fn(ctx, &p->defaults);
  lc_steps_each_request(&p->setup, fn, ctx);
  lc_steps_each_request(&p->teardown, fn, ctx);
  for (size_t i = 0; i < p->nclasses; i++) lc_class_each_request(&p->classes[i], fn, ctx);
}
