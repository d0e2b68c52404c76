/* csv.h: Locust's CSV files (`--csv PREFIX`): PREFIX_stats.csv, PREFIX_stats_history.csv,
 * PREFIX_failures.csv and PREFIX_exceptions.csv, with Locust's headers and columns, written once
 * at the end (lc_report_csv_write) or live during a run (lc_report_csv_open / _update / _finish),
 * as Locust rewrites them every second.
 *
 * Format (Python's csv.writer as Locust uses it): fields separated by ',', rows ended by "\r\n",
 * a field quoted ("...", inner quotes doubled) only when it holds ',', '"', '\r' or '\n'.
 * Numbers (where Locust prints Python floats or rounds, loadc decides):
 *   - times in milliseconds from the microsecond figures, with up to 3 decimals and no trailing
 *     zeros ("12.345", "0.25", "3"): exact for min, max and the cumulative figures; averages
 *     rounded to the microsecond; the median and percentiles are the histogram's
 *     (lc_hist_percentile / lc_hist_median, within 0.39 % and never above max), where Locust
 *     prints integers rounded to two significant digits, which shows loopback requests as 0;
 *   - Requests/s and Failures/s with 6 decimals (Locust's history format "%2f", used for both
 *     files); in _stats.csv they are totals over the run duration (the elapsed time while live);
 *   - Average Content Size in bytes with up to 3 decimals; counts as integers;
 *   - percentiles "N/A" for an entry without requests (Locust); Min, Max, Median, Average 0;
 *   - _stats_history.csv: Timestamp is the row's end in integer epoch seconds (Locust's
 *     int(time)), Requests/s, Failures/s and the percentiles are the row's 10 s window (Locust
 *     prints cumulative percentiles on Aggregated rows without --csv-full-history; loadc always
 *     prints the window's), then the cumulative Total columns. One Aggregated row per history
 *     row; with full history first a row per entry with a point in that row, sorted by (name,
 *     method) as in _stats.csv;
 *   - _failures.csv: Method,Name,Error,Occurrences,First Seen,Last Seen (current Locust), seen
 *     times in integer epoch seconds, errors in the order they first occurred;
 *   - _exceptions.csv: Count,Message,Traceback,Nodes from the user errors; Traceback is empty
 *     and Nodes is "local" (loadc runs no Python, and runs on one node).
 *   - PREFIX_stats_intended.csv (loadc's, not Locust's): Type,Name,Request Count and the 11
 *     percentiles of the response times from the intended start (lc_stats_entry.intended: open
 *     model, constant_pacing / constant_throughput users), formatted as in _stats.csv; a row per
 *     entry that has them, in _stats.csv's order, then Aggregated. Request Count is the
 *     histogram's count, corrected samples included. Written only when some entry has them;
 *     otherwise a file of that name (left by an earlier run with the prefix) is removed.
 *
 * Files are written as report/file.h says (a temporary file beside, renamed over), so a reader
 * never sees a half-written file; the directories of the prefix are created (mkdir -p). Errors
 * are returned as LC_EIO with a message ("cannot write 'x_stats.csv': Permission denied") in
 * the caller's buffer; nothing is printed. */
#ifndef LC_REPORT_CSV_H
#define LC_REPORT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/result.h"

/* Writes the four files of `prefix` (and _stats_intended.csv, see above) (read, not kept) from `res` (read-only). Returns 0, or
 * LC_EIO with a message in err[errlen] (a file may then be missing, never half-written). */
int lc_report_csv_write(const char *prefix, const struct lc_result *res, bool full_history,
                        char *err, size_t errlen);

/* The live writer of one run. */
struct lc_report_csv;

/* Creates the directories of `prefix` and the four files with their headers only (and removes
 * a stale _stats_intended.csv), so that an
 * unwritable path fails before the run starts, and opens the history file for appending.
 * Returns 0 and sets *out (free with lc_report_csv_free), or LC_EIO with a message in err. */
int lc_report_csv_open(struct lc_report_csv **out, const char *prefix, bool full_history,
                       char *err, size_t errlen);

/* The per-second call: rewrites _stats, _failures and _exceptions from `totals` (with rates
 * over `elapsed_us`; _stats_intended too once an entry has them) and appends to _stats_history
 * the rows of `history` not written yet (the
 * file is never rewritten here; after a reset of the history, its new rows are appended).
 * Reads its arguments only. Returns 0 or LC_EIO with a message in err. */
int lc_report_csv_update(struct lc_report_csv *c, const struct lc_stats *totals,
                         const struct lc_history *history, int64_t elapsed_us, char *err,
                         size_t errlen);

/* The last call, with the finished run: closes the history file and writes the complete final
 * snapshot of all four files from `res` (as lc_report_csv_write; after --reset-stats the
 * history then starts at the reset, as the result's does). Returns 0 or LC_EIO with a message. */
int lc_report_csv_finish(struct lc_report_csv *c, const struct lc_result *res, char *err,
                         size_t errlen);

/* Closes and frees (NULL is fine); files already written stay. */
void lc_report_csv_free(struct lc_report_csv *c);

#endif
