/* feeder.h: the run-time side of data feeders (`data:` in the scenario). Each feeder's CSV file
 * is read once per run into one immutable block (every field in one buffer, an index of
 * offsets) that all worker threads share read-only: a user holds row numbers, never copies of
 * rows (k6's complaint #3515). Handing out rows takes no lock: sequential and unique feeders
 * share one atomic cursor per feeder, random ones draw with the user's own generator.
 *
 * CSV dialect (Debian's libcsv, the same reader and options as `loadc check`, config/compile.c):
 * RFC 4180 quoting (quoted commas, "" for a quote, line breaks inside quotes kept as written,
 * CRLF or LF row ends); blank lines are skipped; a UTF-8 byte order mark at the start of the
 * file is dropped; spaces and tabs around an unquoted field are dropped (libcsv's default, which
 * the compiler shares: quote a field to keep them). The first row names the columns unless the
 * feeder has `columns:`. */
#ifndef LC_ENGINE_FEEDER_H
#define LC_ENGINE_FEEDER_H

#include <stddef.h>
#include <stdint.h>

#include "config/plan.h"
#include "engine/base/base.h"
#include "engine/rng.h"

/* Take results besides 0: a unique feeder has handed out every row and its on_exhausted says
 * that the user must stop (STOP_USER), or that the whole run must stop (STOP_TEST). Positive, so
 * that they cannot be mistaken for LC_E* codes. */
enum { LC_FEEDER_EXHAUSTED_STOP_USER = 1, LC_FEEDER_EXHAUSTED_STOP_TEST = 2 };

/* ---- the loaded feeders (one per run) ---- */

struct lc_feeders;

/* Reads every feeder of plan (plan->feeders, in that order: feeder i here is plan->feeders[i]).
 * The compiler has already checked each file; this reads it again and fails when it no longer
 * matches what was checked (another number of rows or columns, other column names), when it
 * cannot be read, or when it holds 4 GiB of fields or more. Returns the feeders (free with
 * lc_feeders_free; a plan without feeders gives an empty set, not NULL), or NULL with one
 * message per failing feeder appended to err ("data 'accounts': ..."). plan must outlive the
 * result: column and feeder names point into it.
 * Thread safety: call it before any worker starts; afterwards the result may be shared by any
 * number of threads (only its cursors change, atomically). */
struct lc_feeders *lc_feeders_load(const struct lc_plan *plan, struct lc_buf *err);
void lc_feeders_free(struct lc_feeders *f);

/* The number of feeders, and the index of the feeder named name (for a `next_row:` step), or
 * SIZE_MAX when there is none. The lookup compares names one by one: feeders are few. */
size_t lc_feeders_count(const struct lc_feeders *f);
size_t lc_feeders_find(const struct lc_feeders *f, const char *name);
/* Rows and columns of feeder i (i < lc_feeders_count). */
size_t lc_feeders_rows(const struct lc_feeders *f, size_t i);
size_t lc_feeders_columns(const struct lc_feeders *f, size_t i);
/* The field at row, col of feeder i (all in range): its bytes, NUL-terminated, with the
 * length in *len. Valid as long as f. */
const char *lc_feeders_field(const struct lc_feeders *f, size_t i, size_t row, size_t col,
                             size_t *len);
/* The bytes allocated for all feeders (fields, offsets, names, cursors), for logs: a loaded row
 * costs its field bytes plus 5 bytes per column (a 4-byte offset and a NUL). */
size_t lc_feeders_memory(const struct lc_feeders *f);

/* ---- one user's rows ---- */

/* Rows this handle keeps without allocating; a plan with more feeders allocates once, at init. */
#define LC_USER_ROWS_INLINE 4

/* The rows a user currently holds, one per feeder: row numbers, not copies (32 bytes for up to
 * LC_USER_ROWS_INLINE feeders, plus 4 bytes per feeder on the heap beyond). Embed it in the
 * user. Owned and used by one thread at a time (the user's worker). */
struct lc_user_rows {
  uint32_t *heap;                         /* n > LC_USER_ROWS_INLINE: the rows, else NULL */
  uint32_t n;                             /* feeders */
  uint32_t inline_rows[LC_USER_ROWS_INLINE];
};

/* Prepares r for the feeders of f (f may be NULL: no feeders), holding no row. */
void lc_user_rows_init(struct lc_user_rows *r, const struct lc_feeders *f);
void lc_user_rows_release(struct lc_user_rows *r);

/* Takes the next row of feeder feeder_index (< lc_feeders_count) for this user, replacing the
 * one it held (pointers returned by lc_user_rows_value for that feeder become stale; the bytes
 * themselves stay valid as long as f):
 *   sequential  the next row of a cursor shared by every user of the run, wrapping after the
 *               last row (rows repeat; on_exhausted does not apply);
 *   random      a row drawn uniformly with rng (the user's generator; no shared state);
 *   unique      the next row of the shared cursor, each row at most once in the whole run.
 *               When every row has been handed out, on_exhausted decides: recycle starts over
 *               (rows then repeat, in the same order, across all users), stop_user returns
 *               LC_FEEDER_EXHAUSTED_STOP_USER, stop_test LC_FEEDER_EXHAUSTED_STOP_TEST; with
 *               either code the user keeps the row it held before (or none).
 * Returns 0 or one of those codes. Thread safety: any number of threads may take rows of the
 * same f at once, each with its own r and rng; no lock is taken. */
int lc_user_rows_take(struct lc_user_rows *r, const struct lc_feeders *f, size_t feeder_index,
                      struct lc_rng *rng);
/* Takes a row of every `row: per_user` feeder, in the plan's order: call it when the user
 * starts, before on_start. Stops at the first feeder that returns a code and returns that code
 * (the user must not run), else 0. */
int lc_user_rows_take_start(struct lc_user_rows *r, const struct lc_feeders *f,
                            struct lc_rng *rng);
/* The same for every `row: per_task` feeder: call it right before each picked task starts
 * (its steps, or a taskset's on_start, then read the new rows). on_start runs before the first
 * task, so it sees no per_task row unless a `next_row:` step takes one. */
int lc_user_rows_take_task(struct lc_user_rows *r, const struct lc_feeders *f,
                           struct lc_rng *rng);
/* The row of feeder i the user holds, or SIZE_MAX when it holds none. */
size_t lc_user_rows_current(const struct lc_user_rows *r, size_t feeder_index);

/* What templates read data.FEEDER.COLUMN through: set lc_eval_ctx.row_value to
 * lc_user_rows_value and row_ctx to one of these (embedded in the user next to its rows). */
struct lc_user_rows_ctx {
  const struct lc_user_rows *rows;
  const struct lc_feeders *feeders;
};

/* An lc_row_value_cb (engine/vars.h): ctx is a struct lc_user_rows_ctx. Returns the column's
 * bytes (NUL-terminated, pointing into the shared block, valid as long as the feeders) and sets
 * *len; or NULL when the feeder or the column is unknown or the user holds no row of it. Cost: a
 * string comparison per feeder before it and per column before it. */
const char *lc_user_rows_value(void *ctx, const char *feeder, const char *column, size_t *len);

#endif
