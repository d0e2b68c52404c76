/* diag.h: diagnostics for scenario files. A collector gathers every error, warning and note
 * with its position (not only the first), keeps the source text to show the offending line
 * with a caret, and prints them as text (gcc/jq style), one JSON document, or GitHub Actions
 * workflow commands. Used by the loader (node.h), unit parsers (units.h) and the compiler. */
#ifndef LC_CONFIG_DIAG_H
#define LC_CONFIG_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/base/base.h"

/* A position in a file. line and column are 1-based; 0 means unknown (a column is counted in
 * characters of the line, a tab counting as one). `file` is borrowed: the collector copies it. */
struct lc_mark {
  const char *file;
  uint32_t line;
  uint32_t column;
};

enum lc_severity { LC_SEV_ERROR, LC_SEV_WARNING, LC_SEV_NOTE };

enum lc_diag_format { LC_DIAG_TEXT, LC_DIAG_JSON, LC_DIAG_GITHUB };

/* One diagnostic as stored; every pointer is owned by the collector. A note belongs to the
 * error or warning before it (it is dropped, sorted and printed with it). */
struct lc_diag {
  const char *file;       /* NULL if unknown */
  uint32_t line, column;  /* 0 if unknown */
  enum lc_severity severity;
  const char *message;    /* lowercase, subject quoted, without the hint */
  const char *hint;       /* a "did you mean" suggestion (the word only), or NULL */
};

/* Errors kept before the "too many errors" line when lc_diags_new is given 0. */
#define LC_DIAGS_MAX_ERRORS 100

struct lc_diags;

/* A new empty collector that keeps at most `max_errors` errors (0 = LC_DIAGS_MAX_ERRORS) and as
 * many warnings; past the error cap it adds one "too many errors" error and keeps nothing more
 * (lc_diags_full turns true so a caller may stop early). Free with lc_diags_free. */
struct lc_diags *lc_diags_new(size_t max_errors);
void lc_diags_free(struct lc_diags *d);

/* Keeps a copy of the text of `file` so that text output can show the line of a diagnostic.
 * The loader calls it for every file it reads; a second call for the same file replaces it. */
void lc_diags_set_source(struct lc_diags *d, const char *file, const char *text, size_t len);

/* Records a diagnostic at `at` (NULL or a zero line = no position). `hint` is the suggested
 * word for "(did you mean 'hint'?)" or NULL; it and the formatted message are copied. An exact
 * repeat of a diagnostic already kept (same place, severity, message and hint) is dropped, as
 * is a note whose error or warning was dropped. `d` may be NULL: then nothing happens, which
 * lets a caller test a value without reporting. */
void lc_diags_add(struct lc_diags *d, enum lc_severity sev, const struct lc_mark *at,
                  const char *hint, const char *fmt, ...) LC_PRINTF(5, 6);
void lc_diags_vadd(struct lc_diags *d, enum lc_severity sev, const struct lc_mark *at,
                   const char *hint, const char *fmt, va_list ap) LC_PRINTF(5, 0);
/* Shorthands for lc_diags_add without a hint. */
void lc_diag_error(struct lc_diags *d, const struct lc_mark *at, const char *fmt, ...)
    LC_PRINTF(3, 4);
void lc_diag_warning(struct lc_diags *d, const struct lc_mark *at, const char *fmt, ...)
    LC_PRINTF(3, 4);
void lc_diag_note(struct lc_diags *d, const struct lc_mark *at, const char *fmt, ...)
    LC_PRINTF(3, 4);

/* Diagnostics kept, in order (including the "too many errors" line), and the i-th of them
 * (owned by the collector, valid until the next add, sort or free). */
size_t lc_diags_count(const struct lc_diags *d);
const struct lc_diag *lc_diags_get(const struct lc_diags *d, size_t i);
/* Errors and warnings reported, counting those dropped past the caps (not exact repeats). */
size_t lc_diags_errors(const struct lc_diags *d);
size_t lc_diags_warnings(const struct lc_diags *d);
/* True once the error cap was passed. */
bool lc_diags_full(const struct lc_diags *d);

/* Orders the diagnostics by file (in the order files were first seen), line and column,
 * keeping each note after its error and the "too many errors" line last. Stable. */
void lc_diags_sort(struct lc_diags *d);

/* Prints every diagnostic to `out`:
 *   text:   file:line:col: error: message (did you mean 'x'?)   then the source line and a
 *           caret under the column when the source is known;
 *   json:   one JSON array of {file, line, column, severity, message[, suggestion]}, with the
 *           hint inside message too; file is null and line/column 0 when unknown;
 *   github: ::error file=F,line=L,col=C::message (warning, and notice for notes), escaped as
 *           GitHub's workflow commands require.
 * Returns 0, or LC_EIO when writing failed. */
int lc_diags_print(const struct lc_diags *d, FILE *out, enum lc_diag_format format);

/* Parses "text", "json" or "github". Returns 0, or LC_EINVAL for another name. */
int lc_diag_format_parse(const char *name, enum lc_diag_format *out);

#endif
