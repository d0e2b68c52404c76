/* thresholds.c: evaluates the plan's thresholds against a statistics shard (see thresholds.h).
 * The index lists every request of the plan once, with its method, its stats name (a literal,
 * or the segments of its `name:` template, matched like a glob) and the tags of its task. */
#include "report/thresholds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/template.h"
#include "engine/base/base.h"

struct ref {
  const char *method;
  const char *literal;        /* the stats name when the request has no `name:` */
  const struct lc_tpl *name;  /* else its template */
  const struct lc_strs *tags; /* of the enclosing task, or NULL */
  bool checks;
};

struct lc_threshold_index {
  struct ref *refs;
  size_t n, cap;
};

static void add_ref(struct lc_threshold_index *ix, const struct lc_request *r,
                    const struct lc_strs *tags) {
  if (ix->n == ix->cap) {
    ix->cap = ix->cap ? 2 * ix->cap : 16;
    ix->refs = lc_xrealloc(ix->refs, ix->cap * sizeof *ix->refs);
  }
  struct ref *f = &ix->refs[ix->n++];
  f->method = r->method;
  f->literal = r->name ? NULL : r->url_source;
  f->name = r->name;
  f->tags = tags;
  f->checks = r->nchecks > 0;
}

static void walk_steps(struct lc_threshold_index *ix, const struct lc_steps *s,
                       const struct lc_strs *tags) {
  for (size_t i = 0; i < s->n; i++) {
    const struct lc_step *st = &s->items[i];
    switch (st->kind) {
    case LC_STEP_REQUEST: add_ref(ix, st->u.request, tags); break;
    case LC_STEP_LOOP: walk_steps(ix, &st->u.loop.body, tags); break;
    case LC_STEP_IF:
      walk_steps(ix, &st->u.if_.then_steps, tags);
      walk_steps(ix, &st->u.if_.else_steps, tags);
      break;
    default: break;
    }
  }
}

/* A taskset's hooks belong to the task that holds it (`tags`); its tasks carry their own tags,
 * which include those inherited from enclosing sets. */
static void walk_set(struct lc_threshold_index *ix, const struct lc_taskset *set,
                     const struct lc_strs *tags) {
  walk_steps(ix, &set->on_start, tags);
  walk_steps(ix, &set->on_stop, tags);
  for (size_t i = 0; i < set->n; i++) {
    const struct lc_task *t = &set->tasks[i];
    walk_steps(ix, &t->steps, &t->tags);
    if (t->set) walk_set(ix, t->set, &t->tags);
  }
}

struct lc_threshold_index *lc_threshold_index_new(const struct lc_plan *plan) {
  struct lc_threshold_index *ix = lc_xcalloc(1, sizeof *ix);
  if (!plan) return ix;
  walk_steps(ix, &plan->setup, NULL);
  walk_steps(ix, &plan->teardown, NULL);
  for (size_t c = 0; c < plan->nclasses; c++) {
    const struct lc_user_class *uc = &plan->classes[c];
    walk_steps(ix, &uc->on_start, NULL);
    walk_steps(ix, &uc->on_stop, NULL);
    walk_set(ix, &uc->root, NULL);
  }
  return ix;
}

void lc_threshold_index_free(struct lc_threshold_index *ix) {
  if (!ix) return;
  free(ix->refs);
  free(ix);
}

/* Whether s matches segments seg[i..n) of a template, an expression matching any text. */
static bool glob(const struct lc_tpl_seg *seg, size_t i, size_t n, const char *s) {
  for (; i < n; i++) {
    if (seg[i].kind == LC_TPL_TEXT) {
      if (strncmp(s, seg[i].text, seg[i].len) != 0) return false;
      s += seg[i].len;
      continue;
    }
    for (const char *p = s;; p++) {
      if (glob(seg, i + 1, n, p)) return true;
      if (!*p) return false;
    }
  }
  return *s == '\0';
}

static bool ref_matches(const struct ref *f, const char *name, const char *method) {
  if (strcmp(f->method, method) != 0) return false;
  if (f->literal) return strcmp(f->literal, name) == 0;
  return glob(f->name->segs, 0, f->name->n, name);
}

static bool has_tag(const struct lc_strs *tags, const char *tag) {
  for (size_t i = 0; tags && i < tags->n; i++)
    if (strcmp(tags->items[i], tag) == 0) return true;
  return false;
}

bool lc_threshold_index_tagged(const struct lc_threshold_index *ix, const char *tag,
                               const char *name, const char *method) {
  for (size_t i = 0; ix && i < ix->n; i++)
    if (has_tag(ix->refs[i].tags, tag) && ref_matches(&ix->refs[i], name, method)) return true;
  return false;
}

bool lc_threshold_index_checked(const struct lc_threshold_index *ix, const char *name,
                                const char *method) {
  for (size_t i = 0; ix && i < ix->n; i++)
    if (ix->refs[i].checks && ref_matches(&ix->refs[i], name, method)) return true;
  return false;
}

/* ---- evaluation ---- */

static bool selected(const struct lc_threshold_index *ix, const struct lc_threshold *t,
                     const struct lc_stats_entry *e) {
  if (e->overflow || e->num_requests == 0) return false;
  if (t->filter_name && strcmp(t->filter_name, e->name) != 0) return false;
  if (t->filter_method && strcmp(t->filter_method, e->method) != 0) return false;
  if (t->filter_tag && !lc_threshold_index_tagged(ix, t->filter_tag, e->name, e->method))
    return false;
  if (t->metric == LC_METRIC_CHECK_RATE && !lc_threshold_index_checked(ix, e->name, e->method))
    return false;
  return true;
}

static bool compare(double a, enum lc_cmp_op op, double b) {
  switch (op) {
  case LC_CMP_LT: return a < b;
  case LC_CMP_LE: return a <= b;
  case LC_CMP_GT: return a > b;
  case LC_CMP_GE: return a >= b;
  case LC_CMP_EQ: return a == b;
  case LC_CMP_NE: return a != b;
  default: return false;
  }
}

static const char *op_text(enum lc_cmp_op op) {
  switch (op) {
  case LC_CMP_LT: return "<";
  case LC_CMP_LE: return "<=";
  case LC_CMP_GT: return ">";
  case LC_CMP_GE: return ">=";
  case LC_CMP_EQ: return "==";
  case LC_CMP_NE: return "!=";
  default: return "?";
  }
}

/* The metric word at the start of the source ("p95", "error_rate", "p99_intended"). */
static char *metric_text(const char *source) {
  size_t n = 0;
  while (source[n] && (source[n] == '_' || source[n] == '.' || (source[n] >= '0' && source[n] <= '9') ||
                       (source[n] >= 'a' && source[n] <= 'z') || (source[n] >= 'A' && source[n] <= 'Z')))
    n++;
  return lc_xstrndup(source, n);
}

static char *filter_text(const struct lc_threshold *t) {
  struct lc_buf b;
  lc_buf_init(&b, 0);
  const char *keys[] = {"name", "method", "tag"};
  const char *vals[] = {t->filter_name, t->filter_method, t->filter_tag};
  for (size_t i = 0; i < 3; i++) {
    if (!vals[i]) continue;
    if (b.len) lc_buf_puts(&b, ",");
    lc_buf_printf(&b, "%s=%s", keys[i], vals[i]);
  }
  return b.len ? lc_buf_steal(&b) : (lc_buf_release(&b), NULL);
}

/* The histogram a latency threshold reads from an entry: its response times, or for an
 * `_intended` threshold those measured from the intended start (NULL when it has none). */
static const struct lc_hist *hist_of(const struct lc_threshold *t, const struct lc_stats_entry *e) {
  if (!t->intended) return &e->hist;
  return e->intended && e->intended->count ? e->intended : NULL;
}

/* The raw measure (us, ratio or plain) over the selected entries; NaN when none (for an
 * `_intended` threshold: when none of them has a histogram from the intended start). */
static double measure(const struct lc_threshold_index *ix, const struct lc_threshold *t,
                      const struct lc_stats *totals, int64_t duration_us, bool *no_intended) {
  const struct lc_hist *h;
  uint64_t requests = 0, failures = 0;
  struct lc_hist *merged = NULL;
  bool filtered = t->filter_name || t->filter_method || t->filter_tag ||
                  t->metric == LC_METRIC_CHECK_RATE;
  if (!filtered) {
    const struct lc_stats_entry *tot = lc_stats_total(totals);
    h = hist_of(t, tot);
    requests = tot->num_requests;
    failures = tot->num_failures;
  } else {
    merged = lc_xmalloc(sizeof *merged);
    lc_hist_init(merged);
    size_t n = lc_stats_entry_count(totals);
    for (size_t i = 0; i < n; i++) {
      const struct lc_stats_entry *e = lc_stats_entry_at(totals, i);
      if (!selected(ix, t, e)) continue;
      const struct lc_hist *eh = hist_of(t, e);
      if (eh) lc_hist_merge(merged, eh);
      requests += e->num_requests;
      failures += e->num_failures;
    }
    h = merged;
  }
  *no_intended = t->intended && requests > 0 && (!h || h->count == 0);
  if (*no_intended) requests = 0;
  double v = NAN;
  if (requests > 0) {
    switch (t->metric) {
    case LC_METRIC_PERCENTILE: v = (double)lc_hist_percentile(h, t->percentile); break;
    case LC_METRIC_MEDIAN: v = (double)lc_hist_median(h); break;
    case LC_METRIC_AVG: v = lc_hist_mean(h); break;
    case LC_METRIC_MIN: v = (double)h->min; break;
    case LC_METRIC_MAX: v = (double)h->max; break;
    case LC_METRIC_RPS:
      if (duration_us > 0) v = (double)requests / ((double)duration_us / 1e6);
      break;
    case LC_METRIC_REQUESTS: v = (double)requests; break;
    case LC_METRIC_FAILURES: v = (double)failures; break;
    case LC_METRIC_ERROR_RATE: v = (double)failures / (double)requests; break;
    case LC_METRIC_CHECK_RATE: v = (double)(requests - failures) / (double)requests; break;
    }
  }
  free(merged);
  return v;
}

static double in_unit(double raw, enum lc_unit u) {
  if (u == LC_UNIT_US) return raw / 1000.0;
  if (u == LC_UNIT_RATIO) return raw * 100.0;
  return raw;
}

void lc_threshold_eval(const struct lc_threshold_index *ix, const struct lc_threshold *t,
                       const struct lc_stats *totals, int64_t duration_us,
                       struct lc_threshold_result *out) {
  memset(out, 0, sizeof *out);
  out->source = t->source;
  out->metric = metric_text(t->source);
  out->filter = filter_text(t);
  out->op = op_text(t->op);
  out->unit = t->unit == LC_UNIT_US ? "ms" : t->unit == LC_UNIT_RATIO ? "%" : "";
  out->limit = in_unit(t->value, t->unit);
  out->abort_on_fail = t->abort_on_fail;
  bool no_intended = false;
  double raw = measure(ix, t, totals, duration_us, &no_intended);
  out->measured = in_unit(raw, t->unit);
  if (isnan(raw)) {
    out->passed = false;
    out->note = no_intended ? "no response time from the intended start: the run had no "
                              "scheduled users (open model, constant_pacing or "
                              "constant_throughput)"
                : t->metric == LC_METRIC_CHECK_RATE ? "no request with checks matched"
                : t->metric == LC_METRIC_RPS && duration_us <= 0 ? "the run has no duration"
                : "no request matched";
    return;
  }
  out->passed = compare(raw, t->op, t->value);
}

void lc_threshold_result_release(struct lc_threshold_result *r) {
  free((char *)r->metric);
  free((char *)r->filter);
  r->metric = r->filter = NULL;
}

struct lc_threshold_result *lc_thresholds_eval(const struct lc_threshold_index *ix,
                                               const struct lc_threshold *t, size_t n,
                                               const struct lc_stats *totals, int64_t duration_us,
                                               bool *all_passed) {
  *all_passed = true;
  if (n == 0) return NULL;
  struct lc_threshold_result *r = lc_xcalloc(n, sizeof *r);
  for (size_t i = 0; i < n; i++) {
    lc_threshold_eval(ix, &t[i], totals, duration_us, &r[i]);
    if (!r[i].passed) *all_passed = false;
  }
  return r;
}

void lc_threshold_results_free(struct lc_threshold_result *r, size_t n) {
  for (size_t i = 0; r && i < n; i++) lc_threshold_result_release(&r[i]);
  free(r);
}

const char *lc_threshold_format(char *buf, size_t n, double value, const char *unit) {
  if (isnan(value))
    snprintf(buf, n, "n/a");
  else if (unit && *unit)
    snprintf(buf, n, "%.6g %s", value, unit);
  else
    snprintf(buf, n, "%.6g", value);
  return buf;
}
