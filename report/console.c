/* console.c: Locust's end-of-run tables (see console.h). Times are shown in milliseconds with
 * one decimal (Locust rounds to whole milliseconds, which shows every loopback request as 0);
 * percentiles come from the histogram and never exceed the exact max. */
#include "report/console.h"

#include "report/thresholds.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const double percentiles[] = {0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99,
                                     0.999, 0.9999, 1.0};
static const char *const percentile_names[] = {"50%", "66%", "75%", "80%", "90%", "95%",
                                               "98%", "99%", "99.9%", "99.99%", "100%"};

static double ms(uint64_t us) { return (double)us / 1000.0; }

static void stats_row(FILE *out, const char *type, const char *name,
                      const struct lc_stats_entry *e, double duration_s) {
  char fails[48];
  double pct = e->num_requests ? 100.0 * (double)e->num_failures / (double)e->num_requests : 0.0;
  snprintf(fails, sizeof fails, "%" PRIu64 "(%.2f%%)", e->num_failures, pct);
  double avg = e->num_requests ? lc_hist_mean(&e->hist) / 1000.0 : 0.0;
  uint64_t mn = e->num_requests ? e->hist.min : 0, mx = e->num_requests ? e->hist.max : 0;
  uint64_t med = e->num_requests ? lc_hist_median(&e->hist) : 0;
  double secs = duration_s > 0 ? duration_s : 1;
  fprintf(out, "%-8s %-40.40s %8" PRIu64 " %14s | %8.1f %8.1f %8.1f %8.1f | %8.2f %10.2f\n", type,
          name, e->num_requests, fails, avg, ms(mn), ms(mx), ms(med),
          (double)e->num_requests / secs, (double)e->num_failures / secs);
}

static void line(FILE *out) {
  fprintf(out, "--------|-----------------------------------------|--------|---------------|"
               "---------|--------|--------|---------|---------|-----------\n");
}

void lc_report_console_summary(FILE *out, const struct lc_stats *totals, double duration_s) {
  size_t n = 0;
  const struct lc_stats_entry **rows = lc_stats_sorted(totals, &n);
  const struct lc_stats_entry *tot = lc_stats_total(totals);

  fprintf(out, "%-8s %-40s %8s %14s | %8s %8s %8s %8s | %8s %10s\n", "Type", "Name", "# reqs",
          "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s");
  line(out);
  for (size_t i = 0; i < n; i++) stats_row(out, rows[i]->method, rows[i]->name, rows[i], duration_s);
  line(out);
  stats_row(out, "", "Aggregated", tot, duration_s);
  fprintf(out, "\nResponse time percentiles (ms, from a log-linear histogram, 1 %% precision)\n");
  fprintf(out, "%-8s %-40s", "Type", "Name");
  for (size_t k = 0; k < sizeof percentiles / sizeof *percentiles; k++)
    fprintf(out, " %8s", percentile_names[k]);
  fprintf(out, " %8s\n", "# reqs");
  for (size_t i = 0; i <= n; i++) {
    const struct lc_stats_entry *e = i < n ? rows[i] : tot;
    fprintf(out, "%-8s %-40.40s", i < n ? e->method : "", i < n ? e->name : "Aggregated");
    for (size_t k = 0; k < sizeof percentiles / sizeof *percentiles; k++) {
      if (e->num_requests)
        fprintf(out, " %8.1f", ms(lc_hist_percentile(&e->hist, percentiles[k])));
      else
        fprintf(out, " %8s", "N/A");
    }
    fprintf(out, " %8" PRIu64 "\n", e->num_requests);
  }
  free(rows);

  size_t ne = lc_stats_error_count(totals);
  if (ne) {
    fprintf(out, "\nError report\n%-14s %s\n", "# occurrences", "Error");
    for (size_t i = 0; i < ne; i++) {
      const struct lc_stats_error *err = lc_stats_error_at(totals, i);
      fprintf(out, "%-14" PRIu64 " %s %s: %s\n", err->occurrences, err->method, err->name,
              err->message);
    }
  }
  size_t nu = lc_stats_user_error_count(totals);
  if (nu) {
    fprintf(out, "\nErrors inside users\n%-14s %s\n", "# occurrences", "Message");
    for (size_t i = 0; i < nu; i++) {
      const struct lc_stats_error *err = lc_stats_user_error_at(totals, i);
      fprintf(out, "%-14" PRIu64 " %s\n", err->occurrences, err->message);
    }
  }
}

void lc_report_console_thresholds(FILE *out, const struct lc_result *r) {
  if (r->nthresholds == 0) return;
  fprintf(out, "\nThresholds\n");
  for (size_t i = 0; i < r->nthresholds; i++) {
    const struct lc_threshold_result *t = &r->thresholds[i];
    char measured[64], limit[64];
    lc_threshold_format(measured, sizeof measured, t->measured, t->unit);
    lc_threshold_format(limit, sizeof limit, t->limit, t->unit);
    fprintf(out, "%-4s  %-40s measured %-14s limit %s %s", t->skipped ? "SKIP" : t->passed ? "PASS" : "FAIL",
            t->source, measured, t->op, limit);
    if (t->note) fprintf(out, "  (%s)", t->note);
    if (t->aborted_run) fprintf(out, "  (stopped the run)");
    fputc('\n', out);
  }
}
