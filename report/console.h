/* console.h: what `loadc run` prints on a terminal or into a CI log, as Locust prints it: the
 * statistics table (Type, Name, # reqs, # fails, Avg, Min, Max, Med, req/s, failures/s; rows by
 * name and method, then Aggregated), the response time percentiles, the error report, and, on a
 * terminal, a status line. Reads a statistics snapshot, a history or a result only. Times are in
 * milliseconds with one decimal (Locust rounds to whole ms, which shows loopback requests as 0). */
#ifndef LC_REPORT_CONSOLE_H
#define LC_REPORT_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/history.h"
#include "engine/stats.h"
#include "report/result.h"

/* The statistics table. With `live` (the run's history), req/s and failures/s are the current
 * ones (the last row's 10 s window, Locust's current_rps); without, the totals over duration_s. */
void lc_report_console_table(FILE *out, const struct lc_stats *totals,
                             const struct lc_history *live, double duration_s);

/* The end-of-run summary: the table with total rates, "Response time percentiles", the error
 * report, errors inside users, and a warning when the generator was saturated. */
void lc_report_console_summary(FILE *out, const struct lc_result *r);

/* The generator-saturation warning (one paragraph naming the worst worker), if r->saturated. */
void lc_report_console_saturation(FILE *out, const struct lc_result_worker *h, size_t n);

/* One status line for a terminal, rewritten in place ("\r" and erase-line first, no newline):
 * elapsed / run time, a progress bar when the run time is known, users, current req/s and
 * failure %. `color`: ANSI colours (only on a terminal, never with NO_COLOR). */
struct lc_console_status {
  int64_t elapsed_us;
  int64_t run_time_us;   /* 0: unknown */
  uint32_t users;
  double rps;
  double fail_ratio;     /* of all requests so far, 0..1 */
};
void lc_report_console_status(FILE *out, const struct lc_console_status *st, bool color, int width);
/* Erases the status line (before other output goes to the same terminal). */
void lc_report_console_status_clear(FILE *out);

/* Prints the run's thresholds, one a line: PASS, FAIL or SKIP, the threshold as written, its
 * measured value and its limit (in the unit written), and why when nothing was measured or it
 * stopped the run. Prints nothing when the result has no threshold. */
void lc_report_console_thresholds(FILE *out, const struct lc_result *r);

#endif
