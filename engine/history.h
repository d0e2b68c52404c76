/* history.h: the run's statistics second by second, as the coordinator builds them from the
 * workers' deltas and as the reports read them (Locust's stats history: the _stats_history CSV,
 * the charts, the JSON result's history).
 *
 * A row is one second: when it ended, how far into the run, how many users ran. Its points are
 * one per statistics entry that had requests in the current window (the last LC_HISTORY_WINDOW
 * seconds, this one included), the Aggregated point always first. A point holds:
 *   - the second itself: requests, failures, bytes, response time sum/min/max;
 *   - the current window: requests and failures per second (mean over the window, or over the
 *     seconds since the start or the last reset when fewer) and the LC_PCT_COUNT percentiles of
 *     the window's response times (Locust's "current" percentiles, which use a 10 s window);
 *   - the cumulative figures at that time (Locust's "Total ..." columns).
 * An entry without a point in a row had no request in that row's window; its cumulative figures
 * are those of its last point (they did not change).
 *
 * Entries are named by their index in the totals shard (lc_stats_entry.index, stable for the
 * shard's life: reset keeps entries), so a point is small: about 200 bytes, and an hour of a
 * 20-name run is about 15 MB. For the window, the history keeps each active entry's last
 * LC_HISTORY_WINDOW seconds as sparse histograms (its non-empty buckets only) and frees them as
 * they age out.
 *
 * Not thread-safe: the coordinator owns it. lc_history_reset follows Locust's reset_stats. */
#ifndef LC_ENGINE_HISTORY_H
#define LC_ENGINE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/stats.h"

#define LC_HISTORY_WINDOW 10    /* seconds of the "current" figures */
#define LC_PCT_COUNT 11
#define LC_HISTORY_TOTAL UINT32_MAX  /* the entry index of the Aggregated point */

/* The percentiles every report shows, in Locust's order: 50 66 75 80 90 95 98 99 99.9 99.99 100,
 * and their column labels ("50%", ... "99.99%", "100%"). */
extern const double lc_pct_values[LC_PCT_COUNT];
extern const char *const lc_pct_labels[LC_PCT_COUNT];

struct lc_history_point {
  uint32_t entry;               /* index in the totals shard, or LC_HISTORY_TOTAL */
  /* this second */
  uint64_t requests, failures, content_bytes;
  uint64_t rt_sum_us, rt_min_us, rt_max_us;  /* min and max are 0 without requests */
  /* the current window */
  double rps, fps;
  uint64_t pct_us[LC_PCT_COUNT];  /* all 0 when the window has no request */
  /* cumulative since the start (or the last reset) */
  uint64_t total_requests, total_failures, total_content_bytes;
  uint64_t total_min_us, total_max_us, total_median_us;  /* 0 without requests */
  double total_avg_us;
};

struct lc_history_row {
  int64_t wall_us;      /* when the second ended, wall clock */
  int64_t elapsed_us;   /* since the run started */
  uint32_t users;       /* users running then */
  size_t first;         /* its points: lc_history_point_at(h, first .. first + npoints - 1) */
  size_t npoints;
};

struct lc_history;

struct lc_history *lc_history_new(void);
void lc_history_free(struct lc_history *h);  /* NULL is fine */

/* Adds the row of one second: `second` holds exactly that second's requests (the merged
 * deltas), `totals` the run's totals with `second` already merged in. */
void lc_history_add(struct lc_history *h, const struct lc_stats *second,
                    const struct lc_stats *totals, int64_t wall_us, int64_t elapsed_us,
                    uint32_t users);

/* For loading a stored result: appends a row and then its points as given (the first one the
 * Aggregated point); nothing is computed. */
void lc_history_push_row(struct lc_history *h, int64_t wall_us, int64_t elapsed_us,
                         uint32_t users);
void lc_history_push_point(struct lc_history *h, const struct lc_history_point *p);

/* Forgets every row and window (Locust's reset_stats). */
void lc_history_reset(struct lc_history *h);

size_t lc_history_row_count(const struct lc_history *h);
const struct lc_history_row *lc_history_row_at(const struct lc_history *h, size_t i);
const struct lc_history_point *lc_history_point_at(const struct lc_history *h, size_t i);

#endif
