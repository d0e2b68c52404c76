/* cmd_report.c: `loadc report RESULT.json`: re-renders a run's reports from its JSON result
 * (report/json.h) without running anything: the console summary, and the report files as
 * `loadc run` writes them. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "engine/base/base.h"
#include "report/console.h"
#include "report/csv.h"
#include "report/html.h"
#include "report/json.h"
#include "report/junit.h"
#include "report/result.h"

enum { OPT_JSON = 1, OPT_CSV, OPT_CSV_FULL_HISTORY, OPT_HTML, OPT_JUNIT, OPT_QUIET };

static const struct lc_opt report_opts[] = {
    {OPT_JSON, "json", 0, LC_OPT_VALUE, "FILE", "write the JSON result again (same document)"},
    {OPT_CSV, "csv", 0, LC_OPT_VALUE, "PREFIX", "write PREFIX_stats.csv and friends"},
    {OPT_CSV_FULL_HISTORY, "csv-full-history", 0, LC_OPT_FLAG, NULL, "history rows for every entry"},
    {OPT_HTML, "html", 0, LC_OPT_VALUE, "FILE", "write a self-contained HTML report"},
    {OPT_JUNIT, "junit", 0, LC_OPT_VALUE, "FILE", "write thresholds and checks as JUnit XML"},
    {OPT_QUIET, "quiet", 'q', LC_OPT_FLAG, NULL, "do not print the summary"},
    LC_OPT_HELP_ENTRY,
    {0},
};

static int report_run(const struct lc_command *self, int argc, char **argv) {
  const char *file = NULL, *json = NULL, *csv = NULL, *html = NULL, *junit = NULL;
  bool quiet = false, full_history = false;
  struct lc_opts p;
  const char *v;
  int id;
  lc_opts_init(&p, "loadc report", self->opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    switch (id) {
    case OPT_JSON: json = v; break;
    case OPT_CSV: csv = v; break;
    case OPT_CSV_FULL_HISTORY: full_history = true; break;
    case OPT_HTML: html = v; break;
    case OPT_JUNIT: junit = v; break;
    case OPT_QUIET: quiet = true; break;
    case LC_OPT_HELP: lc_cli_usage(stdout, self); return LC_EXIT_OK;
    case LC_OPT_POSITIONAL:
      if (file) {
        fprintf(stderr, "loadc report: one result at a time ('%s' and '%s')\n", file, v);
        return LC_EXIT_USAGE;
      }
      file = v;
      break;
    default: return LC_EXIT_USAGE;
    }
  }
  if (!file) {
    fprintf(stderr, "loadc report: no result file given\nusage: %s\n", self->synopsis);
    return LC_EXIT_USAGE;
  }
  struct lc_report_doc *doc = NULL;
  char err[768];
  int rc = lc_report_json_load(file, &doc, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "loadc report: %s\n", err);
    return rc == LC_EIO ? LC_EXIT_CANNOT : LC_EXIT_FAILED;
  }
  const struct lc_result *res = &doc->result;
  if (!quiet) {
    lc_report_console_summary(stdout, res);
    lc_report_console_thresholds(stdout, res);
  }
  rc = LC_EXIT_OK;
  if (json && lc_report_json_write(json, res, err, sizeof err) != 0) {
    fprintf(stderr, "loadc report: %s\n", err);
    rc = LC_EXIT_CANNOT;
  }
  if (csv && lc_report_csv_write(csv, res, full_history, err, sizeof err) != 0) {
    fprintf(stderr, "loadc report: %s\n", err);
    rc = LC_EXIT_CANNOT;
  }
  if (html && lc_report_html_write(html, res, err, sizeof err) != 0) {
    fprintf(stderr, "loadc report: --html: %s\n", err);
    rc = LC_EXIT_CANNOT;
  }
  if (junit && lc_report_junit_write(junit, res, err, sizeof err) != 0) {
    fprintf(stderr, "loadc report: --junit: %s\n", err);
    rc = LC_EXIT_CANNOT;
  }
  lc_report_doc_free(doc);
  return rc;
}

const struct lc_command lc_cmd_report = {
    "report",
    report_run,
    "re-render the reports of a run from its JSON result",
    "loadc report RESULT.json [options]",
    "Reads a result written by 'loadc run --json' and prints its summary, or writes its reports\n"
    "again. Exit 0 when done, 1 when the file is not a valid loadc result, 2 on a usage error,\n"
    "3 when a file cannot be read or written.",
    report_opts,
};
