/* html.h: `loadc run --html FILE`: one self-contained HTML report of a run (Locust's HTML
 * report: summary, request and percentile tables, failures, errors inside users, thresholds,
 * user classes and task shares, charts). The file needs nothing else: inline CSS, charts as
 * inline SVG drawn here from the history, one small inline script that only measures the drawn
 * series (for tests: it sets data-chart-* attributes on <body>). No network reference. */
#ifndef LC_REPORT_HTML_H
#define LC_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "report/result.h"

/* Writes the report of `r` to `path`: parent directories are created, the text goes to a
 * temporary file beside `path` that is then renamed over it, so `path` is either the old file
 * or the complete new one. Reads `r` only. Returns 0, or LC_EIO with a message in err (at most
 * errlen bytes, NUL-terminated; may be NULL when errlen is 0). */
int lc_report_html_write(const char *path, const struct lc_result *r, char *err, size_t errlen);

/* The report itself, written to an open stream (what lc_report_html_write puts in the file).
 * Returns 0, or LC_EIO when the stream reported an error. */
int lc_report_html_fwrite(FILE *out, const struct lc_result *r);

/* Before a run: checks that `path` can be written (creates its parent directories, creates
 * and removes a temporary file beside it). Returns 0, or LC_EIO with a message in err. */
int lc_report_html_check(const char *path, char *err, size_t errlen);

#endif
