/* json.h: the versioned JSON result ("format": "loadc-result", "version": 1), written by
 * `loadc run --json` and read back by `loadc report`. It holds everything the other writers
 * show, the histograms included, so a result can be re-rendered (and, later, merged) without
 * the run; docs/result-format.md describes each field and schemas/result.schema.json checks it.
 *
 * A document written from a loaded result is byte for byte the one that was loaded (when that
 * one was written by this version): the histograms, counts and times are stored exactly, and
 * the figures derived from them (percentiles, averages, rates) are recomputed the same way. */
#ifndef LC_REPORT_JSON_H
#define LC_REPORT_JSON_H

#include <stddef.h>

#include "engine/base/base.h"
#include "report/file.h"
#include "report/result.h"

#define LC_RESULT_FORMAT_NAME "loadc-result"

/* Writes `r` as one JSON document to `path`: into a temporary file in the same directory, then
 * renamed over `path` (readers never see half a file); missing parent directories are created.
 * Returns 0, or LC_EIO with a message in err (e.g. "cannot create 'x/r.json': Permission
 * denied"). Reads `r` only. */
int lc_report_json_write(const char *path, const struct lc_result *r, char *err, size_t errlen);
/* The same document as a string the caller frees (for tests and tools). */
char *lc_report_json_dumps(const struct lc_result *r);


/* A result loaded from a file: `result` points into the rest, all of it owned here. */
struct lc_report_doc {
  struct lc_result result;
  struct lc_stats *totals;     /* result.totals */
  struct lc_history *history;  /* result.history */
  struct lc_arena arena;       /* strings, thresholds, classes, workers */
};

/* Reads a JSON result from `path` (or from text[0..len) with _parse). Returns 0 with *out set
 * (free it with lc_report_doc_free), LC_EIO when the file cannot be read, or LC_EINVAL when it
 * is not a loadc result of a supported version or is inconsistent; err then names what is
 * wrong and where ("entries[2].histogram: the buckets do not match count, min, max or sum").
 * Never crashes on bad input. */
int lc_report_json_load(const char *path, struct lc_report_doc **out, char *err, size_t errlen);
int lc_report_json_parse(const char *text, size_t len, struct lc_report_doc **out, char *err,
                         size_t errlen);
void lc_report_doc_free(struct lc_report_doc *doc); /* NULL is fine */

#endif
