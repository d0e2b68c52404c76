/* thresholds.h: judging a run against the scenario's `thresholds:` (language.md "Thresholds"):
 * at the end of `loadc run`, and every second for those with abort_on_fail.
 *
 * What is measured, over the statistics entries a threshold's filters select:
 *   - without a filter: the Aggregated entry;
 *   - name=N: the entries named N; method=M: the entries of method M; tag=T: the entries whose
 *     (name, method) is that of a request inside a task carrying tag T (own or inherited). A
 *     request whose `name:` is a template matches every name its text allows (`/items/{{ id }}`
 *     matches `/items/7`). Filters combine with "and". The overflow entry for names beyond the
 *     statistics cap is never selected by a filter (its names are unknown).
 *   - pNN, median, avg, min, max: from the selected entries' merged histograms (pNN and median
 *     as Locust computes them, min/max/avg exact);
 *   - rps: requests / run duration; requests, failures: counts; error_rate: failures/requests;
 *   - check_rate: among the selected entries that belong to a request with `check:` (by name
 *     and method), the share of requests that did not fail. A request fails its checks or,
 *     before them, on a connection error or a missing capture: each of these counts as "checks
 *     not passed", since the statistics keep one outcome per request.
 * When no request was selected (or, for check_rate, none with checks) the threshold is not
 * measured: measured is NaN and it fails.
 *   - the `_intended` latencies (p99_intended, avg_intended, ...: issue 7) are the same figures
 *     from the selected entries' merged histograms of response times measured from the intended
 *     start (lc_stats_entry.intended: open-model arrivals, users with constant_pacing or
 *     constant_throughput). When requests matched but none of them has such a histogram (the run
 *     had no scheduled users), the threshold is not measured either: NaN, failed, and a note
 *     saying so. `skipped` stays false (kept in lc_threshold_result for reports that show it). */
#ifndef LC_REPORT_THRESHOLDS_H
#define LC_REPORT_THRESHOLDS_H

#include <stddef.h>
#include <stdint.h>

#include "config/plan.h"
#include "engine/stats.h"
#include "report/result.h"

/* Which statistics names each tag covers and which carry checks, built once from a plan. It
 * points into the plan, which must outlive it. */
struct lc_threshold_index;

/* Builds the index of `plan` (NULL: an empty index, so tag= matches nothing and check_rate
 * has no request). Free with lc_threshold_index_free (NULL is fine). */
struct lc_threshold_index *lc_threshold_index_new(const struct lc_plan *plan);
void lc_threshold_index_free(struct lc_threshold_index *ix);

/* Whether the entry (name, method) is that of a request with tag `tag` / with checks. */
bool lc_threshold_index_tagged(const struct lc_threshold_index *ix, const char *tag,
                               const char *name, const char *method);
bool lc_threshold_index_checked(const struct lc_threshold_index *ix, const char *name,
                                const char *method);

/* Evaluates `t` against `totals` over a run of `duration_us` and fills *out (its strings are
 * new heap strings, freed by lc_threshold_result_release; `source` points at t->source). */
void lc_threshold_eval(const struct lc_threshold_index *ix, const struct lc_threshold *t,
                       const struct lc_stats *totals, int64_t duration_us,
                       struct lc_threshold_result *out);
void lc_threshold_result_release(struct lc_threshold_result *r);

/* Evaluates the n thresholds t[] into a new array of n results (NULL when n is 0); *all_passed
 * is true when each passed. Free with lc_threshold_results_free. */
struct lc_threshold_result *lc_thresholds_eval(const struct lc_threshold_index *ix,
                                               const struct lc_threshold *t, size_t n,
                                               const struct lc_stats *totals, int64_t duration_us,
                                               bool *all_passed);
void lc_threshold_results_free(struct lc_threshold_result *r, size_t n);

/* "612.345 ms", "1.5 %", "42" or "n/a" (NaN) into buf; returns buf. */
const char *lc_threshold_format(char *buf, size_t n, double value, const char *unit);

#endif
