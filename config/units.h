/* units.h: the scenario language's quantities: durations (250ms, 1.5s, 1h30m), sizes (64KB,
 * 1MiB), rates (10/s, 600/m) and percentages (0.5%). String parsers that say exactly what is
 * wrong and where (for values inside larger strings, such as thresholds), and node readers
 * that report at the right column of a scalar. */
#ifndef LC_CONFIG_UNITS_H
#define LC_CONFIG_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"
#include "config/node.h"

/* Why a string was refused: a message ready for a diagnostic (lowercase, the text quoted) and
 * the byte offset in the string where the problem is. */
struct lc_unit_error {
  char message[192];
  size_t offset;
};

/* Parsers over s[0..n) (no surrounding blanks allowed). Each returns 0 and sets *out, or
 * LC_EINVAL and fills *err (when not NULL), leaving *out alone.
 *
 * Durations: one or more <number><unit> from the largest unit to the smallest (1h30m,
 * 1m30s, 1s500ms), units h, m, s, ms, us; a plain number is seconds. Numbers may have a
 * fraction (1.5s); the result is in microseconds, rounded down, at most about 292,000 years.
 * Negative, empty, unitless-after-a-unit (1m30), repeated or out-of-order units are refused.
 *
 * Sizes: a number of bytes, or with B, KB, MB, GB, TB or KiB, MiB, GiB, TiB (any letter
 * case). KB and KiB are both 1024: see units.c for why. A fraction is allowed (1.5MB) and
 * rounded down to a byte.
 *
 * Rates: <number>/s, /m or /h, or a plain number per second; the result is per second.
 *
 * Percentages: <number>% from 0% to 100%; the result is a ratio (1% -> 0.01). */
int lc_parse_duration(const char *s, size_t n, int64_t *out_us, struct lc_unit_error *err);
int lc_parse_size(const char *s, size_t n, uint64_t *out_bytes, struct lc_unit_error *err);
int lc_parse_rate(const char *s, size_t n, double *out_per_s, struct lc_unit_error *err);
int lc_parse_percent(const char *s, size_t n, double *out_ratio, struct lc_unit_error *err);

/* The same over a scalar node: return 0 and set *out, or report at the offending column of n
 * (through lc_node_mark_at) and return LC_EINVAL. A node that is not a scalar is reported as
 * "expected a duration, got a mapping". d may be NULL to test without reporting. */
int lc_node_read_duration(const struct lc_node *n, struct lc_diags *d, int64_t *out_us);
int lc_node_read_size(const struct lc_node *n, struct lc_diags *d, uint64_t *out_bytes);
int lc_node_read_rate(const struct lc_node *n, struct lc_diags *d, double *out_per_s);
int lc_node_read_percent(const struct lc_node *n, struct lc_diags *d, double *out_ratio);

#endif
