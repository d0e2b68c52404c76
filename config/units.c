/* units.c: parsing durations, sizes, rates and percentages with exact messages (see units.h).
 * Durations are computed in integers so 1.1s is exactly 1100000 us; the others use doubles
 * only for a fraction. The unit tables are the single place that lists the accepted units. */
#include "config/units.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- shared ------------------------------------------------------------------------------ */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }


static int fail(struct lc_unit_error *err, size_t offset, const char *fmt, ...) LC_PRINTF(3, 4);
static int fail(struct lc_unit_error *err, size_t offset, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->offset = offset;
  }
  return LC_EINVAL;
}

/* A decimal number: digits, an optional fraction (up to 9 digits kept). */
struct num {
  uint64_t ip;
  uint64_t frac;
  unsigned fdigits;
  bool overflow;
};

static const uint64_t pow10u[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                  100000000, 1000000000};

/* Reads a number at s[*i]; returns 1 when one was read, 0 when there is none, -1 when a '.'
 * has no digits after it (*i is then at the '.'). */
static int read_num(const char *s, size_t n, size_t *i, struct num *v) {
  size_t p = *i, start = p;
  memset(v, 0, sizeof *v);
  while (p < n && is_digit(s[p])) {
    unsigned d = (unsigned)(s[p] - '0');
    if (v->ip > (UINT64_MAX - d) / 10) v->overflow = true;
    else v->ip = v->ip * 10 + d;
    p++;
  }
  if (p < n && s[p] == '.') {
    size_t dot = p++;
    while (p < n && is_digit(s[p])) {
      if (v->fdigits < 9) {
        v->frac = v->frac * 10 + (uint64_t)(s[p] - '0');
        v->fdigits++;
      }
      p++;
    }
    if (p == dot + 1) {
      *i = dot;
      return -1;
    }
  }
  if (p == start) return 0;
  *i = p;
  return 1;
}

static double num_value(const struct num *v) {
  return (double)v->ip + (double)v->frac / (double)pow10u[v->fdigits];
}

/* ---- durations --------------------------------------------------------------------------- */

static const struct {
  const char *name;
  int64_t us;
} dur_units[] = {{"h", 3600000000}, {"m", 60000000}, {"s", 1000000}, {"ms", 1000}, {"us", 1}};
#define DUR_UNITS "h, m, s, ms or us"

int lc_parse_duration(const char *s, size_t n, int64_t *out_us, struct lc_unit_error *err) {
  char q[64];
  lc_quote(q, sizeof q, s, n);
  if (n == 0)
    return fail(err, 0, "expected a duration (like 250ms, 1.5s or 1h30m), got an empty value");
  if (s[0] == '-') return fail(err, 0, "invalid duration %s: durations cannot be negative", q);
  int64_t total = 0;
  size_t i = 0, last = SIZE_MAX;
  while (i < n) {
    size_t num_at = i;
    struct num v;
    int r = read_num(s, n, &i, &v);
    if (r < 0) return fail(err, i, "invalid duration %s: expected digits after '.'", q);
    if (r == 0)
      return fail(err, i, "invalid duration %s: expected a number, then a unit (" DUR_UNITS ")",
                  q);
    size_t unit_at = i;
    while (i < n && is_alpha(s[i])) i++;
    size_t u;
    if (unit_at == i) {
      if (i < n) {
        char c[8];
        lc_quote(c, sizeof c, s + i, 1);
        return fail(err, i, "invalid duration %s: unexpected %s", q, c);
      }
      if (num_at != 0)
        return fail(err, num_at, "invalid duration %s: the last number has no unit (use " DUR_UNITS
                    ")", q);
      u = 2; /* a plain number is seconds */
    } else {
      for (u = 0; u < LC_ARRAY_LEN(dur_units); u++)
        if (strlen(dur_units[u].name) == i - unit_at &&
            memcmp(dur_units[u].name, s + unit_at, i - unit_at) == 0)
          break;
      if (u == LC_ARRAY_LEN(dur_units)) {
        char c[64];
        lc_quote(c, sizeof c, s + unit_at, i - unit_at);
        return fail(err, unit_at, "invalid duration %s: unknown unit %s (use " DUR_UNITS ")", q,
                    c);
      }
      if (last != SIZE_MAX && u == last)
        return fail(err, unit_at, "invalid duration %s: unit '%s' appears twice", q,
                    dur_units[u].name);
      if (last != SIZE_MAX && u < last)
        return fail(err, unit_at,
                    "invalid duration %s: units must go from the largest to the smallest, "
                    "as in 1h30m", q);
    }
    last = u;
    int64_t mult = dur_units[u].us;
    if (v.overflow || v.ip > (uint64_t)(INT64_MAX / mult))
      return fail(err, num_at, "invalid duration %s: too large", q);
    int64_t part = (int64_t)v.ip * mult +
                   (int64_t)(v.frac * (uint64_t)mult / pow10u[v.fdigits]); /* < 3.6e18 */
    if (part > INT64_MAX - total) return fail(err, num_at, "invalid duration %s: too large", q);
    total += part;
  }
  *out_us = total;
  return 0;
}

/* ---- sizes ------------------------------------------------------------------------------- */

/* KB means 1024 bytes, as KiB does. The people who write `size: {max: 64KB}` or a body limit
 * think of memory and buffers, where 1 KB has always been 1024 (JEDEC, nginx's "64k", curl's
 * and most load tools' sizes); a decimal KB would make 64KB and 64KiB differ by 2.4 % for no
 * one's benefit. The reference documents it, and KiB/MiB are accepted for those who prefer
 * to be explicit. */
static const struct {
  const char *name;
  uint64_t bytes;
} size_units[] = {{"b", 1},
                  {"kb", 1ull << 10}, {"kib", 1ull << 10},
                  {"mb", 1ull << 20}, {"mib", 1ull << 20},
                  {"gb", 1ull << 30}, {"gib", 1ull << 30},
                  {"tb", 1ull << 40}, {"tib", 1ull << 40}};
#define SIZE_UNITS "B, KB, MB, GB or TB, where 1 KB = 1 KiB = 1024 bytes"

static bool ieq(const char *a, size_t n, const char *lower) {
  if (strlen(lower) != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] - 'A' + 'a') : a[i];
    if (c != lower[i]) return false;
  }
  return true;
}

int lc_parse_size(const char *s, size_t n, uint64_t *out_bytes, struct lc_unit_error *err) {
  char q[64];
  lc_quote(q, sizeof q, s, n);
  if (n == 0) return fail(err, 0, "expected a size (like 512, 64KB or 1MB), got an empty value");
  if (s[0] == '-') return fail(err, 0, "invalid size %s: sizes cannot be negative", q);
  size_t i = 0;
  struct num v;
  int r = read_num(s, n, &i, &v);
  if (r < 0) return fail(err, i, "invalid size %s: expected digits after '.'", q);
  if (r == 0) return fail(err, 0, "invalid size %s: expected a number of bytes, then a unit (" SIZE_UNITS ")", q);
  uint64_t mult = 0;
  if (i == n) {
    mult = 1;
  } else {
    for (size_t u = 0; u < LC_ARRAY_LEN(size_units) && !mult; u++)
      if (ieq(s + i, n - i, size_units[u].name)) mult = size_units[u].bytes;
    if (!mult) {
      char c[64];
      lc_quote(c, sizeof c, s + i, n - i);
      return fail(err, i, "invalid size %s: unknown unit %s (use " SIZE_UNITS ")", q, c);
    }
  }
  if (v.overflow || v.ip > UINT64_MAX / mult) return fail(err, 0, "invalid size %s: too large", q);
  uint64_t frac = (uint64_t)floor((double)v.frac / (double)pow10u[v.fdigits] * (double)mult);
  if (frac > UINT64_MAX - v.ip * mult) return fail(err, 0, "invalid size %s: too large", q);
  *out_bytes = v.ip * mult + frac;
  return 0;
}

/* ---- rates and percentages --------------------------------------------------------------- */

int lc_parse_rate(const char *s, size_t n, double *out_per_s, struct lc_unit_error *err) {
  char q[64];
  lc_quote(q, sizeof q, s, n);
  if (n == 0) return fail(err, 0, "expected a rate (like 10/s or 600/m), got an empty value");
  if (s[0] == '-') return fail(err, 0, "invalid rate %s: rates cannot be negative", q);
  size_t i = 0;
  struct num v;
  int r = read_num(s, n, &i, &v);
  if (r < 0) return fail(err, i, "invalid rate %s: expected digits after '.'", q);
  if (r == 0) return fail(err, 0, "invalid rate %s: expected a number, then /s, /m or /h", q);
  if (v.overflow) return fail(err, 0, "invalid rate %s: too large", q);
  double per = 1;
  if (i < n) {
    if (n - i == 2 && s[i] == '/' && s[i + 1] == 's') per = 1;
    else if (n - i == 2 && s[i] == '/' && s[i + 1] == 'm') per = 60;
    else if (n - i == 2 && s[i] == '/' && s[i + 1] == 'h') per = 3600;
    else {
      char c[64];
      lc_quote(c, sizeof c, s + i, n - i);
      return fail(err, i, "invalid rate %s: unknown unit %s (use /s, /m or /h)", q, c);
    }
  }
  *out_per_s = num_value(&v) / per;
  return 0;
}

int lc_parse_percent(const char *s, size_t n, double *out_ratio, struct lc_unit_error *err) {
  char q[64];
  lc_quote(q, sizeof q, s, n);
  if (n == 0) return fail(err, 0, "expected a percentage (like 1%% or 0.5%%), got an empty value");
  if (s[0] == '-') return fail(err, 0, "invalid percentage %s: percentages cannot be negative", q);
  size_t i = 0;
  struct num v;
  int r = read_num(s, n, &i, &v);
  if (r < 0) return fail(err, i, "invalid percentage %s: expected digits after '.'", q);
  if (r == 0) return fail(err, 0, "invalid percentage %s: expected a number, then '%%'", q);
  if (i == n) return fail(err, i, "invalid percentage %s: a '%%' is missing (like 1%% or 0.5%%)", q);
  if (n - i != 1 || s[i] != '%') {
    char c[64];
    lc_quote(c, sizeof c, s + i, n - i);
    return fail(err, i, "invalid percentage %s: unexpected %s after the number", q, c);
  }
  double p = num_value(&v);
  if (v.overflow || p > 100) return fail(err, 0, "invalid percentage %s: more than 100%%", q);
  *out_ratio = p / 100;
  return 0;
}

/* ---- on nodes ---------------------------------------------------------------------------- */

typedef int (*parse_fn)(const char *s, size_t n, void *out, struct lc_unit_error *err);

static int parse_dur_v(const char *s, size_t n, void *out, struct lc_unit_error *e) {
  return lc_parse_duration(s, n, out, e);
}
static int parse_size_v(const char *s, size_t n, void *out, struct lc_unit_error *e) {
  return lc_parse_size(s, n, out, e);
}
static int parse_rate_v(const char *s, size_t n, void *out, struct lc_unit_error *e) {
  return lc_parse_rate(s, n, out, e);
}
static int parse_pct_v(const char *s, size_t n, void *out, struct lc_unit_error *e) {
  return lc_parse_percent(s, n, out, e);
}

static int read_node(const struct lc_node *n, struct lc_diags *d, const char *what, parse_fn fn,
                     void *out) {
  if (!n) return LC_EINVAL;
  char desc[96];
  if (lc_node_kind(n) != LC_NODE_SCALAR || (lc_node_is_null(n) && lc_node_len(n) > 0)) {
    lc_diag_error(d, lc_node_mark(n), "expected %s, got %s", what,
                  lc_node_describe(n, desc, sizeof desc));
    return LC_EINVAL;
  }
  struct lc_unit_error err;
  if (fn(lc_node_str(n), lc_node_len(n), out, &err) == 0) return 0;
  struct lc_mark at;
  lc_node_mark_at(n, err.offset, &at);
  lc_diag_error(d, &at, "%s", err.message);
  return LC_EINVAL;
}

int lc_node_read_duration(const struct lc_node *n, struct lc_diags *d, int64_t *out_us) {
  return read_node(n, d, "a duration", parse_dur_v, out_us);
}
int lc_node_read_size(const struct lc_node *n, struct lc_diags *d, uint64_t *out_bytes) {
  return read_node(n, d, "a size", parse_size_v, out_bytes);
}
int lc_node_read_rate(const struct lc_node *n, struct lc_diags *d, double *out_per_s) {
  return read_node(n, d, "a rate", parse_rate_v, out_per_s);
}
int lc_node_read_percent(const struct lc_node *n, struct lc_diags *d, double *out_ratio) {
  return read_node(n, d, "a percentage", parse_pct_v, out_ratio);
}
