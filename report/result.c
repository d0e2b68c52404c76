/* result.c: helpers of result.h, and building a result's description of the scenario from the
 * plan (report/result_plan.h). */
#include "report/result.h"

#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"
#include "report/result_plan.h"

bool lc_result_saturated(const struct lc_result_worker *w, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (w[i].cpu_max > 0.9 || w[i].lag_p99_us > 10000) return true;
  return false;
}

static const char *const end_names[] = {"completed", "interrupted", "killed", "aborted"};

const char *lc_result_end_name(enum lc_result_end end) {
  return (unsigned)end < LC_ARRAY_LEN(end_names) ? end_names[end] : "completed";
}

int lc_result_end_parse(const char *name) {
  for (size_t i = 0; name && i < LC_ARRAY_LEN(end_names); i++)
    if (strcmp(name, end_names[i]) == 0) return (int)i;
  return -1;
}

void lc_result_classes_from_plan(const struct lc_plan *plan, struct lc_result_class **out,
                                 size_t *n) {
  uint64_t total = 0;
  uint64_t fixed = 0;
  for (size_t i = 0; i < plan->nclasses; i++) {
    total += plan->classes[i].weight;
    fixed += plan->classes[i].fixed_count;
  }
  struct lc_result_class *v = lc_xcalloc(plan->nclasses ? plan->nclasses : 1, sizeof *v);
  for (size_t i = 0; i < plan->nclasses; i++) {
    const struct lc_user_class *uc = &plan->classes[i];
    struct lc_result_class *c = &v[i];
    c->name = uc->name;
    c->weight = uc->fixed_count ? 0 : uc->weight;
    c->fixed_count = uc->fixed_count;
    /* fixed_count classes are shown by count; the weighted ones share the rest */
    c->share = uc->fixed_count ? 0 : total ? (double)uc->weight / (double)total : 0;
    if (fixed && !total && uc->fixed_count) c->share = (double)uc->fixed_count / (double)fixed;
    const struct lc_taskset *set = &uc->root;
    c->ntasks = set->n;
    c->tasks = lc_xcalloc(set->n ? set->n : 1, sizeof *c->tasks);
    for (size_t k = 0; k < set->n; k++) {
      c->tasks[k].name = set->tasks[k].name;
      c->tasks[k].share = set->sequential || !set->total_weight
                              ? 1.0 / (double)set->n
                              : (double)set->tasks[k].weight / (double)set->total_weight;
    }
  }
  *out = v;
  *n = plan->nclasses;
}

void lc_result_classes_free(struct lc_result_class *classes, size_t n) {
  for (size_t i = 0; classes && i < n; i++) free(classes[i].tasks);
  free(classes);
}
