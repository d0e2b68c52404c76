/* junit.h: the run's verdicts as JUnit XML (the Ant/Jenkins format that CI systems show as
 * test results): a <testsuites> holding
 *   - <testsuite name="loadc thresholds">: a <testcase> per threshold, named by its source, with
 *     a <failure> (measured vs limit) when it failed and <skipped> when it was not measured;
 *   - <testsuite name="loadc checks">: a <testcase> per check that failed, named by the part of
 *     its messages before the first ':' ("check status", "check json $.count"), and one
 *     "default rule" test case for the other failures (connection errors, HTTP 400-599 without
 *     a status check, missing captures, custom check messages), each with the errors table's
 *     lines (occurrences, method, name, message) in the failure's text.
 * Text is escaped for XML; bytes that XML cannot carry (control characters, invalid UTF-8)
 * become U+FFFD. */
#ifndef LC_REPORT_JUNIT_H
#define LC_REPORT_JUNIT_H

#include <stddef.h>

#include "report/result.h"

/* Makes sure `path` can be written before a run: creates its missing parent directories and
 * creates (and removes) a temporary file beside it. Returns 0, or -1 with a message in err. */
int lc_report_junit_prepare(const char *path, char *err, size_t errlen);

/* Writes the report of `r` to `path` atomically (a temporary file in the same directory, then
 * rename), creating missing parent directories. Returns 0, or -1 with a message in err (the
 * previous file, if any, is then left as it was). */
int lc_report_junit_write(const char *path, const struct lc_result *r, char *err, size_t errlen);

#endif
