/* console.h: the end-of-run summary on a terminal, as Locust prints it: the statistics table
 * (Type, Name, # reqs, # fails, Avg, Min, Max, Med, req/s, failures/s; rows by name and method,
 * then Aggregated), the response time percentiles, and the error report. Reads a statistics
 * snapshot only. */
#ifndef LC_REPORT_CONSOLE_H
#define LC_REPORT_CONSOLE_H

#include <stdio.h>

#include "engine/stats.h"
#include "report/result.h"

/* Prints the three tables for a run of duration_s seconds (for the rates). */
void lc_report_console_summary(FILE *out, const struct lc_stats *totals, double duration_s);

/* Prints the run's thresholds, one a line: PASS, FAIL or SKIP, the threshold as written, its
 * measured value and its limit (in the unit written), and why when nothing was measured or it
 * stopped the run. Prints nothing when the result has no threshold. */
void lc_report_console_thresholds(FILE *out, const struct lc_result *r);

#endif
