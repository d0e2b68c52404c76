/* junit.c: the JUnit XML report (see junit.h). Written by hand with strict escaping rather than
 * through xmlwriter: error messages quote responses, and xmlwriter would pass control
 * characters and broken UTF-8 through into a file no parser accepts. */
#include "report/junit.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/base/base.h"
#include "report/file.h"
#include "report/thresholds.h"

/* ---- files ---- */

int lc_report_junit_prepare(const char *path, char *err, size_t errlen) {
  return lc_report_check_writable(path, err, errlen) == 0 ? 0 : -1;
}

/* ---- XML text ---- */

/* The length of the valid UTF-8 sequence at s (of at most n bytes) that XML allows, or 0. */
static size_t xml_char(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return c >= 0x20 || c == '\t' || c == '\n' || c == '\r' ? 1 : 0;
  size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (len == 0 || len > n) return 0;
  uint32_t cp = c & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return len;
}

/* Writes s escaped for XML text, or for an attribute value between double quotes. */
static void xml_puts(FILE *f, const char *s, bool attr) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t n = strlen((const char *)p);
  while (n > 0) {
    size_t len = xml_char(p, n);
    if (len == 0) {
      fputs("\xEF\xBF\xBD", f);
      p++;
      n--;
      continue;
    }
    switch (*p) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs(attr ? "&quot;" : "\"", f); break;
    case '\n': fputs(attr ? "&#10;" : "\n", f); break;
    case '\r': fputs("&#13;", f); break;
    case '\t': fputs(attr ? "&#9;" : "\t", f); break;
    default: fwrite(p, 1, len, f);
    }
    p += len;
    n -= len;
  }
}

static void attr(FILE *f, const char *name, const char *value) {
  fprintf(f, " %s=\"", name);
  xml_puts(f, value, true);
  fputc('"', f);
}

/* ---- the suites ---- */

struct group {
  char *name;          /* "check status", or NULL for the default rule */
  uint64_t occurrences;
  size_t *errors;      /* indexes into the errors table */
  size_t n;
};

static struct group *group_get(struct group **gs, size_t *n, const char *name, size_t len) {
  for (size_t i = 0; i < *n; i++) {
    struct group *g = &(*gs)[i];
    if (!name ? !g->name : g->name && strlen(g->name) == len && memcmp(g->name, name, len) == 0)
      return g;
  }
  *gs = lc_xrealloc(*gs, (*n + 1) * sizeof **gs);
  struct group *g = &(*gs)[(*n)++];
  memset(g, 0, sizeof *g);
  g->name = name ? lc_xstrndup(name, len) : NULL;
  return g;
}

/* The errors table grouped by check (in first-seen order), the default rule's group last. */
static struct group *group_errors(const struct lc_stats *totals, size_t *ngroups) {
  struct group *gs = NULL;
  size_t n = 0;
  size_t ne = totals ? lc_stats_error_count(totals) : 0;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < ne; i++) {
      const struct lc_stats_error *e = lc_stats_error_at(totals, i);
      const char *colon = strchr(e->message, ':');
      bool check = !e->overflow && strncmp(e->message, "check ", 6) == 0 && colon;
      if (check != (pass == 0)) continue;
      struct group *g = group_get(&gs, &n, check ? e->message : NULL,
                                  check ? (size_t)(colon - e->message) : 0);
      g->errors = lc_xrealloc(g->errors, (g->n + 1) * sizeof *g->errors);
      g->errors[g->n++] = i;
      g->occurrences += e->occurrences;
    }
  }
  *ngroups = n;
  return gs;
}

static void write_group(FILE *f, const struct lc_stats *totals, const struct group *g) {
  fputs("    <testcase", f);
  attr(f, "name", g->name ? g->name : "default rule");
  attr(f, "classname", "loadc.checks");
  fputs(" time=\"0\">\n      <failure", f);
  char msg[128];
  snprintf(msg, sizeof msg, "%" PRIu64 " failed request%s", g->occurrences,
           g->occurrences == 1 ? "" : "s");
  attr(f, "message", msg);
  attr(f, "type", g->name ? "check" : "request");
  fputs(">", f);
  for (size_t i = 0; i < g->n; i++) {
    const struct lc_stats_error *e = lc_stats_error_at(totals, g->errors[i]);
    fprintf(f, "%" PRIu64 " ", e->occurrences);
    xml_puts(f, e->method, false);
    fputc(' ', f);
    xml_puts(f, e->name, false);
    fputs(": ", f);
    xml_puts(f, e->message, false);
    fputc('\n', f);
  }
  fputs("</failure>\n    </testcase>\n", f);
}

static void write_threshold(FILE *f, const struct lc_threshold_result *t) {
  fputs("    <testcase", f);
  attr(f, "name", t->source);
  attr(f, "classname", "loadc.thresholds");
  fputs(" time=\"0\"", f);
  char measured[64], limit[64], msg[512];
  lc_threshold_format(measured, sizeof measured, t->measured, t->unit);
  lc_threshold_format(limit, sizeof limit, t->limit, t->unit);
  if (t->skipped) {
    fputs(">\n      <skipped", f);
    attr(f, "message", t->note);
    fputs("/>\n    </testcase>\n", f);
  } else if (!t->passed) {
    snprintf(msg, sizeof msg, "measured %s, want %s %s%s%s%s", measured, t->op, limit,
             t->note ? " (" : "", t->note ? t->note : "", t->note ? ")" : "");
    fputs(">\n      <failure", f);
    attr(f, "message", msg);
    attr(f, "type", "threshold");
    fputs(">", f);
    xml_puts(f, msg, false);
    if (t->aborted_run) fputs("\nthis threshold has abort_on_fail and stopped the run", f);
    fputs("</failure>\n    </testcase>\n", f);
  } else {
    fputs(">\n      <system-out>", f);
    snprintf(msg, sizeof msg, "measured %s, want %s %s", measured, t->op, limit);
    xml_puts(f, msg, false);
    fputs("</system-out>\n    </testcase>\n", f);
  }
}

static void timestamp(char *buf, size_t n, int64_t wall_us) {
  time_t s = (time_t)(wall_us / 1000000);
  struct tm tm;
  if (wall_us <= 0 || !gmtime_r(&s, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    snprintf(buf, n, "1970-01-01T00:00:00");
}

static void write_report(FILE *f, const struct lc_result *r) {
  size_t ng = 0;
  struct group *gs = group_errors(r->totals, &ng);
  size_t tfail = 0, tskip = 0;
  for (size_t i = 0; i < r->nthresholds; i++) {
    if (r->thresholds[i].skipped) tskip++;
    else if (!r->thresholds[i].passed) tfail++;
  }
  double secs = (double)r->duration_us / 1e6;
  char ts[32], num[160];
  timestamp(ts, sizeof ts, r->start_wall_us);
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
  attr(f, "name", r->scenario_name ? r->scenario_name : "loadc");
  fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
          r->nthresholds + ng, tfail + ng, tskip, secs);

  fputs("  <testsuite name=\"loadc thresholds\"", f);
  fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\"",
          r->nthresholds, tfail, tskip, secs);
  fprintf(f, " timestamp=\"%s\">\n", ts);
  fputs("    <properties>\n", f);
  const char *props[][2] = {
      {"scenario", r->scenario_file}, {"host", r->host}, {"end", lc_result_end_name(r->end)},
      {"loadc_version", r->loadc_version}};
  for (size_t i = 0; i < LC_ARRAY_LEN(props); i++) {
    if (!props[i][1]) continue;
    fputs("      <property", f);
    attr(f, "name", props[i][0]);
    attr(f, "value", props[i][1]);
    fputs("/>\n", f);
  }
  if (r->totals) {
    const struct lc_stats_entry *tot = lc_stats_total(r->totals);
    snprintf(num, sizeof num, "%" PRIu64, tot->num_requests);
    fprintf(f, "      <property name=\"requests\" value=\"%s\"/>\n", num);
    snprintf(num, sizeof num, "%" PRIu64, tot->num_failures);
    fprintf(f, "      <property name=\"failures\" value=\"%s\"/>\n", num);
  }
  fputs("    </properties>\n", f);
  for (size_t i = 0; i < r->nthresholds; i++) write_threshold(f, &r->thresholds[i]);
  fputs("  </testsuite>\n", f);

  fprintf(f, "  <testsuite name=\"loadc checks\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
             "skipped=\"0\" time=\"%.3f\" timestamp=\"%s\">\n", ng, ng, secs, ts);
  for (size_t i = 0; i < ng; i++) write_group(f, r->totals, &gs[i]);
  fputs("  </testsuite>\n</testsuites>\n", f);
  for (size_t i = 0; i < ng; i++) {
    free(gs[i].name);
    free(gs[i].errors);
  }
  free(gs);
}

int lc_report_junit_write(const char *path, const struct lc_result *r, char *err, size_t errlen) {
  char *tmp;
  FILE *f = lc_report_tmp_open(path, &tmp, err, errlen);
  if (!f) return -1;
  write_report(f, r);
  return lc_report_tmp_commit(f, tmp, path, true, err, errlen) == 0 ? 0 : -1;
}
