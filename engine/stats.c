/* stats.c: statistics shards (see stats.h). Entries and errors are each found through a small
 * open-addressing table of (hash, pointer) slots with linear probing, kept at most half full;
 * comparing the stored hash first means a probe touches an entry only on a likely match. */
#include "engine/stats.h"

#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

struct slot {
  uint64_t hash;
  void *item; /* NULL: empty */
};

/* An open-addressing index; `mask + 1` slots, a power of two. */
struct index {
  struct slot *slots;
  size_t mask;
  size_t used;
};

/* Errors (or user errors) in first-seen order with their index. */
struct errtab {
  struct lc_stats_error **items;
  size_t n;
  size_t cap;
  struct index idx;
  struct lc_stats_error *overflow; /* also in items once created */
};

struct lc_stats {
  struct lc_stats_entry **entries; /* creation order, the overflow entry included */
  size_t n;
  size_t cap;
  struct index idx;                /* named entries only */
  struct lc_stats_entry *overflow;
  struct lc_stats_entry *total;
  struct errtab errors;
  struct errtab user_errors;
  unsigned flags;
  size_t max_entries;
  size_t max_errors;
};

/* ---- hashing: FNV-1a, finished with splitmix64's mixer so low bits are usable ---- */

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

static uint64_t fnv(uint64_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= FNV_PRIME;
  }
  return h;
}

static uint64_t mix(uint64_t h) {
  h ^= h >> 30;
  h *= UINT64_C(0xbf58476d1ce4e5b9);
  h ^= h >> 27;
  h *= UINT64_C(0x94d049bb133111eb);
  return h ^ (h >> 31);
}

static uint64_t key_hash(const char *name, size_t name_len, const char *method,
                         size_t method_len) {
  uint64_t h = fnv(FNV_OFFSET, name, name_len);
  h = fnv(h, "\xff", 1); /* never inside UTF-8, so ("ab","c") != ("a","bc") */
  return mix(fnv(h, method, method_len));
}

void lc_stats_key_init(struct lc_stats_key *key, const char *name, const char *method) {
  key->name = name;
  key->method = method;
  key->name_len = (uint32_t)strlen(name);
  key->method_len = (uint32_t)strlen(method);
  key->hash = key_hash(name, key->name_len, method, key->method_len);
}

static uint64_t error_hash(uint64_t key, const char *msg, size_t len) {
  return mix(fnv(key, msg, len));
}

/* ---- the index ---- */

static void index_init(struct index *x) {
  x->mask = 15;
  x->slots = lc_xcalloc(x->mask + 1, sizeof *x->slots);
  x->used = 0;
}

static void index_release(struct index *x) { free(x->slots); }

static void index_clear(struct index *x) {
  memset(x->slots, 0, (x->mask + 1) * sizeof *x->slots);
  x->used = 0;
}

static void index_put(struct slot *slots, size_t mask, uint64_t hash, void *item) {
  size_t i = hash & mask;
  while (slots[i].item) i = (i + 1) & mask;
  slots[i].hash = hash;
  slots[i].item = item;
}

static void index_insert(struct index *x, uint64_t hash, void *item) {
  if ((x->used + 1) * 2 > x->mask + 1) {
    size_t mask = x->mask * 2 + 1;
    struct slot *slots = lc_xcalloc(mask + 1, sizeof *slots);
    for (size_t i = 0; i <= x->mask; i++)
      if (x->slots[i].item) index_put(slots, mask, x->slots[i].hash, x->slots[i].item);
    free(x->slots);
    x->slots = slots;
    x->mask = mask;
  }
  index_put(x->slots, x->mask, hash, item);
  x->used++;
}

/* Room for one more element in a growable array of n elements of `size` bytes. */
static void *grow(void *items, size_t n, size_t *cap, size_t size) {
  if (n < *cap) return items;
  *cap = *cap ? *cap * 2 : 16;
  return lc_xrealloc(items, *cap * size);
}

static void entries_push(struct lc_stats *s, struct lc_stats_entry *e) {
  s->entries = grow(s->entries, s->n, &s->cap, sizeof *s->entries);
  e->index = (uint32_t)s->n;
  s->entries[s->n++] = e;
}

static void errors_push(struct errtab *t, struct lc_stats_error *e) {
  t->items = grow(t->items, t->n, &t->cap, sizeof *t->items);
  t->items[t->n++] = e;
}

/* ---- entries ---- */

/* A new entry for a key (whose strings it copies). */
static struct lc_stats_entry *entry_new(const struct lc_stats_key *k) {
  size_t ln = (size_t)k->name_len + 1, lm = (size_t)k->method_len + 1;
  struct lc_stats_entry *e = lc_xmalloc(sizeof *e + ln + lm);
  char *strs = (char *)(e + 1);
  memcpy(strs, k->name, ln);
  memcpy(strs + ln, k->method, lm);
  e->name = strs;
  e->method = strs + ln;
  e->hash = k->hash;
  e->name_len = k->name_len;
  e->method_len = k->method_len;
  e->num_requests = e->num_failures = e->total_content_length = 0;
  e->first_request_us = e->last_request_us = 0;
  e->overflow = false;
  e->intended = NULL;
  lc_hist_init(&e->hist);
  return e;
}

static void entry_free(struct lc_stats_entry *e) {
  if (!e) return;
  free(e->intended);
  free(e);
}

static void entry_reset(struct lc_stats_entry *e) {
  e->num_requests = e->num_failures = e->total_content_length = 0;
  e->first_request_us = e->last_request_us = 0;
  lc_hist_reset(&e->hist);
  if (e->intended) lc_hist_reset(e->intended);
}

static struct lc_hist *intended_of(struct lc_stats_entry *e) {
  if (!e->intended) {
    e->intended = lc_xmalloc(sizeof *e->intended);
    lc_hist_init(e->intended);
  }
  return e->intended;
}

static void entry_add(struct lc_stats_entry *e, uint64_t rt, uint64_t len, bool failed,
                      int64_t now) {
  if (e->num_requests++ == 0) {
    e->first_request_us = e->last_request_us = now;
  } else {
    if (now < e->first_request_us) e->first_request_us = now;
    if (now > e->last_request_us) e->last_request_us = now;
  }
  e->num_failures += failed;
  e->total_content_length += len;
  lc_hist_record(&e->hist, rt);
}

static void entry_merge(struct lc_stats_entry *dst, const struct lc_stats_entry *src) {
  if (src->num_requests == 0) return;
  if (dst->num_requests == 0) {
    dst->first_request_us = src->first_request_us;
    dst->last_request_us = src->last_request_us;
  } else {
    if (src->first_request_us < dst->first_request_us) dst->first_request_us = src->first_request_us;
    if (src->last_request_us > dst->last_request_us) dst->last_request_us = src->last_request_us;
  }
  dst->num_requests += src->num_requests;
  dst->num_failures += src->num_failures;
  dst->total_content_length += src->total_content_length;
  lc_hist_merge(&dst->hist, &src->hist);
  if (src->intended && src->intended->count) lc_hist_merge(intended_of(dst), src->intended);
}

static struct lc_stats_entry *entry_find(const struct lc_stats *s, const struct lc_stats_key *k) {
  const struct index *x = &s->idx;
  for (size_t i = k->hash & x->mask;; i = (i + 1) & x->mask) {
    const struct slot *sl = &x->slots[i];
    if (!sl->item) return NULL;
    if (sl->hash == k->hash) {
      struct lc_stats_entry *e = sl->item;
      if (e->name_len == k->name_len && e->method_len == k->method_len &&
          memcmp(e->name, k->name, k->name_len) == 0 &&
          memcmp(e->method, k->method, k->method_len) == 0)
        return e;
    }
  }
}

/* The key of an existing entry (of another shard). */
static void entry_key(const struct lc_stats_entry *e, struct lc_stats_key *k) {
  k->name = e->name;
  k->method = e->method;
  k->hash = e->hash;
  k->name_len = e->name_len;
  k->method_len = e->method_len;
}

static struct lc_stats_entry *overflow_entry(struct lc_stats *s) {
  s->flags |= LC_STATS_ENTRIES_CAPPED;
  if (!s->overflow) {
    struct lc_stats_key k;
    lc_stats_key_init(&k, LC_STATS_OVERFLOW_NAME, "");
    s->overflow = entry_new(&k);
    s->overflow->overflow = true;
    entries_push(s, s->overflow);
  }
  return s->overflow;
}

/* The entry of a key, created if the cap allows, else the overflow entry. */
static struct lc_stats_entry *entry_get(struct lc_stats *s, const struct lc_stats_key *k) {
  struct lc_stats_entry *e = entry_find(s, k);
  if (e) return e;
  if (s->idx.used >= s->max_entries) return overflow_entry(s);
  e = entry_new(k);
  index_insert(&s->idx, k->hash, e);
  entries_push(s, e);
  return e;
}

/* ---- errors ---- */

static void errtab_init(struct errtab *t) {
  memset(t, 0, sizeof *t);
  index_init(&t->idx);
}

static void errtab_clear(struct errtab *t) {
  for (size_t i = 0; i < t->n; i++) free(t->items[i]);
  t->n = 0;
  t->overflow = NULL;
  index_clear(&t->idx);
}

static void errtab_release(struct errtab *t) {
  errtab_clear(t);
  free(t->items);
  index_release(&t->idx);
}

/* The length of `msg` cut to LC_STATS_MAX_MESSAGE bytes without splitting a UTF-8 character. */
static size_t message_len(const char *msg) {
  size_t n = strlen(msg);
  if (n <= LC_STATS_MAX_MESSAGE) return n;
  n = LC_STATS_MAX_MESSAGE;
  while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80) n--;
  return n;
}

static struct lc_stats_error *error_new(const char *method, const char *name, const char *msg,
                                        size_t len, uint64_t hash) {
  size_t lm = strlen(method) + 1, ln = strlen(name) + 1;
  struct lc_stats_error *e = lc_xmalloc(sizeof *e + lm + ln + len + 1);
  char *strs = (char *)(e + 1);
  memcpy(strs, method, lm);
  memcpy(strs + lm, name, ln);
  memcpy(strs + lm + ln, msg, len);
  strs[lm + ln + len] = '\0';
  e->method = strs;
  e->name = strs + lm;
  e->message = strs + lm + ln;
  e->hash = hash;
  e->occurrences = 0;
  e->first_seen_us = e->last_seen_us = 0;
  e->overflow = false;
  return e;
}

static void error_add(struct lc_stats_error *e, uint64_t n, int64_t first, int64_t last) {
  if (e->occurrences == 0) {
    e->first_seen_us = first;
    e->last_seen_us = last;
  } else {
    if (first < e->first_seen_us) e->first_seen_us = first;
    if (last > e->last_seen_us) e->last_seen_us = last;
  }
  e->occurrences += n;
}

static struct lc_stats_error *error_overflow(struct lc_stats *s, struct errtab *t) {
  s->flags |= LC_STATS_ERRORS_CAPPED;
  if (!t->overflow) {
    size_t len = strlen(LC_STATS_OVERFLOW_ERROR);
    t->overflow = error_new("", "", LC_STATS_OVERFLOW_ERROR, len, 0);
    t->overflow->overflow = true;
    errors_push(t, t->overflow);
  }
  return t->overflow;
}

/* The error of (method, name, msg[0..len)), created if the cap allows, else the overflow one. */
static struct lc_stats_error *error_get(struct lc_stats *s, struct errtab *t, const char *method,
                                        const char *name, const char *msg, size_t len,
                                        uint64_t hash) {
  for (size_t i = hash & t->idx.mask;; i = (i + 1) & t->idx.mask) {
    const struct slot *sl = &t->idx.slots[i];
    if (!sl->item) break;
    struct lc_stats_error *e = sl->item;
    if (sl->hash == hash && strncmp(e->message, msg, len) == 0 && e->message[len] == '\0' &&
        strcmp(e->name, name) == 0 && strcmp(e->method, method) == 0)
      return e;
  }
  if (t->idx.used >= s->max_errors) return error_overflow(s, t);
  struct lc_stats_error *e = error_new(method, name, msg, len, hash);
  index_insert(&t->idx, hash, e);
  errors_push(t, e);
  return e;
}

static void errtab_merge(struct lc_stats *dst, struct errtab *dt, const struct errtab *st) {
  for (size_t i = 0; i < st->n; i++) {
    const struct lc_stats_error *e = st->items[i];
    if (e->occurrences == 0) continue;
    struct lc_stats_error *d =
        e->overflow ? error_overflow(dst, dt)
                    : error_get(dst, dt, e->method, e->name, e->message, strlen(e->message), e->hash);
    error_add(d, e->occurrences, e->first_seen_us, e->last_seen_us);
  }
}

/* ---- the shard ---- */

struct lc_stats *lc_stats_new(size_t max_entries, size_t max_errors) {
  struct lc_stats *s = lc_xcalloc(1, sizeof *s);
  s->max_entries = max_entries ? max_entries : LC_STATS_DEFAULT_MAX_ENTRIES;
  s->max_errors = max_errors ? max_errors : LC_STATS_DEFAULT_MAX_ERRORS;
  index_init(&s->idx);
  struct lc_stats_key k;
  lc_stats_key_init(&k, LC_STATS_TOTAL_NAME, "");
  s->total = entry_new(&k);
  errtab_init(&s->errors);
  errtab_init(&s->user_errors);
  return s;
}

void lc_stats_free(struct lc_stats *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) entry_free(s->entries[i]);
  free(s->entries);
  entry_free(s->total);
  index_release(&s->idx);
  errtab_release(&s->errors);
  errtab_release(&s->user_errors);
  free(s);
}

void lc_stats_record(struct lc_stats *s, const struct lc_stats_key *key, uint64_t response_time_us,
                     uint64_t content_length, bool failed, const char *error, int64_t now_us) {
  struct lc_stats_entry *e = entry_get(s, key);
  entry_add(e, response_time_us, content_length, failed, now_us);
  entry_add(s->total, response_time_us, content_length, failed, now_us);
  if (!failed) return;
  const char *msg = error ? error : LC_STATS_UNKNOWN_ERROR;
  size_t len = message_len(msg);
  struct lc_stats_error *err = error_get(s, &s->errors, key->method, key->name, msg, len,
                                         error_hash(key->hash, msg, len));
  error_add(err, 1, now_us, now_us);
}

void lc_stats_record_intended(struct lc_stats *s, const struct lc_stats_key *key,
                              uint64_t value_us, uint64_t interval_us) {
  struct lc_stats_entry *e = entry_get(s, key);
  lc_hist_record_corrected(intended_of(e), value_us, interval_us);
  lc_hist_record_corrected(intended_of(s->total), value_us, interval_us);
}

void lc_stats_record_user_error(struct lc_stats *s, const char *message, int64_t now_us) {
  size_t len = message_len(message);
  uint64_t hash = error_hash(key_hash("", 0, "", 0), message, len);
  error_add(error_get(s, &s->user_errors, "", "", message, len, hash), 1, now_us, now_us);
}

void lc_stats_reset(struct lc_stats *s) {
  for (size_t i = 0; i < s->n; i++) entry_reset(s->entries[i]);
  entry_reset(s->total);
  errtab_clear(&s->errors);
  errtab_clear(&s->user_errors);
  s->flags = 0;
}

void lc_stats_take(struct lc_stats *s, struct lc_stats *out) {
  if (s == out) return;
  lc_stats_reset(out);
  struct lc_stats tmp = *s;
  *s = *out;
  *out = tmp;
  /* the limits stay with their shard */
  out->max_entries = s->max_entries;
  out->max_errors = s->max_errors;
  s->max_entries = tmp.max_entries;
  s->max_errors = tmp.max_errors;
}

void lc_stats_merge(struct lc_stats *dst, const struct lc_stats *src) {
  if (dst == src) return;
  for (size_t i = 0; i < src->n; i++) {
    const struct lc_stats_entry *e = src->entries[i];
    if (e->num_requests == 0) continue;
    struct lc_stats_key k;
    entry_key(e, &k);
    entry_merge(e->overflow ? overflow_entry(dst) : entry_get(dst, &k), e);
  }
  entry_merge(dst->total, src->total);
  errtab_merge(dst, &dst->errors, &src->errors);
  errtab_merge(dst, &dst->user_errors, &src->user_errors);
  /* no flags to copy: src's overflow entry and errors set dst's flags as they merge */
}

const struct lc_stats_entry *lc_stats_find(const struct lc_stats *s, const struct lc_stats_key *key) {
  return entry_find(s, key);
}

const struct lc_stats_entry *lc_stats_total(const struct lc_stats *s) { return s->total; }

size_t lc_stats_entry_count(const struct lc_stats *s) { return s->n; }

const struct lc_stats_entry *lc_stats_entry_at(const struct lc_stats *s, size_t i) {
  return i < s->n ? s->entries[i] : NULL;
}

static int entry_cmp(const void *pa, const void *pb) {
  const struct lc_stats_entry *a = *(const struct lc_stats_entry *const *)pa;
  const struct lc_stats_entry *b = *(const struct lc_stats_entry *const *)pb;
  if (a->overflow != b->overflow) return a->overflow ? 1 : -1;
  int c = strcmp(a->name, b->name);
  return c ? c : strcmp(a->method, b->method);
}

const struct lc_stats_entry **lc_stats_sorted(const struct lc_stats *s, size_t *n) {
  *n = s->n;
  if (s->n == 0) return NULL;
  const struct lc_stats_entry **v = lc_xmalloc(s->n * sizeof *v);
  for (size_t i = 0; i < s->n; i++) v[i] = s->entries[i];
  qsort(v, s->n, sizeof *v, entry_cmp);
  return v;
}

size_t lc_stats_error_count(const struct lc_stats *s) { return s->errors.n; }

const struct lc_stats_error *lc_stats_error_at(const struct lc_stats *s, size_t i) {
  return i < s->errors.n ? s->errors.items[i] : NULL;
}

size_t lc_stats_user_error_count(const struct lc_stats *s) { return s->user_errors.n; }

const struct lc_stats_error *lc_stats_user_error_at(const struct lc_stats *s, size_t i) {
  return i < s->user_errors.n ? s->user_errors.items[i] : NULL;
}

unsigned lc_stats_flags(const struct lc_stats *s) { return s->flags; }

/* ---- restoring ---- */

static int restore_check(uint64_t failures, int64_t first, int64_t last, const struct lc_hist *h) {
  if (failures > h->count) return LC_EINVAL;
  if (h->count == 0 && (first != 0 || last != 0)) return LC_EINVAL;
  if (first > last) return LC_EINVAL;
  return 0;
}

static void entry_set(struct lc_stats_entry *e, uint64_t failures, uint64_t bytes, int64_t first,
                      int64_t last, const struct lc_hist *h) {
  e->num_requests = h->count;
  e->num_failures = failures;
  e->total_content_length = bytes;
  e->first_request_us = first;
  e->last_request_us = last;
  lc_hist_copy(&e->hist, h);
}

int lc_stats_restore_entry(struct lc_stats *s, const char *name, const char *method,
                           bool overflow, uint64_t num_failures, uint64_t total_content_length,
                           int64_t first_request_us, int64_t last_request_us,
                           const struct lc_hist *h) {
  if (restore_check(num_failures, first_request_us, last_request_us, h) != 0) return LC_EINVAL;
  struct lc_stats_entry *e;
  if (overflow) {
    if (s->overflow) return LC_EINVAL;
    e = overflow_entry(s);
  } else {
    struct lc_stats_key k;
    lc_stats_key_init(&k, name, method);
    if (entry_find(s, &k)) return LC_EINVAL;
    e = entry_get(s, &k);
    if (e->overflow) { /* beyond the cap: add to the overflow entry as a merge would */
      struct lc_stats_entry tmp;
      memset(&tmp, 0, sizeof tmp);
      entry_set(&tmp, num_failures, total_content_length, first_request_us, last_request_us, h);
      entry_merge(e, &tmp);
      return 0;
    }
  }
  entry_set(e, num_failures, total_content_length, first_request_us, last_request_us, h);
  return 0;
}

int lc_stats_restore_total(struct lc_stats *s, uint64_t num_failures,
                           uint64_t total_content_length, int64_t first_request_us,
                           int64_t last_request_us, const struct lc_hist *h) {
  if (restore_check(num_failures, first_request_us, last_request_us, h) != 0) return LC_EINVAL;
  entry_set(s->total, num_failures, total_content_length, first_request_us, last_request_us, h);
  return 0;
}

int lc_stats_restore_intended(struct lc_stats *s, bool total, const char *name,
                              const char *method, bool overflow, const struct lc_hist *h) {
  struct lc_stats_entry *e;
  bool merge = false;
  if (total) {
    e = s->total;
  } else if (overflow) {
    e = s->overflow;
  } else {
    struct lc_stats_key k;
    lc_stats_key_init(&k, name, method);
    e = entry_find(s, &k);
    if (!e && s->idx.used >= s->max_entries) { /* restored into the overflow entry */
      e = s->overflow;
      merge = true;
    }
  }
  if (!e) return LC_EINVAL;
  if (merge)
    lc_hist_merge(intended_of(e), h);
  else
    lc_hist_copy(intended_of(e), h);
  return 0;
}

static int restore_err(struct lc_stats *s, struct errtab *t, uint64_t key, const char *method,
                       const char *name, const char *message, bool overflow, uint64_t n,
                       int64_t first, int64_t last) {
  if (n == 0 || first > last) return LC_EINVAL;
  struct lc_stats_error *e;
  if (overflow) {
    if (t->overflow) return LC_EINVAL;
    e = error_overflow(s, t);
  } else {
    size_t len = message_len(message);
    uint64_t hash = error_hash(key, message, len);
    size_t before = t->n;
    e = error_get(s, t, method, name, message, len, hash);
    if (t->n == before && !e->overflow) return LC_EINVAL; /* already there */
  }
  error_add(e, n, first, last);
  return 0;
}

int lc_stats_restore_error(struct lc_stats *s, const char *method, const char *name,
                           const char *message, bool overflow, uint64_t occurrences,
                           int64_t first_seen_us, int64_t last_seen_us) {
  uint64_t key = key_hash(name, strlen(name), method, strlen(method));
  return restore_err(s, &s->errors, key, method, name, message, overflow, occurrences,
                     first_seen_us, last_seen_us);
}

int lc_stats_restore_user_error(struct lc_stats *s, const char *message, bool overflow,
                                uint64_t occurrences, int64_t first_seen_us,
                                int64_t last_seen_us) {
  return restore_err(s, &s->user_errors, key_hash("", 0, "", 0), "", "", message, overflow,
                     occurrences, first_seen_us, last_seen_us);
}

void lc_stats_restore_flags(struct lc_stats *s, unsigned flags) { s->flags = flags; }
