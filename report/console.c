/* console.c: Locust's console tables and a status line (see console.h). Percentiles come from
 * the histogram and never exceed the exact max. */
#include "report/console.h"

#include "report/thresholds.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static double ms(uint64_t us) { return (double)us / 1000.0; }

static void stats_row(FILE *out, const char *type, const char *name,
                      const struct lc_stats_entry *e, double rps, double fps) {
  char fails[48];
  double pct = e->num_requests ? 100.0 * (double)e->num_failures / (double)e->num_requests : 0.0;
  snprintf(fails, sizeof fails, "%" PRIu64 "(%.2f%%)", e->num_failures, pct);
  double avg = e->num_requests ? lc_hist_mean(&e->hist) / 1000.0 : 0.0;
  uint64_t mn = e->num_requests ? e->hist.min : 0, mx = e->num_requests ? e->hist.max : 0;
  uint64_t med = e->num_requests ? lc_hist_median(&e->hist) : 0;
  fprintf(out, "%-8s %-40.40s %8" PRIu64 " %14s | %8.1f %8.1f %8.1f %8.1f | %8.2f %10.2f\n", type,
          name, e->num_requests, fails, avg, ms(mn), ms(mx), ms(med), rps, fps);
}

static void line(FILE *out) {
  fprintf(out, "--------|-----------------------------------------|--------|---------------|"
               "---------|--------|--------|---------|---------|-----------\n");
}

/* The current rates of entry `index` (LC_HISTORY_TOTAL: Aggregated) in the history's last row:
 * 0 when it has no point there (no request in the window). */
static void live_rates(const struct lc_history *h, uint32_t index, double *rps, double *fps) {
  *rps = *fps = 0;
  size_t n = lc_history_row_count(h);
  if (!n) return;
  const struct lc_history_row *row = lc_history_row_at(h, n - 1);
  for (size_t i = 0; i < row->npoints; i++) {
    const struct lc_history_point *p = lc_history_point_at(h, row->first + i);
    if (p->entry == index) {
      *rps = p->rps;
      *fps = p->fps;
      return;
    }
  }
}

void lc_report_console_table(FILE *out, const struct lc_stats *totals,
                             const struct lc_history *live, double duration_s) {
  size_t n = 0;
  const struct lc_stats_entry **rows = lc_stats_sorted(totals, &n);
  const struct lc_stats_entry *tot = lc_stats_total(totals);
  double secs = duration_s > 0 ? duration_s : 1;
  double rps, fps;
  fprintf(out, "%-8s %-40s %8s %14s | %8s %8s %8s %8s | %8s %10s\n", "Type", "Name", "# reqs",
          "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s");
  line(out);
  for (size_t i = 0; i < n; i++) {
    if (live) {
      live_rates(live, rows[i]->index, &rps, &fps);
    } else {
      rps = (double)rows[i]->num_requests / secs;
      fps = (double)rows[i]->num_failures / secs;
    }
    stats_row(out, rows[i]->method, rows[i]->name, rows[i], rps, fps);
  }
  line(out);
  if (live) {
    live_rates(live, LC_HISTORY_TOTAL, &rps, &fps);
  } else {
    rps = (double)tot->num_requests / secs;
    fps = (double)tot->num_failures / secs;
  }
  stats_row(out, "", "Aggregated", tot, rps, fps);
  free(rows);
}

void lc_report_console_saturation(FILE *out, const struct lc_result_worker *h, size_t n) {
  size_t worst = 0;
  for (size_t i = 1; i < n; i++)
    if (h[i].cpu_max > h[worst].cpu_max || h[i].lag_p99_us > h[worst].lag_p99_us) worst = i;
  if (!n) return;
  fprintf(out,
          "\nWARNING: the load generator was saturated (worker %zu of %zu: CPU up to %.0f %% of a "
          "core in a second, timer lag p99 %.1f ms, max %.1f ms). The response times and rates "
          "above measure loadc as much as the target: run with more threads or machines, or "
          "less load per process.\n",
          worst + 1, n, 100.0 * h[worst].cpu_max, ms(h[worst].lag_p99_us), ms(h[worst].lag_max_us));
}

void lc_report_console_summary(FILE *out, const struct lc_result *r) {
  const struct lc_stats *totals = r->totals;
  lc_report_console_table(out, totals, NULL, (double)r->duration_us / 1e6);
  size_t n = 0;
  const struct lc_stats_entry **rows = lc_stats_sorted(totals, &n);
  const struct lc_stats_entry *tot = lc_stats_total(totals);
  fprintf(out, "\nResponse time percentiles (ms, from a log-linear histogram, 1 %% precision)\n");
  fprintf(out, "%-8s %-40s", "Type", "Name");
  for (size_t k = 0; k < LC_PCT_COUNT; k++) fprintf(out, " %8s", lc_pct_labels[k]);
  fprintf(out, " %8s\n", "# reqs");
  for (size_t i = 0; i <= n; i++) {
    const struct lc_stats_entry *e = i < n ? rows[i] : tot;
    fprintf(out, "%-8s %-40.40s", i < n ? e->method : "", i < n ? e->name : "Aggregated");
    for (size_t k = 0; k < LC_PCT_COUNT; k++) {
      if (e->num_requests)
        fprintf(out, " %8.1f", ms(lc_hist_percentile(&e->hist, lc_pct_values[k])));
      else
        fprintf(out, " %8s", "N/A");
    }
    fprintf(out, " %8" PRIu64 "\n", e->num_requests);
  }

  /* from the intended start: only entries that have it (open model, paced users) */
  if (tot->intended && tot->intended->count) {
    fprintf(out, "\nResponse time percentiles from the intended start (ms; coordinated omission "
                 "corrected: includes the time a request waited for its turn)\n");
    fprintf(out, "%-8s %-40s", "Type", "Name");
    for (size_t k = 0; k < LC_PCT_COUNT; k++) fprintf(out, " %8s", lc_pct_labels[k]);
    fprintf(out, " %8s\n", "# reqs");
    for (size_t i = 0; i <= n; i++) {
      const struct lc_stats_entry *e = i < n ? rows[i] : tot;
      if (!e->intended || !e->intended->count) continue;
      fprintf(out, "%-8s %-40.40s", i < n ? e->method : "", i < n ? e->name : "Aggregated");
      for (size_t k = 0; k < LC_PCT_COUNT; k++)
        fprintf(out, " %8.1f", ms(lc_hist_percentile(e->intended, lc_pct_values[k])));
      fprintf(out, " %8" PRIu64 "\n", e->intended->count);
    }
  }
  free(rows);
  if (r->open_model) {
    const struct lc_result_arrivals *a = &r->arrivals;
    fprintf(out, "\nArrivals: %" PRIu64 " scheduled, %" PRIu64 " started, %" PRIu64
                 " dropped (max_users %u), %" PRIu64 " late by more than 1 ms "
                 "(lateness p99 %.1f ms, max %.1f ms)\n",
            a->scheduled, a->started, a->dropped, a->max_users, a->late, ms(a->lateness_p99_us),
            ms(a->lateness_max_us));
  }

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
  if (r->saturated) lc_report_console_saturation(out, r->workers, r->nworkers);
}

static void clock_text(char *buf, size_t n, int64_t us) {
  int64_t s = us / 1000000;
  if (s >= 3600)
    snprintf(buf, n, "%" PRId64 ":%02d:%02d", s / 3600, (int)(s / 60 % 60), (int)(s % 60));
  else
    snprintf(buf, n, "%02d:%02d", (int)(s / 60), (int)(s % 60));
}

void lc_report_console_status(FILE *out, const struct lc_console_status *st, bool color, int width) {
  char el[32], rt[32], bar[128] = "";
  clock_text(el, sizeof el, st->elapsed_us);
  if (st->run_time_us > 0) {
    clock_text(rt, sizeof rt, st->run_time_us);
    double f = (double)st->elapsed_us / (double)st->run_time_us;
    if (f > 1) f = 1;
    if (f < 0) f = 0;
    int cells = width >= 100 ? 30 : width >= 80 ? 20 : 10;
    int full = (int)(f * cells + 0.5);
    size_t k = 0;
    bar[k++] = '[';
    for (int i = 0; i < cells; i++) bar[k++] = i < full ? '#' : '.';
    k += (size_t)snprintf(bar + k, sizeof bar - k, "] %3.0f%%  ", 100.0 * f);
  } else {
    snprintf(rt, sizeof rt, "--:--");
  }
  const char *red = color && st->fail_ratio > 0 ? "\033[31m" : "";
  const char *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
  fprintf(out, "\r\033[2K%s%s / %s%s  %susers %u  req/s %.1f  %sfailures %.2f %%%s", bold, el, rt,
          off, bar, st->users, st->rps, red, 100.0 * st->fail_ratio, *red ? off : "");
  fflush(out);
}

void lc_report_console_status_clear(FILE *out) {
  fputs("\r\033[2K", out);
  fflush(out);
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
