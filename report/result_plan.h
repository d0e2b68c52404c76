/* result_plan.h: the parts of a result that describe the scenario, built from the plan by
 * `loadc run` (a result loaded from JSON has them from the file). */
#ifndef LC_REPORT_RESULT_PLAN_H
#define LC_REPORT_RESULT_PLAN_H

#include "config/plan.h"
#include "report/result.h"

/* The plan's user classes with their shares and their top-level tasks' shares (a sequence's
 * tasks each get 1/n). Strings point into the plan. Free with lc_result_classes_free. */
void lc_result_classes_from_plan(const struct lc_plan *plan, struct lc_result_class **out,
                                 size_t *n);
void lc_result_classes_free(struct lc_result_class *classes, size_t n);

#endif
