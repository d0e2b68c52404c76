/* compile_threshold.c: parses thresholds (`p95 < 500ms`, `p99{name="/items/[id]"} < 800ms`,
 * `{expr: "rps > 50", abort_on_fail: true, delay: 30s}`) into struct lc_threshold, reporting
 * every problem at its own column inside the string.
 *
 * Latency measured from the intended start (issue 7) is the same metric name with the suffix
 * `_intended`: p99_intended, avg_intended, median_intended. A suffix keeps the familiar name
 * first, so the two read side by side in reports (p99 / p99_intended), sorts together, and
 * needs no new syntax such as a filter (`p99{from=intended}` would mix what is measured with
 * which requests count). "intended" is wrk2's and the docs' word for the schedule a request was
 * meant to follow; only latency metrics take it. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/compile_int.h"

/* What a metric's value must be. */
enum vkind {
  V_UNKNOWN,  /* the metric was not understood: the value is not checked */
  V_DURATION, /* latency: a duration with a unit, in us */
  V_PERCENT,  /* a percentage, as a ratio */
  V_RATE,     /* requests per second: a number, or a rate such as 3000/m */
  V_COUNT,    /* a non-negative number */
};

static const struct {
  const char *name;
  enum lc_metric metric;
  enum vkind kind;
} metrics[] = {
    {"avg", LC_METRIC_AVG, V_DURATION},
    {"min", LC_METRIC_MIN, V_DURATION},
    {"max", LC_METRIC_MAX, V_DURATION},
    {"median", LC_METRIC_MEDIAN, V_DURATION},
    {"rps", LC_METRIC_RPS, V_RATE},
    {"requests", LC_METRIC_REQUESTS, V_COUNT},
    {"failures", LC_METRIC_FAILURES, V_COUNT},
    {"error_rate", LC_METRIC_ERROR_RATE, V_PERCENT},
    {"check_rate", LC_METRIC_CHECK_RATE, V_PERCENT},
};

/* Words people bring from other tools (k6, Gatling, plain English), for suggestions only. */
static const struct {
  const char *alias;
  const char *metric;
} aliases[] = {
    {"average", "avg"},           {"mean", "avg"},
    {"minimum", "min"},           {"maximum", "max"},
    {"med", "median"},            {"throughput", "rps"},
    {"rate", "rps"},              {"requests_per_second", "rps"},
    {"reqs", "requests"},         {"http_reqs", "requests"},
    {"count", "requests"},        {"fails", "failures"},
    {"failed", "failures"},       {"errors", "failures"},
    {"failure_rate", "error_rate"}, {"fail_rate", "error_rate"},
    {"http_req_failed", "error_rate"}, {"checks", "check_rate"},
};

/* Every name above, for lc_suggest. */
static const char *const metric_words[] = {
    "avg", "min", "max", "median", "rps", "requests", "failures", "error_rate", "check_rate",
    "average", "mean", "minimum", "maximum", "med", "throughput", "rate",
    "requests_per_second", "reqs", "http_reqs", "count", "fails", "failed", "errors",
    "failure_rate", "fail_rate", "http_req_failed", "checks", NULL,
};

static const char *const filter_keys[] = {"name", "method", "tag", NULL};

#define INTENDED "_intended"
#define INTENDED_LEN (sizeof INTENDED - 1)
#define OPERATORS "(<, <=, >, >=, ==, !=)"

struct parser {
  struct cc *c;
  const struct lc_node *n; /* the scalar being parsed: offsets are into its text */
  const char *s;
  size_t len;
  size_t i;
  bool ok;
  enum vkind kind;
  struct lc_threshold t;
};

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }
static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static bool is_alnum(char ch) {
  return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}
static bool is_metric_char(char ch) { return is_alnum(ch) || ch == '_' || ch == '.' || ch == '-'; }
static bool is_key_char(char ch) { return is_alnum(ch) || ch == '_' || ch == '-'; }
static bool is_value_char(char ch) {
  return is_alnum(ch) || ch == '.' || ch == '%' || ch == '/' || ch == '-' || ch == '+';
}


/* Reports an error at byte `off` of the scalar, with an optional "did you mean" hint. */
static void report(struct parser *p, size_t off, const char *hint, const char *fmt, ...)
    LC_PRINTF(4, 5);
static void report(struct parser *p, size_t off, const char *hint, const char *fmt, ...) {
  struct lc_mark at;
  lc_node_mark_at(p->n, off, &at);
  va_list ap;
  va_start(ap, fmt);
  lc_diags_vadd(p->c->d, LC_SEV_ERROR, &at, hint, fmt, ap);
  va_end(ap);
  p->ok = false;
}

static void skip_space(struct parser *p) {
  while (p->i < p->len && is_space(p->s[p->i])) p->i++;
}

/* Length of the token at `at`: up to the next blank, at least one byte when not at the end. */
static size_t token_len(const struct parser *p, size_t at) {
  size_t e = at;
  while (e < p->len && (e == at || !is_space(p->s[e]))) e++;
  return e - at;
}

static bool word_is(const char *w, size_t n, const char *s) {
  return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* digits [. digits] or . digits, nothing else. */
static bool is_plain_number(const char *s, size_t n) {
  size_t i = 0, digits = 0;
  while (i < n && is_digit(s[i])) i++, digits++;
  if (i < n && s[i] == '.') {
    size_t f = ++i;
    while (i < n && is_digit(s[i])) i++;
    if (i == f) return false;
    digits += i - f;
  }
  return i == n && digits > 0;
}

/* strtod over s[0..n) followed by `suffix` (a plain number, so the C locale's '.' applies). */
static double to_double(const char *s, size_t n, const char *suffix) {
  size_t sl = strlen(suffix);
  char *buf = lc_xmalloc(n + sl + 1);
  memcpy(buf, s, n);
  memcpy(buf + n, suffix, sl + 1);
  double v = strtod(buf, NULL);
  free(buf);
  return v;
}

/* ---- metric ---- */

/* The metric named w[0..n) without suffix: its index in metrics[], -2 for a percentile
 * (pNN or pNN.N, range not checked), -1 for none. */
static int lookup_metric(const char *w, size_t n) {
  for (size_t k = 0; k < LC_ARRAY_LEN(metrics); k++)
    if (word_is(w, n, metrics[k].name)) return (int)k;
  if (n > 1 && w[0] == 'p' && is_plain_number(w + 1, n - 1) && is_digit(w[1])) return -2;
  return -1;
}

static bool is_latency(int m) { return m == -2 || (m >= 0 && metrics[m].kind == V_DURATION); }

/* The likely intended metric for an unknown word w[0..n) (without its suffix) into buf, or
 * NULL: the word in lower case if that is one, else the closest name or alias. */
static const char *suggest_metric(const char *w, size_t n, char *buf, size_t size) {
  if (n + 1 > size) return NULL;
  for (size_t k = 0; k < n; k++)
    buf[k] = (char)(w[k] >= 'A' && w[k] <= 'Z' ? w[k] - 'A' + 'a' : w[k]);
  buf[n] = '\0';
  if (lookup_metric(buf, n) != -1) return buf;
  const char *near = lc_suggest(buf, metric_words);
  if (!near) return NULL;
  for (size_t k = 0; k < LC_ARRAY_LEN(aliases); k++)
    if (strcmp(near, aliases[k].alias) == 0) return aliases[k].metric;
  return near;
}

static void unknown_metric(struct parser *p, size_t m0, size_t m1, bool intended) {
  const char *w = p->s + m0;
  size_t n = m1 - m0, base = intended ? n - INTENDED_LEN : n;
  char q[128], low[64], hint[96];
  const char *near = suggest_metric(w, base, low, sizeof low);
  if (near && intended) {
    snprintf(hint, sizeof hint, "%s" INTENDED, near);
    near = hint;
  }
  /* A misspelt suffix: p99_intnded. */
  for (size_t k = 1; !near && k < n; k++) {
    if (w[k] != '_' || !is_latency(lookup_metric(w, k))) continue;
    char suffix[32];
    if (n - k - 1 == 0 || n - k - 1 >= sizeof suffix) continue;
    memcpy(suffix, w + k + 1, n - k - 1);
    suffix[n - k - 1] = '\0';
    static const char *const intended_word[] = {"intended", NULL};
    if (lc_suggest(suffix, intended_word) && k + INTENDED_LEN < sizeof hint) {
      memcpy(hint, w, k);
      memcpy(hint + k, INTENDED, INTENDED_LEN + 1);
      near = hint;
    }
  }
  report(p, m0, near, "unknown metric %s", lc_quote(q, sizeof q, w, n));
}

/* Reads the metric word at p->i and sets the metric, percentile, intended and p->kind. */
static bool parse_metric(struct parser *p) {
  char q[128];
  size_t m0 = p->i;
  while (p->i < p->len && is_metric_char(p->s[p->i])) p->i++;
  size_t m1 = p->i, n = m1 - m0;
  const char *w = p->s + m0;
  if (n == 0) {
    report(p, m0, NULL, "expected a metric, like p95 or error_rate, got %s",
           lc_quote(q, sizeof q, w, token_len(p, m0)));
    return false;
  }
  bool intended = n > INTENDED_LEN && memcmp(w + n - INTENDED_LEN, INTENDED, INTENDED_LEN) == 0;
  size_t base = intended ? n - INTENDED_LEN : n;
  int m = lookup_metric(w, base);
  if (m == -1) {
    unknown_metric(p, m0, m1, intended);
    return true;
  }
  if (intended && !is_latency(m)) {
    report(p, m0, NULL,
           "unknown metric %s: only latency metrics (pNN, avg, min, max, median) have an '"
           INTENDED "' form",
           lc_quote(q, sizeof q, w, n));
    return true;
  }
  p->t.intended = intended;
  if (m == -2) {
    double ratio = to_double(w + 1, base - 1, "e-2");
    if (!(ratio > 0 && ratio <= 1)) {
      report(p, m0, NULL, "percentile must be above 0 and at most 100, got %s",
             lc_quote(q, sizeof q, w, n));
      return true;
    }
    p->t.metric = LC_METRIC_PERCENTILE;
    p->t.percentile = ratio;
    p->kind = V_DURATION;
    return true;
  }
  p->t.metric = metrics[m].metric;
  if (p->t.metric == LC_METRIC_MEDIAN) p->t.percentile = 0.5;
  p->kind = metrics[m].kind;
  return true;
}

/* ---- filters ---- */

/* Reads one filter value at p->i into *v0, *vn; false after a syntax error (reported). */
static bool parse_filter_value(struct parser *p, const char *key, size_t *v0, size_t *vn) {
  char q[128];
  if (p->i < p->len && (p->s[p->i] == '"' || p->s[p->i] == '\'')) {
    size_t open = p->i;
    const char *close = memchr(p->s + open + 1, p->s[open], p->len - open - 1);
    if (!close) {
      report(p, open, NULL, "unterminated string: %c%c%c without a closing %c%c%c",
             '\'', p->s[open], '\'', '\'', p->s[open], '\'');
      return false;
    }
    *v0 = open + 1;
    *vn = (size_t)(close - p->s) - *v0;
    p->i = (size_t)(close - p->s) + 1;
    if (*vn == 0) report(p, open, NULL, "empty value for filter '%s'", key);
    return true;
  }
  *v0 = p->i;
  while (p->i < p->len && !is_space(p->s[p->i]) && p->s[p->i] != ',' && p->s[p->i] != '{' &&
         p->s[p->i] != '}')
    p->i++;
  *vn = p->i - *v0;
  if (*vn > 0) return true;
  if (p->i < p->len && (p->s[p->i] == ',' || p->s[p->i] == '}')) {
    report(p, p->i, NULL, "missing value for filter '%s'", key);
    return true;
  }
  if (p->i == p->len)
    report(p, p->i, NULL, "missing value for filter '%s'", key);
  else
    report(p, p->i, NULL, "expected a value for filter '%s', got %s", key,
           lc_quote(q, sizeof q, p->s + p->i, 1));
  return false;
}

static void set_filter(struct parser *p, int key, size_t v0, size_t vn) {
  char *v = (char *)cc_strndup(p->c, p->s + v0, vn);
  if (key == 0) {
    p->t.filter_name = v;
  } else if (key == 1) {
    for (char *k = v; *k; k++)
      if (*k >= 'a' && *k <= 'z') *k = (char)(*k - 'a' + 'A');
    p->t.filter_method = v;
  } else {
    p->t.filter_tag = v;
  }
}

/* Reads `{key=value, ...}` at p->i (on the '{'). False after a syntax error (reported). */
static bool parse_filters(struct parser *p) {
  char q[128];
  size_t open = p->i++, count = 0;
  bool seen[3] = {false, false, false};
  for (;;) {
    skip_space(p);
    if (p->i == p->len) break;
    if (p->s[p->i] == '}') {
      if (count == 0)
        report(p, open, NULL, "empty filter: expected name=, method= or tag= "
               "inside '{}'");
      p->i++;
      return true;
    }
    size_t k0 = p->i;
    while (p->i < p->len && is_key_char(p->s[p->i])) p->i++;
    size_t kn = p->i - k0;
    if (kn == 0) {
      report(p, k0, NULL, "expected a filter (name, method or tag), got %s",
             lc_quote(q, sizeof q, p->s + k0, 1));
      return false;
    }
    char key[32];
    lc_quote(key, sizeof key, p->s + k0, kn);
    int which = -1;
    for (int k = 0; filter_keys[k]; k++)
      if (word_is(p->s + k0, kn, filter_keys[k])) which = k;
    if (which < 0) {
      char *word = lc_xstrndup(p->s + k0, kn);
      report(p, k0, lc_suggest(word, filter_keys), "unknown filter %s", key);
      free(word);
    } else if (seen[which]) {
      report(p, k0, NULL, "duplicate filter %s", key);
    }
    /* The key without its quotes, for the messages about its value. */
    char bare[32];
    size_t bl = strlen(key) - 2;
    memcpy(bare, key + 1, bl);
    bare[bl] = '\0';
    skip_space(p);
    if (p->i == p->len) break;
    if (p->s[p->i] != '=') {
      report(p, p->i, NULL, "expected '=' after filter %s, got %s", key,
             lc_quote(q, sizeof q, p->s + p->i, 1));
      return false;
    }
    p->i++;
    skip_space(p);
    size_t v0, vn;
    if (!parse_filter_value(p, bare, &v0, &vn)) return false;
    if (which >= 0 && !seen[which] && vn > 0) set_filter(p, which, v0, vn);
    if (which >= 0) seen[which] = true;
    count++;
    skip_space(p);
    if (p->i == p->len) break;
    if (p->s[p->i] == ',') {
      p->i++;
      continue;
    }
    if (p->s[p->i] == '}') {
      p->i++;
      return true;
    }
    report(p, p->i, NULL, "expected ',' or '}' after the value of filter %s, "
           "got %s", key, lc_quote(q, sizeof q, p->s + p->i, 1));
    return false;
  }
  report(p, open, NULL, "unterminated filter: '{' without '}'");
  return false;
}

/* ---- operator and value ---- */

static bool parse_operator(struct parser *p, size_t m0, size_t m1) {
  static const struct {
    const char *text;
    enum lc_cmp_op op;
  } ops[] = {{"<=", LC_CMP_LE}, {">=", LC_CMP_GE}, {"==", LC_CMP_EQ},
             {"!=", LC_CMP_NE}, {"<", LC_CMP_LT},  {">", LC_CMP_GT}};
  /* What people write for the operators above. */
  static const char *const near[][2] = {{"<>", "!="}, {"=<", "<="}, {"=>", ">="}, {"=", "=="}};
  const char *s = p->s + p->i;
  size_t left = p->len - p->i;
  for (size_t k = 0; k < LC_ARRAY_LEN(near); k++) {
    size_t n = strlen(near[k][0]);
    if (left >= n && memcmp(s, near[k][0], n) == 0 && (n == 2 || left == 1 || s[1] != '=')) {
      char q[128];
      report(p, p->i, near[k][1], "expected an operator " OPERATORS " after %s",
             lc_quote(q, sizeof q, p->s + m0, m1 - m0));
      return false;
    }
  }
  for (size_t k = 0; k < LC_ARRAY_LEN(ops); k++) {
    size_t n = strlen(ops[k].text);
    if (left >= n && memcmp(s, ops[k].text, n) == 0) {
      p->t.op = ops[k].op;
      p->i += n;
      return true;
    }
  }
  char q[128];
  report(p, p->i, NULL, "expected an operator " OPERATORS " after %s",
         lc_quote(q, sizeof q, p->s + m0, m1 - m0));
  return false;
}

/* Checks the value s[v0..v0+n) for the metric's kind and stores it. */
static void parse_value(struct parser *p, size_t v0, size_t n) {
  const char *v = p->s + v0;
  char q[128];
  struct lc_unit_error err;
  lc_quote(q, sizeof q, v, n);
  switch (p->kind) {
  case V_UNKNOWN:
    return;
  case V_DURATION: {
    if (is_plain_number(v, n)) {
      /* Bare numbers are seconds elsewhere in the language and milliseconds in other tools:
       * here the unit must be written. */
      if (n > 24)
        report(p, v0, NULL, "%s needs a unit, like ms or s", q);
      else
        report(p, v0, NULL, "%s needs a unit, like %.*sms or %.15gs", q, (int)n,
               v, to_double(v, n, "e-3"));
      return;
    }
    int64_t us;
    if (lc_parse_duration(v, n, &us, &err) != 0) {
      report(p, v0 + err.offset, NULL, "%s", err.message);
      return;
    }
    p->t.value = (double)us;
    p->t.unit = LC_UNIT_US;
    return;
  }
  case V_PERCENT: {
    if (is_plain_number(v, n)) {
      double x = to_double(v, n, "");
      if (n > 24)
        report(p, v0, NULL, "%s needs a '%%', like 1%%", q);
      else if (x > 0 && x < 1)
        report(p, v0, NULL, "%s needs a '%%': %.15g%% for a ratio of %.*s, or %.*s%%",
               q, to_double(v, n, "e2"), (int)n, v, (int)n, v);
      else
        report(p, v0, NULL, "%s needs a '%%', like %.*s%%", q, (int)n, v);
      return;
    }
    double ratio;
    if (lc_parse_percent(v, n, &ratio, &err) != 0) {
      report(p, v0 + err.offset, NULL, "%s", err.message);
      return;
    }
    p->t.value = ratio;
    p->t.unit = LC_UNIT_RATIO;
    return;
  }
  case V_RATE: {
    double rate;
    if (lc_parse_rate(v, n, &rate, &err) != 0) {
      report(p, v0 + err.offset, NULL, "%s", err.message);
      return;
    }
    p->t.value = rate;
    p->t.unit = LC_UNIT_NONE;
    return;
  }
  case V_COUNT: {
    if (!is_plain_number(v, n)) {
      if (n > 0 && v[0] == '-')
        report(p, v0, NULL, "invalid number %s: counts cannot be negative", q);
      else
        report(p, v0, NULL, "expected a number, got %s", q);
      return;
    }
    double x = to_double(v, n, "");
    if (!isfinite(x)) {
      report(p, v0, NULL, "invalid number %s: too large", q);
      return;
    }
    p->t.value = x;
    p->t.unit = LC_UNIT_NONE;
    return;
  }
  }
}

/* Whether number a and unit b written together make a good value of kind k (`500` `ms`). */
static bool joined_is_value(enum vkind k, const char *a, size_t an, const char *b, size_t bn) {
  char buf[64];
  if (an + bn > sizeof buf) return false;
  memcpy(buf, a, an);
  memcpy(buf + an, b, bn);
  int64_t us;
  double x;
  switch (k) {
  case V_DURATION: return lc_parse_duration(buf, an + bn, &us, NULL) == 0;
  case V_PERCENT: return lc_parse_percent(buf, an + bn, &x, NULL) == 0;
  case V_RATE: return lc_parse_rate(buf, an + bn, &x, NULL) == 0;
  case V_UNKNOWN:
  case V_COUNT: break;
  }
  return false;
}

static bool parse_rest(struct parser *p, size_t m0, size_t m1) {
  char q[128], opq[16];
  size_t op_at = p->i;
  if (!parse_operator(p, m0, m1)) return false;
  lc_quote(opq, sizeof opq, p->s + op_at, p->i - op_at);
  skip_space(p);
  size_t v0 = p->i;
  while (p->i < p->len && is_value_char(p->s[p->i])) p->i++;
  size_t vn = p->i - v0;
  if (vn == 0) {
    if (p->i == p->len)
      report(p, p->i, NULL, "missing value after %s", opq);
    else
      report(p, p->i, NULL, "expected a value after %s, got %s", opq,
             lc_quote(q, sizeof q, p->s + p->i, token_len(p, p->i)));
    return false;
  }
  size_t vend = p->i;
  skip_space(p);
  if (p->i < p->len) {
    size_t rn = token_len(p, p->i);
    char rq[128];
    lc_quote(rq, sizeof rq, p->s + p->i, rn);
    /* `500 ms`: the unit came apart from its number. */
    if (p->i > vend && is_plain_number(p->s + v0, vn) &&
        joined_is_value(p->kind, p->s + v0, vn, p->s + p->i, rn)) {
      report(p, vend, NULL, "unexpected space between %s and %s",
             lc_quote(q, sizeof q, p->s + v0, vn), rq);
      return false;
    }
    report(p, p->i, NULL, "unexpected %s after the value", rq);
  }
  parse_value(p, v0, vn);
  return p->ok;
}

/* Parses the threshold text of scalar n into p->t. */
static bool parse(struct parser *p) {
  skip_space(p);
  size_t m0 = p->i;
  if (!parse_metric(p)) return false;
  size_t m1 = p->i;
  skip_space(p);
  if (p->i < p->len && p->s[p->i] == '{') {
    if (!parse_filters(p)) return false;
    m1 = p->i;
    skip_space(p);
  }
  return parse_rest(p, m0, m1) && p->ok;
}

/* ---- the node ---- */

static bool parse_expr(struct cc *c, const struct lc_node *n, struct lc_threshold *t) {
  char desc[96];
  const char *s = lc_node_str(n);
  size_t len = lc_node_len(n), b = 0, e = len;
  while (b < e && is_space(s[b])) b++;
  while (e > b && is_space(s[e - 1])) e--;
  if (lc_node_kind(n) != LC_NODE_SCALAR || lc_node_is_null(n) || b == e) {
    lc_diag_error(c->d, lc_node_mark(n), "expected a threshold like 'p95 < 500ms', got %s",
                  lc_node_describe(n, desc, sizeof desc));
    return false;
  }
  struct parser p;
  memset(&p, 0, sizeof p);
  p.c = c;
  p.n = n;
  p.s = s;
  p.len = len;
  p.ok = true;
  if (!parse(&p)) return false;
  p.t.source = cc_strndup(c, s + b, e - b);
  *t = p.t;
  return true;
}

int cc_threshold(struct cc *c, const struct lc_node *n, struct lc_threshold *out) {
  static const char *const keys[] = {"expr", "abort_on_fail", "delay", NULL};
  char desc[96];
  bool ok = true, abort_on_fail = false;
  int64_t delay_us = 0;
  const struct lc_node *expr = n;
  memset(out, 0, sizeof *out);
  if (lc_node_kind(n) == LC_NODE_MAPPING) {
    ok = cc_keys(c, n, keys);
    expr = lc_node_require(n, "expr", c->d);
    const struct lc_node *abort_n = lc_node_get(n, "abort_on_fail", NULL);
    const struct lc_node *delay_key, *delay = lc_node_get(n, "delay", &delay_key);
    bool abort_ok = !abort_n || lc_node_read_bool(abort_n, c->d, &abort_on_fail) == 0;
    if (!abort_ok) ok = false;
    if (delay && lc_node_read_duration(delay, c->d, &delay_us) != 0) ok = false;
    if (delay && abort_ok && !abort_on_fail)
      lc_diag_warning(c->d, lc_node_mark(delay_key),
                      "'delay' has no effect without 'abort_on_fail: true'");
  } else if (lc_node_kind(n) != LC_NODE_SCALAR) {
    lc_diag_error(c->d, lc_node_mark(n),
                  "expected a threshold (a string like 'p95 < 500ms' or a mapping with 'expr'), "
                  "got %s", lc_node_describe(n, desc, sizeof desc));
    return -1;
  }
  /* The string is checked even when the mapping around it had problems: all in one pass. */
  struct lc_threshold t;
  if (!expr || !parse_expr(c, expr, &t) || !ok) return -1;
  t.abort_on_fail = abort_on_fail;
  t.delay_us = delay_us;
  t.mark = *lc_node_mark(n);
  /* The mark's file belongs to the document, which lc_compile_file frees before returning the
   * plan; plan->file holds the same name for as long as the plan lives. */
  if (c->plan && c->plan->file) t.mark.file = c->plan->file;
  *out = t;
  return 0;
}
