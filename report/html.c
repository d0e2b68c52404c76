/* html.c: the self-contained HTML report (see html.h). Everything from the scenario or the
 * target (names, messages, hosts) goes through esc(). The charts are SVG polylines computed
 * here from the Aggregated point of each history row; a history longer than MAX_POINTS rows is
 * sampled evenly so a long run still gives a small file. */
#include "report/html.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/base/base.h"
#include "report/file.h"

#define MAX_POINTS 2000   /* per series */
#define CW 860.0          /* chart geometry (SVG user units) */
#define CH 260.0
#define ML 64.0
#define MR 16.0
#define MT 14.0
#define MB 44.0

/* ---- text ---- */

/* Writes s as HTML text or attribute value: the five special characters escaped, C0 controls
 * other than tab and newline (and DEL) as '?'. NULL writes nothing. */
static void esc(FILE *f, const char *s) {
  if (!s) return;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default:
      if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) fputc('?', f);
      else fputc(c, f);
    }
  }
}

static double ms(uint64_t us) { return (double)us / 1000.0; }

static void utc_time(char *buf, size_t size, int64_t wall_us) {
  time_t t = (time_t)(wall_us / 1000000);
  struct tm tm;
  if (wall_us <= 0 || !gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
    snprintf(buf, size, "-");
}

static void duration_text(char *buf, size_t size, int64_t us) {
  if (us < 0) us = 0;
  int64_t s = us / 1000000;
  snprintf(buf, size, "%.1f s (%" PRId64 ":%02" PRId64 ":%02" PRId64 ")", (double)us / 1e6,
           s / 3600, s / 60 % 60, s % 60);
}

/* A threshold figure in its unit. */
static void value_text(char *buf, size_t size, double v, const char *unit) {
  if (isnan(v)) snprintf(buf, size, "no data");
  else if (unit && strcmp(unit, "ms") == 0) snprintf(buf, size, "%.1f ms", v);
  else if (unit && strcmp(unit, "%") == 0) snprintf(buf, size, "%.2f %%", v);
  else snprintf(buf, size, "%.6g%s%s", v, unit && *unit ? " " : "", unit ? unit : "");
}

static const char *end_text(enum lc_result_end e) {
  switch (e) {
  case LC_END_COMPLETED: return "completed";
  case LC_END_INTERRUPTED: return "interrupted (stopped by a signal)";
  case LC_END_KILLED: return "killed (a second signal stopped it at once)";
  case LC_END_ABORTED: return "aborted (a threshold with abort_on_fail failed)";
  }
  return "unknown";
}

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d2733;background:#fff}"
    "h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.25em;margin:1.6em 0 .5em;"
    "border-bottom:1px solid #d5dbe3;padding-bottom:.2em}"
    "table{border-collapse:collapse;margin:.4em 0;font-size:.9em}"
    "th,td{border:1px solid #d5dbe3;padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:#eef2f6}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.total td{font-weight:bold;background:#f6f8fa}"
    ".summary th{width:12em}.pass{color:#116329;font-weight:bold}"
    ".fail{color:#b42318;font-weight:bold}"
    ".warning{border:2px solid #b42318;background:#fdecea;color:#7a1a12;padding:10px 14px;"
    "margin:1em 0;font-weight:bold}"
    ".chart{margin:1em 0}.chart h3{font-size:1em;margin:.2em 0}"
    ".legend span{display:inline-block;margin-right:1.2em}"
    ".legend i{display:inline-block;width:14px;height:4px;margin-right:5px;vertical-align:middle}"
    "svg{max-width:100%;height:auto;font-size:11px}svg text{fill:#425466}"
    ".grid{stroke:#e3e8ee;stroke-width:1}.axis{stroke:#425466;stroke-width:1}"
    "polyline.series{fill:none;stroke-width:1.6;stroke-linejoin:round}"
    ".muted{color:#667085}pre{white-space:pre-wrap;margin:0}";

/* Measures every drawn series once the page is laid out, so a headless browser's DOM dump
 * shows whether the charts have geometry; it changes nothing visible. */
static const char SCRIPT[] =
    "(function(){var b=document.body,s=document.querySelectorAll('svg polyline.series'),"
    "n=0,g=[];for(var i=0;i<s.length;i++){var l=s[i].getTotalLength(),r=s[i].getBBox();"
    "if(l>0&&(r.width>0||r.height>0))n++;g.push(s[i].getAttribute('data-series')+':'+"
    "l.toFixed(1));}b.setAttribute('data-chart-series',String(s.length));"
    "b.setAttribute('data-chart-drawn',String(n));"
    "b.setAttribute('data-chart-lengths',g.join(' '));})();";

/* ---- charts ---- */

struct series {
  const char *id;       /* data-series, stable for tests */
  const char *label;
  const char *color;
  double *y;
};

/* A "nice" step (1, 2 or 5 times a power of ten) giving about `ticks` intervals up to vmax. */
static double nice_step(double vmax, int ticks) {
  double raw = vmax / ticks;
  double mag = pow(10.0, floor(log10(raw)));
  double norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

static void tick_label(char *buf, size_t size, double v, double step) {
  int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
  if (dec > 6) dec = 6;
  snprintf(buf, size, "%.*f", dec, v);
}

static void time_label(char *buf, size_t size, double s, double xmax) {
  long t = (long)llround(s);
  if (xmax < 120) snprintf(buf, size, "%lds", t);
  else if (xmax < 7200) snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
  else snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

static double time_step(double xmax) {
  static const double steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
                                 7200, 10800, 21600, 43200, 86400};
  for (size_t i = 0; i < LC_ARRAY_LEN(steps); i++)
    if (xmax / steps[i] <= 8) return steps[i];
  return nice_step(xmax, 8);
}

static void chart(FILE *f, const char *title, const char *ylabel, const double *x, size_t n,
                  const struct series *s, size_t ns) {
  double pw = CW - ML - MR, ph = CH - MT - MB;
  double xmax = n ? x[n - 1] : 1, ymax = 0;
  if (xmax < 1) xmax = 1;
  for (size_t k = 0; k < ns; k++)
    for (size_t i = 0; i < n; i++)
      if (isfinite(s[k].y[i]) && s[k].y[i] > ymax) ymax = s[k].y[i];
  double ystep = nice_step(ymax > 0 ? ymax : 1, 5);
  double ytop = ceil((ymax > 0 ? ymax : 1) / ystep - 1e-9) * ystep;
  if (ytop <= 0) ytop = ystep;
  double xstep = time_step(xmax);

  fprintf(f, "<div class=\"chart\"><h3>");
  esc(f, title);
  fprintf(f, "</h3><div class=\"legend\">");
  for (size_t k = 0; k < ns; k++) {
    fprintf(f, "<span><i style=\"background:%s\"></i>", s[k].color);
    esc(f, s[k].label);
    fprintf(f, "</span>");
  }
  fprintf(f, "</div>\n<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">"
             "<title>", CW, CH, CW, CH);
  esc(f, title);
  fprintf(f, "</title>\n");
  char lab[48];
  for (double v = 0; v <= ytop + ystep / 2; v += ystep) {
    double y = MT + ph - v / ytop * ph;
    tick_label(lab, sizeof lab, v, ystep);
    fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
            ML, y, ML + pw, y, ML - 6, y + 4, lab);
  }
  for (double t = 0; t <= xmax + 1e-9; t += xstep) {
    double xx = ML + t / xmax * pw;
    time_label(lab, sizeof lab, t, xmax);
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
            xx, MT + ph, xx, MT + ph + 5, xx, MT + ph + 18, lab);
  }
  fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
             "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
          ML, MT, ML, MT + ph, ML, MT + ph, ML + pw, MT + ph);
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time since start</text>\n",
          ML + pw / 2, CH - 6);
  fprintf(f, "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">",
          MT + ph / 2);
  esc(f, ylabel);
  fprintf(f, "</text>\n");
  if (n == 0) {
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data: the run was shorter "
               "than a second</text>\n", ML + pw / 2, MT + ph / 2);
  }
  for (size_t k = 0; k < ns && n > 0; k++) {
    fprintf(f, "<polyline class=\"series\" data-series=\"%s\" stroke=\"%s\" points=\"", s[k].id,
            s[k].color);
    for (size_t i = 0; i < n; i++) {
      double v = isfinite(s[k].y[i]) && s[k].y[i] > 0 ? s[k].y[i] : 0;
      double xx = ML + x[i] / xmax * pw, yy = MT + ph - v / ytop * ph;
      if (n == 1) /* one second: a short dash, so the point is visible */
        fprintf(f, "%.1f,%.1f %.1f,%.1f", xx - 3, yy, xx + 3, yy);
      else
        fprintf(f, "%s%.1f,%.1f", i ? " " : "", xx, yy);
    }
    fprintf(f, "\"/>\n");
  }
  fprintf(f, "</svg></div>\n");
}

/* The three charts from the Aggregated point of each (sampled) history row. */
static void charts(FILE *f, const struct lc_history *h) {
  size_t rows = h ? lc_history_row_count(h) : 0;
  size_t n = rows > MAX_POINTS ? MAX_POINTS : rows;
  double *x = lc_xcalloc(n ? n : 1, sizeof *x);
  double *v = lc_xcalloc(5 * (n ? n : 1), sizeof *v);
  double *rps = v, *fps = v + n, *p50 = v + 2 * n, *p95 = v + 3 * n, *users = v + 4 * n;
  size_t i50 = 0, i95 = 5;
  for (size_t k = 0; k < LC_PCT_COUNT; k++) {
    if (lc_pct_values[k] == 0.50) i50 = k;
    if (lc_pct_values[k] == 0.95) i95 = k;
  }
  for (size_t i = 0; i < n; i++) {
    size_t r = n == rows ? i : (size_t)((double)i * (double)(rows - 1) / (double)(n - 1));
    const struct lc_history_row *row = lc_history_row_at(h, r);
    x[i] = (double)row->elapsed_us / 1e6;
    users[i] = row->users;
    if (row->npoints > 0) {
      const struct lc_history_point *p = lc_history_point_at(h, row->first);
      if (p->entry == LC_HISTORY_TOTAL) {
        rps[i] = p->rps;
        fps[i] = p->fps;
        p50[i] = ms(p->pct_us[i50]);
        p95[i] = ms(p->pct_us[i95]);
      }
    }
  }
  fprintf(f, "<h2 id=\"charts\">Charts</h2>\n");
  if (rows > n)
    fprintf(f, "<p class=\"muted\">%zu of %zu seconds drawn, evenly spaced.</p>\n", n, rows);
  const struct series s1[] = {{"rps", "Requests/s", "#1f77b4", rps},
                              {"fps", "Failures/s", "#d62728", fps}};
  const struct series s2[] = {{"p50", "Median response time", "#2ca02c", p50},
                              {"p95", "95th percentile", "#ff7f0e", p95}};
  const struct series s3[] = {{"users", "Users", "#6f42c1", users}};
  chart(f, "Total requests per second", "per second (10 s window)", x, n, s1, 2);
  chart(f, "Response times", "milliseconds (10 s window)", x, n, s2, 2);
  chart(f, "Number of users", "users", x, n, s3, 1);
  free(v);
  free(x);
}

/* ---- tables ---- */

static void summary(FILE *f, const struct lc_result *r) {
  char a[80], b[80];
  fprintf(f, "<table class=\"summary\">\n<tr><th>Scenario</th><td>");
  esc(f, r->scenario_name);
  if (r->scenario_file) {
    fprintf(f, " <span class=\"muted\">(");
    esc(f, r->scenario_file);
    fprintf(f, ")</span>");
  }
  fprintf(f, "</td></tr>\n<tr><th>Host</th><td>");
  if (r->host) esc(f, r->host);
  else fprintf(f, "<span class=\"muted\">per user class</span>");
  utc_time(a, sizeof a, r->start_wall_us);
  utc_time(b, sizeof b, r->end_wall_us);
  fprintf(f, "</td></tr>\n<tr><th>Start</th><td>%s</td></tr>\n<tr><th>End</th><td>%s</td></tr>\n",
          a, b);
  duration_text(a, sizeof a, r->duration_us);
  fprintf(f, "<tr><th>Duration</th><td>%s</td></tr>\n", a);
  fprintf(f, "<tr><th>Peak users</th><td>%" PRIu32 "</td></tr>\n", r->peak_users);
  fprintf(f, "<tr><th>End reason</th><td>%s</td></tr>\n", end_text(r->end));
  if (r->nthresholds == 0)
    fprintf(f, "<tr><th>Thresholds</th><td class=\"muted\">none</td></tr>\n");
  else
    fprintf(f, "<tr><th>Thresholds</th><td class=\"%s\">%s</td></tr>\n",
            r->thresholds_passed ? "pass" : "fail", r->thresholds_passed ? "passed" : "failed");
  if (r->command_line) {
    fprintf(f, "<tr><th>Command</th><td><pre>");
    esc(f, r->command_line);
    fprintf(f, "</pre></td></tr>\n");
  }
  fprintf(f, "<tr><th>Generator</th><td>loadc ");
  esc(f, r->loadc_version);
  if (r->library_versions) {
    fprintf(f, " <span class=\"muted\">");
    esc(f, r->library_versions);
    fprintf(f, "</span>");
  }
  fprintf(f, "</td></tr>\n</table>\n");
}

static void stats_row(FILE *f, const char *type, const char *name, const struct lc_stats_entry *e,
                      double secs, bool total) {
  uint64_t n = e->num_requests;
  fprintf(f, "<tr%s><td>", total ? " class=\"total\"" : "");
  esc(f, type);
  fprintf(f, "</td><td>");
  esc(f, name);
  fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>", n,
          e->num_failures);
  if (n)
    fprintf(f, "<td class=\"n\">%.1f</td><td class=\"n\">%.1f</td><td class=\"n\">%.1f</td>"
               "<td class=\"n\">%.0f</td>",
            lc_hist_mean(&e->hist) / 1000.0, ms(e->hist.min), ms(e->hist.max),
            (double)e->total_content_length / (double)n);
  else
    fprintf(f, "<td class=\"n\">0.0</td><td class=\"n\">0.0</td><td class=\"n\">0.0</td>"
               "<td class=\"n\">0</td>");
  fprintf(f, "<td class=\"n\">%.2f</td><td class=\"n\">%.2f</td></tr>\n", (double)n / secs,
          (double)e->num_failures / secs);
}

static void pct_row(FILE *f, const char *type, const char *name, const struct lc_stats_entry *e,
                    bool total) {
  fprintf(f, "<tr%s><td>", total ? " class=\"total\"" : "");
  esc(f, type);
  fprintf(f, "</td><td>");
  esc(f, name);
  fprintf(f, "</td>");
  for (size_t k = 0; k < LC_PCT_COUNT; k++) {
    if (e->num_requests)
      fprintf(f, "<td class=\"n\">%.1f</td>", ms(lc_hist_percentile(&e->hist, lc_pct_values[k])));
    else
      fprintf(f, "<td class=\"n\">N/A</td>");
  }
  fprintf(f, "</tr>\n");
}

static bool has_intended(const struct lc_stats_entry *e) {
  return e->intended && e->intended->count;
}

static void intended_row(FILE *f, const char *type, const char *name, const struct lc_hist *h,
                         bool total) {
  fprintf(f, "<tr%s><td>", total ? " class=\"total\"" : "");
  esc(f, type);
  fprintf(f, "</td><td>");
  esc(f, name);
  fprintf(f, "</td>");
  for (size_t k = 0; k < LC_PCT_COUNT; k++)
    fprintf(f, "<td class=\"n\">%.1f</td>", ms(lc_hist_percentile(h, lc_pct_values[k])));
  fprintf(f, "<td class=\"n\">%" PRIu64 "</td></tr>\n", h->count);
}

/* Response times from the intended start (open model, paced users), only when the run has
 * them: the entries that have them, then Aggregated (the console's second table). */
static void intended_table(FILE *f, const struct lc_stats_entry *const *rows, size_t n,
                           const struct lc_stats_entry *tot) {
  if (!has_intended(tot)) return;
  fprintf(f, "<h2 id=\"intended\">Response time percentiles from the intended start</h2>\n"
             "<p class=\"muted\">Milliseconds, coordinated omission corrected: includes the "
             "time a request waited for its turn (a late arrival of the open model, or the "
             "iterations a paced user missed while a request overran its interval).</p>\n"
             "<table class=\"intended\">\n<tr><th>Type</th><th>Name</th>");
  for (size_t k = 0; k < LC_PCT_COUNT; k++) fprintf(f, "<th>%sile (ms)</th>", lc_pct_labels[k]);
  fprintf(f, "<th># Samples</th></tr>\n");
  for (size_t i = 0; i < n; i++)
    if (has_intended(rows[i])) intended_row(f, rows[i]->method, rows[i]->name, rows[i]->intended, false);
  intended_row(f, "", "Aggregated", tot->intended, true);
  fprintf(f, "</table>\n");
}

/* The open model's arrivals (the console's "Arrivals:" line). */
static void arrivals_box(FILE *f, const struct lc_result *r) {
  if (!r->open_model) return;
  const struct lc_result_arrivals *a = &r->arrivals;
  fprintf(f, "<h2 id=\"arrivals\">Arrivals</h2>\n<table class=\"arrivals summary\">\n"
             "<tr><th>Scheduled</th><td class=\"n\">%" PRIu64 "</td></tr>\n"
             "<tr><th>Started</th><td class=\"n\">%" PRIu64 "</td></tr>\n"
             "<tr><th>Dropped</th><td class=\"n%s\">%" PRIu64 "</td></tr>\n"
             "<tr><th>Max users</th><td class=\"n\">%" PRIu32 "</td></tr>\n"
             "<tr><th>Late (over 1 ms)</th><td class=\"n\">%" PRIu64 "</td></tr>\n"
             "<tr><th>Lateness p99</th><td class=\"n\">%.1f ms</td></tr>\n"
             "<tr><th>Lateness max</th><td class=\"n\">%.1f ms</td></tr>\n</table>\n",
          a->scheduled, a->started, a->dropped ? " fail" : "", a->dropped, a->max_users, a->late,
          ms(a->lateness_p99_us), ms(a->lateness_max_us));
  if (a->dropped)
    fprintf(f, "<p class=\"muted\">Dropped arrivals found max_users users busy: the target "
               "was slower than the arrival rate allows.</p>\n");
}

static void request_tables(FILE *f, const struct lc_result *r) {
  double secs = r->duration_us > 0 ? (double)r->duration_us / 1e6 : 1;
  size_t n = 0;
  const struct lc_stats_entry **rows = r->totals ? lc_stats_sorted(r->totals, &n) : NULL;
  const struct lc_stats_entry *tot = r->totals ? lc_stats_total(r->totals) : NULL;

  fprintf(f, "<h2 id=\"requests\">Request statistics</h2>\n<table class=\"requests\">\n<tr>"
             "<th>Type</th><th>Name</th><th># Requests</th><th># Fails</th><th>Average (ms)</th>"
             "<th>Min (ms)</th><th>Max (ms)</th><th>Average size (bytes)</th><th>RPS</th>"
             "<th>Failures/s</th></tr>\n");
  for (size_t i = 0; i < n; i++) stats_row(f, rows[i]->method, rows[i]->name, rows[i], secs, false);
  if (tot) stats_row(f, "", "Aggregated", tot, secs, true);
  fprintf(f, "</table>\n");

  fprintf(f, "<h2 id=\"percentiles\">Response time statistics</h2>\n<p class=\"muted\">"
             "Milliseconds, from a log-linear histogram (within 0.4 %%, never above the exact "
             "max).</p>\n<table class=\"percentiles\">\n<tr><th>Type</th><th>Name</th>");
  for (size_t k = 0; k < LC_PCT_COUNT; k++) fprintf(f, "<th>%sile (ms)</th>", lc_pct_labels[k]);
  fprintf(f, "</tr>\n");
  for (size_t i = 0; i < n; i++) pct_row(f, rows[i]->method, rows[i]->name, rows[i], false);
  if (tot) pct_row(f, "", "Aggregated", tot, true);
  fprintf(f, "</table>\n");
  if (tot) intended_table(f, rows, n, tot);
  free(rows);
}

static void error_tables(FILE *f, const struct lc_stats *s) {
  size_t ne = s ? lc_stats_error_count(s) : 0, nu = s ? lc_stats_user_error_count(s) : 0;
  fprintf(f, "<h2 id=\"failures\">Failures</h2>\n");
  if (ne == 0) {
    fprintf(f, "<p class=\"muted\">No failed request.</p>\n");
  } else {
    fprintf(f, "<table class=\"failures\">\n<tr><th>Method</th><th>Name</th><th>Error</th>"
               "<th>Occurrences</th></tr>\n");
    for (size_t i = 0; i < ne; i++) {
      const struct lc_stats_error *e = lc_stats_error_at(s, i);
      fprintf(f, "<tr><td>");
      esc(f, e->method);
      fprintf(f, "</td><td>");
      esc(f, e->name);
      fprintf(f, "</td><td>");
      esc(f, e->message);
      fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td></tr>\n", e->occurrences);
    }
    fprintf(f, "</table>\n");
  }
  fprintf(f, "<h2 id=\"user-errors\">Errors inside users</h2>\n");
  if (nu == 0) {
    fprintf(f, "<p class=\"muted\">No error inside a user.</p>\n");
    return;
  }
  fprintf(f, "<table class=\"user-errors\">\n<tr><th>Count</th><th>Message</th></tr>\n");
  for (size_t i = 0; i < nu; i++) {
    const struct lc_stats_error *e = lc_stats_user_error_at(s, i);
    fprintf(f, "<tr><td class=\"n\">%" PRIu64 "</td><td>", e->occurrences);
    esc(f, e->message);
    fprintf(f, "</td></tr>\n");
  }
  fprintf(f, "</table>\n");
}

static void threshold_table(FILE *f, const struct lc_result *r) {
  if (r->nthresholds == 0) return;
  fprintf(f, "<h2 id=\"thresholds\">Thresholds</h2>\n<table class=\"thresholds\">\n<tr>"
             "<th>Threshold</th><th>Filter</th><th>Measured</th><th>Limit</th><th>Result</th>"
             "</tr>\n");
  for (size_t i = 0; i < r->nthresholds; i++) {
    const struct lc_threshold_result *t = &r->thresholds[i];
    char m[64], l[64];
    value_text(m, sizeof m, t->measured, t->unit);
    value_text(l, sizeof l, t->limit, t->unit);
    fprintf(f, "<tr><td>");
    esc(f, t->source);
    fprintf(f, "</td><td>");
    esc(f, t->filter);
    fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">", m);
    esc(f, t->op);
    fprintf(f, " %s</td><td class=\"%s\">%s%s", l, t->passed ? "pass" : "fail",
            t->passed ? "pass" : "fail", t->aborted_run ? " (stopped the run)" : "");
    if (t->note) {
      fprintf(f, " <span class=\"muted\">(");
      esc(f, t->note);
      fprintf(f, ")</span>");
    }
    fprintf(f, "</td></tr>\n");
  }
  fprintf(f, "</table>\n");
}

static void class_table(FILE *f, const struct lc_result *r) {
  if (r->nclasses == 0) return;
  fprintf(f, "<h2 id=\"classes\">User classes and tasks</h2>\n<table class=\"classes\">\n<tr>"
             "<th>Class</th><th>Weight</th><th>Share of users</th><th>Task</th>"
             "<th>Share of picks</th></tr>\n");
  for (size_t i = 0; i < r->nclasses; i++) {
    const struct lc_result_class *c = &r->classes[i];
    size_t span = c->ntasks ? c->ntasks : 1;
    fprintf(f, "<tr><td rowspan=\"%zu\">", span);
    esc(f, c->name);
    if (c->fixed_count)
      fprintf(f, "</td><td rowspan=\"%zu\">fixed_count %" PRIu32 "</td>", span, c->fixed_count);
    else
      fprintf(f, "</td><td rowspan=\"%zu\" class=\"n\">%" PRIu32 "</td>", span, c->weight);
    fprintf(f, "<td rowspan=\"%zu\" class=\"n\">%.1f %%</td>", span, 100.0 * c->share);
    if (c->ntasks == 0) fprintf(f, "<td class=\"muted\">no task</td><td></td></tr>\n");
    for (size_t k = 0; k < c->ntasks; k++) {
      if (k) fprintf(f, "<tr>");
      fprintf(f, "<td>");
      esc(f, c->tasks[k].name);
      fprintf(f, "</td><td class=\"n\">%.1f %%</td></tr>\n", 100.0 * c->tasks[k].share);
    }
  }
  fprintf(f, "</table>\n");
}

static void worker_table(FILE *f, const struct lc_result *r) {
  if (r->nworkers == 0) return;
  fprintf(f, "<h2 id=\"generator\">Load generator</h2>\n<table class=\"workers\">\n<tr>"
             "<th>Worker</th><th>CPU max</th><th>CPU mean</th><th>Lag p99 (ms)</th>"
             "<th>Lag max (ms)</th></tr>\n");
  for (size_t i = 0; i < r->nworkers; i++) {
    const struct lc_result_worker *w = &r->workers[i];
    fprintf(f, "<tr><td class=\"n\">%zu</td><td class=\"n\">%.0f %%</td><td class=\"n\">%.0f %%"
               "</td><td class=\"n\">%.1f</td><td class=\"n\">%.1f</td></tr>\n",
            i, 100 * w->cpu_max, 100 * w->cpu_mean, ms(w->lag_p99_us), ms(w->lag_max_us));
  }
  fprintf(f, "</table>\n");
}

int lc_report_html_fwrite(FILE *f, const struct lc_result *r) {
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             "<title>loadc report: ");
  esc(f, r->scenario_name);
  fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>loadc report: ", CSS);
  esc(f, r->scenario_name);
  fprintf(f, "</h1>\n");
  if (r->saturated)
    fprintf(f, "<div class=\"warning\" id=\"saturated\">Warning: the load generator was "
               "saturated (a worker thread used over 90 %% of a core in a second, or its "
               "scheduler lag p99 was over 10 ms). The measured response times include time "
               "spent waiting in loadc and the load was lower than intended: use more threads "
               "or machines, or fewer users.</div>\n");
  summary(f, r);
  arrivals_box(f, r);
  request_tables(f, r);
  error_tables(f, r->totals);
  threshold_table(f, r);
  charts(f, r->history);
  class_table(f, r);
  worker_table(f, r);
  fprintf(f, "<script>%s</script>\n</body>\n</html>\n", SCRIPT);
  return ferror(f) ? LC_EIO : 0;
}

/* ---- files ---- */

int lc_report_html_check(const char *path, char *err, size_t errlen) {
  return lc_report_check_writable(path, err, errlen);
}

int lc_report_html_write(const char *path, const struct lc_result *r, char *err, size_t errlen) {
  char *tmp;
  FILE *f = lc_report_tmp_open(path, &tmp, err, errlen);
  if (!f) return LC_EIO;
  int ok = lc_report_html_fwrite(f, r) == 0;
  if (!ok) snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno ? errno : EIO));
  return lc_report_tmp_commit(f, tmp, path, ok, err, errlen);
}
