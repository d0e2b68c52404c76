/* stats.h: a statistics shard, Locust's RequestStats in C. Each worker records its requests
 * into its own shard; once a second it moves the contents out (lc_stats_take) and hands them to
 * the coordinator, which merges them (lc_stats_merge) into a shard of the same type holding the
 * run's totals, and that the report writers read. No libuv or curl here.
 *
 * A shard holds: one entry per (name, method) with counts, content length, first/last request
 * time and a histogram of response times (exact count, min, max, sum inside it); an "Aggregated"
 * entry updated on every record; an errors table keyed by (method, name, message) with
 * occurrences and first/last seen; and user errors (Locust's exceptions) keyed by message.
 * Failed requests are requests too: counted in num_requests with their time and size (Locust).
 *
 * Limits: at most max_entries distinct (name, method) entries (default 10,000); requests for
 * further names go to one overflow entry (name LC_STATS_OVERFLOW_NAME, method "") and set
 * LC_STATS_ENTRIES_CAPPED. Likewise at most max_errors distinct errors and as many distinct user
 * errors (default 1,000), beyond which occurrences go to an overflow error (message
 * LC_STATS_OVERFLOW_ERROR) and LC_STATS_ERRORS_CAPPED is set. Error messages are cut to
 * LC_STATS_MAX_MESSAGE bytes (at a UTF-8 character boundary) before they are keyed.
 *
 * Memory: an entry is one allocation of sizeof(struct lc_stats_entry) (13,440 bytes on x86-64,
 * 13,360 of them the histogram) plus its two strings, and 24 to 48 bytes of index and list; so
 * the default cap bounds a shard's entries to about 135 MB (a run with 20 names uses 270 KB).
 * An error is one allocation of 64 bytes plus its three strings, and as much index and list. Entries are created (and their strings copied)
 * on the first request of a key; after that recording never allocates. Entries live until
 * lc_stats_free: reset and take zero them but keep them (as Locust keeps its entries across
 * reset_stats), so the same names never allocate again. Errors are freed by reset and take.
 *
 * Threads: a shard is used by one thread at a time and does no locking. Handing a shard (or a
 * delta) to another thread is the caller's business: pass it through something that orders
 * memory (a mutex-protected queue, uv_async after a locked push), and stop touching it until it
 * comes back. Wall-clock times are microseconds since the epoch (int64_t), passed in by the
 * caller: the shard never reads a clock. */
#ifndef LC_ENGINE_STATS_H
#define LC_ENGINE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/hist.h"

#define LC_STATS_DEFAULT_MAX_ENTRIES 10000
#define LC_STATS_DEFAULT_MAX_ERRORS 1000
#define LC_STATS_MAX_MESSAGE 1024
#define LC_STATS_TOTAL_NAME "Aggregated"
#define LC_STATS_OVERFLOW_NAME "(other names)"
#define LC_STATS_OVERFLOW_ERROR "(other errors)"
/* The message recorded for a failure reported without one. */
#define LC_STATS_UNKNOWN_ERROR "unknown error"

/* lc_stats_flags bits. */
enum {
  LC_STATS_ENTRIES_CAPPED = 1, /* a request went to the overflow entry */
  LC_STATS_ERRORS_CAPPED = 2,  /* an error or a user error went to an overflow error */
};

/* What a request is recorded under. The hash and lengths are computed once by lc_stats_key_init
 * (for a name known at compile time, once per run) and must come from it; names and methods are
 * below 4 GB. The key points at the caller's
 * strings and does not own them; they must outlive the key's use. */
struct lc_stats_key {
  const char *name;
  const char *method;
  uint64_t hash;
  uint32_t name_len;    /* strlen, also set by lc_stats_key_init */
  uint32_t method_len;
};
void lc_stats_key_init(struct lc_stats_key *key, const char *name, const char *method);

/* An entry, read-only for users of the shard, which owns it and its strings. Valid until
 * lc_stats_free of its shard; reset, take and merge keep its address. */
struct lc_stats_entry {
  const char *name;
  const char *method;             /* "" for the Aggregated and overflow entries */
  uint64_t hash;                  /* of (name, method), as lc_stats_key_init computes it */
  uint32_t name_len;
  uint32_t method_len;
  uint32_t index;                 /* its place in lc_stats_entry_at's order (the Aggregated
                                     entry: 0, it is not in that list) */
  uint64_t num_requests;          /* == hist.count */
  uint64_t num_failures;
  uint64_t total_content_length;  /* bytes */
  int64_t first_request_us;       /* wall clock; 0 while num_requests == 0 */
  int64_t last_request_us;
  bool overflow;                  /* the entry for names beyond the cap */
  struct lc_hist hist;            /* response times in us: exact count, min, max and sum */
  /* response times measured from the intended start (open model, paced users; see
   * lc_stats_record_intended); NULL until one is recorded. Owned by the entry. */
  struct lc_hist *intended;
};

/* An error or a user error (then method and name are ""), owned by its shard. Valid until the
 * next lc_stats_reset, lc_stats_take or lc_stats_free of the shard that holds it. */
struct lc_stats_error {
  const char *method;
  const char *name;
  const char *message;
  uint64_t hash;
  uint64_t occurrences;
  int64_t first_seen_us;  /* wall clock */
  int64_t last_seen_us;
  bool overflow;          /* the error counting everything beyond the cap */
};

struct lc_stats;

/* A new empty shard; 0 for a limit means its default. Free with lc_stats_free (NULL is fine). */
struct lc_stats *lc_stats_new(size_t max_entries, size_t max_errors);
void lc_stats_free(struct lc_stats *s);

/* Records one request: into the entry of `key` (created on first use, strings copied), into the
 * Aggregated entry, and, when `failed`, into the errors table under (method, name, error) with
 * `error` NULL meaning LC_STATS_UNKNOWN_ERROR. `error` is ignored when !failed and is copied when
 * kept. `now_us` is the wall-clock time of the request. No allocation once the entry (and, for a
 * failure, the error) exists. */
void lc_stats_record(struct lc_stats *s, const struct lc_stats_key *key, uint64_t response_time_us,
                     uint64_t content_length, bool failed, const char *error, int64_t now_us);
/* Records a response time measured from the request's intended start into the entry of `key`
 * and the Aggregated entry's intended histograms (allocated on first use). With interval_us > 0
 * (a user on a fixed schedule: constant_pacing, constant_throughput), the samples it missed
 * while it was late are added as HdrHistogram does (lc_hist_record_corrected). Call it right
 * after lc_stats_record for the same key. */
void lc_stats_record_intended(struct lc_stats *s, const struct lc_stats_key *key,
                              uint64_t value_us, uint64_t interval_us);
/* Counts an error raised inside a user (Locust's exceptions table); `message` is copied. */
void lc_stats_record_user_error(struct lc_stats *s, const char *message, int64_t now_us);

/* Moves the contents of `s` into `out` and leaves `s` empty: `out` is reset first, then the two
 * swap contents (each keeps its own limits), so `s` gets back out's zeroed entries and a worker
 * that alternates two shards stops allocating once both have seen its names. O(entries). */
void lc_stats_take(struct lc_stats *s, struct lc_stats *out);
/* Adds everything in `src` into `dst` (dst != src); `src` is unchanged. Entries of `src` with no
 * request are skipped; names beyond dst's cap go to its overflow entry. Equal to having recorded
 * both streams into `dst` (except for the order of entries and errors). */
void lc_stats_merge(struct lc_stats *dst, const struct lc_stats *src);
/* Zeroes every entry (they stay, with their names), the Aggregated entry and the flags, and
 * frees all errors and user errors (Locust's reset_stats). */
void lc_stats_reset(struct lc_stats *s);

/* The entry of `key`, or NULL. */
const struct lc_stats_entry *lc_stats_find(const struct lc_stats *s, const struct lc_stats_key *key);
/* The Aggregated entry (name LC_STATS_TOTAL_NAME, method ""). */
const struct lc_stats_entry *lc_stats_total(const struct lc_stats *s);
/* Entries in creation order, the overflow entry included once it exists; i < count. */
size_t lc_stats_entry_count(const struct lc_stats *s);
const struct lc_stats_entry *lc_stats_entry_at(const struct lc_stats *s, size_t i);
/* The entries sorted by (name, method) as Locust sorts them (byte order of UTF-8 = code point
 * order), the overflow entry last, Aggregated not included. Returns a new array of *n pointers
 * (NULL when *n is 0) that the caller frees with free(); the pointers belong to the shard. */
const struct lc_stats_entry **lc_stats_sorted(const struct lc_stats *s, size_t *n);

/* Errors and user errors in the order they were first recorded, the overflow one included. */
size_t lc_stats_error_count(const struct lc_stats *s);
const struct lc_stats_error *lc_stats_error_at(const struct lc_stats *s, size_t i);
size_t lc_stats_user_error_count(const struct lc_stats *s);
const struct lc_stats_error *lc_stats_user_error_at(const struct lc_stats *s, size_t i);

/* LC_STATS_* bits set since the last reset (merge carries them into the totals). */
unsigned lc_stats_flags(const struct lc_stats *s);

/* ---- restoring a stored shard (loading a JSON result: report/json.h) ----
 * These rebuild the run's totals from what a result file stored, so that a shard restored
 * from a file equals the one that was written (same entries in the order restored, same
 * histograms, errors and flags). They copy the strings and read `h` only. */

/* Creates the entry (name, method) with num_requests = h->count and the histogram `h`; when
 * `overflow`, the overflow entry instead (name and method are then ignored). Entries are
 * restored even without requests (a reset keeps entries). The entry cap applies as in
 * lc_stats_record. Does not touch the Aggregated entry (see lc_stats_restore_total).
 * Returns 0, or LC_EINVAL (and changes nothing) when the entry already exists, or
 * num_failures > h->count, or times are given without requests or first > last. */
int lc_stats_restore_entry(struct lc_stats *s, const char *name, const char *method,
                           bool overflow, uint64_t num_failures, uint64_t total_content_length,
                           int64_t first_request_us, int64_t last_request_us,
                           const struct lc_hist *h);
/* Sets the Aggregated entry to these figures (replacing what it held). Same checks and
 * returns as lc_stats_restore_entry. */
int lc_stats_restore_total(struct lc_stats *s, uint64_t num_failures,
                           uint64_t total_content_length, int64_t first_request_us,
                           int64_t last_request_us, const struct lc_hist *h);
/* Sets the histogram of response times from the intended start (lc_stats_entry.intended) of
 * an entry already restored: the Aggregated entry when `total`, else the overflow entry when
 * `overflow`, else the entry (name, method); for a name that lc_stats_restore_entry put into the
 * overflow entry (beyond the cap), adds `h` to the overflow entry's as a merge would. Replaces
 * what the entry held (allocating its histogram if it had none). Returns 0, or LC_EINVAL (and
 * changes nothing) when that entry does not exist. */
int lc_stats_restore_intended(struct lc_stats *s, bool total, const char *name,
                              const char *method, bool overflow, const struct lc_hist *h);
/* Adds an error (method, name, message; `message` cut like a recorded one) or, when `overflow`,
 * the overflow error, with its occurrences and first/last seen. Returns 0, or LC_EINVAL (and
 * changes nothing) when occurrences is 0, first > last, or the error is already there. The
 * user-error variant is the same for the user errors (method and name "" there). */
int lc_stats_restore_error(struct lc_stats *s, const char *method, const char *name,
                           const char *message, bool overflow, uint64_t occurrences,
                           int64_t first_seen_us, int64_t last_seen_us);
int lc_stats_restore_user_error(struct lc_stats *s, const char *message, bool overflow,
                                uint64_t occurrences, int64_t first_seen_us,
                                int64_t last_seen_us);
/* Sets the LC_STATS_* bits as stored (restoring an overflow entry or error sets its bit, but
 * a reset during the run may have cleared it since). */
void lc_stats_restore_flags(struct lc_stats *s, unsigned flags);

#endif
