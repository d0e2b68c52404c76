/* console.h: the end-of-run summary on a terminal, as Locust prints it: the statistics table
 * (Type, Name, # reqs, # fails, Avg, Min, Max, Med, req/s, failures/s; rows by name and method,
 * then Aggregated), the response time percentiles, and the error report. Reads a statistics
 * snapshot only. */
#ifndef LC_REPORT_CONSOLE_H
#define LC_REPORT_CONSOLE_H

#include <stdio.h>

#include "engine/stats.h"

/* Prints the three tables for a run of duration_s seconds (for the rates). */
void lc_report_console_summary(FILE *out, const struct lc_stats *totals, double duration_s);

#endif
